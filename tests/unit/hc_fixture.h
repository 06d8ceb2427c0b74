/* SPDX-License-Identifier: MIT */
#ifndef TEST_HC_FIXTURE_H
#define TEST_HC_FIXTURE_H

/*
 * What the hypercall unit tests (callbacks, physdev, memory_op) share: a
 * domain with one PV vCPU in kernel mode over fake memory, with one
 * argument page mapped at ARG_VA and nothing at HOLE_VA.
 */
#include <stdlib.h>

#include "fake_mem.h"
#include "pvisor/domain.h"
#include "pvisor/pv_vcpu.h"

#define ARG_VA		0x0000000000600000ull
#define ARG_PA		0x80000ull
#define HOLE_VA		0x0000000000900000ull	/* nothing mapped */

struct hc_fixture {
	struct fake_mem fm;
	struct vcpu_info vi;
	struct shared_info si;
	struct domain d;
	struct vcpu vcpu;
	struct pv_vcpu *v;
};

static inline struct hc_fixture *hc_fixture_new(void)
{
	struct hc_fixture *f = calloc(1, sizeof(*f));
	uint64_t kcr3;

	fm_init(&f->fm, FM_RAM_PAGES);
	kcr3 = fm_alloc_table(&f->fm);
	fm_map(&f->fm, kcr3, ARG_VA, ARG_PA, FM_LEAF_RW);
	f->d.mem = f->fm.gm;
	f->vcpu.d = &f->d;
	f->v = &f->vcpu.pv;
	pv_vcpu_init(f->v, 0, &f->fm.gm, &f->vi);
	f->v->kernel_cr3 = kcr3;
	f->v->cpu.cr3 = kcr3;
	return f;
}

static inline void hc_fixture_free(struct hc_fixture *f)
{
	fm_free(&f->fm);
	free(f);
}

#endif

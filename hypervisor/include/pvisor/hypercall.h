/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_HYPERCALL_H
#define PVISOR_HYPERCALL_H

#include <limits.h>
#include <stdint.h>

struct vcpu;

#define NR_HYPERCALLS	64
/* A handler that has set the whole vCPU state itself (iret). */
#define HC_NO_RESULT	LONG_MIN

/*
 * A handler that did a bounded share of its work and must run again with
 * the arguments it left in v->hc_cont (Xen's hypercall continuation):
 * the guest re-executes the hypercall, taking events in between, so no
 * guest-chosen size keeps a vCPU in the hypervisor for long.
 */
#define HC_PREEMPTED	(LONG_MIN + 1)

typedef long (*hypercall_fn)(struct vcpu *v, const uint64_t a[6]);

/* Record where to resume: the six arguments of the next call. */
long hypercall_preempt(struct vcpu *v, uint64_t a0, uint64_t a1, uint64_t a2,
		       uint64_t a3, uint64_t a4, uint64_t a5);

/* Execute hypercall nr; returns the value for RAX or HC_NO_RESULT. */
long hypercall_dispatch(struct vcpu *v, uint64_t nr, const uint64_t a[6]);
const char *hypercall_name(uint64_t nr);

/* Handlers, by the file that implements them. */
long do_multicall(struct vcpu *v, const uint64_t a[6]);
long do_console_io(struct vcpu *v, const uint64_t a[6]);
long do_xen_version(struct vcpu *v, const uint64_t a[6]);
long do_sched_op(struct vcpu *v, const uint64_t a[6]);
long do_vm_assist(struct vcpu *v, const uint64_t a[6]);
long do_set_trap_table(struct vcpu *v, const uint64_t a[6]);
long do_set_callbacks(struct vcpu *v, const uint64_t a[6]);
long do_callback_op(struct vcpu *v, const uint64_t a[6]);
long do_stack_switch(struct vcpu *v, const uint64_t a[6]);
long do_set_segment_base(struct vcpu *v, const uint64_t a[6]);
long do_fpu_taskswitch(struct vcpu *v, const uint64_t a[6]);
long do_iret(struct vcpu *v, const uint64_t a[6]);
long do_mmuext_op(struct vcpu *v, const uint64_t a[6]);
long do_update_va_mapping(struct vcpu *v, const uint64_t a[6]);
long do_memory_op(struct vcpu *v, const uint64_t a[6]);
long do_physdev_op(struct vcpu *v, const uint64_t a[6]);
long do_set_debugreg(struct vcpu *v, const uint64_t a[6]);
long do_get_debugreg(struct vcpu *v, const uint64_t a[6]);
long do_mmu_update(struct vcpu *v, const uint64_t a[6]);
long do_update_va_mapping_otherdomain(struct vcpu *v, const uint64_t a[6]);
long do_set_gdt(struct vcpu *v, const uint64_t a[6]);
long do_update_descriptor(struct vcpu *v, const uint64_t a[6]);
long do_event_channel_op(struct vcpu *v, const uint64_t a[6]);
long do_event_channel_op_compat(struct vcpu *v, const uint64_t a[6]);
long do_vcpu_op(struct vcpu *v, const uint64_t a[6]);
long do_set_timer_op(struct vcpu *v, const uint64_t a[6]);

#endif

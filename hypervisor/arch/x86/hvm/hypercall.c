// SPDX-License-Identifier: MIT
/*
 * Hypercalls from HVM/PVH guests: the hypercall page, the MSR that
 * installs it, and dispatch into core/ for the calls that mean the same
 * for every guest type.
 *
 * Which mechanism a VM uses is probed (platform.h, enum plat_hvm_hcall):
 *  - KVM_XEN_HVM_CONFIG + INTERCEPT_HCALL (hosts with CONFIG_KVM_XEN):
 *    KVM handles the MSR write and writes the page itself, with vmcall
 *    on Intel and vmmcall on AMD; calls arrive as KVM_EXIT_XEN.
 *  - otherwise (KVM_CAP_X86_USER_SPACE_MSR + MSR filter): the MSR write
 *    exits to us and we write stubs that end in `out` to a private port,
 *    which exits on VT-x and AMD-V alike, nested or not. vmcall/vmmcall
 *    cannot be used there: KVM answers them itself as KVM hypercalls.
 * Either way a stub is 32 bytes at nr * 32 and preserves the calling
 * convention (arguments in registers, result in EAX/RAX, then ret).
 */
#include <errno.h>
#include <string.h>

#include <pvabi/grant_table.h>
#include <pvabi/memory.h>
#include <pvabi/sched.h>
#include <pvabi/vcpu.h>

#include "pvisor/domain.h"
#include "pvisor/hvm.h"
#include "pvisor/hypercall.h"
#include "pvisor/log.h"

#define STUB_SIZE	32

void hvm_hypercall_page_fill(uint8_t page[4096])
{
	memset(page, 0xcc, 4096);	/* int3 between stubs */
	for (unsigned int nr = 0; nr < 4096 / STUB_SIZE; nr++) {
		uint8_t *s = page + nr * STUB_SIZE;

		s[0] = 0xb8;				/* mov $nr, %eax */
		memcpy(&s[1], &nr, 4);
		s[5] = 0xe7;				/* out %eax, $port */
		s[6] = PLAT_HVM_HCALL_PORT_NR;
		s[7] = 0xc3;				/* ret */
	}
}

int hvm_hypercall_msr_write(struct vcpu *v, uint64_t value)
{
	uint64_t gpa = value & PAGE_MASK;
	uint8_t *page;

	/* Xen: the low bits index pages of a multi-page area; we have one. */
	if (value & ~PAGE_MASK)
		return -EINVAL;
	page = gmem_frame(&v->d->mem, gpa >> PAGE_SHIFT, true);
	if (!page || gpa >> PAGE_SHIFT >= v->d->mem.nr_pages)
		return -EINVAL;
	hvm_hypercall_page_fill(page);
	return 0;
}

/*
 * Guest pointers in hypercall arguments are linear addresses, as on Xen:
 * with paging off they are physical, in long mode they go through the
 * guest's 4- or 5-level tables (pv_read walks them). 32-bit paging is
 * not walked yet: such a guest's pointers fail with -EFAULT.
 */
static void hvm_sync_paging(struct vcpu *v)
{
	const struct cpu_state *c = &v->pv.cpu;

	if (!(c->cr0 & 0x80000000u))			/* PG */
		v->pv.kernel_cr3 = GMEM_CR3_PHYS;
	else if (c->efer & (1u << 10))			/* LMA */
		v->pv.kernel_cr3 = (c->cr3 & PTE_ADDR_MASK) |
			((c->cr4 & (1u << 12)) ? GMEM_CR3_LA57 : 0);	/* LA57 */
	else
		v->pv.kernel_cr3 = PTE_ADDR_MASK;	/* no such frame */
	v->pv.in_kernel = true;
}

static bool hvm_allowed(uint64_t nr, const uint64_t a[6])
{
	switch (nr) {
	case __HYPERVISOR_console_io:
	case __HYPERVISOR_xen_version:
	case __HYPERVISOR_event_channel_op:
	case __HYPERVISOR_hvm_op:
		return true;
	case __HYPERVISOR_grant_table_op:
		/*
		 * The table's own operations; frames are placed through
		 * add_to_physmap. Copies and maps from a translated guest:
		 * not yet.
		 */
		switch ((uint32_t)a[0]) {
		case GNTTABOP_setup_table:
		case GNTTABOP_query_size:
		case GNTTABOP_set_version:
		case GNTTABOP_get_version:
			return true;
		}
		return false;
	case __HYPERVISOR_memory_op:
		/* hvm/memory_op.c sorts them: the map, physmap, balloon. */
		return true;
	case __HYPERVISOR_vcpu_op:
		/* Timers and queries; vCPUs start by INIT/SIPI, not here. */
		switch ((uint32_t)a[0]) {
		case VCPUOP_is_up:
		case VCPUOP_get_runstate_info:
		case VCPUOP_register_vcpu_info:
		case VCPUOP_set_periodic_timer:
		case VCPUOP_stop_periodic_timer:
		case VCPUOP_set_singleshot_timer:
		case VCPUOP_stop_singleshot_timer:
			return true;
		}
		return false;
	case __HYPERVISOR_sched_op:
		/*
		 * poll sleeps in the host until a port is pending (Linux's
		 * PV spinlocks); HVM guests block with hlt, in KVM.
		 */
		return a[0] == SCHEDOP_shutdown || a[0] == SCHEDOP_yield ||
		       a[0] == SCHEDOP_shutdown_code || a[0] == SCHEDOP_poll;
	}
	return false;
}

long hvm_hypercall(struct vcpu *v, uint64_t nr, const uint64_t a[6],
		   bool long_mode, unsigned int cpl)
{
	uint64_t args[6];
	long rc;

	/* As Xen: only the guest kernel may make hypercalls. */
	if (cpl != 0)
		return -EPERM;
	memcpy(args, a, sizeof(args));
	if (!long_mode)
		for (int i = 0; i < 6; i++)
			args[i] = (uint32_t)args[i];
	if (nr >= NR_HYPERCALLS || !hvm_allowed(nr, args)) {
		uint64_t bit = nr < 64 ? 1ull << nr : 0;

		v->stats.hypercalls_bad++;
		if (bit && !(__atomic_fetch_or(&v->d->unimpl_logged, bit,
					       __ATOMIC_RELAXED) & bit))
			dom_log(v->d, LOG_WARN, "hypercall %s (%llu) not "
				"available to %s guests yet: -ENOSYS\n",
				hypercall_name(nr), (unsigned long long)nr,
				domain_type_name(v->d->type));
		return -ENOSYS;
	}
	hvm_sync_paging(v);
	/* What HVM guests ask of memory_op and hvm_op is their own. */
	if (nr == __HYPERVISOR_memory_op)
		return hvm_memory_op(v, args);
	if (nr == __HYPERVISOR_hvm_op)
		return hvm_do_hvm_op(v, args);
	rc = hypercall_dispatch(v, nr, args);
	/*
	 * A continuation runs here until done: the hypercall instruction
	 * cannot be restarted on every path (KVM_EXIT_XEN completes it).
	 * Each round is bounded; a dying domain stops it.
	 */
	while (rc == HC_PREEMPTED && !domain_is_dying(v->d))
		rc = hypercall_dispatch(v, nr, v->hc_cont);
	if (rc == HC_PREEMPTED || rc == HC_NO_RESULT)
		rc = 0;
	return rc;
}

// SPDX-License-Identifier: MIT
/* The hypercall table: every Xen hypercall number, by name. */
#include <errno.h>
#include <string.h>

#include "pvisor/domain.h"
#include "pvisor/grant_table.h"
#include "pvisor/hypercall.h"
#include "pvisor/log.h"

static const char *const hypercall_names[NR_HYPERCALLS] = {
	[__HYPERVISOR_set_trap_table] = "set_trap_table",
	[__HYPERVISOR_mmu_update] = "mmu_update",
	[__HYPERVISOR_set_gdt] = "set_gdt",
	[__HYPERVISOR_stack_switch] = "stack_switch",
	[__HYPERVISOR_set_callbacks] = "set_callbacks",
	[__HYPERVISOR_fpu_taskswitch] = "fpu_taskswitch",
	[__HYPERVISOR_sched_op_compat] = "sched_op_compat",
	[__HYPERVISOR_platform_op] = "platform_op",
	[__HYPERVISOR_set_debugreg] = "set_debugreg",
	[__HYPERVISOR_get_debugreg] = "get_debugreg",
	[__HYPERVISOR_update_descriptor] = "update_descriptor",
	[__HYPERVISOR_memory_op] = "memory_op",
	[__HYPERVISOR_multicall] = "multicall",
	[__HYPERVISOR_update_va_mapping] = "update_va_mapping",
	[__HYPERVISOR_set_timer_op] = "set_timer_op",
	[__HYPERVISOR_event_channel_op_compat] = "event_channel_op_compat",
	[__HYPERVISOR_xen_version] = "xen_version",
	[__HYPERVISOR_console_io] = "console_io",
	[__HYPERVISOR_physdev_op_compat] = "physdev_op_compat",
	[__HYPERVISOR_grant_table_op] = "grant_table_op",
	[__HYPERVISOR_vm_assist] = "vm_assist",
	[__HYPERVISOR_update_va_mapping_otherdomain] =
		"update_va_mapping_otherdomain",
	[__HYPERVISOR_iret] = "iret",
	[__HYPERVISOR_vcpu_op] = "vcpu_op",
	[__HYPERVISOR_set_segment_base] = "set_segment_base",
	[__HYPERVISOR_mmuext_op] = "mmuext_op",
	[__HYPERVISOR_xsm_op] = "xsm_op",
	[__HYPERVISOR_nmi_op] = "nmi_op",
	[__HYPERVISOR_sched_op] = "sched_op",
	[__HYPERVISOR_callback_op] = "callback_op",
	[__HYPERVISOR_xenoprof_op] = "xenoprof_op",
	[__HYPERVISOR_event_channel_op] = "event_channel_op",
	[__HYPERVISOR_physdev_op] = "physdev_op",
	[__HYPERVISOR_hvm_op] = "hvm_op",
	[__HYPERVISOR_sysctl] = "sysctl",
	[__HYPERVISOR_domctl] = "domctl",
	[__HYPERVISOR_kexec_op] = "kexec_op",
	[__HYPERVISOR_tmem_op] = "tmem_op",
	[__HYPERVISOR_argo_op] = "argo_op",
	[__HYPERVISOR_xenpmu_op] = "xenpmu_op",
	[__HYPERVISOR_dm_op] = "dm_op",
	[__HYPERVISOR_hypfs_op] = "hypfs_op",
	[__HYPERVISOR_arch_0] = "arch_0",
	[__HYPERVISOR_arch_1] = "arch_1",
	[__HYPERVISOR_arch_2] = "arch_2",
	[__HYPERVISOR_arch_3] = "arch_3",
	[__HYPERVISOR_arch_4] = "arch_4",
	[__HYPERVISOR_arch_5] = "arch_5",
	[__HYPERVISOR_arch_6] = "arch_6",
	[__HYPERVISOR_arch_7] = "arch_7",
};

static const hypercall_fn hypercall_table[NR_HYPERCALLS] = {
	[__HYPERVISOR_set_trap_table] = do_set_trap_table,
	[__HYPERVISOR_mmu_update] = do_mmu_update,
	[__HYPERVISOR_set_gdt] = do_set_gdt,
	[__HYPERVISOR_stack_switch] = do_stack_switch,
	[__HYPERVISOR_set_callbacks] = do_set_callbacks,
	[__HYPERVISOR_fpu_taskswitch] = do_fpu_taskswitch,
	[__HYPERVISOR_update_descriptor] = do_update_descriptor,
	[__HYPERVISOR_memory_op] = do_memory_op,
	[__HYPERVISOR_multicall] = do_multicall,
	[__HYPERVISOR_update_va_mapping] = do_update_va_mapping,
	[__HYPERVISOR_xen_version] = do_xen_version,
	[__HYPERVISOR_console_io] = do_console_io,
	[__HYPERVISOR_grant_table_op] = do_grant_table_op,
	[__HYPERVISOR_vm_assist] = do_vm_assist,
	[__HYPERVISOR_update_va_mapping_otherdomain] =
		do_update_va_mapping_otherdomain,
	[__HYPERVISOR_iret] = do_iret,
	[__HYPERVISOR_set_segment_base] = do_set_segment_base,
	[__HYPERVISOR_mmuext_op] = do_mmuext_op,
	[__HYPERVISOR_sched_op] = do_sched_op,
	[__HYPERVISOR_callback_op] = do_callback_op,
	[__HYPERVISOR_physdev_op] = do_physdev_op,
	[__HYPERVISOR_set_debugreg] = do_set_debugreg,
	[__HYPERVISOR_get_debugreg] = do_get_debugreg,
	[__HYPERVISOR_set_timer_op] = do_set_timer_op,
	[__HYPERVISOR_event_channel_op_compat] = do_event_channel_op_compat,
	[__HYPERVISOR_vcpu_op] = do_vcpu_op,
	[__HYPERVISOR_event_channel_op] = do_event_channel_op,
};

const char *hypercall_name(uint64_t nr)
{
	if (nr < NR_HYPERCALLS && hypercall_names[nr])
		return hypercall_names[nr];
	return "unknown";
}

long hypercall_dispatch(struct vcpu *v, uint64_t nr, const uint64_t a[6])
{
	struct domain *d = v->d;

	if (nr >= NR_HYPERCALLS) {
		v->stats.hypercalls_bad++;
		return -ENOSYS;
	}
	v->stats.hypercalls[nr]++;
	if (!hypercall_table[nr]) {
		uint64_t bit = 1ull << nr;

		/* Once per domain and number: a guest cannot flood the log. */
		if (!(__atomic_fetch_or(&d->unimpl_logged, bit,
					__ATOMIC_RELAXED) & bit))
			dom_log(d, LOG_WARN,
				"unimplemented hypercall %s (%llu): -ENOSYS\n",
				hypercall_name(nr), (unsigned long long)nr);
		return -ENOSYS;
	}
	return hypercall_table[nr](v, a);
}

long hypercall_preempt(struct vcpu *v, uint64_t a0, uint64_t a1, uint64_t a2,
		       uint64_t a3, uint64_t a4, uint64_t a5)
{
	const uint64_t a[6] = { a0, a1, a2, a3, a4, a5 };

	memcpy(v->hc_cont, a, sizeof(a));
	return HC_PREEMPTED;
}

/*
 * Run a batch of hypercalls, writing each result into its entry. Nested
 * multicalls and iret make no sense inside a batch and are refused. An
 * entry that is preempted keeps its new arguments in the batch, and the
 * batch itself resumes from that entry.
 */
long do_multicall(struct vcpu *v, const uint64_t a[6])
{
	/* The count is an unsigned long, as in Xen 4.19 on (no truncation). */
	uint64_t list = a[0], count = a[1];
	const struct guest_mem *m = &v->d->mem;

	/*
	 * Xen's guest_handle_okay first: a list in no guest's address range
	 * (only its start is looked at), or a count whose size overflows,
	 * is -EFAULT even for 0 calls.
	 */
	if (!x86_is_canonical(list) ||
	    (list >= m->reserved_va_start && list < m->reserved_va_end) ||
	    count >= ~0ull / sizeof(struct multicall_entry))
		return -EFAULT;

	for (uint64_t i = 0; i < count; i++) {
		uint64_t va = list + i * sizeof(struct multicall_entry);
		struct multicall_entry e;
		long rc;

		if (domain_is_dying(v->d))
			return 0;
		if (pv_read(&v->pv, va, &e, sizeof(e)))
			return -EFAULT;
		if (e.op == __HYPERVISOR_multicall || e.op == __HYPERVISOR_iret)
			rc = -EINVAL;
		else
			rc = hypercall_dispatch(v, e.op, (const uint64_t *)e.args);
		if (rc == HC_PREEMPTED) {
			if (pv_write(&v->pv, va + offsetof(struct multicall_entry,
							   args),
				     v->hc_cont, sizeof(e.args)))
				return -EFAULT;
			return hypercall_preempt(v, va, count - i, 0, 0, 0, 0);
		}
		e.result = (xen_ulong_t)rc;
		if (pv_write(&v->pv, va + offsetof(struct multicall_entry, result),
			     &e.result, sizeof(e.result)))
			return -EFAULT;
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * hostile: hypercalls with bad arguments must fail with an error and
 * leave the domain running.  Bad pointers (NULL, non-canonical, inside
 * the hypervisor hole, unmapped, read-only for an output), runaway counts
 * that run into an unmapped guard page, unknown hypercall numbers and
 * unknown sub-ops.  The expected value in each line is what Xen returns;
 * the check itself only asks for an error unless the ABI pins the value.
 * Cases where Xen would crash the domain (bad iret frames, bad kernel
 * stacks) are left out.
 */
#include <pvabi/callback.h>
#include <pvabi/event_channel.h>
#include <pvabi/grant_table.h>
#include <pvabi/memory.h>
#include <pvabi/physdev.h>
#include <pvabi/sched.h>
#include <pvabi/vcpu.h>
#include <pvabi/version.h>

#include <pvguest/pvguest.h>

#define P_NULL		0UL
#define P_NONCANON	0x8000000000000000UL
#define P_HV_START	0xffff800000000000UL	/* first byte of the hole */
#define P_HV_LAST	0xffff87fffffff000UL	/* last page of the hole */
#define P_LOW		0x1000UL		/* nothing mapped there */

/* Page 0 holds data, page 1 is unmapped: a guard for runaway counts. */
static uint8_t pages[2][PAGE_SIZE] __page_aligned;
static uint8_t ro_page[PAGE_SIZE] __page_aligned;
static uint8_t scratch[PAGE_SIZE] __page_aligned;
static void *guard;

static void err(const char *what, long rc, const char *xen)
{
	check(rc < 0, "%-58s -> %4ld (Xen: %s)", what, rc, xen);
}

static void exact(const char *what, long rc, long want, const char *xen)
{
	check(rc == want, "%-58s -> %4ld (Xen: %s)", what, rc, xen);
}

/*
 * Xen semantics pvisor does not implement yet, with the issue that will:
 * reported on every run, never counted as a pass.
 */
static __attribute__((unused)) void gap(const char *what, long rc,
					const char *xen, const char *issue)
{
	printk("  gap     %-58s -> %4ld (Xen: %s; pending: %s)\n", what, rc,
	       xen, issue);
}

static void info(const char *what, long rc)
{
	printk("  info    %-58s -> %4ld\n", what, rc);
}

static void bad_numbers(void)
{
	exact("hypercall 64", pv_hypercall0(64), -XEN_ENOSYS, "-ENOSYS");
	exact("hypercall 55 (arch_7, unused)", pv_hypercall0(55), -XEN_ENOSYS,
	      "-ENOSYS");
	exact("hypercall 1000", pv_hypercall0(1000), -XEN_ENOSYS, "-ENOSYS");
	exact("hypercall -1", pv_hypercall0(~0UL), -XEN_ENOSYS, "-ENOSYS");
	exact("hypercall 0x100000011 (xen_version + high bits)",
	      pv_hypercall2(0x100000011UL, XENVER_version, 0), -XEN_ENOSYS,
	      "-ENOSYS");
}

static void bad_subops(void)
{
	struct callback_register cb = {
		.type = 99, .address = (uint64_t)(uintptr_t)pvguest_entry_event,
	};
	struct mmuext_op op = { .cmd = 99 };

	err("xen_version(999)", HYPERVISOR_xen_version(999, NULL), "-ENOSYS");
	err("sched_op(99)", HYPERVISOR_sched_op(99, NULL), "-ENOSYS");
	err("memory_op(99)", HYPERVISOR_memory_op(99, NULL), "-ENOSYS");
	err("vcpu_op(99, 0)", HYPERVISOR_vcpu_op(99, 0, NULL), "-ENOSYS");
	err("callback_op(99)", HYPERVISOR_callback_op(99, NULL), "-ENOSYS");
	err("callback_op(register, type 99)",
	    HYPERVISOR_callback_op(CALLBACKOP_register, &cb), "-ENOSYS");
	err("event_channel_op(99)", HYPERVISOR_event_channel_op(99, NULL),
	    "-ENOSYS");
	err("grant_table_op(99)", HYPERVISOR_grant_table_op(99, NULL, 1),
	    "-ENOSYS");
	err("physdev_op(999)", HYPERVISOR_physdev_op(999, NULL), "-ENOSYS");
	err("console_io(99)", HYPERVISOR_console_io(99, 0, NULL), "-ENOSYS");
	err("mmuext_op(cmd 99)", HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF),
	    "-ENOSYS");
	err("vm_assist(cmd 7)", HYPERVISOR_vm_assist(7, 0), "-ENOSYS");
	err("vm_assist(enable, type 63)",
	    HYPERVISOR_vm_assist(VMASST_CMD_enable, 63), "-EINVAL");
	err("set_segment_base(99)", HYPERVISOR_set_segment_base(99, 0),
	    "-EINVAL");
	err("set_segment_base(GS_KERNEL, non-canonical)",
	    HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, P_NONCANON),
	    "-EINVAL");
	err("set_segment_base(FS, non-canonical)",
	    HYPERVISOR_set_segment_base(SEGBASE_FS, P_NONCANON), "-EINVAL");
}

/* Xen's exact values for the PV ABI's odd corners (physdev, callbacks). */
static void exact_codes(void)
{
	struct callback_unregister unreg = { .type = CALLBACKTYPE_syscall };
	struct callback_register cb = { .type = 99, .address = P_NONCANON };
	struct physdev_apic apic = { 0 };
	struct physdev_eoi eoi = { .irq = 0 };
	struct xen_memory_map map = { .nr_entries = 0 };
	domid_t io = DOMID_IO, self = DOMID_SELF;
	long rc;

	exact("callback_op(unregister syscall)",
	      HYPERVISOR_callback_op(CALLBACKOP_unregister, &unreg),
	      -XEN_EINVAL, "-EINVAL");
	exact("callback_op(register, type 99, non-canonical)",
	      HYPERVISOR_callback_op(CALLBACKOP_register, &cb), -XEN_EINVAL,
	      "-EINVAL: the address is checked first");
	exact("set_callbacks(non-canonical everywhere)",
	      pv_hypercall3(__HYPERVISOR_set_callbacks, P_NONCANON,
			    P_NONCANON, P_NONCANON), 0,
	      "0: failures ignored");
	exact("set_segment_base(GS_USER_SEL, 0x10000)",
	      HYPERVISOR_set_segment_base(SEGBASE_GS_USER_SEL, 0x10000), 0,
	      "0: never fails");
	exact("physdev_op(eoi, pirq 0)",
	      HYPERVISOR_physdev_op(PHYSDEVOP_eoi, &eoi), -XEN_EINVAL,
	      "-EINVAL");
	exact("physdev_op(eoi, NULL)",
	      HYPERVISOR_physdev_op(PHYSDEVOP_eoi, NULL), -XEN_EFAULT,
	      "-EFAULT");
	exact("physdev_op(apic_read)",
	      HYPERVISOR_physdev_op(PHYSDEVOP_apic_read, &apic), -XEN_EPERM,
	      "-EPERM");
	exact("physdev_op(apic_write, NULL)",
	      HYPERVISOR_physdev_op(PHYSDEVOP_apic_write, NULL), -XEN_EFAULT,
	      "-EFAULT");
	exact("physdev_op(dbgp_op, NULL)",
	      HYPERVISOR_physdev_op(PHYSDEVOP_dbgp_op, NULL), -XEN_EPERM,
	      "-EPERM");
	exact("physdev_op(IRQ_UNMASK_NOTIFY)",
	      HYPERVISOR_physdev_op(PHYSDEVOP_IRQ_UNMASK_NOTIFY, NULL), 0,
	      "0");
	exact("vcpu_op(send_nmi, 0, non-NULL)",
	      HYPERVISOR_vcpu_op(VCPUOP_send_nmi, 0, &map), -XEN_EINVAL,
	      "-EINVAL");
	exact("vcpu_op(is_up, 1 << 32): vCPU 0",
	      pv_hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 1UL << 32, 0),
	      1, "1: vcpuid is an unsigned int");
	exact("vm_assist(disable, m2p_strict + 1 << 32)",
	      pv_hypercall2(__HYPERVISOR_vm_assist, VMASST_CMD_disable,
			    (1UL << 32) | VMASST_TYPE_m2p_strict), 0,
	      "0: type is an unsigned int");
	exact("memory_op(current_reservation, DOMID_IO)",
	      HYPERVISOR_memory_op(XENMEM_current_reservation, &io),
	      -XEN_ESRCH, "-ESRCH");
	rc = HYPERVISOR_memory_op(XENMEM_maximum_gpfn, &self);
	check(rc >= 0, "%-58s -> %4ld (Xen: max_pfn - 1 from shared_info)",
	      "memory_op(maximum_gpfn, DOMID_SELF)", rc);
	exact("memory_op(memory_map, 0 entries)",
	      HYPERVISOR_memory_op(XENMEM_memory_map, &map), 0, "0");
	check(map.nr_entries == 0, "  ... nr_entries stays 0 (%u)",
	      map.nr_entries);
}

static void bad_console_pointers(void)
{
	const char *g = guard;

	err("console_io(write, 16, NULL)",
	    HYPERVISOR_console_io(CONSOLEIO_write, 16, (char *)P_NULL),
	    "-EFAULT");
	err("console_io(write, 16, non-canonical)",
	    HYPERVISOR_console_io(CONSOLEIO_write, 16, (char *)P_NONCANON),
	    "-EFAULT");
	err("console_io(write, 16, hypervisor hole start)",
	    HYPERVISOR_console_io(CONSOLEIO_write, 16, (char *)P_HV_START),
	    "-EFAULT");
	err("console_io(write, 16, hypervisor hole end)",
	    HYPERVISOR_console_io(CONSOLEIO_write, 16, (char *)P_HV_LAST),
	    "-EFAULT");
	err("console_io(write, 16, unmapped 0x1000)",
	    HYPERVISOR_console_io(CONSOLEIO_write, 16, (char *)P_LOW),
	    "-EFAULT");
	if (guard)
		err("console_io(write, 0x7fffffff, runs into guard page)",
		    HYPERVISOR_console_io(CONSOLEIO_write, 0x7fffffff,
					  g - 32), "-EFAULT");
	info("console_io(write, 0, NULL)",
	     HYPERVISOR_console_io(CONSOLEIO_write, 0, NULL));
}

static void bad_trap_tables(void)
{
	struct trap_info bad[2] = {
		{ .vector = 0xf0, .address = P_NONCANON },
		{ .address = 0 },
	};

	err("set_trap_table(non-canonical)",
	    HYPERVISOR_set_trap_table((void *)P_NONCANON), "-EFAULT");
	err("set_trap_table(hypervisor hole)",
	    HYPERVISOR_set_trap_table((void *)P_HV_START), "-EFAULT");
	err("set_trap_table(unmapped)",
	    HYPERVISOR_set_trap_table((void *)P_LOW), "-EFAULT");
	err("set_trap_table(entry with non-canonical handler)",
	    HYPERVISOR_set_trap_table(bad), "-EINVAL");
	if (guard) {
		/* No terminator before the guard page: a runaway table. */
		struct trap_info *t = (struct trap_info *)pages[0];
		unsigned int i;

		for (i = 0; i < PAGE_SIZE / sizeof(*t); i++)
			t[i] = (struct trap_info){
				.vector = 0xf0, .flags = 0, .cs = FLAT_KERNEL_CS,
				.address = (uint64_t)(uintptr_t)pvguest_entry_event,
			};
		err("set_trap_table(256 entries, unterminated, into guard)",
		    HYPERVISOR_set_trap_table(t), "-EFAULT");
	}
	/* Whatever happened, our own table must be back in force. */
	exact("set_trap_table(our table) again", trap_init(), 0, "0");
}

static void bad_multicalls(void)
{
	struct multicall_entry mc[3];
	long rc;

	err("multicall(NULL, 1)", HYPERVISOR_multicall(NULL, 1), "-EFAULT");
	err("multicall(non-canonical, 1)",
	    HYPERVISOR_multicall((void *)P_NONCANON, 1), "-EFAULT");
	err("multicall(hypervisor hole, 1)",
	    HYPERVISOR_multicall((void *)P_HV_START, 1), "-EFAULT");
	if (guard) {
		struct multicall_entry *last =
			(struct multicall_entry *)((uint8_t *)guard - sizeof(*last));

		pv_multicall_set(last, __HYPERVISOR_xen_version, XENVER_version,
				 0, 0, 0, 0, 0);
		err("multicall(1 entry before guard, count 0xffffffff)",
		    HYPERVISOR_multicall(last, 0xffffffffU), "-EFAULT");
		err("multicall(1 entry before guard, count 2)",
		    HYPERVISOR_multicall(last, 2), "-EFAULT");
		exact("multicall(1 entry before guard, count 2^32 + 1)",
		      pv_hypercall2(__HYPERVISOR_multicall, last,
				    (1UL << 32) | 1), -XEN_EFAULT,
		      "-EFAULT: the count is not truncated");
	}
	exact("multicall(hypervisor hole, 0)",
	      HYPERVISOR_multicall((void *)P_HV_START, 0), -XEN_EFAULT,
	      "-EFAULT: the handle is checked first");
	exact("multicall(non-canonical, 0)",
	      HYPERVISOR_multicall((void *)P_NONCANON, 0), -XEN_EFAULT,
	      "-EFAULT");

	/* Bad entries inside a good batch: each fails alone. */
	pv_multicall_set(&mc[0], 1000, 0, 0, 0, 0, 0, 0);
	pv_multicall_set(&mc[1], ~0UL, 0, 0, 0, 0, 0, 0);
	pv_multicall_set(&mc[2], __HYPERVISOR_console_io, CONSOLEIO_write, 16,
			 P_HV_START, 0, 0, 0);
	rc = HYPERVISOR_multicall(mc, 3);
	exact("multicall of 3 bad entries", rc, 0, "0");
	exact("  entry op 1000", (long)mc[0].result, -XEN_ENOSYS, "-ENOSYS");
	exact("  entry op -1", (long)mc[1].result, -XEN_ENOSYS, "-ENOSYS");
	err("  entry console_io(hypervisor hole)", (long)mc[2].result,
	    "-EFAULT");

	/* A multicall inside a multicall. */
	pv_multicall_set(&mc[1], __HYPERVISOR_xen_version, XENVER_version, 0,
			 0, 0, 0, 0);
	pv_multicall_set(&mc[0], __HYPERVISOR_multicall,
			 (uint64_t)(uintptr_t)&mc[1], 1, 0, 0, 0, 0);
	rc = HYPERVISOR_multicall(mc, 1);
	info("multicall containing a multicall", rc);
	info("  nested entry result", (long)mc[0].result);
}

static void bad_output_pointers(void)
{
	struct vcpu_register_vcpu_info vi;
	xen_extraversion_t *ro = (xen_extraversion_t *)ro_page;
	unsigned int i;
	bool untouched = true;

	err("xen_version(extraversion, NULL)",
	    HYPERVISOR_xen_version(XENVER_extraversion, NULL), "-EFAULT");
	err("xen_version(get_features, hypervisor hole)",
	    HYPERVISOR_xen_version(XENVER_get_features, (void *)P_HV_START),
	    "-EFAULT");
	err("xen_version(get_features, non-canonical)",
	    HYPERVISOR_xen_version(XENVER_get_features, (void *)P_NONCANON),
	    "-EFAULT");
	if (set_page_readonly(ro_page) == 0) {
		err("xen_version(extraversion, read-only page)",
		    HYPERVISOR_xen_version(XENVER_extraversion, ro), "-EFAULT");
		for (i = 0; i < PAGE_SIZE; i++)
			untouched &= ro_page[i] == 0;
		check(untouched, "read-only page left untouched");
	}
	err("memory_op(machphys_mapping, hypervisor hole)",
	    HYPERVISOR_memory_op(XENMEM_machphys_mapping, (void *)P_HV_START),
	    "-EFAULT");
	err("memory_op(memory_map, NULL)",
	    HYPERVISOR_memory_op(XENMEM_memory_map, NULL), "-EFAULT");
	err("vcpu_op(register_runstate_memory_area, 0, NULL)",
	    HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0, NULL),
	    "-EFAULT");
	err("vcpu_op(is_up, 5000)", HYPERVISOR_vcpu_op(VCPUOP_is_up, 5000, NULL),
	    "-ENOENT");
	err("vcpu_op(is_up, -1)",
	    HYPERVISOR_vcpu_op(VCPUOP_is_up, 0xffffffffU, NULL), "-ENOENT");
	vi = (struct vcpu_register_vcpu_info){ .mfn = ~0UL, .offset = 0 };
	err("vcpu_op(register_vcpu_info, mfn ~0)",
	    HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, &vi), "-EINVAL");
	vi = (struct vcpu_register_vcpu_info){
		.mfn = virt_to_mfn(scratch), .offset = PAGE_SIZE - 8,
	};
	err("vcpu_op(register_vcpu_info, crossing a page)",
	    HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, &vi), "-EINVAL");
	err("physdev_op(set_iopl, NULL)",
	    HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, NULL), "-EFAULT");
}

static void bad_callbacks_and_events(void)
{
	struct callback_register cb = {
		.type = CALLBACKTYPE_syscall, .address = P_NONCANON,
	};
	struct evtchn_send send = { .port = 5000 };
	struct evtchn_close close = { .port = 0 };
	struct evtchn_bind_virq bind = { .virq = 99, .vcpu = 0 };
	struct gnttab_setup_table setup = { .dom = DOMID_SELF, .nr_frames = 1 };

	err("callback_op(register, NULL)",
	    HYPERVISOR_callback_op(CALLBACKOP_register, NULL), "-EFAULT");
	err("callback_op(register syscall, non-canonical address)",
	    HYPERVISOR_callback_op(CALLBACKOP_register, &cb), "-EINVAL");
	err("event_channel_op(send, NULL)",
	    HYPERVISOR_event_channel_op(EVTCHNOP_send, NULL), "-EFAULT");
	err("event_channel_op(send, port 5000)",
	    HYPERVISOR_event_channel_op(EVTCHNOP_send, &send), "-EINVAL");
	err("event_channel_op(close, port 0)",
	    HYPERVISOR_event_channel_op(EVTCHNOP_close, &close), "-EINVAL");
	err("event_channel_op(bind_virq, virq 99)",
	    HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bind), "-EINVAL");
	err("grant_table_op(setup_table, NULL, 1)",
	    HYPERVISOR_grant_table_op(GNTTABOP_setup_table, NULL, 1), "-EFAULT");
	err("grant_table_op(setup_table, count 0x80000000)",
	    HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &setup,
				      0x80000000U), "-EINVAL");
	err("sched_op(shutdown, NULL)",
	    HYPERVISOR_sched_op(SCHEDOP_shutdown, NULL), "-EFAULT");
	err("sched_op(shutdown, hypervisor hole)",
	    HYPERVISOR_sched_op(SCHEDOP_shutdown, (void *)P_HV_START),
	    "-EFAULT");
	err("sched_op(poll, NULL)", HYPERVISOR_sched_op(SCHEDOP_poll, NULL),
	    "-EFAULT");
}

static void bad_mmu(const struct start_info *si)
{
	long rc;
	struct mmu_update mu;
	struct mmuext_op op;
	uint64_t ram_end = si->nr_pages + 0x100000;

	exact("mmu_update(NULL, 1)",
	      HYPERVISOR_mmu_update(NULL, 1, NULL, DOMID_SELF), -XEN_EFAULT,
	      "-EFAULT");
	mu = (struct mmu_update){ .ptr = (ram_end << PAGE_SHIFT) |
					 MMU_NORMAL_PT_UPDATE, .val = 0 };
	exact("mmu_update(PTE address far beyond RAM)",
	      HYPERVISOR_mmu_update(&mu, 1, NULL, DOMID_SELF), -XEN_EINVAL,
	      "-EINVAL");
	mu = (struct mmu_update){ .ptr = (virt_to_mfn(scratch) << PAGE_SHIFT) |
					 MMU_NORMAL_PT_UPDATE, .val = 0 };
	exact("mmu_update(on behalf of domain 1234)",
	      HYPERVISOR_mmu_update(&mu, 1, NULL, 1234), -XEN_ESRCH, "-ESRCH");
	if (guard) {
		struct mmuext_op *last =
			(struct mmuext_op *)((uint8_t *)guard - sizeof(*last));

		*last = (struct mmuext_op){ .cmd = MMUEXT_TLB_FLUSH_LOCAL };
		err("mmuext_op(1 op before guard, count 0x7fffffff)",
		    HYPERVISOR_mmuext_op(last, 0x7fffffff, NULL, DOMID_SELF),
		    "-EFAULT");
	}
	err("mmuext_op(NULL, 1)",
	    HYPERVISOR_mmuext_op(NULL, 1, NULL, DOMID_SELF), "-EFAULT");
	op = (struct mmuext_op){ .cmd = MMUEXT_UNPIN_TABLE };
	op.arg1.mfn = virt_to_mfn(scratch);
	err("mmuext_op(UNPIN a frame never pinned)",
	    HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), "-EINVAL");
	op = (struct mmuext_op){ .cmd = MMUEXT_PIN_L4_TABLE };
	op.arg1.mfn = virt_to_mfn(scratch);
	rc = HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
	/* A writable mapping holds the frame's type: it cannot be a table. */
	exact("mmuext_op(PIN_L4 of a writably mapped data page)", rc,
	      -XEN_EINVAL, "-EINVAL");
	if (rc == 0) {
		op = (struct mmuext_op){ .cmd = MMUEXT_UNPIN_TABLE };
		op.arg1.mfn = virt_to_mfn(scratch);
		exact("  undo: mmuext_op(UNPIN the data page)",
		      HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), 0, "0");
	}
	op = (struct mmuext_op){ .cmd = MMUEXT_NEW_BASEPTR };
	op.arg1.mfn = ~0UL >> 12;
	err("mmuext_op(NEW_BASEPTR to a nonexistent frame)",
	    HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), "-EINVAL");

	err("update_va_mapping(non-canonical va)",
	    HYPERVISOR_update_va_mapping(P_NONCANON, 0, UVMF_INVLPG), "-EINVAL");
	err("update_va_mapping(hypervisor hole va)",
	    HYPERVISOR_update_va_mapping(P_HV_START, 0, UVMF_INVLPG), "-EINVAL");
	err("update_va_mapping(va with no L1 table, 0x1000)",
	    HYPERVISOR_update_va_mapping(P_LOW,
					 (virt_to_mfn(scratch) << PAGE_SHIFT) |
					 _PAGE_PRESENT, UVMF_INVLPG), "-EINVAL");
	exact("update_va_mapping(map a frame far beyond RAM)",
	      HYPERVISOR_update_va_mapping((unsigned long)scratch,
					   (ram_end << PAGE_SHIFT) |
					   _PAGE_PRESENT | _PAGE_RW,
					   UVMF_INVLPG), -XEN_EPERM, "-EPERM");
	exact("update_va_mapping(RW mapping of the L4 in use as CR3)",
	      HYPERVISOR_update_va_mapping((unsigned long)scratch,
					   (virt_to_mfn((void *)si->pt_base)
					    << PAGE_SHIFT) | _PAGE_PRESENT |
					   _PAGE_RW | _PAGE_ACCESSED,
					   UVMF_INVLPG),
	      -XEN_EBUSY, "-EBUSY");
	/* scratch must still be the ordinary page it was. */
	exact("update_va_mapping(scratch back to itself)",
	      set_page_writable(scratch), 0, "0");
	err("set_gdt(NULL, 1 entry)", HYPERVISOR_set_gdt(NULL, 1), "-EFAULT");
	err("set_gdt(8000 entries)",
	    HYPERVISOR_set_gdt((xen_pfn_t *)pages[0], 8000), "-EINVAL");
	err("update_descriptor(misaligned address)",
	    HYPERVISOR_update_descriptor((virt_to_mfn(scratch) << PAGE_SHIFT) + 3,
					 0), "-EINVAL");
	err("update_descriptor(address beyond RAM)",
	    HYPERVISOR_update_descriptor(ram_end << PAGE_SHIFT, 0), "-EINVAL");
}

void guest_main(struct start_info *si)
{
	struct sched_remote_shutdown rs = {
		.domain_id = 0, .reason = SHUTDOWN_poweroff,
	};
	unsigned long traps_before;
	long rc;

	test_start("hostile");
	rc = trap_init();
	if (!check(rc == 0, "set_trap_table = %ld", rc))
		test_end();
	rc = unmap_page(pages[1]);
	if (check(rc == 0, "unmap the guard page (update_va_mapping) = %ld", rc))
		guard = pages[1];

	bad_numbers();
	bad_subops();
	exact_codes();
	bad_console_pointers();
	bad_trap_tables();
	bad_multicalls();
	bad_output_pointers();
	bad_callbacks_and_events();
	bad_mmu(si);

	/* Last: if this one wrongly succeeds it takes dom0 with it. */
	err("sched_op(remote_shutdown, domain 0)",
	    HYPERVISOR_sched_op(SCHEDOP_remote_shutdown, &rs), "-EPERM");

	traps_before = pvguest_last_trap.count;
	asm volatile("int3" : : : "memory");
	check(pvguest_last_trap.count == traps_before + 1,
	      "still alive: console works and int3 is still delivered");
	test_end();
}

/* SPDX-License-Identifier: MIT */
/*
 * multicall: a batch of hypercalls through __HYPERVISOR_multicall runs in
 * order, every entry gets its own result (failures included, and they do
 * not stop the batch), and the multicall itself returns 0.  Also batches
 * update_va_mapping the way Linux does at context switch.
 */
#include <pvabi/sched.h>
#include <pvabi/version.h>

#include <pvguest/pvguest.h>

#define MARKER	0x5eed5eed5eed5eedUL

static const char line1[] = "multicall: console write from entry 1\n";
static const char line2[] = "multicall: console write from entry 4 (after a failing entry)\n";
static xen_extraversion_t extra;
static uint8_t scratch[2][PAGE_SIZE] __page_aligned;

static uint64_t pte_of(void *va, uint64_t flags)
{
	return (virt_to_mfn(va) << PAGE_SHIFT) | flags;
}

static bool write_faults(void *va)
{
	volatile struct trap_record *t = &pvguest_last_trap;
	unsigned long before = t->count;

	asm volatile("1: movb $1, (%0)\n"
		     "2:\n\t"
		     PV_EXTABLE("1b", "2b")
		     : : "r"(va) : "memory");
	return t->count == before + 1 && t->regs.vector == 14;
}

static void test_batch(void)
{
	struct multicall_entry mc[10];
	long ver = HYPERVISOR_xen_version(XENVER_version, NULL);
	const uint64_t rw = _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED |
			    _PAGE_DIRTY;
	long rc;
	unsigned int i;

	pv_multicall_set(&mc[0], __HYPERVISOR_xen_version, XENVER_version, 0,
			 0, 0, 0, 0);
	pv_multicall_set(&mc[1], __HYPERVISOR_console_io, CONSOLEIO_write,
			 sizeof(line1) - 1, (uint64_t)(uintptr_t)line1, 0, 0, 0);
	pv_multicall_set(&mc[2], __HYPERVISOR_vm_assist, VMASST_CMD_enable,
			 VMASST_TYPE_writable_pagetables, 0, 0, 0, 0);
	pv_multicall_set(&mc[3], 64, 1, 2, 3, 4, 5, 6);
	pv_multicall_set(&mc[4], __HYPERVISOR_console_io, CONSOLEIO_write,
			 sizeof(line2) - 1, (uint64_t)(uintptr_t)line2, 0, 0, 0);
	pv_multicall_set(&mc[5], __HYPERVISOR_xen_version,
			 XENVER_extraversion, (uint64_t)(uintptr_t)extra, 0, 0,
			 0, 0);
	pv_multicall_set(&mc[6], __HYPERVISOR_vm_assist, VMASST_CMD_enable, 31,
			 0, 0, 0, 0);
	pv_multicall_set(&mc[7], __HYPERVISOR_update_va_mapping,
			 (uint64_t)(uintptr_t)scratch[0], pte_of(scratch[0], rw),
			 UVMF_INVLPG, 0, 0, 0);
	pv_multicall_set(&mc[8], __HYPERVISOR_sched_op, SCHEDOP_yield, 0,
			 0, 0, 0, 0);
	pv_multicall_set(&mc[9], __HYPERVISOR_console_io, CONSOLEIO_write, 8,
			 0, 0, 0, 0);
	memset(extra, 0x7f, sizeof(extra));

	rc = HYPERVISOR_multicall(mc, ARRAY_SIZE(mc));
	check(rc == 0, "multicall of %zu entries returned %ld",
	      ARRAY_SIZE(mc), rc);
	for (i = 0; i < ARRAY_SIZE(mc); i++)
		printk("  entry %u: op %2lu -> result %ld\n", i, mc[i].op,
		       (long)mc[i].result);

	check((long)mc[0].result == ver && ver > 0,
	      "entry 0 xen_version = %#lx (direct call: %#lx)",
	      mc[0].result, ver);
	check((long)mc[1].result >= 0, "entry 1 console_io write = %ld",
	      (long)mc[1].result);
	check(mc[2].result == 0,
	      "entry 2 vm_assist(enable, writable_pagetables) = %ld",
	      (long)mc[2].result);
	check((long)mc[3].result == -XEN_ENOSYS,
	      "entry 3 hypercall 64 = %ld (want -ENOSYS)", (long)mc[3].result);
	check((long)mc[4].result >= 0,
	      "entry 4 console_io after a failing entry = %ld",
	      (long)mc[4].result);
	check(mc[5].result == 0 && strnlen(extra, sizeof(extra)) < sizeof(extra),
	      "entry 5 xen_version(extraversion) = %ld, \"%s\"",
	      (long)mc[5].result, mc[5].result == 0 ? extra : "");
	check((long)mc[6].result == -XEN_EINVAL,
	      "entry 6 vm_assist(enable, 31) = %ld (want -EINVAL)",
	      (long)mc[6].result);
	check(mc[7].result == 0, "entry 7 update_va_mapping = %ld",
	      (long)mc[7].result);
	check(mc[8].result == 0, "entry 8 sched_op(yield) = %ld",
	      (long)mc[8].result);
	check((long)mc[9].result == -XEN_EFAULT,
	      "entry 9 console_io(write, NULL) = %ld (want -EFAULT)",
	      (long)mc[9].result);
}

static void test_va_batch(void)
{
	const uint64_t ro = _PAGE_PRESENT | _PAGE_ACCESSED;
	const uint64_t rw = ro | _PAGE_RW | _PAGE_DIRTY;
	struct multicall_entry mc[2];
	long rc;

	pv_multicall_set(&mc[0], __HYPERVISOR_update_va_mapping,
			 (uint64_t)(uintptr_t)scratch[0], pte_of(scratch[0], ro),
			 UVMF_NONE, 0, 0, 0);
	pv_multicall_set(&mc[1], __HYPERVISOR_update_va_mapping,
			 (uint64_t)(uintptr_t)scratch[1], pte_of(scratch[1], ro),
			 UVMF_TLB_FLUSH | UVMF_LOCAL, 0, 0, 0);
	rc = HYPERVISOR_multicall(mc, 2);
	check(rc == 0 && mc[0].result == 0 && mc[1].result == 0,
	      "batched update_va_mapping to read-only: %ld, %ld, %ld", rc,
	      (long)mc[0].result, (long)mc[1].result);
	check(write_faults(scratch[0]) && write_faults(scratch[1]),
	      "both pages now fault on write");

	pv_multicall_set(&mc[0], __HYPERVISOR_update_va_mapping,
			 (uint64_t)(uintptr_t)scratch[0], pte_of(scratch[0], rw),
			 UVMF_INVLPG, 0, 0, 0);
	pv_multicall_set(&mc[1], __HYPERVISOR_update_va_mapping,
			 (uint64_t)(uintptr_t)scratch[1], pte_of(scratch[1], rw),
			 UVMF_INVLPG, 0, 0, 0);
	rc = HYPERVISOR_multicall(mc, 2);
	check(rc == 0 && mc[0].result == 0 && mc[1].result == 0,
	      "batched update_va_mapping back to writable: %ld, %ld, %ld", rc,
	      (long)mc[0].result, (long)mc[1].result);
	check(!write_faults(scratch[0]) && !write_faults(scratch[1]) &&
	      scratch[0][0] == 1 && scratch[1][0] == 1,
	      "both pages writable again");
}

void guest_main(struct start_info *si)
{
	long rc;

	test_start("multicall");
	rc = trap_init();
	if (!check(rc == 0, "set_trap_table = %ld", rc))
		test_end();

	rc = HYPERVISOR_multicall(NULL, 0);
	check(rc == 0, "empty multicall = %ld", rc);
	test_batch();
	test_va_batch();
	test_end();
}

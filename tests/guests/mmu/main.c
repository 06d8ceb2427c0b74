/* SPDX-License-Identifier: MIT */
/*
 * mmu: the PV MMU with Xen's semantics.  Page types and pinning of L1
 * to L4 (recursive validation, one type at a time, RW mappings refused
 * while a frame is a table and the other way round), validated
 * mmu_update / update_va_mapping with Xen's error codes, the reserved
 * L4 slots, kernel and user page-table roots, writable-page-table
 * emulation of the instructions Linux uses (mov, xchg, lock andb,
 * lock btr/bts, cmpxchg), the page operations of mmuext_op, and the
 * descriptor tables (set_gdt, update_descriptor, a GDT selector loaded
 * through the iret hypercall).
 *
 * Every change is checked through the MMU itself, not just by reading
 * the tables back: a mapping that only changed in memory but not in
 * the VM's (shadow) MMU shows up as a stale read.
 *
 * Command line "bench=N" adds timings (BENCH lines, as tests/guests/bench
 * prints them); "only=NAME" runs that one timing and nothing else.
 */
#include <pvabi/memory.h>
#include <pvabi/version.h>

#include <pvguest/user.h>

#define PTE_K		(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)
#define PTE_KRO		(_PAGE_PRESENT | _PAGE_ACCESSED)
#define PTE_U		(PTE_K | _PAGE_USER)
#define PTE_URO		(PTE_KRO | _PAGE_USER)
#define GUEST_KERNEL	(1UL << 52)
#define PCD		0x010UL
#define PAT_PSE		0x080UL
#define NX		(1UL << 63)
#define GLOBAL		0x100UL

#define LINK_SLOT	500UL	/* an unused slot of the kernel's L2 */
#define TVA		(PVGUEST_VIRT_BASE + LINK_SLOT * (1UL << 21))
#define PAT1		0x1111111111111111UL
#define PAT2		0x2222222222222222UL
#define PAT3		0x3333333333333333UL

enum {
	T1, T2, D1, D2, D3, UL4, UL3, UL2, UL1, UDATA, GDT, K4, SPARE,
	NR_POOL
};
static uint8_t pool[NR_POOL][PAGE_SIZE] __page_aligned;

/* Frame numbers are pfns here: pvisor's P2M is the identity. */
static uint64_t mfn(unsigned int i)
{
	return virt_to_mfn(pool[i]);
}

static uint64_t *tab(unsigned int i)
{
	return (uint64_t *)pool[i];
}

static void *mfn_va(uint64_t m)
{
	return (void *)(PVGUEST_VIRT_BASE + (m << PAGE_SHIFT));
}

static long mmu1(uint64_t ptr, uint64_t val)
{
	struct mmu_update u = { .ptr = ptr, .val = val };

	return HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF);
}

static long ext(unsigned int cmd, uint64_t arg1, uint64_t arg2)
{
	struct mmuext_op op = { .cmd = cmd };

	op.arg1.mfn = arg1;
	op.arg2.src_mfn = arg2;
	return HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

static long pin(unsigned int level, uint64_t m)
{
	return ext(MMUEXT_PIN_L1_TABLE + level - 1, m, 0);
}

static long unpin(uint64_t m)
{
	return ext(MMUEXT_UNPIN_TABLE, m, 0);
}

static long remap(void *va, uint64_t m, uint64_t flags)
{
	return HYPERVISOR_update_va_mapping((unsigned long)va,
					    (m << PAGE_SHIFT) | flags,
					    UVMF_INVLPG);
}

static long set_writable(unsigned int i)
{
	return remap(pool[i], mfn(i), PTE_K);
}

static long set_readonly(unsigned int i)
{
	return remap(pool[i], mfn(i), PTE_KRO);
}

/* ---- faults the tests expect -------------------------------------- */

static unsigned long pf_count(void)
{
	return pvguest_trap_counts[14];
}

static bool read_faults(const volatile void *va)
{
	unsigned long before = pf_count();

	asm volatile("1: movq (%0), %%rax\n2:\n"
		     PV_EXTABLE("1b", "2b")
		     : : "r"(va) : "rax", "memory");
	return pf_count() == before + 1;
}

static bool write_faults(volatile void *va)
{
	unsigned long before = pf_count();

	asm volatile("1: movq $0x77, (%0)\n2:\n"
		     PV_EXTABLE("1b", "2b")
		     : : "r"(va) : "memory");
	return pf_count() == before + 1;
}

static uint64_t peek(uint64_t va)
{
	return *(volatile uint64_t *)va;
}

/* ---- the kernel's own tables -------------------------------------- */

static uint64_t *kernel_l4(void)
{
	return (uint64_t *)start_info->pt_base;
}

/* The builder's L2 for the kernel region: pgd[511] -> pud[510]. */
static uint64_t *kernel_l2(void)
{
	uint64_t *l3 = mfn_va((kernel_l4()[511] & PTE_ADDR_MASK) >> PAGE_SHIFT);

	return mfn_va((l3[510] & PTE_ADDR_MASK) >> PAGE_SHIFT);
}

static uint64_t l2_slot_ptr(void)
{
	uint64_t *l2 = kernel_l2();

	return (virt_to_mfn(l2) << PAGE_SHIFT) + LINK_SLOT * 8;
}

static long link_l1(unsigned int i)
{
	return mmu1(l2_slot_ptr(), (mfn(i) << PAGE_SHIFT) | PTE_K);
}

static long unlink_l1(void)
{
	return mmu1(l2_slot_ptr(), 0);
}

/* ---- A: pinning an L1 and validated updates ----------------------- */

static void test_pin_l1(void)
{
	uint64_t *t = tab(T1), e, ptr = mfn(T1) << PAGE_SHIFT;
	uint64_t si = start_info->shared_info >> PAGE_SHIFT;
	long rc;

	printk("-- pin L1, validation, error codes\n");
	memset(t, 0, PAGE_SIZE);
	t[0] = (mfn(D1) << PAGE_SHIFT) | PTE_K;
	t[1] = (mfn(D2) << PAGE_SHIFT) | PTE_KRO;
	check(pin(1, mfn(T1)) == -XEN_EINVAL,
	      "PIN_L1 of a frame that is still mapped writable: -EINVAL");
	check(set_readonly(T1) == 0, "the L1 mapped read-only");
	rc = pin(1, mfn(T1));
	check(rc == 0, "PIN_L1 = %ld", rc);
	e = t[0];
	check(e == ((mfn(D1) << PAGE_SHIFT) | PTE_K | _PAGE_USER | GUEST_KERNEL),
	      "validation set US and Xen's guest-kernel bit 52 (%#lx)", e);
	check(pin(1, mfn(T1)) == -XEN_EINVAL, "PIN_L1 twice: -EINVAL");
	check(pin(2, mfn(T1)) == -XEN_EINVAL,
	      "PIN_L2 of a frame typed L1: -EINVAL");
	check(set_writable(T1) == -XEN_EBUSY,
	      "RW mapping of a pinned L1: -EBUSY");
	check(pin(1, mfn(D1)) == -XEN_EINVAL,
	      "PIN_L1 of a data page mapped RW: -EINVAL");

	check(mmu1(ptr + 16, (mfn(D3) << PAGE_SHIFT) | PTE_K | PCD) ==
	      -XEN_EINVAL, "L1 entry with PCD: -EINVAL");
	check(mmu1(ptr + 16, (mfn(D3) << PAGE_SHIFT) | PTE_K | PAT_PSE) ==
	      -XEN_EINVAL, "L1 entry with PAT: -EINVAL");
	check(mmu1(ptr + 16, ((start_info->nr_pages + 0x100000UL) <<
			      PAGE_SHIFT) | PTE_K) == -XEN_EPERM,
	      "L1 entry for a frame that does not exist: -EPERM");
	check(mmu1(ptr + 16, (mfn(T1) << PAGE_SHIFT) | PTE_K) == -XEN_EBUSY,
	      "L1 entry mapping the L1 itself RW: -EBUSY");
	check(mmu1(ptr + 16, (mfn(T1) << PAGE_SHIFT) | PTE_KRO) == 0,
	      "L1 entry mapping the L1 itself RO: 0");
	check(mmu1(ptr + 16, (si << PAGE_SHIFT) | PTE_K) == 0,
	      "L1 entry mapping shared_info RW: 0");
	check(mmu1(ptr + 16, (mfn(D3) << PAGE_SHIFT) | PTE_K | GLOBAL |
		   NX | (5UL << 9)) == 0, "L1 entry with G, NX, AVAIL: 0");
	/* MMU_PT_UPDATE_PRESERVE_AD keeps A/D, a normal update does not. */
	check(mmu1(ptr + 16 + MMU_PT_UPDATE_PRESERVE_AD,
		   (mfn(D3) << PAGE_SHIFT) | _PAGE_PRESENT | _PAGE_RW) == 0 &&
	      (t[2] & (_PAGE_ACCESSED | _PAGE_DIRTY)) ==
	      (_PAGE_ACCESSED | _PAGE_DIRTY),
	      "PRESERVE_AD kept A/D (%#lx)", t[2]);
	check(mmu1(ptr + 16, (mfn(D3) << PAGE_SHIFT) | _PAGE_PRESENT) == 0 &&
	      !(t[2] & (_PAGE_ACCESSED | _PAGE_DIRTY)),
	      "a normal update replaced A/D (%#lx)", t[2]);
	check(mmu1(ptr + 16, 0) == 0, "clear the entry: 0");
	check(mmu1(ptr + 16 + 4, 0) == -XEN_ENOSYS, "mmu_update cmd 4: -ENOSYS");

	check(set_readonly(D1) == 0 && pin(1, mfn(D1)) == -XEN_EINVAL,
	      "D1 read-only here but still RW in the pinned L1: PIN_L1 -EINVAL");
	check(set_writable(D1) == 0, "D1 writable again");
	rc = unpin(mfn(T1));
	check(rc == 0, "UNPIN = %ld", rc);
	check(unpin(mfn(T1)) == -XEN_EINVAL, "UNPIN twice: -EINVAL");
	check(set_writable(T1) == 0, "an unpinned, unreferenced L1 is RW again");
	check(pin(1, mfn(D1)) == -XEN_EINVAL,
	      "PIN_L1 of the kernel's own data page: -EINVAL");
}

/* ---- B: linking a table into the live address space ---------------- */

static void test_live_l1(void)
{
	uint64_t *t = tab(T1), v;
	long rc;

	printk("-- a new L1 in the live kernel tables\n");
	tab(D1)[0] = PAT1;
	tab(D2)[0] = PAT2;
	if (!check(kernel_l2()[LINK_SLOT] == 0, "kernel L2 slot %lu is free",
		   LINK_SLOT))
		return;
	memset(t, 0, PAGE_SIZE);
	t[0] = (mfn(D1) << PAGE_SHIFT) | PTE_K;
	check(link_l1(T1) == -XEN_EINVAL,
	      "L2 entry to a frame mapped RW: -EINVAL (cannot become an L1)");
	check(set_readonly(T1) == 0 && link_l1(T1) == 0,
	      "L2 entry to the read-only L1: 0 (validated on reference)");
	check(peek(TVA) == PAT1, "the MMU sees the new L2 entry and L1 (%#lx)",
	      peek(TVA));
	check(set_writable(T1) == -XEN_EBUSY,
	      "RW mapping of an L1 typed by reference: -EBUSY");
	rc = remap((void *)TVA, mfn(D2), PTE_K);
	v = peek(TVA);
	check(rc == 0 && v == PAT2,
	      "update_va_mapping to another frame: the MMU follows (%#lx)", v);
	*(volatile uint64_t *)(TVA + 8) = PAT3;
	check(tab(D2)[1] == PAT3, "a write through the new mapping lands");
	check(remap((void *)TVA, mfn(D2), PTE_KRO) == 0 &&
	      write_faults((void *)TVA) && peek(TVA) == PAT2,
	      "read-only again: writes fault, reads work");
	check((pvguest_last_trap.regs.error_code & 7) ==
	      (PFEC_PRESENT | PFEC_WRITE),
	      "  error code P|W, kernel mode (%#lx)",
	      pvguest_last_trap.regs.error_code);
	check(HYPERVISOR_update_va_mapping(TVA, 0, UVMF_INVLPG) == 0 &&
	      read_faults((void *)TVA), "unmapped: reads fault");
	check(remap((void *)(TVA + PAGE_SIZE), mfn(D1), PTE_K) == 0 &&
	      peek(TVA + PAGE_SIZE) == PAT1, "a second entry maps D1");
	check(unlink_l1() == 0 && read_faults((void *)(TVA + PAGE_SIZE)),
	      "L2 entry cleared: the whole range faults");
	check(set_writable(T1) == 0,
	      "no longer referenced: the L1 is an ordinary page again");
	check(HYPERVISOR_update_va_mapping(TVA, 0, UVMF_INVLPG) == -XEN_EINVAL,
	      "update_va_mapping without an L1: -EINVAL");
}

/* ---- C: writable page tables (ptwr) ------------------------------- */

static unsigned long ptwr_mov(volatile uint64_t *p, uint64_t val)
{
	unsigned long before = pf_count();

	asm volatile("1: movq %1, (%0)\n2:\n"
		     PV_EXTABLE("1b", "2b")
		     : : "r"(p), "r"(val) : "memory");
	return pf_count() - before;
}

static void test_ptwr(void)
{
	volatile uint64_t *t = tab(T1);
	uint64_t d1 = (mfn(D1) << PAGE_SHIFT) | PTE_K, adj = _PAGE_USER |
			GUEST_KERNEL, old, rax, rdx;
	unsigned long faults;
	uint8_t flag;

	printk("-- writes to a read-only L1 (ptwr)\n");
	memset((void *)t, 0, PAGE_SIZE);
	if (!check(set_readonly(T1) == 0 && link_l1(T1) == 0,
		   "L1 linked read-only"))
		return;
	check(HYPERVISOR_vm_assist(VMASST_CMD_disable,
				   VMASST_TYPE_writable_pagetables) == 0 &&
	      ptwr_mov(&t[3], d1) == 1 && t[3] == 0,
	      "without VMASST writable_pagetables the write faults");
	check(HYPERVISOR_vm_assist(VMASST_CMD_enable,
				   VMASST_TYPE_writable_pagetables) == 0,
	      "vm_assist(writable_pagetables)");

	faults = ptwr_mov(&t[3], d1);
	check(faults == 0 && t[3] == (d1 | adj),
	      "mov: emulated, entry validated and adjusted (%#lx)", t[3]);
	check(peek(TVA + 3 * PAGE_SIZE) == PAT1, "mov: the MMU maps D1");

	rax = 0;
	asm volatile("xchgq %0, (%1)" : "+r"(rax) : "r"(&t[3]) : "memory");
	check(rax == (d1 | adj) && t[3] == 0,
	      "xchg: old entry returned (%#lx), entry cleared", rax);
	check(read_faults((void *)(TVA + 3 * PAGE_SIZE)),
	      "xchg: the mapping is gone from the MMU");

	ptwr_mov(&t[4], (mfn(D2) << PAGE_SHIFT) | PTE_K);
	asm volatile("lock andb $0xfd, (%0)" : : "r"(&t[4]) : "memory");
	check(!(t[4] & _PAGE_RW) && (t[4] & _PAGE_PRESENT),
	      "lock andb $~RW: RW cleared (%#lx)", t[4]);
	check(peek(TVA + 4 * PAGE_SIZE) == PAT2 &&
	      write_faults((void *)(TVA + 4 * PAGE_SIZE)),
	      "lock andb: the MMU made it read-only");

	asm volatile("lock btrq $5, (%1); setc %0"
		     : "=q"(flag) : "r"(&t[4]) : "memory", "cc");
	check(flag == 1 && !(t[4] & _PAGE_ACCESSED),
	      "lock btr $5: CF = old A bit (%u), A cleared", flag);
	asm volatile("lock btrq $5, (%1); setc %0"
		     : "=q"(flag) : "r"(&t[4]) : "memory", "cc");
	check(flag == 0, "lock btr $5 again: CF 0");
	rdx = 1;	/* _PAGE_BIT_RW */
	asm volatile("lock btsq %2, (%1); setc %0"
		     : "=q"(flag) : "r"(&t[4]), "r"(rdx) : "memory", "cc");
	check(flag == 0 && (t[4] & _PAGE_RW), "lock bts %%reg: RW set again");
	*(volatile uint64_t *)(TVA + 4 * PAGE_SIZE + 8) = PAT3;
	check(tab(D2)[1] == PAT3, "lock bts: writable through the MMU again");

	old = t[4];
	rax = old;
	rdx = d1;
	asm volatile("lock cmpxchgq %2, (%3); setz %1"
		     : "+a"(rax), "=q"(flag) : "r"(rdx), "r"(&t[4])
		     : "memory", "cc");
	check(flag == 1 && t[4] == (d1 | adj) &&
	      peek(TVA + 4 * PAGE_SIZE) == PAT1,
	      "cmpxchg (match): ZF, entry replaced, the MMU maps D1");
	rax = 0;
	asm volatile("lock cmpxchgq %2, (%3); setz %1"
		     : "+a"(rax), "=q"(flag) : "r"(rdx), "r"(&t[4])
		     : "memory", "cc");
	check(flag == 0 && rax == t[4],
	      "cmpxchg (mismatch): no ZF, rax = current entry (%#lx)", rax);

	ptwr_mov(&t[6], d1);
	asm volatile("movl $0x80000000, 4(%0)" : : "r"(&t[6]) : "memory");
	old = t[6];
	/* The high dword replaced bit 52 too; US stays, so it is not re-added. */
	check(old == (d1 | _PAGE_USER | NX),
	      "4-byte mov into the high half: NX (%#lx)", old);
	asm volatile("movb $0, (%0)" : : "r"(&t[6]) : "memory");
	check(!(t[6] & _PAGE_PRESENT) && read_faults((void *)(TVA + 6 * PAGE_SIZE)),
	      "1-byte mov clears P: unmapped");

	faults = ptwr_mov(&t[5], (mfn(T1) << PAGE_SHIFT) | PTE_K);
	check(faults == 1 && t[5] == 0 &&
	      pvguest_last_trap.cr2 == (uint64_t)(uintptr_t)&t[5],
	      "mapping the L1 itself RW: not emulated, the guest gets #PF");
	faults = ptwr_mov(&t[5], (mfn(D1) << PAGE_SHIFT) | PTE_K | PCD);
	check(faults == 1 && t[5] == 0, "PCD: not emulated, #PF");
	check(unlink_l1() == 0 && set_writable(T1) == 0, "L1 unlinked, RW again");
	check(write_faults((void *)kernel_l2()) &&
	      (pvguest_last_trap.regs.error_code & 3) == 3,
	      "a write to the (read-only) L2 is not emulated: #PF");
}

/* ---- D: L2-L4, reserved slots, user tables ------------------------ */

asm(".pushsection .user.text, \"ax\"\n"
    ".globl mmu_user_prog\n"
    "mmu_user_prog:\n"
    "	movq 0x500000, %rdi\n"
    "	mov $60, %eax\n"
    "	syscall\n"
    "	ud2\n"
    ".popsection\n");
extern char mmu_user_prog[];

static bool on_syscall(struct guest_regs *r)
{
	pvguest_user_leave((long)r->rdi);
}

static void build_user_tree(void)
{
	uint64_t text = (uint64_t)(__user_text_end - __user_text_start) /
			PAGE_SIZE;

	memset(pool[UL4], 0, PAGE_SIZE);
	memset(pool[UL3], 0, PAGE_SIZE);
	memset(pool[UL2], 0, PAGE_SIZE);
	memset(pool[UL1], 0, PAGE_SIZE);
	tab(UL4)[0] = (mfn(UL3) << PAGE_SHIFT) | PTE_U;
	tab(UL3)[0] = (mfn(UL2) << PAGE_SHIFT) | PTE_U;
	tab(UL2)[(PVGUEST_USER_TEXT_VA >> 21) & 511] =
		(mfn(UL1) << PAGE_SHIFT) | PTE_U;
	for (uint64_t i = 0; i < text && i < 256; i++)
		tab(UL1)[((PVGUEST_USER_TEXT_VA >> 12) & 511) + i] =
			(virt_to_mfn(__user_text_start + i * PAGE_SIZE)
			 << PAGE_SHIFT) | PTE_URO;
	tab(UL1)[(PVGUEST_USER_DATA_VA >> 12) & 511] =
		(mfn(UDATA) << PAGE_SHIFT) | PTE_U;
	/* Junk where the hypervisor's slots go: validation replaces it. */
	tab(UL4)[260] = (mfn(D3) << PAGE_SHIFT) | PTE_K;
	tab(UDATA)[0] = 0x5a5a;
}

static void test_levels(void)
{
	struct xen_machphys_mapping mp;
	uint64_t ptr4 = mfn(UL4) << PAGE_SHIFT, m2p_slot;
	unsigned int i;
	long rc;

	printk("-- L2-L4, reserved slots, a user address space\n");
	build_user_tree();
	check(pin(4, mfn(UL4)) == -XEN_EINVAL,
	      "PIN_L4 while the tree is mapped RW: -EINVAL");
	for (i = UL4; i <= UL1; i++)
		set_readonly(i);
	rc = pin(4, mfn(UL4));
	check(rc == 0, "PIN_L4 validates the whole tree (%ld)", rc);
	check(HYPERVISOR_memory_op(XENMEM_machphys_mapping, &mp) == 0,
	      "machphys_mapping");
	m2p_slot = (mp.v_start >> 39) & 511;
	check((tab(UL4)[m2p_slot] & _PAGE_PRESENT) &&
	      tab(UL4)[m2p_slot] == kernel_l4()[m2p_slot],
	      "the M2P slot %lu is installed in the new L4", m2p_slot);
	check(tab(UL4)[260] == kernel_l4()[260],
	      "junk in reserved slot 260 was overwritten");
	check((tab(UL4)[0] & (_PAGE_USER | _PAGE_ACCESSED)) ==
	      (_PAGE_USER | _PAGE_ACCESSED), "L4 entries get US and A");
	check(set_writable(UL3) == -XEN_EBUSY && set_writable(UL2) == -XEN_EBUSY &&
	      set_writable(UL1) == -XEN_EBUSY,
	      "every table under a pinned L4 is typed: RW refused");
	check(mmu1(ptr4 + 256 * 8, 0) == -XEN_EINVAL &&
	      mmu1(ptr4 + 271 * 8, 0) == -XEN_EINVAL &&
	      mmu1(ptr4 + m2p_slot * 8, 0) == -XEN_EINVAL,
	      "mmu_update on reserved L4 slots: -EINVAL");
	check(mmu1((virt_to_mfn(kernel_l4()) << PAGE_SHIFT) + 260 * 8, 0) ==
	      -XEN_EINVAL, "  also in the running kernel L4");
	check(mmu1((mfn(UL2) << PAGE_SHIFT) + 8,
		   (mfn(D3) << PAGE_SHIFT) | PTE_K | PAT_PSE) == -XEN_EINVAL,
	      "L2 entry with PSE: -EINVAL");
	check(mmu1((mfn(UL3) << PAGE_SHIFT) + 8,
		   (mfn(UL1) << PAGE_SHIFT) | PTE_K) == -XEN_EINVAL,
	      "L3 entry to a frame typed L1: -EINVAL");
	check(mmu1((mfn(UL2) << PAGE_SHIFT) + 8,
		   (mfn(D3) << PAGE_SHIFT) | PTE_K) == -XEN_EINVAL,
	      "L2 entry to a data page mapped RW: -EINVAL");
	check(mmu1(ptr4 + 5 * 8, (mfn(UL3) << PAGE_SHIFT) | PTE_K | PCD) ==
	      -XEN_EINVAL, "L4 entry with PCD: -EINVAL");
	check(mmu1(ptr4 + 5 * 8, (mfn(UL3) << PAGE_SHIFT) | PTE_KRO) == 0 &&
	      mmu1(ptr4 + 5 * 8, 0) == 0,
	      "a second L4 entry to the same L3 and back: 0");

	/* Run user code on these tables. */
	rc = user_space_init();
	check(rc == 0, "user_space_init (kernel stack, library user L4)");
	rc = syscall_callback_init();
	check(rc == 0, "syscall callback");
	trap_set_handler(PVGUEST_VEC_SYSCALL, on_syscall);
	rc = ext(MMUEXT_NEW_USER_BASEPTR, mfn(UL4), 0);
	check(rc == 0, "NEW_USER_BASEPTR to the pinned L4 (%ld)", rc);
	rc = pvguest_user_enter(user_text_va(mmu_user_prog),
				PVGUEST_USER_DATA_VA + PAGE_SIZE, 0x002);
	check(rc == 0x5a5a, "user code read its data through these tables "
	      "(%#lx)", rc);
	check(unpin(mfn(UL4)) == 0 && set_writable(UL3) == -XEN_EBUSY,
	      "unpinned, but still the user root: still typed");
	check(ext(MMUEXT_NEW_USER_BASEPTR, 0, 0) == 0 && set_writable(UL3) == 0 &&
	      set_writable(UL2) == 0 && set_writable(UL1) == 0 &&
	      set_writable(UL4) == 0,
	      "no user root any more: all four frames are ordinary pages");
}

/* Linux's boot switch: pin a new L4, make it CR3, free the builder's. */
static void test_new_baseptr(void)
{
	uint64_t *k4 = tab(K4), *old = kernel_l4(), old_mfn = virt_to_mfn(old);
	long rc;

	printk("-- NEW_BASEPTR, and the builder's L4 freed\n");
	memcpy(k4, old, PAGE_SIZE);
	check(set_readonly(K4) == 0, "copy of the kernel L4, read-only");
	rc = pin(4, mfn(K4));
	check(rc == 0, "PIN_L4 of the copy (%ld)", rc);
	rc = ext(MMUEXT_NEW_BASEPTR, mfn(K4), 0);
	check(rc == 0, "NEW_BASEPTR to the copy (%ld)", rc);
	check(printk("  still running on the new tables\n") > 0, "printk");
	rc = unpin(old_mfn);
	check(rc == 0, "UNPIN the builder's L4 (%ld)", rc);
	check(remap(old, old_mfn, PTE_K) == 0,
	      "the builder's L4 is an ordinary page again");
	old[300] = 0x1234;	/* anything: it is just a page now */
	old[300] = 0;
	check(remap(old, old_mfn, PTE_KRO) == 0 && pin(4, old_mfn) == 0 &&
	      ext(MMUEXT_NEW_BASEPTR, old_mfn, 0) == 0,
	      "back to the builder's L4 (pinned again)");
	check(unpin(mfn(K4)) == 0 && set_writable(K4) == 0,
	      "the copy is released");
	check(ext(MMUEXT_NEW_BASEPTR, mfn(D1), 0) == -XEN_EINVAL,
	      "NEW_BASEPTR to a data page mapped RW: -EINVAL");
}

/* ---- E: the rest of mmuext_op, machphys, otherdomain --------------- */

static void test_misc(void)
{
	uint64_t bitmap = 1, *m2p;
	struct xen_machphys_mapping mp;
	struct mmuext_op op;
	long rc;

	printk("-- page operations, flushes, M2P\n");
	memset(pool[D3], 0, PAGE_SIZE);
	tab(D1)[7] = PAT3;
	check(ext(MMUEXT_COPY_PAGE, mfn(D3), mfn(D1)) == 0 &&
	      tab(D3)[0] == tab(D1)[0] && tab(D3)[7] == PAT3, "COPY_PAGE");
	check(ext(MMUEXT_CLEAR_PAGE, mfn(D3), 0) == 0 && tab(D3)[7] == 0,
	      "CLEAR_PAGE");
	set_readonly(T2);
	memset(pool[SPARE], 0, PAGE_SIZE);
	check(pin(1, mfn(T2)) == 0 &&
	      ext(MMUEXT_CLEAR_PAGE, mfn(T2), 0) == -XEN_EINVAL &&
	      ext(MMUEXT_COPY_PAGE, mfn(T2), mfn(D1)) == -XEN_EINVAL &&
	      ext(MMUEXT_COPY_PAGE, mfn(SPARE), mfn(T2)) == 0,
	      "CLEAR/COPY_PAGE into a page table: -EINVAL; from one: 0");
	check(unpin(mfn(T2)) == 0 && set_writable(T2) == 0, "unpinned");
	check(ext(MMUEXT_FLUSH_CACHE, 0, 0) == -XEN_EACCES,
	      "FLUSH_CACHE without I/O privileges: -EACCES");
	check(ext(MMUEXT_TLB_FLUSH_LOCAL, 0, 0) == 0 &&
	      ext(MMUEXT_TLB_FLUSH_ALL, 0, 0) == 0 &&
	      ext(MMUEXT_INVLPG_LOCAL, TVA, 0) == 0 &&
	      ext(MMUEXT_INVLPG_ALL, TVA, 0) == 0, "TLB flushes: 0");
	op = (struct mmuext_op){ .cmd = MMUEXT_TLB_FLUSH_MULTI };
	op.arg2.vcpumask = (uint64_t)(uintptr_t)&bitmap;
	check(HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF) == 0,
	      "TLB_FLUSH_MULTI with a vCPU bitmap: 0");
	op.arg2.vcpumask = 0x10;
	check(HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF) == -XEN_EINVAL,
	      "TLB_FLUSH_MULTI with an unreadable bitmap: -EINVAL");
	check(HYPERVISOR_update_va_mapping((unsigned long)pool[D3],
					   (mfn(D3) << PAGE_SHIFT) | PTE_K,
					   UVMF_INVLPG | 0x10) == -XEN_EFAULT,
	      "update_va_mapping, UVMF_MULTI with an unreadable bitmap: -EFAULT");
	op = (struct mmuext_op){ .cmd = MMUEXT_SET_LDT };
	op.arg1.linear_addr = (uint64_t)(uintptr_t)pool[D3];
	op.arg2.nr_ents = 9000;
	check(HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF) == -XEN_EINVAL,
	      "SET_LDT with 9000 entries: -EINVAL");
	op.arg2.nr_ents = 16;
	op.arg1.linear_addr += 8;
	check(HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF) == -XEN_EINVAL,
	      "SET_LDT misaligned: -EINVAL");
	op.arg1.linear_addr = 0;
	op.arg2.nr_ents = 0;
	check(HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF) == 0,
	      "SET_LDT (none): 0");
	check(ext(MMUEXT_MARK_SUPER, 0, 0) == -XEN_EOPNOTSUPP,
	      "MARK_SUPER: -EOPNOTSUPP");
	check(ext(14, 0, 0) == -XEN_ENOSYS, "mmuext_op cmd 14: -ENOSYS");

	check(HYPERVISOR_memory_op(XENMEM_machphys_mapping, &mp) == 0,
	      "machphys_mapping");
	m2p = (uint64_t *)mp.v_start;
	check(mmu1((mfn(D3) << PAGE_SHIFT) | MMU_MACHPHYS_UPDATE, 0x4242) == 0 &&
	      m2p[mfn(D3)] == 0x4242, "MMU_MACHPHYS_UPDATE writes the M2P");
	check(mmu1((mfn(D3) << PAGE_SHIFT) | MMU_MACHPHYS_UPDATE,
		   virt_to_pfn(pool[D3])) == 0 &&
	      m2p[mfn(D3)] == virt_to_pfn(pool[D3]), "  and back");
	check(mmu1(((start_info->nr_pages + 5) << PAGE_SHIFT) |
		   MMU_MACHPHYS_UPDATE, 0) == -XEN_EINVAL,
	      "MMU_MACHPHYS_UPDATE beyond RAM: -EINVAL");

	rc = pv_hypercall4(__HYPERVISOR_update_va_mapping_otherdomain,
			   pool[D3], (mfn(D3) << PAGE_SHIFT) | PTE_K,
			   UVMF_INVLPG, DOMID_SELF);
	check(rc == 0, "update_va_mapping_otherdomain(DOMID_SELF) = %ld", rc);
	rc = pv_hypercall4(__HYPERVISOR_update_va_mapping_otherdomain,
			   pool[D3], (mfn(D3) << PAGE_SHIFT) | PTE_K,
			   UVMF_INVLPG, 0);
	check(rc == -XEN_EPERM, "update_va_mapping_otherdomain(dom0) = %ld "
	      "(-EPERM)", rc);
	rc = pv_hypercall4(__HYPERVISOR_update_va_mapping_otherdomain,
			   pool[D3], (mfn(D3) << PAGE_SHIFT) | PTE_K,
			   UVMF_INVLPG, 31000);
	check(rc == -XEN_ESRCH, "update_va_mapping_otherdomain(d31000) = %ld "
	      "(-ESRCH)", rc);
	{
		struct mmu_update u = {
			.ptr = (mfn(D3) << PAGE_SHIFT), .val = 0,
		};
		unsigned int done = 99;

		rc = HYPERVISOR_mmu_update(&u, 1, &done, 31000);
		check(rc == -XEN_ESRCH && done == 0,
		      "mmu_update for d31000: -ESRCH, done 0 (%ld, %u)", rc, done);
	}
}

/* ---- F: descriptor tables ------------------------------------------ */

#define DESC_CODE64_DPL0	0x00af9a000000ffffUL
#define DESC_DATA_DPL0		0x00cf92000000ffffUL
#define DESC_DPL3		(3UL << 45)
#define DESC_P			(1UL << 47)
#define DESC_TSS		0x0000890000000067UL

/* iret to label 1 with CS/SS from our GDT; events stay masked. */
static void iret_to(uint16_t cs, uint16_t ss)
{
	asm volatile("movq %%rsp, %%rax\n\t"
		     "pushq %q1\n\t"
		     "pushq %%rax\n\t"
		     "pushfq\n\t"
		     "andq $~0x200, (%%rsp)\n\t"
		     "pushq %q0\n\t"
		     "leaq 1f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "jmp pvguest_iret\n"
		     "1:"
		     : : "r"((uint64_t)cs), "r"((uint64_t)ss)
		     : "rax", "rcx", "r11", "memory", "cc");
}

/*
 * A native `mov %ax,%ds` of a selector only our GDT has (entry 9): on
 * VT-x/AMD-V it reads our frame through the hypervisor's GDT mapping;
 * PVM runs guest CPL3 code on the host's own GDT, so it is reported,
 * not checked.
 */
static bool native_load_info(void)
{
	unsigned long before = pvguest_last_trap.count;
	uint16_t ds = 0;

	asm volatile("movl $0x4b, %%eax\n"
		     "1: movl %%eax, %%ds\n"
		     "movw %%ds, %0\n"
		     "xorl %%eax, %%eax\n"
		     "movl %%eax, %%ds\n"
		     "2:\n"
		     PV_EXTABLE("1b", "2b")
		     : "=m"(ds) : : "rax", "memory");
	if (pvguest_last_trap.count == before) {
		printk("  info    native load of GDT selector 0x4b: ok (ds %#x)\n",
		       ds);
		return true;
	}
	printk("  info    native load of GDT selector 0x4b: vector %lu "
	       "error %#lx (the host's GDT?)\n",
	       pvguest_last_trap.regs.vector,
	       pvguest_last_trap.regs.error_code);
	return false;
}

/*
 * A native load of sel into %ds, or %ss: the CPU checks our GDT and
 * raises the fault itself, with the selector as its error code; pvisor
 * must pass that on untouched. Checks vector and error code.
 */
static void native_load_fault(uint16_t sel, bool ss, unsigned int vec,
			      unsigned long ec)
{
	unsigned long before = pvguest_last_trap.count;

	if (ss)
		asm volatile("movw %%ss, %%cx\n"
			     "1: movl %%eax, %%ss\n"
			     "2: movl %%ecx, %%ss\n"
			     PV_EXTABLE("1b", "2b")
			     : : "a"((uint32_t)sel) : "rcx", "memory");
	else
		asm volatile("1: movl %%eax, %%ds\n"
			     "2: xorl %%eax, %%eax\n"
			     "movl %%eax, %%ds\n"
			     PV_EXTABLE("1b", "2b")
			     : : "a"((uint32_t)sel) : "memory");
	check(pvguest_last_trap.count == before + 1 &&
	      pvguest_last_trap.regs.vector == vec &&
	      pvguest_last_trap.regs.error_code == ec,
	      "mov %#x to %%%s: vector %lu error %#lx (want %u, %#lx)", sel,
	      ss ? "ss" : "ds",
	      pvguest_last_trap.count == before ? 0UL :
	      pvguest_last_trap.regs.vector,
	      pvguest_last_trap.regs.error_code, vec, ec);
}

/* An iret whose CS or SS the CPU's iretq would refuse. */
static struct guest_regs iret_fault_regs;
static unsigned int iret_faults;

static bool on_iret_fault(struct guest_regs *r)
{
	iret_fault_regs = *r;
	iret_faults++;
	/* Continue after the iret, on the flat selectors. */
	r->cs = FLAT_KERNEL_CS & ~3;	/* RPL 3 would mean user mode */
	r->ss = FLAT_KERNEL_SS & ~3;
	return true;
}

/*
 * As Xen (4.7 on): the exception iretq raised, with its error code, as
 * if at the iret's target; the frame carries the selectors given.
 */
static void iret_fault(uint16_t cs, uint16_t ss, unsigned int vec,
		       unsigned long ec, const char *what)
{
	unsigned long fs_before = pvguest_trap_counts[PVGUEST_VEC_FAILSAFE];

	iret_faults = 0;
	trap_set_handler(11, on_iret_fault);
	trap_set_handler(12, on_iret_fault);
	trap_set_handler(13, on_iret_fault);
	iret_to(cs, ss);
	trap_set_handler(11, NULL);
	trap_set_handler(12, NULL);
	trap_set_handler(13, NULL);
	check(iret_faults == 1 && iret_fault_regs.vector == vec &&
	      iret_fault_regs.error_code == ec &&
	      (iret_fault_regs.cs & 0xffff) == cs &&
	      (iret_fault_regs.ss & 0xffff) == (ss | 3u) &&
	      pvguest_trap_counts[PVGUEST_VEC_FAILSAFE] == fs_before,
	      "iret to %s (CS %#x SS %#x): %u fault(s), vector %lu error "
	      "%#lx, frame CS %#lx SS %#lx (want %u, %#lx)", what, cs, ss,
	      iret_faults, iret_fault_regs.vector,
	      iret_fault_regs.error_code, iret_fault_regs.cs & 0xffff,
	      iret_fault_regs.ss & 0xffff, vec, ec);
}

static void test_gdt(void)
{
	uint64_t *g = tab(GDT), frame = mfn(GDT), cs;
	unsigned long fs_before = pvguest_trap_counts[PVGUEST_VEC_FAILSAFE];
	long rc;

	printk("-- set_gdt, update_descriptor, GDT selectors\n");
	memset(g, 0, PAGE_SIZE);
	g[1] = DESC_CODE64_DPL0;		/* 0x08: Linux's KERNEL32_CS slot */
	g[2] = DESC_CODE64_DPL0;		/* 0x10: KERNEL_CS */
	g[3] = DESC_DATA_DPL0;			/* 0x18: KERNEL_DS */
	g[5] = DESC_DATA_DPL0 | DESC_DPL3;	/* 0x2b: USER_DS */
	g[6] = DESC_CODE64_DPL0 | DESC_DPL3;	/* 0x33: USER_CS */
	g[9] = DESC_DATA_DPL0;			/* 0x4b: ours only */
	/* Not present (kept as they are), and a zero entry at 0x50. */
	g[7] = (DESC_DATA_DPL0 | DESC_DPL3) & ~DESC_P;		/* 0x3b */
	g[8] = (DESC_CODE64_DPL0 | DESC_DPL3) & ~DESC_P;	/* 0x43 */
	check(HYPERVISOR_set_gdt(&frame, 16) == -XEN_EINVAL,
	      "set_gdt with the frame mapped RW: -EINVAL");
	check(HYPERVISOR_set_gdt(&frame, 7169) == -XEN_EINVAL,
	      "set_gdt with 7169 entries: -EINVAL");
	set_readonly(GDT);
	rc = HYPERVISOR_set_gdt(&frame, 16);
	check(rc == 0, "set_gdt(1 frame, 16 entries) = %ld", rc);
	check(g[2] == (DESC_CODE64_DPL0 | DESC_DPL3) &&
	      g[3] == (DESC_DATA_DPL0 | DESC_DPL3),
	      "descriptors got DPL 3 (%#lx %#lx)", g[2], g[3]);
	check(set_writable(GDT) == -XEN_EBUSY,
	      "RW mapping of a GDT frame: -EBUSY");
	rc = HYPERVISOR_update_descriptor((frame << PAGE_SHIFT) + 4 * 8,
					  DESC_DATA_DPL0);
	cs = g[4];
	check(rc == 0 && cs == (DESC_DATA_DPL0 | DESC_DPL3),
	      "update_descriptor forces DPL 3 too (%#lx)", cs);
	check(HYPERVISOR_update_descriptor((frame << PAGE_SHIFT) + 4 * 8,
					   DESC_TSS) == -XEN_EINVAL,
	      "update_descriptor with a TSS descriptor: -EINVAL");
	check(HYPERVISOR_update_descriptor((frame << PAGE_SHIFT) + 4 * 8 + 4,
					   0) == -XEN_EINVAL,
	      "update_descriptor misaligned: -EINVAL");
	check(HYPERVISOR_update_descriptor((mfn(T1) << PAGE_SHIFT), 0) == 0,
	      "update_descriptor on an ordinary page: 0");

	/*
	 * Linux's kernel returns to its own 0x10/0x18 (RPL 0 in the frame;
	 * RPL 3 would mean guest user mode).
	 */
	iret_to(0x10, 0x18);
	check(pvguest_trap_counts[PVGUEST_VEC_FAILSAFE] == fs_before,
	      "iret to CS 0x10 / SS 0x18 from our GDT (no failsafe)");
	asm volatile("int3" : : : "memory");
	cs = pvguest_last_trap.regs.cs & 0xffff;
	check(cs == 0x10, "a trap frame now carries CS %#lx (0x10)", cs);
	iret_to(FLAT_KERNEL_CS & ~3, FLAT_KERNEL_SS & ~3);
	asm volatile("int3" : : : "memory");
	cs = pvguest_last_trap.regs.cs & 0xffff;
	check(cs == (FLAT_KERNEL_CS & ~3), "back on the flat CS (%#lx)", cs);

	/* Bad selectors in an iret frame: the fault iretq would raise. */
	iret_fault(0x40, 0x18, 11, 0x40, "a not-present CS");
	iret_fault(0x10, 0x38, 12, 0x38, "a not-present SS");
	iret_fault(0x10, 0, 13, 0, "a null SS");
	iret_fault(0x18, 0x18, 13, 0x18, "a data segment as CS");
	iret_fault(0x10, 0x10, 13, 0x10, "a code segment as SS");
	iret_fault(0x50, 0x18, 13, 0x50, "a zero descriptor as CS");
	iret_fault(0x0c, 0x18, 13, 0x0c, "an LDT selector, no LDT");

	/* The CPU's own descriptor loads: its error codes, passed on. */
	if (native_load_info()) {
		native_load_fault(0x3b, false, 11, 0x38);  /* not present */
		native_load_fault(0x43, false, 11, 0x40);  /* code, absent */
		native_load_fault(0x53, false, 13, 0x50);  /* zero entry */
		native_load_fault(0x0f, false, 13, 0x0c);  /* no LDT */
		native_load_fault(0x3, true, 13, 0);	   /* null SS */
		native_load_fault(0x3b, true, 12, 0x38);   /* SS absent */
	} else {
		printk("  info    native descriptor-load faults not checked: "
		       "the host's GDT is in use\n");
	}

	rc = HYPERVISOR_set_gdt(NULL, 0);
	check(rc == 0 && set_writable(GDT) == 0,
	      "set_gdt(0 entries) releases the frame (%ld)", rc);
	iret_fault(0x10, 0x18, 13, 0x10, "CS 0x10 with no GDT");
	check(pvguest_trap_counts[PVGUEST_VEC_FAILSAFE] == fs_before,
	      "no iret went to the failsafe callback");
}

static bool on_failsafe(struct guest_regs *r)
{
	/* Continue after the failed iret, on the flat selectors. */
	r->cs = FLAT_KERNEL_CS & ~3;	/* RPL 3 would mean user mode */
	r->ss = FLAT_KERNEL_SS & ~3;
	return true;
}

/* ---- timings ------------------------------------------------------- */

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static const char *cmdline_value(const char *key, char *buf, size_t size)
{
	const char *p = (const char *)start_info->cmd_line;
	size_t klen = strlen(key), n = 0;

	for (; *p; p++) {
		if ((p == (const char *)start_info->cmd_line || p[-1] == ' ') &&
		    !strncmp(p, key, klen) && p[klen] == '=') {
			p += klen + 1;
			while (p[n] && p[n] != ' ' && n + 1 < size) {
				buf[n] = p[n];
				n++;
			}
			buf[n] = 0;
			return buf;
		}
	}
	return NULL;
}

static void report(const char *name, unsigned long ops, uint64_t cycles)
{
	printk("BENCH %s ops=%lu cycles_per_op=%lu\n", name, ops,
	       ops ? (unsigned long)(cycles / ops) : 0);
}

#define BATCH 64

static void bench(unsigned long iters, const char *only)
{
	struct mmu_update u[BATCH];
	volatile uint64_t *t = tab(T1);
	uint64_t ptr = mfn(T1) << PAGE_SHIFT, t0;
	bool all = !only[0];

	memset((void *)t, 0, PAGE_SIZE);
	set_readonly(T1);
	if (link_l1(T1))
		test_fail("bench: cannot link the L1");
	HYPERVISOR_vm_assist(VMASST_CMD_enable,
			     VMASST_TYPE_writable_pagetables);
	for (unsigned int i = 0; i < BATCH; i++)
		u[i].ptr = ptr + i * 8;
	if (all || !strcmp(only, "mmu_map")) {
		/* Map and unmap 64 entries per hypercall. */
		t0 = rdtsc();
		for (unsigned long n = 0; n < iters; n++) {
			for (unsigned int i = 0; i < BATCH; i++)
				u[i].val = n & 1 ? 0 : (mfn(D1) << PAGE_SHIFT) |
							PTE_K;
			HYPERVISOR_mmu_update(u, BATCH, NULL, DOMID_SELF);
		}
		report("mmu_update_64_map_unmap", iters * BATCH, rdtsc() - t0);
	}
	if (all || !strcmp(only, "mmu_retarget")) {
		/* Repoint 64 present entries per hypercall. */
		t0 = rdtsc();
		for (unsigned long n = 0; n < iters; n++) {
			for (unsigned int i = 0; i < BATCH; i++)
				u[i].val = (mfn(n & 1 ? D1 : D2) << PAGE_SHIFT) |
					   PTE_K;
			HYPERVISOR_mmu_update(u, BATCH, NULL, DOMID_SELF);
		}
		report("mmu_update_64_retarget", iters * BATCH, rdtsc() - t0);
	}
	if (all || !strcmp(only, "ptwr_map")) {
		t0 = rdtsc();
		for (unsigned long n = 0; n < iters; n++)
			ptwr_mov(&t[100], n & 1 ? 0 : (mfn(D1) << PAGE_SHIFT) |
						      PTE_K);
		report("ptwr_mov_map_unmap", iters, rdtsc() - t0);
	}
	if (all || !strcmp(only, "ptwr_retarget")) {
		t0 = rdtsc();
		for (unsigned long n = 0; n < iters; n++)
			ptwr_mov(&t[101], (mfn(n & 1 ? D1 : D2) << PAGE_SHIFT) |
					  PTE_K);
		report("ptwr_mov_retarget", iters, rdtsc() - t0);
	}
	if (all || !strcmp(only, "uvm_multicall")) {
		/* 32 update_va_mapping retargets in one multicall. */
		static struct multicall_entry mc[32];

		t0 = rdtsc();
		for (unsigned long n = 0; n < iters; n++) {
			for (unsigned int i = 0; i < 32; i++)
				pv_multicall_set(&mc[i],
						 __HYPERVISOR_update_va_mapping,
						 TVA + i * PAGE_SIZE,
						 (mfn(n & 1 ? D1 : D2) << PAGE_SHIFT) |
						 PTE_K, UVMF_INVLPG, 0, 0, 0);
			HYPERVISOR_multicall(mc, 32);
		}
		report("update_va_mapping_32_retarget_multicall", iters * 32,
		       rdtsc() - t0);
	}
	for (unsigned int i = 0; i < BATCH; i++)
		u[i].val = 0;
	HYPERVISOR_mmu_update(u, BATCH, NULL, DOMID_SELF);
	t[100] = 0;
	t[101] = 0;
	unlink_l1();
	set_writable(T1);
}

void guest_main(struct start_info *si)
{
	char buf[32];
	unsigned long iters = 0;
	const char *only = "";

	test_start("mmu");
	if (cmdline_value("bench", buf, sizeof(buf)))
		for (const char *p = buf; *p >= '0' && *p <= '9'; p++)
			iters = iters * 10 + (unsigned long)(*p - '0');
	if (cmdline_value("only", buf, sizeof(buf)))
		only = buf;
	if (!check(trap_init() == 0, "set_trap_table"))
		test_end();
	check(map_shared_info() == 0, "map shared_info (for CR2)");
	check(callbacks_init() == 0, "event and failsafe callbacks");
	trap_set_handler(PVGUEST_VEC_FAILSAFE, on_failsafe);
	if (only[0] && strcmp(only, "none")) {
		bench(iters, only);
		test_end();
	}
	if (!strcmp(only, "none"))
		test_end();

	test_pin_l1();
	test_live_l1();
	test_ptwr();
	test_levels();
	test_new_baseptr();
	test_misc();
	test_gdt();
	if (iters)
		bench(iters, "");
	(void)si;
	test_end();
}

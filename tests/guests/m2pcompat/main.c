/* SPDX-License-Identifier: MIT */
/*
 * m2pcompat: a guest that reads the M2P at Xen's fixed address
 * (MACH2PHYS_VIRT_START) without asking XENMEM_machphys_mapping. Where
 * the host owns that slot pvisor emulates the loads; either way they
 * must return what the announced mapping holds (identity for RAM), for
 * 64-bit, 32-bit, movzx/movslq and indexed loads. A read past the last
 * entry is a not-present #PF, as on Xen; writes are never emulated.
 */
#include <pvabi/memory.h>

#include <pvguest/pvguest.h>

#define FIXED		((volatile uint64_t *)MACH2PHYS_VIRT_START)

static uint8_t page[PAGE_SIZE] __page_aligned;
static const volatile uint64_t *m2p;	/* the announced place */
static struct xen_machphys_mapping mp;

static unsigned long pf_count(void)
{
	return pvguest_trap_counts[14];
}

static void check_entry(uint64_t mfn, const char *what)
{
	volatile uint32_t *half = (volatile uint32_t *)&FIXED[mfn];
	uint64_t want = m2p[mfn], got = FIXED[mfn], idx = mfn, r8val;
	uint32_t lo = half[0], hi = half[1], zx, lo_asm;
	uint64_t sx, full = ~0ull;

	check(want == mfn, "%s: M2P[%#lx] = %#lx at the announced place",
	      what, mfn, want);
	check(got == want, "%s: 64-bit read at the fixed address: %#lx", what,
	      got);
	check(lo == (uint32_t)want && hi == (uint32_t)(want >> 32),
	      "%s: 32-bit reads: %#x %#x", what, lo, hi);
	/* movl zero-extends: the upper half of the register must be 0. */
	asm volatile("movl (%1), %k0" : "=r"(full) : "r"(&FIXED[mfn]));
	check(full == (uint32_t)want, "%s: movl zero-extends: %#lx", what,
	      full);
	asm volatile("movzwl (%1), %0" : "=r"(zx) : "r"(&FIXED[mfn]));
	check(zx == (want & 0xffff), "%s: movzwl: %#x", what, zx);
	asm volatile("movslq (%1), %0" : "=r"(sx) : "r"(&FIXED[mfn]));
	check(sx == (uint64_t)(int64_t)(int32_t)want, "%s: movslq: %#lx",
	      what, sx);
	/* mov (%base,%index,8), %r8: SIB with REX.R */
	asm volatile("movq (%1,%2,8), %%r8\n\tmovq %%r8, %0"
		     : "=r"(r8val) : "r"(FIXED), "r"(idx) : "r8");
	check(r8val == want, "%s: indexed load into r8: %#lx", what, r8val);
	asm volatile("movl 4(%1), %0" : "=r"(lo_asm) : "r"(&FIXED[mfn]));
	check(lo_asm == (uint32_t)(want >> 32), "%s: disp8 load: %#x", what,
	      lo_asm);
}

/* A read that must fault; returns the error code, or ~0 if none. */
static uint64_t read_fault(uint64_t va)
{
	unsigned long before = pf_count();

	asm volatile("1: movq (%0), %%rax\n2:\n"
		     PV_EXTABLE("1b", "2b")
		     : : "r"(va) : "rax", "memory");
	if (pf_count() != before + 1)
		return ~0ull;
	check(pvguest_last_trap.cr2 == va, "#PF cr2 %#lx = %#lx",
	      pvguest_last_trap.cr2, va);
	return pvguest_last_trap.regs.error_code;
}

static bool write_faults(uint64_t va)
{
	unsigned long before = pf_count();

	asm volatile("1: movq $0x77, (%0)\n2:\n"
		     PV_EXTABLE("1b", "2b")
		     : : "r"(va) : "memory");
	return pf_count() == before + 1;
}

void guest_main(struct start_info *si)
{
	uint64_t ec, past, first_hole;

	test_start("m2pcompat");
	if (!check(trap_init() == 0, "set_trap_table"))
		test_end();
	/* The trap record takes CR2 from vcpu_info. */
	if (!check(map_shared_info() == 0, "shared_info mapped"))
		test_end();
	if (!check(HYPERVISOR_memory_op(XENMEM_machphys_mapping, &mp) == 0,
		   "machphys_mapping"))
		test_end();
	m2p = (const volatile uint64_t *)mp.v_start;
	printk("M2P announced at %#lx, max_mfn %#lx (%s the fixed address)\n",
	       mp.v_start, mp.max_mfn,
	       mp.v_start == MACH2PHYS_VIRT_START ? "at" : "not at");
	check(mp.max_mfn + 1 >= si->nr_pages, "max_mfn %#lx covers %lu pages",
	      mp.max_mfn, si->nr_pages);

	page[0] = 1;
	check_entry(0, "mfn 0");
	check_entry(virt_to_mfn(page), "a data page");
	check_entry(virt_to_mfn(si), "start_info");
	check_entry(virt_to_mfn(&mp), "bss");
	check_entry(mp.max_mfn, "max_mfn");

	/* Past the table: a not-present read fault, never a value. */
	past = MACH2PHYS_VIRT_START + 8 * (mp.max_mfn + 1);
	first_hole = (past + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
	if (mp.v_start != MACH2PHYS_VIRT_START) {
		ec = read_fault(past);
		check(ec != ~0ull && !(ec & (PFEC_PRESENT | PFEC_RSVD |
					      PFEC_WRITE)),
		      "read of entry max_mfn+1 faults not-present (ec %#lx)",
		      ec);
	}
	ec = read_fault(first_hole);
	check(ec != ~0ull && !(ec & (PFEC_PRESENT | PFEC_RSVD)),
	      "read past the table's last page faults not-present (ec %#lx)",
	      ec);
	ec = read_fault(MACH2PHYS_VIRT_END - 8);
	check(ec != ~0ull && !(ec & (PFEC_PRESENT | PFEC_RSVD)),
	      "read at the end of Xen's M2P range faults (ec %#lx)", ec);
	/* The M2P is read-only, at either place. */
	check(write_faults((uint64_t)&FIXED[1]), "a write to the fixed M2P faults");
	check(FIXED[1] == 1 && m2p[1] == 1, "and changed nothing");
	test_end();
}

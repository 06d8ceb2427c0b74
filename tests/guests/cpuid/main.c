/* SPDX-License-Identifier: MIT */
/*
 * cpuid: the CPUID and MSR view of a PV kernel.
 *
 * CPUID through Xen's forced-emulation prefix (ud2; "xen"; cpuid) must
 * show the Xen hypervisor leaves and the PV feature policy (contract
 * §2.13); plain CPUID (what user space uses) must agree on leaf 1.  MSR
 * accesses at guest kernel level trap and are emulated (§1.9, §2.14): the
 * very first one Linux makes, wrmsr GS_BASE, comes before any trap table.
 */
#include <pvabi/version.h>

#include <pvguest/pvguest.h>

#define MSR_EFER		0xc0000080
#define MSR_FS_BASE		0xc0000100
#define MSR_GS_BASE		0xc0000101
#define MSR_IA32_CR_PAT		0x00000277
#define XEN_MSR_PAT		0x0000050100070406UL
#define MSR_BOGUS		0x4b564dff	/* not an MSR anyone has */

#define EFER_LME		(1UL << 8)
#define EFER_LMA		(1UL << 10)

static uint64_t gs_area[2] = { 0x6a6a6a6a11111111UL, 0 };
static uint64_t gs_area2[2] = { 0x6a6a6a6a22222222UL, 0 };
static uint64_t fs_area[2] = { 0x6a6a6a6a33333333UL, 0 };

static uint64_t read_gs0(void)
{
	uint64_t v;

	asm volatile("movq %%gs:0, %0" : "=r"(v) : : "memory");
	return v;
}

static uint64_t read_fs0(void)
{
	uint64_t v;

	asm volatile("movq %%fs:0, %0" : "=r"(v) : : "memory");
	return v;
}

struct bit {
	uint32_t leaf, subleaf;
	char reg;		/* 'b', 'c' or 'd' */
	unsigned int bit;
	const char *name;
};

static uint32_t cpuid_reg(uint32_t leaf, uint32_t subleaf, char reg)
{
	uint32_t a, b, c, d;

	xen_cpuid(leaf, subleaf, &a, &b, &c, &d);
	return reg == 'b' ? b : reg == 'c' ? c : d;
}

/* Features a PV guest must not see (contract §2.13, trap 13). */
static const struct bit hidden[] = {
	{ 1, 0, 'd', 3, "PSE" },
	{ 1, 0, 'd', 13, "PGE" },
	{ 0x80000001, 0, 'd', 26, "PDPE1GB" },
	{ 1, 0, 'd', 17, "PSE36" },
	{ 1, 0, 'd', 12, "MTRR" },
	{ 1, 0, 'c', 3, "MONITOR" },
	{ 1, 0, 'c', 5, "VMX" },
	{ 1, 0, 'c', 17, "PCID" },
	{ 1, 0, 'c', 21, "X2APIC" },
	{ 1, 0, 'c', 24, "TSC_DEADLINE" },
	{ 0x80000001, 0, 'c', 2, "SVM" },
	{ 7, 0, 'b', 7, "SMEP" },
	{ 7, 0, 'b', 10, "INVPCID" },
	{ 7, 0, 'b', 20, "SMAP" },
	{ 7, 0, 'c', 2, "UMIP" },
	{ 7, 0, 'c', 3, "PKU" },
	{ 7, 0, 'c', 16, "LA57" },
};

static void test_hypervisor_leaves(void)
{
	uint32_t a, b, c, d;
	char sig[13];
	long ver;

	xen_cpuid(0x40000000, 0, &a, &b, &c, &d);
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	sig[12] = '\0';
	printk("leaf 0x40000000: max %#x \"%s\"\n", a, sig);
	check(memcmp(sig, "XenVMMXenVMM", 12) == 0 && a >= 0x40000002 &&
	      a < 0x40000100,
	      "leaf 0x40000000 is \"XenVMMXenVMM\", max leaf %#x >= 0x40000002",
	      a);

	ver = HYPERVISOR_xen_version(XENVER_version, NULL);
	xen_cpuid(0x40000001, 0, &a, &b, &c, &d);
	check(a == (uint32_t)ver && ver > 0,
	      "leaf 0x40000001 version %u.%u matches xen_version %ld.%ld",
	      a >> 16, a & 0xffff, ver >> 16, ver & 0xffff);

	xen_cpuid(0x40000002, 0, &a, &b, &c, &d);
	printk("leaf 0x40000002: hypercall pages %u, MSR base %#x, flags %#x\n",
	       a, b, c);
}

static void test_policy(void)
{
	uint32_t a, b, c, d, max_basic, max_ext;
	unsigned int i;

	xen_cpuid(0, 0, &max_basic, &b, &c, &d);
	xen_cpuid(0x80000000, 0, &max_ext, &b, &c, &d);
	printk("max basic leaf %#x, max extended leaf %#x\n", max_basic,
	       max_ext);

	xen_cpuid(1, 0, &a, &b, &c, &d);
	printk("leaf 1: eax %08x ebx %08x ecx %08x edx %08x\n", a, b, c, d);
	check(c & (1U << 31), "leaf 1 ecx: HYPERVISOR bit set");

	for (i = 0; i < ARRAY_SIZE(hidden); i++) {
		const struct bit *f = &hidden[i];

		if ((f->leaf < 0x80000000 && f->leaf > max_basic) ||
		    (f->leaf >= 0x80000000 && f->leaf > max_ext))
			continue;	/* leaf absent: hidden by definition */
		check(!(cpuid_reg(f->leaf, f->subleaf, f->reg) & (1U << f->bit)),
		      "%s hidden (leaf %#x e%cx bit %u)", f->name, f->leaf,
		      f->reg, f->bit);
	}
}

/* Plain cpuid, tolerating a fault so a mismatch is a report, not a panic. */
static bool try_native_cpuid(uint32_t leaf, uint32_t *a, uint32_t *b,
			     uint32_t *c, uint32_t *d)
{
	unsigned long before = pvguest_last_trap.count;

	*a = leaf;
	*b = *c = *d = 0;
	asm volatile("1: cpuid\n"
		     "2:\n\t"
		     PV_EXTABLE("1b", "2b")
		     : "+a"(*a), "=b"(*b), "+c"(*c), "=d"(*d) : : "memory");
	return pvguest_last_trap.count == before;
}

static void test_native_agrees(void)
{
	uint32_t ea, eb, ec, ed, na, nb, nc, nd;
	bool ok;

	/*
	 * Plain CPUID only reaches pvisor where the host traps it (VT-x,
	 * AMD-V, or CPUID faulting). Some hosts (PVM) answer it themselves
	 * with their own signature; there only the prefixed form is pvisor's,
	 * which is why PV kernels use it. Say so instead of failing.
	 */
	ok = try_native_cpuid(0x40000000, &na, &nb, &nc, &nd);
	printk("plain leaf 0x40000000: max %#x, %.4s%.4s%.4s\n", na,
	       (char *)&nb, (char *)&nc, (char *)&nd);
	if (!ok || nb != 0x566e6558 || nc != 0x65584d4d || nd != 0x4d4d566e) {
		printk("  skip    plain CPUID is answered by the host, not "
		       "pvisor: agreement not checkable here\n");
		return;
	}

	xen_cpuid(1, 0, &ea, &eb, &ec, &ed);
	ok = try_native_cpuid(1, &na, &nb, &nc, &nd);
	printk("plain leaf 1: eax %08x ebx %08x ecx %08x edx %08x%s\n", na, nb,
	       nc, nd, ok ? "" : " (faulted)");
	/* OSXSAVE may differ: see the OSXSAVE quirk in contract §2.13. */
	check(ok && ea == na && ed == nd &&
	      (ec & ~(1U << 27)) == (nc & ~(1U << 27)),
	      "plain CPUID leaf 1 agrees with the emulated one "
	      "(edx %08x/%08x ecx %08x/%08x)", ed, nd, ec, nc);

	xen_cpuid(0x80000001, 0, &ea, &eb, &ec, &ed);
	ok = try_native_cpuid(0x80000001, &na, &nb, &nc, &nd);
	check(ok && ed == nd && ec == nc,
	      "plain CPUID leaf 0x80000001 agrees (edx %08x/%08x)", ed, nd);
}

static bool msr_faults(uint32_t msr, bool write)
{
	unsigned long before = pvguest_last_trap.count;
	uint32_t lo = 0, hi = 0;

	if (write)
		asm volatile("1: wrmsr\n"
			     "2:\n\t"
			     PV_EXTABLE("1b", "2b")
			     : : "c"(msr), "a"(lo), "d"(hi) : "memory");
	else
		asm volatile("1: rdmsr\n"
			     "2:\n\t"
			     PV_EXTABLE("1b", "2b")
			     : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
	return pvguest_last_trap.count == before + 1 &&
	       pvguest_last_trap.regs.vector == 13 &&
	       pvguest_last_trap.regs.error_code == 0;
}

static void test_msrs(void)
{
	uint64_t efer, pat, base;
	long rc;

	base = rdmsr(MSR_GS_BASE);
	check(base == (uint64_t)(uintptr_t)gs_area,
	      "rdmsr GS_BASE reads back %#lx", base);

	rc = HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL,
					 (uint64_t)(uintptr_t)gs_area2);
	check(rc == 0 && read_gs0() == gs_area2[0],
	      "set_segment_base(GS_KERNEL) = %ld moves %%gs (reads %#lx)", rc,
	      read_gs0());
	base = rdmsr(MSR_GS_BASE);
	check(base == (uint64_t)(uintptr_t)gs_area2,
	      "rdmsr GS_BASE after set_segment_base = %#lx", base);

	wrmsr(MSR_FS_BASE, (uint64_t)(uintptr_t)fs_area);
	check(read_fs0() == fs_area[0] &&
	      rdmsr(MSR_FS_BASE) == (uint64_t)(uintptr_t)fs_area,
	      "wrmsr FS_BASE: %%fs:0 = %#lx, rdmsr = %#lx", read_fs0(),
	      rdmsr(MSR_FS_BASE));

	efer = rdmsr(MSR_EFER);
	check((efer & (EFER_LME | EFER_LMA)) == (EFER_LME | EFER_LMA),
	      "rdmsr EFER = %#lx has LME and LMA", efer);
	pat = rdmsr(MSR_IA32_CR_PAT);
	check(pat == XEN_MSR_PAT, "rdmsr PAT = %#lx (want %#lx)", pat,
	      XEN_MSR_PAT);

	check(msr_faults(MSR_BOGUS, false), "rdmsr of an unknown MSR: #GP(0)");
	check(msr_faults(MSR_BOGUS, true), "wrmsr of an unknown MSR: #GP(0)");
}

void guest_main(struct start_info *si)
{
	long rc;

	test_start("cpuid");

	/* What startup_xen does first: no trap table exists yet. */
	printk("wrmsr GS_BASE before set_trap_table...\n");
	wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)gs_area);
	check(read_gs0() == gs_area[0],
	      "wrmsr GS_BASE with no trap table is emulated (%%gs:0 = %#lx)",
	      read_gs0());

	rc = trap_init();
	if (!check(rc == 0, "set_trap_table = %ld", rc))
		test_end();

	test_hypervisor_leaves();
	test_policy();
	test_native_agrees();
	test_msrs();
	test_end();
}

/* SPDX-License-Identifier: MIT */
/*
 * dbreg: debug registers of a 64-bit PV guest, as on Xen.
 *
 * set_debugreg/get_debugreg round trips and Xen's refusals (errno and
 * all); `mov %dbN` from the kernel, which runs at CPL3 and so is
 * emulated, with #GP for refused values and #UD for DR8; #GP for the
 * same instruction from user mode; and breakpoints that really fire:
 * an instruction breakpoint (a fault, at the instruction, B0 in DR6),
 * RF in the iret frame stepping over it, and a write watchpoint (a
 * trap, after the store, B1 in DR6), each bounced as vector 1 through
 * the trap table.
 *
 * CR4 as Xen shows it: PAE, OSFXSR, OSXMMEXCPT of the real CR4, DE the
 * guest's own (bits it may not own are dropped, never #GP). With CR4.DE,
 * DR4/DR5 are #UD/-ENODEV and I/O breakpoints (DR7 RW=10b) are accepted;
 * port I/O being emulated, they fire there as a #DB after the in/out,
 * on any host (no breakpoint hardware involved).
 */
#include <pvabi/physdev.h>

#include <pvguest/user.h>

#define SYS_EXIT	60
#define DR6_DEFAULT	0xffff0ff0UL
#define DR7_DEFAULT	0x400UL
#define DR7_L0		0x1UL
#define DR7_G1		0x8UL
#define DR7_GD		0x2000UL
#define DR7_RW0_IO	(2UL << 16)
#define DR7_RW1_W	(1UL << 20)
#define DR7_LEN1_8	(2UL << 22)
#define EFLAGS_RF	0x10000UL
#define CR4_DE		0x8UL
#define CR4_PAE		0x20UL
#define CR4_PGE		0x80UL
#define CR4_VMXE	0x2000UL
#define CR4_VISIBLE	0x660UL		/* PAE MCE OSFXSR OSXMMEXCPT */
#define DR7_L1		0x4UL
#define DR7_RW1_IO	(2UL << 20)
#define DR7_LEN1_4	(3UL << 22)

static long get_dr(int reg)
{
	return HYPERVISOR_get_debugreg(reg);
}

static void test_round_trips(void)
{
	static const unsigned long addrs[4] = {
		0x1000, 0x00007ffffffff000UL, 0xffff880000000000UL,
		0xffffffff80001000UL,
	};
	bool ok = true;
	long rc;
	int i;

	for (i = 0; i < 4; i++) {
		rc = HYPERVISOR_set_debugreg(i, addrs[i]);
		ok &= check(rc == 0 && (unsigned long)get_dr(i) == addrs[i],
			    "DR%d = %#lx: set %ld, reads %#lx", i, addrs[i], rc,
			    (unsigned long)get_dr(i));
	}
	rc = HYPERVISOR_set_debugreg(6, 0);
	check(rc == 0 && get_dr(6) == (long)DR6_DEFAULT,
	      "DR6 = 0 reads back with its reserved ones: %#lx (set %ld)",
	      get_dr(6), rc);
	rc = HYPERVISOR_set_debugreg(7, 0);
	check(rc == 0 && get_dr(7) == (long)DR7_DEFAULT,
	      "DR7 = 0 reads back as %#lx (set %ld)", get_dr(7), rc);
	rc = HYPERVISOR_set_debugreg(7, 0xd000);
	check(rc == 0 && get_dr(7) == (long)DR7_DEFAULT,
	      "DR7 bits 12, 14, 15 read as zero: %#lx", get_dr(7));
	if (ok)
		check(true, "DR0-3 round trips (low and high half)");
	for (i = 0; i < 4; i++)
		HYPERVISOR_set_debugreg(i, 0);
}

static void test_refusals(void)
{
	long rc;

	rc = HYPERVISOR_set_debugreg(8, 0);
	check(rc == -XEN_ENODEV, "set_debugreg(8) = %ld (want -ENODEV)", rc);
	rc = HYPERVISOR_get_debugreg(8);
	check(rc == -XEN_ENODEV, "get_debugreg(8) = %ld (want -ENODEV)", rc);
	rc = HYPERVISOR_set_debugreg(0, 0xffff800000000000UL);
	check(rc == -XEN_EPERM,
	      "DR0 on the hypervisor's range = %ld (want -EPERM)", rc);
	rc = HYPERVISOR_set_debugreg(3, 0xffff87fffffff000UL);
	check(rc == -XEN_EPERM,
	      "DR3 at the top of the hypervisor's range = %ld (want -EPERM)",
	      rc);
	rc = HYPERVISOR_set_debugreg(1, 0x0000800000000000UL);
	check(rc == -XEN_EPERM, "DR1 non-canonical = %ld (want -EPERM)", rc);
	check(get_dr(0) == 0 && get_dr(1) == 0 && get_dr(3) == 0,
	      "refused addresses are not stored");
	rc = HYPERVISOR_set_debugreg(7, DR7_GD);
	check(rc == -XEN_EPERM, "DR7.GD = %ld (want -EPERM)", rc);
	rc = HYPERVISOR_set_debugreg(7, 1UL << 32);
	check(rc == -XEN_EINVAL, "DR7 bit 32 = %ld (want -EINVAL)", rc);
	rc = HYPERVISOR_set_debugreg(6, 1UL << 40);
	check(rc == -XEN_EINVAL, "DR6 bit 40 = %ld (want -EINVAL)", rc);
	rc = HYPERVISOR_set_debugreg(7, DR7_L0 | DR7_RW0_IO);
	check(rc == -XEN_EPERM,
	      "I/O breakpoint without CR4.DE = %ld (want -EPERM)", rc);
	check(get_dr(7) == (long)DR7_DEFAULT, "DR7 unchanged by refusals: %#lx",
	      get_dr(7));

	/* CR4.DE is clear: DR4 and DR5 are DR6 and DR7. */
	rc = HYPERVISOR_set_debugreg(4, 0x1);
	check(rc == 0 && get_dr(6) == (long)(DR6_DEFAULT | 1) &&
	      get_dr(4) == get_dr(6),
	      "DR4 aliases DR6: set %ld, DR6 %#lx, DR4 %#lx", rc, get_dr(6),
	      get_dr(4));
	check(get_dr(5) == get_dr(7), "DR5 reads as DR7 (%#lx)", get_dr(5));
	HYPERVISOR_set_debugreg(6, DR6_DEFAULT);
}

static unsigned long mov_from_dr7(void)
{
	unsigned long v;

	asm volatile("mov %%db7, %0" : "=r"(v));
	return v;
}

static unsigned long mov_from_dr6(void)
{
	unsigned long v;

	asm volatile("mov %%db6, %0" : "=r"(v));
	return v;
}

static void test_mov_dr_kernel(void)
{
	unsigned long gp0 = pvguest_trap_counts[13];
	unsigned long ud0 = pvguest_trap_counts[6];
	unsigned long v = DR7_DEFAULT | DR7_G1 | DR7_RW1_W, r14;

	asm volatile("mov %0, %%db7" : : "r"(v) : "memory");
	check(get_dr(7) == (long)v, "mov to %%db7 from the kernel: DR7 %#lx "
	      "(want %#lx)", get_dr(7), v);
	check(mov_from_dr7() == v, "mov from %%db7: %#lx", mov_from_dr7());
	/* REX registers on both sides. */
	asm volatile("mov %1, %%r9\n\t"
		     "mov %%r9, %%db2\n\t"
		     "mov %%db2, %%r14\n\t"
		     "mov %%r14, %0"
		     : "=r"(r14) : "r"(0x7ffff000UL) : "r9", "r14", "memory");
	check(r14 == 0x7ffff000UL && get_dr(2) == 0x7ffff000L,
	      "mov %%r9 -> %%db2 -> %%r14: %#lx", r14);
	HYPERVISOR_set_debugreg(2, 0);
	HYPERVISOR_set_debugreg(7, 0);

	/* Refused values: #GP at the instruction, nothing stored. */
	asm volatile("1: mov %0, %%db7\n2:\n" PV_EXTABLE("1b", "2b")
		     : : "r"(DR7_GD) : "memory");
	check(pvguest_trap_counts[13] == gp0 + 1 &&
	      pvguest_last_trap.regs.error_code == 0 &&
	      get_dr(7) == (long)DR7_DEFAULT,
	      "mov of GD to %%db7: #GP(0) (%lu taken), DR7 %#lx",
	      pvguest_trap_counts[13] - gp0, get_dr(7));
	asm volatile("1: mov %0, %%db0\n2:\n" PV_EXTABLE("1b", "2b")
		     : : "r"(0xffff800000000000UL) : "memory");
	check(pvguest_trap_counts[13] == gp0 + 2 && get_dr(0) == 0,
	      "mov of a hypervisor address to %%db0: #GP");
	/* %db8 (REX.R) does not exist: #UD. */
	asm volatile("xor %%eax, %%eax\n"
		     "1: .byte 0x44, 0x0f, 0x23, 0xc0\n"	/* mov %rax,%db8 */
		     "2:\n" PV_EXTABLE("1b", "2b") : : : "rax", "memory");
	check(pvguest_trap_counts[6] == ud0 + 1,
	      "mov to %%db8: #UD (%lu taken)", pvguest_trap_counts[6] - ud0);
	/* DR4 reads as DR6 through mov as well. */
	{
		unsigned long d4;

		asm volatile("mov %%db4, %0" : "=r"(d4));
		check(d4 == DR6_DEFAULT, "mov from %%db4 reads DR6: %#lx", d4);
	}
}

/* ---- CR4.DE and I/O breakpoints ------------------------------------- */

static unsigned long read_cr4(void)
{
	unsigned long v;

	asm volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static void write_cr4(unsigned long v)
{
	asm volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static unsigned int io_db_hits;
static struct guest_regs io_db_regs;
static unsigned long io_db_dr6;

static bool on_io_db(struct guest_regs *r)
{
	if (!io_db_hits++) {
		io_db_regs = *r;
		io_db_dr6 = (unsigned long)get_dr(6);
	}
	HYPERVISOR_set_debugreg(6, DR6_DEFAULT);
	return true;
}

asm(".text\n"
    ".globl io_out80, io_out80_after, io_in70, io_in70_after\n"
    "io_out80:\n"
    "	out %al, $0x80\n"
    "io_out80_after:\n"
    "	ret\n"
    "io_in70:\n"
    "	mov $0x73, %edx\n"
    "	in (%dx), %al\n"
    "io_in70_after:\n"
    "	ret\n");

void io_out80(void);
void io_in70(void);
extern char io_out80_after[], io_in70_after[];

static void test_cr4_de(void)
{
	struct physdev_set_iopl iopl = { .iopl = 1 };
	unsigned long cr4 = read_cr4(), gp0 = pvguest_trap_counts[13];
	unsigned long ud0 = pvguest_trap_counts[6], d4;
	long rc;

	check((cr4 & CR4_PAE) && !(cr4 & ~CR4_VISIBLE),
	      "CR4 reads %#lx: PAE, only what Xen lets a PV guest see", cr4);
	/* Not the guest's: dropped, no #GP. */
	write_cr4(cr4 | CR4_PGE | CR4_VMXE);
	check(read_cr4() == cr4 && pvguest_trap_counts[13] == gp0,
	      "mov to %%cr4 with PGE|VMXE: dropped, no #GP (reads %#lx)",
	      read_cr4());
	write_cr4(cr4 | CR4_DE);
	if (!check(read_cr4() == (cr4 | CR4_DE), "mov to %%cr4 sets DE "
		   "(reads %#lx)", read_cr4()))
		return;

	/* DR4/DR5 no longer exist. */
	rc = HYPERVISOR_set_debugreg(4, 0);
	check(rc == -XEN_ENODEV, "CR4.DE: set_debugreg(4) = %ld (want "
	      "-ENODEV)", rc);
	rc = HYPERVISOR_get_debugreg(5);
	check(rc == -XEN_ENODEV, "CR4.DE: get_debugreg(5) = %ld (want "
	      "-ENODEV)", rc);
	asm volatile("1: mov %%db4, %0\n2:\n" PV_EXTABLE("1b", "2b")
		     : "=r"(d4) : : "memory");
	check(pvguest_trap_counts[6] == ud0 + 1,
	      "CR4.DE: mov from %%db4 is #UD (%lu taken)",
	      pvguest_trap_counts[6] - ud0);

	/* I/O breakpoints: accepted, read back whole. */
	rc = HYPERVISOR_set_debugreg(0, 0x80);
	rc = rc ? rc : HYPERVISOR_set_debugreg(1, 0x70);
	rc = rc ? rc : HYPERVISOR_set_debugreg(7, DR7_L0 | DR7_RW0_IO |
					       DR7_L1 | DR7_RW1_IO |
					       DR7_LEN1_4);
	check(rc == 0, "CR4.DE: I/O breakpoints on 0x80 and 0x70-0x73 = %ld",
	      rc);
	check(get_dr(7) == (long)(DR7_DEFAULT | DR7_L0 | DR7_RW0_IO | DR7_L1 |
				  DR7_RW1_IO | DR7_LEN1_4),
	      "  ... DR7 reads back %#lx", get_dr(7));

	/* They fire on the emulated port I/O: a trap, after it. */
	rc = HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, &iopl);
	check(rc == 0, "set_iopl(1) = %ld", rc);
	HYPERVISOR_set_debugreg(6, DR6_DEFAULT);
	trap_set_handler(1, on_io_db);
	io_db_hits = 0;
	io_out80();
	check(io_db_hits == 1 && io_db_regs.vector == 1 &&
	      io_db_regs.rip == (uint64_t)(uintptr_t)io_out80_after,
	      "out $0x80: %u #DB at %#lx (want 1 at %p, after the out)",
	      io_db_hits, io_db_regs.rip, (void *)io_out80_after);
	check((io_db_dr6 & 0xf) == 1, "  ... DR6 %#lx: B0", io_db_dr6);
	io_db_hits = 0;
	io_in70();
	check(io_db_hits == 1 &&
	      io_db_regs.rip == (uint64_t)(uintptr_t)io_in70_after &&
	      (io_db_dr6 & 0xf) == 2,
	      "in from 0x73 (DR1 covers 0x70-0x73): %u #DB, DR6 %#lx (B1)",
	      io_db_hits, io_db_dr6);

	/* CR4.DE off: enables stay, nothing fires, none can be set. */
	write_cr4(cr4);
	io_db_hits = 0;
	io_out80();
	check(io_db_hits == 0, "CR4.DE clear: out $0x80 fires nothing (%u)",
	      io_db_hits);
	trap_set_handler(1, NULL);
	HYPERVISOR_set_debugreg(7, 0);
	rc = HYPERVISOR_set_debugreg(7, DR7_L0 | DR7_RW0_IO);
	check(rc == -XEN_EPERM, "CR4.DE clear again: I/O breakpoint = %ld "
	      "(want -EPERM)", rc);
	HYPERVISOR_set_debugreg(0, 0);
	HYPERVISOR_set_debugreg(1, 0);
	HYPERVISOR_set_debugreg(6, DR6_DEFAULT);
	iopl.iopl = 0;
	HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, &iopl);
}

/* ---- user mode ------------------------------------------------------ */

asm(".pushsection .user.text, \"ax\"\n"
    ".globl user_mov_dr, user_mov_dr_insn, user_mov_dr_write\n"
    "user_mov_dr:\n"
    "	mov $0x401, %eax\n"
    "user_mov_dr_insn:\n"
    "	mov %db7, %rax\n"
    "user_mov_dr_write:\n"
    "	mov %rax, %db7\n"
    "	xor %edi, %edi\n"
    "	mov $60, %eax\n"
    "	syscall\n"
    "	ud2\n"
    ".popsection\n");

extern char user_mov_dr[], user_mov_dr_insn[], user_mov_dr_write[];

static unsigned int user_gps;
static struct guest_regs user_gp_regs[2];

static bool on_user_gp(struct guest_regs *r)
{
	if (!guest_regs_from_user(r))
		return false;
	if (user_gps < 2)
		user_gp_regs[user_gps] = *r;
	user_gps++;
	if (r->rip == user_text_va(user_mov_dr_insn))
		r->rip += 3;
	else if (r->rip == user_text_va(user_mov_dr_write))
		r->rip += 3;
	else
		pvguest_user_leave(-100);
	return true;
}

static bool on_syscall(struct guest_regs *r)
{
	if (r->rax == SYS_EXIT)
		pvguest_user_leave((long)r->rdi);
	r->rax = (uint64_t)-XEN_ENOSYS;
	return true;
}

static void test_user_mode(void)
{
	long rc;

	rc = syscall_callback_init();
	if (!check(rc == 0, "callback_op(register syscall) = %ld", rc))
		return;
	rc = user_space_init();
	if (!check(rc == 0, "user page tables installed (%ld)", rc))
		return;
	trap_set_handler(PVGUEST_VEC_SYSCALL, on_syscall);
	trap_set_handler(13, on_user_gp);
	rc = pvguest_user_enter(user_text_va(user_mov_dr),
				PVGUEST_USER_STACK_TOP, 0x202);
	trap_set_handler(13, NULL);
	check(rc == 0, "user program ran to its exit (code %ld)", rc);
	check(user_gps == 2, "user mov from/to %%db7: %u #GP (want 2)",
	      user_gps);
	if (user_gps == 2) {
		check(user_gp_regs[0].rip == user_text_va(user_mov_dr_insn) &&
		      user_gp_regs[0].error_code == 0 &&
		      (user_gp_regs[0].cs & 3) == 3 &&
		      user_gp_regs[0].rax == 0x401,
		      "user mov from %%db7: #GP(0) at the instruction, rax "
		      "untouched (%#lx)", user_gp_regs[0].rax);
		check(user_gp_regs[1].rip == user_text_va(user_mov_dr_write),
		      "user mov to %%db7: #GP at the instruction");
	}
	check(get_dr(7) == (long)DR7_DEFAULT,
	      "DR7 untouched by user mode: %#lx", get_dr(7));
}

/* ---- breakpoints that fire ------------------------------------------ */

asm(".text\n"
    ".globl bp_target, bp_after\n"
    "bp_target:\n"
    "	nop\n"
    "bp_after:\n"
    "	ret\n"
    ".globl wp_store, wp_after\n"
    "wp_store:\n"
    "	movq $0x5a, (%rdi)\n"
    "wp_after:\n"
    "	ret\n");

void bp_target(void);
void wp_store(volatile uint64_t *p);
extern char bp_after[], wp_after[];

static volatile uint64_t watched __attribute__((aligned(8)));

static unsigned int db_hits;
static struct guest_regs db_regs;
static unsigned long db_dr6, db_mov_dr6;
static bool db_use_rf;

static bool on_db(struct guest_regs *r)
{
	db_hits++;
	if (db_hits == 1) {
		db_regs = *r;
		db_dr6 = (unsigned long)get_dr(6);
		db_mov_dr6 = mov_from_dr6();
	}
	/*
	 * Either step over the faulting instruction with RF, or disarm;
	 * a breakpoint that keeps firing is disarmed anyway.
	 */
	if (db_use_rf && db_hits < 4)
		r->rflags |= EFLAGS_RF;
	else
		HYPERVISOR_set_debugreg(7, 0);
	HYPERVISOR_set_debugreg(6, DR6_DEFAULT);
	return true;
}

static void arm(int reg, unsigned long addr, unsigned long dr7)
{
	long rc;

	db_hits = 0;
	HYPERVISOR_set_debugreg(6, DR6_DEFAULT);
	rc = HYPERVISOR_set_debugreg(reg, addr);
	rc = rc ? rc : HYPERVISOR_set_debugreg(7, dr7);
	check(rc == 0, "arm DR%d = %#lx, DR7 = %#lx: %ld", reg, addr, dr7, rc);
}

/* Single step (TF): needs no breakpoint hardware, checks DR6 merging. */
asm(".text\n"
    ".globl ss_probe, ss_insn, ss_after\n"
    "ss_probe:\n"
    "	pushfq\n"
    "	orq $0x100, (%rsp)\n"
    "	popfq\n"
    "ss_insn:\n"
    "	nop\n"
    "ss_after:\n"
    "	ret\n");

void ss_probe(void);
extern char ss_insn[], ss_after[];

static bool on_db_step(struct guest_regs *r)
{
	db_hits++;
	if (db_hits == 1) {
		db_regs = *r;
		db_dr6 = (unsigned long)get_dr(6);
	}
	r->rflags &= ~0x100UL;		/* TF */
	HYPERVISOR_set_debugreg(6, DR6_DEFAULT);
	return true;
}

static void test_single_step(void)
{
	db_hits = 0;
	HYPERVISOR_set_debugreg(6, DR6_DEFAULT);
	trap_set_handler(1, on_db_step);
	ss_probe();
	trap_set_handler(1, NULL);
	check(db_hits == 1 && db_regs.vector == 1 &&
	      db_regs.rip == (uint64_t)(uintptr_t)ss_after,
	      "single step: %u #DB, vector %lu at %#lx (want 1 at %p)",
	      db_hits, db_regs.vector, db_regs.rip, (void *)ss_after);
	check(db_dr6 & 0x4000, "  ... get_debugreg(6) = %#lx has BS", db_dr6);
	check(get_dr(6) == (long)DR6_DEFAULT, "  ... and was reset by the "
	      "handler (%#lx)", get_dr(6));
}

/*
 * "bp-unarmed-ok" on the command line (tests/guests/run.sh gives it in
 * the nested test VM only): there, QEMU's emulated AMD-V does not arm
 * the VMCB's DR0-3/DR7 (fixed in QEMU 9.1), so no breakpoint can fire
 * whatever pvisor does. Then "no #DB at all" is reported, not failed;
 * any #DB that does come is checked in full.
 */
static bool bp_unarmed_ok;

static bool cmdline_has(const struct start_info *si, const char *word)
{
	const char *p = (const char *)si->cmd_line;
	size_t n = strlen(word);

	for (; *p; p++)
		if ((p == (const char *)si->cmd_line || p[-1] == ' ') &&
		    !strncmp(p, word, n) && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

static void test_breakpoints(void)
{
	trap_set_handler(1, on_db);

	/* Instruction breakpoint: a fault, reported at the instruction. */
	db_use_rf = false;
	arm(0, (unsigned long)bp_target, DR7_L0);
	bp_target();
	if (!db_hits && bp_unarmed_ok) {
		printk("dbreg: note: no #DB from DR0/DR7 on this CPU (nested "
		       "QEMU TCG before 9.1 does not arm the VMCB's debug "
		       "registers): breakpoint delivery unverified here\n");
		HYPERVISOR_set_debugreg(7, 0);
		HYPERVISOR_set_debugreg(0, 0);
		trap_set_handler(1, NULL);
		return;
	}
	check(db_hits == 1, "instruction breakpoint: %u #DB (want 1)",
	      db_hits);
	if (db_hits) {
		check(db_regs.vector == 1 &&
		      db_regs.rip == (uint64_t)(uintptr_t)bp_target &&
		      (db_regs.cs & 3) == 0,
		      "  ... vector %lu at %#lx (want 1 at %p, kernel mode)",
		      db_regs.vector, db_regs.rip, (void *)bp_target);
		check((db_dr6 & 0xf) == 1 && (db_dr6 & 0xffff0000) == 0xffff0000,
		      "  ... get_debugreg(6) = %#lx: B0 alone", db_dr6);
		check(db_mov_dr6 == db_dr6, "  ... mov from %%db6 agrees (%#lx)",
		      db_mov_dr6);
	}
	check(get_dr(7) == (long)DR7_DEFAULT, "handler disarmed DR7 (%#lx)",
	      get_dr(7));

	/* RF in the iret frame: the instruction then runs, once. */
	db_use_rf = true;
	arm(0, (unsigned long)bp_target, DR7_L0);
	bp_target();
	bp_target();
	HYPERVISOR_set_debugreg(7, 0);
	check(db_hits == 2,
	      "iret with RF steps over the breakpoint: %u #DB for 2 calls",
	      db_hits);

	/* Write watchpoint: a trap, reported after the store. */
	db_use_rf = false;
	watched = 0;
	arm(1, (unsigned long)&watched, DR7_G1 | DR7_RW1_W | DR7_LEN1_8);
	(void)watched;			/* reads do not fire */
	wp_store(&watched);
	check(db_hits == 1 && watched == 0x5a,
	      "write watchpoint: %u #DB (want 1), value %#lx", db_hits,
	      (unsigned long)watched);
	if (db_hits) {
		check(db_regs.vector == 1 &&
		      db_regs.rip == (uint64_t)(uintptr_t)wp_after,
		      "  ... vector %lu at %#lx (want 1 after the store, %p)",
		      db_regs.vector, db_regs.rip, (void *)wp_after);
		check(db_dr6 & 0x2, "  ... DR6 %#lx has B1", db_dr6);
	}
	HYPERVISOR_set_debugreg(7, 0);
	HYPERVISOR_set_debugreg(0, 0);
	HYPERVISOR_set_debugreg(1, 0);
	trap_set_handler(1, NULL);
}

void guest_main(struct start_info *si)
{
	long rc;

	test_start("dbreg");
	bp_unarmed_ok = cmdline_has(si, "bp-unarmed-ok");
	rc = map_shared_info();
	check(rc == 0, "map shared_info = %ld", rc);
	rc = trap_init();
	if (!check(rc == 0, "set_trap_table = %ld", rc))
		test_end();

	test_round_trips();
	test_refusals();
	test_mov_dr_kernel();
	test_cr4_de();
	test_single_step();
	test_breakpoints();
	test_user_mode();
	test_end();
}

/* SPDX-License-Identifier: MIT */
/*
 * iopl: who may do what the I/O privilege level guards, and `int n`
 * through a gate the caller may not use, as Xen defines them for a
 * 64-bit PV guest.
 *
 * `int n` refused by the trap table's DPL (or with no entry) is a fault:
 * #GP with error code (n << 3) | 2 and RIP at the `int`, so an exception
 * table can fix it up; allowed, it is a trap (RIP past it).  int3 and
 * `int $3` are #BP whatever DPL the guest gave vector 3.
 *
 * Port I/O and cli/sti need the virtual IOPL (PHYSDEVOP_set_iopl, 0..3):
 * >= 1 in kernel mode (any, with VMASST_TYPE_architectural_iopl, which
 * also lets iret set the IOPL and shows it in bounce frames), 3 in user
 * mode; otherwise #GP(0) at the instruction.  No port has a device
 * behind it: reads float high (the PIT counters read 0), writes vanish;
 * cli/sti change nothing (the event mask is the guest's to set).
 *
 * Where the virtual IOPL refuses port I/O, the I/O bitmap the guest set
 * with PHYSDEVOP_set_iobitmap decides, in either mode: a port below
 * nr_ports whose bit is clear is allowed (an access covers all its
 * ports); an unreadable bitmap is a #PF at the byte read, two bytes
 * being read always. cli/sti stay the virtual IOPL's alone.
 */
#include <pvabi/physdev.h>

#include <pvguest/user.h>

#define SYS_EXIT	60
#define USER_GP		1000	/* exit code: the user probe took a #GP */
#define ARCH_IOPL	VMASST_TYPE_architectural_iopl

/*
 * User probes: one instruction, then exit(0) by syscall; IN probes exit
 * with %eax, preloaded with 0x1234, so the byte read shows.
 */
asm(".pushsection .user.text, \"ax\"\n"
    ".macro UPROBE name, insn:vararg\n"
    "	.globl \\name, \\name\\()_insn, \\name\\()_next\n"
    "\\name:\n"
    "	mov $0x1234, %eax\n"
    "\\name\\()_insn:\n"
    "	\\insn\n"
    "\\name\\()_next:\n"
    "	mov %eax, %edi\n"
    "	mov $60, %eax\n"
    "	syscall\n"
    "	ud2\n"
    ".endm\n"
    "UPROBE u_cli, cli\n"
    "UPROBE u_sti, sti\n"
    "UPROBE u_out, out %al, $0x80\n"
    "UPROBE u_in, in $0x60, %al\n"
    "UPROBE u_int80, int $0x80\n"
    ".popsection\n");

#define DECLARE_UPROBE(n) extern char n[], n##_insn[], n##_next[]
DECLARE_UPROBE(u_cli);
DECLARE_UPROBE(u_sti);
DECLARE_UPROBE(u_out);
DECLARE_UPROBE(u_in);
DECLARE_UPROBE(u_int80);

/* What the user-mode handlers saw. */
static struct guest_regs user_gp, user_int80;
static unsigned long user_gp_count, user_int80_count;

static bool on_syscall(struct guest_regs *r)
{
	if (r->rax == SYS_EXIT)
		pvguest_user_leave((long)(uint32_t)r->rdi);
	r->rax = (uint64_t)-XEN_ENOSYS;
	return true;
}

static bool on_gp(struct guest_regs *r)
{
	if (!guest_regs_from_user(r))
		return false;		/* kernel probes: the exception table */
	user_gp = *r;
	user_gp_count++;
	pvguest_user_leave(USER_GP);
}

static bool on_int80(struct guest_regs *r)
{
	if (!guest_regs_from_user(r))
		return false;
	user_int80 = *r;
	user_int80_count++;
	return true;			/* a trap: resume past the int */
}

static long set_iopl(uint32_t iopl)
{
	struct physdev_set_iopl op = { .iopl = iopl };

	return HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, &op);
}

static long user_run(const char *probe, uint64_t rflags)
{
	user_gp_count = 0;
	user_int80_count = 0;
	return pvguest_user_enter(user_text_va(probe), PVGUEST_USER_STACK_TOP,
				  rflags);
}

/* ---- kernel probes ------------------------------------------------------
 * Each runs one instruction (rax as given, dx = 0x42) with an
 * exception-table entry that resumes right after it; the result is what
 * the trap record says.
 */
struct kres {
	unsigned long traps;	/* traps taken */
	struct guest_regs regs;	/* the last one */
	uint64_t insn, next;	/* the probe's addresses */
	uint64_t rax;		/* after the instruction */
};

#define KPROBE(res, insn_text, rax_in)					\
do {									\
	unsigned long before_ = pvguest_last_trap.count;		\
	uint64_t a_ = (rax_in), d_ = 0x42, i_, n_;			\
	asm volatile("lea 1f(%%rip), %2\n\t"				\
		     "lea 2f(%%rip), %3\n"				\
		     "1: " insn_text "\n"				\
		     "2:\n\t"						\
		     PV_EXTABLE("1b", "2b")				\
		     : "+a"(a_), "+d"(d_), "=&r"(i_), "=&r"(n_)		\
		     : : "memory", "cc");				\
	(res)->traps = pvguest_last_trap.count - before_;		\
	memcpy(&(res)->regs, (const void *)&pvguest_last_trap.regs,	\
	       sizeof((res)->regs));					\
	(res)->insn = i_;						\
	(res)->next = n_;						\
	(res)->rax = a_;						\
} while (0)

/* A fault: one trap, vector/error code as given, RIP at the instruction. */
static void expect_fault(const char *what, const struct kres *k,
			 unsigned int vec, uint64_t ec)
{
	check(k->traps == 1 && k->regs.vector == vec &&
	      k->regs.error_code == ec && k->regs.rip == k->insn,
	      "%s: %lu trap(s), vector %lu error %#lx rip %#lx "
	      "(want 1, %u, %#lx, %#lx: the instruction)", what, k->traps,
	      k->regs.vector, k->regs.error_code, k->regs.rip, vec, ec,
	      k->insn);
}

/* A trap: one, vector as given, RIP past the instruction. */
static void expect_trap(const char *what, const struct kres *k,
			unsigned int vec)
{
	check(k->traps == 1 && k->regs.vector == vec &&
	      k->regs.rip == k->next,
	      "%s: %lu trap(s), vector %lu rip %#lx (want 1, %u, %#lx: past "
	      "it)", what, k->traps, k->regs.vector, k->regs.rip, vec,
	      k->next);
}

static void expect_none(const char *what, const struct kres *k)
{
	check(k->traps == 0, "%s: emulated, no trap (%lu, last vector %lu "
	      "error %#lx)", what, k->traps, k->regs.vector,
	      k->regs.error_code);
}

static void test_int_n(void)
{
	struct kres k;
	long rc;

	/* Vector 0x80 with DPL 0: the kernel (ring 1 to Xen) may not. */
	trap_set_flags(0x80, 0);
	rc = trap_init();
	check(rc == 0, "set_trap_table with int $0x80 at DPL 0 = %ld", rc);
	KPROBE(&k, "int $0x80", 0);
	expect_fault("kernel int $0x80, DPL 0", &k, 13, (0x80 << 3) | 2);

	/* DPL 1 admits the kernel: a trap. */
	trap_set_flags(0x80, 1);
	rc = trap_init();
	check(rc == 0, "set_trap_table with int $0x80 at DPL 1 = %ld", rc);
	KPROBE(&k, "int $0x80", 0);
	expect_trap("kernel int $0x80, DPL 1", &k, 0x80);

	/* No trap-table entry at all. */
	KPROBE(&k, "int $0x41", 0);
	expect_fault("kernel int $0x41, no entry", &k, 13, (0x41 << 3) | 2);
	KPROBE(&k, "int $0xff", 0);
	expect_fault("kernel int $0xff, no entry", &k, 13, (0xff << 3) | 2);

	/* #BP ignores the DPL given to vector 3, in both spellings. */
	trap_set_flags(3, 0);
	rc = trap_init();
	check(rc == 0, "set_trap_table with #BP at DPL 0 = %ld", rc);
	KPROBE(&k, "int3", 0);
	expect_trap("int3 with vector 3 at DPL 0", &k, 3);
	KPROBE(&k, ".byte 0xcd, 0x03", 0);
	expect_trap("int $3 with vector 3 at DPL 0", &k, 3);
	trap_set_flags(3, 3);

	/* From user mode: DPL 1 is not enough, DPL 3 is. */
	trap_set_flags(0x80, 1);
	rc = trap_init();
	check(rc == 0, "set_trap_table with int $0x80 at DPL 1 = %ld", rc);
	rc = user_run(u_int80, 0x202);
	check(rc == USER_GP && user_gp_count == 1 &&
	      user_gp.error_code == ((0x80 << 3) | 2) &&
	      user_gp.rip == user_text_va(u_int80_insn) &&
	      (user_gp.cs & 3) == 3,
	      "user int $0x80, DPL 1: #GP error %#lx at %#lx (want %#x at "
	      "%#lx, the int), exit %ld", user_gp.error_code, user_gp.rip,
	      (0x80 << 3) | 2, user_text_va(u_int80_insn), rc);

	trap_set_flags(0x80, 3);
	rc = trap_init();
	check(rc == 0, "set_trap_table with int $0x80 at DPL 3 = %ld", rc);
	rc = user_run(u_int80, 0x202);
	check(rc == 0x1234 && user_int80_count == 1 && user_gp_count == 0 &&
	      user_int80.rip == user_text_va(u_int80_next),
	      "user int $0x80, DPL 3: delivered past the int (rip %#lx, want "
	      "%#lx), exit %#lx", user_int80.rip, user_text_va(u_int80_next),
	      rc);
}

/* The kernel's port I/O and cli/sti at the current settings. */
static void kernel_io(const char *when, bool allowed)
{
	struct vcpu_info *vi = vcpu0_info();
	uint8_t mask = vi ? vi->evtchn_upcall_mask : 0;
	char what[96];
	struct kres k;

	KPROBE(&k, "out %%al, $0x80", 0);
	snprintf(what, sizeof(what), "%s: kernel out $0x80", when);
	if (allowed)
		expect_none(what, &k);
	else
		expect_fault(what, &k, 13, 0);

	KPROBE(&k, "in $0x60, %%al", 0x1234);
	snprintf(what, sizeof(what), "%s: kernel in $0x60", when);
	if (allowed) {
		expect_none(what, &k);
		check(k.rax == 0x12ff, "%s: read %#lx (want 0x12ff: floats "
		      "high, upper bytes kept)", what, k.rax);
	} else {
		expect_fault(what, &k, 13, 0);
		check(k.rax == 0x1234, "%s: rax untouched (%#lx)", what,
		      k.rax);
	}

	KPROBE(&k, "in %%dx, %%al", 0x12ff);
	snprintf(what, sizeof(what), "%s: kernel in (%%dx = 0x42)", when);
	if (allowed) {
		expect_none(what, &k);
		check(k.rax == 0x1200, "%s: the PIT counter reads %#lx (want "
		      "0x1200)", what, k.rax);
	} else {
		expect_fault(what, &k, 13, 0);
	}

	KPROBE(&k, "cli", 0);
	snprintf(what, sizeof(what), "%s: kernel cli", when);
	if (allowed)
		expect_none(what, &k);
	else
		expect_fault(what, &k, 13, 0);
	KPROBE(&k, "sti", 0);
	snprintf(what, sizeof(what), "%s: kernel sti", when);
	if (allowed)
		expect_none(what, &k);
	else
		expect_fault(what, &k, 13, 0);
	if (vi)
		check(vi->evtchn_upcall_mask == mask,
		      "%s: cli/sti left the event mask alone (%u, was %u)",
		      when, vi->evtchn_upcall_mask, mask);
}

/* One user probe: emulated (exit code) or #GP(0) at the instruction. */
static void user_io(const char *when, const char *probe, const char *insn,
		    uint64_t rflags, bool allowed, long want_exit)
{
	long rc = user_run(probe, rflags);

	if (allowed)
		check(rc == want_exit && user_gp_count == 0,
		      "%s: user probe at %#lx ran (exit %#lx, want %#lx)",
		      when, user_text_va(insn), rc, want_exit);
	else
		check(rc == USER_GP && user_gp_count == 1 &&
		      user_gp.error_code == 0 &&
		      user_gp.rip == user_text_va(insn),
		      "%s: user #GP(%#lx) at %#lx (want #GP(0) at %#lx), "
		      "exit %ld", when, user_gp.error_code, user_gp.rip,
		      user_text_va(insn), rc);
}

static void user_all(const char *when, uint64_t rflags, bool allowed)
{
	char what[96];

	snprintf(what, sizeof(what), "%s: cli", when);
	user_io(what, u_cli, u_cli_insn, rflags, allowed, 0x1234);
	snprintf(what, sizeof(what), "%s: sti", when);
	user_io(what, u_sti, u_sti_insn, rflags, allowed, 0x1234);
	snprintf(what, sizeof(what), "%s: out $0x80", when);
	user_io(what, u_out, u_out_insn, rflags, allowed, 0x1234);
	snprintf(what, sizeof(what), "%s: in $0x60", when);
	user_io(what, u_in, u_in_insn, rflags, allowed, 0x12ff);
}

static bool frame_iopl_seen;
static uint64_t frame_rflags;

static bool ud_record(struct guest_regs *r)
{
	frame_rflags = r->rflags;
	frame_iopl_seen = true;
	r->rip += 2;
	return true;
}

static unsigned int frame_iopl(void)
{
	frame_iopl_seen = false;
	trap_set_handler(6, ud_record);
	asm volatile("ud2" : : : "memory");
	trap_set_handler(6, NULL);
	return frame_iopl_seen ? (unsigned int)(frame_rflags >> 12) & 3 : 99;
}

static void test_iopl(void)
{
	unsigned int shown;
	long rc;

	/* The domain builder starts vCPU0 at IOPL 0, as Xen's does. */
	kernel_io("vIOPL 0", false);
	user_all("user, vIOPL 0", 0x202, false);

	rc = set_iopl(4);
	check(rc == -XEN_EINVAL, "set_iopl(4) = %ld (want -EINVAL)", rc);
	rc = set_iopl(0xffffffff);
	check(rc == -XEN_EINVAL, "set_iopl(0xffffffff) = %ld (want -EINVAL)",
	      rc);
	kernel_io("vIOPL 0 after refused set_iopl", false);

	/* What Linux asks for at boot. */
	rc = set_iopl(1);
	check(rc == 0, "set_iopl(1) = %ld", rc);
	kernel_io("vIOPL 1", true);
	user_all("user, vIOPL 1", 0x202, false);
	shown = frame_iopl();
	check(shown == 0, "vIOPL 1 without the assist: frames show IOPL %u "
	      "(want 0)", shown);

	rc = set_iopl(2);
	check(rc == 0, "set_iopl(2) = %ld", rc);
	user_all("user, vIOPL 2", 0x202, false);

	rc = set_iopl(3);
	check(rc == 0, "set_iopl(3) = %ld", rc);
	kernel_io("vIOPL 3", true);
	/* Without the assist the IOPL bits iret is given are ignored. */
	user_all("user, vIOPL 3", 0x202, true);

	rc = set_iopl(0);
	check(rc == 0, "set_iopl(0) = %ld", rc);
	kernel_io("vIOPL 0 again", false);
	user_all("user, vIOPL 0, iret with IOPL 3 (no assist)", 0x3202,
		 false);

	/* Architectural IOPL: the kernel is ring 0. */
	rc = HYPERVISOR_vm_assist(VMASST_CMD_enable, ARCH_IOPL);
	check(rc == 0, "vm_assist(enable, architectural_iopl) = %ld", rc);
	kernel_io("architectural, vIOPL 0", true);
	rc = set_iopl(2);
	check(rc == 0, "set_iopl(2) = %ld", rc);
	shown = frame_iopl();
	check(shown == 2, "architectural: frames show IOPL %u (want 2)",
	      shown);
	user_all("user, architectural, iret with IOPL 2", 0x2202, false);
	/* Entering user mode by iret with IOPL 3 sets the vIOPL to 3... */
	user_all("user, architectural, iret with IOPL 3", 0x3202, true);
	shown = frame_iopl();
	check(shown == 3, "architectural: iret set the vIOPL, frames show %u "
	      "(want 3)", shown);
	/* ...and with IOPL 0 back to 0. */
	user_all("user, architectural, iret with IOPL 0", 0x202, false);
	shown = frame_iopl();
	check(shown == 0, "architectural: iret set the vIOPL, frames show %u "
	      "(want 0)", shown);
	kernel_io("architectural, vIOPL 0 by iret", true);

	rc = HYPERVISOR_vm_assist(VMASST_CMD_disable, ARCH_IOPL);
	check(rc == 0, "vm_assist(disable, architectural_iopl) = %ld", rc);
	kernel_io("assist off, vIOPL 0", false);
	rc = set_iopl(1);
	check(rc == 0, "set_iopl(1) = %ld", rc);
	kernel_io("assist off, vIOPL 1", true);
}

/* ---- the I/O bitmap ---------------------------------------------------- */

/* Two pages of bitmap, then one that is unmapped for the fault cases. */
static uint8_t iobmp[3][PAGE_SIZE] __page_aligned;

static long set_iobitmap(const void *bitmap, uint32_t nr_ports)
{
	struct physdev_set_iobitmap op = { .nr_ports = nr_ports };

	set_xen_guest_handle(op.bitmap, bitmap);
	return HYPERVISOR_physdev_op(PHYSDEVOP_set_iobitmap, &op);
}

static void allow_port(unsigned int port)
{
	iobmp[0][port >> 3] &= (uint8_t)~(1u << (port & 7));
}

static void test_iobitmap(void)
{
	struct kres k;
	long rc;

	rc = set_iopl(0);
	check(rc == 0, "set_iopl(0) = %ld", rc);
	memset(iobmp, 0xff, sizeof(iobmp));
	allow_port(0x80);
	allow_port(0x42);

	/* Refusals, as Xen's: -EFAULT for the argument, else -EINVAL. */
	rc = HYPERVISOR_physdev_op(PHYSDEVOP_set_iobitmap, NULL);
	check(rc == -XEN_EFAULT, "set_iobitmap(NULL) = %ld (want -EFAULT)",
	      rc);
	rc = set_iobitmap(iobmp, 65537);
	check(rc == -XEN_EINVAL, "set_iobitmap(nr_ports 65537) = %ld (want "
	      "-EINVAL)", rc);
	rc = set_iobitmap((void *)0xffff800000000000UL, 8);
	check(rc == -XEN_EINVAL, "set_iobitmap(hypervisor address) = %ld "
	      "(want -EINVAL)", rc);
	rc = set_iobitmap((void *)0x0000800000000000UL, 8);
	check(rc == -XEN_EINVAL, "set_iobitmap(non-canonical) = %ld (want "
	      "-EINVAL)", rc);
	KPROBE(&k, "out %%al, $0x80", 0);
	expect_fault("vIOPL 0, no bitmap yet: kernel out $0x80", &k, 13, 0);

	rc = set_iobitmap(iobmp, 65536);
	check(rc == 0, "set_iobitmap(all 65536 ports) = %ld", rc);
	KPROBE(&k, "out %%al, $0x80", 0);
	expect_none("bitmap allows 0x80: kernel out $0x80", &k);
	KPROBE(&k, "in %%dx, %%al", 0x12ff);
	expect_none("bitmap allows 0x42: kernel in (%%dx = 0x42)", &k);
	check(k.rax == 0x1200, "  ... the PIT counter reads %#lx (want "
	      "0x1200)", k.rax);
	KPROBE(&k, "in $0x60, %%al", 0x1234);
	expect_fault("bitmap refuses 0x60: kernel in $0x60", &k, 13, 0);
	check(k.rax == 0x1234, "  ... rax untouched (%#lx)", k.rax);
	/* A word at 0x80 needs 0x81 too. */
	KPROBE(&k, "out %%ax, $0x80", 0);
	expect_fault("bitmap refuses 0x81: kernel out %%ax, $0x80", &k, 13, 0);
	KPROBE(&k, "cli", 0);
	expect_fault("bitmap, vIOPL 0: kernel cli", &k, 13, 0);

	/* Guest user mode consults the same bitmap. */
	user_io("bitmap allows 0x80: user out $0x80", u_out, u_out_insn,
		0x202, true, 0x1234);
	user_io("bitmap refuses 0x60: user in $0x60", u_in, u_in_insn,
		0x202, false, 0);
	user_io("bitmap, vIOPL 0: user cli", u_cli, u_cli_insn, 0x202, false,
		0);

	/* nr_ports bounds it: port + size must not exceed it. */
	rc = set_iobitmap(iobmp, 0x80);
	check(rc == 0, "set_iobitmap(nr_ports 0x80) = %ld", rc);
	KPROBE(&k, "out %%al, $0x80", 0);
	expect_fault("nr_ports 0x80: kernel out $0x80", &k, 13, 0);
	rc = set_iobitmap(iobmp, 0x81);
	check(rc == 0, "set_iobitmap(nr_ports 0x81) = %ld", rc);
	KPROBE(&k, "out %%al, $0x80", 0);
	expect_none("nr_ports 0x81: kernel out $0x80", &k);

	/* Unreadable: the guest's #PF at the byte, the out not done. */
	if (!check(unmap_page(iobmp[2]) == 0, "unmap the third bitmap page"))
		return;
	rc = set_iobitmap(iobmp[2], 0x100);
	check(rc == 0, "set_iobitmap(unmapped page) = %ld (read only when "
	      "used)", rc);
	KPROBE(&k, "out %%al, $0x80", 0);
	expect_fault("unmapped bitmap: kernel out $0x80", &k, 14, 0);
	check(pvguest_last_trap.cr2 == (uint64_t)(uintptr_t)&iobmp[2][0x10],
	      "  ... cr2 %#lx (want %p, the bitmap's byte for 0x80)",
	      pvguest_last_trap.cr2, (void *)&iobmp[2][0x10]);
	/* Two bytes are read: the second may be the one that faults. */
	memset(iobmp[1], 0, PAGE_SIZE);
	rc = set_iobitmap(&iobmp[1][PAGE_SIZE - 1], 8);
	check(rc == 0, "set_iobitmap(last byte of a page, 8 ports) = %ld",
	      rc);
	KPROBE(&k, "out %%al, $0x0", 0);
	expect_fault("bitmap's second byte unmapped: kernel out $0x0", &k, 14,
		     0);
	check(pvguest_last_trap.cr2 == (uint64_t)(uintptr_t)iobmp[2],
	      "  ... cr2 %#lx (want %p, the second byte)",
	      pvguest_last_trap.cr2, (void *)iobmp[2]);

	/* Unset again: nothing allowed. */
	rc = set_iobitmap(NULL, 0);
	check(rc == 0, "set_iobitmap(NULL, 0) = %ld", rc);
	KPROBE(&k, "out %%al, $0x80", 0);
	expect_fault("bitmap unset: kernel out $0x80", &k, 13, 0);
	user_io("bitmap unset: user out $0x80", u_out, u_out_insn, 0x202,
		false, 0);
}

void guest_main(struct start_info *si)
{
	long rc;

	(void)si;
	test_start("iopl");
	rc = map_shared_info();
	check(rc == 0, "map shared_info = %ld", rc);
	rc = trap_init();
	if (!check(rc == 0, "set_trap_table = %ld", rc))
		test_end();
	rc = callbacks_init();
	check(rc == 0, "callback_op(register event, failsafe) = %ld", rc);
	rc = syscall_callback_init();
	if (!check(rc == 0, "callback_op(register syscall) = %ld", rc))
		test_end();
	rc = user_space_init();
	if (!check(rc == 0, "user page tables installed (%ld)", rc))
		test_end();
	trap_set_handler(PVGUEST_VEC_SYSCALL, on_syscall);
	trap_set_handler(13, on_gp);
	trap_set_handler(0x80, on_int80);

	test_int_n();
	test_iopl();
	test_iobitmap();
	test_end();
}

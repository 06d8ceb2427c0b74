/* SPDX-License-Identifier: MIT */
/*
 * usermode: the kernel/user split of a 64-bit PV guest.
 *
 * The kernel installs a user L4 (MMUEXT_NEW_USER_BASEPTR), registers a
 * syscall callback and enters user mode with the iret hypercall.  The user
 * program makes a system call (bounced to the syscall callback with the
 * user's state, answered with iret), then raises #BP, #UD and three kinds
 * of #PF, each of which must reach the kernel with CS RPL 3, on the stack
 * given to stack_switch, with a user-mode error code.  It exits with a
 * last system call.  A second run enters user mode with events masked.
 */
#include <pvguest/user.h>

#define SYS_CHECK	1
#define SYS_EXIT	60
#define SYSCALL_REPLY	0x600dUL
#define PAT(n)		(0x5a5a000000000000UL | ((uint64_t)(n) << 32) | (n))
#define USER_UNMAPPED	0x10000000UL
#define KERNEL_PROBE	0xffffffff80200000UL

/*
 * The user program.  It checks for itself that registers survive the
 * system call (exit code 1 if not); everything else is checked by the
 * kernel from the frames it receives.
 */
asm(".pushsection .user.text, \"ax\"\n"
    ".macro LOADPAT reg, n\n"
    "	movabs $(0x5a5a000000000000 | (\\n << 32) | \\n), \\reg\n"
    ".endm\n"
    ".macro CHKPAT reg, n\n"
    "	movabs $(0x5a5a000000000000 | (\\n << 32) | \\n), %rcx\n"
    "	cmp %rcx, \\reg\n"
    "	jne user_bad\n"
    ".endm\n"
    ".globl user_prog, user_after_syscall, user_int3, user_after_int3\n"
    ".globl user_ud2, user_pf_low, user_pf_kernel, user_pf_ro\n"
    ".globl user_prog2\n"
    "user_prog:\n"
    "	LOADPAT %rbx, 1\n"
    "	LOADPAT %rbp, 2\n"
    "	LOADPAT %rdi, 3\n"
    "	LOADPAT %rsi, 4\n"
    "	LOADPAT %rdx, 5\n"
    "	LOADPAT %r8, 6\n"
    "	LOADPAT %r9, 7\n"
    "	LOADPAT %r10, 8\n"
    "	LOADPAT %r12, 9\n"
    "	LOADPAT %r13, 10\n"
    "	LOADPAT %r14, 11\n"
    "	LOADPAT %r15, 12\n"
    "	mov $" "1" ", %eax\n"
    "	syscall\n"
    "user_after_syscall:\n"
    "	cmp $0x600d, %rax\n"
    "	jne user_bad\n"
    "	CHKPAT %rbx, 1\n"
    "	CHKPAT %rbp, 2\n"
    "	CHKPAT %rdi, 3\n"
    "	CHKPAT %rsi, 4\n"
    "	CHKPAT %rdx, 5\n"
    "	CHKPAT %r8, 6\n"
    "	CHKPAT %r9, 7\n"
    "	CHKPAT %r10, 8\n"
    "	CHKPAT %r12, 9\n"
    "	CHKPAT %r13, 10\n"
    "	CHKPAT %r14, 11\n"
    "	CHKPAT %r15, 12\n"
    "	movq $0x1234, -8(%rsp)\n"	/* the stack page is writable */
    "user_int3:\n"
    "	int3\n"
    "user_after_int3:\n"
    "user_ud2:\n"
    "	ud2\n"
    "user_pf_low:\n"
    "	cmpb $0, 0x10000000\n"
    "user_pf_kernel:\n"
    "	movabs 0xffffffff80200000, %al\n"
    "user_pf_ro:\n"
    "	movb $0, user_prog(%rip)\n"
    /* Plain CPUID from user mode; the answer travels in the exit's rsi. */
    "	mov $0x40000000, %eax\n"
    "	xor %ecx, %ecx\n"
    "	cpuid\n"
    "	mov %rbx, %rsi\n"
    "	xor %edi, %edi\n"
    "	mov $60, %eax\n"
    "	syscall\n"
    "	ud2\n"
    "user_bad:\n"
    "	mov $1, %edi\n"
    "	mov $60, %eax\n"
    "	syscall\n"
    "	ud2\n"
    "user_prog2:\n"
    "	mov $42, %edi\n"
    "	mov $60, %eax\n"
    "	syscall\n"
    "	ud2\n"
    ".popsection\n");

extern char user_prog[], user_after_syscall[], user_int3[],
	user_after_int3[], user_ud2[], user_pf_low[], user_pf_kernel[],
	user_pf_ro[], user_prog2[];

/* What the handlers saw, checked later from the main flow. */
struct seen {
	unsigned long count;
	struct guest_regs regs;
	uint64_t frame_end;
	unsigned int mask_at_entry;
	uint64_t cr2;
};

static struct seen seen_syscall, seen_exit, seen_bp, seen_ud;
static struct seen seen_pf[3];

static void record(struct seen *s, const struct guest_regs *r)
{
	s->count++;
	s->regs = *r;
	s->frame_end = pvguest_last_trap.frame_end;
	s->mask_at_entry = pvguest_last_trap.mask_at_entry;
	s->cr2 = pvguest_last_trap.cr2;
}

static bool on_syscall(struct guest_regs *r)
{
	if (r->rax == SYS_EXIT) {
		record(&seen_exit, r);
		pvguest_user_leave((long)r->rdi);
	}
	record(&seen_syscall, r);
	r->rax = r->rax == SYS_CHECK ? SYSCALL_REPLY : (uint64_t)-XEN_ENOSYS;
	return true;
}

static bool on_bp(struct guest_regs *r)
{
	if (!guest_regs_from_user(r))
		return false;
	record(&seen_bp, r);
	return true;
}

static bool on_ud(struct guest_regs *r)
{
	if (!guest_regs_from_user(r))
		return false;
	record(&seen_ud, r);
	if (r->rip == user_text_va(user_ud2))
		r->rip += 2;
	else
		pvguest_user_leave(-100);
	return true;
}

static bool on_pf(struct guest_regs *r)
{
	static const struct {
		char *insn, *next;
	} sites[3] = {
		{ user_pf_low, user_pf_kernel },
		{ user_pf_kernel, user_pf_ro },
		{ user_pf_ro, user_pf_ro + 7 },	/* movb $0, rel32(%rip) */
	};
	unsigned int i;

	if (!guest_regs_from_user(r))
		return false;
	for (i = 0; i < 3; i++) {
		if (r->rip == user_text_va(sites[i].insn)) {
			record(&seen_pf[i], r);
			r->rip = user_text_va(sites[i].next);
			return true;
		}
	}
	printk("unexpected user #PF at %#lx, error %#lx, cr2 %#lx\n", r->rip,
	       r->error_code, pvguest_last_trap.cr2);
	pvguest_user_leave(-101);
}

/* Checks common to every user -> kernel bounce. */
static void check_user_frame(const char *what, const struct seen *s,
			     uint64_t rip, unsigned int vector, uint64_t ec)
{
	const struct guest_regs *r = &s->regs;

	if (!check(s->count == 1, "%s: delivered once (%lu)", what, s->count))
		return;
	check(r->vector == vector && r->error_code == ec,
	      "%s: vector %lu error %#lx (want %u, %#lx)", what, r->vector,
	      r->error_code, vector, ec);
	check((r->cs & 3) == 3 && (r->cs & 0xffff) == FLAT_USER_CS64,
	      "%s: frame cs %#lx has RPL 3 (user mode)", what, r->cs & 0xffff);
	check(r->rip == rip, "%s: frame rip %#lx == %#lx", what, r->rip, rip);
	check(r->rsp == PVGUEST_USER_STACK_TOP && (r->ss & 0xffff) == FLAT_USER_SS,
	      "%s: frame rsp:ss %#lx:%#lx is the user stack", what, r->rsp,
	      r->ss & 0xffff);
	check(s->frame_end == pvguest_kernel_sp,
	      "%s: frame sits at the top of the stack_switch stack "
	      "(ends %#lx, kernel_sp %#lx)", what, s->frame_end,
	      pvguest_kernel_sp);
}

static void check_syscall(void)
{
	const struct guest_regs *r = &seen_syscall.regs;
	const uint64_t pats[] = { r->rbx, r->rbp, r->rdi, r->rsi, r->rdx,
				  r->r8, r->r9, r->r10, r->r12, r->r13,
				  r->r14, r->r15 };
	bool pats_ok = true;
	unsigned int i;

	check_user_frame("syscall", &seen_syscall,
			 user_text_va(user_after_syscall), PVGUEST_VEC_SYSCALL,
			 0);
	check(r->rcx == r->rip && r->r11 == r->rflags,
	      "syscall: rcx %#lx = return rip, r11 %#lx = user rflags %#lx",
	      r->rcx, r->r11, r->rflags);
	for (i = 0; i < ARRAY_SIZE(pats); i++)
		pats_ok &= pats[i] == PAT(i + 1);
	check(pats_ok && r->rax == SYS_CHECK,
	      "syscall: user registers reach the kernel unchanged");
	check((r->rflags & 0x200) && guest_regs_saved_mask(r) == 0,
	      "syscall: user ran with events on (frame IF %lu, saved mask %u)",
	      (r->rflags >> 9) & 1, guest_regs_saved_mask(r));
	if (shared_info)
		check(seen_syscall.mask_at_entry == 1,
		      "syscall: CALLBACKF_mask_events masked events (%u)",
		      seen_syscall.mask_at_entry);
}

void guest_main(struct start_info *si)
{
	long rc;

	test_start("usermode");
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
	trap_set_handler(3, on_bp);
	trap_set_handler(6, on_ud);
	trap_set_handler(14, on_pf);

	printk("entering user mode at %#lx\n", user_text_va(user_prog));
	rc = pvguest_user_enter(user_text_va(user_prog),
				PVGUEST_USER_STACK_TOP, 0x202);
	printk("back in the kernel: user exit code %ld\n", rc);
	check(rc == 0, "user program ran to its exit syscall (code %ld)", rc);

	check_syscall();
	check_user_frame("int3", &seen_bp, user_text_va(user_after_int3), 3, 0);
	check_user_frame("ud2", &seen_ud, user_text_va(user_ud2), 6, 0);
	check_user_frame("#PF unmapped user page", &seen_pf[0],
			 user_text_va(user_pf_low), 14, PFEC_USER);
	check_user_frame("#PF kernel address from user", &seen_pf[1],
			 user_text_va(user_pf_kernel), 14, PFEC_USER);
	check_user_frame("#PF write to read-only user text", &seen_pf[2],
			 user_text_va(user_pf_ro), 14,
			 PFEC_USER | PFEC_WRITE | PFEC_PRESENT);
	if (shared_info) {
		check(seen_pf[0].cr2 == USER_UNMAPPED &&
		      seen_pf[1].cr2 == KERNEL_PROBE &&
		      seen_pf[2].cr2 == user_text_va(user_prog),
		      "user #PF cr2: %#lx %#lx %#lx", seen_pf[0].cr2,
		      seen_pf[1].cr2, seen_pf[2].cr2);
	}
	/*
	 * User CPUID is not the kernel's to see: where the host traps it
	 * (CPUID faulting) pvisor answers from the policy, where it does
	 * not (PVM) the CPU does; either way the kernel's plain CPUID
	 * gets the same answer, and no trap reaches the guest.
	 */
	{
		uint32_t a, b, c, d;

		native_cpuid(0x40000000, 0, &a, &b, &c, &d);
		check(seen_exit.regs.rsi == b,
		      "user-mode cpuid ran and agrees with the kernel's "
		      "(ebx %#lx, kernel %#x)", seen_exit.regs.rsi, b);
	}
	check(*(volatile uint64_t *)(pvguest_user_data[PVGUEST_USER_DATA_PAGES - 1] +
				     PAGE_SIZE - 8) == 0x1234,
	      "user stack write landed in the shared data page");

	/* Again, with events masked in user mode. */
	memset(&seen_exit, 0, sizeof(seen_exit));
	rc = pvguest_user_enter(user_text_va(user_prog2),
				PVGUEST_USER_STACK_TOP, 0x002);
	check(rc == 42, "second user run returned %ld (want 42)", rc);
	check(seen_exit.count == 1 && guest_regs_saved_mask(&seen_exit.regs) == 1 &&
	      !(seen_exit.regs.rflags & 0x200),
	      "user run with IF=0: saved mask %u, frame IF %lu",
	      guest_regs_saved_mask(&seen_exit.regs),
	      (seen_exit.regs.rflags >> 9) & 1);
	test_end();
}

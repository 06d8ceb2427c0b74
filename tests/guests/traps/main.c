/* SPDX-License-Identifier: MIT */
/*
 * traps: exceptions raised in guest kernel mode are bounced to the
 * handlers registered with set_trap_table, with Xen's frame layout, and
 * the iret hypercall returns to the interrupted context.
 *
 * Each probe loads every general register with a pattern, executes one
 * trapping instruction and stores the registers again.  The bounce frame
 * must carry the patterns (rcx and r11 in the two extra frame words, the
 * rest untouched) and they must survive the return.  Faults resume at
 * the next instruction through the exception table.
 */
#include <pvguest/pvguest.h>

struct gprs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

uint64_t probe_rsp;

/*
 * PROBE name, adj, insn: void name(const struct gprs *in, struct gprs *out).
 * Labels name_insn (the trapping instruction) and name_resume (after it).
 * The stack is 16-byte aligned at the instruction, or off by adj bytes:
 * the hypervisor must align the frame itself.
 */
asm(".macro PROBE name, adj, insn:vararg\n"
    "	.text\n"
    "	.globl \\name, \\name\\()_insn, \\name\\()_resume\n"
    "\\name:\n"
    "	push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
    "	push %rsi\n"
    "	sub $\\adj, %rsp\n"
    "	mov %rsp, probe_rsp(%rip)\n"
    "	mov 0(%rdi), %rax\n"
    "	mov 8(%rdi), %rbx\n"
    "	mov 16(%rdi), %rcx\n"
    "	mov 24(%rdi), %rdx\n"
    "	mov 32(%rdi), %rsi\n"
    "	mov 48(%rdi), %rbp\n"
    "	mov 56(%rdi), %r8\n"
    "	mov 64(%rdi), %r9\n"
    "	mov 72(%rdi), %r10\n"
    "	mov 80(%rdi), %r11\n"
    "	mov 88(%rdi), %r12\n"
    "	mov 96(%rdi), %r13\n"
    "	mov 104(%rdi), %r14\n"
    "	mov 112(%rdi), %r15\n"
    "	mov 40(%rdi), %rdi\n"
    "\\name\\()_insn:\n"
    "	\\insn\n"
    "\\name\\()_resume:\n"
    "	add $\\adj, %rsp\n"
    "	push %rdi\n"
    "	mov 8(%rsp), %rdi\n"
    "	mov %rax, 0(%rdi)\n"
    "	mov %rbx, 8(%rdi)\n"
    "	mov %rcx, 16(%rdi)\n"
    "	mov %rdx, 24(%rdi)\n"
    "	mov %rsi, 32(%rdi)\n"
    "	mov %rbp, 48(%rdi)\n"
    "	mov %r8, 56(%rdi)\n"
    "	mov %r9, 64(%rdi)\n"
    "	mov %r10, 72(%rdi)\n"
    "	mov %r11, 80(%rdi)\n"
    "	mov %r12, 88(%rdi)\n"
    "	mov %r13, 96(%rdi)\n"
    "	mov %r14, 104(%rdi)\n"
    "	mov %r15, 112(%rdi)\n"
    "	pop %rax\n"
    "	mov %rax, 40(%rdi)\n"
    "	pop %rsi\n"
    "	pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
    "	ret\n"
    "	.pushsection ex_table, \"a\"\n"
    "	.balign 8\n"
    "	.quad \\name\\()_insn, \\name\\()_resume\n"
    "	.popsection\n"
    ".endm\n"
    "PROBE probe_int3, 0, int3\n"
    "PROBE probe_int3_odd, 8, int3\n"
    "PROBE probe_ud2, 0, ud2\n"
    "PROBE probe_pf_low, 0, cmpb $0, 0x1000\n"
    "PROBE probe_pf_high, 8, movb $0, 0xffffffffc0000000\n"
    "PROBE probe_gp_int40, 0, int $0x40\n"
    "PROBE probe_gp_noncanon, 8, movabs 0x8000000000000000, %al\n"
    "PROBE probe_int80, 0, int $0x80\n");

#define DECLARE_PROBE(name)						\
	void name(const struct gprs *in, struct gprs *out);		\
	extern char name##_insn[], name##_resume[]

DECLARE_PROBE(probe_int3);
DECLARE_PROBE(probe_int3_odd);
DECLARE_PROBE(probe_ud2);
DECLARE_PROBE(probe_pf_low);
DECLARE_PROBE(probe_pf_high);
DECLARE_PROBE(probe_gp_int40);
DECLARE_PROBE(probe_gp_noncanon);
DECLARE_PROBE(probe_int80);

struct probe {
	const char *what;
	void (*run)(const struct gprs *in, struct gprs *out);
	const char *insn, *resume;
	unsigned int vector;
	bool fault;		/* frame rip = insn (fault) or resume (trap) */
	uint64_t error_code;
	uint64_t cr2;		/* expected for #PF */
};

static const struct probe probes[] = {
	{ "int3 (#BP)", probe_int3, probe_int3_insn, probe_int3_resume,
	  3, false, 0, 0 },
	{ "int3 on a stack 8 bytes off alignment", probe_int3_odd,
	  probe_int3_odd_insn, probe_int3_odd_resume, 3, false, 0, 0 },
	{ "ud2 (#UD)", probe_ud2, probe_ud2_insn, probe_ud2_resume,
	  6, true, 0, 0 },
	{ "read of unmapped 0x1000 (#PF)", probe_pf_low, probe_pf_low_insn,
	  probe_pf_low_resume, 14, true, 0, 0x1000 },
	{ "write to unmapped 0xffffffffc0000000 (#PF)", probe_pf_high,
	  probe_pf_high_insn, probe_pf_high_resume, 14, true, PFEC_WRITE,
	  0xffffffffc0000000UL },
	{ "int $0x40 with DPL 0 (#GP)", probe_gp_int40, probe_gp_int40_insn,
	  probe_gp_int40_resume, 13, true, (0x40 << 3) | 2, 0 },
	{ "non-canonical load (#GP)", probe_gp_noncanon,
	  probe_gp_noncanon_insn, probe_gp_noncanon_resume, 13, true, 0, 0 },
	{ "int $0x80 with DPL 3 (soft interrupt)", probe_int80,
	  probe_int80_insn, probe_int80_resume, 0x80, false, 0, 0 },
};

static const char *const gpr_names[15] = {
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

static void regs_to_gprs(const struct guest_regs *r, struct gprs *g)
{
	*g = (struct gprs){
		.rax = r->rax, .rbx = r->rbx, .rcx = r->rcx, .rdx = r->rdx,
		.rsi = r->rsi, .rdi = r->rdi, .rbp = r->rbp, .r8 = r->r8,
		.r9 = r->r9, .r10 = r->r10, .r11 = r->r11, .r12 = r->r12,
		.r13 = r->r13, .r14 = r->r14, .r15 = r->r15,
	};
}

/* Print every mismatch; true if none. */
static bool same_gprs(const char *where, const struct gprs *want,
		      const struct gprs *got)
{
	const uint64_t *w = (const uint64_t *)want, *g = (const uint64_t *)got;
	bool ok = true;
	unsigned int i;

	for (i = 0; i < 15; i++) {
		if (w[i] != g[i]) {
			printk("    %s: %s = %016lx, expected %016lx\n", where,
			       gpr_names[i], g[i], w[i]);
			ok = false;
		}
	}
	return ok;
}

static unsigned int problems;

/* Like check(), but silent when fine: the summary line says "ok". */
static void expect(bool cond, const char *fmt, ...) __printf(2, 3);
static void expect(bool cond, const char *fmt, ...)
{
	char buf[160];
	va_list ap;

	if (cond)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printk("    %s\n", buf);
	problems++;
}

static void run_probe(const struct probe *p, unsigned int seed)
{
	volatile struct trap_record *t = &pvguest_last_trap;
	struct gprs in, out, frame;
	uint64_t *v = (uint64_t *)&in;
	unsigned long before = t->count;
	struct guest_regs r;
	unsigned int i;

	for (i = 0; i < 15; i++)
		v[i] = 0x8000000000000000UL ^ ((uint64_t)(seed + 1) << 40) ^
		       ((uint64_t)(i + 1) * 0x0101010101010101UL);
	problems = 0;
	p->run(&in, &out);

	expect(t->count == before + 1, "%lu traps taken, expected 1",
	       t->count - before);
	memcpy(&r, (const void *)&t->regs, sizeof(r));
	expect(r.vector == p->vector, "vector %lu, expected %u", r.vector,
	       p->vector);
	expect(r.error_code == p->error_code, "error code %#lx, expected %#lx",
	       r.error_code, p->error_code);
	expect(r.rip == (uint64_t)(uintptr_t)(p->fault ? p->insn : p->resume),
	       "frame rip %#lx, expected %p", r.rip,
	       p->fault ? p->insn : p->resume);
	expect((r.cs & 0xffff) == (FLAT_KERNEL_CS & ~3),
	       "frame cs %#lx: want FLAT_KERNEL_CS with RPL 0 (kernel mode)",
	       r.cs & 0xffff);
	expect(guest_regs_saved_mask(&r) == 1,
	       "saved upcall mask (cs bits 32-39) %u, expected 1",
	       guest_regs_saved_mask(&r));
	expect(!(r.rflags & 0x200),
	       "frame rflags %#lx has IF although events were masked",
	       r.rflags);
	expect((r.ss & 0xffff) == FLAT_KERNEL_SS, "frame ss %#lx",
	       r.ss & 0xffff);
	expect(r.rsp == probe_rsp, "frame rsp %#lx, expected %#lx", r.rsp,
	       probe_rsp);
	expect(t->frame_end == (probe_rsp & ~0xfUL),
	       "frame ends at %#lx, expected (rsp & ~15) = %#lx",
	       t->frame_end, probe_rsp & ~0xfUL);
	if (p->vector == 14 && shared_info)
		expect(t->cr2 == p->cr2, "vcpu_info cr2 %#lx, expected %#lx",
		       t->cr2, p->cr2);
	regs_to_gprs(&r, &frame);
	if (!same_gprs("in the bounce frame", &in, &frame))
		problems++;
	if (!same_gprs("after iret", &in, &out))
		problems++;
	check(problems == 0, "%s: frame, registers and return", p->what);
}

/* ---- handlers that change the interrupted context -------------------- */

static bool ud_modify(struct guest_regs *r)
{
	r->rax = 0x1234abcd5678ef00UL;
	r->rflags |= 1;			/* CF */
	r->rip += 2;			/* skip ud2 */
	return true;
}

static bool ud_clear_if(struct guest_regs *r)
{
	r->rflags &= ~0x200UL;
	r->rip += 2;
	return true;
}

static void test_handler_changes(void)
{
	uint64_t rax = 0;
	uint8_t cf = 0;

	trap_set_handler(6, ud_modify);
	asm volatile("xor %%eax, %%eax\n\t"
		     "clc\n\t"
		     "ud2\n\t"
		     "setc %1"
		     : "=&a"(rax), "=r"(cf) : : "memory", "cc");
	trap_set_handler(6, NULL);
	check(rax == 0x1234abcd5678ef00UL && cf == 1,
	      "iret returns the handler's rax (%#lx) and rflags.CF (%u)", rax,
	      cf);
}

static void test_divide_error(void)
{
	volatile struct trap_record *t = &pvguest_last_trap;
	extern char de_insn[];
	unsigned long before = t->count;

	asm volatile("xor %%edx, %%edx\n\t"
		     "mov $1, %%eax\n\t"
		     "xor %%ecx, %%ecx\n\t"
		     ".globl de_insn\n"
		     "de_insn: div %%ecx\n"
		     "2:\n\t"
		     PV_EXTABLE("de_insn", "2b")
		     : : : "rax", "rcx", "rdx", "memory", "cc");
	check(t->count == before + 1 && t->regs.vector == 0 &&
	      t->regs.error_code == 0 &&
	      t->regs.rip == (uint64_t)(uintptr_t)de_insn,
	      "div by zero: #DE at %#lx, error %#lx", t->regs.rip,
	      t->regs.error_code);
}

static void test_ro_write(const struct start_info *si)
{
	volatile struct trap_record *t = &pvguest_last_trap;
	/* An unused slot of the builder's L4, which is mapped read-only. */
	uint64_t *slot = (uint64_t *)(si->pt_base + 5 * 8);
	uint64_t old = *slot;
	unsigned long before = t->count;

	asm volatile("1: movq %1, (%0)\n"
		     "2:\n\t"
		     PV_EXTABLE("1b", "2b")
		     : : "r"(slot), "r"(old) : "memory");
	check(t->count == before + 1 && t->regs.vector == 14 &&
	      t->regs.error_code == (PFEC_PRESENT | PFEC_WRITE),
	      "write to the read-only L4 page: #PF, error %#lx (want %#x)",
	      t->regs.error_code, PFEC_PRESENT | PFEC_WRITE);
	if (shared_info)
		check(t->cr2 == (uint64_t)(uintptr_t)slot,
		      "  ... cr2 %#lx == %p", t->cr2, slot);
}

/* Event-mask bookkeeping across a bounce and iret (contract §2.4, §2.7). */
static void test_event_mask(void)
{
	volatile struct trap_record *t = &pvguest_last_trap;
	struct vcpu_info *vi = vcpu0_info();
	unsigned int after;
	long rc;

	rc = callbacks_init();
	if (!check(rc == 0, "callback_op(register event, failsafe) = %ld", rc))
		return;

	/* Trap gate with "mask events" (flags bit 2). */
	trap_set_flags(3, 3 | 4);
	rc = trap_init();
	check(rc == 0, "set_trap_table with #BP masking events = %ld", rc);
	vi->evtchn_upcall_mask = 0;
	barrier();
	asm volatile("int3" : : : "memory");
	barrier();
	after = vi->evtchn_upcall_mask;
	check(t->mask_at_entry == 1 && guest_regs_saved_mask((void *)&t->regs) == 0 &&
	      (t->regs.rflags & 0x200) && after == 0,
	      "masking gate: mask in handler %u (want 1), saved %u (0), "
	      "frame IF %lu (1), after iret %u (0)", t->mask_at_entry,
	      guest_regs_saved_mask((void *)&t->regs),
	      (t->regs.rflags >> 9) & 1, after);

	/* Plain trap gate: the mask stays as it was. */
	trap_set_flags(3, 3);
	rc = trap_init();
	check(rc == 0, "set_trap_table with #BP not masking = %ld", rc);
	asm volatile("int3" : : : "memory");
	barrier();
	after = vi->evtchn_upcall_mask;
	check(t->mask_at_entry == 0 && guest_regs_saved_mask((void *)&t->regs) == 0 &&
	      (t->regs.rflags & 0x200) && after == 0,
	      "non-masking gate: mask in handler %u (want 0), saved %u (0), "
	      "frame IF %lu (1), after iret %u (0)", t->mask_at_entry,
	      guest_regs_saved_mask((void *)&t->regs),
	      (t->regs.rflags >> 9) & 1, after);

	/* iret with IF clear masks events. */
	trap_set_handler(6, ud_clear_if);
	asm volatile("ud2" : : : "memory");
	trap_set_handler(6, NULL);
	barrier();
	after = vi->evtchn_upcall_mask;
	check(after == 1, "iret with rflags.IF = 0 sets the upcall mask (%u)",
	      after);
	vi->evtchn_upcall_mask = 1;
}

void guest_main(struct start_info *si)
{
	unsigned int i;
	long rc;

	test_start("traps");

	rc = map_shared_info();
	check(rc == 0, "map shared_info (update_va_mapping) = %ld", rc);
	rc = trap_init();
	if (!check(rc == 0, "set_trap_table = %ld", rc))
		test_end();

	for (i = 0; i < ARRAY_SIZE(probes); i++)
		run_probe(&probes[i], i);
	if (shared_info)
		check(vcpu0_info()->evtchn_upcall_mask == 1,
		      "events still masked after the probes");

	test_divide_error();
	test_ro_write(si);
	test_handler_changes();
	if (shared_info)
		test_event_mask();

	printk("%lu traps handled\n", pvguest_last_trap.count);
	test_end();
}

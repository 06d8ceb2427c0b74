/* SPDX-License-Identifier: MIT */
/*
 * Trap table, callback registration and the C side of every bounce.
 */
#include <pvabi/callback.h>

#include <pvguest/pvguest.h>

struct extable_entry {
	uint64_t fault;
	uint64_t fixup;
};

extern const struct extable_entry __start_ex_table[], __stop_ex_table[];

volatile struct trap_record pvguest_last_trap;
unsigned long pvguest_trap_counts[PVGUEST_NR_VECTORS];

static trap_handler_t handlers[PVGUEST_NR_VECTORS];

/* Linux's choices: #BP and #OF may be raised from user mode. */
static uint8_t trap_flags[32] = { [3] = 3, [4] = 3 };
static uint8_t int80_flags = 3;

void trap_set_handler(unsigned int vector, trap_handler_t handler)
{
	if (vector < PVGUEST_NR_VECTORS)
		handlers[vector] = handler;
}

void trap_set_flags(unsigned int vector, uint8_t flags)
{
	if (vector < 32)
		trap_flags[vector] = flags;
	else if (vector == 0x80)
		int80_flags = flags;
}

long trap_init(void)
{
	static struct trap_info table[34];
	unsigned int i;

	for (i = 0; i < 32; i++) {
		table[i].vector = (uint8_t)i;
		table[i].flags = trap_flags[i];
		table[i].cs = FLAT_KERNEL_CS;
		table[i].address = pvguest_trap_entry[i];
	}
	table[32].vector = 0x80;
	table[32].flags = int80_flags;
	table[32].cs = FLAT_KERNEL_CS;
	table[32].address = (uint64_t)pvguest_entry_int80;
	table[33].address = 0;		/* terminator */
	return HYPERVISOR_set_trap_table(table);
}

static long register_callback(uint16_t type, void (*entry)(void))
{
	struct callback_register cb = {
		.type = type,
		.flags = CALLBACKF_mask_events,
		.address = (uint64_t)entry,
	};

	return HYPERVISOR_callback_op(CALLBACKOP_register, &cb);
}

long callbacks_init(void)
{
	long rc = register_callback(CALLBACKTYPE_event, pvguest_entry_event);

	if (rc)
		return rc;
	return register_callback(CALLBACKTYPE_failsafe,
				 pvguest_entry_failsafe);
}

long syscall_callback_init(void)
{
	return register_callback(CALLBACKTYPE_syscall, pvguest_entry_syscall);
}

static const char *const vector_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
	"#DF", "#MF(9)", "#TS", "#NP", "#SS", "#GP", "#PF", "(15)",
	"#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

static const char *vector_name(uint64_t v)
{
	if (v < 32 && vector_names[v])
		return vector_names[v];
	switch (v) {
	case 0x80:
		return "int80";
	case PVGUEST_VEC_SYSCALL:
		return "syscall";
	case PVGUEST_VEC_EVENT:
		return "event";
	case PVGUEST_VEC_FAILSAFE:
		return "failsafe";
	default:
		return "?";
	}
}

void dump_regs(const struct guest_regs *r)
{
	printk("  vector %lu (%s) error %#lx\n", r->vector,
	       vector_name(r->vector), r->error_code);
	printk("  rip %016lx cs %016lx rflags %016lx\n", r->rip, r->cs,
	       r->rflags);
	printk("  rsp %016lx ss %016lx\n", r->rsp, r->ss);
	printk("  rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", r->rax,
	       r->rbx, r->rcx, r->rdx);
	printk("  rsi %016lx rdi %016lx rbp %016lx r8  %016lx\n", r->rsi,
	       r->rdi, r->rbp, r->r8);
	printk("  r9  %016lx r10 %016lx r11 %016lx r12 %016lx\n", r->r9,
	       r->r10, r->r11, r->r12);
	printk("  r13 %016lx r14 %016lx r15 %016lx\n", r->r13, r->r14,
	       r->r15);
}

static bool search_extable(struct guest_regs *r)
{
	const struct extable_entry *e;

	for (e = __start_ex_table; e < __stop_ex_table; e++) {
		if (e->fault == r->rip) {
			r->rip = e->fixup;
			return true;
		}
	}
	return false;
}

/* Acknowledge everything pending; the tests bind no ports of their own. */
static void ack_events(void)
{
	struct vcpu_info *vi = vcpu0_info();
	unsigned int i;

	if (!vi)
		return;
	vi->evtchn_upcall_pending = 0;
	__atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
	for (i = 0; i < ARRAY_SIZE(shared_info->evtchn_pending); i++)
		__atomic_exchange_n(&shared_info->evtchn_pending[i], 0,
				    __ATOMIC_SEQ_CST);
}

void pvguest_trap_dispatch(struct guest_regs *r)
{
	struct vcpu_info *vi = vcpu0_info();
	unsigned int vec = (unsigned int)r->vector;

	/* Field by field: the record is volatile, the frame is not. */
	memcpy((void *)&pvguest_last_trap.regs, r, sizeof(*r));
	pvguest_last_trap.frame_end = (uint64_t)(uintptr_t)(&r->ss + 1);
	pvguest_last_trap.mask_at_entry = vi ? vi->evtchn_upcall_mask : 0xff;
	pvguest_last_trap.cr2 = (vi && vec == 14) ? vi->arch.cr2 : 0;
	pvguest_last_trap.count++;
	if (vec < PVGUEST_NR_VECTORS)
		pvguest_trap_counts[vec]++;

	if (vec < PVGUEST_NR_VECTORS && handlers[vec] && handlers[vec](r))
		return;
	if (search_extable(r))
		return;

	switch (vec) {
	case 3:
	case 4:
	case 0x80:
		return;		/* traps: rip is already past the instruction */
	case PVGUEST_VEC_EVENT:
		ack_events();
		if (!vi)	/* cannot ack: keep events off on return */
			r->rflags &= ~0x200UL;
		return;
	default:
		break;
	}

	printk("pvguest: unexpected %s in %s mode\n", vector_name(vec),
	       guest_regs_from_user(r) ? "user" : "kernel");
	dump_regs(r);
	if (vec == 14)
		printk("  cr2 %016lx\n", pvguest_last_trap.cr2);
	guest_panic("unexpected trap %lu (%s) at %#lx", r->vector,
		    vector_name(vec), r->rip);
}

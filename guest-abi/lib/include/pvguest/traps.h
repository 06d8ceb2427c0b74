/* SPDX-License-Identifier: MIT */
/*
 * Exceptions, software interrupts and callbacks for PV guest kernels.
 *
 * The hypervisor delivers every one of them as a bounce frame on the
 * guest kernel stack: rcx, r11, [error code], rip, cs, rflags, rsp, ss.
 * entry.S turns that into a struct guest_regs, calls
 * pvguest_trap_dispatch(), and returns with the iret hypercall using
 * whatever the handler left in the struct.
 */
#ifndef PVGUEST_TRAPS_H
#define PVGUEST_TRAPS_H

#include <stdbool.h>
#include <stdint.h>

/* Pseudo-vectors for the callbacks, which share the exception path. */
#define PVGUEST_VEC_SYSCALL	0x100
#define PVGUEST_VEC_EVENT	0x101
#define PVGUEST_VEC_FAILSAFE	0x102
#define PVGUEST_NR_VECTORS	0x103

/* Vectors the hypervisor delivers with an error code on the frame. */
#define PVGUEST_VEC_HAS_ERRCODE(v) \
	((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21)

/* Low to high address: the order entry.S pushes (r15 pushed last). */
struct guest_regs {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector;
	uint64_t error_code;	/* 0 when the vector has none */
	/* The top of the bounce frame, untouched. */
	uint64_t rip;
	uint64_t cs;		/* selector; saved upcall mask in bits 32-39 */
	uint64_t rflags;
	uint64_t rsp;
	uint64_t ss;
};

static inline unsigned int guest_regs_saved_mask(const struct guest_regs *r)
{
	return (unsigned int)(r->cs >> 32) & 0xff;
}

static inline bool guest_regs_from_user(const struct guest_regs *r)
{
	return (r->cs & 3) == 3;
}

/*
 * What the dispatcher saw last, for tests to inspect after the fact.
 * mask_at_entry is vcpu_info.evtchn_upcall_mask on entry to the handler
 * (0xff when shared_info is not mapped); cr2 is vcpu_info.arch.cr2 for #PF.
 */
struct trap_record {
	struct guest_regs regs;		/* as delivered, before any handler */
	uint64_t frame_end;		/* address just above the saved ss */
	uint64_t cr2;
	unsigned int mask_at_entry;
	unsigned long count;		/* traps seen so far */
};

extern volatile struct trap_record pvguest_last_trap;
extern unsigned long pvguest_trap_counts[PVGUEST_NR_VECTORS];

/*
 * A handler returns true when it dealt with the event; false falls
 * through to the exception table and then to the defaults (resume after
 * #BP/#OF/int 0x80, acknowledge events, panic on anything else).
 */
typedef bool (*trap_handler_t)(struct guest_regs *regs);

void trap_set_handler(unsigned int vector, trap_handler_t handler);

/* Per-vector trap_info flags (DPL in bits 0-1, bit 2 masks events). */
void trap_set_flags(unsigned int vector, uint8_t flags);

/* Build the table for vectors 0-31 and 0x80 and register it. */
long trap_init(void);

/* Register the event and failsafe callbacks (events masked on entry). */
long callbacks_init(void);

/* Register the syscall callback (with CALLBACKF_mask_events). */
long syscall_callback_init(void);

/*
 * Exception table: if an exception hits the instruction at `fault`, the
 * dispatcher resumes at `fixup`.  For inline asm with local labels:
 *	asm volatile("1: ud2\n2:\n" PV_EXTABLE("1b", "2b"));
 */
#define PV_EXTABLE(fault, fixup)				\
	".pushsection ex_table, \"a\"\n\t"			\
	".balign 8\n\t"						\
	".quad " fault ", " fixup "\n\t"			\
	".popsection\n\t"

/* Entry points, for tests that build their own trap_info or callbacks. */
extern const uint64_t pvguest_trap_entry[32];
void pvguest_entry_int80(void);
void pvguest_entry_syscall(void);
void pvguest_entry_event(void);
void pvguest_entry_failsafe(void);

void pvguest_trap_dispatch(struct guest_regs *regs);
void dump_regs(const struct guest_regs *regs);

#endif /* PVGUEST_TRAPS_H */

/* SPDX-License-Identifier: MIT */
/*
 * Exception, callback and return paths.
 *
 * Bounce frame as the hypervisor leaves it (contract §2.4), lowest
 * address first: rcx, r11, [error code], rip, cs, rflags, rsp, ss.
 * Each stub pops rcx/r11 back into their registers so the stack looks
 * like a native exception frame, pushes a zero error code where the
 * vector has none, pushes the vector, and joins the common path, which
 * builds struct guest_regs (traps.h) and calls the C dispatcher.
 */
#include "asm-offsets.h"

	.text
	.code64

.macro TRAP_STUB vec, has_ec
	.balign 16
pvguest_trap_\vec:
	popq	%rcx
	popq	%r11
	.if \has_ec == 0
	pushq	$0
	.endif
	pushq	$\vec
	jmp	pvguest_trap_common
.endm

TRAP_STUB 0, 0
TRAP_STUB 1, 0
TRAP_STUB 2, 0
TRAP_STUB 3, 0
TRAP_STUB 4, 0
TRAP_STUB 5, 0
TRAP_STUB 6, 0
TRAP_STUB 7, 0
TRAP_STUB 8, 1
TRAP_STUB 9, 0
TRAP_STUB 10, 1
TRAP_STUB 11, 1
TRAP_STUB 12, 1
TRAP_STUB 13, 1
TRAP_STUB 14, 1
TRAP_STUB 15, 0
TRAP_STUB 16, 0
TRAP_STUB 17, 1
TRAP_STUB 18, 0
TRAP_STUB 19, 0
TRAP_STUB 20, 0
TRAP_STUB 21, 1
TRAP_STUB 22, 0
TRAP_STUB 23, 0
TRAP_STUB 24, 0
TRAP_STUB 25, 0
TRAP_STUB 26, 0
TRAP_STUB 27, 0
TRAP_STUB 28, 0
TRAP_STUB 29, 0
TRAP_STUB 30, 0
TRAP_STUB 31, 0

	/* Software interrupt 0x80: a trap, no error code. */
	.balign 16
	.globl pvguest_entry_int80
pvguest_entry_int80:
	popq	%rcx
	popq	%r11
	pushq	$0
	pushq	$0x80
	jmp	pvguest_trap_common

	/*
	 * Syscall callback: rcx = user rip, r11 = user rflags, then the
	 * same five words; those are exactly the registers' values after a
	 * SYSCALL, so popping them is right here too.
	 */
	.balign 16
	.globl pvguest_entry_syscall
pvguest_entry_syscall:
	popq	%rcx
	popq	%r11
	pushq	$0
	pushq	$0x100
	jmp	pvguest_trap_common

	/* Event upcall: same shape, no error code. */
	.balign 16
	.globl pvguest_entry_event
pvguest_entry_event:
	popq	%rcx
	popq	%r11
	pushq	$0
	pushq	$0x101
	jmp	pvguest_trap_common

	/*
	 * Failsafe callback: rcx, r11, ds, es, fs, gs, then the usual five
	 * words.  The selectors are dropped; the dispatcher reports it.
	 */
	.balign 16
	.globl pvguest_entry_failsafe
pvguest_entry_failsafe:
	popq	%rcx
	popq	%r11
	addq	$32, %rsp
	pushq	$0
	pushq	$0x102
	jmp	pvguest_trap_common

	.balign 16
pvguest_trap_common:
	cld
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, %rdi
	movq	%rsp, %rbx		/* callee-saved: find regs again */
	andq	$-16, %rsp		/* the frame need not leave rsp aligned */
	call	pvguest_trap_dispatch
	movq	%rbx, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	addq	$16, %rsp		/* vector, error code */
	/* fall through: rsp points at rip, cs, rflags, rsp, ss */

	/*
	 * Return through the iret hypercall.  Turn the five-word frame
	 * into struct iret_context by pushing flags (0: not a syscall
	 * return, so rcx/r11 come from the frame), rcx, r11, rax.
	 */
	.globl pvguest_iret
pvguest_iret:
	pushq	$0
	pushq	%rcx
	pushq	%r11
	pushq	%rax
	movl	$HC_IRET, %eax
	syscall
	ud2				/* iret never returns */

	/*
	 * long pvguest_user_enter(uint64_t rip, uint64_t rsp, uint64_t rflags)
	 *
	 * Drop to guest user mode (iret with CS RPL 3) and come back here
	 * when something calls pvguest_user_leave(code) on the kernel
	 * stack; the code becomes the return value.  Only callee-saved
	 * registers and rsp need keeping, like setjmp.
	 */
	.globl pvguest_user_enter
pvguest_user_enter:
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, pvguest_user_ctx(%rip)
	pushq	$ASM_FLAT_USER_SS
	pushq	%rsi
	pushq	%rdx
	pushq	$ASM_FLAT_USER_CS64
	pushq	%rdi
	/* No kernel values leak into user registers. */
	xorl	%eax, %eax
	xorl	%ebx, %ebx
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%esi, %esi
	xorl	%edi, %edi
	xorl	%ebp, %ebp
	xorl	%r8d, %r8d
	xorl	%r9d, %r9d
	xorl	%r10d, %r10d
	xorl	%r11d, %r11d
	xorl	%r12d, %r12d
	xorl	%r13d, %r13d
	xorl	%r14d, %r14d
	xorl	%r15d, %r15d
	jmp	pvguest_iret

	/* void pvguest_user_leave(long code): back into pvguest_user_enter. */
	.globl pvguest_user_leave
pvguest_user_leave:
	movq	pvguest_user_ctx(%rip), %rsp
	movq	%rdi, %rax
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret

	.section .rodata
	.balign 8
	.globl pvguest_trap_entry
pvguest_trap_entry:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad pvguest_trap_\v
	.endr

	.section .bss
	.balign 8
	.globl pvguest_user_ctx
pvguest_user_ctx:
	.skip 8

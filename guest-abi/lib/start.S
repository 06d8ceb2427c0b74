/* SPDX-License-Identifier: MIT */
/*
 * Entry point and Xen ELF notes of a libpvguest kernel.
 *
 * The builder enters _start at the ENTRY note with rsi = start_info VA,
 * rsp = top of its boot stack, events masked, in guest kernel mode.  We
 * record the registers as we got them (tests check them), move to our own
 * stack, clear .bss and call guest_main(start_info).
 */
#include <pvabi/elfnote.h>
#include "asm-offsets.h"

/* One note, owner "Xen": namesz, descsz, type, name, desc, 4-aligned. */
#define ELFNOTE(type, desc...)			\
	.pushsection .note.Xen, "a", @note;	\
	.balign 4;				\
	.long 2f - 1f;				\
	.long 4f - 3f;				\
	.long type;				\
1:	.asciz "Xen";				\
2:	.balign 4;				\
3:	desc;					\
4:	.balign 4;				\
	.popsection

ELFNOTE(XEN_ELFNOTE_GUEST_OS, .asciz "pvguest")
ELFNOTE(XEN_ELFNOTE_GUEST_VERSION, .asciz "0.1")
ELFNOTE(XEN_ELFNOTE_XEN_VERSION, .asciz "xen-3.0")
ELFNOTE(XEN_ELFNOTE_VIRT_BASE, .quad 0xffffffff80000000)
ELFNOTE(XEN_ELFNOTE_PADDR_OFFSET, .quad 0)
ELFNOTE(XEN_ELFNOTE_ENTRY, .quad _start)
ELFNOTE(XEN_ELFNOTE_HYPERCALL_PAGE, .quad hypercall_page)
ELFNOTE(XEN_ELFNOTE_LOADER, .asciz "generic")
ELFNOTE(XEN_ELFNOTE_FEATURES, .asciz "pae_pgdir_above_4gb")
ELFNOTE(XEN_ELFNOTE_PAE_MODE, .asciz "yes")

	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	/* Snapshot everything before touching a register. */
	movq	%rax, pvguest_entry_state+EB_RAX(%rip)
	movq	%rbx, pvguest_entry_state+EB_RBX(%rip)
	movq	%rcx, pvguest_entry_state+EB_RCX(%rip)
	movq	%rdx, pvguest_entry_state+EB_RDX(%rip)
	movq	%rsi, pvguest_entry_state+EB_RSI(%rip)
	movq	%rdi, pvguest_entry_state+EB_RDI(%rip)
	movq	%rbp, pvguest_entry_state+EB_RBP(%rip)
	movq	%rsp, pvguest_entry_state+EB_RSP(%rip)
	movq	%r8, pvguest_entry_state+EB_R8(%rip)
	movq	%r9, pvguest_entry_state+EB_R9(%rip)
	movq	%r10, pvguest_entry_state+EB_R10(%rip)
	movq	%r11, pvguest_entry_state+EB_R11(%rip)
	movq	%r12, pvguest_entry_state+EB_R12(%rip)
	movq	%r13, pvguest_entry_state+EB_R13(%rip)
	movq	%r14, pvguest_entry_state+EB_R14(%rip)
	movq	%r15, pvguest_entry_state+EB_R15(%rip)
	pushfq
	popq	pvguest_entry_state+EB_RFLAGS(%rip)
	movw	%cs, pvguest_entry_state+EB_CS(%rip)
	movw	%ss, pvguest_entry_state+EB_SS(%rip)
	movw	%ds, pvguest_entry_state+EB_DS(%rip)
	movw	%es, pvguest_entry_state+EB_ES(%rip)
	movw	%fs, pvguest_entry_state+EB_FS(%rip)
	movw	%gs, pvguest_entry_state+EB_GS(%rip)

	cld
	movq	%rsi, %rbx

	/*
	 * Clear .bss.  pvguest_entry_state lives in .data, so the snapshot
	 * survives.  The builder zeroes memsz past filesz too; doing it
	 * again keeps us independent of that.
	 */
	leaq	__bss_start(%rip), %rdi
	leaq	__bss_end(%rip), %rcx
	subq	%rdi, %rcx
	shrq	$3, %rcx
	xorl	%eax, %eax
	rep stosq

	leaq	boot_stack_top(%rip), %rsp
	xorl	%ebp, %ebp
	movq	%rbx, %rdi
	call	pvguest_start
	ud2

	/*
	 * The hypercall page the HYPERCALL_PAGE note points at.  Our
	 * hypercalls use `syscall` directly; hello only looks at whether the
	 * builder filled it in.  int3 filler makes a stray call obvious.
	 */
	.section .text.hypercall_page, "ax"
	.balign 4096
	.globl hypercall_page
hypercall_page:
	.fill 4096, 1, 0xcc

	.section .data
	.balign 64
	.globl pvguest_entry_state
pvguest_entry_state:
	.fill 32, 8, 0

	.section .bss
	.balign 4096
boot_stack:
	.skip 16384
boot_stack_top:

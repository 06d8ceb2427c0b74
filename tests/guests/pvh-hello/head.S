/* SPDX-License-Identifier: MIT */
/*
 * PVH entry for the pvh-hello self-test: entered in 32-bit protected
 * mode, paging off, EBX = hvm_start_info (docs/misc/pvh.pandoc). Keeps
 * EBX, identity-maps the first GiB with 2 MiB pages, enters long mode
 * and calls pvh_main(start_info) in 64-bit C.
 */
#include <pvabi/elfnote.h>

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

ELFNOTE(XEN_ELFNOTE_GUEST_OS, .asciz "pvisor-pvh-test")
ELFNOTE(XEN_ELFNOTE_XEN_VERSION, .asciz "xen-3.0")
ELFNOTE(XEN_ELFNOTE_PHYS32_ENTRY, .long pvh_start32)

	.section .text.entry, "ax"
	.code32
	.globl pvh_start32
pvh_start32:
	cld
	movl	$stack_top, %esp
	movl	%ebx, start_info_pa

	/*
	 * Paging still off: install the hypercall page and make two calls
	 * with the 32-bit convention (EBX, ECX, EDX; result in EAX), whose
	 * pointers are physical. pvh_main checks the results.
	 */
	movl	$0x40000000, %eax
	cpuid
	cmpl	$0x566e6558, %ebx		/* "XenV" */
	jne	1f
	movl	$0x40000002, %eax
	cpuid
	movl	%ebx, %ecx			/* the hypercall MSR */
	movl	$hypercall_page, %eax
	xorl	%edx, %edx
	wrmsr
	xorl	%ebx, %ebx			/* CONSOLEIO_write */
	movl	$msg32_end - msg32, %ecx
	movl	$msg32, %edx
	call	hypercall_page + 18 * 32	/* console_io */
	movl	%eax, console32_rc
	xorl	%ebx, %ebx			/* XENVER_version */
	xorl	%ecx, %ecx
	call	hypercall_page + 17 * 32	/* xen_version */
	movl	%eax, ver32
	movl	$1, done32
1:

	/* PD: 512 x 2 MiB, present + writable + large. */
	movl	$pd, %edi
	xorl	%ecx, %ecx
2:	movl	%ecx, %eax
	shll	$21, %eax
	orl	$0x83, %eax
	movl	%eax, (%edi,%ecx,8)
	movl	$0, 4(%edi,%ecx,8)
	incl	%ecx
	cmpl	$512, %ecx
	jne	2b
	movl	$pd, %eax
	orl	$0x3, %eax
	movl	%eax, pdpt
	movl	$pdpt, %eax
	orl	$0x3, %eax
	movl	%eax, pml4

	movl	%cr4, %eax
	orl	$0x20, %eax			/* PAE */
	movl	%eax, %cr4
	movl	$pml4, %eax
	movl	%eax, %cr3
	movl	$0xc0000080, %ecx		/* EFER.LME */
	rdmsr
	orl	$0x100, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$0x80000001, %eax		/* PG | PE */
	movl	%eax, %cr0

	lgdt	gdt_desc
	ljmp	$0x08, $long_entry

	.code64
long_entry:
	movl	$0x10, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	movq	$stack_top, %rsp
	movl	start_info_pa, %edi
	call	pvh_main
3:	hlt
	jmp	3b

	.section .rodata
	.balign 8
gdt:
	.quad	0
	.quad	0x00af9b000000ffff		/* 0x08: 64-bit code */
	.quad	0x00cf93000000ffff		/* 0x10: data */
gdt_end:
gdt_desc:
	.word	gdt_end - gdt - 1
	.long	gdt

msg32:
	.ascii	"pvh-hello: console_io from 32-bit mode, paging off\n"
msg32_end:

	.data
	.globl start_info_pa, done32, ver32, console32_rc
	.balign 4
start_info_pa:
	.long	0
done32:
	.long	0
ver32:
	.long	0
console32_rc:
	.long	0

	.section .bss.page_aligned, "aw", @nobits
	.balign 4096
pml4:	.skip 4096
pdpt:	.skip 4096
pd:	.skip 4096
	.skip 16384
stack_top:

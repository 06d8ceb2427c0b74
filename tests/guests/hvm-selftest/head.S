/* SPDX-License-Identifier: MIT */
/*
 * hvm-selftest as a bzImage (Documentation/arch/x86/boot.rst): a boot
 * sector and one setup sector holding the setup header, then the
 * protected-mode part, linked at 1 MiB (relocatable_kernel = 0), whose
 * offset 0x200 is the 64-bit entry. Loaders that take the 64-bit boot
 * protocol enter there in long mode, identity-mapped, interrupts off,
 * RSI = boot_params. Nothing here runs in real or 32-bit mode.
 */

#define SETUP_SECTS	1
#define XLF_KERNEL_64	0x0001
#define LOADED_HIGH	0x01

	/* ------------------------------------------------ boot sector -- */
	.section .header, "a"
	.code16
	.globl	bzimage_start
bzimage_start:
	/* A BIOS booting this from a disk gets a halt, not garbage. */
	cli
1:	hlt
	jmp	1b

	.org	0x1f1
	.byte	SETUP_SECTS		/* setup_sects */
	.word	0			/* root_flags */
	.long	hvm_syssize		/* syssize: 16-byte units (hvm.ld) */
	.word	0			/* ram_size */
	.word	0xffff			/* vid_mode: normal */
	.word	0			/* root_dev */
	.word	0xaa55			/* boot_flag */

	/* ---------------------------------------------- setup header -- */
	.org	0x200
	/* A short jump past the header: loaders size the header from it. */
	.byte	0xeb
	.byte	setup_code - 1f
1:	.ascii	"HdrS"			/* 0x202 header */
	.word	0x020e			/* 0x206 version 2.14: acpi_rsdp_addr */
	.long	0			/* 0x208 realmode_swtch */
	.word	0x1000			/* 0x20c start_sys_seg */
	.word	kernel_version_str - bzimage_start - 0x200 /* 0x20e */
	.byte	0			/* 0x210 type_of_loader */
	.byte	LOADED_HIGH		/* 0x211 loadflags */
	.word	0x8000			/* 0x212 setup_move_size */
	.long	0x100000		/* 0x214 code32_start */
	.long	0			/* 0x218 ramdisk_image */
	.long	0			/* 0x21c ramdisk_size */
	.long	0			/* 0x220 bootsect_kludge */
	.word	0			/* 0x224 heap_end_ptr */
	.byte	0			/* 0x226 ext_loader_ver */
	.byte	0			/* 0x227 ext_loader_type */
	.long	0			/* 0x228 cmd_line_ptr */
	.long	0x7fffffff		/* 0x22c initrd_addr_max */
	.long	0x200000		/* 0x230 kernel_alignment */
	.byte	0			/* 0x234 relocatable_kernel */
	.byte	21			/* 0x235 min_alignment (log2) */
	.word	XLF_KERNEL_64		/* 0x236 xloadflags */
	.long	2047			/* 0x238 cmdline_size */
	.long	0			/* 0x23c hardware_subarch: PC */
	.quad	0			/* 0x240 hardware_subarch_data */
	.long	0			/* 0x248 payload_offset */
	.long	0			/* 0x24c payload_length */
	.quad	0			/* 0x250 setup_data */
	.quad	0x100000		/* 0x258 pref_address */
	.long	hvm_init_size		/* 0x260 init_size (hvm.ld) */
	.long	0			/* 0x264 handover_offset */
	.long	0			/* 0x268 kernel_info_offset (2.15) */
	.org	0x26c
setup_code:
	/* Real-mode setup: never used by a 64-bit boot protocol loader. */
	cli
1:	hlt
	jmp	1b

kernel_version_str:
	.asciz	"pvisor hvm-selftest"

	.org	(SETUP_SECTS + 1) * 512
	.globl	bzimage_setup_end
bzimage_setup_end:

	/* ---------------------------------- protected-mode part, 1 MiB -- */
	.section .text.head, "ax"
	.code32
	.globl	startup_32
startup_32:
	/* The 32-bit protocol is not supported: stop where a debugger sees. */
	cli
1:	hlt
	jmp	1b

	.code64
	.org	0x200
	.globl	startup_64
startup_64:
	cli
	cld
	/* The loader copies syssize * 16 bytes; zero the rest ourselves. */
	movq	$__bss_start, %rdi
	movq	$_end, %rcx
	subq	%rdi, %rcx
	xorl	%eax, %eax
	rep stosb
	movq	$stack_top, %rsp
	movq	%rsi, %rdi			/* boot_params */
	xorl	%ebp, %ebp
	call	hvm_main
2:	cli
	hlt
	jmp	2b

	/*
	 * Exception and interrupt entry: one 16-byte stub per vector, each
	 * pushing a zero where the CPU pushes no error code, then the
	 * vector, so hvm_trap sees one frame layout for all 256.
	 */
	.text
	.altmacro
	.macro	isr_stub n
	.org	isr_stubs + \n * 16
	.if (\n == 8) || (\n >= 10 && \n <= 14) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
	.else
	pushq	$0
	.endif
	pushq	$\n
	jmp	isr_common
	.endm

	.balign	16
	.globl	isr_stubs
isr_stubs:
	.set	vec, 0
	.rept	256
	isr_stub %vec
	.set	vec, vec + 1
	.endr
	.org	isr_stubs + 256 * 16

isr_common:
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
	/* The CPU aligned RSP to 16; 22 quadwords keep it aligned. */
	movq	%rsp, %rdi
	cld
	call	hvm_trap
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
	addq	$16, %rsp			/* vector, error code */
	iretq

	.section .bss.stack, "aw", @nobits
	.balign	4096
	.skip	32768
	.globl	stack_top
stack_top:

/* SPDX-License-Identifier: MIT */
/*
 * Guest user mode for test kernels.
 *
 * A 64-bit PV kernel reaches user mode only through the iret hypercall
 * with CS RPL 3, and only once it has given the hypervisor a separate
 * user L4 (MMUEXT_NEW_USER_BASEPTR).  user_space_init() builds that
 * address space: the pages of the .user.text section at
 * PVGUEST_USER_TEXT_VA (read-only) and PVGUEST_USER_DATA_PAGES pages of
 * data/stack at PVGUEST_USER_DATA_VA, nothing else; in particular no
 * kernel mappings.
 */
#ifndef PVGUEST_USER_H
#define PVGUEST_USER_H

#include <pvguest/pvguest.h>

#define PVGUEST_USER_TEXT_VA	0x400000UL
#define PVGUEST_USER_DATA_VA	0x500000UL
#define PVGUEST_USER_DATA_PAGES	4
#define PVGUEST_USER_STACK_TOP \
	(PVGUEST_USER_DATA_VA + PVGUEST_USER_DATA_PAGES * PAGE_SIZE)

/* User code: put it in this section (whole pages are mapped). */
#define __user_text	__attribute__((section(".user.text")))

extern uint8_t __user_text_start[], __user_text_end[];

/* The data pages as the kernel sees them (same frames as the user's). */
extern uint8_t pvguest_user_data[PVGUEST_USER_DATA_PAGES][PAGE_SIZE];

/* Top of the stack the hypervisor bounces user-mode events onto. */
extern uint64_t pvguest_kernel_sp;

/* User address of a symbol inside .user.text. */
static inline uint64_t user_text_va(const void *sym)
{
	return PVGUEST_USER_TEXT_VA +
	       ((uint64_t)(uintptr_t)sym - (uint64_t)(uintptr_t)__user_text_start);
}

/*
 * stack_switch to the kernel stack, build and install the user L4.
 * Prints the failing step and returns its error, or 0.
 */
long user_space_init(void);

/*
 * Run user code at rip with stack rsp and the given rflags (IF set means
 * events unmasked in user mode).  Returns the code passed to
 * pvguest_user_leave() from a trap or syscall handler.
 */
long pvguest_user_enter(uint64_t rip, uint64_t rsp, uint64_t rflags);
void pvguest_user_leave(long code) __noreturn;

#endif /* PVGUEST_USER_H */

/* SPDX-License-Identifier: MIT */
/*
 * callback_op (hypercall 30): where pvisor enters the guest kernel for
 * things that are not traps -- event upcalls, failsafe returns, syscalls
 * made from guest user mode, NMIs.
 */
#ifndef PVABI_CALLBACK_H
#define PVABI_CALLBACK_H

#include "xen.h"

#define CALLBACKTYPE_event		0	/* event channel upcall */
#define CALLBACKTYPE_failsafe		1	/* bad segment on return */
#define CALLBACKTYPE_syscall		2	/* 64-bit syscall from user */
#define CALLBACKTYPE_sysenter_deprecated 3
#define CALLBACKTYPE_nmi		4
#define CALLBACKTYPE_sysenter		5
#define CALLBACKTYPE_syscall32		7

/* Deliver with events masked, as an interrupt gate would clear IF. */
#define _CALLBACKF_mask_events		0
#define CALLBACKF_mask_events		(1U << _CALLBACKF_mask_events)

#define CALLBACKOP_register		0
#define CALLBACKOP_unregister		1

struct callback_register {
	uint16_t type;		/* CALLBACKTYPE_* */
	uint16_t flags;		/* CALLBACKF_* */
	xen_callback_t address;
};

struct callback_unregister {
	uint16_t type;
	uint16_t _unused;
};

#endif /* PVABI_CALLBACK_H */

/* SPDX-License-Identifier: MIT */
#ifndef PVABI_HVM_HVM_OP_H
#define PVABI_HVM_HVM_OP_H

#include <stdint.h>

#include <pvabi/xen.h>

/*
 * hvm_op (hypercall 34): what PVH and HVM guests ask of the hypervisor
 * beyond the PV calls, above all their parameters (HVM_PARAM_*).
 */
#define HVMOP_set_param			0
#define HVMOP_get_param			1
#define HVMOP_pagetable_dying		9
#define HVMOP_set_evtchn_upcall_vector	23

struct xen_hvm_param {
	domid_t domid;
	uint16_t pad;
	uint32_t index;		/* HVM_PARAM_* */
	uint64_t value;
};

struct xen_hvm_evtchn_upcall_vector {
	uint32_t vcpu;
	uint8_t vector;
};

/* HVM_PARAM_CALLBACK_IRQ: how event upcalls arrive; type in bits 63:56. */
#define HVM_PARAM_CALLBACK_IRQ		0
#define HVM_PARAM_CALLBACK_IRQ_TYPE_MASK 0xff00000000000000ull
#define HVM_PARAM_CALLBACK_TYPE_GSI	0
#define HVM_PARAM_CALLBACK_TYPE_PCI_INTX 1
#define HVM_PARAM_CALLBACK_TYPE_VECTOR	2	/* bits 7:0: the vector */
#define HVM_PARAM_STORE_PFN		1
#define HVM_PARAM_STORE_EVTCHN		2
#define HVM_PARAM_CONSOLE_PFN		17
#define HVM_PARAM_CONSOLE_EVTCHN	18
#define HVM_NR_PARAMS			39

#endif

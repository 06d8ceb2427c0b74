/* SPDX-License-Identifier: MIT */
/*
 * event_channel_op (hypercall 32): creating, binding and signalling
 * event channels, the PV replacement for interrupts.  A port is pending
 * when its bit in shared_info.evtchn_pending is set (2-level ABI) or its
 * event word is linked into a queue (FIFO ABI).
 */
#ifndef PVABI_EVENT_CHANNEL_H
#define PVABI_EVENT_CHANNEL_H

#include "xen.h"

#define EVTCHNOP_bind_interdomain	0
#define EVTCHNOP_bind_virq		1
#define EVTCHNOP_bind_pirq		2
#define EVTCHNOP_close			3
#define EVTCHNOP_send			4
#define EVTCHNOP_status			5
#define EVTCHNOP_alloc_unbound		6
#define EVTCHNOP_bind_ipi		7
#define EVTCHNOP_bind_vcpu		8
#define EVTCHNOP_unmask			9
#define EVTCHNOP_reset			10
#define EVTCHNOP_init_control		11
#define EVTCHNOP_expand_array		12
#define EVTCHNOP_set_priority		13

/* A port in dom that remote_dom may later bind to. */
struct evtchn_alloc_unbound {
	domid_t dom, remote_dom;
	evtchn_port_t port;		/* out */
};

/* Connect a new local port to an unbound port of remote_dom. */
struct evtchn_bind_interdomain {
	domid_t remote_dom;
	evtchn_port_t remote_port;
	evtchn_port_t local_port;	/* out */
};

struct evtchn_bind_virq {
	uint32_t virq;			/* VIRQ_* */
	uint32_t vcpu;
	evtchn_port_t port;		/* out */
};

#define BIND_PIRQ__WILL_SHARE	1

struct evtchn_bind_pirq {
	uint32_t pirq;
	uint32_t flags;			/* BIND_PIRQ__* */
	evtchn_port_t port;		/* out */
};

/* A port for inter-processor notifications, delivered to vcpu. */
struct evtchn_bind_ipi {
	uint32_t vcpu;
	evtchn_port_t port;		/* out */
};

struct evtchn_close {
	evtchn_port_t port;
};

struct evtchn_send {
	evtchn_port_t port;
};

#define EVTCHNSTAT_closed	0
#define EVTCHNSTAT_unbound	1
#define EVTCHNSTAT_interdomain	2
#define EVTCHNSTAT_pirq		3
#define EVTCHNSTAT_virq		4
#define EVTCHNSTAT_ipi		5

struct evtchn_status {
	domid_t dom;
	evtchn_port_t port;
	uint32_t status;		/* out: EVTCHNSTAT_* */
	uint32_t vcpu;			/* out: vCPU notified */
	union {
		struct {
			domid_t dom;
		} unbound;
		struct {
			domid_t dom;
			evtchn_port_t port;
		} interdomain;
		uint32_t pirq;
		uint32_t virq;
	} u;
};

/* Deliver notifications of port to another vCPU. */
struct evtchn_bind_vcpu {
	evtchn_port_t port;
	uint32_t vcpu;
};

/* Clear the mask bit and re-raise the upcall if the port is pending. */
struct evtchn_unmask {
	evtchn_port_t port;
};

struct evtchn_reset {
	domid_t dom;
};

/* Switch to the FIFO ABI: register vcpu's control block. */
struct evtchn_init_control {
	uint64_t control_gfn;
	uint32_t offset;
	uint32_t vcpu;
	uint8_t link_bits;		/* out */
	uint8_t _pad[7];
};

/* Add one page of FIFO event words. */
struct evtchn_expand_array {
	uint64_t array_gfn;
};

struct evtchn_set_priority {
	evtchn_port_t port;
	uint32_t priority;		/* EVTCHN_FIFO_PRIORITY_* */
};

/* Argument of the legacy event_channel_op_compat (hypercall 16). */
struct evtchn_op {
	uint32_t cmd;			/* EVTCHNOP_* */
	union {
		struct evtchn_alloc_unbound alloc_unbound;
		struct evtchn_bind_interdomain bind_interdomain;
		struct evtchn_bind_virq bind_virq;
		struct evtchn_bind_pirq bind_pirq;
		struct evtchn_bind_ipi bind_ipi;
		struct evtchn_close close;
		struct evtchn_send send;
		struct evtchn_status status;
		struct evtchn_bind_vcpu bind_vcpu;
		struct evtchn_unmask unmask;
	} u;
};

/* Ports the 2-level bitmaps in shared_info can name (4096). */
#define EVTCHN_2L_NR_CHANNELS	(sizeof(xen_ulong_t) * sizeof(xen_ulong_t) * 64)

/*
 * FIFO ABI.  Each port has a 32-bit event word: flag bits at the top,
 * the link to the next port of its queue in the low LINK_BITS bits.
 * Each vCPU has one queue per priority; 0 is the most urgent.
 */
typedef uint32_t event_word_t;

#define EVTCHN_FIFO_PRIORITY_MAX	0
#define EVTCHN_FIFO_PRIORITY_DEFAULT	7
#define EVTCHN_FIFO_PRIORITY_MIN	15
#define EVTCHN_FIFO_MAX_QUEUES		(EVTCHN_FIFO_PRIORITY_MIN + 1)

#define EVTCHN_FIFO_PENDING		31
#define EVTCHN_FIFO_MASKED		30
#define EVTCHN_FIFO_LINKED		29
#define EVTCHN_FIFO_BUSY		28
#define EVTCHN_FIFO_LINK_BITS		17
#define EVTCHN_FIFO_LINK_MASK		((1 << EVTCHN_FIFO_LINK_BITS) - 1)
#define EVTCHN_FIFO_NR_CHANNELS		(1 << EVTCHN_FIFO_LINK_BITS)

/* ready has bit q set when queue q is non-empty; head[q] is its first port. */
struct evtchn_fifo_control_block {
	uint32_t ready;
	uint32_t _rsvd;
	uint32_t head[EVTCHN_FIFO_MAX_QUEUES];
};

#endif /* PVABI_EVENT_CHANNEL_H */

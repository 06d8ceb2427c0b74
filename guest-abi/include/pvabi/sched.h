/* SPDX-License-Identifier: MIT */
/*
 * sched_op (hypercall 29): giving up the CPU, blocking until an event,
 * and shutting a domain down.
 */
#ifndef PVABI_SCHED_H
#define PVABI_SCHED_H

#include "xen.h"

#define SCHEDOP_yield		0
#define SCHEDOP_block		1	/* sleep until an event is pending */
#define SCHEDOP_shutdown	2	/* arg: struct sched_shutdown */
#define SCHEDOP_poll		3	/* arg: struct sched_poll */
#define SCHEDOP_remote_shutdown	4	/* arg: struct sched_remote_shutdown */
#define SCHEDOP_shutdown_code	5	/* record a reason, don't shut down */
#define SCHEDOP_watchdog	6	/* arg: struct sched_watchdog */
#define SCHEDOP_pin_override	7	/* arg: struct sched_pin_override */

/* Why a domain shut down; the toolstack acts on it (restart, destroy). */
#define SHUTDOWN_poweroff	0
#define SHUTDOWN_reboot		1
#define SHUTDOWN_suspend	2
#define SHUTDOWN_crash		3
#define SHUTDOWN_watchdog	4
#define SHUTDOWN_soft_reset	5
#define SHUTDOWN_MAX		5

struct sched_shutdown {
	uint32_t reason;	/* SHUTDOWN_* */
};

/*
 * Block until one of the listed ports is pending or the absolute system
 * time timeout (ns, 0 = none) passes.
 */
struct sched_poll {
	XEN_GUEST_HANDLE(evtchn_port_t) ports;
	uint32_t nr_ports;
	uint64_t timeout;
};

struct sched_remote_shutdown {
	domid_t domain_id;
	uint32_t reason;	/* SHUTDOWN_* */
};

/* id 0 creates a watchdog; timeout 0 destroys watchdog id. */
struct sched_watchdog {
	uint32_t id;
	uint32_t timeout;	/* seconds */
};

struct sched_pin_override {
	int32_t pcpu;		/* -1 ends the override */
};

#endif /* PVABI_SCHED_H */

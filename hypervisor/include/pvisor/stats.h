/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_STATS_H
#define PVISOR_STATS_H

#include <stdint.h>

#define STATS_NR_HYPERCALLS	64

/*
 * Exits are the currency on hosts where each costs tens of microseconds:
 * count them by kind, per vCPU (no sharing on the hot path).
 */
struct vcpu_stats {
	uint64_t exits;
	uint64_t hypercalls[STATS_NR_HYPERCALLS];
	uint64_t hypercalls_bad;	/* number out of range */
	uint64_t traps[32];		/* hardware vector that left the VM */
	uint64_t user_syscalls;
	uint64_t upcalls;
	uint64_t kicks;
	uint64_t stub_kicks;		/* kicks that found it inside a stub */
	uint64_t forged_doorbells;	/* exit page touched by guest code */
	uint64_t continuations;		/* preempted hypercalls resumed */
	uint64_t remote_flushes;	/* TLB flushes other vCPUs asked for */
	uint64_t emulated;		/* privileged instructions emulated */
	uint64_t bounces;		/* traps delivered to the guest */
	uint64_t pt_flushes;		/* in-VM page-table writer runs */
	uint64_t pt_touches;		/* entries it replayed */
	uint64_t ptwr;			/* writes to RO page tables emulated */
};

struct domain_stats {
	uint64_t log_dropped;
};

#endif

/* SPDX-License-Identifier: MIT */
#ifndef PVISORD_BACKEND_H
#define PVISORD_BACKEND_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvisor/evtchn_dom0.h"

struct domain;
struct pv_layout;
struct pvd_console;
struct xs_store;
struct xs_ring;

/*
 * The dom0 services one guest talks to: its xenstore ring and its PV
 * console ring, each behind an event channel to domain 0, served by one
 * thread per domain that sleeps in poll() on their eventfds.
 */
struct pvd_backend {
	struct domain *d;
	struct pvd_console *console;
	struct evtchn_dom0_chan store_ch, console_ch;
	bool store_ok, console_ok;
	void *store_page, *console_page;	/* in the guest's RAM */
	/* Their frames, held by writable references while mapped. */
	uint64_t store_pfn, console_pfn;
	bool store_claimed, console_claimed;
	struct xs_ring *ring;
	int wake_fd;			/* eventfd: console input, stop */
	volatile int stop;
	pthread_t thread;
	bool thread_started;
	void *input;			/* console input queue (backend.c) */
	struct pvd_vbds *vbds;		/* disks (vbd.c) */
	struct pvd_vifs *vifs;		/* network interfaces (vif.c) */
};

/* xenstore.c: the store pvisord serves (socket and guest rings). */
int pvd_xenstore_start(const char *socket_path);
struct xs_store *pvd_xenstore(void);

/* Before the build: event channels (their ports go in start_info). */
int pvd_backend_prepare(struct pvd_backend *b, struct domain *d,
			struct pvd_console *console);
/*
 * After the build: xenstore nodes, ring attach, the service thread. The
 * rings are at the guest frames store_pfn and console_pfn (PV: its
 * start_info's; PVH: the pages at the top of its memory).
 */
int pvd_backend_start(struct pvd_backend *b, uint64_t store_pfn,
		      uint64_t console_pfn, const char *name,
		      uint64_t memory_mb);
/* The guest stopped (@releaseDomain fires) but is not yet destroyed. */
void pvd_backend_guest_stopped(struct pvd_backend *b);
/* Tear everything down; the domain is about to be destroyed. */
void pvd_backend_stop(struct pvd_backend *b);

/* Console input from an attached client, towards the guest. */
void pvd_backend_console_input(struct pvd_backend *b, const char *buf,
			       size_t len);
/* Ask the guest to power off or reboot through control/shutdown. */
int pvd_backend_request_shutdown(struct pvd_backend *b, const char *what);
/* Set the balloon target, memory/target, in KiB as Xen does. */
int pvd_backend_set_memory_target(struct pvd_backend *b, uint64_t kib);

#endif

/* SPDX-License-Identifier: MIT */
#ifndef PVCTL_RUN_CONSOLE_H
#define PVCTL_RUN_CONSOLE_H

#include <pthread.h>
#include <stdbool.h>

#include "pvisor/evtchn_dom0.h"

struct domain;
struct pv_layout;

/*
 * pvctl run's console: for PV the guest's console ring on our stdout,
 * our stdin into its input ring (what a shell on hvc0 needs); for HVM
 * our stdin into its serial port. One thread.
 */
struct run_console {
	struct domain *d;
	struct evtchn_dom0_chan ch;
	bool bound;
	void *page;
	uint64_t pfn;			/* held writable while served */
	bool claimed;
	pthread_t thread;
	bool started;
};

/* Before the build: the event channel whose port goes in start_info. */
int run_console_prepare(struct run_console *c, struct domain *d);
/* After the build: serve the ring start_info names. */
int run_console_start(struct run_console *c, uint64_t console_pfn);
/* HVM: our stdin into the guest's COM1 (its output goes to stdout). */
int run_console_start_serial(struct run_console *c, struct domain *d);
/* After the domain ended: flush what is left and release the channel. */
void run_console_stop(struct run_console *c);

#endif

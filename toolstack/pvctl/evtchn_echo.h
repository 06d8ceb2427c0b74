/* SPDX-License-Identifier: MIT */
#ifndef PVCTL_EVTCHN_ECHO_H
#define PVCTL_EVTCHN_ECHO_H

#include <pvabi/xen.h>

struct domain;
struct evtchn_echo;

/*
 * `pvctl run --evtchn-echo`: a dom0 service for self-test kernels that
 * answers every notification on one event channel with a notification
 * back. It uses only the channel's two eventfds, as a service in its
 * own process would (the relay thread raises the guest's port). The
 * guest finds its port on the command line: "evtchn_echo=PORT".
 */
int evtchn_echo_start(struct domain *d, struct evtchn_echo **out,
		      evtchn_port_t *guest_port);
/* Stop it; returns how many notifications it echoed. */
unsigned long evtchn_echo_stop(struct evtchn_echo *e);

#endif

/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_EVTCHN_DOM0_H
#define PVISOR_EVTCHN_DOM0_H

#include <stdint.h>

#include <pvabi/xen.h>

struct domain;

/*
 * The dom0 end of event channels, for the services that live in the host
 * (console, xenstored, backends). Dom0 is a pseudo-domain, domid 0, whose
 * ports signal eventfds instead of shared_info bits; a guest sees an
 * ordinary interdomain channel to domain 0 (EVTCHNOP_status says so).
 *
 * Each channel has two eventfds, so a service can run in its own process
 * (fds inherited or passed over a UNIX socket):
 *   notify_fd  readable when the guest sent on its port; read 8 bytes to
 *              clear (the count of sends coalesces, as pending bits do).
 *   kick_fd    write a u64 (1) to raise the guest's port. pvisord's relay
 *              thread turns it into the event. In-process callers may use
 *              evtchn_dom0_send()/evtchn_dom0_notify() instead: one hop
 *              fewer.
 * The fds belong to the channel: evtchn_dom0_close() closes them (dup
 * them to keep them longer). When the guest closes its end or dies, the
 * dom0 port becomes unbound and stays until the service closes it.
 */
struct evtchn_dom0_chan {
	domid_t domid;			/* the guest */
	evtchn_port_t guest_port;
	evtchn_port_t dom0_port;
	int notify_fd;
	int kick_fd;
};

/*
 * A new guest port already bound to a new dom0 port: what the toolstack
 * does for the console and xenstore channels before the guest boots.
 */
int evtchn_dom0_alloc(struct domain *d, struct evtchn_dom0_chan *ch);
/* A guest port waiting for dom0 (alloc_unbound with remote_dom = 0). */
int evtchn_dom0_alloc_unbound(struct domain *d, evtchn_port_t *guest_port);
/*
 * Bind dom0's end to a guest port left unbound for domain 0, e.g. the
 * one a frontend published in xenstore. -ESRCH: no such domain;
 * -EINVAL: the port is not unbound for dom0.
 */
int evtchn_dom0_bind(domid_t domid, evtchn_port_t guest_port,
		     struct evtchn_dom0_chan *ch);

/* Raise the guest's end of a dom0 channel, by dom0 port. */
int evtchn_dom0_send(evtchn_port_t dom0_port);
/* The same by guest port: -EINVAL unless it is bound to dom0. */
int evtchn_dom0_notify(struct domain *d, evtchn_port_t guest_port);
/* Close dom0's end (the guest's becomes unbound) and both fds. */
int evtchn_dom0_close(evtchn_port_t dom0_port);

#endif

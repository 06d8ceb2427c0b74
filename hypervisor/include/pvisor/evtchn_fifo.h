/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_EVTCHN_FIFO_H
#define PVISOR_EVTCHN_FIFO_H

#include "pvisor/event_channel.h"
#include "pvisor/guest_mem.h"

/*
 * Xen's FIFO event channel ABI: per-port event words in guest pages,
 * per-vCPU control blocks with 16 priority queues. The queue tails are
 * ours; the guest owns heads and links once an event is queued.
 */

/* Event words per event array page, and pages for 2^17 ports. */
#define EVTCHN_FIFO_WORDS_PER_PAGE	(PAGE_SIZE / sizeof(event_word_t))
#define EVTCHN_FIFO_MAX_PAGES \
	(EVTCHN_FIFO_NR_CHANNELS / EVTCHN_FIFO_WORDS_PER_PAGE)

extern const struct evtchn_port_ops evtchn_port_ops_fifo;

/*
 * EVTCHNOP_init_control for vcpu: the first call switches the domain to
 * FIFO (2-level pending ports stay pending). -ENOENT bad vCPU, -EINVAL
 * bad offset, frame, or a vCPU that has its block already.
 */
int evtchn_init_control(struct evtchn_domain *ed, uint64_t gfn,
			uint32_t offset, uint32_t vcpu);
/* EVTCHNOP_expand_array: -EOPNOTSUPP before init_control, -ENOSPC full. */
int evtchn_expand_array(struct evtchn_domain *ed, uint64_t gfn);
/* Drop every FIFO page and the state; ed->lock and abi_lock (write) held. */
void evtchn_fifo_destroy(struct evtchn_domain *ed);

#endif

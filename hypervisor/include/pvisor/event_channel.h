/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_EVENT_CHANNEL_H
#define PVISOR_EVENT_CHANNEL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <pvabi/event_channel.h>
#include <pvabi/xen.h>

/*
 * Xen's event channels, as plain functions over one domain's event
 * state: ports and bindings here, delivery through a per-domain set of
 * port operations (the 2-level bitmaps in shared_info, or the FIFO
 * queues of evtchn_fifo.c once the guest asks for them). Nothing here
 * knows about KVM or vCPU threads: delivery reaches vCPUs and guest
 * frames through hooks, so the logic is unit-testable and can later
 * move into the VM as a fast path.
 *
 * Locking (outermost first):
 *   1. evtchn_global_lock (event_channel.c): the domain registry and the
 *      topology of interdomain channels (bind_interdomain, closing an
 *      interdomain port, evtchn_domain_fini). It keeps both ends of an
 *      interdomain channel alive while either end is changed.
 *   2. evtchn_domain.lock: every port of one domain. Two of them are
 *      taken in address order, and only under the global lock.
 *   3. evtchn_domain.abi_lock (rwlock): which port ops the domain uses
 *      and the FIFO pages behind them. Every use of the port ops holds
 *      it for reading; switching ABI, adding event array pages and
 *      control blocks hold it for writing (with evtchn_domain.lock).
 *   4. the FIFO queue lock (evtchn_fifo.c): queue tails and linking.
 *   5. vCPU locks, taken by the kick hook (struct vcpu.lock: a leaf).
 * A send on an interdomain port holds only the sender's lock: the peer
 * port cannot change state without that lock too, so it stays bound.
 * Pending/mask bits, FIFO event words and control blocks, and vcpu_info
 * live in guest-writable memory: they are only ever touched with atomic
 * operations, and no value read from there is trusted beyond the bit it
 * names (a LINK field is written by us, never followed).
 */

#ifndef CONFIG_EVTCHN_MAX_PORT
/* xl's default max_event_channels: ports 1..1023 for a domU. */
#define CONFIG_EVTCHN_MAX_PORT	1023
#endif
#define EVTCHN_2L_MAX_PORT	((unsigned int)EVTCHN_2L_NR_CHANNELS - 1)
/* Ports are created 64 at a time; a port is "valid" once its bucket exists. */
#define EVTCHN_BUCKET		64
/* The dom0 endpoints services use: not bounded by the 2-level bitmaps. */
#define EVTCHN_DOM0_MAX_PORT	32767
/* Xen's limit on the ports of one SCHEDOP_poll. */
#define EVTCHN_POLL_MAX		128
#define EVTCHN_MAX_VCPUS	128

enum evtchn_state {
	ECS_FREE,
	ECS_RESERVED,		/* port 0 */
	ECS_UNBOUND,		/* waiting for u.remote_dom to bind */
	ECS_INTERDOMAIN,
	ECS_PIRQ,		/* never created: no physical IRQs */
	ECS_VIRQ,
	ECS_IPI,
};

/* VIRQ scope, as Xen classifies them. */
enum virq_type { VIRQ_TYPE_VCPU, VIRQ_TYPE_DOMAIN, VIRQ_TYPE_GLOBAL };

struct evtchn_domain;
struct evtchn_fifo;

struct evtchn {
	uint8_t state;			/* enum evtchn_state */
	uint8_t priority;		/* FIFO queue: 0 (first) .. 15 */
	/* FIFO: pending while its event array page was missing. */
	bool fifo_pending;
	/* FIFO: the queue it was last linked on (kept across close). */
	uint8_t last_priority;
	uint16_t last_vcpu;
	uint16_t notify_vcpu;
	int efd;			/* dom0 endpoints: eventfd; else -1 */
	union {
		domid_t remote_dom;	/* ECS_UNBOUND */
		struct {
			struct evtchn_domain *d;
			evtchn_port_t port;
		} inter;		/* ECS_INTERDOMAIN */
		uint32_t virq;		/* ECS_VIRQ */
	} u;
};

/* How event logic reaches a domain's vCPUs. */
struct evtchn_hooks {
	/* The vcpu_info events for this vCPU go to (NULL: none yet). */
	struct vcpu_info *(*vcpu_info)(void *ctx, unsigned int vcpu);
	/* Wake it from block/poll, or make it leave the VM promptly. */
	void (*kick)(void *ctx, unsigned int vcpu);
	/*
	 * FIFO pages: one of the guest's own RAM frames, held with a
	 * writable type reference until unmap_frame (never a page table or
	 * descriptor page). 0 and *va, or -EINVAL. NULL: no FIFO ABI.
	 */
	int (*map_frame)(void *ctx, uint64_t gfn, void **va);
	void (*unmap_frame)(void *ctx, uint64_t gfn);
};

/*
 * How ports are made pending, masked and queued: one set per ABI.
 * Callers hold abi_lock for reading; chn is port's channel.
 */
struct evtchn_port_ops {
	/* Mark pending and queue/notify; true when it was not pending. */
	bool (*set_pending)(struct evtchn_domain *ed, struct evtchn *chn,
			    evtchn_port_t port);
	void (*clear_pending)(struct evtchn_domain *ed, evtchn_port_t port);
	/* The guest asked to unmask: clear, and deliver if pending. */
	void (*unmask)(struct evtchn_domain *ed, struct evtchn *chn,
		       evtchn_port_t port);
	bool (*is_pending)(struct evtchn_domain *ed, evtchn_port_t port);
	bool (*is_masked)(struct evtchn_domain *ed, evtchn_port_t port);
	/* Still on a guest queue: the port may not be reallocated yet. */
	bool (*is_busy)(struct evtchn_domain *ed, evtchn_port_t port);
	/* NULL: the ABI has no priorities (-ENOSYS, as Xen). */
	int (*set_priority)(struct evtchn_domain *ed, struct evtchn *chn,
			    uint32_t priority);
};

extern const struct evtchn_port_ops evtchn_port_ops_2l;

struct evtchn_domain {
	pthread_mutex_t lock;
	domid_t domid;
	/* 2-level bitmaps; NULL for the dom0 endpoint domain (eventfds). */
	struct shared_info *si;
	unsigned int nr_vcpus;
	unsigned int max_port;		/* highest port that may be allocated */
	unsigned int max_port_cfg;	/* the configured limit, any ABI */
	unsigned int valid;		/* ports below this have storage */
	unsigned int active;		/* ports not free or reserved */
	struct evtchn **buckets;
	evtchn_port_t *virq_port;	/* [vcpu * NR_VIRQS + virq]; 0 none */
	/* SCHEDOP_poll: vCPUs polling, and the one port each waits for. */
	uint64_t poll_mask[EVTCHN_MAX_VCPUS / 64];
	int32_t poll_port[EVTCHN_MAX_VCPUS];	/* 0 none, -1 any port */
	const struct evtchn_hooks *hooks;
	void *ctx;
	pthread_rwlock_t abi_lock;
	const struct evtchn_port_ops *ops;	/* NULL: dom0 endpoints */
	struct evtchn_fifo *fifo;		/* FIFO state, or NULL */
	/*
	 * Kick on every event, not only when evtchn_upcall_pending rises.
	 * HVM: KVM's LAPIC drops an interrupt while software-disabled
	 * (Xen's keeps it in IRR), and Linux sets its upcall vector before
	 * it enables the LAPIC; the next event must raise it again.
	 */
	bool upcall_level;
	bool registered;
	struct evtchn_domain *next;	/* registry */
};

/*
 * Set up a domain's event state. si NULL makes a dom0 endpoint domain
 * (no vCPUs; pending ports write their eventfd). Port 0 is reserved.
 */
int evtchn_domain_init(struct evtchn_domain *ed, domid_t domid,
		       struct shared_info *si, unsigned int nr_vcpus,
		       unsigned int max_port, const struct evtchn_hooks *hooks,
		       void *ctx);
/* Make the domain findable by bind_interdomain (by domid). */
int evtchn_domain_register(struct evtchn_domain *ed);
/* Unregister, close every port (peers become unbound), free. */
void evtchn_domain_fini(struct evtchn_domain *ed);

/*
 * The EVTCHNOP_* operations for the calling domain ed, with Xen's
 * semantics and error codes. Binding calls return the new port (> 0).
 */
int evtchn_alloc_unbound(struct evtchn_domain *ed, domid_t remote_dom);
int evtchn_bind_interdomain(struct evtchn_domain *ed, domid_t remote_dom,
			    evtchn_port_t remote_port);
int evtchn_bind_virq(struct evtchn_domain *ed, uint32_t virq, uint32_t vcpu);
int evtchn_bind_ipi(struct evtchn_domain *ed, uint32_t vcpu);
int evtchn_close(struct evtchn_domain *ed, evtchn_port_t port);
int evtchn_send(struct evtchn_domain *ed, evtchn_port_t port);
int evtchn_status(struct evtchn_domain *ed, evtchn_port_t port,
		  struct evtchn_status *st);
int evtchn_bind_vcpu(struct evtchn_domain *ed, evtchn_port_t port,
		     uint32_t vcpu);
int evtchn_unmask(struct evtchn_domain *ed, evtchn_port_t port);
/* Close every port and go back to the 2-level ABI. */
int evtchn_reset(struct evtchn_domain *ed);
/* FIFO only (-ENOSYS under 2-level); init_control is in evtchn_fifo.h. */
int evtchn_set_priority(struct evtchn_domain *ed, evtchn_port_t port,
			uint32_t priority);

/* Does domid exist (for -ESRCH vs -EPERM on foreign-domain requests)? */
bool evtchn_domain_exists(domid_t domid);

enum virq_type evtchn_virq_type(uint32_t virq);
/* Raise a VIRQ: per-vCPU ones on vcpu, the others where they are bound. */
void evtchn_send_virq(struct evtchn_domain *ed, unsigned int vcpu,
		      uint32_t virq);
bool evtchn_virq_bound(struct evtchn_domain *ed, unsigned int vcpu,
		       uint32_t virq);

/*
 * SCHEDOP_poll support. poll_port: <0 errno (invalid or unusable
 * port), 0 not pending, 1 pending. poll_arm registers vcpu as polling
 * (port 0: any port, else that one); poll_disarm undoes it. A port
 * becoming pending kicks the vCPUs polling it, even when masked.
 */
int evtchn_poll_port(struct evtchn_domain *ed, evtchn_port_t port);
void evtchn_poll_arm(struct evtchn_domain *ed, unsigned int vcpu,
		     evtchn_port_t port);
void evtchn_poll_disarm(struct evtchn_domain *ed, unsigned int vcpu);
bool evtchn_poll_armed(struct evtchn_domain *ed, unsigned int vcpu);

/* The guest moved this vCPU's vcpu_info: flag everything pending there. */
void evtchn_vcpu_info_moved(struct evtchn_domain *ed, unsigned int vcpu);

/* Internal to the event channel files (dom0 endpoints). */
struct evtchn *evtchn_port_get(const struct evtchn_domain *ed,
			       evtchn_port_t port);
void evtchn_global_lock(void);
void evtchn_global_unlock(void);
struct evtchn_domain *evtchn_domain_lookup(domid_t domid);
/* Global lock held; efd (or -1) is what the new local port signals. */
int evtchn_bind_interdomain_locked(struct evtchn_domain *ld,
				   struct evtchn_domain *rd,
				   evtchn_port_t rport, int efd);
int evtchn_close_locked(struct evtchn_domain *ed, evtchn_port_t port);
/* Raise ed's own port if it is bound to peer; -EINVAL otherwise. */
int evtchn_raise_bound(struct evtchn_domain *ed, evtchn_port_t port,
		       const struct evtchn_domain *peer);
/* Set vcpu's evtchn_upcall_pending; kick it when that is news. */
void evtchn_mark_upcall(struct evtchn_domain *ed, unsigned int vcpu);
/* The highest port the domain may allocate under ABI ops. */
unsigned int evtchn_abi_max_port(const struct evtchn_domain *ed,
				 const struct evtchn_port_ops *ops);

#endif

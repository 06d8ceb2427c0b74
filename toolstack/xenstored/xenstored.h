/* SPDX-License-Identifier: MIT */
/*
 * pvisor's xenstore daemon core, as a library.
 *
 * One store (the tree, the domains, the connections) is shared by every
 * transport: the dom0 UNIX socket (socket.c) and one ring connection per
 * guest over its xenstore page (ring.c).  Requests are processed one at a
 * time under the store lock; lock-free readers (xs_store_read) walk the
 * tree under RCU and never block the writer, nor are they blocked by it.
 *
 * Every thread that calls into the library is registered with liburcu on
 * first use (urcu-memb flavour); call xs_thread_exit() before such a
 * thread ends.
 */
#ifndef PVISOR_XENSTORED_H
#define PVISOR_XENSTORED_H

#include <stddef.h>
#include <stdint.h>

#include <pvabi/io/xs_wire.h>

struct xs_store;
struct xs_conn;
struct xs_ring;
struct xs_socket;

/* What the embedding daemon does for XS_INTRODUCE / XS_RELEASE. */
struct xs_store_hooks {
	/*
	 * Map domid's store page (gfn), bind its event channel (port) and
	 * attach it with xs_ring_attach().  Called with the store lock held:
	 * use xs_ring_attach_locked().  0 or a negative errno.  Without this
	 * hook the domain is only recorded as introduced.
	 */
	int (*introduce)(void *opaque, struct xs_store *st, unsigned int domid,
			 uint64_t gfn, uint32_t port);
	/* The domain was released; its ring connection is already gone. */
	void (*release)(void *opaque, struct xs_store *st, unsigned int domid);
	void *opaque;
};

/* Per-domain quotas (unprivileged domains only; 0 disables one). */
enum xs_quota_item {
	XS_Q_NODES,		/* nodes owned by the domain */
	XS_Q_NODE_SIZE,		/* bytes of one node: value, perms, children */
	XS_Q_WATCHES,		/* watches of its connection */
	XS_Q_TRANSACTIONS,	/* open transactions */
	XS_Q_OUTSTANDING,	/* replies queued and not yet taken */
	XS_Q_PERMS,		/* permission entries in one SET_PERMS */
	XS_Q_PATH,		/* path length below /local/domain/<id>/ */
	XS_Q_TX_NODES,		/* nodes one transaction may touch */
	XS_Q_COUNT,
};

/* ---------------------------------------------------------- store -- */
struct xs_store *xs_store_new(const struct xs_store_hooks *hooks);
void xs_store_free(struct xs_store *st);
void xs_store_set_quota(struct xs_store *st, enum xs_quota_item q,
			unsigned int val);
unsigned int xs_store_get_quota(const struct xs_store *st,
				enum xs_quota_item q);
void xs_store_set_trace(struct xs_store *st, int on);

void xs_store_lock(struct xs_store *st);
void xs_store_unlock(struct xs_store *st);

/*
 * Lock-free read of an absolute path's value (RCU).  Returns the value's
 * length (which may exceed cap: the copy is truncated) or -ENOENT/-EINVAL.
 */
long xs_store_read(struct xs_store *st, const char *path, void *buf,
		   size_t cap);

/*
 * Run one request as the privileged dom0 (for pvisord's own use: domain
 * nodes, shutdown requests).  payload/len as on the wire.  On success the
 * reply payload is copied to reply (truncated to cap), *rlen set to its
 * length; returns 0, or a negative errno from an XS_ERROR reply.
 * Takes the store lock.
 */
int xs_store_call(struct xs_store *st, enum xsd_sockmsg_type type,
		  const void *payload, uint32_t len, void *reply, size_t cap,
		  uint32_t *rlen);

/* The domain has shut down: fire @releaseDomain once (Xen semantics). */
void xs_domain_shutdown(struct xs_store *st, unsigned int domid);
/* The domain is gone: drop its connection, nodes, fire @releaseDomain. */
int xs_domain_release(struct xs_store *st, unsigned int domid);

void xs_thread_exit(void);

/* ------------------------------------------------ ring transport -- */
/* Called (store lock held) when the guest must be notified. */
typedef void (*xs_ring_notify_fn)(void *opaque);

/*
 * Attach a guest's xenstore page (memory the caller owns and keeps
 * mapped until xs_ring_detach).  Marks the domain introduced and fires
 * @introduceDomain.  NULL with errno set on failure.
 */
struct xs_ring *xs_ring_attach(struct xs_store *st, unsigned int domid,
			       struct xenstore_domain_interface *intf,
			       xs_ring_notify_fn notify, void *opaque);
struct xs_ring *xs_ring_attach_locked(struct xs_store *st, unsigned int domid,
				      struct xenstore_domain_interface *intf,
				      xs_ring_notify_fn notify, void *opaque);
/*
 * The guest notified us (or space may have opened up): consume requests,
 * answer, push queued output.  Returns 1 if work remains (call again
 * soon: each kick does a bounded amount for fairness), 0 if idle,
 * -EIO once the guest has broken the protocol (the ring is then dead).
 */
int xs_ring_kick(struct xs_ring *r);
void xs_ring_detach(struct xs_ring *r);

/* ---------------------------------------------- socket transport -- */
#define XS_DEFAULT_SOCKET	"/run/pvisor/xenstored/socket"

struct xs_socket *xs_socket_open(struct xs_store *st, const char *path);
/* Serve until *stop becomes non-zero (checked at least every 500 ms). */
int xs_socket_run(struct xs_socket *s, volatile int *stop);
void xs_socket_close(struct xs_socket *s);

#endif /* PVISOR_XENSTORED_H */

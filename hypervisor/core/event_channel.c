// SPDX-License-Identifier: MIT
/*
 * Event channels: ports, their bindings, and delivery through the
 * domain's port ops: the 2-level ABI into shared_info here (contract
 * §2.8, §3.3), FIFO in evtchn_fifo.c. Semantics and error codes follow
 * Xen's common/event_channel.c and event_2l.c; see event_channel.h for
 * the lock order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvisor/event_channel.h"
#include "pvisor/evtchn_fifo.h"

static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;
static struct evtchn_domain *registry;

void evtchn_global_lock(void)
{
	pthread_mutex_lock(&global_lock);
}

void evtchn_global_unlock(void)
{
	pthread_mutex_unlock(&global_lock);
}

static inline uint64_t port_bit(evtchn_port_t port)
{
	return 1ull << (port % 64);
}

/* A port with storage, or NULL (Xen's port_is_valid). Caller holds ed. */
struct evtchn *evtchn_port_get(const struct evtchn_domain *ed,
			       evtchn_port_t port)
{
	if (port >= ed->valid)
		return NULL;
	return &ed->buckets[port / EVTCHN_BUCKET][port % EVTCHN_BUCKET];
}

/* A port known to exist (the peer of a bound channel): no lock needed. */
static struct evtchn *port_of(const struct evtchn_domain *ed,
			      evtchn_port_t port)
{
	return &ed->buckets[port / EVTCHN_BUCKET][port % EVTCHN_BUCKET];
}

static int add_bucket(struct evtchn_domain *ed)
{
	unsigned int b = ed->valid / EVTCHN_BUCKET;
	struct evtchn *chn = calloc(EVTCHN_BUCKET, sizeof(*chn));

	if (!chn)
		return -ENOMEM;
	for (unsigned int i = 0; i < EVTCHN_BUCKET; i++)
		chn[i].efd = -1;
	ed->buckets[b] = chn;
	/* Lock-free readers of a peer port only follow existing buckets. */
	__atomic_store_n(&ed->valid, ed->valid + EVTCHN_BUCKET,
			 __ATOMIC_RELEASE);
	return 0;
}

static void abi_read_lock(struct evtchn_domain *ed)
{
	pthread_rwlock_rdlock(&ed->abi_lock);
}

static void abi_unlock(struct evtchn_domain *ed)
{
	pthread_rwlock_unlock(&ed->abi_lock);
}

/*
 * Is this free port still on a guest FIFO queue? Reusing it before the
 * guest unlinks it could misroute its first event (Xen's evtchn_is_busy).
 */
static bool port_busy(struct evtchn_domain *ed, evtchn_port_t port)
{
	bool busy = false;

	if (!ed->ops)
		return false;
	abi_read_lock(ed);
	if (ed->ops->is_busy)
		busy = ed->ops->is_busy(ed, port);
	abi_unlock(ed);
	return busy;
}

/* The lowest free port, storage included; it stays free until used. */
static int get_free_port(struct evtchn_domain *ed)
{
	for (unsigned int p = 1; p <= ed->max_port; p++) {
		struct evtchn *chn;

		if (p >= ed->valid) {
			int rc = add_bucket(ed);

			if (rc)
				return rc;
		}
		chn = evtchn_port_get(ed, p);
		if (chn->state == ECS_FREE && !port_busy(ed, p))
			return (int)p;
	}
	return -ENOSPC;
}

static void take_port(struct evtchn_domain *ed, struct evtchn *chn,
		      enum evtchn_state state)
{
	chn->state = state;
	/* Xen's port init: FIFO's default queue, no leftover event. */
	chn->priority = EVTCHN_FIFO_PRIORITY_DEFAULT;
	chn->fifo_pending = false;
	ed->active++;
}

static void free_port(struct evtchn_domain *ed, struct evtchn *chn,
		      evtchn_port_t port)
{
	/* The FIFO queue it may still sit on: its tail must be found. */
	uint8_t last_priority = chn->last_priority;
	uint16_t last_vcpu = chn->last_vcpu;

	/* A later binding of this port must not inherit an old event. */
	if (ed->ops) {
		abi_read_lock(ed);
		ed->ops->clear_pending(ed, port);
		abi_unlock(ed);
	}
	if (chn->efd >= 0)
		close(chn->efd);
	memset(chn, 0, sizeof(*chn));
	chn->efd = -1;
	chn->state = ECS_FREE;
	chn->last_priority = last_priority;
	chn->last_vcpu = last_vcpu;
	ed->active--;
}

static void lock_pair(struct evtchn_domain *a, struct evtchn_domain *b)
{
	if (a == b) {
		pthread_mutex_lock(&a->lock);
	} else if (a < b) {
		pthread_mutex_lock(&a->lock);
		pthread_mutex_lock(&b->lock);
	} else {
		pthread_mutex_lock(&b->lock);
		pthread_mutex_lock(&a->lock);
	}
}

static void unlock_pair(struct evtchn_domain *a, struct evtchn_domain *b)
{
	pthread_mutex_unlock(&a->lock);
	if (a != b)
		pthread_mutex_unlock(&b->lock);
}

/* ------------------------------------------------------------ delivery */

void evtchn_mark_upcall(struct evtchn_domain *ed, unsigned int vcpu)
{
	struct vcpu_info *vi = ed->hooks->vcpu_info(ed->ctx, vcpu);

	if (vi && (!__atomic_exchange_n(&vi->evtchn_upcall_pending, 1,
					__ATOMIC_SEQ_CST) || ed->upcall_level))
		ed->hooks->kick(ed->ctx, vcpu);
}

/* Raise the upcall for one pending_sel word of vcpu's vcpu_info. */
static void mark_vcpu(struct evtchn_domain *ed, unsigned int vcpu,
		      unsigned int word)
{
	struct vcpu_info *vi = ed->hooks->vcpu_info(ed->ctx, vcpu);
	uint64_t sel = 1ull << word;

	if (!vi)
		return;
	if (__atomic_fetch_or(&vi->evtchn_pending_sel, sel, __ATOMIC_SEQ_CST) &
	    sel)
		return;
	evtchn_mark_upcall(ed, vcpu);
}

/* Wake the vCPUs polling port (or any port): masked ports too. */
static void check_pollers(struct evtchn_domain *ed, evtchn_port_t port)
{
	for (unsigned int w = 0; w < EVTCHN_MAX_VCPUS / 64; w++) {
		uint64_t m = __atomic_load_n(&ed->poll_mask[w], __ATOMIC_SEQ_CST);

		while (m) {
			unsigned int i = (unsigned int)__builtin_ctzll(m);
			unsigned int vcpu = w * 64 + i;
			int32_t pp = __atomic_load_n(&ed->poll_port[vcpu],
						     __ATOMIC_SEQ_CST);

			m &= m - 1;
			if (pp > 0 && (evtchn_port_t)pp != port)
				continue;
			if (__atomic_fetch_and(&ed->poll_mask[w], ~(1ull << i),
					       __ATOMIC_SEQ_CST) & (1ull << i)) {
				__atomic_store_n(&ed->poll_port[vcpu], 0,
						 __ATOMIC_SEQ_CST);
				ed->hooks->kick(ed->ctx, vcpu);
			}
		}
	}
}

/* ------------------------------------------------- 2-level port ops */

/*
 * Ports past the bitmaps exist only if FIFO was on when they were bound
 * (a reset races a binding): they have no bit, so they do nothing.
 */
static bool l2_port(evtchn_port_t port)
{
	return port <= EVTCHN_2L_MAX_PORT;
}

/* Xen's evtchn_2l_set_pending. */
static bool l2_set_pending(struct evtchn_domain *ed, struct evtchn *chn,
			   evtchn_port_t port)
{
	struct shared_info *si = ed->si;
	unsigned int word = port / 64;

	if (!l2_port(port) ||
	    (__atomic_fetch_or(&si->evtchn_pending[word], port_bit(port),
			       __ATOMIC_SEQ_CST) & port_bit(port)))
		return false;
	if (!(__atomic_load_n(&si->evtchn_mask[word], __ATOMIC_SEQ_CST) &
	      port_bit(port)))
		mark_vcpu(ed, __atomic_load_n(&chn->notify_vcpu,
					      __ATOMIC_RELAXED), word);
	return true;
}

static void l2_clear_pending(struct evtchn_domain *ed, evtchn_port_t port)
{
	if (l2_port(port))
		__atomic_fetch_and(&ed->si->evtchn_pending[port / 64],
				   ~port_bit(port), __ATOMIC_SEQ_CST);
}

static void l2_unmask(struct evtchn_domain *ed, struct evtchn *chn,
		      evtchn_port_t port)
{
	struct shared_info *si = ed->si;
	unsigned int word = port / 64;

	if (l2_port(port) &&
	    (__atomic_fetch_and(&si->evtchn_mask[word], ~port_bit(port),
				__ATOMIC_SEQ_CST) & port_bit(port)) &&
	    (__atomic_load_n(&si->evtchn_pending[word], __ATOMIC_SEQ_CST) &
	     port_bit(port)))
		mark_vcpu(ed, chn->notify_vcpu, word);
}

static bool l2_is_pending(struct evtchn_domain *ed, evtchn_port_t port)
{
	return l2_port(port) &&
	       (__atomic_load_n(&ed->si->evtchn_pending[port / 64],
				__ATOMIC_SEQ_CST) & port_bit(port));
}

static bool l2_is_masked(struct evtchn_domain *ed, evtchn_port_t port)
{
	return !l2_port(port) ||
	       (__atomic_load_n(&ed->si->evtchn_mask[port / 64],
				__ATOMIC_SEQ_CST) & port_bit(port));
}

const struct evtchn_port_ops evtchn_port_ops_2l = {
	.set_pending = l2_set_pending,
	.clear_pending = l2_clear_pending,
	.unmask = l2_unmask,
	.is_pending = l2_is_pending,
	.is_masked = l2_is_masked,
};

unsigned int evtchn_abi_max_port(const struct evtchn_domain *ed,
				 const struct evtchn_port_ops *ops)
{
	unsigned int cap = ops == &evtchn_port_ops_fifo ?
			   EVTCHN_FIFO_NR_CHANNELS - 1 : EVTCHN_2L_MAX_PORT;

	return ed->max_port_cfg < cap ? ed->max_port_cfg : cap;
}

/* Deliver through the domain's ABI; dom0 endpoints signal their eventfd. */
static void set_pending(struct evtchn_domain *ed, struct evtchn *chn,
			evtchn_port_t port)
{
	bool news;

	if (!ed->ops) {
		uint64_t one = 1;

		/* A full counter (EAGAIN) is readable already: nothing lost. */
		if (chn->efd >= 0 && write(chn->efd, &one, sizeof(one)) < 0)
			(void)0;
		return;
	}
	abi_read_lock(ed);
	news = ed->ops->set_pending(ed, chn, port);
	abi_unlock(ed);
	if (news)
		check_pollers(ed, port);
}

/* -------------------------------------------------------------- setup */

int evtchn_domain_init(struct evtchn_domain *ed, domid_t domid,
		       struct shared_info *si, unsigned int nr_vcpus,
		       unsigned int max_port, const struct evtchn_hooks *hooks,
		       void *ctx)
{
	unsigned int cap = si ? EVTCHN_FIFO_NR_CHANNELS - 1 :
			   EVTCHN_DOM0_MAX_PORT;
	int rc;

	memset(ed, 0, sizeof(*ed));
	if (nr_vcpus > EVTCHN_MAX_VCPUS || (si && (!hooks || !nr_vcpus)))
		return -EINVAL;
	if (!max_port)
		max_port = si ? CONFIG_EVTCHN_MAX_PORT : EVTCHN_DOM0_MAX_PORT;
	if (max_port > cap)
		max_port = cap;
	ed->domid = domid;
	ed->si = si;
	ed->nr_vcpus = nr_vcpus;
	/* Storage for the largest ABI; the current one bounds allocation. */
	ed->max_port_cfg = max_port;
	ed->ops = si ? &evtchn_port_ops_2l : NULL;
	ed->max_port = si ? evtchn_abi_max_port(ed, ed->ops) : max_port;
	ed->hooks = hooks;
	ed->ctx = ctx;
	ed->buckets = calloc(max_port / EVTCHN_BUCKET + 1,
			     sizeof(*ed->buckets));
	ed->virq_port = calloc((size_t)(nr_vcpus ? nr_vcpus : 1) * NR_VIRQS,
			       sizeof(*ed->virq_port));
	if (!ed->buckets || !ed->virq_port) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = add_bucket(ed);
	if (rc)
		goto fail;
	ed->buckets[0][0].state = ECS_RESERVED;
	pthread_mutex_init(&ed->lock, NULL);
	pthread_rwlock_init(&ed->abi_lock, NULL);
	return 0;

fail:
	free(ed->buckets);
	free(ed->virq_port);
	ed->buckets = NULL;
	ed->virq_port = NULL;
	return rc;
}

struct evtchn_domain *evtchn_domain_lookup(domid_t domid)
{
	for (struct evtchn_domain *ed = registry; ed; ed = ed->next)
		if (ed->domid == domid)
			return ed;
	return NULL;
}

int evtchn_domain_register(struct evtchn_domain *ed)
{
	int rc = 0;

	evtchn_global_lock();
	if (evtchn_domain_lookup(ed->domid)) {
		rc = -EEXIST;
	} else {
		ed->next = registry;
		registry = ed;
		ed->registered = true;
	}
	evtchn_global_unlock();
	return rc;
}

bool evtchn_domain_exists(domid_t domid)
{
	bool found;

	evtchn_global_lock();
	found = evtchn_domain_lookup(domid) != NULL;
	evtchn_global_unlock();
	return found;
}

void evtchn_domain_fini(struct evtchn_domain *ed)
{
	if (!ed->buckets)
		return;
	evtchn_global_lock();
	if (ed->registered) {
		for (struct evtchn_domain **pp = &registry; *pp;
		     pp = &(*pp)->next) {
			if (*pp == ed) {
				*pp = ed->next;
				break;
			}
		}
		ed->registered = false;
	}
	for (unsigned int p = 1; p < ed->valid; p++) {
		uint8_t state;

		pthread_mutex_lock(&ed->lock);
		state = evtchn_port_get(ed, p)->state;
		pthread_mutex_unlock(&ed->lock);
		if (state != ECS_FREE)
			evtchn_close_locked(ed, p);
	}
	evtchn_global_unlock();
	pthread_mutex_lock(&ed->lock);
	pthread_rwlock_wrlock(&ed->abi_lock);
	evtchn_fifo_destroy(ed);
	pthread_rwlock_unlock(&ed->abi_lock);
	pthread_mutex_unlock(&ed->lock);
	for (unsigned int b = 0; b < ed->valid / EVTCHN_BUCKET; b++)
		free(ed->buckets[b]);
	free(ed->buckets);
	free(ed->virq_port);
	ed->buckets = NULL;
	ed->virq_port = NULL;
	pthread_rwlock_destroy(&ed->abi_lock);
	pthread_mutex_destroy(&ed->lock);
}

/* ------------------------------------------------------------ binding */

int evtchn_alloc_unbound(struct evtchn_domain *ed, domid_t remote_dom)
{
	int port;

	if (remote_dom == DOMID_SELF)
		remote_dom = ed->domid;
	pthread_mutex_lock(&ed->lock);
	port = get_free_port(ed);
	if (port > 0) {
		struct evtchn *chn = evtchn_port_get(ed, port);

		take_port(ed, chn, ECS_UNBOUND);
		chn->u.remote_dom = remote_dom;
	}
	pthread_mutex_unlock(&ed->lock);
	return port;
}

/* Both ends' topology is ours: the caller holds the global lock. */
static int bind_interdomain_locked(struct evtchn_domain *ld,
				   struct evtchn_domain *rd,
				   evtchn_port_t rport, int efd)
{
	struct evtchn *lchn, *rchn;
	int lport;

	lock_pair(ld, rd);
	lport = get_free_port(ld);
	if (lport < 0)
		goto out;
	rchn = evtchn_port_get(rd, rport);
	if (!rchn || rchn->state != ECS_UNBOUND ||
	    rchn->u.remote_dom != ld->domid) {
		lport = -EINVAL;
		goto out;
	}
	lchn = evtchn_port_get(ld, lport);
	take_port(ld, lchn, ECS_INTERDOMAIN);
	lchn->efd = efd;
	lchn->u.inter.d = rd;
	lchn->u.inter.port = rport;
	rchn->state = ECS_INTERDOMAIN;
	rchn->u.inter.d = ld;
	rchn->u.inter.port = (evtchn_port_t)lport;
	/* Sends to the unbound end were dropped: report one, as Xen does. */
	set_pending(ld, lchn, (evtchn_port_t)lport);
out:
	unlock_pair(ld, rd);
	return lport;
}

int evtchn_bind_interdomain_locked(struct evtchn_domain *ld,
				struct evtchn_domain *rd, evtchn_port_t rport,
				int efd)
{
	return bind_interdomain_locked(ld, rd, rport, efd);
}

int evtchn_bind_interdomain(struct evtchn_domain *ed, domid_t remote_dom,
			    evtchn_port_t remote_port)
{
	struct evtchn_domain *rd;
	int rc;

	if (remote_dom == DOMID_SELF)
		remote_dom = ed->domid;
	evtchn_global_lock();
	rd = evtchn_domain_lookup(remote_dom);
	if (!rd && remote_dom == ed->domid)
		rd = ed;	/* loopback works before registration too */
	rc = rd ? bind_interdomain_locked(ed, rd, remote_port, -1) : -ESRCH;
	evtchn_global_unlock();
	return rc;
}

enum virq_type evtchn_virq_type(uint32_t virq)
{
	switch (virq) {
	case VIRQ_TIMER:
	case VIRQ_DEBUG:
	case VIRQ_XENOPROF:
	case VIRQ_XENPMU:
		return VIRQ_TYPE_VCPU;
	case VIRQ_ARGO:
		return VIRQ_TYPE_DOMAIN;
	}
	return VIRQ_TYPE_GLOBAL;	/* dom0's: console, dom_exc, arch ... */
}

int evtchn_bind_virq(struct evtchn_domain *ed, uint32_t virq, uint32_t vcpu)
{
	enum virq_type type;
	struct evtchn *chn;
	evtchn_port_t *slot;
	int port;

	if (virq >= NR_VIRQS)
		return -EINVAL;
	type = evtchn_virq_type(virq);
	if (type != VIRQ_TYPE_VCPU && vcpu != 0)
		return -EINVAL;
	if (vcpu >= ed->nr_vcpus)
		return -ENOENT;
	/* Global VIRQs belong to the hardware domain: dom0, in the host. */
	if (type == VIRQ_TYPE_GLOBAL)
		return -EBUSY;
	pthread_mutex_lock(&ed->lock);
	slot = &ed->virq_port[vcpu * NR_VIRQS + virq];
	if (*slot) {
		port = -EEXIST;
		goto out;
	}
	port = get_free_port(ed);
	if (port < 0)
		goto out;
	chn = evtchn_port_get(ed, port);
	take_port(ed, chn, ECS_VIRQ);
	chn->notify_vcpu = (uint16_t)vcpu;
	chn->u.virq = virq;
	*slot = (evtchn_port_t)port;
out:
	pthread_mutex_unlock(&ed->lock);
	return port;
}

int evtchn_bind_ipi(struct evtchn_domain *ed, uint32_t vcpu)
{
	int port;

	if (vcpu >= ed->nr_vcpus)
		return -ENOENT;
	pthread_mutex_lock(&ed->lock);
	port = get_free_port(ed);
	if (port > 0) {
		struct evtchn *chn = evtchn_port_get(ed, port);

		take_port(ed, chn, ECS_IPI);
		chn->notify_vcpu = (uint16_t)vcpu;
	}
	pthread_mutex_unlock(&ed->lock);
	return port;
}

/* Close a port that has no peer. Caller holds ed. */
static int close_local(struct evtchn_domain *ed, struct evtchn *chn,
		       evtchn_port_t port)
{
	switch (chn->state) {
	case ECS_UNBOUND:
	case ECS_IPI:
		break;
	case ECS_VIRQ: {
		unsigned int v = evtchn_virq_type(chn->u.virq) == VIRQ_TYPE_VCPU ?
				 chn->notify_vcpu : 0;

		ed->virq_port[v * NR_VIRQS + chn->u.virq] = 0;
		break;
	}
	default:	/* free, reserved */
		return -EINVAL;
	}
	free_port(ed, chn, port);
	return 0;
}

int evtchn_close_locked(struct evtchn_domain *ed, evtchn_port_t port)
{
	struct evtchn_domain *rd;
	struct evtchn *chn, *rchn;
	evtchn_port_t rport;
	int rc;

	pthread_mutex_lock(&ed->lock);
	chn = evtchn_port_get(ed, port);
	if (!chn || chn->state != ECS_INTERDOMAIN) {
		rc = chn ? close_local(ed, chn, port) : -EINVAL;
		pthread_mutex_unlock(&ed->lock);
		return rc;
	}
	/* Under the global lock the binding cannot change meanwhile. */
	rd = chn->u.inter.d;
	rport = chn->u.inter.port;
	pthread_mutex_unlock(&ed->lock);

	lock_pair(ed, rd);
	rchn = port_of(rd, rport);
	free_port(ed, chn, port);
	rchn->state = ECS_UNBOUND;
	rchn->u.remote_dom = ed->domid;
	unlock_pair(ed, rd);
	return 0;
}

int evtchn_close(struct evtchn_domain *ed, evtchn_port_t port)
{
	struct evtchn *chn;
	int rc;

	pthread_mutex_lock(&ed->lock);
	chn = evtchn_port_get(ed, port);
	if (!chn) {
		pthread_mutex_unlock(&ed->lock);
		return -EINVAL;
	}
	if (chn->state != ECS_INTERDOMAIN) {
		rc = close_local(ed, chn, port);
		pthread_mutex_unlock(&ed->lock);
		return rc;
	}
	pthread_mutex_unlock(&ed->lock);
	evtchn_global_lock();
	rc = evtchn_close_locked(ed, port);
	evtchn_global_unlock();
	return rc;
}

int evtchn_reset(struct evtchn_domain *ed)
{
	for (unsigned int p = 1;
	     p < __atomic_load_n(&ed->valid, __ATOMIC_ACQUIRE); p++) {
		uint8_t state;

		pthread_mutex_lock(&ed->lock);
		state = evtchn_port_get(ed, p)->state;
		pthread_mutex_unlock(&ed->lock);
		if (state != ECS_FREE)
			evtchn_close(ed, p);
	}
	/* Back to 2-level, as Xen's evtchn_reset: the guest starts over. */
	pthread_mutex_lock(&ed->lock);
	if (ed->ops) {
		pthread_rwlock_wrlock(&ed->abi_lock);
		evtchn_fifo_destroy(ed);
		ed->ops = &evtchn_port_ops_2l;
		ed->max_port = evtchn_abi_max_port(ed, ed->ops);
		pthread_rwlock_unlock(&ed->abi_lock);
	}
	pthread_mutex_unlock(&ed->lock);
	return 0;
}

/* ----------------------------------------------------------- signalling */

int evtchn_send(struct evtchn_domain *ed, evtchn_port_t port)
{
	struct evtchn *chn;
	int rc = 0;

	pthread_mutex_lock(&ed->lock);
	chn = evtchn_port_get(ed, port);
	if (!chn) {
		rc = -EINVAL;
		goto out;
	}
	switch (chn->state) {
	case ECS_INTERDOMAIN: {
		struct evtchn_domain *rd = chn->u.inter.d;
		evtchn_port_t rport = chn->u.inter.port;

		/* The peer cannot be closed without our lock: no lock on rd. */
		set_pending(rd, port_of(rd, rport), rport);
		break;
	}
	case ECS_IPI:
		set_pending(ed, chn, port);
		break;
	case ECS_UNBOUND:
		break;		/* nobody listens yet: dropped, as in Xen */
	default:
		rc = -EINVAL;
	}
out:
	pthread_mutex_unlock(&ed->lock);
	return rc;
}

int evtchn_raise_bound(struct evtchn_domain *ed, evtchn_port_t port,
		       const struct evtchn_domain *peer)
{
	struct evtchn *chn;
	int rc = -EINVAL;

	pthread_mutex_lock(&ed->lock);
	chn = evtchn_port_get(ed, port);
	if (chn && chn->state == ECS_INTERDOMAIN && chn->u.inter.d == peer) {
		set_pending(ed, chn, port);
		rc = 0;
	}
	pthread_mutex_unlock(&ed->lock);
	return rc;
}

void evtchn_send_virq(struct evtchn_domain *ed, unsigned int vcpu,
		      uint32_t virq)
{
	unsigned int v;
	evtchn_port_t port;

	if (virq >= NR_VIRQS)
		return;
	v = evtchn_virq_type(virq) == VIRQ_TYPE_VCPU ? vcpu : 0;
	if (v >= ed->nr_vcpus)
		return;
	pthread_mutex_lock(&ed->lock);
	port = ed->virq_port[v * NR_VIRQS + virq];
	if (port) {
		struct evtchn *chn = evtchn_port_get(ed, port);

		if (chn && chn->state == ECS_VIRQ)
			set_pending(ed, chn, port);
	}
	pthread_mutex_unlock(&ed->lock);
}

bool evtchn_virq_bound(struct evtchn_domain *ed, unsigned int vcpu,
		       uint32_t virq)
{
	unsigned int v;

	if (virq >= NR_VIRQS)
		return false;
	v = evtchn_virq_type(virq) == VIRQ_TYPE_VCPU ? vcpu : 0;
	if (v >= ed->nr_vcpus)
		return false;
	return __atomic_load_n(&ed->virq_port[v * NR_VIRQS + virq],
			       __ATOMIC_RELAXED) != 0;
}

int evtchn_unmask(struct evtchn_domain *ed, evtchn_port_t port)
{
	struct evtchn *chn;

	pthread_mutex_lock(&ed->lock);
	chn = evtchn_port_get(ed, port);
	if (!chn) {
		pthread_mutex_unlock(&ed->lock);
		return -EINVAL;
	}
	/* Free ports are left alone (Xen's evtchn_usable). */
	if (ed->ops && chn->state > ECS_RESERVED) {
		abi_read_lock(ed);
		ed->ops->unmask(ed, chn, port);
		abi_unlock(ed);
	}
	pthread_mutex_unlock(&ed->lock);
	return 0;
}

int evtchn_set_priority(struct evtchn_domain *ed, evtchn_port_t port,
			uint32_t priority)
{
	struct evtchn *chn;
	int rc = -EINVAL;

	pthread_mutex_lock(&ed->lock);
	chn = evtchn_port_get(ed, port);
	if (chn && ed->ops) {
		abi_read_lock(ed);
		rc = ed->ops->set_priority ?
		     ed->ops->set_priority(ed, chn, priority) : -ENOSYS;
		abi_unlock(ed);
	} else if (chn) {
		rc = -ENOSYS;
	}
	pthread_mutex_unlock(&ed->lock);
	return rc;
}

int evtchn_bind_vcpu(struct evtchn_domain *ed, evtchn_port_t port,
		     uint32_t vcpu)
{
	struct evtchn *chn;
	int rc = 0;

	if (vcpu >= ed->nr_vcpus)
		return -ENOENT;
	pthread_mutex_lock(&ed->lock);
	chn = evtchn_port_get(ed, port);
	if (!chn) {
		rc = -EINVAL;
		goto out;
	}
	switch (chn->state) {
	case ECS_VIRQ:
		if (evtchn_virq_type(chn->u.virq) == VIRQ_TYPE_VCPU) {
			rc = -EINVAL;
			break;
		}
		/* fall through */
	case ECS_UNBOUND:
	case ECS_INTERDOMAIN:
		__atomic_store_n(&chn->notify_vcpu, (uint16_t)vcpu,
				 __ATOMIC_RELAXED);
		break;
	default:
		rc = -EINVAL;
	}
out:
	pthread_mutex_unlock(&ed->lock);
	return rc;
}

int evtchn_status(struct evtchn_domain *ed, evtchn_port_t port,
		  struct evtchn_status *st)
{
	struct evtchn *chn;

	pthread_mutex_lock(&ed->lock);
	chn = evtchn_port_get(ed, port);
	if (!chn) {
		pthread_mutex_unlock(&ed->lock);
		return -EINVAL;
	}
	memset(&st->u, 0, sizeof(st->u));
	switch (chn->state) {
	case ECS_UNBOUND:
		st->status = EVTCHNSTAT_unbound;
		st->u.unbound.dom = chn->u.remote_dom;
		break;
	case ECS_INTERDOMAIN:
		st->status = EVTCHNSTAT_interdomain;
		st->u.interdomain.dom = chn->u.inter.d->domid;
		st->u.interdomain.port = chn->u.inter.port;
		break;
	case ECS_VIRQ:
		st->status = EVTCHNSTAT_virq;
		st->u.virq = chn->u.virq;
		break;
	case ECS_IPI:
		st->status = EVTCHNSTAT_ipi;
		break;
	default:
		st->status = EVTCHNSTAT_closed;
	}
	st->vcpu = chn->notify_vcpu;
	pthread_mutex_unlock(&ed->lock);
	return 0;
}

/* ---------------------------------------------------------------- poll */

int evtchn_poll_port(struct evtchn_domain *ed, evtchn_port_t port)
{
	struct evtchn *chn;
	int rc = -EINVAL;

	pthread_mutex_lock(&ed->lock);
	chn = evtchn_port_get(ed, port);
	if (chn && chn->state > ECS_RESERVED && ed->ops) {
		abi_read_lock(ed);
		rc = ed->ops->is_pending(ed, port);
		abi_unlock(ed);
	}
	pthread_mutex_unlock(&ed->lock);
	return rc;
}

void evtchn_poll_arm(struct evtchn_domain *ed, unsigned int vcpu,
		     evtchn_port_t port)
{
	if (vcpu >= EVTCHN_MAX_VCPUS)
		return;
	__atomic_store_n(&ed->poll_port[vcpu], port ? (int32_t)port : -1,
			 __ATOMIC_SEQ_CST);
	__atomic_fetch_or(&ed->poll_mask[vcpu / 64], 1ull << (vcpu % 64),
			  __ATOMIC_SEQ_CST);
}

void evtchn_poll_disarm(struct evtchn_domain *ed, unsigned int vcpu)
{
	if (vcpu >= EVTCHN_MAX_VCPUS)
		return;
	__atomic_fetch_and(&ed->poll_mask[vcpu / 64], ~(1ull << (vcpu % 64)),
			   __ATOMIC_SEQ_CST);
	__atomic_store_n(&ed->poll_port[vcpu], 0, __ATOMIC_SEQ_CST);
}

bool evtchn_poll_armed(struct evtchn_domain *ed, unsigned int vcpu)
{
	if (vcpu >= EVTCHN_MAX_VCPUS)
		return false;
	return __atomic_load_n(&ed->poll_mask[vcpu / 64], __ATOMIC_SEQ_CST) &
	       (1ull << (vcpu % 64));
}

void evtchn_vcpu_info_moved(struct evtchn_domain *ed, unsigned int vcpu)
{
	struct vcpu_info *vi;

	if (!ed->si || vcpu >= ed->nr_vcpus)
		return;
	/* Under the lock: no delivery is half-way through the old copy. */
	pthread_mutex_lock(&ed->lock);
	vi = ed->hooks->vcpu_info(ed->ctx, vcpu);
	if (vi) {
		/* Anything that hit the old copy is found by a full scan. */
		__atomic_store_n(&vi->evtchn_pending_sel, ~0ull,
				 __ATOMIC_SEQ_CST);
		__atomic_store_n(&vi->evtchn_upcall_pending, 1,
				 __ATOMIC_SEQ_CST);
		ed->hooks->kick(ed->ctx, vcpu);
	}
	pthread_mutex_unlock(&ed->lock);
}

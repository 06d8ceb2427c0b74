// SPDX-License-Identifier: MIT
/*
 * The FIFO event channel ABI: port ops over guest event words and
 * per-vCPU control blocks, and the EVTCHNOP_init_control/expand_array
 * set-up behind them. Semantics and error codes follow Xen's
 * common/event_fifo.c; the ABI is public/event_channel.h's.
 *
 * The guest shares every word here with us and may rewrite any of them
 * at any time. We only ever set or clear single bits atomically, and
 * replace a LINK field with compare-and-swap a bounded number of times;
 * we never follow a LINK, so a guest that corrupts its queues can only
 * lose its own events.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pvisor/evtchn_fifo.h"

#define BIT(n)		(1u << (n))
#define W_PENDING	BIT(EVTCHN_FIFO_PENDING)
#define W_MASKED	BIT(EVTCHN_FIFO_MASKED)
#define W_LINKED	BIT(EVTCHN_FIFO_LINKED)
#define W_BUSY		BIT(EVTCHN_FIFO_BUSY)

/* Compare-and-swap attempts on a tail word that the guest keeps changing. */
#define LINK_TRIES	4

struct evtchn_fifo_vcpu {
	struct evtchn_fifo_control_block *cb;	/* NULL: not registered */
	uint64_t cb_gfn;
	/* Last port linked on each queue; 0: the queue is empty to us. */
	evtchn_port_t tail[EVTCHN_FIFO_MAX_QUEUES];
};

struct evtchn_fifo {
	pthread_mutex_t lock;		/* tails and linking */
	unsigned int nr_pages;		/* event array pages mapped */
	event_word_t *pages[EVTCHN_FIFO_MAX_PAGES];
	uint64_t gfns[EVTCHN_FIFO_MAX_PAGES];
	unsigned int nr_vcpus;
	struct evtchn_fifo_vcpu vcpu[];
};

/* The event word of port, or NULL while its page is missing. */
static event_word_t *word_of(const struct evtchn_fifo *f, evtchn_port_t port)
{
	unsigned int page = port / EVTCHN_FIFO_WORDS_PER_PAGE;

	if (page >= f->nr_pages)
		return NULL;
	return f->pages[page] + port % EVTCHN_FIFO_WORDS_PER_PAGE;
}

static bool test_bit_w(const event_word_t *w, uint32_t bit)
{
	return __atomic_load_n(w, __ATOMIC_SEQ_CST) & bit;
}

static bool test_and_set_w(event_word_t *w, uint32_t bit)
{
	return __atomic_fetch_or(w, bit, __ATOMIC_SEQ_CST) & bit;
}

static void clear_w(event_word_t *w, uint32_t bit)
{
	__atomic_fetch_and(w, ~bit, __ATOMIC_SEQ_CST);
}

/*
 * Point tail's LINK at port if tail is still LINKED; false when the
 * guest has already consumed it (the queue is empty, head must be set).
 * While LINKED the guest may only flip MASKED, clear PENDING or unlink;
 * BUSY stops its unmask fast path, so a few attempts suffice. A guest
 * that still races loses this event, as in Xen.
 */
static bool set_link(event_word_t *tail, evtchn_port_t port)
{
	event_word_t old = __atomic_load_n(tail, __ATOMIC_SEQ_CST), new;

	if (!(old & W_LINKED))
		return false;
	new = (old & ~(W_BUSY | EVTCHN_FIFO_LINK_MASK)) | port;
	if (__atomic_compare_exchange_n(tail, &old, new, false,
					__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return true;
	test_and_set_w(tail, W_BUSY);
	for (unsigned int i = 0; i < LINK_TRIES; i++) {
		old = __atomic_load_n(tail, __ATOMIC_SEQ_CST);
		if (!(old & W_LINKED)) {
			clear_w(tail, W_BUSY);
			return false;
		}
		/* Clearing BUSY with the same swap releases the word. */
		new = (old & ~(W_BUSY | EVTCHN_FIFO_LINK_MASK)) | port;
		if (__atomic_compare_exchange_n(tail, &old, new, false,
						__ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			return true;
	}
	clear_w(tail, W_BUSY);
	return true;
}

/* Queue port on its vCPU's queue for its priority (Xen's set_pending). */
static bool fifo_set_pending(struct evtchn_domain *ed, struct evtchn *chn,
			     evtchn_port_t port)
{
	struct evtchn_fifo *f = ed->fifo;
	unsigned int vcpu = __atomic_load_n(&chn->notify_vcpu,
					    __ATOMIC_RELAXED);
	unsigned int prio = __atomic_load_n(&chn->priority, __ATOMIC_RELAXED);
	struct evtchn_fifo_vcpu *fv;
	event_word_t *w = word_of(f, port);
	bool was_pending, linked = true;

	if (!w) {
		/* Raised when expand_array adds its page. */
		chn->fifo_pending = true;
		return false;
	}
	if (vcpu >= f->nr_vcpus || prio >= EVTCHN_FIFO_MAX_QUEUES)
		return false;
	fv = &f->vcpu[vcpu];

	pthread_mutex_lock(&f->lock);
	was_pending = test_and_set_w(w, W_PENDING);
	/* No control block yet: the guest cannot have unmasked anything. */
	if (fv->cb && !test_bit_w(w, W_MASKED) &&
	    !test_and_set_w(w, W_LINKED)) {
		unsigned int lv = chn->last_vcpu, lp = chn->last_priority;
		evtchn_port_t tail;

		/*
		 * Still the tail of the queue it was last on: that queue is
		 * empty now, and linking behind port there would loop.
		 */
		if (lv < f->nr_vcpus && lp < EVTCHN_FIFO_MAX_QUEUES &&
		    f->vcpu[lv].tail[lp] == port)
			f->vcpu[lv].tail[lp] = 0;
		chn->last_vcpu = (uint16_t)vcpu;
		chn->last_priority = (uint8_t)prio;

		tail = fv->tail[prio];
		linked = false;
		if (tail) {
			event_word_t *tw = word_of(f, tail);

			linked = tw && set_link(tw, port);
		}
		if (!linked)
			__atomic_store_n(&fv->cb->head[prio], port,
					 __ATOMIC_SEQ_CST);
		fv->tail[prio] = port;
	}
	pthread_mutex_unlock(&f->lock);

	if (!linked && !(__atomic_fetch_or(&fv->cb->ready, BIT(prio),
					   __ATOMIC_SEQ_CST) & BIT(prio)))
		evtchn_mark_upcall(ed, vcpu);
	return !was_pending;
}

static void fifo_clear_pending(struct evtchn_domain *ed, evtchn_port_t port)
{
	event_word_t *w = word_of(ed->fifo, port);

	/* A queued word stays linked: the guest skips non-pending ones. */
	if (w)
		clear_w(w, W_PENDING);
}

static void fifo_unmask(struct evtchn_domain *ed, struct evtchn *chn,
			evtchn_port_t port)
{
	event_word_t *w = word_of(ed->fifo, port);

	if (!w)
		return;
	clear_w(w, W_MASKED);
	if (test_bit_w(w, W_PENDING))
		fifo_set_pending(ed, chn, port);
}

static bool fifo_is_pending(struct evtchn_domain *ed, evtchn_port_t port)
{
	event_word_t *w = word_of(ed->fifo, port);

	return w && test_bit_w(w, W_PENDING);
}

static bool fifo_is_masked(struct evtchn_domain *ed, evtchn_port_t port)
{
	event_word_t *w = word_of(ed->fifo, port);

	return !w || test_bit_w(w, W_MASKED);
}

static bool fifo_is_busy(struct evtchn_domain *ed, evtchn_port_t port)
{
	event_word_t *w = word_of(ed->fifo, port);

	return w && test_bit_w(w, W_LINKED);
}

/* Only later events use the new queue; a queued one stays where it is. */
static int fifo_set_priority(struct evtchn_domain *ed, struct evtchn *chn,
			     uint32_t priority)
{
	(void)ed;
	if (priority > EVTCHN_FIFO_PRIORITY_MIN)
		return -EINVAL;
	__atomic_store_n(&chn->priority, (uint8_t)priority, __ATOMIC_RELAXED);
	return 0;
}

const struct evtchn_port_ops evtchn_port_ops_fifo = {
	.set_pending = fifo_set_pending,
	.clear_pending = fifo_clear_pending,
	.unmask = fifo_unmask,
	.is_pending = fifo_is_pending,
	.is_masked = fifo_is_masked,
	.is_busy = fifo_is_busy,
	.set_priority = fifo_set_priority,
};

/* ------------------------------------------------------------- set-up */

/* Xen maps any failure to take the frame as a writable page to -EINVAL. */
static int map_frame(struct evtchn_domain *ed, uint64_t gfn, void **va)
{
	if (!ed->hooks->map_frame)
		return -EINVAL;
	return ed->hooks->map_frame(ed->ctx, gfn, va) ? -EINVAL : 0;
}

static void unmap_frame(struct evtchn_domain *ed, uint64_t gfn)
{
	if (ed->hooks->unmap_frame)
		ed->hooks->unmap_frame(ed->ctx, gfn);
}

void evtchn_fifo_destroy(struct evtchn_domain *ed)
{
	struct evtchn_fifo *f = ed->fifo;

	if (!f)
		return;
	for (unsigned int v = 0; v < f->nr_vcpus; v++)
		if (f->vcpu[v].cb)
			unmap_frame(ed, f->vcpu[v].cb_gfn);
	for (unsigned int i = 0; i < f->nr_pages; i++)
		unmap_frame(ed, f->gfns[i]);
	pthread_mutex_destroy(&f->lock);
	free(f);
	ed->fifo = NULL;
}

static int map_control_block(struct evtchn_domain *ed, unsigned int vcpu,
			     uint64_t gfn, uint32_t offset)
{
	struct evtchn_fifo_vcpu *fv = &ed->fifo->vcpu[vcpu];
	void *va;
	int rc;

	if (fv->cb)
		return -EINVAL;		/* once per vCPU, as Xen */
	rc = map_frame(ed, gfn, &va);
	if (rc)
		return rc;
	fv->cb = (struct evtchn_fifo_control_block *)(void *)
		 ((uint8_t *)va + offset);
	fv->cb_gfn = gfn;
	return 0;
}

/*
 * Switch ed to FIFO. Ports pending under 2-level stay pending: their
 * words do not exist yet, so they are raised when expand_array adds
 * their page (the guest's new words start masked, as Linux writes them).
 */
static int switch_to_fifo(struct evtchn_domain *ed, unsigned int vcpu,
			  uint64_t gfn, uint32_t offset)
{
	struct evtchn_fifo *f;
	int rc;

	f = calloc(1, sizeof(*f) + ed->nr_vcpus * sizeof(f->vcpu[0]));
	if (!f)
		return -ENOMEM;
	pthread_mutex_init(&f->lock, NULL);
	f->nr_vcpus = ed->nr_vcpus;
	ed->fifo = f;
	rc = map_control_block(ed, vcpu, gfn, offset);
	if (rc) {
		evtchn_fifo_destroy(ed);
		return rc;
	}
	for (evtchn_port_t p = 1; p < ed->valid; p++) {
		struct evtchn *chn = evtchn_port_get(ed, p);

		/* A free port's stale bit is no event (a reset left it). */
		chn->fifo_pending = chn->state > ECS_RESERVED &&
				    evtchn_port_ops_2l.is_pending(ed, p);
		chn->priority = EVTCHN_FIFO_PRIORITY_DEFAULT;
		chn->last_vcpu = 0;
		chn->last_priority = 0;
	}
	ed->ops = &evtchn_port_ops_fifo;
	ed->max_port = evtchn_abi_max_port(ed, ed->ops);
	return 0;
}

int evtchn_init_control(struct evtchn_domain *ed, uint64_t gfn,
			uint32_t offset, uint32_t vcpu)
{
	int rc;

	if (vcpu >= ed->nr_vcpus)
		return -ENOENT;
	/* Inside one page, and 8-byte aligned. */
	if (offset > PAGE_SIZE - sizeof(struct evtchn_fifo_control_block) ||
	    (offset & 7))
		return -EINVAL;
	if (!ed->ops)
		return -EOPNOTSUPP;	/* dom0 endpoints: no guest memory */

	pthread_mutex_lock(&ed->lock);
	pthread_rwlock_wrlock(&ed->abi_lock);
	if (!ed->fifo)
		rc = switch_to_fifo(ed, vcpu, gfn, offset);
	else
		rc = map_control_block(ed, vcpu, gfn, offset);
	pthread_rwlock_unlock(&ed->abi_lock);
	pthread_mutex_unlock(&ed->lock);
	return rc;
}

int evtchn_expand_array(struct evtchn_domain *ed, uint64_t gfn)
{
	struct evtchn_fifo *f;
	evtchn_port_t first, end;
	void *va;
	int rc;

	pthread_mutex_lock(&ed->lock);
	pthread_rwlock_wrlock(&ed->abi_lock);
	f = ed->fifo;
	if (!f) {
		rc = -EOPNOTSUPP;
		goto out;
	}
	if (f->nr_pages >= EVTCHN_FIFO_MAX_PAGES) {
		rc = -ENOSPC;
		goto out;
	}
	rc = map_frame(ed, gfn, &va);
	if (rc)
		goto out;
	f->pages[f->nr_pages] = va;
	f->gfns[f->nr_pages] = gfn;
	first = f->nr_pages * EVTCHN_FIFO_WORDS_PER_PAGE;
	f->nr_pages++;
	end = f->nr_pages * EVTCHN_FIFO_WORDS_PER_PAGE;

	/* Raise what became pending while this page was missing. */
	for (evtchn_port_t p = first ? first : 1; p < end && p < ed->valid;
	     p++) {
		struct evtchn *chn = evtchn_port_get(ed, p);

		if (chn->fifo_pending && chn->state > ECS_RESERVED) {
			chn->fifo_pending = false;
			fifo_set_pending(ed, chn, p);
		}
	}
out:
	pthread_rwlock_unlock(&ed->abi_lock);
	pthread_mutex_unlock(&ed->lock);
	return rc;
}

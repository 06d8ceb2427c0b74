/* SPDX-License-Identifier: MIT */
/*
 * The FIFO event channel ABI (core/evtchn_fifo.c) without KVM: a
 * domain's event state over a calloc'd shared_info and a small fake
 * RAM whose frames the hooks hand out (refusing frames past RAM and
 * "page tables"), with a guest side that consumes queues the way
 * Linux's events_fifo.c does. Xen's error codes, linking order,
 * priorities, masking, the 2-level carry-over and reset.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pvisor/event_channel.h"
#include "pvisor/evtchn_fifo.h"

#define NVCPU		2
#define RAM_PAGES	160
#define PT_GFN		5	/* a frame typed as a page table */
#define CB_GFN		1
#define CB1_GFN		2
#define ARRAY_GFN	10	/* event array pages from here */

#define W_PENDING	(1u << EVTCHN_FIFO_PENDING)
#define W_MASKED	(1u << EVTCHN_FIFO_MASKED)
#define W_LINKED	(1u << EVTCHN_FIFO_LINKED)
#define W_BUSY		(1u << EVTCHN_FIFO_BUSY)

struct dom {
	struct evtchn_domain ed;
	struct shared_info *si;
	uint8_t *ram;
	int refs[RAM_PAGES];
	unsigned int kicks[NVCPU];
	/* The guest's local queue heads and READY copy, as Linux's. */
	evtchn_port_t head[NVCPU][EVTCHN_FIFO_MAX_QUEUES];
	uint32_t ready[NVCPU];
};

static struct vcpu_info *t_vcpu_info(void *ctx, unsigned int vcpu)
{
	struct dom *d = ctx;

	assert_true(vcpu < NVCPU);
	return &d->si->vcpu_info[vcpu];
}

static void t_kick(void *ctx, unsigned int vcpu)
{
	struct dom *d = ctx;

	assert_true(vcpu < NVCPU);
	d->kicks[vcpu]++;
}

static int t_map_frame(void *ctx, uint64_t gfn, void **va)
{
	struct dom *d = ctx;

	if (gfn >= RAM_PAGES || gfn == PT_GFN)
		return -EACCES;
	d->refs[gfn]++;
	*va = d->ram + gfn * PAGE_SIZE;
	return 0;
}

static void t_unmap_frame(void *ctx, uint64_t gfn)
{
	struct dom *d = ctx;

	assert_true(gfn < RAM_PAGES);
	assert_true(d->refs[gfn] > 0);
	d->refs[gfn]--;
}

static const struct evtchn_hooks hooks = {
	.vcpu_info = t_vcpu_info,
	.kick = t_kick,
	.map_frame = t_map_frame,
	.unmap_frame = t_unmap_frame,
};

static struct dom *dom_new(unsigned int max_port)
{
	struct dom *d = calloc(1, sizeof(*d));

	d->si = calloc(1, sizeof(*d->si));
	d->ram = calloc(RAM_PAGES, PAGE_SIZE);
	for (unsigned int i = 0; i < XEN_LEGACY_MAX_VCPUS; i++)
		d->si->vcpu_info[i].evtchn_upcall_mask = 1;
	assert_int_equal(evtchn_domain_init(&d->ed, 3, d->si, NVCPU, max_port,
					    &hooks, d), 0);
	return d;
}

static int total_refs(struct dom *d)
{
	int n = 0;

	for (unsigned int i = 0; i < RAM_PAGES; i++)
		n += d->refs[i];
	return n;
}

static void dom_free(struct dom *d)
{
	evtchn_domain_fini(&d->ed);
	assert_int_equal(total_refs(d), 0);	/* every page given back */
	free(d->ram);
	free(d->si);
	free(d);
}

static struct evtchn_fifo_control_block *cb(struct dom *d, unsigned int v)
{
	return (void *)(d->ram + (v ? CB1_GFN : CB_GFN) * PAGE_SIZE);
}

static event_word_t *word(struct dom *d, evtchn_port_t port)
{
	event_word_t *a = (void *)(d->ram + ARRAY_GFN * PAGE_SIZE);

	return &a[port];	/* array pages are consecutive frames here */
}

/* Switch to FIFO on vCPU 0 and add n array pages. */
static void go_fifo(struct dom *d, unsigned int pages)
{
	assert_int_equal(evtchn_init_control(&d->ed, CB_GFN, 0, 0), 0);
	for (unsigned int i = 0; i < pages; i++)
		assert_int_equal(evtchn_expand_array(&d->ed, ARRAY_GFN + i), 0);
}

/*
 * One event from queue q of vcpu v, the way Linux's events_fifo.c does
 * it: take READY into a local copy (xchg with 0); a queue is consumed
 * only while its local bit is set; the local head, else the control
 * block's; unlink the word (LINKED and LINK cleared together, the old
 * LINK is the next head); clear the local bit at the end of the queue.
 * Returns the port if it was pending and unmasked (then clears PENDING,
 * as the handler's ack), 0 for an empty queue, or -1 for a skipped
 * (masked/idle) event.
 */
static long consume(struct dom *d, unsigned int v, unsigned int q)
{
	evtchn_port_t port = d->head[v][q], next;
	event_word_t old, w;

	d->ready[v] |= __atomic_exchange_n(&cb(d, v)->ready, 0,
					   __ATOMIC_SEQ_CST);
	if (!(d->ready[v] & (1u << q)))
		return 0;
	if (!port)
		port = __atomic_load_n(&cb(d, v)->head[q], __ATOMIC_SEQ_CST);
	assert_true(port > 0 && port < EVTCHN_FIFO_NR_CHANNELS);
	old = __atomic_load_n(word(d, port), __ATOMIC_SEQ_CST);
	do {
		w = old & ~(W_LINKED | EVTCHN_FIFO_LINK_MASK);
	} while (!__atomic_compare_exchange_n(word(d, port), &old, w, false,
					      __ATOMIC_SEQ_CST,
					      __ATOMIC_SEQ_CST));
	next = old & EVTCHN_FIFO_LINK_MASK;
	if (!next)
		d->ready[v] &= ~(1u << q);
	d->head[v][q] = next;
	if ((w & W_PENDING) && !(w & W_MASKED)) {
		__atomic_fetch_and(word(d, port), ~W_PENDING, __ATOMIC_SEQ_CST);
		return port;
	}
	return -1;
}

static int setup(void **state)
{
	*state = dom_new(0);
	return 0;
}

static int teardown(void **state)
{
	dom_free(*state);
	return 0;
}

/* ---------------------------------------------------------------------- */

static void test_init_control_errors(void **state)
{
	struct dom *d = *state;
	const unsigned int last = PAGE_SIZE -
				  sizeof(struct evtchn_fifo_control_block);

	assert_int_equal(sizeof(struct evtchn_fifo_control_block), 72);
	assert_int_equal(evtchn_init_control(&d->ed, CB_GFN, 0, NVCPU),
			 -ENOENT);
	assert_int_equal(evtchn_init_control(&d->ed, CB_GFN, 0, ~0u), -ENOENT);
	assert_int_equal(evtchn_init_control(&d->ed, CB_GFN, 4, 0), -EINVAL);
	assert_int_equal(evtchn_init_control(&d->ed, CB_GFN, last + 8, 0),
			 -EINVAL);
	assert_int_equal(evtchn_init_control(&d->ed, CB_GFN, PAGE_SIZE, 0),
			 -EINVAL);
	assert_int_equal(evtchn_init_control(&d->ed, CB_GFN, ~0u & ~7u, 0),
			 -EINVAL);
	assert_int_equal(evtchn_init_control(&d->ed, RAM_PAGES, 0, 0), -EINVAL);
	assert_int_equal(evtchn_init_control(&d->ed, ~0ull, 0, 0), -EINVAL);
	assert_int_equal(evtchn_init_control(&d->ed, PT_GFN, 0, 0), -EINVAL);
	/* Nothing switched, nothing held. */
	assert_ptr_equal(d->ed.ops, &evtchn_port_ops_2l);
	assert_int_equal(total_refs(d), 0);
	assert_int_equal(evtchn_expand_array(&d->ed, ARRAY_GFN), -EOPNOTSUPP);

	/* The last offset that fits works, once per vCPU. */
	assert_int_equal(evtchn_init_control(&d->ed, CB_GFN, last, 0), 0);
	assert_ptr_equal(d->ed.ops, &evtchn_port_ops_fifo);
	assert_int_equal(d->refs[CB_GFN], 1);
	assert_int_equal(evtchn_init_control(&d->ed, CB1_GFN, 0, 0), -EINVAL);
	assert_int_equal(d->refs[CB1_GFN], 0);
	assert_int_equal(evtchn_init_control(&d->ed, PT_GFN, 0, 1), -EINVAL);
	assert_int_equal(evtchn_init_control(&d->ed, CB1_GFN, 0, 1), 0);
	assert_int_equal(evtchn_init_control(&d->ed, CB1_GFN, 0, 1), -EINVAL);
	assert_int_equal(total_refs(d), 2);
}

static void test_expand_array_limit(void **state)
{
	struct dom *d = *state;

	assert_int_equal(evtchn_init_control(&d->ed, CB_GFN, 0, 0), 0);
	assert_int_equal(evtchn_expand_array(&d->ed, RAM_PAGES), -EINVAL);
	assert_int_equal(evtchn_expand_array(&d->ed, PT_GFN), -EINVAL);
	/* 128 pages of 1024 words: 2^17 ports, then full. */
	for (unsigned int i = 0; i < EVTCHN_FIFO_MAX_PAGES; i++)
		assert_int_equal(evtchn_expand_array(&d->ed, ARRAY_GFN + i % 8),
				 0);
	assert_int_equal(EVTCHN_FIFO_MAX_PAGES, 128);
	assert_int_equal(evtchn_expand_array(&d->ed, ARRAY_GFN), -ENOSPC);
	assert_int_equal(total_refs(d), 1 + 128);
	/* Reset gives every page back and returns to 2-level. */
	assert_int_equal(evtchn_reset(&d->ed), 0);
	assert_int_equal(total_refs(d), 0);
	assert_ptr_equal(d->ed.ops, &evtchn_port_ops_2l);
	assert_int_equal(evtchn_expand_array(&d->ed, ARRAY_GFN), -EOPNOTSUPP);
}

static void test_send_links_and_upcall(void **state)
{
	struct dom *d = *state;
	int p, q;

	go_fifo(d, 1);
	p = evtchn_bind_ipi(&d->ed, 0);
	q = evtchn_bind_ipi(&d->ed, 0);
	assert_true(p > 0 && q > 0);
	assert_int_equal(evtchn_send(&d->ed, p), 0);
	assert_int_equal(*word(d, p), W_PENDING | W_LINKED);
	assert_int_equal(cb(d, 0)->head[EVTCHN_FIFO_PRIORITY_DEFAULT], p);
	assert_int_equal(cb(d, 0)->ready, 1u << EVTCHN_FIFO_PRIORITY_DEFAULT);
	assert_int_equal(d->si->vcpu_info[0].evtchn_upcall_pending, 1);
	assert_int_equal(d->kicks[0], 1);
	/* No 2-level trace. */
	assert_int_equal(d->si->evtchn_pending[0], 0);
	assert_int_equal(d->si->vcpu_info[0].evtchn_pending_sel, 0);

	/* The second joins behind the first: LINK set, head unchanged. */
	assert_int_equal(evtchn_send(&d->ed, q), 0);
	assert_int_equal(*word(d, p), W_PENDING | W_LINKED | (unsigned)q);
	assert_int_equal(*word(d, q), W_PENDING | W_LINKED);
	assert_int_equal(cb(d, 0)->head[EVTCHN_FIFO_PRIORITY_DEFAULT], p);
	assert_int_equal(d->kicks[0], 1);
	/* Already pending: nothing changes. */
	assert_int_equal(evtchn_send(&d->ed, p), 0);
	assert_int_equal(*word(d, p), W_PENDING | W_LINKED | (unsigned)q);
	assert_int_equal(evtchn_poll_port(&d->ed, p), 1);

	assert_int_equal(consume(d, 0, EVTCHN_FIFO_PRIORITY_DEFAULT), p);
	assert_int_equal(d->ready[0], 1u << EVTCHN_FIFO_PRIORITY_DEFAULT);
	assert_int_equal(consume(d, 0, EVTCHN_FIFO_PRIORITY_DEFAULT), q);
	assert_int_equal(d->ready[0], 0);
	assert_int_equal(cb(d, 0)->ready, 0);
	assert_int_equal(*word(d, p), 0);
	assert_int_equal(evtchn_poll_port(&d->ed, p), 0);

	/* The queue drained: the next event starts it again at head. */
	d->si->vcpu_info[0].evtchn_upcall_pending = 0;
	assert_int_equal(evtchn_send(&d->ed, q), 0);
	assert_int_equal(*word(d, q), W_PENDING | W_LINKED);
	assert_int_equal(cb(d, 0)->head[EVTCHN_FIFO_PRIORITY_DEFAULT], q);
	assert_int_equal(d->si->vcpu_info[0].evtchn_upcall_pending, 1);
	assert_int_equal(d->kicks[0], 2);
	assert_int_equal(consume(d, 0, EVTCHN_FIFO_PRIORITY_DEFAULT), q);
}

static void test_linking_order(void **state)
{
	struct dom *d = *state;
	const unsigned int pr = EVTCHN_FIFO_PRIORITY_DEFAULT;
	int ports[6], order[] = { 4, 1, 5, 0, 3, 2 };

	go_fifo(d, 1);
	for (unsigned int i = 0; i < 6; i++)
		ports[i] = evtchn_bind_ipi(&d->ed, 0);
	for (unsigned int i = 0; i < 6; i++)
		assert_int_equal(evtchn_send(&d->ed, ports[order[i]]), 0);
	for (unsigned int i = 0; i < 6; i++)
		assert_int_equal(consume(d, 0, pr), ports[order[i]]);
	assert_int_equal(consume(d, 0, pr), 0);

	/* Sends while the guest is half-way through join the end. */
	assert_int_equal(evtchn_send(&d->ed, ports[0]), 0);
	assert_int_equal(evtchn_send(&d->ed, ports[1]), 0);
	assert_int_equal(consume(d, 0, pr), ports[0]);
	assert_int_equal(evtchn_send(&d->ed, ports[2]), 0);
	assert_int_equal(evtchn_send(&d->ed, ports[0]), 0);
	assert_int_equal(consume(d, 0, pr), ports[1]);
	assert_int_equal(consume(d, 0, pr), ports[2]);
	assert_int_equal(consume(d, 0, pr), ports[0]);
	assert_int_equal(consume(d, 0, pr), 0);
	assert_int_equal(cb(d, 0)->ready | d->ready[0], 0);
}

static void test_masked_until_unmask(void **state)
{
	struct dom *d = *state;
	const unsigned int pr = EVTCHN_FIFO_PRIORITY_DEFAULT;
	int p;

	go_fifo(d, 1);
	p = evtchn_bind_ipi(&d->ed, 0);
	*word(d, p) = W_MASKED;
	assert_int_equal(evtchn_send(&d->ed, p), 0);
	assert_int_equal(*word(d, p), W_MASKED | W_PENDING);
	assert_int_equal(cb(d, 0)->head[pr], 0);
	assert_int_equal(cb(d, 0)->ready, 0);
	assert_int_equal(d->si->vcpu_info[0].evtchn_upcall_pending, 0);
	assert_int_equal(d->kicks[0], 0);
	/* A masked pending port still wakes a poller's check. */
	assert_int_equal(evtchn_poll_port(&d->ed, p), 1);

	assert_int_equal(evtchn_unmask(&d->ed, p), 0);
	assert_int_equal(*word(d, p), W_PENDING | W_LINKED);
	assert_int_equal(cb(d, 0)->head[pr], p);
	assert_int_equal(cb(d, 0)->ready, 1u << pr);
	assert_int_equal(d->kicks[0], 1);
	assert_int_equal(consume(d, 0, pr), p);

	/* Unmasking a port that is not pending queues nothing. */
	*word(d, p) = W_MASKED;
	assert_int_equal(evtchn_unmask(&d->ed, p), 0);
	assert_int_equal(*word(d, p), 0);
	assert_int_equal(cb(d, 0)->ready, 0);
	assert_int_equal(evtchn_unmask(&d->ed, 4000), -EINVAL);
}

static void test_priorities(void **state)
{
	struct dom *d = *state;
	int lo, hi, mid;

	/* 2-level has no priorities. */
	lo = evtchn_bind_ipi(&d->ed, 0);
	assert_int_equal(evtchn_set_priority(&d->ed, lo, 3), -ENOSYS);
	go_fifo(d, 1);
	hi = evtchn_bind_ipi(&d->ed, 0);
	mid = evtchn_bind_ipi(&d->ed, 0);
	assert_int_equal(evtchn_set_priority(&d->ed, hi, 16), -EINVAL);
	assert_int_equal(evtchn_set_priority(&d->ed, hi, ~0u), -EINVAL);
	assert_int_equal(evtchn_set_priority(&d->ed, 4000, 1), -EINVAL);
	assert_int_equal(evtchn_set_priority(&d->ed, hi,
					     EVTCHN_FIFO_PRIORITY_MAX), 0);
	assert_int_equal(evtchn_set_priority(&d->ed, mid, 3), 0);
	assert_int_equal(evtchn_set_priority(&d->ed, lo,
					     EVTCHN_FIFO_PRIORITY_MIN), 0);
	assert_int_equal(evtchn_send(&d->ed, lo), 0);
	assert_int_equal(evtchn_send(&d->ed, mid), 0);
	assert_int_equal(evtchn_send(&d->ed, hi), 0);
	assert_int_equal(cb(d, 0)->ready, (1u << 0) | (1u << 3) | (1u << 15));
	assert_int_equal(cb(d, 0)->head[0], hi);
	assert_int_equal(cb(d, 0)->head[3], mid);
	assert_int_equal(cb(d, 0)->head[15], lo);
	assert_int_equal(d->kicks[0], 1);	/* one upcall for all three */
	assert_int_equal(consume(d, 0, 0), hi);
	assert_int_equal(consume(d, 0, 3), mid);
	assert_int_equal(consume(d, 0, 15), lo);
	assert_int_equal(cb(d, 0)->ready, 0);

	/* A new binding starts at the default priority again. */
	assert_int_equal(evtchn_close(&d->ed, hi), 0);
	hi = evtchn_bind_ipi(&d->ed, 0);
	assert_int_equal(evtchn_send(&d->ed, hi), 0);
	assert_int_equal(cb(d, 0)->ready, 1u << EVTCHN_FIFO_PRIORITY_DEFAULT);
	assert_int_equal(consume(d, 0, EVTCHN_FIFO_PRIORITY_DEFAULT), hi);
}

/* A port that moves queues while it is a tail must not link to itself. */
static void test_queue_change(void **state)
{
	struct dom *d = *state;
	const unsigned int pr = EVTCHN_FIFO_PRIORITY_DEFAULT;
	int p, q;

	go_fifo(d, 1);
	assert_int_equal(evtchn_init_control(&d->ed, CB1_GFN, 0, 1), 0);
	p = evtchn_alloc_unbound(&d->ed, DOMID_SELF);
	q = evtchn_bind_interdomain(&d->ed, DOMID_SELF, p);
	assert_true(q > p);
	/* Binding reports a (lost) event on the new port, as Xen does. */
	assert_int_equal(consume(d, 0, pr), q);
	assert_int_equal(evtchn_send(&d->ed, q), 0);	/* p pending */
	assert_int_equal(consume(d, 0, pr), p);
	/* p is now the (consumed) tail of vcpu0's queue 7; move it. */
	assert_int_equal(evtchn_bind_vcpu(&d->ed, p, 1), 0);
	assert_int_equal(evtchn_send(&d->ed, q), 0);
	assert_int_equal(cb(d, 1)->head[pr], p);
	assert_int_equal(cb(d, 1)->ready, 1u << pr);
	assert_int_equal(d->kicks[1], 1);
	/* Move it back while still queued on vcpu1: stays there. */
	assert_int_equal(evtchn_bind_vcpu(&d->ed, p, 0), 0);
	assert_int_equal(evtchn_send(&d->ed, q), 0);
	assert_int_equal(consume(d, 1, pr), p);
	assert_int_equal(consume(d, 1, pr), 0);
	/* Now on vcpu0 again: a fresh head there, no self-link. */
	assert_int_equal(evtchn_send(&d->ed, q), 0);
	assert_int_equal(*word(d, p), W_PENDING | W_LINKED);
	assert_int_equal(cb(d, 0)->head[pr], p);
	assert_int_equal(consume(d, 0, pr), p);
	assert_int_equal(consume(d, 0, pr), 0);
	/* Priority change of a consumed tail behaves the same. */
	assert_int_equal(evtchn_set_priority(&d->ed, p, 2), 0);
	assert_int_equal(evtchn_send(&d->ed, q), 0);
	assert_int_equal(cb(d, 0)->head[2], p);
	assert_int_equal(evtchn_send(&d->ed, p), 0);	/* q, queue 7 */
	assert_int_equal(cb(d, 0)->head[pr], q);
	assert_int_equal(*word(d, q), W_PENDING | W_LINKED);
	assert_int_equal(consume(d, 0, 2), p);
	assert_int_equal(consume(d, 0, pr), q);
}

static void test_no_control_block(void **state)
{
	struct dom *d = *state;
	int p;

	go_fifo(d, 1);
	p = evtchn_bind_ipi(&d->ed, 1);	/* vcpu1 has no control block */
	assert_int_equal(evtchn_send(&d->ed, p), 0);
	assert_int_equal(*word(d, p), W_PENDING);
	assert_int_equal(d->kicks[1], 0);
	assert_int_equal(d->si->vcpu_info[1].evtchn_upcall_pending, 0);
}

static void test_2l_pending_carried_over(void **state)
{
	struct dom *d = *state;
	int p, q, far;

	p = evtchn_bind_ipi(&d->ed, 0);
	q = evtchn_bind_ipi(&d->ed, 0);
	for (int i = 0; i < 1100; i++)
		far = evtchn_bind_ipi(&d->ed, 0);
	assert_int_equal(far, -ENOSPC);	/* 1023 ports: xl's default */
	far = 1023;
	/* Masked: no 2-level upcall. */
	d->si->evtchn_mask[0] = ~0ull;
	d->si->evtchn_mask[far / 64] = ~0ull;
	assert_int_equal(evtchn_send(&d->ed, p), 0);
	assert_int_equal(evtchn_send(&d->ed, far), 0);
	assert_int_equal(evtchn_send(&d->ed, 5), 0);
	/* A closed port's event is not carried over. */
	assert_int_equal(evtchn_close(&d->ed, 5), 0);
	assert_int_equal(d->kicks[0], 0);

	assert_int_equal(evtchn_init_control(&d->ed, CB_GFN, 0, 0), 0);
	/* Pending while the word is missing: kept, not lost. */
	assert_int_equal(evtchn_send(&d->ed, q), 0);
	assert_int_equal(evtchn_poll_port(&d->ed, p), 0);
	/* The guest masks a word before adding its page, as Linux does. */
	*word(d, far) = W_MASKED;
	assert_int_equal(evtchn_expand_array(&d->ed, ARRAY_GFN), 0);
	assert_int_equal(*word(d, p), W_PENDING | W_LINKED | (unsigned)q);
	assert_int_equal(*word(d, q), W_PENDING | W_LINKED);
	assert_int_equal(*word(d, 5), 0);
	assert_int_equal(*word(d, far), W_MASKED | W_PENDING);
	assert_int_equal(d->kicks[0], 1);
	assert_int_equal(consume(d, 0, EVTCHN_FIFO_PRIORITY_DEFAULT), p);
	assert_int_equal(consume(d, 0, EVTCHN_FIFO_PRIORITY_DEFAULT), q);
	assert_int_equal(consume(d, 0, EVTCHN_FIFO_PRIORITY_DEFAULT), 0);
	assert_int_equal(evtchn_unmask(&d->ed, far), 0);
	assert_int_equal(consume(d, 0, EVTCHN_FIFO_PRIORITY_DEFAULT), far);
}

static void test_reset_to_2l(void **state)
{
	struct dom *d = *state;
	int p;

	go_fifo(d, 2);
	assert_int_equal(evtchn_init_control(&d->ed, CB1_GFN, 0, 1), 0);
	p = evtchn_bind_ipi(&d->ed, 0);
	assert_int_equal(evtchn_send(&d->ed, p), 0);
	assert_int_equal(total_refs(d), 4);
	assert_int_equal(evtchn_reset(&d->ed), 0);
	assert_int_equal(total_refs(d), 0);
	assert_ptr_equal(d->ed.ops, &evtchn_port_ops_2l);
	p = evtchn_bind_ipi(&d->ed, 0);
	assert_int_equal(p, 1);
	assert_int_equal(evtchn_set_priority(&d->ed, p, 1), -ENOSYS);
	assert_int_equal(evtchn_send(&d->ed, p), 0);
	assert_true(d->si->evtchn_pending[0] & (1ull << p));
	/* And FIFO can be set up again. */
	assert_int_equal(evtchn_init_control(&d->ed, CB_GFN, 8, 0), 0);
	assert_int_equal(evtchn_expand_array(&d->ed, ARRAY_GFN), 0);
	assert_int_equal(*word(d, p), W_PENDING | W_LINKED);
}

/* A port the guest has not unlinked yet is not handed out again. */
static void test_busy_port_not_reused(void **state)
{
	struct dom *d = *state;
	int p, q;

	go_fifo(d, 1);
	p = evtchn_bind_ipi(&d->ed, 0);
	assert_int_equal(evtchn_send(&d->ed, p), 0);
	assert_int_equal(evtchn_close(&d->ed, p), 0);
	assert_int_equal(*word(d, p), W_LINKED);	/* pending cleared */
	q = evtchn_bind_ipi(&d->ed, 0);
	assert_int_equal(q, p + 1);
	/* The guest unlinks it (skipped: not pending); now reusable. */
	assert_int_equal(consume(d, 0, EVTCHN_FIFO_PRIORITY_DEFAULT), -1);
	assert_int_equal(evtchn_bind_ipi(&d->ed, 0), p);
}

static void test_fifo_port_limit(void **state)
{
	struct dom *d = dom_new(5000);
	int p, n = 0;

	(void)state;
	/* 2-level: the bitmaps end at 4095. */
	while ((p = evtchn_bind_ipi(&d->ed, 0)) > 0)
		n++;
	assert_int_equal(p, -ENOSPC);
	assert_int_equal(n, 4095);
	assert_int_equal(evtchn_reset(&d->ed), 0);
	go_fifo(d, 5);
	n = 0;
	while ((p = evtchn_bind_ipi(&d->ed, 0)) > 0)
		n++;
	assert_int_equal(p, -ENOSPC);
	assert_int_equal(n, 5000);
	/* The last port delivers like the first. */
	assert_int_equal(evtchn_send(&d->ed, 5000), 0);
	assert_int_equal(*word(d, 5000), W_PENDING | W_LINKED);
	assert_int_equal(consume(d, 0, EVTCHN_FIFO_PRIORITY_DEFAULT), 5000);
	/* Past the array: pending kept until its page comes. */
	dom_free(d);
}

/* The guest rewrites its words and heads at will: we stay bounded. */
static void test_hostile_words(void **state)
{
	struct dom *d = *state;
	const unsigned int pr = EVTCHN_FIFO_PRIORITY_DEFAULT;
	int p, q, r;

	go_fifo(d, 1);
	p = evtchn_bind_ipi(&d->ed, 0);
	q = evtchn_bind_ipi(&d->ed, 0);
	r = evtchn_bind_ipi(&d->ed, 0);
	assert_int_equal(evtchn_send(&d->ed, p), 0);
	/* The guest unlinks the tail behind our back: q becomes a head. */
	*word(d, p) = 0;
	assert_int_equal(evtchn_send(&d->ed, q), 0);
	assert_int_equal(cb(d, 0)->head[pr], q);
	/* Garbage LINK and flags on the tail: we only replace the LINK. */
	*word(d, q) = W_LINKED | W_BUSY | EVTCHN_FIFO_LINK_MASK;
	assert_int_equal(evtchn_send(&d->ed, r), 0);
	assert_int_equal(*word(d, q), W_LINKED | (unsigned)r);
	/* All bits set: already "pending and linked", nothing to do. */
	*word(d, p) = ~0u;
	cb(d, 0)->head[pr] = ~0u;
	cb(d, 0)->ready = ~0u;
	assert_int_equal(evtchn_send(&d->ed, p), 0);
	assert_int_equal(*word(d, p), ~0u);
	assert_int_equal(cb(d, 0)->head[pr], ~0u);
	assert_int_equal(evtchn_unmask(&d->ed, p), 0);
	assert_int_equal(evtchn_close(&d->ed, p), 0);
	assert_int_equal(evtchn_set_priority(&d->ed, q, 15), 0);
	assert_int_equal(evtchn_send(&d->ed, q), 0);
}

/* Interdomain delivery to a FIFO peer from a 2-level domain. */
static void test_interdomain_mixed_abi(void **state)
{
	struct dom *d = *state, *e = dom_new(0);
	int p, q;

	d->ed.domid = 4;
	assert_int_equal(evtchn_domain_register(&d->ed), 0);
	assert_int_equal(evtchn_domain_register(&e->ed), 0);
	go_fifo(d, 1);
	p = evtchn_alloc_unbound(&d->ed, 3);
	q = evtchn_bind_interdomain(&e->ed, 4, p);
	assert_true(q > 0);
	/* e's new port got the conservative event, 2-level style. */
	assert_true(e->si->evtchn_pending[0] & (1ull << q));
	assert_int_equal(evtchn_send(&e->ed, q), 0);
	assert_int_equal(consume(d, 0, EVTCHN_FIFO_PRIORITY_DEFAULT), p);
	assert_int_equal(evtchn_send(&d->ed, p), 0);
	assert_int_equal(evtchn_close(&e->ed, q), 0);
	dom_free(e);
}

/*
 * Races: a guest vCPU consuming and masking/unmasking (Linux's code
 * paths, lock-free on the guest side) while two senders raise ports of
 * the same domain at once: its own IPIs (under its lock) and a peer's
 * interdomain sends (under the peer's lock only). Afterwards nothing
 * may be left pending unqueued, nothing linked, and the consumer's
 * walk must never have run away (a cycle through a self-link).
 */
#define RACE_PORTS	48
#define RACE_ROUNDS	3000

struct race {
	struct dom *d, *e;
	evtchn_port_t ipi[RACE_PORTS], dport[RACE_PORTS], eport[RACE_PORTS];
	volatile int senders_left;
	unsigned long delivered[1024];
	unsigned long steps, unmask_calls;
	bool runaway;
};

static void *race_send_ipi(void *arg)
{
	struct race *r = arg;

	for (unsigned int i = 0; i < RACE_ROUNDS; i++)
		for (unsigned int k = 0; k < RACE_PORTS; k++)
			evtchn_send(&r->d->ed, r->ipi[k]);
	__atomic_fetch_sub(&r->senders_left, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void *race_send_peer(void *arg)
{
	struct race *r = arg;

	for (unsigned int i = 0; i < RACE_ROUNDS; i++)
		for (unsigned int k = 0; k < RACE_PORTS; k++)
			evtchn_send(&r->e->ed, r->eport[k]);
	__atomic_fetch_sub(&r->senders_left, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Linux's clear_masked_cond, then EVTCHNOP_unmask if it was pending. */
static void race_unmask(struct race *r, evtchn_port_t p)
{
	event_word_t w = __atomic_load_n(word(r->d, p), __ATOMIC_SEQ_CST), old;

	for (;;) {
		if (!(w & W_MASKED))
			return;
		if (w & W_PENDING) {
			r->unmask_calls++;
			evtchn_unmask(&r->d->ed, p);
			return;
		}
		old = w & ~W_BUSY;
		if (__atomic_compare_exchange_n(word(r->d, p), &old,
						old & ~W_MASKED, false,
						__ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			return;
		w = old;
	}
}

/* One pass over READY, as Linux's upcall; false once idle. */
static bool race_consume(struct race *r, bool churn)
{
	struct dom *d = r->d;
	uint32_t ready = __atomic_exchange_n(&cb(d, 0)->ready, 0,
					     __ATOMIC_SEQ_CST) | d->ready[0];
	bool any = ready != 0;

	while (ready) {
		unsigned int q = (unsigned int)__builtin_ctz(ready);
		evtchn_port_t port = d->head[0][q], next;
		event_word_t old, w;

		if (!port)
			port = __atomic_load_n(&cb(d, 0)->head[q],
					       __ATOMIC_SEQ_CST);
		if (!port || port >= 1024 || ++r->steps > 100000000ul) {
			r->runaway = true;
			return false;
		}
		old = __atomic_load_n(word(d, port), __ATOMIC_SEQ_CST);
		do {
			w = old & ~(W_LINKED | EVTCHN_FIFO_LINK_MASK);
		} while (!__atomic_compare_exchange_n(word(d, port), &old, w,
						      false, __ATOMIC_SEQ_CST,
						      __ATOMIC_SEQ_CST));
		next = old & EVTCHN_FIFO_LINK_MASK;
		if (!next)
			ready &= ~(1u << q);
		d->head[0][q] = next;
		if ((w & W_PENDING) && !(w & W_MASKED)) {
			__atomic_fetch_and(word(d, port), ~W_PENDING,
					   __ATOMIC_SEQ_CST);
			r->delivered[port]++;
		}
		/* Now and then mask a port, and unmask it a little later. */
		if (churn && r->steps % 7 == 0)
			__atomic_fetch_or(word(d, port), W_MASKED,
					  __ATOMIC_SEQ_CST);
		if (churn && r->steps % 7 == 3)
			race_unmask(r, port);
		ready |= __atomic_exchange_n(&cb(d, 0)->ready, 0,
					     __ATOMIC_SEQ_CST);
	}
	d->ready[0] = 0;
	return any;
}

static void test_race_consumer_vs_senders(void **state)
{
	struct race *r = calloc(1, sizeof(*r));
	pthread_t a, b;
	unsigned int idle = 0;

	(void)state;
	r->d = dom_new(0);
	r->e = dom_new(0);
	r->d->ed.domid = 4;
	assert_int_equal(evtchn_domain_register(&r->d->ed), 0);
	assert_int_equal(evtchn_domain_register(&r->e->ed), 0);
	go_fifo(r->d, 1);
	for (unsigned int k = 0; k < RACE_PORTS; k++) {
		int p = evtchn_bind_ipi(&r->d->ed, 0);
		int u = evtchn_alloc_unbound(&r->d->ed, 3);
		int q = evtchn_bind_interdomain(&r->e->ed, 4, (evtchn_port_t)u);

		assert_true(p > 0 && u > 0 && q > 0);
		r->ipi[k] = (evtchn_port_t)p;
		r->dport[k] = (evtchn_port_t)u;
		r->eport[k] = (evtchn_port_t)q;
		/* Mixed priorities: several queues in play. */
		assert_int_equal(evtchn_set_priority(&r->d->ed, u, k % 3), 0);
	}
	r->senders_left = 2;
	assert_int_equal(pthread_create(&a, NULL, race_send_ipi, r), 0);
	assert_int_equal(pthread_create(&b, NULL, race_send_peer, r), 0);
	while (__atomic_load_n(&r->senders_left, __ATOMIC_SEQ_CST) &&
	       !r->runaway)
		race_consume(r, true);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	assert_false(r->runaway);

	/* Drain: unmask everything (Linux's way), consume until idle. */
	while (idle < 3 && !r->runaway) {
		for (unsigned int k = 0; k < RACE_PORTS; k++) {
			race_unmask(r, r->ipi[k]);
			race_unmask(r, r->dport[k]);
		}
		idle = race_consume(r, false) ? 0 : idle + 1;
	}
	assert_false(r->runaway);
	for (unsigned int k = 0; k < RACE_PORTS; k++) {
		assert_int_equal(*word(r->d, r->ipi[k]), 0);
		assert_int_equal(*word(r->d, r->dport[k]), 0);
		assert_true(r->delivered[r->ipi[k]] > 0);
		assert_true(r->delivered[r->dport[k]] > 0);
	}
	assert_int_equal(cb(r->d, 0)->ready, 0);
	/* Every send after the last delivery would have left PENDING. */
	assert_int_equal(evtchn_send(&r->d->ed, r->ipi[0]), 0);
	assert_true(race_consume(r, false));
	assert_int_equal(r->delivered[r->ipi[0]] > 1, 1);
	dom_free(r->e);
	dom_free(r->d);
	free(r);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_init_control_errors),
		T(test_expand_array_limit),
		T(test_send_links_and_upcall),
		T(test_linking_order),
		T(test_masked_until_unmask),
		T(test_priorities),
		T(test_queue_change),
		T(test_no_control_block),
		T(test_2l_pending_carried_over),
		T(test_reset_to_2l),
		T(test_busy_port_not_reused),
		T(test_fifo_port_limit),
		T(test_hostile_words),
		T(test_interdomain_mixed_abi),
		cmocka_unit_test(test_race_consumer_vs_senders),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * evtfifo: the FIFO event channel ABI, used the way Linux's
 * events_fifo.c uses it. Bad init_control/expand_array/set_priority
 * requests get Xen's errors; a 2-level pending port survives the
 * switch; the event array grows to Xen's 128 pages; 1000+ loopback
 * ports each deliver exactly once, in the order they were raised; a
 * higher priority queue is consumed first; masked ports wait for
 * unmask; EVTCHNOP_reset returns to 2-level.
 *
 * With "bench=2l" or "bench=fifo" (and "iters=N") on the command line it
 * only times N loopback round trips (send on one end, upcall for the
 * other) under that ABI, for bench/events.sh:
 *
 *   BENCH evtchn_loop_rtt_<2l|fifo> iters=N us_per_op=U
 */
#include <pvabi/event_channel.h>
#include <pvabi/sched.h>

#include <pvguest/events.h>
#include <pvguest/time.h>
#include <pvguest/traps.h>

/* xl's default: ports 1..1023 (CONFIG_EVTCHN_MAX_PORT). */
#define MAX_PORT	1023
#define WORDS		2048		/* two event array pages */
/* The last offset at which a control block fits in its page. */
#define CB_LAST	(PAGE_SIZE - sizeof(struct evtchn_fifo_control_block))

#define W_PENDING	(1u << EVTCHN_FIFO_PENDING)
#define W_MASKED	(1u << EVTCHN_FIFO_MASKED)
#define W_LINKED	(1u << EVTCHN_FIFO_LINKED)
#define W_BUSY		(1u << EVTCHN_FIFO_BUSY)

static uint8_t cb_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static volatile event_word_t words[WORDS] __attribute__((aligned(PAGE_SIZE)));
/* Array pages 3..128 all point here: no port of ours lives there. */
static uint8_t spare_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static struct evtchn_fifo_control_block *cb;

/* Linux's per-CPU queue state: local heads, and READY taken by xchg. */
static evtchn_port_t qhead[EVTCHN_FIFO_MAX_QUEUES];

/* What the upcall saw, in order. */
static volatile unsigned int hits[WORDS];
static evtchn_port_t seen[4 * WORDS];
static volatile unsigned int nseen;
static volatile unsigned int bad_heads, fifo_upcalls;

/* ---- hypercalls ------------------------------------------------------ */

static long init_control(uint64_t gfn, uint32_t offset, uint32_t vcpu,
			 uint8_t *link_bits)
{
	struct evtchn_init_control op = {
		.control_gfn = gfn, .offset = offset, .vcpu = vcpu,
	};
	long rc = HYPERVISOR_event_channel_op(EVTCHNOP_init_control, &op);

	if (link_bits)
		*link_bits = op.link_bits;
	return rc;
}

static long expand_array(uint64_t gfn)
{
	struct evtchn_expand_array op = { .array_gfn = gfn };

	return HYPERVISOR_event_channel_op(EVTCHNOP_expand_array, &op);
}

static long set_priority(evtchn_port_t port, uint32_t priority)
{
	struct evtchn_set_priority op = { .port = port, .priority = priority };

	return HYPERVISOR_event_channel_op(EVTCHNOP_set_priority, &op);
}

static long reset_self(void)
{
	struct evtchn_reset op = { .dom = DOMID_SELF };

	return HYPERVISOR_event_channel_op(EVTCHNOP_reset, &op);
}

/* ---- Linux's events_fifo.c, reduced to what a test needs ------------- */

static event_word_t wload(evtchn_port_t p)
{
	return __atomic_load_n(&words[p], __ATOMIC_SEQ_CST);
}

static void wset(evtchn_port_t p, event_word_t bits)
{
	__atomic_fetch_or(&words[p], bits, __ATOMIC_SEQ_CST);
}

static void wclear(evtchn_port_t p, event_word_t bits)
{
	__atomic_fetch_and(&words[p], ~bits, __ATOMIC_SEQ_CST);
}

/* Clear LINKED and LINK together; the old LINK is the next port. */
static evtchn_port_t clear_linked(evtchn_port_t p)
{
	event_word_t old = wload(p), new;

	do {
		new = old & ~(W_LINKED | EVTCHN_FIFO_LINK_MASK);
	} while (!__atomic_compare_exchange_n(&words[p], &old, new, false,
					      __ATOMIC_SEQ_CST,
					      __ATOMIC_SEQ_CST));
	return old & EVTCHN_FIFO_LINK_MASK;
}

static void consume_one(unsigned int q, uint32_t *ready)
{
	evtchn_port_t port = qhead[q], next;

	if (!port)
		port = __atomic_load_n(&cb->head[q], __ATOMIC_SEQ_CST);
	if (!port || port >= WORDS) {
		bad_heads++;
		*ready &= ~(1u << q);
		qhead[q] = 0;
		return;
	}
	next = clear_linked(port);
	if (!next)
		*ready &= ~(1u << q);
	if ((wload(port) & (W_PENDING | W_MASKED)) == W_PENDING) {
		wclear(port, W_PENDING);	/* the handler's ack */
		hits[port]++;
		if (nseen < sizeof(seen) / sizeof(seen[0]))
			seen[nseen] = port;
		nseen++;
	}
	qhead[q] = next < WORDS ? next : 0;
}

static bool fifo_upcall(struct guest_regs *regs)
{
	struct vcpu_info *vi = this_vcpu_info();
	uint32_t ready;

	(void)regs;
	fifo_upcalls++;
	vi->evtchn_upcall_pending = 0;
	ready = __atomic_exchange_n(&cb->ready, 0, __ATOMIC_SEQ_CST);
	while (ready) {
		consume_one((unsigned int)__builtin_ctz(ready), &ready);
		ready |= __atomic_exchange_n(&cb->ready, 0, __ATOMIC_SEQ_CST);
	}
	return true;
}

static void clear_seen(void)
{
	for (unsigned int i = 0; i < WORDS; i++)
		hits[i] = 0;
	nseen = 0;
}

/* ---- the tests --------------------------------------------------------- */

static evtchn_port_t carry;

/* Before the switch: FIFO ops that need FIFO, and a pending port. */
static void test_before(void)
{
	long rc;

	rc = expand_array(virt_to_mfn((void *)words));
	check(rc == -XEN_EOPNOTSUPP,
	      "expand_array before init_control -> -EOPNOTSUPP (%ld)", rc);
	rc = evtchn_bind_ipi(0, &carry);
	check(rc == 0 && carry > 0, "bind_ipi -> %u", carry);
	rc = set_priority(carry, 3);
	check(rc == -XEN_ENOSYS, "set_priority under 2-level -> -ENOSYS (%ld)",
	      rc);
	/* Pending under 2-level, masked so no 2-level upcall runs. */
	evtchn_mask(carry);
	evtchn_send(carry);
	check(evtchn_is_pending(carry), "port %u pending under 2-level", carry);
}

static void test_init_control(struct start_info *si)
{
	uint64_t cb_gfn = virt_to_mfn(cb_page);
	uint64_t l4 = virt_to_mfn((void *)si->pt_base);
	uint8_t bits = 0;
	long rc;

	rc = init_control(cb_gfn, 4, 0, NULL);
	check(rc == -XEN_EINVAL, "init_control offset 4 -> -EINVAL (%ld)", rc);
	rc = init_control(cb_gfn, CB_LAST + 8, 0, NULL);
	check(rc == -XEN_EINVAL, "init_control offset %lu (block past the "
	      "page) -> -EINVAL (%ld)", CB_LAST + 8, rc);
	rc = init_control(cb_gfn, 0, 1, NULL);
	check(rc == -XEN_ENOENT, "init_control vcpu 1 of 1 -> -ENOENT (%ld)",
	      rc);
	rc = init_control(si->nr_pages, 0, 0, NULL);
	check(rc == -XEN_EINVAL, "init_control gfn past RAM -> -EINVAL (%ld)",
	      rc);
	rc = init_control(~0ull, 0, 0, NULL);
	check(rc == -XEN_EINVAL, "init_control gfn ~0 -> -EINVAL (%ld)", rc);
	rc = init_control(l4, 0, 0, NULL);
	check(rc == -XEN_EINVAL,
	      "init_control on the pinned L4 page table -> -EINVAL (%ld)", rc);
	rc = set_priority(carry, 3);
	check(rc == -XEN_ENOSYS, "failed init_control: still 2-level (%ld)",
	      rc);

	rc = init_control(cb_gfn, 0, 0, &bits);
	check(rc == 0 && bits == EVTCHN_FIFO_LINK_BITS,
	      "init_control -> 0, link_bits %u (rc %ld)", bits, rc);
	cb = (struct evtchn_fifo_control_block *)(void *)cb_page;
	trap_set_handler(PVGUEST_VEC_EVENT, fifo_upcall);
	rc = init_control(cb_gfn, 0, 0, NULL);
	check(rc == -XEN_EINVAL, "second init_control for vcpu 0 -> -EINVAL "
	      "(%ld)", rc);
}

static void test_expand_array(struct start_info *si)
{
	uint64_t l4 = virt_to_mfn((void *)si->pt_base);
	unsigned int pages = 0;
	long rc;

	rc = expand_array(si->nr_pages);
	check(rc == -XEN_EINVAL, "expand_array gfn past RAM -> -EINVAL (%ld)",
	      rc);
	rc = expand_array(l4);
	check(rc == -XEN_EINVAL,
	      "expand_array on the pinned L4 page table -> -EINVAL (%ld)", rc);

	/* As Linux: a new page's words start masked. */
	for (unsigned int i = 0; i < WORDS; i++)
		words[i] = W_MASKED;
	for (unsigned int i = 0; i < 2; i++) {
		rc = expand_array(virt_to_mfn((void *)&words[i * 1024]));
		check(rc == 0, "expand_array page %u (%ld)", i, rc);
	}
	/* The port pending under 2-level is pending now, masked. */
	check((wload(carry) & (W_PENDING | W_MASKED | W_LINKED)) ==
	      (W_PENDING | W_MASKED),
	      "2-level pending port %u carried over: word %#x", carry,
	      wload(carry));
	local_irq_enable();
	rc = evtchn_unmask_op(carry);
	check(rc == 0 && hits[carry] == 1 && nseen == 1,
	      "EVTCHNOP_unmask delivers it through the FIFO queue (hits %u)",
	      hits[carry]);
	evtchn_close(carry);

	for (pages = 2; pages < 200; pages++) {
		rc = expand_array(virt_to_mfn(spare_page));
		if (rc)
			break;
	}
	check(rc == -XEN_ENOSPC && pages == 128,
	      "expand_array stops at 128 pages (2^17 ports) with -ENOSPC "
	      "(%u, %ld)", pages, rc);
	clear_seen();
}

static evtchn_port_t peer[WORDS];
static evtchn_port_t order[WORDS];

/* Loopback pairs up to the port limit, every port unmasked and idle. */
static unsigned int bind_many(void)
{
	unsigned int n = 0, pending = 0, linked = 0;
	evtchn_port_t a, b, highest = 0;
	long rc;

	for (;;) {
		rc = evtchn_alloc_unbound(DOMID_SELF, &a);
		if (rc)
			break;
		rc = evtchn_bind_interdomain(DOMID_SELF, a, &b);
		if (rc) {
			evtchn_close(a);
			break;
		}
		if (a >= WORDS || b >= WORDS) {
			check(false, "port %u/%u beyond the array", a, b);
			break;
		}
		peer[a] = b;
		peer[b] = a;
		n += 2;
		highest = a > highest ? a : highest;
		highest = b > highest ? b : highest;
	}
	check(rc == -XEN_ENOSPC && n >= 1000 && highest == MAX_PORT,
	      "%u loopback ports bound, highest %u, then -ENOSPC (%ld)", n,
	      highest, rc);
	/* Binding left the new ends pending (masked): start from idle. */
	for (evtchn_port_t p = 1; p < WORDS; p++) {
		if (!peer[p])
			continue;
		pending += (wload(p) & W_PENDING) != 0;
		linked += (wload(p) & W_LINKED) != 0;
		wclear(p, W_PENDING);
		wclear(p, W_MASKED);
	}
	check(pending == n / 2 && linked == 0, "bind events: %u pending, "
	      "%u queued while masked", pending, linked);
	return n;
}

static void test_many(void)
{
	unsigned int n = bind_many(), k = 0, once = 0, in_order = 0;
	long rc = 0;

	/* Raise every port with delivery held back: one long queue. */
	local_irq_disable();
	for (evtchn_port_t p = 1; p < WORDS; p++) {
		if (!peer[p])
			continue;
		rc |= evtchn_send(peer[p]);
		order[k++] = p;
	}
	check(rc == 0 && k == n, "%u sends", k);
	check(cb->ready == (1u << EVTCHN_FIFO_PRIORITY_DEFAULT) &&
	      cb->head[EVTCHN_FIFO_PRIORITY_DEFAULT] == order[0],
	      "one ready queue (%#x), head port %u",
	      cb->ready, cb->head[EVTCHN_FIFO_PRIORITY_DEFAULT]);
	local_irq_enable();
	for (unsigned int i = 0; i < k; i++) {
		once += hits[order[i]] == 1;
		in_order += i < nseen && seen[i] == order[i];
	}
	check(once == n && nseen == n, "every port delivered once (%u of %u, "
	      "%u events)", once, n, nseen);
	check(in_order == n, "in the order they were raised (%u of %u)",
	      in_order, n);
	check(bad_heads == 0 && cb->ready == 0, "queues drained (%u bad)",
	      bad_heads);
	clear_seen();

	/* Again, with delivery on: one event per send, as it happens. */
	for (unsigned int i = 0; i < k; i += 97) {
		evtchn_send(peer[order[i]]);
		if (hits[order[i]] != 1)
			break;
		once++;
	}
	check(nseen == (k + 96) / 97, "immediate delivery, %u events", nseen);
	clear_seen();
}

static void test_priorities(void)
{
	evtchn_port_t lo = order[0], mid = order[1], hi = order[2];
	long rc;

	rc = set_priority(hi, EVTCHN_FIFO_PRIORITY_MIN + 1);
	check(rc == -XEN_EINVAL, "set_priority 16 -> -EINVAL (%ld)", rc);
	rc = set_priority(hi, ~0u);
	check(rc == -XEN_EINVAL, "set_priority ~0 -> -EINVAL (%ld)", rc);
	rc = set_priority(5000, 1);
	check(rc == -XEN_EINVAL, "set_priority of port 5000 -> -EINVAL (%ld)",
	      rc);
	check(set_priority(lo, EVTCHN_FIFO_PRIORITY_MIN) == 0 &&
	      set_priority(hi, EVTCHN_FIFO_PRIORITY_MAX) == 0,
	      "set_priority %u -> 15, %u -> 0", lo, hi);

	local_irq_disable();
	evtchn_send(peer[lo]);
	evtchn_send(peer[mid]);
	evtchn_send(peer[hi]);
	check(cb->ready == ((1u << 0) | (1u << 7) | (1u << 15)),
	      "three ready queues (%#x)", cb->ready);
	local_irq_enable();
	check(nseen == 3 && seen[0] == hi && seen[1] == mid && seen[2] == lo,
	      "higher priority first: %u %u %u", seen[0], seen[1], seen[2]);
	clear_seen();
	set_priority(lo, EVTCHN_FIFO_PRIORITY_DEFAULT);
	set_priority(hi, EVTCHN_FIFO_PRIORITY_DEFAULT);
}

static void test_masking(void)
{
	evtchn_port_t p = order[3];
	unsigned int up;
	long rc;

	wset(p, W_MASKED);
	up = fifo_upcalls;
	evtchn_send(peer[p]);
	check(hits[p] == 0 && fifo_upcalls == up &&
	      (wload(p) & (W_PENDING | W_LINKED)) == W_PENDING,
	      "masked: pending, not queued, no upcall (word %#x)", wload(p));
	evtchn_send(peer[p]);
	rc = evtchn_unmask_op(p);
	check(rc == 0 && hits[p] == 1 && !(wload(p) & (W_MASKED | W_PENDING)),
	      "EVTCHNOP_unmask queues it: delivered once (%u)", hits[p]);
	rc = evtchn_unmask_op(p);
	check(rc == 0 && hits[p] == 1, "unmask of an idle port: no event");

	/* Linux's own unmask: clear MASKED only while not PENDING. */
	wset(p, W_MASKED);
	wclear(p, W_MASKED);
	evtchn_send(peer[p]);
	check(hits[p] == 2, "unmasked locally: delivered (%u)", hits[p]);
	clear_seen();
}

/* Hostile words: the guest's own queues only. */
static void test_hostile(void)
{
	evtchn_port_t p = order[4], q = order[5];

	/* A LINK pointing nowhere on a queued word is ours to follow. */
	local_irq_disable();
	evtchn_send(peer[p]);
	check((wload(p) & W_LINKED) && cb->head[7] == p, "port %u queued", p);
	/* Unlink it behind the hypervisor's back: q starts a new queue. */
	clear_linked(p);
	wclear(p, W_PENDING);
	evtchn_send(peer[q]);
	check(cb->head[7] == q, "tail unlinked by the guest: %u is head", q);
	wset(q, W_BUSY);
	evtchn_send(peer[p]);
	check((wload(q) & (EVTCHN_FIFO_LINK_MASK | W_BUSY)) == p,
	      "linking behind a BUSY tail clears BUSY (word %#x)", wload(q));
	local_irq_enable();
	check(hits[p] == 1 && hits[q] == 1, "both delivered (%u, %u)",
	      hits[p], hits[q]);
	clear_seen();
}

static void test_reset(void)
{
	uint8_t bits;
	long rc;

	local_irq_disable();
	rc = reset_self();
	check(rc == 0, "EVTCHNOP_reset (%ld)", rc);
	check(set_priority(1, 1) == -XEN_EINVAL || set_priority(1, 1) ==
	      -XEN_ENOSYS, "after reset, set_priority is 2-level's");
	rc = expand_array(virt_to_mfn((void *)words));
	check(rc == -XEN_EOPNOTSUPP, "after reset: 2-level again, "
	      "expand_array -> -EOPNOTSUPP (%ld)", rc);
	rc = init_control(virt_to_mfn(cb_page), 8, 0, &bits);
	check(rc == 0, "FIFO can be set up again (%ld)", rc);
	rc = reset_self();
	check(rc == 0, "and reset again (%ld)", rc);
}

/* ---- bench mode -------------------------------------------------------- */

/* The value of key (e.g. "iters=") on the command line, or NULL. */
static const char *cmdline_arg(const char *cl, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = cl; *p; p++)
		if ((p == cl || p[-1] == ' ') && !strncmp(p, key, n))
			return p + n;
	return NULL;
}

static unsigned long parse_ul(const char *s)
{
	unsigned long v = 0;

	while (s && *s >= '0' && *s <= '9')
		v = v * 10 + (unsigned long)(*s++ - '0');
	return v;
}

static void bench(const char *mode, unsigned long iters)
{
	bool fifo = !strncmp(mode, "fifo", 4);
	evtchn_port_t a = 0, b = 0;
	unsigned long before, got;
	uint64_t t0, dt;
	long rc = 0;

	if (fifo) {
		for (unsigned int i = 0; i < 1024; i++)
			words[i] = W_MASKED;
		rc = init_control(virt_to_mfn(cb_page), 0, 0, NULL);
		cb = (struct evtchn_fifo_control_block *)(void *)cb_page;
		trap_set_handler(PVGUEST_VEC_EVENT, fifo_upcall);
		if (!rc)
			rc = expand_array(virt_to_mfn((void *)words));
	}
	if (!rc)
		rc = evtchn_alloc_unbound(DOMID_SELF, &a);
	if (!rc)
		rc = evtchn_bind_interdomain(DOMID_SELF, a, &b);
	if (rc || a >= 1024 || b >= 1024)
		test_fail("bench setup (%s): %ld", mode, rc);
	if (fifo) {
		/* Start idle and unmasked, as Linux leaves a bound port. */
		wclear(b, W_PENDING);
		wclear(a, W_MASKED);
		wclear(b, W_MASKED);
	}
	local_irq_enable();	/* the 2-level bind event goes here */
	before = fifo ? hits[b] : evtchn_count(b);
	t0 = pv_now();
	for (unsigned long i = 0; i < iters; i++)
		evtchn_send(a);
	dt = pv_now() - t0;
	got = (fifo ? hits[b] : evtchn_count(b)) - before;
	check(got == iters, "%lu of %lu round trips (%s)", got, iters, mode);
	dt = iters ? dt / iters : 0;
	printk("BENCH evtchn_loop_rtt_%s iters=%lu us_per_op=%lu.%02lu\n",
	       fifo ? "fifo" : "2l", iters, dt / 1000, dt / 10 % 100);
}

void guest_main(struct start_info *si)
{
	const char *cl = (const char *)si->cmd_line;
	const char *mode = cmdline_arg(cl, "bench=");
	long rc;

	test_start("evtfifo");
	rc = trap_init();
	if (!rc)
		rc = callbacks_init();
	if (!rc)
		rc = events_init();
	if (rc)
		test_fail("setup: %ld", rc);
	check(irqs_disabled(), "events start masked");
	if (mode) {
		const char *it = cmdline_arg(cl, "iters=");

		bench(mode, it ? parse_ul(it) : 1000);
		test_end();
	}

	test_before();
	test_init_control(si);
	test_expand_array(si);
	test_many();
	test_priorities();
	test_masking();
	test_hostile();
	test_reset();
	test_end();
}

/* SPDX-License-Identifier: MIT */
/*
 * pvnetback, the real binary, driven as pvisord drives it: started with
 * only its control socket open (fd 3) and no environment, told OPEN with
 * the grant broker's memfd and eventfds (the test runs pvisord's own
 * broker, toolstack/pvisord/gnt_broker.c, on a fixture domain's RAM and
 * grant table), then CONNECT with a tx and an rx ring the test grants
 * and serves as netfront would, four eventfds for the event channels
 * and, for the tap queue, one end of a SOCK_SEQPACKET socketpair: one
 * message per frame, the 10-byte virtio_net_hdr first, as a tap with
 * IFF_VNET_HDR reads and writes them. Every wait is bounded: a backend
 * that hangs or dies fails the test, it never blocks it.
 *
 * The binary: $PVNETBACK, else the path the make rule compiled in.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <cmocka.h>

#include "gnt_fixture.h"
#include "pvisor/gnt_broker.h"
#include "pvisor/netback_ctl.h"
#include <pvabi/io/netif.h>

#ifndef PVNETBACK_DEFAULT
#define PVNETBACK_DEFAULT	"build/pvnetback"
#endif

#define DOM0		0
#define TIMEOUT_MS	5000
#define VHDR		NETBACK_VNET_HDR_LEN

/* Guest frames and the grants the "frontend" made of them. */
#define TX_RING_PFN	0x40u
#define TX_RING_REF	8u
#define RX_RING_PFN	0x41u
#define RX_RING_REF	9u
#define NR_TXD		32u
#define TXD_PFN(i)	(0x50u + (i))		/* 0x50..0x6f */
#define TXD_REF(i)	(16u + (i))		/* 16..47 */
#define NR_RXD		64u
#define RXD_PFN(i)	(0x80u + (i))		/* 0x80..0xbf */
#define RXD_REF(i)	(100u + (i))		/* 100..163 */
#define UNGRANTED_REF	300u

/* Frontend features most tests use. */
#define F_ALL	(NETBACK_F_RX_COPY | NETBACK_F_SG | NETBACK_F_GSO_TCPV4 | \
		 NETBACK_F_GSO_TCPV6 | NETBACK_F_IPV6_CSUM | \
		 NETBACK_F_RX_NOTIFY)

struct nbt {
	struct gnt_fix f;
	pid_t pid;			/* 0: none, or reaped */
	int wstatus;
	int ctl;
	struct gnt_broker *broker;
	int tap;			/* our end of the "tap" */
	int txn, txk, rxn, rxk;		/* we write the notifies */
	bool one_channel;		/* both rings on one event channel */
	netif_tx_front_ring_t tx;
	netif_rx_front_ring_t rx;
	uint64_t kicks;			/* seen from the backend */
	char log[32][sizeof(((struct netback_msg *)0)->text) + 1];
	unsigned int nlog;
	char fatal[sizeof(((struct netback_msg *)0)->text) + 1];
	unsigned int nfatal;
};

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static const char *backend_path(void)
{
	const char *p = getenv("PVNETBACK");

	return p && *p ? p : PVNETBACK_DEFAULT;
}

static void describe_status(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d (%s)%s", WTERMSIG(st),
			 strsignal(WTERMSIG(st)),
			 WTERMSIG(st) == SIGSYS ? ": seccomp" : "");
	else
		snprintf(buf, len, "wait status %#x", st);
}

/* What became of the backend, for failure messages. */
static const char *child_state(struct nbt *x)
{
	int64_t end = now_ms() + 1000;
	static char buf[128];

	while (x->pid > 0) {
		if (waitpid(x->pid, &x->wstatus, WNOHANG) == x->pid)
			x->pid = 0;
		else if (now_ms() > end)
			return "pvnetback still running";
		else
			usleep(1000);
	}
	describe_status(x->wstatus, buf, sizeof(buf));
	return buf;
}

/* As pvisord's spawn_backend: the control socket as fd 3, nothing else. */
static void spawn(struct nbt *x)
{
	char *argv[] = { "pvnetback", NULL }, *envp[] = { NULL };
	const char *path = backend_path();
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dfl;
	int sv[2], rc;

	if (access(path, X_OK))
		fail_msg("pvnetback not found at %s (%s): build it with `make "
			 "build/pvnetback`, or set PVNETBACK to its path", path,
			 strerror(errno));
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				    sv), 0);
	sigemptyset(&none);
	sigfillset(&dfl);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], NETBACK_CTL_FD);
	for (int fd = 0; fd < NETBACK_CTL_FD; fd++)
		posix_spawn_file_actions_addclose(&fa, fd);
	posix_spawn_file_actions_addclosefrom_np(&fa, NETBACK_CTL_FD + 1);
	posix_spawnattr_init(&at);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
				 POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
	rc = posix_spawn(&x->pid, path, &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(sv[1]);
	if (rc) {
		close(sv[0]);
		x->pid = 0;
		fail_msg("cannot start %s: %s", path, strerror(rc));
	}
	x->ctl = sv[0];
}

static void ctl_send(struct nbt *x, const struct netback_msg *m,
		     const int *fds, unsigned int nfds)
{
	char cbuf[CMSG_SPACE(8 * sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)m, .iov_len = sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds) {
		struct cmsghdr *c;

		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	if (sendmsg(x->ctl, &mh, MSG_NOSIGNAL) != sizeof(*m))
		fail_msg("cannot send control message %u: %s (%s)", m->type,
			 strerror(errno), child_state(x));
}

/* 1: a message (LOG and FATAL kept), 0: the socket closed, -1: none. */
static int ctl_read(struct nbt *x, struct netback_msg *m)
{
	ssize_t n = recv(x->ctl, m, sizeof(*m), MSG_DONTWAIT);

	if (n == 0)
		return 0;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? -1 : 0;
	if (n != sizeof(*m))
		fail_msg("control message of %zd bytes, not %zu", n, sizeof(*m));
	if (m->type == NETBACK_LOG) {
		char *l = x->log[x->nlog++ % 32];

		memcpy(l, m->text, sizeof(m->text));
		l[sizeof(m->text)] = '\0';
	} else if (m->type == NETBACK_FATAL) {
		memcpy(x->fatal, m->text, sizeof(m->text));
		x->fatal[sizeof(m->text)] = '\0';
		x->nfatal++;
	}
	return 1;
}

static bool has_log(struct nbt *x, const char *what)
{
	unsigned int n = x->nlog < 32 ? x->nlog : 32;

	for (unsigned int i = 0; i < n; i++)
		if (strstr(x->log[i], what))
			return true;
	return false;
}

static bool unsolicited(uint32_t type)
{
	return type == NETBACK_LOG || type == NETBACK_FATAL;
}

/* The next reply of type want (LOG and FATAL on the way kept). */
static void ctl_wait(struct nbt *x, uint32_t want, struct netback_msg *rep)
{
	int64_t end = now_ms() + TIMEOUT_MS;

	for (;;) {
		struct pollfd p = { .fd = x->ctl, .events = POLLIN };
		int64_t left = end - now_ms();
		int r;

		if (left <= 0)
			fail_msg("no control reply %u from pvnetback within "
				 "%d ms", want, TIMEOUT_MS);
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		r = ctl_read(x, rep);
		if (r == 0)
			fail_msg("pvnetback closed its control socket while "
				 "we waited for reply %u: %s", want,
				 child_state(x));
		if (r < 0 || (unsolicited(rep->type) && want != rep->type))
			continue;
		if (rep->type != want)
			fail_msg("control reply %u, not %u", rep->type, want);
		return;
	}
}

/* Up to ms for the backend: its kicks counted, its messages kept. */
static void pump(struct nbt *x, int ms)
{
	struct pollfd p[3] = {
		{ .fd = x->ctl, .events = POLLIN },
		{ .fd = x->txk, .events = POLLIN },
		{ .fd = x->rxk, .events = POLLIN },
	};
	struct netback_msg m;
	uint64_t cnt;

	if (poll(p, 3, ms) <= 0)
		return;
	for (int i = 1; i < 3; i++)
		if ((p[i].revents & POLLIN) &&
		    read(p[i].fd, &cnt, sizeof(cnt)) == sizeof(cnt))
			x->kicks += cnt;
	if (p[0].revents & (POLLIN | POLLHUP)) {
		int r = ctl_read(x, &m);

		if (r == 0)
			fail_msg("pvnetback went away: %s", child_state(x));
		if (r > 0 && !unsolicited(m.type))
			fail_msg("unexpected control message %u", m.type);
	}
}

#define WAIT_FOR(x, cond, what) do {					\
	int64_t end_ = now_ms() + TIMEOUT_MS;				\
	while (!(cond)) {						\
		if (now_ms() > end_)					\
			fail_msg("no %s within %d ms (%s)", what,	\
				 TIMEOUT_MS, child_state(x));		\
		pump(x, 5);						\
	}								\
} while (0)

static struct netback_stats get_stats(struct nbt *x)
{
	struct netback_msg m = { .type = NETBACK_STATS }, rep;

	ctl_send(x, &m, NULL, 0);
	ctl_wait(x, NETBACK_STATS, &rep);
	return rep.stats;
}

/* ------------------------------------------------ fixture, OPEN -- */

static uint8_t *page(struct nbt *x, uint64_t pfn)
{
	return gf_ram(&x->f, pfn << PAGE_SHIFT);
}

static int setup(void **state)
{
	struct nbt *x = calloc(1, sizeof(*x));
	struct netback_msg m = { .type = NETBACK_OPEN }, rep;
	struct gnt_broker_config bc;
	int fds[3], rc;

	if (!x || gnt_fix_init(&x->f))
		return -1;
	x->ctl = x->tap = -1;
	x->txn = x->txk = x->rxn = x->rxk = -1;
	for (unsigned int i = 0; i < NR_TXD; i++)
		gf_grant(&x->f, TXD_REF(i), DOM0, TXD_PFN(i), GTF_readonly);
	for (unsigned int i = 0; i < NR_RXD; i++)
		gf_grant(&x->f, RXD_REF(i), DOM0, RXD_PFN(i), 0);
	*state = x;
	spawn(x);
	bc = (struct gnt_broker_config){
		.ram_fd = x->f.d.ram_fd, .gnttab_fd = gnttab_domain_fd(&x->f.d),
		.data_len = NETBACK_BROKER_DATA_LEN };
	rc = gnt_broker_start(&bc, &x->broker, &fds[0], &fds[1], &fds[2]);
	if (rc)
		fail_msg("cannot start the grant broker: %s", strerror(-rc));
	m.open.domid = GF_DOMID;
	m.open.devid = 0;
	ctl_send(x, &m, fds, 3);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	ctl_wait(x, NETBACK_INFO, &rep);
	if (rep.status)
		fail_msg("OPEN refused: %d (%.*s)", rep.status,
			 (int)sizeof(rep.text), rep.text);
	return 0;
}

static void close_queue_fds(struct nbt *x)
{
	int *fd[] = { &x->tap, &x->txn, &x->txk, &x->rxn, &x->rxk };

	for (unsigned int i = 0; i < 5; i++) {
		if (*fd[i] >= 0 && !(i >= 3 && x->one_channel))
			close(*fd[i]);
		*fd[i] = -1;
	}
}

static int teardown(void **state)
{
	struct nbt *x = *state;
	int rc = 0;

	if (x->ctl >= 0)
		close(x->ctl);	/* EOF: the backend exits */
	x->ctl = -1;
	if (x->pid > 0) {
		int64_t end = now_ms() + TIMEOUT_MS;

		while (waitpid(x->pid, &x->wstatus, WNOHANG) == 0 &&
		       now_ms() < end)
			usleep(2000);
		if (now_ms() >= end) {
			kill(x->pid, SIGKILL);
			waitpid(x->pid, &x->wstatus, 0);
			print_error("pvnetback did not exit when its control "
				    "socket closed\n");
			rc = -1;
		} else if (!WIFEXITED(x->wstatus) ||
			   WEXITSTATUS(x->wstatus) != 0) {
			char st[128];

			/* Whatever the test did, the sandbox must hold. */
			describe_status(x->wstatus, st, sizeof(st));
			print_error("pvnetback, at the end of the test, %s\n",
				    st);
			rc = -1;
		}
	}
	close_queue_fds(x);
	gnt_broker_stop(x->broker);	/* once the backend is gone */
	gnt_fix_fini(&x->f);
	free(x);
	return rc;
}

/* ------------------------------------------------- the rings -- */

/* Fresh shared rings, as netfront lays them out. */
static void rings_prepare(struct nbt *x)
{
	netif_tx_sring_t *ts = (netif_tx_sring_t *)page(x, TX_RING_PFN);
	netif_rx_sring_t *rs = (netif_rx_sring_t *)page(x, RX_RING_PFN);

	memset(ts, 0, PAGE_SIZE);
	memset(rs, 0, PAGE_SIZE);
	SHARED_RING_INIT(ts);
	SHARED_RING_INIT(rs);
	FRONT_RING_INIT(&x->tx, ts, PAGE_SIZE);
	FRONT_RING_INIT(&x->rx, rs, PAGE_SIZE);
	gf_grant(&x->f, TX_RING_REF, DOM0, TX_RING_PFN, 0);
	gf_grant(&x->f, RX_RING_REF, DOM0, RX_RING_PFN, 0);
}

/* CONNECT queue 0: its status (0 or -errno). */
static int try_connect(struct nbt *x, uint32_t features, uint64_t credit,
		       uint32_t usec, struct netback_msg *rep)
{
	struct netback_msg m = { .type = NETBACK_CONNECT };
	int sv[2], fds[5], sndbuf = 1 << 20;

	close_queue_fds(x);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC,
				    0, sv), 0);
	/* Room for a burst of frames either way, as a tap queue has. */
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	assert_int_equal(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	x->tap = sv[0];
	x->txn = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	x->txk = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (x->one_channel) {
		x->rxn = x->txn;
		x->rxk = x->txk;
	} else {
		x->rxn = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		x->rxk = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	}
	assert_true(x->txn >= 0 && x->txk >= 0 && x->rxn >= 0 && x->rxk >= 0);
	m.connect.queue = 0;
	m.connect.tx_ring_ref = TX_RING_REF;
	m.connect.rx_ring_ref = RX_RING_REF;
	m.connect.features = features;
	m.connect.credit_bytes = credit;
	m.connect.credit_usec = usec;
	fds[0] = sv[1];
	fds[1] = x->txn;
	fds[2] = x->txk;
	fds[3] = x->rxn;
	fds[4] = x->rxk;
	ctl_send(x, &m, fds, 5);
	close(sv[1]);
	ctl_wait(x, NETBACK_CONNECTED, rep);
	return rep->status;
}

static void connect_q(struct nbt *x, uint32_t features, uint64_t credit,
		      uint32_t usec)
{
	struct netback_msg rep;

	if (try_connect(x, features, credit, usec, &rep))
		fail_msg("CONNECT refused: %d (%.*s)", rep.status,
			 (int)sizeof(rep.text), rep.text);
}

static void disconnect(struct nbt *x)
{
	struct netback_msg m = { .type = NETBACK_DISCONNECT }, rep;

	ctl_send(x, &m, NULL, 0);
	ctl_wait(x, NETBACK_DISCONNECTED, &rep);
	assert_int_equal(rep.status, 0);
}

static void notify(int fd)
{
	uint64_t one = 1;

	assert_int_equal(write(fd, &one, sizeof(one)), sizeof(one));
}

static void tx_push(struct nbt *x)
{
	int kick;

	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&x->tx, kick);
	if (kick)
		notify(x->txn);
}

static void rx_push(struct nbt *x)
{
	int kick;

	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&x->rx, kick);
	if (kick)
		notify(x->rxn);
}

/* One raw tx slot. */
static void tx_slot(struct nbt *x, uint32_t gref, uint16_t off,
		    uint16_t flags, uint16_t id, uint16_t size)
{
	struct netif_tx_request *r = RING_GET_REQUEST(&x->tx,
						      x->tx.req_prod_pvt++);

	*r = (struct netif_tx_request){ .gref = gref, .offset = off,
					.flags = flags, .id = id,
					.size = size };
}

static void tx_extra(struct nbt *x, const struct netif_extra_info *ex)
{
	void *r = RING_GET_REQUEST(&x->tx, x->tx.req_prod_pvt++);

	memset(r, 0, sizeof(struct netif_tx_request));
	memcpy(r, ex, sizeof(*ex));
}

static struct netif_extra_info gso_extra(uint8_t type, uint16_t mss)
{
	return (struct netif_extra_info){
		.type = XEN_NETIF_EXTRA_TYPE_GSO,
		.u.gso = { .size = mss, .type = type } };
}

/*
 * Queue a packet of len bytes in nslots slots, slot k in tx page
 * page0 + k at offset off (the first slot's size is the packet's),
 * an extra-info slot after the first if ex; ids from id0.
 */
static void tx_packet(struct nbt *x, const uint8_t *d, size_t len,
		      unsigned int nslots, unsigned int page0, uint16_t off,
		      uint16_t flags, const struct netif_extra_info *ex,
		      uint16_t id0)
{
	size_t chunk = (len + nslots - 1) / nslots, pos = 0;

	for (unsigned int k = 0; k < nslots; k++) {
		size_t n = len - pos < chunk ? len - pos : chunk;
		uint16_t fl = k ? 0 : flags;

		assert_true(off + n <= PAGE_SIZE);
		memcpy(page(x, TXD_PFN(page0 + k)) + off, d + pos, n);
		if (k + 1 < nslots)
			fl |= NETTXF_more_data;
		if (!k && ex)
			fl |= NETTXF_extra_info;
		tx_slot(x, TXD_REF(page0 + k), off, fl, (uint16_t)(id0 + k),
			(uint16_t)(k ? n : len));
		if (!k && ex)
			tx_extra(x, ex);
		pos += n;
	}
}

static struct netif_tx_response tx_rsp(struct nbt *x)
{
	struct netif_tx_response r;

	WAIT_FOR(x, x->tx.sring->rsp_prod != x->tx.rsp_cons, "tx response");
	xen_rmb();
	RING_COPY_RESPONSE(&x->tx, x->tx.rsp_cons, &r);
	x->tx.rsp_cons++;
	x->tx.sring->rsp_event = x->tx.rsp_cons + 1;
	return r;
}

static void expect_tx_rsp(struct nbt *x, uint16_t id, int16_t status)
{
	struct netif_tx_response r = tx_rsp(x);

	if (status != NETIF_RSP_NULL && r.id != id)
		fail_msg("tx response id %u, want %u", r.id, id);
	if (r.status != status)
		fail_msg("tx response for id %u: status %d, want %d", id,
			 r.status, status);
}

/* Post n rx requests (ids from the ring index, a page each). */
static void rx_post(struct nbt *x, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		RING_IDX at = x->rx.req_prod_pvt++;
		struct netif_rx_request *r = RING_GET_REQUEST(&x->rx, at);
		uint16_t id = (uint16_t)(at & 0xff);

		memset(page(x, RXD_PFN(id % NR_RXD)), 0xee, PAGE_SIZE);
		*r = (struct netif_rx_request){ .id = id,
						.gref = RXD_REF(id % NR_RXD) };
	}
	rx_push(x);
}

static struct netif_rx_response rx_rsp(struct nbt *x)
{
	struct netif_rx_response r;

	WAIT_FOR(x, x->rx.sring->rsp_prod != x->rx.rsp_cons, "rx response");
	xen_rmb();
	RING_COPY_RESPONSE(&x->rx, x->rx.rsp_cons, &r);
	x->rx.rsp_cons++;
	x->rx.sring->rsp_event = x->rx.rsp_cons + 1;
	return r;
}

static uint8_t *rx_page(struct nbt *x, uint16_t id)
{
	return page(x, RXD_PFN(id % NR_RXD));
}

/* ---------------------------------------------------- the tap -- */

/* The next frame the backend wrote: its length (header included). */
static size_t tap_recv(struct nbt *x, uint8_t *buf, size_t max)
{
	int64_t end = now_ms() + TIMEOUT_MS;

	for (;;) {
		ssize_t n = recv(x->tap, buf, max, MSG_DONTWAIT);

		if (n >= 0)
			return (size_t)n;
		if (errno != EAGAIN)
			fail_msg("reading the tap: %s", strerror(errno));
		if (now_ms() > end)
			fail_msg("no frame on the tap within %d ms (%s)",
				 TIMEOUT_MS, child_state(x));
		pump(x, 2);
	}
}

/* Nothing on the tap for ms. */
static void tap_quiet(struct nbt *x, int ms)
{
	int64_t end = now_ms() + ms;
	uint8_t buf[128];

	while (now_ms() < end) {
		ssize_t n = recv(x->tap, buf, sizeof(buf), MSG_DONTWAIT);

		if (n >= 0)
			fail_msg("a frame of %zd bytes on the tap, want none",
				 n);
		pump(x, 5);
	}
}

static void tap_send(struct nbt *x, const struct virtio_net_hdr *vh,
		     const uint8_t *d, size_t len)
{
	struct iovec iov[2] = {
		{ .iov_base = (void *)vh, .iov_len = VHDR },
		{ .iov_base = (void *)d, .iov_len = len },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

	assert_int_equal(sendmsg(x->tap, &mh, 0), (ssize_t)(VHDR + len));
}

/* ------------------------------------------------- the frames -- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t sum16(uint32_t s, const uint8_t *p, size_t len)
{
	for (; len > 1; p += 2, len -= 2)
		s += get16(p);
	if (len)
		s += (uint32_t)p[0] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/*
 * Ethernet + IPv4 or IPv6 + TCP (20 bytes) or UDP, len bytes in all,
 * the payload a pattern from seed; the L4 checksum field holds the
 * pseudo-header sum (what a partial checksum starts from).
 */
static void make_frame(uint8_t *f, size_t len, bool v6, uint8_t proto,
		       uint8_t seed)
{
	size_t l3 = 14, l4 = v6 ? 54 : 34, l4len = len - l4;
	uint32_t ps;

	memset(f, 0, len);
	memcpy(f, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02", 12);
	put16(f + 12, v6 ? 0x86dd : 0x0800);
	if (v6) {
		f[l3] = 0x60;
		put16(f + l3 + 4, (uint16_t)l4len);
		f[l3 + 6] = proto;
		f[l3 + 7] = 64;
		f[l3 + 8] = 0xfe;
		f[l3 + 9] = 0x80;
		f[l3 + 23] = 1;
		f[l3 + 24] = 0xfe;
		f[l3 + 25] = 0x80;
		f[l3 + 39] = 2;
		ps = sum16(0, f + l3 + 8, 32);
	} else {
		f[l3] = 0x45;
		put16(f + l3 + 2, (uint16_t)(len - l3));
		f[l3 + 8] = 64;
		f[l3 + 9] = proto;
		memcpy(f + l3 + 12, "\x0a\0\0\x01\x0a\0\0\x02", 8);
		put16(f + l3 + 10, (uint16_t)~fold(sum16(0, f + l3, 20)));
		ps = sum16(0, f + l3 + 12, 8);
	}
	put16(f + l4, 1234);
	put16(f + l4 + 2, 80);
	if (proto == IPPROTO_TCP) {
		f[l4 + 12] = 0x50;
		f[l4 + 13] = 0x18;
		put16(f + l4 + 14, 65535);
	} else {
		put16(f + l4 + 4, (uint16_t)l4len);
	}
	for (size_t i = l4 + (proto == IPPROTO_TCP ? 20 : 8); i < len; i++)
		f[i] = (uint8_t)(seed + i * 13 + (i >> 7));
	ps += proto + (uint32_t)l4len;
	put16(f + l4 + (proto == IPPROTO_TCP ? 16 : 6), fold(ps));
}

/* Is the L4 checksum of frame f right (its pseudo-header included)? */
static bool l4_csum_ok(const uint8_t *f, size_t len, bool v6)
{
	size_t l3 = 14, l4 = v6 ? 54 : 34;
	uint8_t proto = v6 ? f[l3 + 6] : f[l3 + 9];
	uint32_t s;

	s = v6 ? sum16(0, f + l3 + 8, 32) : sum16(0, f + l3 + 12, 8);
	s += proto + (uint32_t)(len - l4);
	s = sum16(s, f + l4, len - l4);
	return fold(s) == 0xffff;
}

static struct virtio_net_hdr vh_of(const uint8_t *buf)
{
	struct virtio_net_hdr vh;

	memcpy(&vh, buf, sizeof(vh));
	return vh;
}

/* ========================================================= tests == */

/* A line of the backend's /proc/<pid>/status, from its key. */
static void proc_status(struct nbt *x, const char *key, char *out, size_t len)
{
	char path[64], line[256];
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)x->pid);
	fp = fopen(path, "r");
	if (!fp)
		fail_msg("cannot read %s: %s", path, strerror(errno));
	out[0] = '\0';
	while (fgets(line, sizeof(line), fp))
		if (!strncmp(line, key, strlen(key))) {
			snprintf(out, len, "%s", line + strlen(key));
			break;
		}
	fclose(fp);
}

static void test_open_stats(void **state)
{
	struct nbt *x = *state;
	struct netback_stats s = get_stats(x);
	char v[128];

	/* Sandboxed once OPEN is answered. */
	proc_status(x, "NoNewPrivs:", v, sizeof(v));
	assert_int_equal(atoi(v), 1);
	proc_status(x, "Seccomp:", v, sizeof(v));
	assert_int_equal(atoi(v), 2);		/* filter mode */
	if (geteuid() == 0) {
		proc_status(x, "Uid:", v, sizeof(v));
		assert_int_equal(atoi(v), 65534);	/* nobody */
	}

	assert_int_equal(s.tx_packets, 0);
	assert_int_equal(s.rx_packets, 0);
	assert_int_equal(s.tx_errors, 0);
	assert_int_equal(s.broker_batches, 0);
}

static void test_connect_refused(void **state)
{
	struct nbt *x = *state;
	struct netback_msg rep;

	rings_prepare(x);
	/* The tx ring page not granted: the broker's check refuses it. */
	gf_revoke(&x->f, TX_RING_REF);
	assert_int_not_equal(try_connect(x, F_ALL, 0, 0, &rep), 0);
	assert_non_null(strstr(rep.text, "tx ring"));
	/* Granted read-only: not a ring we may write. */
	gf_grant(&x->f, TX_RING_REF, DOM0, TX_RING_PFN, GTF_readonly);
	assert_int_not_equal(try_connect(x, F_ALL, 0, 0, &rep), 0);
	/* Without rx copy (page flipping): not served. */
	rings_prepare(x);
	assert_int_equal(try_connect(x, F_ALL & ~NETBACK_F_RX_COPY, 0, 0,
				     &rep), -EOPNOTSUPP);
	connect_q(x, F_ALL, 0, 0);
	/* Twice the same queue. */
	assert_int_equal(try_connect(x, F_ALL, 0, 0, &rep), -EISCONN);
}

/* One slot: bytes intact, and the header the flags ask for. */
static void test_tx_single(void **state)
{
	struct nbt *x = *state;
	static uint8_t f[2048], buf[4096];
	struct virtio_net_hdr vh;
	struct netback_stats s;
	size_t n;

	rings_prepare(x);
	connect_q(x, F_ALL, 0, 0);
	make_frame(f, 1000, false, IPPROTO_TCP, 1);
	tx_packet(x, f, 1000, 1, 0, 100,
		  NETTXF_csum_blank | NETTXF_data_validated, NULL, 7);
	tx_push(x);
	expect_tx_rsp(x, 7, NETIF_RSP_OKAY);
	n = tap_recv(x, buf, sizeof(buf));
	assert_int_equal(n, VHDR + 1000);
	assert_memory_equal(buf + VHDR, f, 1000);
	vh = vh_of(buf);
	assert_int_equal(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	assert_int_equal(vh.csum_start, 34);
	assert_int_equal(vh.csum_offset, 16);

	/* data_validated alone, and nothing at all. */
	make_frame(f, 600, false, IPPROTO_UDP, 2);
	tx_packet(x, f, 600, 1, 1, 0, NETTXF_data_validated, NULL, 8);
	make_frame(f + 1000, 60, false, IPPROTO_UDP, 3);
	tx_packet(x, f + 1000, 60, 1, 2, 0, 0, NULL, 9);
	tx_push(x);
	expect_tx_rsp(x, 8, NETIF_RSP_OKAY);
	expect_tx_rsp(x, 9, NETIF_RSP_OKAY);
	n = tap_recv(x, buf, sizeof(buf));
	assert_int_equal(n, VHDR + 600);
	assert_memory_equal(buf + VHDR, f, 600);
	assert_int_equal(vh_of(buf).flags, VIRTIO_NET_HDR_F_DATA_VALID);
	n = tap_recv(x, buf, sizeof(buf));
	assert_int_equal(n, VHDR + 60);
	assert_memory_equal(buf + VHDR, f + 1000, 60);
	assert_int_equal(vh_of(buf).flags, 0);
	s = get_stats(x);
	assert_int_equal(s.tx_packets, 3);
	assert_int_equal(s.tx_bytes, 1660);
	assert_int_equal(s.tx_errors, 0);
	assert_true(s.broker_batches > 0 && s.broker_ops >= s.broker_batches);
}

/* Several slots, IPv6 UDP with csum_blank. */
static void test_tx_multi(void **state)
{
	struct nbt *x = *state;
	static uint8_t f[9000], buf[10000];
	struct virtio_net_hdr vh;
	size_t n;

	rings_prepare(x);
	connect_q(x, F_ALL, 0, 0);
	make_frame(f, 9000, true, IPPROTO_UDP, 4);
	tx_packet(x, f, 9000, 3, 0, 0, NETTXF_csum_blank, NULL, 20);
	tx_push(x);
	for (uint16_t id = 20; id < 23; id++)
		expect_tx_rsp(x, id, NETIF_RSP_OKAY);
	n = tap_recv(x, buf, sizeof(buf));
	assert_int_equal(n, VHDR + 9000);
	assert_memory_equal(buf + VHDR, f, 9000);
	vh = vh_of(buf);
	assert_int_equal(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(vh.csum_start, 54);
	assert_int_equal(vh.csum_offset, 6);

	/* Uneven slots at odd offsets, IPv4 TCP, 18 slots (the most). */
	make_frame(f, 5000, false, IPPROTO_TCP, 5);
	tx_packet(x, f, 5000, NETBACK_MAX_TX_SLOTS, 0, 3001,
		  NETTXF_csum_blank, NULL, 30);
	tx_push(x);
	for (uint16_t id = 30; id < 30 + NETBACK_MAX_TX_SLOTS; id++)
		expect_tx_rsp(x, id, NETIF_RSP_OKAY);
	n = tap_recv(x, buf, sizeof(buf));
	assert_int_equal(n, VHDR + 5000);
	assert_memory_equal(buf + VHDR, f, 5000);
	assert_int_equal(vh_of(buf).csum_start, 34);
	assert_int_equal(vh_of(buf).csum_offset, 16);
}

/* GSO: the tap's gso fields; the extra slot answered NULL. */
static void test_tx_gso(void **state)
{
	struct nbt *x = *state;
	static uint8_t f[20000], buf[21000];
	struct netif_extra_info ex = gso_extra(XEN_NETIF_GSO_TYPE_TCPV4,
					       1448);
	struct virtio_net_hdr vh;
	size_t n;

	rings_prepare(x);
	connect_q(x, F_ALL, 0, 0);
	make_frame(f, 20000, false, IPPROTO_TCP, 6);
	tx_packet(x, f, 20000, 5, 0, 0,
		  NETTXF_csum_blank | NETTXF_data_validated, &ex, 40);
	tx_push(x);
	expect_tx_rsp(x, 40, NETIF_RSP_OKAY);
	expect_tx_rsp(x, 0, NETIF_RSP_NULL);
	for (uint16_t id = 41; id < 45; id++)
		expect_tx_rsp(x, id, NETIF_RSP_OKAY);
	n = tap_recv(x, buf, sizeof(buf));
	assert_int_equal(n, VHDR + 20000);
	assert_memory_equal(buf + VHDR, f, 20000);
	vh = vh_of(buf);
	assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(vh.gso_size, 1448);
	assert_int_equal(vh.hdr_len, 14 + 20 + 20);
	assert_int_equal(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(vh.csum_start, 34);
	assert_int_equal(vh.csum_offset, 16);

	/* TCPv6, and a hash extra chained after it (not ours: skipped). */
	{
		struct netif_extra_info ex6 = gso_extra(XEN_NETIF_GSO_TYPE_TCPV6,
							1400);
		struct netif_extra_info hash = { .type = XEN_NETIF_EXTRA_TYPE_HASH };

		ex6.flags = XEN_NETIF_EXTRA_FLAG_MORE;
		make_frame(f, 3000, true, IPPROTO_TCP, 7);
		memcpy(page(x, TXD_PFN(0)), f, 3000);
		tx_slot(x, TXD_REF(0), 0, NETTXF_csum_blank | NETTXF_extra_info,
			50, 3000);
		tx_extra(x, &ex6);
		tx_extra(x, &hash);
		tx_push(x);
		expect_tx_rsp(x, 50, NETIF_RSP_OKAY);
		expect_tx_rsp(x, 0, NETIF_RSP_NULL);
		expect_tx_rsp(x, 0, NETIF_RSP_NULL);
		n = tap_recv(x, buf, sizeof(buf));
		assert_int_equal(n, VHDR + 3000);
		vh = vh_of(buf);
		assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV6);
		assert_int_equal(vh.gso_size, 1400);
		assert_int_equal(vh.hdr_len, 14 + 40 + 20);
		assert_int_equal(vh.csum_start, 54);
	}
}

/* A 1500-byte frame into one posted page. */
static void test_rx_1500(void **state)
{
	struct nbt *x = *state;
	static uint8_t f[1500];
	struct virtio_net_hdr vh = { .flags = VIRTIO_NET_HDR_F_DATA_VALID };
	struct netif_rx_response r;
	struct netback_stats s;

	rings_prepare(x);
	connect_q(x, F_ALL, 0, 0);
	rx_post(x, 4);
	make_frame(f, 1500, false, IPPROTO_UDP, 8);
	tap_send(x, &vh, f, 1500);
	r = rx_rsp(x);
	assert_int_equal(r.id, 0);
	assert_int_equal(r.offset, 0);
	assert_int_equal(r.status, 1500);
	assert_int_equal(r.flags, NETRXF_data_validated);
	assert_memory_equal(rx_page(x, r.id), f, 1500);
	/* Nothing else went out. */
	pump(x, 50);
	assert_int_equal(x->rx.sring->rsp_prod, x->rx.rsp_cons);
	s = get_stats(x);
	assert_int_equal(s.rx_packets, 1);
	assert_int_equal(s.rx_bytes, 1500);
	assert_int_equal(s.rx_dropped, 0);
	assert_true(s.kicks_out >= 1);
}

/* 9000 bytes: three slots, more_data on the first two. */
static void test_rx_9000(void **state)
{
	struct nbt *x = *state;
	static uint8_t f[9000];
	struct virtio_net_hdr vh = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				     .csum_start = 34, .csum_offset = 16 };
	struct netif_rx_response r[3];
	const int16_t want[3] = { 4096, 4096, 808 };

	rings_prepare(x);
	connect_q(x, F_ALL, 0, 0);
	rx_post(x, 8);
	make_frame(f, 9000, false, IPPROTO_TCP, 9);
	tap_send(x, &vh, f, 9000);
	for (int i = 0; i < 3; i++) {
		r[i] = rx_rsp(x);
		assert_int_equal(r[i].id, i);
		assert_int_equal(r[i].offset, 0);
		assert_int_equal(r[i].status, want[i]);
		assert_memory_equal(rx_page(x, r[i].id), f + 4096 * i,
				    (size_t)want[i]);
	}
	assert_int_equal(r[0].flags, NETRXF_csum_blank | NETRXF_data_validated |
			 NETRXF_more_data);
	assert_int_equal(r[1].flags, NETRXF_more_data);
	assert_int_equal(r[2].flags, 0);
	/* The rest of the last page untouched. */
	assert_int_equal(rx_page(x, 2)[808], 0xee);
}

/* GSO: the extra-info slot right after the first. */
static void test_rx_gso(void **state)
{
	struct nbt *x = *state;
	static uint8_t f[9000];
	struct virtio_net_hdr vh = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				     .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
				     .gso_size = 1448, .hdr_len = 54,
				     .csum_start = 34, .csum_offset = 16 };
	struct netif_rx_response r;
	struct netif_extra_info ex;
	struct netback_stats s;

	rings_prepare(x);
	connect_q(x, F_ALL, 0, 0);
	rx_post(x, 8);
	make_frame(f, 9000, false, IPPROTO_TCP, 10);
	tap_send(x, &vh, f, 9000);
	r = rx_rsp(x);
	assert_int_equal(r.status, 4096);
	assert_int_equal(r.flags, NETRXF_csum_blank | NETRXF_data_validated |
			 NETRXF_more_data | NETRXF_extra_info);
	assert_memory_equal(rx_page(x, r.id), f, 4096);
	WAIT_FOR(x, x->rx.sring->rsp_prod != x->rx.rsp_cons, "extra slot");
	memcpy(&ex, RING_GET_RESPONSE(&x->rx, x->rx.rsp_cons), sizeof(ex));
	x->rx.rsp_cons++;
	assert_int_equal(ex.type, XEN_NETIF_EXTRA_TYPE_GSO);
	assert_int_equal(ex.flags, 0);
	assert_int_equal(ex.u.gso.type, XEN_NETIF_GSO_TYPE_TCPV4);
	assert_int_equal(ex.u.gso.size, 1448);
	r = rx_rsp(x);
	assert_int_equal(r.status, 4096);
	assert_int_equal(r.flags, NETRXF_more_data);
	assert_memory_equal(rx_page(x, r.id), f + 4096, 4096);
	r = rx_rsp(x);
	assert_int_equal(r.status, 808);
	assert_int_equal(r.flags, 0);
	assert_memory_equal(rx_page(x, r.id), f + 8192, 808);

	/* GSO the frontend did not ask for (TCPv6 off): dropped. */
	disconnect(x);
	rings_prepare(x);
	connect_q(x, F_ALL & ~NETBACK_F_GSO_TCPV6, 0, 0);
	rx_post(x, 8);
	make_frame(f, 9000, true, IPPROTO_TCP, 11);
	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	vh.csum_start = 54;
	tap_send(x, &vh, f, 9000);
	WAIT_FOR(x, get_stats(x).rx_dropped == 1, "rx_dropped 1");
	assert_int_equal(x->rx.sring->rsp_prod, x->rx.rsp_cons);
	s = get_stats(x);
	assert_int_equal(s.rx_packets, 1);
}

/* Too few requests: the frame waits, then goes when they are posted. */
static void test_rx_waits(void **state)
{
	struct nbt *x = *state;
	static uint8_t f[9000], g[200];
	struct virtio_net_hdr vh = { 0 };
	struct netif_rx_response r;
	struct netback_stats s0, s;

	rings_prepare(x);
	connect_q(x, F_ALL, 0, 0);
	rx_post(x, 1);
	make_frame(f, 9000, false, IPPROTO_UDP, 12);
	make_frame(g, 200, false, IPPROTO_UDP, 13);
	tap_send(x, &vh, f, 9000);
	tap_send(x, &vh, g, 200);
	pump(x, 150);
	assert_int_equal(x->rx.sring->rsp_prod, 0);
	/* The backend asked to be told of the next request. */
	assert_int_equal(x->rx.sring->req_event, x->rx.req_prod_pvt + 1);
	s0 = get_stats(x);
	assert_int_equal(s0.rx_dropped, 0);
	rx_post(x, 3);		/* req_event passed: the notify goes */
	for (int i = 0; i < 3; i++) {
		r = rx_rsp(x);
		assert_int_equal(r.status, i < 2 ? 4096 : 808);
		assert_memory_equal(rx_page(x, r.id), f + 4096 * i,
				    (size_t)r.status);
	}
	r = rx_rsp(x);
	assert_int_equal(r.status, 200);
	assert_memory_equal(rx_page(x, r.id), g, 200);
	s = get_stats(x);
	assert_int_equal(s.rx_packets, 2);
	assert_true(s.kicks_in > s0.kicks_in);

	/* Without feature-sg, a 9000-byte frame can never fit: dropped,
	 * and what follows still goes. */
	disconnect(x);
	rings_prepare(x);
	connect_q(x, NETBACK_F_RX_COPY | NETBACK_F_RX_NOTIFY, 0, 0);
	rx_post(x, 4);
	tap_send(x, &vh, f, 9000);
	tap_send(x, &vh, g, 200);
	r = rx_rsp(x);
	assert_int_equal(r.status, 200);
	assert_memory_equal(rx_page(x, r.id), g, 200);
	assert_int_equal(get_stats(x).rx_dropped, 1);
}

/* No checksum offload in the guest: the backend finishes it. */
static void test_rx_sw_csum(void **state)
{
	struct nbt *x = *state;
	static uint8_t f[3000];
	struct virtio_net_hdr vh = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				     .csum_start = 34, .csum_offset = 6 };
	struct netif_rx_response r;
	uint8_t *p;

	rings_prepare(x);
	connect_q(x, F_ALL | NETBACK_F_NO_CSUM, 0, 0);
	rx_post(x, 8);
	make_frame(f, 1200, false, IPPROTO_UDP, 14);
	assert_false(l4_csum_ok(f, 1200, false));	/* partial */
	tap_send(x, &vh, f, 1200);
	r = rx_rsp(x);
	assert_int_equal(r.status, 1200);
	assert_int_equal(r.flags, 0);
	p = rx_page(x, r.id);
	assert_true(l4_csum_ok(p, 1200, false));
	assert_int_not_equal(get16(p + 34 + 6), 0);
	/* Everything but the checksum as sent. */
	assert_memory_equal(p, f, 34 + 6);
	assert_memory_equal(p + 34 + 8, f + 34 + 8, 1200 - 42);

	/* IPv6 TCP over two pages, a guest without IPv6 offload. */
	disconnect(x);
	rings_prepare(x);
	connect_q(x, F_ALL & ~NETBACK_F_IPV6_CSUM, 0, 0);
	rx_post(x, 8);
	make_frame(f, 3000, true, IPPROTO_TCP, 15);
	vh.csum_start = 54;
	vh.csum_offset = 16;
	tap_send(x, &vh, f, 3000);
	r = rx_rsp(x);
	assert_int_equal(r.status, 3000);
	assert_int_equal(r.flags, 0);
	assert_true(l4_csum_ok(rx_page(x, r.id), 3000, true));
	/* IPv4 still offloaded there. */
	make_frame(f, 500, false, IPPROTO_TCP, 16);
	vh.csum_start = 34;
	tap_send(x, &vh, f, 500);
	r = rx_rsp(x);
	assert_int_equal(r.flags, NETRXF_csum_blank | NETRXF_data_validated);
	assert_memory_equal(rx_page(x, r.id), f, 500);
}

/* Hostile packets: each answered with errors, the ring goes on. */
static void test_tx_hostile(void **state)
{
	struct nbt *x = *state;
	static uint8_t f[3000], buf[4096];
	struct netif_extra_info bad_gso = gso_extra(3, 1448);
	struct netif_extra_info no_mss = gso_extra(XEN_NETIF_GSO_TYPE_TCPV4, 0);
	struct netback_stats s;
	size_t n;

	rings_prepare(x);
	connect_q(x, F_ALL, 0, 0);
	make_frame(f, 3000, false, IPPROTO_TCP, 17);
	memcpy(page(x, TXD_PFN(0)), f, 3000);
	memcpy(page(x, TXD_PFN(1)), f, 3000);
	/* size 0; size under an Ethernet header */
	tx_slot(x, TXD_REF(0), 0, 0, 1, 0);
	tx_slot(x, TXD_REF(0), 0, 0, 2, 10);
	/* slots' sizes not adding up: 100 in all, 200 in the second */
	tx_slot(x, TXD_REF(0), 0, NETTXF_more_data, 3, 100);
	tx_slot(x, TXD_REF(1), 0, 0, 4, 200);
	/* a slot crossing its page */
	tx_slot(x, TXD_REF(0), 4000, 0, 5, 200);
	/* a grant that is not one */
	tx_slot(x, UNGRANTED_REF, 0, 0, 6, 1000);
	/* a GSO type never offered; MSS 0 */
	tx_slot(x, TXD_REF(0), 0, NETTXF_csum_blank | NETTXF_extra_info, 7,
		3000);
	tx_extra(x, &bad_gso);
	tx_slot(x, TXD_REF(0), 0, NETTXF_csum_blank | NETTXF_extra_info, 8,
		3000);
	tx_extra(x, &no_mss);
	/* csum_blank on something that is not TCP or UDP (ARP) */
	memcpy(page(x, TXD_PFN(2)), f, 60);
	put16(page(x, TXD_PFN(2)) + 12, 0x0806);
	tx_slot(x, TXD_REF(2), 0, NETTXF_csum_blank, 9, 60);
	/* and then a good one */
	tx_slot(x, TXD_REF(1), 0, 0, 10, 3000);
	tx_push(x);
	expect_tx_rsp(x, 1, NETIF_RSP_ERROR);
	expect_tx_rsp(x, 2, NETIF_RSP_ERROR);
	expect_tx_rsp(x, 3, NETIF_RSP_ERROR);
	expect_tx_rsp(x, 4, NETIF_RSP_ERROR);
	expect_tx_rsp(x, 5, NETIF_RSP_ERROR);
	expect_tx_rsp(x, 6, NETIF_RSP_ERROR);
	expect_tx_rsp(x, 7, NETIF_RSP_ERROR);
	expect_tx_rsp(x, 0, NETIF_RSP_NULL);
	expect_tx_rsp(x, 8, NETIF_RSP_ERROR);
	expect_tx_rsp(x, 0, NETIF_RSP_NULL);
	expect_tx_rsp(x, 9, NETIF_RSP_ERROR);
	expect_tx_rsp(x, 10, NETIF_RSP_OKAY);
	n = tap_recv(x, buf, sizeof(buf));
	assert_int_equal(n, VHDR + 3000);	/* only the good one */
	assert_memory_equal(buf + VHDR, f, 3000);
	tap_quiet(x, 50);
	s = get_stats(x);
	assert_int_equal(s.tx_errors, 8);
	assert_int_equal(s.tx_packets, 1);
	WAIT_FOR(x, has_log(x, "slot of 200 bytes at 4000 crosses"),
		 "LOG of the page crossing");
	assert_true(has_log(x, "grant refused"));
	assert_true(has_log(x, "GSO type 3"));
	assert_true(has_log(x, "whose slots after the first hold 200"));
	assert_int_equal(x->nfatal, 0);
}

/* A FATAL within TIMEOUT_MS; then STATS still answered and the vif
 * no longer served. */
static void expect_fatal(struct nbt *x, const char *what)
{
	static uint8_t f[100];
	struct netback_stats s;

	WAIT_FOR(x, x->nfatal > 0, "FATAL");
	if (!strstr(x->fatal, what))
		fail_msg("FATAL \"%s\", want \"%s\"", x->fatal, what);
	s = get_stats(x);
	/* Nothing more taken from the ring. */
	make_frame(f, 100, false, IPPROTO_UDP, 18);
	memcpy(page(x, TXD_PFN(0)), f, 100);
	tx_slot(x, TXD_REF(0), 0, 0, 99, 100);
	tx_push(x);
	notify(x->txn);
	tap_quiet(x, 100);
	assert_int_equal(get_stats(x).tx_packets, s.tx_packets);
}

static void test_tx_too_many_slots(void **state)
{
	struct nbt *x = *state;
	static uint8_t f[3000], buf[4096];

	rings_prepare(x);
	connect_q(x, F_ALL, 0, 0);
	make_frame(f, 1900, false, IPPROTO_UDP, 19);
	tx_packet(x, f, 1900, NETBACK_MAX_TX_SLOTS + 1, 0, 0, 0, NULL, 1);
	tx_push(x);
	expect_fatal(x, "more than 18 slots");

	/* DISCONNECT, CONNECT again: served again. */
	disconnect(x);
	rings_prepare(x);
	connect_q(x, F_ALL, 0, 0);
	tx_packet(x, f, 1900, 2, 0, 0, 0, NULL, 5);
	tx_push(x);
	expect_tx_rsp(x, 5, NETIF_RSP_OKAY);
	expect_tx_rsp(x, 6, NETIF_RSP_OKAY);
	assert_int_equal(tap_recv(x, buf, sizeof(buf)), VHDR + 1900);
	assert_memory_equal(buf + VHDR, f, 1900);
}

static void test_tx_prod_ahead(void **state)
{
	struct nbt *x = *state;

	rings_prepare(x);
	connect_q(x, F_ALL, 0, 0);
	x->tx.sring->req_prod = 1000;	/* far more than a ring */
	notify(x->txn);
	expect_fatal(x, "more than a ring ahead");
}

static void test_rx_prod_ahead(void **state)
{
	struct nbt *x = *state;

	rings_prepare(x);
	connect_q(x, F_ALL, 0, 0);
	x->rx.sring->req_prod = 0x80000000u;
	notify(x->rxn);
	expect_fatal(x, "rx producer index");
}

/* An extra-info chain that runs off the ring. */
static void test_tx_bad_extra_chain(void **state)
{
	struct nbt *x = *state;
	struct netif_extra_info ex = gso_extra(XEN_NETIF_GSO_TYPE_TCPV4, 1448);

	rings_prepare(x);
	connect_q(x, F_ALL, 0, 0);
	ex.flags = XEN_NETIF_EXTRA_FLAG_MORE;	/* and nothing after it */
	tx_slot(x, TXD_REF(0), 0, NETTXF_extra_info, 1, 100);
	tx_extra(x, &ex);
	tx_push(x);
	expect_fatal(x, "extra info beyond req_prod");
}

/* An extra-info slot of a type that does not exist: fatal, as in Xen. */
static void test_tx_bad_extra_type(void **state)
{
	struct nbt *x = *state;
	struct netif_extra_info ex = { .type = 9 };

	rings_prepare(x);
	connect_q(x, F_ALL, 0, 0);
	tx_slot(x, TXD_REF(0), 0, NETTXF_extra_info, 1, 100);
	tx_extra(x, &ex);
	tx_push(x);
	expect_fatal(x, "extra info of type 9");
}

/* credit N bytes per 50 ms, 10 N bytes sent: about 9 windows. */
static void test_rate_limit(void **state)
{
	struct nbt *x = *state;
	static uint8_t f[1000], buf[2048];
	const unsigned int credit = 10000, npk = 100;
	struct netback_stats s;
	int64_t t0, dt;

	rings_prepare(x);
	connect_q(x, F_ALL, credit, 50000);
	make_frame(f, 1000, false, IPPROTO_UDP, 20);
	for (unsigned int i = 0; i < npk; i++)
		tx_packet(x, f, 1000, 1, 0, 0, 0, NULL, (uint16_t)i);
	t0 = now_ms();
	tx_push(x);
	for (unsigned int i = 0; i < npk; i++) {
		assert_int_equal(tap_recv(x, buf, sizeof(buf)), VHDR + 1000);
		assert_memory_equal(buf + VHDR, f, 1000);
	}
	dt = now_ms() - t0;
	for (unsigned int i = 0; i < npk; i++)
		expect_tx_rsp(x, (uint16_t)i, NETIF_RSP_OKAY);
	s = get_stats(x);
	print_message("      %u x 1000 bytes at %u bytes / 50 ms: %lld ms, "
		      "%llu waits for credit\n", npk, credit, (long long)dt,
		      (unsigned long long)s.tx_throttled);
	/* 9 windows after the first: 450 ms; some slack for timers. */
	assert_true(dt >= 400);
	assert_true(dt < 3000);
	assert_true(s.tx_throttled > 0);
	assert_int_equal(s.tx_packets, npk);
}

/* DISCONNECT then CONNECT: both directions work again. */
static void test_reconnect(void **state)
{
	struct nbt *x = *state;
	static uint8_t f[1000], buf[2048];
	struct virtio_net_hdr vh = { 0 };
	struct netif_rx_response r;

	make_frame(f, 1000, false, IPPROTO_UDP, 21);
	for (int round = 0; round < 3; round++) {
		rings_prepare(x);
		connect_q(x, F_ALL, 0, 0);
		tx_packet(x, f, 1000, 1, 0, 0, 0, NULL, 1);
		tx_push(x);
		expect_tx_rsp(x, 1, NETIF_RSP_OKAY);
		assert_int_equal(tap_recv(x, buf, sizeof(buf)), VHDR + 1000);
		rx_post(x, 2);
		tap_send(x, &vh, f, 1000);
		r = rx_rsp(x);
		assert_int_equal(r.status, 1000);
		assert_memory_equal(rx_page(x, r.id), f, 1000);
		disconnect(x);
		/* The ring pages are no longer ours: revoking succeeds. */
		assert_true(gf_revoke(&x->f, TX_RING_REF));
		assert_true(gf_revoke(&x->f, RX_RING_REF));
	}
	assert_int_equal(get_stats(x).tx_packets, 3);
}

/* Queued and posted before CONNECT: served at once. One event
 * channel for both rings (the same eventfds twice). */
static void test_before_connect_one_channel(void **state)
{
	struct nbt *x = *state;
	static uint8_t f[1000], g[700], buf[2048];
	struct netif_rx_response r;
	struct netback_msg rep;

	x->one_channel = true;
	rings_prepare(x);
	make_frame(f, 1000, false, IPPROTO_UDP, 22);
	tx_packet(x, f, 1000, 2, 0, 0, 0, NULL, 3);
	RING_PUSH_REQUESTS(&x->tx);
	for (unsigned int i = 0; i < 2; i++) {
		struct netif_rx_request *q = RING_GET_REQUEST(&x->rx,
							      x->rx.req_prod_pvt);

		*q = (struct netif_rx_request){ .id = (uint16_t)i,
						.gref = RXD_REF(i) };
		x->rx.req_prod_pvt++;
	}
	RING_PUSH_REQUESTS(&x->rx);
	assert_int_equal(try_connect(x, F_ALL, 0, 0, &rep), 0);
	expect_tx_rsp(x, 3, NETIF_RSP_OKAY);
	expect_tx_rsp(x, 4, NETIF_RSP_OKAY);
	assert_int_equal(tap_recv(x, buf, sizeof(buf)), VHDR + 1000);
	assert_memory_equal(buf + VHDR, f, 1000);
	/* Both rings on the one channel, again and again. */
	for (int i = 0; i < 4; i++) {
		struct virtio_net_hdr vh = { 0 };

		make_frame(g, 700, false, IPPROTO_UDP, (uint8_t)(23 + i));
		tap_send(x, &vh, g, 700);
		r = rx_rsp(x);
		assert_int_equal(r.status, 700);
		assert_memory_equal(rx_page(x, r.id), g, 700);
		rx_post(x, 1);
		tx_packet(x, g, 700, 1, 0, 0, 0, NULL, (uint16_t)(10 + i));
		tx_push(x);
		expect_tx_rsp(x, (uint16_t)(10 + i), NETIF_RSP_OKAY);
		assert_int_equal(tap_recv(x, buf, sizeof(buf)), VHDR + 700);
	}
}

/* Many frames each way, in batches: counts and bytes hold. */
static void test_many(void **state)
{
	struct nbt *x = *state;
	static uint8_t f[64][1500], buf[2048];
	struct virtio_net_hdr vh = { 0 };
	struct netback_stats s;
	unsigned int got = 0;

	rings_prepare(x);
	connect_q(x, F_ALL, 0, 0);
	for (unsigned int i = 0; i < 64; i++) {
		make_frame(f[i], 1500, false, IPPROTO_UDP, (uint8_t)i);
		tap_send(x, &vh, f[i], 1500);
	}
	rx_post(x, 64);
	while (got < 64) {
		struct netif_rx_response r = rx_rsp(x);

		assert_int_equal(r.status, 1500);
		assert_memory_equal(rx_page(x, r.id), f[got], 1500);
		got++;
		if (got % 16 == 0)
			rx_post(x, 16);
	}
	for (unsigned int i = 0; i < 30; i++)
		tx_packet(x, f[i], 1500, 1, i, 0, 0, NULL, (uint16_t)i);
	tx_push(x);
	for (unsigned int i = 0; i < 30; i++) {
		assert_int_equal(tap_recv(x, buf, sizeof(buf)), VHDR + 1500);
		assert_memory_equal(buf + VHDR, f[i], 1500);
	}
	for (unsigned int i = 0; i < 30; i++)
		expect_tx_rsp(x, (uint16_t)i, NETIF_RSP_OKAY);
	s = get_stats(x);
	assert_int_equal(s.rx_packets, 64);
	assert_int_equal(s.tx_packets, 30);
	/* Batched: far fewer round trips than frames moved. */
	print_message("      94 frames: %llu broker round trips, %llu ops\n",
		      (unsigned long long)s.broker_batches,
		      (unsigned long long)s.broker_ops);
	assert_true(s.broker_batches < 94);
}

/* Without feature-rx-notify the backend looks for requests by itself;
 * a multicast extra is acknowledged and sends nothing. */
static void test_no_rx_notify_mcast(void **state)
{
	struct nbt *x = *state;
	static uint8_t f[800];
	struct netif_extra_info mc = { .type = XEN_NETIF_EXTRA_TYPE_MCAST_ADD,
				       .u.mcast.addr = { 1, 0, 0x5e, 0, 0, 1 } };
	struct virtio_net_hdr vh = { 0 };
	struct netif_rx_response r;

	rings_prepare(x);
	connect_q(x, NETBACK_F_RX_COPY | NETBACK_F_SG, 0, 0);
	make_frame(f, 800, false, IPPROTO_UDP, 30);
	tap_send(x, &vh, f, 800);
	pump(x, 50);
	/* Posted without any notify: found all the same. */
	RING_GET_REQUEST(&x->rx, 0)->id = 0;
	RING_GET_REQUEST(&x->rx, 0)->gref = RXD_REF(0);
	x->rx.req_prod_pvt = 1;
	RING_PUSH_REQUESTS(&x->rx);
	r = rx_rsp(x);
	assert_int_equal(r.status, 800);
	assert_memory_equal(rx_page(x, 0), f, 800);

	tx_slot(x, TXD_REF(0), 0, NETTXF_extra_info, 4, 0);
	tx_extra(x, &mc);
	tx_push(x);
	expect_tx_rsp(x, 4, NETIF_RSP_OKAY);
	expect_tx_rsp(x, 0, NETIF_RSP_NULL);
	tap_quiet(x, 50);
	assert_int_equal(get_stats(x).tx_errors, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_open_stats),
		T(test_connect_refused),
		T(test_tx_single),
		T(test_tx_multi),
		T(test_tx_gso),
		T(test_rx_1500),
		T(test_rx_9000),
		T(test_rx_gso),
		T(test_rx_waits),
		T(test_rx_sw_csum),
		T(test_tx_hostile),
		T(test_tx_too_many_slots),
		T(test_tx_prod_ahead),
		T(test_rx_prod_ahead),
		T(test_tx_bad_extra_chain),
		T(test_tx_bad_extra_type),
		T(test_rate_limit),
		T(test_reconnect),
		T(test_before_connect_one_channel),
		T(test_many),
		T(test_no_rx_notify_mcast),
	};
#undef T

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: MIT
/*
 * pvnetback: started by pvisord with its control socket as fd 3 and
 * nothing else open. OPEN brings the grant broker's memfd and eventfds
 * (every access to the guest's memory goes through pvisord); it then
 * sandboxes itself and serves the queues CONNECT hands over, in one
 * poll loop, until pvisord closes the socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "netback.h"

#define NET_LOG_EVERY_NS	1000000000ll
/* Without feature-rx-notify, how soon we look for rx requests again. */
#define NET_RX_REPOLL_MS	10

int64_t net_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000ll + t.tv_nsec;
}

static void send_text(struct netback *nb, uint32_t type, const char *fmt,
		      va_list ap)
{
	struct netback_msg m = { .type = type };

	vsnprintf(m.text, sizeof(m.text), fmt, ap);
	svc_ctl_send(nb->ctl, &m, sizeof(m));
}

void net_log(struct netback *nb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	send_text(nb, NETBACK_LOG, fmt, ap);
	va_end(ap);
}

void net_log_err(struct netback *nb, enum net_err kind, const char *fmt, ...)
{
	int64_t now = net_now_ns();
	struct netback_msg m = { .type = NETBACK_LOG };
	va_list ap;
	int n;

	if (nb->err_logged[kind] &&
	    now - nb->err_logged[kind] < NET_LOG_EVERY_NS) {
		nb->err_quiet[kind]++;	/* a guest could flood the log */
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(m.text, sizeof(m.text), fmt, ap);
	va_end(ap);
	if (nb->err_quiet[kind] && n >= 0 && (size_t)n < sizeof(m.text))
		snprintf(m.text + n, sizeof(m.text) - (size_t)n,
			 " (and %llu more)",
			 (unsigned long long)nb->err_quiet[kind]);
	nb->err_logged[kind] = now;
	nb->err_quiet[kind] = 0;
	svc_ctl_send(nb->ctl, &m, sizeof(m));
}

void net_fatal(struct netback *nb, struct net_queue *q, const char *fmt, ...)
{
	struct netback_msg m = { .type = NETBACK_FATAL, .status = -EPROTO };
	va_list ap;
	int n;

	if (nb->fatal)
		return;
	nb->fatal = true;
	n = snprintf(m.text, sizeof(m.text), "queue %u: ", q->idx);
	va_start(ap, fmt);
	vsnprintf(m.text + n, sizeof(m.text) - (size_t)n, fmt, ap);
	va_end(ap);
	svc_ctl_send(nb->ctl, &m, sizeof(m));
}

bool net_evt_clear(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t cnt;

	/* It may be the same eventfd as another one we just read (one
	 * event channel for both rings): never block on it. */
	if (poll(&p, 1, 0) != 1 || !(p.revents & POLLIN))
		return false;
	return read(fd, &cnt, sizeof(cnt)) == sizeof(cnt);
}

void net_evt_kick(struct netback *nb, int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) == sizeof(one))
		nb->stats.kicks_out++;
}

/* Beyond every service's: the tap's flags (made non-blocking). */
static const struct svc_syscall net_syscalls[] = {
	{ .nr = SCMP_SYS(fcntl), .has_arg = true, .arg = 1, .val = F_GETFL },
	{ .nr = SCMP_SYS(fcntl), .has_arg = true, .arg = 1, .val = F_SETFL },
};

static int do_open(struct netback *nb, const struct netback_msg *m, int *fds,
		   unsigned int nfds)
{
	struct netback_msg r = { .type = NETBACK_INFO };
	int rc;

	if (nfds != 3) {
		svc_close_fds(fds, nfds);
		snprintf(r.text, sizeof(r.text), "OPEN needs 3 fds, got %u",
			 nfds);
		rc = -EINVAL;
		goto out;
	}
	nb->domid = m->open.domid;
	nb->devid = m->open.devid;
	rc = svc_broker_open(&nb->br, fds[0], fds[1], fds[2], nb->ctl,
			     NETBACK_BROKER_DATA_LEN, r.text, sizeof(r.text));
	close(fds[0]);	/* mapped: the fd itself is not needed */
	if (rc)
		goto out;
	rc = svc_sandbox_enter(net_syscalls, sizeof(net_syscalls) /
			       sizeof(net_syscalls[0]));
	if (rc)
		snprintf(r.text, sizeof(r.text), "cannot sandbox: %s",
			 strerror(-rc));
out:
	r.status = rc;
	svc_ctl_send(nb->ctl, &r, sizeof(r));
	return rc;
}

static void do_connect(struct netback *nb, const struct netback_msg *m,
		       int *fds, unsigned int nfds)
{
	struct netback_msg r = { .type = NETBACK_CONNECTED };

	if (nfds != 5) {
		svc_close_fds(fds, nfds);
		r.status = -EINVAL;
		snprintf(r.text, sizeof(r.text), "CONNECT needs 5 fds, got %u",
			 nfds);
	} else {
		r.status = net_queue_connect(nb, m, fds, r.text,
					     sizeof(r.text));
		if (r.status)
			svc_close_fds(fds, nfds);
	}
	svc_ctl_send(nb->ctl, &r, sizeof(r));
	if (!r.status) {
		/* What the frontend queued and posted before we came. */
		net_tx_run(&nb->q[m->connect.queue]);
		net_rx_run(&nb->q[m->connect.queue]);
	}
}

static void do_disconnect(struct netback *nb)
{
	struct netback_msg r = { .type = NETBACK_DISCONNECTED };

	for (unsigned int i = 0; i < NETBACK_MAX_QUEUES; i++)
		net_queue_disconnect(nb, &nb->q[i]);
	nb->fatal = false;
	svc_ctl_send(nb->ctl, &r, sizeof(r));
}

static void do_stats(struct netback *nb)
{
	struct netback_msg r = { .type = NETBACK_STATS };

	nb->stats.broker_batches = nb->br.batches;
	nb->stats.broker_ops = nb->br.ops;
	r.stats = nb->stats;
	svc_ctl_send(nb->ctl, &r, sizeof(r));
}

/* A queue is served: connected and the vif not stopped. */
static bool served(const struct netback *nb, const struct net_queue *q)
{
	return q->connected && !nb->fatal;
}

/* How long poll may sleep: until a credit window or an rx look. */
static int poll_timeout(struct netback *nb)
{
	int64_t now = net_now_ns(), wait = -1;

	for (unsigned int i = 0; i < NETBACK_MAX_QUEUES; i++) {
		struct net_queue *q = &nb->q[i];
		int64_t w = -1;

		if (!served(nb, q))
			continue;
		if (q->throttled_until)
			w = q->throttled_until > now
			    ? (q->throttled_until - now + 999999) / 1000000 : 0;
		if (q->rx_poll_later &&
		    (w < 0 || w > NET_RX_REPOLL_MS))
			w = NET_RX_REPOLL_MS;
		if (w >= 0 && (wait < 0 || w < wait))
			wait = w;
	}
	return (int)wait;
}

/* What the poll saw on a queue's descriptors (p: its three). */
static void queue_events(struct netback *nb, struct net_queue *q,
			 const struct pollfd *p)
{
	bool tx = false, rx = false;

	if (!served(nb, q))
		return;
	if (p[0].revents & POLLIN) {
		if (net_evt_clear(q->tx_notify))
			nb->stats.kicks_in++;
		tx = true;
	}
	if (p[1].revents & POLLIN) {
		if (net_evt_clear(q->rx_notify))
			nb->stats.kicks_in++;
		rx = true;
	}
	if (p[2].revents & POLLIN)
		rx = true;
	else if (p[2].revents & (POLLHUP | POLLERR))
		rx = true;	/* the read says what became of it */
	if (q->throttled_until && net_now_ns() >= q->throttled_until)
		tx = true;
	if (q->rx_poll_later && !rx)
		rx = true;	/* its timeout, or a bit early: harmless */
	if (tx)
		net_tx_run(q);
	if (rx)
		net_rx_run(q);
}

static int serve(struct netback *nb)
{
	for (;;) {
		struct pollfd p[1 + 3 * NETBACK_MAX_QUEUES] = {
			{ .fd = nb->ctl, .events = POLLIN },
		};
		struct netback_msg m;
		unsigned int nfds;
		int fds[8];
		ssize_t n;

		for (unsigned int i = 0; i < NETBACK_MAX_QUEUES; i++) {
			struct net_queue *q = &nb->q[i];
			struct pollfd *qp = &p[1 + 3 * i];
			bool on = served(nb, q);

			qp[0] = (struct pollfd){ .fd = on ? q->tx_notify : -1,
						 .events = POLLIN };
			qp[1] = (struct pollfd){ .fd = on ? q->rx_notify : -1,
						 .events = POLLIN };
			/* The tap only while the guest has room for it. */
			qp[2] = (struct pollfd){
				.fd = on && !q->rx_wait_req && !q->tap_dead
				      ? q->tap : -1,
				.events = POLLIN };
		}
		if (poll(p, 1 + 3 * NETBACK_MAX_QUEUES, poll_timeout(nb)) < 0 &&
		    errno != EINTR)
			return 1;
		for (unsigned int i = 0; i < NETBACK_MAX_QUEUES; i++)
			queue_events(nb, &nb->q[i], &p[1 + 3 * i]);
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = svc_ctl_recv(nb->ctl, &m, sizeof(m), fds, 8, &nfds);
		if (n == 0)
			return 0;	/* pvisord is done with us */
		if (n < 0) {
			if (n == -EPROTO)
				continue;
			return 1;
		}
		switch (m.type) {
		case NETBACK_CONNECT:
			do_connect(nb, &m, fds, nfds);
			break;
		case NETBACK_DISCONNECT:
			svc_close_fds(fds, nfds);
			do_disconnect(nb);
			break;
		case NETBACK_STATS:
			svc_close_fds(fds, nfds);
			do_stats(nb);
			break;
		default:
			svc_close_fds(fds, nfds);
			net_log(nb, "unknown control message %u", m.type);
		}
	}
}

int main(int argc, char **argv)
{
	struct netback nb = { .ctl = NETBACK_CTL_FD,
			      .br = { .go = -1, .done = -1 } };
	struct netback_msg m;
	unsigned int nfds;
	struct stat st;
	int fds[8];
	ssize_t n;

	if (argc > 1 || fstat(nb.ctl, &st) || !S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "pvnetback: the network backend pvisord starts "
			"for each virtual interface; not for running by hand\n");
		return 2;
	}
	for (unsigned int i = 0; i < NETBACK_MAX_QUEUES; i++) {
		struct net_queue *q = &nb.q[i];

		q->nb = &nb;
		q->idx = i;
		q->tap = q->tx_notify = q->tx_kick = -1;
		q->rx_notify = q->rx_kick = -1;
	}
	signal(SIGPIPE, SIG_IGN);
	n = svc_ctl_recv(nb.ctl, &m, sizeof(m), fds, 8, &nfds);
	if (n <= 0 || m.type != NETBACK_OPEN) {
		if (n > 0)
			svc_close_fds(fds, nfds);
		return 1;
	}
	if (do_open(&nb, &m, fds, nfds))
		return 1;
	nb.opened = true;
	return serve(&nb);
}

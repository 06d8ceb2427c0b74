// SPDX-License-Identifier: MIT
/*
 * The dom0 socket transport: a UNIX stream socket (mode 0600: root's
 * tools only) whose clients are privileged, as on Xen.  One epoll loop;
 * every client is non-blocking, handled a bounded number of messages at
 * a time, and not read from while it leaves too many replies untaken, so
 * one client cannot stall the others.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "xs_internal.h"

#define MAX_CLIENTS	256
#define READ_BUDGET	16	/* messages per client per wakeup */

struct xs_sclient {
	struct xs_sclient *next;
	struct xs_socket *s;
	struct xs_conn *conn;
	int fd;
	uint32_t events;	/* epoll interest now registered */
	struct xs_rx rx;
};

struct xs_socket {
	struct xs_store *st;
	int lfd;
	int ep;
	bool bound;		/* the path is ours to unlink */
	char *path;
	struct xs_sclient *clients;
	unsigned int nclients;
};

static void update_interest(struct xs_sclient *cl)
{
	struct epoll_event ev = { .data.ptr = cl };

	if (xs_conn_can_accept(cl->conn))
		ev.events |= EPOLLIN;
	if (cl->conn->out_head)
		ev.events |= EPOLLOUT;
	if (ev.events == cl->events)
		return;
	cl->events = ev.events;
	epoll_ctl(cl->s->ep, EPOLL_CTL_MOD, cl->fd, &ev);
}

/* Output was queued for this client, maybe from another thread. */
static void sclient_wake(struct xs_conn *c, void *opaque)
{
	update_interest(opaque);
}

static void drop_client(struct xs_sclient *cl)
{
	struct xs_socket *s = cl->s;

	for (struct xs_sclient **pp = &s->clients; *pp; pp = &(*pp)->next) {
		if (*pp == cl) {
			*pp = cl->next;
			break;
		}
	}
	epoll_ctl(s->ep, EPOLL_CTL_DEL, cl->fd, NULL);
	close(cl->fd);
	xs_store_lock(s->st);
	xs_conn_free(cl->conn);
	xs_store_unlock(s->st);
	free(cl);
	s->nclients--;
}

static void accept_client(struct xs_socket *s)
{
	struct epoll_event ev;
	struct xs_sclient *cl;
	int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (s->nclients >= MAX_CLIENTS || !(cl = calloc(1, sizeof(*cl)))) {
		close(fd);
		return;
	}
	xs_store_lock(s->st);
	cl->conn = xs_conn_new(s->st, 0, true);
	xs_store_unlock(s->st);
	if (!cl->conn) {
		close(fd);
		free(cl);
		return;
	}
	cl->s = s;
	cl->fd = fd;
	xs_rx_reset(&cl->rx);
	cl->events = EPOLLIN;
	ev.events = EPOLLIN;
	ev.data.ptr = cl;
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		xs_store_lock(s->st);
		xs_conn_free(cl->conn);
		xs_store_unlock(s->st);
		close(fd);
		free(cl);
		return;
	}
	cl->conn->wake = sclient_wake;
	cl->conn->wake_opaque = cl;
	cl->next = s->clients;
	s->clients = cl;
	s->nclients++;
}

/* 0 to keep the client, -1 to drop it. */
static int client_write(struct xs_sclient *cl)
{
	const void *p;
	size_t len;
	int ret = 0;

	xs_store_lock(cl->s->st);
	while ((p = xs_conn_out_peek(cl->conn, &len))) {
		ssize_t n = send(cl->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				ret = -1;
			break;
		}
		xs_conn_out_advance(cl->conn, (size_t)n);
	}
	if (!ret)
		update_interest(cl);
	xs_store_unlock(cl->s->st);
	return ret;
}

static int client_read(struct xs_sclient *cl)
{
	struct xs_store *st = cl->s->st;

	for (int budget = READ_BUDGET; budget > 0;) {
		size_t want;
		void *dst;
		ssize_t n;
		int rc;

		if (!xs_conn_can_accept(cl->conn))
			break;
		dst = xs_rx_ptr(&cl->rx, &want);
		n = read(cl->fd, dst, want);
		if (n == 0)
			return -1;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		rc = xs_rx_advance(&cl->rx, (size_t)n);
		if (rc < 0)
			return -1;	/* oversized: Xen drops the client */
		if (rc == 1) {
			xs_store_lock(st);
			xs_dispatch(cl->conn, &cl->rx.hdr, cl->rx.payload);
			xs_store_unlock(st);
			xs_rx_reset(&cl->rx);
			budget--;
		}
	}
	return 0;
}

struct xs_socket *xs_socket_open(struct xs_store *st, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN };
	struct xs_socket *s;
	struct stat sb;
	char *dir, *slash;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->st = st;
	s->lfd = s->ep = -1;
	s->path = strdup(path);
	dir = strdup(path);
	if (!s->path || !dir)
		goto fail;
	/* mkdir -p of the socket's directory. */
	for (slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			goto fail;
		*slash = '/';
	}
	/* A stale socket from an earlier run; never remove anything else. */
	if (lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode))
		unlink(path);
	strcpy(sa.sun_path, path);
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	s->bound = true;
	if (chmod(path, 0600) < 0 || listen(s->lfd, 64) < 0)
		goto fail;
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	ev.data.ptr = NULL;
	if (s->ep < 0 || epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &ev) < 0)
		goto fail;
	free(dir);
	return s;
fail:
	{
		int e = errno;

		free(dir);
		xs_socket_close(s);
		errno = e;
	}
	return NULL;
}

int xs_socket_run(struct xs_socket *s, volatile int *stop)
{
	struct epoll_event evs[32];

	while (!*stop) {
		int n = epoll_wait(s->ep, evs, 32, 500);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			struct xs_sclient *cl = evs[i].data.ptr;
			uint32_t e = evs[i].events;

			if (!cl) {
				accept_client(s);
				continue;
			}
			if ((e & EPOLLIN) && client_read(cl) < 0) {
				drop_client(cl);
				continue;
			}
			if ((e & (EPOLLERR | EPOLLHUP)) && !(e & EPOLLIN)) {
				drop_client(cl);
				continue;
			}
			if (client_write(cl) < 0)
				drop_client(cl);
		}
	}
	return 0;
}

void xs_socket_close(struct xs_socket *s)
{
	if (!s)
		return;
	while (s->clients)
		drop_client(s->clients);
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->bound)
		unlink(s->path);
	if (s->ep >= 0)
		close(s->ep);
	free(s->path);
	free(s);
}

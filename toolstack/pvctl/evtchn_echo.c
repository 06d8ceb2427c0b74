// SPDX-License-Identifier: MIT
/* The event channel echo service of `pvctl run --evtchn-echo`. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "pvisor/evtchn_dom0.h"
#include "evtchn_echo.h"

struct evtchn_echo {
	struct evtchn_dom0_chan ch;
	pthread_t thread;
	int stop_fd;
	unsigned long echoed;
};

static void *echo_thread(void *arg)
{
	struct evtchn_echo *e = arg;
	struct pollfd pfd[2] = {
		{ .fd = e->ch.notify_fd, .events = POLLIN },
		{ .fd = e->stop_fd, .events = POLLIN },
	};
	uint64_t n, one = 1;

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		if (!(pfd[0].revents & POLLIN) ||
		    read(e->ch.notify_fd, &n, sizeof(n)) != sizeof(n))
			continue;
		/* Sends coalesce like pending bits: one answer per wake-up. */
		if (write(e->ch.kick_fd, &one, sizeof(one)) == sizeof(one))
			e->echoed++;
	}
	return NULL;
}

int evtchn_echo_start(struct domain *d, struct evtchn_echo **out,
		      evtchn_port_t *guest_port)
{
	struct evtchn_echo *e = calloc(1, sizeof(*e));
	int rc;

	if (!e)
		return -ENOMEM;
	e->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (e->stop_fd < 0) {
		rc = -errno;
		free(e);
		return rc;
	}
	rc = evtchn_dom0_alloc(d, &e->ch);
	if (!rc) {
		rc = -pthread_create(&e->thread, NULL, echo_thread, e);
		if (rc)
			evtchn_dom0_close(e->ch.dom0_port);
	}
	if (rc) {
		close(e->stop_fd);
		free(e);
		return rc;
	}
	*guest_port = e->ch.guest_port;
	*out = e;
	return 0;
}

unsigned long evtchn_echo_stop(struct evtchn_echo *e)
{
	uint64_t one = 1;
	unsigned long n;

	if (!e)
		return 0;
	/* An eventfd write cannot fail here: the counter was zero. */
	(void)!write(e->stop_fd, &one, sizeof(one));
	pthread_join(e->thread, NULL);
	evtchn_dom0_close(e->ch.dom0_port);
	close(e->stop_fd);
	n = e->echoed;
	free(e);
	return n;
}

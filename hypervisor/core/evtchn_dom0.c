// SPDX-License-Identifier: MIT
/*
 * Dom0 endpoints of event channels (see evtchn_dom0.h): a pseudo-domain
 * whose ports signal eventfds, and one relay thread per process that
 * turns writes to the channels' kick eventfds into events for guests.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "pvisor/domain.h"
#include "pvisor/event_channel.h"
#include "pvisor/evtchn_dom0.h"
#include "pvisor/log.h"

static struct evtchn_domain dom0;
static pthread_once_t dom0_once = PTHREAD_ONCE_INIT;
static int dom0_rc;

/* Kick eventfds by dom0 port; the lock keeps a closing fd from reuse. */
static pthread_mutex_t kick_lock = PTHREAD_MUTEX_INITIALIZER;
static int *kick_fds;
static int epfd = -1;

static void *relay_thread(void *arg)
{
	struct epoll_event ev[32];

	(void)arg;
	for (;;) {
		int n = epoll_wait(epfd, ev, 32, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			pr_err("evtchn dom0 relay: epoll_wait: %d\n", errno);
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			evtchn_port_t port = ev[i].data.u32;
			uint64_t count;
			ssize_t got = -1;

			pthread_mutex_lock(&kick_lock);
			if (port <= EVTCHN_DOM0_MAX_PORT && kick_fds[port] >= 0)
				got = read(kick_fds[port], &count, sizeof(count));
			pthread_mutex_unlock(&kick_lock);
			if (got == (ssize_t)sizeof(count))
				evtchn_send(&dom0, port);
		}
	}
}

static void dom0_init(void)
{
	pthread_t relay;
	pthread_attr_t attr;

	kick_fds = malloc(sizeof(*kick_fds) * (EVTCHN_DOM0_MAX_PORT + 1));
	if (!kick_fds) {
		dom0_rc = -ENOMEM;
		return;
	}
	for (unsigned int i = 0; i <= EVTCHN_DOM0_MAX_PORT; i++)
		kick_fds[i] = -1;
	dom0_rc = evtchn_domain_init(&dom0, 0, NULL, 0, EVTCHN_DOM0_MAX_PORT,
				     NULL, NULL);
	if (!dom0_rc)
		dom0_rc = evtchn_domain_register(&dom0);
	if (dom0_rc)
		return;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0) {
		dom0_rc = -errno;
		return;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	dom0_rc = -pthread_create(&relay, &attr, relay_thread, NULL);
	pthread_attr_destroy(&attr);
}

static int dom0_ready(void)
{
	pthread_once(&dom0_once, dom0_init);
	return dom0_rc;
}

int evtchn_dom0_bind(domid_t domid, evtchn_port_t guest_port,
		     struct evtchn_dom0_chan *ch)
{
	struct evtchn_domain *rd;
	struct epoll_event ev = { .events = EPOLLIN };
	int notify, kick, nfd, rc;

	rc = dom0_ready();
	if (rc)
		return rc;
	if (domid == 0 || domid >= DOMID_FIRST_RESERVED)
		return -EINVAL;
	notify = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (notify < 0 || kick < 0) {
		rc = -errno;
		goto fail;
	}
	evtchn_global_lock();
	rd = evtchn_domain_lookup(domid);
	rc = rd ? evtchn_bind_interdomain_locked(&dom0, rd, guest_port, notify)
		: -ESRCH;
	evtchn_global_unlock();
	if (rc < 0)
		goto fail;
	nfd = notify;
	notify = -1;	/* the port owns it now */
	ev.data.u32 = (uint32_t)rc;
	pthread_mutex_lock(&kick_lock);
	kick_fds[rc] = kick;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, kick, &ev))
		pr_warn("evtchn dom0: cannot watch kick fd of port %d\n", rc);
	pthread_mutex_unlock(&kick_lock);
	ch->domid = domid;
	ch->guest_port = guest_port;
	ch->dom0_port = (evtchn_port_t)rc;
	ch->notify_fd = nfd;
	ch->kick_fd = kick;
	return 0;

fail:
	if (notify >= 0)
		close(notify);
	if (kick >= 0)
		close(kick);
	return rc;
}

int evtchn_dom0_alloc_unbound(struct domain *d, evtchn_port_t *guest_port)
{
	int port = evtchn_alloc_unbound(&d->evtchn, 0);

	if (port < 0)
		return port;
	*guest_port = (evtchn_port_t)port;
	return 0;
}

int evtchn_dom0_alloc(struct domain *d, struct evtchn_dom0_chan *ch)
{
	evtchn_port_t port;
	int rc = evtchn_dom0_alloc_unbound(d, &port);

	if (rc)
		return rc;
	rc = evtchn_dom0_bind(d->id, port, ch);
	if (rc)
		evtchn_close(&d->evtchn, port);
	return rc;
}

int evtchn_dom0_send(evtchn_port_t dom0_port)
{
	int rc = dom0_ready();

	return rc ? rc : evtchn_send(&dom0, dom0_port);
}

int evtchn_dom0_notify(struct domain *d, evtchn_port_t guest_port)
{
	int rc = dom0_ready();

	return rc ? rc : evtchn_raise_bound(&d->evtchn, guest_port, &dom0);
}

int evtchn_dom0_close(evtchn_port_t dom0_port)
{
	int rc = dom0_ready();

	if (rc)
		return rc;
	if (dom0_port > EVTCHN_DOM0_MAX_PORT)
		return -EINVAL;
	pthread_mutex_lock(&kick_lock);
	if (kick_fds[dom0_port] >= 0) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, kick_fds[dom0_port], NULL);
		close(kick_fds[dom0_port]);
		kick_fds[dom0_port] = -1;
	}
	pthread_mutex_unlock(&kick_lock);
	/* Closes notify_fd with the port. */
	return evtchn_close(&dom0, dom0_port);
}

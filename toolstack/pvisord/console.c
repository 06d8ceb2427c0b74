// SPDX-License-Identifier: MIT
/*
 * Domain consoles in the daemon: every byte the guest writes is kept in
 * a bounded history, appended to the domain's log file, and forwarded to
 * clients attached with `pvctl console`.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pvisord.h"

#define CONSOLE_HISTORY	(64 * 1024)
#define MAX_ATTACHED	8

struct pvd_console {
	pthread_mutex_t lock;
	struct msg_ring *history;
	int log_fd;
	unsigned long log_errors;
	int attached[MAX_ATTACHED];	/* client sockets, -1 = free */
};

struct pvd_console *pvd_console_new(const char *name)
{
	struct pvd_console *c = calloc(1, sizeof(*c));
	char path[PATH_MAX];

	if (!c)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	c->history = msg_ring_new(CONSOLE_HISTORY);
	for (int i = 0; i < MAX_ATTACHED; i++)
		c->attached[i] = -1;
	snprintf(path, sizeof(path), "%s/%s.log", pvd_opts->console_dir, name);
	c->log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (!c->history) {
		pvd_console_free(c);
		return NULL;
	}
	return c;
}

/* Make attached clients leave (the domain is going away). */
void pvd_console_hangup(struct pvd_console *c)
{
	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < MAX_ATTACHED; i++)
		if (c->attached[i] >= 0)
			shutdown(c->attached[i], SHUT_RDWR);
	pthread_mutex_unlock(&c->lock);
}

/* Only once no client is attached: the domain's last reference holds it. */
void pvd_console_free(struct pvd_console *c)
{
	if (!c)
		return;
	if (c->log_fd >= 0)
		close(c->log_fd);
	msg_ring_free(c->history);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void pvd_console_sink(struct domain *d, const char *buf, size_t len,
		      void *opaque)
{
	struct pvd_console *c = opaque;

	(void)d;
	msg_ring_append(c->history, buf, len);
	pthread_mutex_lock(&c->lock);
	/* A full disk must not stop the guest: the write may fail. */
	if (c->log_fd >= 0 && write(c->log_fd, buf, len) < 0)
		c->log_errors++;
	for (int i = 0; i < MAX_ATTACHED; i++) {
		/* A slow client loses output rather than stalling the guest. */
		if (c->attached[i] >= 0)
			send(c->attached[i], buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	pthread_mutex_unlock(&c->lock);
}

int pvd_console_attach(struct pvd_console *c, int fd,
		       void (*input)(void *opaque, const char *buf, size_t len),
		       void *opaque)
{
	char *hist;
	size_t len;
	int slot = -1;

	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < MAX_ATTACHED && slot < 0; i++)
		if (c->attached[i] < 0)
			slot = i;
	if (slot >= 0) {
		/* History first, under the lock, so nothing is seen twice. */
		hist = msg_ring_dump(c->history, &len);
		if (hist) {
			send(fd, hist, len, MSG_NOSIGNAL);
			free(hist);
		}
		c->attached[slot] = fd;
	}
	pthread_mutex_unlock(&c->lock);
	if (slot < 0)
		return -EBUSY;

	for (;;) {
		char buf[256];
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			break;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		input(opaque, buf, n);
	}
	pthread_mutex_lock(&c->lock);
	c->attached[slot] = -1;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

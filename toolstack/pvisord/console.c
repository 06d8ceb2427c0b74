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
#include <sys/stat.h>
#include <unistd.h>

#include "pvisord.h"

#define CONSOLE_HISTORY	(64 * 1024)
#define MAX_ATTACHED	8

struct pvd_console {
	pthread_mutex_t lock;
	struct msg_ring *history;
	int log_fd;
	char log_path[PATH_MAX];
	uint64_t log_size;		/* bytes in the current log file */
	uint64_t log_max;		/* rotate beyond this; 0: never */
	unsigned long log_errors;
	int attached[MAX_ATTACHED];	/* client sockets, -1 = free */
};

static int open_log(struct pvd_console *c)
{
	struct stat st;

	c->log_fd = open(c->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			 0640);
	c->log_size = c->log_fd >= 0 && !fstat(c->log_fd, &st) ? st.st_size : 0;
	return c->log_fd;
}

/*
 * A guest must not fill dom0's disk: past log_max bytes the log becomes
 * NAME.log.1 (replacing the one before) and a new NAME.log starts, so a
 * domain never has more than about twice log_max on disk.
 */
static void rotate_log(struct pvd_console *c)
{
	char old[PATH_MAX + 2];

	if (c->log_fd >= 0)
		close(c->log_fd);
	snprintf(old, sizeof(old), "%s.1", c->log_path);
	if (rename(c->log_path, old))
		unlink(c->log_path);
	open_log(c);
}

struct pvd_console *pvd_console_new(const char *name, uint64_t log_max)
{
	struct pvd_console *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	c->history = msg_ring_new(CONSOLE_HISTORY);
	for (int i = 0; i < MAX_ATTACHED; i++)
		c->attached[i] = -1;
	snprintf(c->log_path, sizeof(c->log_path), "%s/%s.log",
		 pvd_opts->console_dir, name);
	c->log_max = log_max;
	open_log(c);
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
	if (c->log_max && c->log_size && c->log_size + len > c->log_max)
		rotate_log(c);
	/* A full disk must not stop the guest: the write may fail. */
	if (c->log_fd >= 0 && write(c->log_fd, buf, len) < 0)
		c->log_errors++;
	else
		c->log_size += len;
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
			/* Never block under the lock: a client that does not
			 * read loses history, the guest loses nothing. */
			send(fd, hist, len, MSG_NOSIGNAL | MSG_DONTWAIT);
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

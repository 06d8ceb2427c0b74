// SPDX-License-Identifier: MIT
/* A bounded byte ring: keeps the newest bytes, drops the oldest. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pvisord.h"

struct msg_ring {
	pthread_mutex_t lock;
	size_t size, head, used;	/* head: next write position */
	char buf[];
};

struct msg_ring *msg_ring_new(size_t size)
{
	struct msg_ring *r = calloc(1, sizeof(*r) + size);

	if (!r)
		return NULL;
	pthread_mutex_init(&r->lock, NULL);
	r->size = size;
	return r;
}

void msg_ring_free(struct msg_ring *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r);
}

void msg_ring_append(struct msg_ring *r, const char *buf, size_t len)
{
	pthread_mutex_lock(&r->lock);
	if (len > r->size) {
		buf += len - r->size;
		len = r->size;
	}
	for (size_t done = 0; done < len;) {
		size_t n = r->size - r->head;

		if (n > len - done)
			n = len - done;
		memcpy(r->buf + r->head, buf + done, n);
		r->head = (r->head + n) % r->size;
		done += n;
	}
	r->used = r->used + len > r->size ? r->size : r->used + len;
	pthread_mutex_unlock(&r->lock);
}

char *msg_ring_dump(struct msg_ring *r, size_t *len)
{
	char *out;
	size_t start;

	pthread_mutex_lock(&r->lock);
	out = malloc(r->used + 1);
	if (out) {
		start = (r->head + r->size - r->used) % r->size;
		for (size_t i = 0; i < r->used; i++)
			out[i] = r->buf[(start + i) % r->size];
		out[r->used] = '\0';
		*len = r->used;
	}
	pthread_mutex_unlock(&r->lock);
	return out;
}

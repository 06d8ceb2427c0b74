// SPDX-License-Identifier: MIT
/*
 * The xenstore pvisord serves: one store (toolstack/xenstored) shared by
 * dom0 clients on its UNIX socket and by every guest on its ring.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "pvisor/log.h"
#include "../xenstored/xenstored.h"
#include "backend.h"

static struct xs_store *store;
static struct xs_socket *sock;
static volatile int sock_stop;
static pthread_t sock_thread;

struct xs_store *pvd_xenstore(void)
{
	return store;
}

static void *socket_main(void *arg)
{
	(void)arg;
	xs_socket_run(sock, &sock_stop);
	xs_thread_exit();
	return NULL;
}

int pvd_xenstore_start(const char *socket_path)
{
	store = xs_store_new(NULL);
	if (!store)
		return -ENOMEM;
	sock = xs_socket_open(store, socket_path);
	if (!sock) {
		pr_err("xenstore: cannot listen on %s: %s\n", socket_path,
		       strerror(errno));
		return -errno;
	}
	if (pthread_create(&sock_thread, NULL, socket_main, NULL))
		return -EAGAIN;
	pr_info("xenstore ready on %s\n", socket_path);
	return 0;
}

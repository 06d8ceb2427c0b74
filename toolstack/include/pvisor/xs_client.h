/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_XS_CLIENT_H
#define PVISOR_XS_CLIENT_H

/*
 * A dom0 client of xenstore's UNIX socket, speaking xs_wire as Xen's
 * libxenstore does: blocking requests, one at a time, and watch events
 * queued in arrival order while a request waits for its reply. One
 * thread per client (no locking inside).
 *
 * Errors are negative errno values: the XS_ERROR name the daemon sent
 * (-ENOENT, -EACCES, ...), or -EIO once the connection is broken.
 */

#include <stdbool.h>
#include <stddef.h>

struct xs_client;

int xs_client_open(const char *socket_path, struct xs_client **out);
void xs_client_close(struct xs_client *c);
/* Readable when an event may be waiting: poll it, then call _event. */
int xs_client_fd(const struct xs_client *c);

/* The value, NUL-terminated (caller frees); *len may be NULL. */
int xs_client_read(struct xs_client *c, const char *path, char **val,
		   size_t *len);
/* The children's names, each NUL-terminated, in one buffer of *len. */
int xs_client_directory(struct xs_client *c, const char *path, char **list,
			size_t *len);
int xs_client_write(struct xs_client *c, const char *path, const char *val);
int xs_client_printf(struct xs_client *c, const char *path,
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int xs_client_mkdir(struct xs_client *c, const char *path);
int xs_client_rm(struct xs_client *c, const char *path);
/* perms: "n0", "r5", ...: the owner's entry first (xs_wire order). */
int xs_client_set_perms(struct xs_client *c, const char *path,
			const char *const *perms, unsigned int n);
int xs_client_watch(struct xs_client *c, const char *path, const char *token);
int xs_client_unwatch(struct xs_client *c, const char *path,
		      const char *token);

/*
 * The next watch event: 1 with *path and *token set (one allocation:
 * free *path only), 0 when none is queued and wait is false.
 */
int xs_client_event(struct xs_client *c, bool wait, char **path,
		    char **token);

#endif

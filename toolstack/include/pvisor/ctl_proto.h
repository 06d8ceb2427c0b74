/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_CTL_PROTO_H
#define PVISOR_CTL_PROTO_H

#include <stddef.h>
#include <stdint.h>

/*
 * The pvisord control protocol, spoken on a UNIX stream socket.
 *
 * A request is a header and a payload of NUL-terminated strings: the
 * command, then its arguments (argv style, so no quoting rules). A reply
 * is a header whose status is 0 or a negative errno, and a payload of
 * text for the operator (on error: the reason, one line). The version is
 * checked on every message; a daemon refuses versions it does not speak.
 *
 * A request may carry open file descriptors (SCM_RIGHTS, on the first
 * byte of its header): files the caller names (a kernel, a ramdisk) are
 * opened by the caller with its own rights and passed, never opened by
 * the daemon. "create" takes the kernel's, then the ramdisk's if it names
 * one; its kernel= and ramdisk= values are only their names (absolute).
 *
 * After a successful "console" reply the connection carries raw console
 * bytes both ways until either side closes it.
 */
#define CTL_MAGIC		0x31435650u	/* "PVC1" */
#define CTL_VERSION		2u	/* 2: descriptors instead of paths */
#define CTL_MAX_FDS		20	/* kernel, ramdisk, disks */
#define CTL_MAX_PAYLOAD		(1u << 20)
#define CTL_MAX_ARGS		64
#define CTL_DEFAULT_SOCKET	"/run/pvisor/pvisord.sock"

struct ctl_header {
	uint32_t magic;
	uint32_t version;
	int32_t status;		/* replies only */
	uint32_t len;		/* payload bytes that follow */
};

/* A parsed request: argv[0] is the command. Points into payload. */
struct ctl_request {
	int argc;
	char *argv[CTL_MAX_ARGS + 1];
	char *payload;
	int fds[CTL_MAX_FDS];	/* descriptors passed with it, in order */
	int nfds;
};

int ctl_send_request(int fd, int argc, char *const argv[]);
/* The same, passing nfds descriptors along (at most CTL_MAX_FDS). */
int ctl_send_request_fds(int fd, int argc, char *const argv[],
			 const int *fds, int nfds);
/*
 * Reads one request, whole within timeout_ms (-1: no limit; -ETIMEDOUT
 * otherwise); the caller frees it with ctl_request_free(), which also
 * closes any descriptors the caller did not take (set to -1).
 */
int ctl_recv_request(int fd, struct ctl_request *req, int timeout_ms);
void ctl_request_free(struct ctl_request *req);
/* Parse a request payload of len bytes (whole NUL-terminated strings). */
int ctl_parse_request(char *payload, size_t len, struct ctl_request *req);
/* Gives up after timeout_ms (-1: no limit; 0: only what fits at once). */
int ctl_send_reply(int fd, int status, const char *text, size_t len,
		   int timeout_ms);
/* Reads one reply; *text is NUL-terminated, caller frees. */
int ctl_recv_reply(int fd, int *status, char **text, size_t *len);

#endif

/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_SVC_H
#define PVISOR_SVC_H

/*
 * What every sandboxed dom0 service (pvblkback, pvnetback) shares: the
 * client side of pvisord's grant broker (pvisor/gnt_broker.h), through
 * which it reaches its guest's memory without holding any of it, and the
 * sandbox it enters once set up.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pvisor/gnt_broker.h"

/* The memfd shared with pvisord's broker thread, and its eventfds. */
struct svc_broker {
	struct gnt_broker_shm *shm;
	uint8_t *data;			/* the data area */
	uint64_t data_len;
	int go, done;			/* ours to signal, pvisord's answer */
	int ctl;			/* watched only for its hang-up */
	unsigned int n;			/* ops queued */
	uint64_t batches, ops;		/* run so far */
};

/*
 * Map shm_fd (GNT_BROKER_DATA_OFF + data_len bytes; the caller may close
 * it afterwards) and keep go_fd and done_fd; ctl is the service's control
 * socket: pvisord gone while a batch runs is its hang-up. 0, or < 0 with
 * why filled in.
 */
int svc_broker_open(struct svc_broker *br, int shm_fd, int go_fd,
		    int done_fd, int ctl, uint64_t data_len, char *why,
		    size_t len);
/* Queue an op on the data area at p; NULL if the batch is full. */
struct gnt_broker_op *svc_broker_add(struct svc_broker *br, uint8_t kind,
				     uint32_t gref, unsigned int off,
				     unsigned int len, const void *p);
/* Room for n more ops in this batch. */
static inline bool svc_broker_room(const struct svc_broker *br,
				   unsigned int n)
{
	return br->n + n <= GNT_BROKER_MAX_OPS;
}
/* Run what is queued: 0, or -EPIPE if pvisord is gone (every op then
 * fails). Statuses are in br->shm->ops[] until the next add. */
int svc_broker_run(struct svc_broker *br);
/* Status of op i of the batch last run. */
static inline int16_t svc_broker_status(const struct svc_broker *br,
					unsigned int i)
{
	return __atomic_load_n(&br->shm->ops[i].status, __ATOMIC_RELAXED);
}

/*
 * One more system call a service needs beyond the common set; with
 * has_arg, allowed only when its argument arg equals val (rules for the
 * same call add up).
 */
struct svc_syscall {
	int nr;
	bool has_arg;
	unsigned int arg;
	uint64_t val;
};

/*
 * Become nobody (when started as root), not dumpable, no new privileges,
 * then a seccomp allow-list that kills the process on anything else: the
 * common set (I/O on descriptors held, poll, the control socket, memory
 * never executable, exit) plus extra[0..n).
 */
int svc_sandbox_enter(const struct svc_syscall *extra, size_t n);

/*
 * The control socket (svc_ctl.c). svc_ctl_recv: one message of len
 * bytes and up to max fds (at most SVC_CTL_MAX_FDS); 0 at EOF (pvisord
 * went away), -EPROTO for a packet of another size (its fds closed).
 */
#define SVC_CTL_MAX_FDS	8
int svc_ctl_send(int ctl, const void *msg, size_t len);
ssize_t svc_ctl_recv(int ctl, void *msg, size_t len, int *fds,
		     unsigned int max, unsigned int *nfds);
void svc_close_fds(int *fds, unsigned int n);

#endif

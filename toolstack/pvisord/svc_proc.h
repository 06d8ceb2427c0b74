/* SPDX-License-Identifier: MIT */
#ifndef PVISORD_SVC_PROC_H
#define PVISORD_SVC_PROC_H

/*
 * The service processes pvisord starts for a guest's devices
 * (pvblkback, pvnetback): each installed next to pvisord, started with
 * only its control socket (a SOCK_SEQPACKET socketpair, as fd 3) and no
 * environment, spoken to in fixed-size messages whose first field is a
 * uint32_t type, with file descriptors passed by SCM_RIGHTS.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SVC_CTL_FD		3
#define SVC_CTL_TIMEOUT_MS	10000	/* a service's answer */
#define SVC_MAX_FDS		8	/* per message */

struct svc_proc {
	pid_t pid;			/* 0: none */
	int ctl;			/* -1 once the service is gone */
	char note[96];			/* why it went, once reaped */
};

/* Start the program exe (a file name next to pvisord's own binary). */
int svc_spawn(struct svc_proc *p, const char *exe);
/* The full path svc_spawn() runs for exe. */
const char *svc_exe_path(const char *exe, char *buf, size_t len);

int svc_send(struct svc_proc *p, const void *msg, size_t len,
	     const int *fds, unsigned int nfds);

/*
 * Send req, then wait (SVC_CTL_TIMEOUT_MS) for the reply of type want;
 * messages of type log_type on the way go to log(arg, msg).
 */
int svc_call(struct svc_proc *p, const void *req, size_t len,
	     const int *fds, unsigned int nfds, uint32_t want, void *rep,
	     uint32_t log_type, void (*log)(void *arg, const void *msg),
	     void *arg);

/*
 * Close the control socket (a healthy service exits on its end) and
 * reap the process, killing it if it must go now or does not go;
 * p->note says why it went if that was not a clean exit.
 */
void svc_reap(struct svc_proc *p, bool kill_it);

#endif

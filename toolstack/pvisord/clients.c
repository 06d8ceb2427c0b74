// SPDX-License-Identifier: MIT
/*
 * Who may talk to pvisord, and how much: root, or a member of the
 * configured group by any of its groups (primary or supplementary, as
 * the socket's own 0660 mode lets them in); and a bounded number of
 * connections per user and in all (root always gets in). Admission runs
 * in the accept loop, before a thread is spent on the connection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "pvisord.h"

#define CLIENTS_PER_USER	16	/* concurrent, for anyone but root */
#define CLIENTS_TOTAL		128	/* concurrent, all non-root users */
#define GROUPS_FIRST_TRY	64

static pthread_mutex_t clients_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int clients_total;
static struct { uid_t uid; unsigned int n; } per_user[CLIENTS_TOTAL];

static bool has_group(const gid_t *groups, size_t n, gid_t group)
{
	for (size_t i = 0; i < n; i++)
		if (groups[i] == group)
			return true;
	return false;
}

/*
 * The peer's groups as they were at connect() (SO_PEERGROUPS, Linux
 * 4.13+); the kernel says how much room it needs when the first guess
 * is short. 1 in group, 0 not, or a negative errno.
 */
static int peer_groups_sockopt(int fd, gid_t group)
{
	socklen_t len = GROUPS_FIRST_TRY * sizeof(gid_t);
	gid_t *g = NULL;
	int rc = -ERANGE;

	for (int tries = 0; tries < 3 && rc == -ERANGE; tries++) {
		gid_t *ng = realloc(g, len ? len : sizeof(gid_t));

		if (!ng) {
			rc = -ENOMEM;
			break;
		}
		g = ng;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len))
			rc = -errno;
		else
			rc = has_group(g, len / sizeof(gid_t), group);
	}
	free(g);
	return rc;
}

/*
 * Older kernels: the "Groups:" of /proc/<pid>/status, trusted only if
 * that process still has the peer's uid (the pid may have been reused;
 * a process that dropped the group since is judged as it is now).
 */
static int peer_groups_proc(const struct ucred *cred, gid_t group)
{
	char path[64], *line = NULL;
	bool uid_ok = false;
	size_t cap = 0;
	int rc = -ESRCH;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)cred->pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	/* getline(): a long group list is never cut inside a number. */
	while (getline(&line, &cap, f) > 0) {
		unsigned long r, e;

		if (sscanf(line, "Uid: %lu %lu", &r, &e) == 2)
			uid_ok = e == cred->uid;
		if (strncmp(line, "Groups:", 7))
			continue;
		rc = 0;
		for (char *p = line + 7, *end;; p = end) {
			unsigned long v = strtoul(p, &end, 10);

			if (end == p)
				break;
			if (v == group)
				rc = 1;
		}
	}
	free(line);
	fclose(f);
	return uid_ok ? rc : -ESRCH;
}

int clients_admit(int fd, gid_t group, uid_t *uid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int rc;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return -EACCES;
	*uid = cred.uid;
	if (cred.uid == 0)
		return 0;
	if (group == (gid_t)-1)
		return -EACCES;
	if (cred.gid == group)
		return 0;
	rc = peer_groups_sockopt(fd, group);
	if (rc == -ENOPROTOOPT)
		rc = peer_groups_proc(&cred, group);
	return rc == 1 ? 0 : -EACCES;
}

int clients_enter(uid_t uid)
{
	int slot = -1, rc = 0;

	if (uid == 0)
		return 0;
	pthread_mutex_lock(&clients_lock);
	for (int i = 0; i < CLIENTS_TOTAL; i++) {
		if (per_user[i].n && per_user[i].uid == uid) {
			slot = i;
			break;
		}
		if (!per_user[i].n && slot < 0)
			slot = i;
	}
	if (clients_total >= CLIENTS_TOTAL || slot < 0)
		rc = -EUSERS;
	else if (per_user[slot].n >= CLIENTS_PER_USER)
		rc = -EMFILE;
	else {
		per_user[slot].uid = uid;
		per_user[slot].n++;
		clients_total++;
	}
	pthread_mutex_unlock(&clients_lock);
	return rc;
}

void clients_leave(uid_t uid)
{
	if (uid == 0)
		return;
	pthread_mutex_lock(&clients_lock);
	for (int i = 0; i < CLIENTS_TOTAL; i++)
		if (per_user[i].n && per_user[i].uid == uid) {
			per_user[i].n--;
			clients_total--;
			break;
		}
	pthread_mutex_unlock(&clients_lock);
}

void clients_set_timeouts(int fd)
{
	/*
	 * Requests and replies run against their own deadline (ctl_proto.c);
	 * this bounds the console's blocking history send, so a client that
	 * never reads cannot hold the console's lock.
	 */
	struct timeval tv = { .tv_sec = CLIENT_TIMEOUT_MS / 1000 };

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

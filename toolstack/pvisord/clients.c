// SPDX-License-Identifier: MIT
/*
 * Who may talk to pvisord, and how much: root, or a member of the
 * configured group by any of its groups (primary or supplementary, as
 * the socket's own 0660 mode lets them in); a bounded number of
 * connections per user and in all (root always gets in); and a request
 * that is not whole within a few seconds is dropped.
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
#define REQUEST_TIMEOUT_S	5	/* to send a request, or take a reply */
#define MAX_GROUPS		256

static pthread_mutex_t clients_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int clients_total;
static struct { uid_t uid; unsigned int n; } per_user[CLIENTS_TOTAL];

/* The peer's groups (SO_PEERGROUPS, Linux 4.13+); 0 or a negative errno. */
static int peer_groups(int fd, gid_t *groups, int *n)
{
	socklen_t len = sizeof(gid_t) * MAX_GROUPS;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len))
		return -errno;
	*n = (int)(len / sizeof(gid_t));
	return 0;
}

int clients_admit(int fd, gid_t group, uid_t *uid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	gid_t groups[MAX_GROUPS];
	int n = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return -EACCES;
	*uid = cred.uid;
	if (cred.uid == 0)
		return 0;
	if (group == (gid_t)-1)
		return -EACCES;
	if (cred.gid == group)
		return 0;
	if (peer_groups(fd, groups, &n))
		return -EACCES;
	for (int i = 0; i < n; i++)
		if (groups[i] == group)
			return 0;
	return -EACCES;
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
	struct timeval tv = { .tv_sec = REQUEST_TIMEOUT_S };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

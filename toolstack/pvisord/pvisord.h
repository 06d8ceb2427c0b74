/* SPDX-License-Identifier: MIT */
#ifndef PVISORD_H
#define PVISORD_H

#include <pthread.h>
#include <sys/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "pvisor/domain.h"
#include "pvisor/platform.h"
#include "backend.h"
#include "vbd.h"
#include "vif.h"

#define PVD_MAX_DISKS	16
#define PVD_MAX_NICS	8	/* CFG_MAX_VIFS */

struct msg_ring;

/* What to do when a domain stops, per reason (xl's on_* keys). */
enum pvd_action {
	PVD_ACTION_DESTROY,
	PVD_ACTION_RESTART,
	PVD_ACTION_PRESERVE,
};

/* Everything needed to (re)build a domain: what `create` was given. */
struct pvd_domain_spec {
	char name[64];
	enum domain_type type;		/* PV unless `type=` said otherwise */
	char kernel[4096];
	char ramdisk[4096];
	char cmdline[1024];
	uint64_t memory_mb;
	unsigned int vcpus;
	enum pvd_action on_poweroff, on_reboot, on_crash;
	uint64_t console_log_max;	/* bytes before the log rotates */
	/*
	 * The kernel and ramdisk as the client opened them, with its own
	 * rights (kernel/ramdisk above only name them). Read again at
	 * every reboot; owned by the domain. -1: none.
	 */
	int kernel_fd, ramdisk_fd;
	/* Disks, with their images as the client opened them (owned). */
	struct pvd_disk disks[PVD_MAX_DISKS];
	unsigned int ndisks;
	/* Network interfaces: given ones and hot-plugged ones. */
	struct pvd_nic nics[PVD_MAX_NICS];
	unsigned int nnics;
};

/* A domain as the daemon keeps it, across reboots of the guest. */
struct pvd_domain {
	struct pvd_domain *next;
	struct pvd_domain_spec spec;
	struct domain *d;		/* NULL between a stop and a restart */
	unsigned int refs;		/* protected by pvd_lock */
	pthread_t waiter;		/* applies on_* when the guest stops */
	bool waiter_started;
	bool destroying;
	bool preserved;			/* stopped, kept until destroyed */
	char state_note[64];		/* e.g. "crashed", "shutdown (poweroff)" */
	struct pvd_console *console;
	struct pvd_backend backend;	/* xenstore and console rings */
	unsigned int restarts;
	time_t booted_at;
};

struct pvd_options {
	const char *socket_path;
	const char *log_path;
	const char *console_dir;
	const char *group;		/* may use the socket besides root */
	const char *xenstore_socket;
	bool foreground;
	bool no_kvm;			/* control plane only: create is refused */
};

extern struct plat_info pvd_host;
extern pthread_mutex_t pvd_lock;	/* the domain list */
extern struct pvd_domain *pvd_domains;
extern struct msg_ring *pvd_dmesg;
extern const struct pvd_options *pvd_opts;

/* domains.c */
/* Takes the spec's descriptors, whatever the outcome. */
int pvd_domain_create(const struct pvd_domain_spec *spec, char *err,
		      size_t errlen, unsigned int *domid);
/* Look up by id or name; takes a reference. */
struct pvd_domain *pvd_domain_get(const char *id_or_name);
void pvd_domain_put(struct pvd_domain *pd);
int pvd_domain_destroy(struct pvd_domain *pd);
void pvd_destroy_all(void);
const char *pvd_domain_state(const struct pvd_domain *pd);
int pvd_parse_action(const char *s, enum pvd_action *out);

/* console.c */
struct pvd_console;
/* log_max: bytes before the log file rotates (0: never). */
struct pvd_console *pvd_console_new(const char *name, uint64_t log_max);
void pvd_console_free(struct pvd_console *c);
void pvd_console_hangup(struct pvd_console *c);
void pvd_console_sink(struct domain *d, const char *buf, size_t len,
		      void *opaque);
/*
 * Stream the console to fd until the client leaves; what the client types
 * goes to input(opaque, ...). Returns then.
 */
int pvd_console_attach(struct pvd_console *c, int fd,
		       void (*input)(void *opaque, const char *buf, size_t len),
		       void *opaque);

/* msg_ring.c: bounded text ring (dmesg, console history). */
struct msg_ring *msg_ring_new(size_t size);
void msg_ring_free(struct msg_ring *r);
void msg_ring_append(struct msg_ring *r, const char *buf, size_t len);
/* Copy out the whole ring, oldest first; caller frees. */
char *msg_ring_dump(struct msg_ring *r, size_t *len);

/* commands.c */
void pvd_serve_client(int fd);

/* clients.c: admission to the control socket. */
/* A request must be whole, and a reply taken, within this. */
#define CLIENT_TIMEOUT_MS	5000
/* 0 if the peer may use pvisord (root, or in group by any of its groups). */
int clients_admit(int fd, gid_t group, uid_t *uid);
/* Count a connection of uid: -EMFILE / -EUSERS when over the limits. */
int clients_enter(uid_t uid);
void clients_leave(uid_t uid);
/* Bound what the console's blocking sends may wait for a client. */
void clients_set_timeouts(int fd);

#endif

// SPDX-License-Identifier: MIT
/*
 * Virtual block devices (vbd.h): pvisord's half of each disk. It starts
 * the disk's pvblkback, writes the xenstore nodes blkfront reads, follows
 * the frontend's xenbus state, and hands the backend the ring and event
 * channel the frontend published, after checking them. Everything read
 * from the frontend's directory is guest input.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/eventfd.h>
#include <sys/un.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pvabi/io/blkif.h>
#include <pvabi/io/xenbus.h>

#include "pvisor/blkback_ctl.h"
#include "pvisor/domain.h"
#include "pvisor/evtchn_dom0.h"
#include "pvisor/gnt_broker.h"
#include "pvisor/grant_table.h"
#include "pvisor/log.h"
#include "pvisor/xs_client.h"
#include "pvisord.h"
#include "svc_proc.h"
#include "vbd.h"

#define DETACH_WAIT_S		10	/* the frontend's, on detach */
#define MAX_RING_ORDER		4	/* BLKBACK_MAX_RING_PAGES */
#define VBD_POLL_MAX		32	/* backends one thread watches */

struct pvd_vbd {
	struct pvd_vbd *next;
	struct pvd_disk disk;
	dev_t img_dev;
	ino_t img_ino;
	struct svc_proc proc;		/* pvblkback */
	unsigned int domid;
	/* Its accesses to the guest's memory, done here. */
	struct gnt_broker *broker;
	struct blkback_msg info;
	struct evtchn_dom0_chan ch[BLKBACK_MAX_QUEUES];
	unsigned int nr_ch;		/* bound, one per queue */
	bool connected, detaching, gone;
	int be_state;
	char be[96], fe[96];
	/* Formats other than raw: the image's NBD server, and its dir. */
	pid_t server_pid;
	char server_dir[64];
};

struct pvd_vbds {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct domain *d;
	unsigned int domid;
	struct xs_client *xs;
	struct pvd_vbd *vbds;
	int wake_fd;
	bool stop;
	unsigned int users;		/* pvd_vbds_get() without a put */
	pthread_t thread;
	bool thread_started;
};

/* Images in use by any domain: a writer excludes every other user. */
static pthread_mutex_t users_lock = PTHREAD_MUTEX_INITIALIZER;
struct image_user {
	struct image_user *next;
	dev_t dev;
	ino_t ino;
	bool writable;
	unsigned int domid;
	const struct pvd_vbd *v;
};
static struct image_user *users;

static int claim_image(struct pvd_vbd *v, unsigned int domid, char *err,
		       size_t errlen)
{
	struct image_user *u;

	pthread_mutex_lock(&users_lock);
	for (u = users; u; u = u->next)
		if (u->dev == v->img_dev && u->ino == v->img_ino &&
		    (u->writable || !v->disk.readonly)) {
			snprintf(err, errlen, "%s: %s is in use by domain %u "
				 "(%s), and a disk written by one domain is "
				 "never shared", v->disk.vdev, v->disk.target,
				 u->domid, u->writable ? "writable" : "read-only");
			pthread_mutex_unlock(&users_lock);
			return -EBUSY;
		}
	u = calloc(1, sizeof(*u));
	if (u) {
		*u = (struct image_user){ .next = users, .dev = v->img_dev,
					  .ino = v->img_ino, .domid = domid,
					  .writable = !v->disk.readonly, .v = v };
		users = u;
	}
	pthread_mutex_unlock(&users_lock);
	return u ? 0 : -ENOMEM;
}

static void release_image(const struct pvd_vbd *v)
{
	pthread_mutex_lock(&users_lock);
	for (struct image_user **pp = &users; *pp; pp = &(*pp)->next)
		if ((*pp)->v == v) {
			struct image_user *u = *pp;

			*pp = u->next;
			free(u);
			break;
		}
	pthread_mutex_unlock(&users_lock);
}

/* -------------------------------------------------- the backend -- */

static void log_backend(void *arg, const void *msg)
{
	const struct pvd_vbd *v = arg;
	const struct blkback_msg *m = msg;

	pr_warn("d%u %s: backend: %.*s\n", v->domid, v->disk.vdev,
		(int)sizeof(m->text), m->text);
}

static void reap_backend(struct pvd_vbds *s, struct pvd_vbd *v, bool kill_it)
{
	(void)s;
	svc_reap(&v->proc, kill_it);
}

/* Once the backend is reaped: nothing can ask the broker anything. */
static void stop_broker(struct pvd_vbd *v)
{
	gnt_broker_stop(v->broker);
	v->broker = NULL;
}

/*
 * One request, one reply of type want; LOG messages on the way are
 * logged. Called with s->lock held (the thread reads only under it).
 */
static int ctl_call(struct pvd_vbds *s, struct pvd_vbd *v,
		    const struct blkback_msg *req, const int *fds,
		    unsigned int nfds, uint32_t want, struct blkback_msg *rep)
{
	(void)s;
	return svc_call(&v->proc, req, sizeof(*req), fds, nfds, want, rep,
			BLKBACK_LOG, log_backend, v);
}

/* ------------------------------------------- the image server -- */

static void stop_image_server(struct pvd_vbd *v)
{
	char path[96];

	if (v->server_pid > 0) {
		int status;

		kill(v->server_pid, SIGTERM);
		for (int i = 0; i < 200; i++) {
			if (waitpid(v->server_pid, &status, WNOHANG) ==
			    v->server_pid)
				break;
			if (i == 199) {
				kill(v->server_pid, SIGKILL);
				waitpid(v->server_pid, &status, 0);
			}
			usleep(10000);
		}
	}
	v->server_pid = 0;
	if (v->server_dir[0]) {
		snprintf(path, sizeof(path), "%s/nbd.sock", v->server_dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/server.log", v->server_dir);
		unlink(path);
		rmdir(v->server_dir);
	}
	v->server_dir[0] = '\0';
}

/* The server's first complaint, for the user. */
static void server_complaint(struct pvd_vbd *v, char *out, size_t len)
{
	char path[96], line[1024], *why;
	FILE *f;

	snprintf(out, len, "the image server failed");
	snprintf(path, sizeof(path), "%s/server.log", v->server_dir);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		/* "qemu-storage-daemon: --blockdev OPTIONS: WHY": the why */
		why = strrchr(line, ':');
		why = why && why[1] ? why + 2 : line;
		len = strnlen(why, len - 1);
		memcpy(out, why, len);
		out[len] = '\0';
	}
	fclose(f);
}

/*
 * A format other than raw: qemu-storage-daemon reads the image the user
 * opened (its fd 3, reopened through /proc/self/fd/3 with the user's
 * uid and gid, so it can do no more than they can, backing files
 * included) and exports it over NBD on a UNIX socket in a directory of
 * the user's. Returns a connected socket for the backend.
 */
static int start_image_server(struct pvd_vbd *v, int *sock, char *err,
			      size_t errlen)
{
	const struct pvd_disk *dk = &v->disk;
	const char *fmt = strcmp(dk->format, "vhd") ? dk->format : "vpc";
	const char *ro = dk->readonly ? "on" : "off";
	const char *unmap = dk->discard && !dk->readonly ? ",discard=unmap" : "";
	char file_opt[256], fmt_opt[128], nbd_opt[128], exp_opt[128];
	char log[96], path[96], why[256];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	sigset_t all;
	int status;

	if (fstat(dk->fd, &st))
		return -EBADF;
	strcpy(v->server_dir, "/tmp/pvisor-image-XXXXXX");
	if (!mkdtemp(v->server_dir)) {
		v->server_dir[0] = '\0';
		snprintf(err, errlen, "%s: cannot make a directory for its "
			 "image server: %s", dk->vdev, strerror(errno));
		return -errno;
	}
	if (chown(v->server_dir, dk->uid, dk->gid)) {
		snprintf(err, errlen, "%s: cannot hand the image server its "
			 "directory: %s", dk->vdev, strerror(errno));
		return -EPERM;
	}
	snprintf(file_opt, sizeof(file_opt), "driver=%s,node-name=file,"
		 "filename=/proc/self/fd/3,read-only=%s%s",
		 S_ISBLK(st.st_mode) ? "host_device" : "file", ro, unmap);
	snprintf(fmt_opt, sizeof(fmt_opt), "driver=%s,node-name=fmt,file=file,"
		 "read-only=%s%s", fmt, ro, unmap);
	snprintf(path, sizeof(path), "%s/nbd.sock", v->server_dir);
	snprintf(nbd_opt, sizeof(nbd_opt), "addr.type=unix,addr.path=%s", path);
	snprintf(exp_opt, sizeof(exp_opt), "type=nbd,id=exp,node-name=fmt,"
		 "name=disk,writable=%s", dk->readonly ? "off" : "on");
	snprintf(log, sizeof(log), "%s/server.log", v->server_dir);
	char *argv[] = { "qemu-storage-daemon", "--blockdev", file_opt,
			 "--blockdev", fmt_opt, "--nbd-server", nbd_opt,
			 "--export", exp_opt, NULL };

	v->server_pid = fork();
	if (v->server_pid < 0) {
		v->server_pid = 0;
		return -errno;
	}
	if (v->server_pid == 0) {
		int lfd;

		/*
		 * The user's rights. (No PR_SET_PDEATHSIG: it fires when the
		 * forking thread ends, and this is a client's thread.)
		 */
		if (setgroups(0, NULL) || setresgid(dk->gid, dk->gid, dk->gid) ||
		    setresuid(dk->uid, dk->uid, dk->uid))
			_exit(126);
		lfd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (lfd < 0 || dup2(lfd, 1) < 0 || dup2(lfd, 2) < 0)
			_exit(126);
		if (dk->fd == 3 ? fcntl(3, F_SETFD, 0) : dup2(dk->fd, 3) < 0)
			_exit(126);
		close(0);
		close_range(4, ~0u, 0);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		execvp(argv[0], argv);
		dprintf(2, "cannot run qemu-storage-daemon: %s (install "
			"qemu-system-common)\n", strerror(errno));
		_exit(127);
	}
	strcpy(sa.sun_path, path);
	for (int i = 0; i < 3000; i++) {	/* 30 s: nested hosts are slow */
		int fd;

		if (waitpid(v->server_pid, &status, WNOHANG) == v->server_pid) {
			v->server_pid = 0;
			server_complaint(v, why, sizeof(why));
			snprintf(err, errlen, "%s: %s (%s): %s", dk->vdev,
				 dk->target, dk->format, why);
			return -EINVAL;
		}
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && !connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			*sock = fd;
			return 0;
		}
		if (fd >= 0)
			close(fd);
		usleep(10000);
	}
	snprintf(err, errlen, "%s: the image server did not come up in 30 s",
		 dk->vdev);
	return -ETIMEDOUT;
}

/* ---------------------------------------------------- xenstore -- */

static int be_write(struct pvd_vbds *s, struct pvd_vbd *v, const char *key,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int be_write(struct pvd_vbds *s, struct pvd_vbd *v, const char *key,
		    const char *fmt, ...)
{
	char path[160], val[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", v->be, key);
	return xs_client_write(s->xs, path, val);
}

static int set_be_state(struct pvd_vbds *s, struct pvd_vbd *v, int state)
{
	v->be_state = state;
	return be_write(s, v, "state", "%d", state);
}

/* A frontend node as an unsigned number; guest input, so strictly. */
static int fe_read_u32(struct pvd_vbds *s, struct pvd_vbd *v, const char *key,
		       uint32_t *out)
{
	char path[160], *val, *end;
	unsigned long n;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", v->fe, key);
	rc = xs_client_read(s->xs, path, &val, NULL);
	if (rc)
		return rc;
	errno = 0;
	n = strtoul(val, &end, 10);
	rc = (!val[0] || *end || errno || n > UINT32_MAX || val[0] == '-')
		? -EINVAL : 0;
	free(val);
	*out = (uint32_t)n;
	return rc;
}

static int write_nodes(struct pvd_vbds *s, struct pvd_vbd *v)
{
	const struct pvd_disk *dk = &v->disk;
	char owner[16], reader[16];
	const char *be_perms[2] = { "n0", reader };
	const char *fe_perms[2] = { owner, "r0" };
	uint32_t info = 0;
	int rc = 0;

	snprintf(owner, sizeof(owner), "n%u", s->domid);
	snprintf(reader, sizeof(reader), "r%u", s->domid);
	if (v->info.info.flags & BLKBACK_F_READONLY)
		info |= VDISK_READONLY;
	if (dk->cdrom)
		info |= VDISK_CDROM | VDISK_REMOVABLE;

	rc |= xs_client_mkdir(s->xs, v->be);
	rc |= xs_client_set_perms(s->xs, v->be, be_perms, 2);
	rc |= be_write(s, v, "frontend", "%s", v->fe);
	rc |= be_write(s, v, "frontend-id", "%u", s->domid);
	rc |= be_write(s, v, "online", "1");
	rc |= be_write(s, v, "removable", "%d", dk->cdrom);
	rc |= be_write(s, v, "bootable", "1");
	rc |= be_write(s, v, "dev", "%s", dk->vdev);
	rc |= be_write(s, v, "type", strcmp(dk->format, "raw") ? "qdisk" : "file");
	rc |= be_write(s, v, "mode", "%s", info & VDISK_READONLY ? "r" : "w");
	rc |= be_write(s, v, "params", "%s", dk->target);
	rc |= be_write(s, v, "device-type", "%s", dk->cdrom ? "cdrom" : "disk");
	rc |= be_write(s, v, "sectors", "%llu",
		       (unsigned long long)v->info.info.sectors);
	rc |= be_write(s, v, "sector-size", "%u", v->info.info.sector_size);
	rc |= be_write(s, v, "physical-sector-size", "%u",
		       v->info.info.physical_sector_size);
	rc |= be_write(s, v, "info", "%u", info);
	rc |= be_write(s, v, "feature-flush-cache", "1");
	rc |= be_write(s, v, "feature-max-indirect-segments", "%u",
		       v->info.info.max_indirect_segments);
	rc |= be_write(s, v, "max-ring-page-order", "%d", MAX_RING_ORDER);
	rc |= be_write(s, v, "multi-queue-max-queues", "%d", BLKBACK_MAX_QUEUES);
	if (v->info.info.flags & BLKBACK_F_DISCARD) {
		rc |= be_write(s, v, "feature-discard", "1");
		rc |= be_write(s, v, "discard-granularity", "%u",
			       v->info.info.discard_granularity);
		rc |= be_write(s, v, "discard-alignment", "0");
		rc |= be_write(s, v, "discard-secure", "0");
	}
	rc |= set_be_state(s, v, XenbusStateInitialising);

	rc |= xs_client_mkdir(s->xs, v->fe);
	rc |= xs_client_set_perms(s->xs, v->fe, fe_perms, 2);
	{
		char path[160];

		snprintf(path, sizeof(path), "%s/backend", v->fe);
		rc |= xs_client_write(s->xs, path, v->be);
		snprintf(path, sizeof(path), "%s/backend-id", v->fe);
		rc |= xs_client_write(s->xs, path, "0");
		snprintf(path, sizeof(path), "%s/virtual-device", v->fe);
		rc |= xs_client_printf(s->xs, path, "%u", dk->devid);
		snprintf(path, sizeof(path), "%s/device-type", v->fe);
		rc |= xs_client_write(s->xs, path, dk->cdrom ? "cdrom" : "disk");
		snprintf(path, sizeof(path), "%s/state", v->fe);
		rc |= xs_client_printf(s->xs, path, "%d",
				       XenbusStateInitialising);
	}
	/* Ready for the frontend's ring: InitWait. */
	rc |= set_be_state(s, v, XenbusStateInitWait);
	return rc ? -EIO : 0;
}

/* ------------------------------------------------ the handshake -- */

static void close_channels(struct pvd_vbd *v)
{
	for (unsigned int i = 0; i < v->nr_ch; i++)
		evtchn_dom0_close(v->ch[i].dom0_port);
	v->nr_ch = 0;
}

static void vbd_disconnect(struct pvd_vbds *s, struct pvd_vbd *v)
{
	struct blkback_msg m = { .type = BLKBACK_DISCONNECT }, rep;

	if ((v->connected || v->nr_ch) &&
	    ctl_call(s, v, &m, NULL, 0, BLKBACK_DISCONNECTED, &rep))
		pr_warn("d%u %s: backend did not let go of the ring\n",
			s->domid, v->disk.vdev);
	v->connected = false;
	close_channels(v);
}

/*
 * One queue's ring and event channel, from the frontend's directory
 * (dir: "" for a single queue, "queue-N/" for multi-queue), to the
 * backend.
 */
static int connect_queue(struct pvd_vbds *s, struct pvd_vbd *v,
			 unsigned int qi, const char *dir, int order)
{
	struct blkback_msg m = { .type = BLKBACK_CONNECT }, rep;
	struct evtchn_dom0_chan *ch = &v->ch[v->nr_ch];
	char key[48];
	uint32_t port;
	int fds[2], rc;

	m.connect.queue = qi;
	if (order < 0) {
		m.connect.nr_ring_pages = 1;
		snprintf(key, sizeof(key), "%sring-ref", dir);
		rc = fe_read_u32(s, v, key, &m.connect.ring_ref[0]);
	} else {
		m.connect.nr_ring_pages = 1u << order;
		rc = 0;
		for (uint32_t i = 0; !rc && i < m.connect.nr_ring_pages; i++) {
			snprintf(key, sizeof(key), "%sring-ref%u", dir, i);
			rc = fe_read_u32(s, v, key, &m.connect.ring_ref[i]);
		}
	}
	snprintf(key, sizeof(key), "%sevent-channel", dir);
	if (!rc)
		rc = fe_read_u32(s, v, key, &port);
	if (rc) {
		pr_warn("d%u %s: frontend's %sring-ref/event-channel missing "
			"or invalid\n", s->domid, v->disk.vdev, dir);
		return rc;
	}
	rc = evtchn_dom0_bind(s->domid, port, ch);
	if (rc) {
		pr_warn("d%u %s: cannot bind the frontend's event channel %u: "
			"%s\n", s->domid, v->disk.vdev, port, strerror(-rc));
		return rc;
	}
	v->nr_ch++;
	fds[0] = ch->notify_fd;
	fds[1] = ch->kick_fd;
	rc = ctl_call(s, v, &m, fds, 2, BLKBACK_CONNECTED, &rep);
	if (!rc)
		rc = rep.status;
	if (rc)
		pr_warn("d%u %s: backend cannot connect queue %u: %.*s\n",
			s->domid, v->disk.vdev, qi, (int)sizeof(rep.text),
			rep.type == BLKBACK_CONNECTED ? rep.text : strerror(-rc));
	return rc;
}

/* The frontend published its rings: check them, hand them over. */
static int vbd_connect(struct pvd_vbds *s, struct pvd_vbd *v)
{
	uint32_t order, queues = 1;
	char path[160], *proto;
	int rc, ord = -1;

	rc = fe_read_u32(s, v, "multi-queue-num-queues", &queues);
	if ((!rc && (queues < 1 || queues > BLKBACK_MAX_QUEUES)) ||
	    (rc && rc != -ENOENT)) {
		pr_warn("d%u %s: frontend asked for %u queues; 1 to %d are "
			"offered\n", s->domid, v->disk.vdev, queues,
			BLKBACK_MAX_QUEUES);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "%s/protocol", v->fe);
	if (!xs_client_read(s->xs, path, &proto, NULL)) {
		rc = strcmp(proto, "x86_64-abi") ? -EPROTONOSUPPORT : 0;
		free(proto);
		if (rc) {
			pr_warn("d%u %s: frontend protocol is not %s\n", s->domid,
				v->disk.vdev, "x86_64-abi");
			return rc;
		}
	}
	rc = fe_read_u32(s, v, "ring-page-order", &order);
	if (!rc && order > MAX_RING_ORDER) {
		pr_warn("d%u %s: ring-page-order %u is over %d\n", s->domid,
			v->disk.vdev, order, MAX_RING_ORDER);
		return -EINVAL;
	}
	if (!rc)
		ord = (int)order;
	else if (rc != -ENOENT)
		return rc;
	for (unsigned int qi = 0; qi < queues; qi++) {
		char dir[24] = "";

		if (queues > 1)
			snprintf(dir, sizeof(dir), "queue-%u/", qi);
		rc = connect_queue(s, v, qi, dir, ord);
		if (rc) {
			vbd_disconnect(s, v);	/* queues that did connect */
			return rc;
		}
	}
	v->connected = true;
	pr_info("d%u %s: connected (%u queue(s) of %u ring page(s))\n",
		s->domid, v->disk.vdev, queues, ord < 0 ? 1u : 1u << ord);
	return 0;
}

static void vbd_free(struct pvd_vbds *s, struct pvd_vbd *v)
{
	char path[160];

	vbd_disconnect(s, v);
	reap_backend(s, v, false);
	stop_broker(v);
	stop_image_server(v);
	if (v->be[0]) {
		snprintf(path, sizeof(path), "%s/state", v->fe);
		xs_client_unwatch(s->xs, path, v->disk.vdev);
		xs_client_rm(s->xs, v->be);
		xs_client_rm(s->xs, v->fe);
	}
	release_image(v);
	free(v);
}

/* Unlink and free v; wakes a detach waiting for it. */
static void vbd_remove(struct pvd_vbds *s, struct pvd_vbd *v)
{
	for (struct pvd_vbd **pp = &s->vbds; *pp; pp = &(*pp)->next)
		if (*pp == v) {
			*pp = v->next;
			break;
		}
	pr_info("d%u %s: removed\n", s->domid, v->disk.vdev);
	vbd_free(s, v);
	pthread_cond_broadcast(&s->changed);
}

/* The frontend's state changed (or the watch was just set). */
static void frontend_changed(struct pvd_vbds *s, struct pvd_vbd *v)
{
	uint32_t st;

	if (fe_read_u32(s, v, "state", &st))
		st = XenbusStateClosed;	/* gone, or garbage: treat as closed */
	switch (st) {
	case XenbusStateInitialising:
		/* A frontend starting over after Closed: offer again. */
		if (v->be_state == XenbusStateClosed && !v->detaching &&
		    v->proc.ctl >= 0)
			set_be_state(s, v, XenbusStateInitWait);
		break;
	case XenbusStateInitialised:
	case XenbusStateConnected:
		if (v->connected || v->be_state != XenbusStateInitWait ||
		    v->proc.ctl < 0)
			break;
		if (vbd_connect(s, v))
			set_be_state(s, v, XenbusStateClosing);
		else
			set_be_state(s, v, XenbusStateConnected);
		break;
	case XenbusStateClosing:
		vbd_disconnect(s, v);
		set_be_state(s, v, XenbusStateClosing);
		break;
	case XenbusStateClosed:
	default:
		vbd_disconnect(s, v);
		if (v->detaching) {
			vbd_remove(s, v);
			return;
		}
		if (v->be_state != XenbusStateClosed)
			set_be_state(s, v, XenbusStateClosed);
		break;
	}
}

static struct pvd_vbd *by_vdev(struct pvd_vbds *s, const char *vdev)
{
	for (struct pvd_vbd *v = s->vbds; v; v = v->next)
		if (!strcmp(v->disk.vdev, vdev))
			return v;
	return NULL;
}

/* The backend spoke or went away outside a call. */
static void backend_readable(struct pvd_vbds *s, struct pvd_vbd *v)
{
	struct blkback_msg m;
	ssize_t n;

	while ((n = recv(v->proc.ctl, &m, sizeof(m), MSG_DONTWAIT)) == sizeof(m))
		if (m.type == BLKBACK_LOG)
			log_backend(v, &m);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		reap_backend(s, v, false);
		if (!v->proc.note[0])
			snprintf(v->proc.note, sizeof(v->proc.note), "backend exited");
		pr_err("d%u %s: %s; the disk is gone for the guest\n",
		       s->domid, v->disk.vdev, v->proc.note);
		v->connected = false;
		close_channels(v);
		set_be_state(s, v, XenbusStateClosed);
	}
}

static void *vbd_thread(void *arg)
{
	struct pvd_vbds *s = arg;

	for (;;) {
		struct pollfd p[2 + VBD_POLL_MAX];
		struct pvd_vbd *who[VBD_POLL_MAX];
		unsigned int n = 2;
		char *path, *token;
		uint64_t cnt;

		pthread_mutex_lock(&s->lock);
		if (s->stop) {
			pthread_mutex_unlock(&s->lock);
			break;
		}
		p[0] = (struct pollfd){ .fd = s->wake_fd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = xs_client_fd(s->xs),
					.events = POLLIN };
		for (struct pvd_vbd *v = s->vbds; v && n < 2 + VBD_POLL_MAX;
		     v = v->next)
			if (v->proc.ctl >= 0) {
				who[n - 2] = v;
				p[n++] = (struct pollfd){ .fd = v->proc.ctl,
							  .events = POLLIN };
			}
		pthread_mutex_unlock(&s->lock);

		if (poll(p, n, -1) < 0 && errno != EINTR)
			break;
		pthread_mutex_lock(&s->lock);
		if (p[0].revents & POLLIN && read(s->wake_fd, &cnt, 8) < 0)
			cnt = 0;
		for (unsigned int i = 2; i < n && !s->stop; i++) {
			bool listed = false;

			for (struct pvd_vbd *v = s->vbds; v; v = v->next)
				listed |= v == who[i - 2];
			if (listed && who[i - 2]->proc.ctl == p[i].fd && p[i].revents)
				backend_readable(s, who[i - 2]);
		}
		while (!s->stop && xs_client_event(s->xs, false, &path,
						   &token) == 1) {
			struct pvd_vbd *v = by_vdev(s, token);

			if (v)
				frontend_changed(s, v);
			free(path);
		}
		pthread_mutex_unlock(&s->lock);
	}
	return NULL;
}

static void wake(struct pvd_vbds *s)
{
	uint64_t one = 1;

	if (write(s->wake_fd, &one, 8) < 0)
		pr_err("vbd: cannot wake d%u's device thread\n", s->domid);
}

/* ------------------------------------------------------ devices -- */

static int vbd_add(struct pvd_vbds *s, const struct pvd_disk *disk, char *err,
		   size_t errlen)
{
	struct blkback_msg m = { .type = BLKBACK_OPEN };
	struct gnt_broker_config bc = { .data_len = BLKBACK_BROKER_DATA_LEN };
	struct pvd_vbd *v;
	struct stat st;
	char path[160];
	int fds[4], rc;

	if (by_vdev(s, disk->vdev)) {
		snprintf(err, errlen, "%s: the domain has that disk already",
			 disk->vdev);
		return -EEXIST;
	}
	for (v = s->vbds; v; v = v->next)
		if (v->disk.devid == disk->devid) {
			snprintf(err, errlen, "%s: same device number as %s",
				 disk->vdev, v->disk.vdev);
			return -EEXIST;
		}
	if (fstat(disk->fd, &st)) {
		snprintf(err, errlen, "%s: no open image was passed", disk->vdev);
		return -EBADF;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->disk = *disk;
	v->proc.ctl = -1;
	v->img_dev = S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev;
	v->img_ino = S_ISBLK(st.st_mode) ? 0 : st.st_ino;
	rc = claim_image(v, s->domid, err, errlen);
	if (rc) {
		free(v);
		return rc;
	}
	v->domid = s->domid;
	rc = svc_spawn(&v->proc, "pvblkback");
	if (rc) {
		char exe[PATH_MAX];

		snprintf(err, errlen, "%s: cannot start %s: %s", disk->vdev,
			 svc_exe_path("pvblkback", exe, sizeof(exe)),
			 strerror(-rc));
		goto fail;
	}
	m.open.domid = s->domid;
	m.open.devid = disk->devid;
	m.open.flags = (disk->readonly ? BLKBACK_F_READONLY : 0) |
		       (disk->cdrom ? BLKBACK_F_CDROM : 0) |
		       (disk->discard ? BLKBACK_F_DISCARD : 0);
	/* The backend gets no guest memory: a broker here does its
	 * accesses, with our grant checks. */
	bc.ram_fd = s->d->ram_fd;
	bc.gnttab_fd = gnttab_domain_fd(s->d);
	rc = gnt_broker_start(&bc, &v->broker, &fds[0], &fds[1], &fds[2]);
	if (rc) {
		snprintf(err, errlen, "%s: cannot start its grant broker: %s",
			 disk->vdev, strerror(-rc));
		goto fail;
	}
	fds[3] = disk->fd;
	if (strcmp(disk->format, "raw")) {
		rc = start_image_server(v, &fds[3], err, errlen);
		if (rc) {
			for (int i = 0; i < 3; i++)
				close(fds[i]);
			goto fail;
		}
	}
	rc = ctl_call(s, v, &m, fds, 4, BLKBACK_INFO, &v->info);
	for (int i = 0; i < 3; i++)
		close(fds[i]);	/* the backend has its own now */
	if (fds[3] != disk->fd)
		close(fds[3]);
	if (!rc && v->info.status) {
		rc = v->info.status;
		snprintf(err, errlen, "%s: %s: %.*s", disk->vdev, disk->target,
			 (int)sizeof(v->info.text), v->info.text);
		goto fail;
	}
	if (rc) {
		reap_backend(s, v, true);
		snprintf(err, errlen, "%s: the backend did not start: %s",
			 disk->vdev, v->proc.note[0] ? v->proc.note : strerror(-rc));
		goto fail;
	}
	if (!disk->readonly && (v->info.info.flags & BLKBACK_F_READONLY)) {
		snprintf(err, errlen, "%s: %s was opened read-only", disk->vdev,
			 disk->target);
		rc = -EACCES;
		goto fail;
	}
	snprintf(v->be, sizeof(v->be), "/local/domain/0/backend/vbd/%u/%u",
		 s->domid, disk->devid);
	snprintf(v->fe, sizeof(v->fe), "/local/domain/%u/device/vbd/%u",
		 s->domid, disk->devid);
	rc = write_nodes(s, v);
	snprintf(path, sizeof(path), "%s/state", v->fe);
	if (!rc)
		rc = xs_client_watch(s->xs, path, disk->vdev);
	if (rc) {
		snprintf(err, errlen, "%s: cannot write its xenstore nodes: %s",
			 disk->vdev, strerror(-rc));
		goto fail;
	}
	v->next = s->vbds;
	s->vbds = v;
	pr_info("d%u %s: %s, %llu sectors, %s, backend pid %d\n", s->domid,
		disk->vdev, disk->target,
		(unsigned long long)v->info.info.sectors,
		v->info.info.flags & BLKBACK_F_READONLY ? "read-only" : "writable",
		(int)v->proc.pid);
	return 0;
fail:
	vbd_free(s, v);
	return rc;
}

int pvd_vbds_start(struct domain *d, const struct pvd_disk *disks,
		   unsigned int n, struct pvd_vbds **out, char *err,
		   size_t errlen)
{
	struct pvd_vbds *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->changed, NULL);
	s->d = d;
	s->domid = d->id;
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	rc = s->wake_fd < 0 ? -errno
			    : xs_client_open(pvd_opts->xenstore_socket, &s->xs);
	if (rc) {
		snprintf(err, errlen, "disks: cannot reach xenstore: %s",
			 strerror(-rc));
		goto fail;
	}
	pthread_mutex_lock(&s->lock);
	for (unsigned int i = 0; !rc && i < n; i++)
		rc = vbd_add(s, &disks[i], err, errlen);
	pthread_mutex_unlock(&s->lock);
	if (rc)
		goto fail;
	rc = -pthread_create(&s->thread, NULL, vbd_thread, s);
	if (rc) {
		snprintf(err, errlen, "disks: cannot start their thread");
		goto fail;
	}
	s->thread_started = true;
	*out = s;
	return 0;
fail:
	pvd_vbds_stop(s);
	return rc;
}

void pvd_vbds_stop(struct pvd_vbds *s)
{
	char path[64];

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	/* A detach waiting for the guest gives up; then nobody is inside. */
	pthread_cond_broadcast(&s->changed);
	while (s->users)
		pthread_cond_wait(&s->changed, &s->lock);
	pthread_mutex_unlock(&s->lock);
	if (s->thread_started) {
		wake(s);
		pthread_join(s->thread, NULL);
	}
	while (s->vbds) {
		struct pvd_vbd *v = s->vbds;

		s->vbds = v->next;
		vbd_free(s, v);
	}
	if (s->xs) {
		snprintf(path, sizeof(path), "/local/domain/0/backend/vbd/%u",
			 s->domid);
		xs_client_rm(s->xs, path);
		xs_client_close(s->xs);
	}
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	pthread_cond_destroy(&s->changed);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

struct pvd_vbds *pvd_vbds_get(struct pvd_vbds *s)
{
	pthread_mutex_lock(&s->lock);
	s->users++;
	pthread_mutex_unlock(&s->lock);
	return s;
}

void pvd_vbds_put(struct pvd_vbds *s)
{
	pthread_mutex_lock(&s->lock);
	s->users--;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
}

int pvd_vbd_attach(struct pvd_vbds *s, const struct pvd_disk *disk,
		   char *err, size_t errlen)
{
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = s->stop ? -ESRCH : vbd_add(s, disk, err, errlen);
	pthread_mutex_unlock(&s->lock);
	wake(s);	/* poll the new backend, see queued events */
	return rc;
}

int pvd_vbd_detach(struct pvd_vbds *s, const char *vdev, bool force,
		   char *err, size_t errlen)
{
	struct timespec until;
	struct pvd_vbd *v;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += DETACH_WAIT_S;
	pthread_mutex_lock(&s->lock);
	v = by_vdev(s, vdev);
	if (!v) {
		snprintf(err, errlen, "no disk %s", vdev);
		rc = -ENOENT;
	} else if (force || v->proc.ctl < 0) {
		vbd_remove(s, v);
	} else {
		v->detaching = true;
		if (v->be_state == XenbusStateClosed)
			vbd_remove(s, v);	/* the frontend is not there */
		else
			set_be_state(s, v, XenbusStateClosing);
		wake(s);
		while (!s->stop && by_vdev(s, vdev) == v && !rc)
			rc = pthread_cond_timedwait(&s->changed, &s->lock, &until);
		if (s->stop) {
			snprintf(err, errlen, "the domain is going away");
			rc = -ESRCH;
		} else if (rc == ETIMEDOUT) {
			snprintf(err, errlen, "the guest has not released %s "
				 "within %d s (in use?); it goes when the guest "
				 "lets go, or now with --force", vdev,
				 DETACH_WAIT_S);
			rc = -ETIMEDOUT;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int pvd_vbd_list(struct pvd_vbds *s, char **text)
{
	static const char *const states[] = { "unknown", "initialising",
		"initwait", "initialised", "connected", "closing", "closed",
		"reconfiguring", "reconfigured" };
	size_t len = 0, cap = 0;
	FILE *f = open_memstream(text, &len);

	if (!f)
		return -ENOMEM;
	(void)cap;
	fprintf(f, "%-6s %6s %-12s %-4s %7s %10s %10s %8s  %s\n", "Vdev",
		"DevId", "BE-state", "Mode", "Pid", "Reads", "Writes",
		"Errors", "Target");
	pthread_mutex_lock(&s->lock);
	for (struct pvd_vbd *v = s->vbds; v; v = v->next) {
		struct blkback_msg m = { .type = BLKBACK_STATS }, rep = { 0 };

		if (v->proc.ctl < 0 || ctl_call(s, v, &m, NULL, 0, BLKBACK_STATS, &rep))
			memset(&rep.stats, 0, sizeof(rep.stats));
		fprintf(f, "%-6s %6u %-12s %-4s %7d %10llu %10llu %8llu  %s%s%s\n",
			v->disk.vdev, v->disk.devid,
			v->be_state >= 0 && v->be_state <= 8
				? states[v->be_state] : "?",
			v->info.info.flags & BLKBACK_F_READONLY ? "r" : "w",
			(int)v->proc.pid, (unsigned long long)rep.stats.rd_reqs,
			(unsigned long long)rep.stats.wr_reqs,
			(unsigned long long)rep.stats.errors, v->disk.target,
			v->proc.note[0] ? "  # " : "", v->proc.note);
	}
	pthread_mutex_unlock(&s->lock);
	return fclose(f) ? -ENOMEM : 0;
}

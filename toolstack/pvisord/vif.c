// SPDX-License-Identifier: MIT
/*
 * Virtual network interfaces (vif.h): pvisord's half of each vif. It
 * makes the tap, runs the hotplug script, starts the vif's pvnetback,
 * writes the xenstore nodes netfront reads, follows the frontend's
 * xenbus state, and hands the backend the rings and event channels the
 * frontend published, after checking them. Everything read from the
 * frontend's directory is guest input.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_arp.h>
#include <linux/if_tun.h>

#include <pvabi/io/xenbus.h>

#include "pvisor/domain.h"
#include "pvisor/evtchn_dom0.h"
#include "pvisor/gnt_broker.h"
#include "pvisor/grant_table.h"
#include "pvisor/log.h"
#include "pvisor/netback_ctl.h"
#include "pvisor/xs_client.h"
#include "pvisord.h"
#include "svc_proc.h"
#include "vif.h"

#define DETACH_WAIT_S		10	/* the frontend's, on detach */
#define SCRIPT_WAIT_S		10	/* a hotplug script's run */
#define VIF_POLL_MAX		32	/* backends one thread watches */
#define DEFAULT_BRIDGE		"xenbr0"
#define DEFAULT_SCRIPT		"vif-bridge"

struct pvd_vif {
	struct pvd_vif *next;
	struct pvd_nic nic;
	unsigned int domid;
	char ifname[IFNAMSIZ];
	int tap[NETBACK_MAX_QUEUES];	/* queue 0 made with the device */
	unsigned int nr_tap;
	bool script_online;
	struct svc_proc proc;		/* pvnetback */
	struct gnt_broker *broker;
	/* Per queue: tx and rx, the same channel unless split. */
	struct evtchn_dom0_chan ch[2 * NETBACK_MAX_QUEUES];
	unsigned int nr_ch, nr_queues;
	uint32_t features;		/* NETBACK_F_* the frontend chose */
	bool connected, detaching;
	int be_state;
	char be[96], fe[96];
	char token[16];			/* the state watch's: the devid */
};

struct pvd_vifs {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct domain *d;
	unsigned int domid;
	struct xs_client *xs;
	struct pvd_vif *vifs;
	int wake_fd;
	bool stop;
	unsigned int users;		/* pvd_vifs_get() without a put */
	pthread_t thread;
	bool thread_started;
};

static const char *mac_str(const uint8_t m[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
		 m[3], m[4], m[5]);
	return buf;
}

/* ------------------------------------------------ hotplug script -- */

/* Bare script names resolve here: <dir of pvisord>/scripts/. */
static void script_dir(char *buf, size_t len)
{
	char *slash;

	svc_exe_path("scripts", buf, len);
	slash = strrchr(buf, '/');
	if (!slash)
		snprintf(buf, len, "scripts");
}

int pvd_vif_script_path(const char *name, uid_t caller, char *out,
			size_t outlen, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	struct stat st;

	if (!name || !name[0])
		name = DEFAULT_SCRIPT;
	if (name[0] == '/') {
		if (caller != 0) {
			snprintf(err, errlen, "script '%s': only root may name "
				 "a script by path (pvisord runs it as root); "
				 "use a script of %s", name, DEFAULT_SCRIPT);
			return -EPERM;
		}
		if ((size_t)snprintf(out, outlen, "%s", name) >= outlen)
			return -ENAMETOOLONG;
	} else {
		if (strchr(name, '/') || !strcmp(name, ".") ||
		    !strcmp(name, "..")) {
			snprintf(err, errlen, "script '%s': a bare name or an "
				 "absolute path", name);
			return -EINVAL;
		}
		script_dir(dir, sizeof(dir));
		if ((size_t)snprintf(out, outlen, "%s/%s", dir, name) >= outlen)
			return -ENAMETOOLONG;
	}
	if (stat(out, &st) || !S_ISREG(st.st_mode) ||
	    access(out, X_OK)) {
		snprintf(err, errlen, "script '%s': %s is not an executable "
			 "file", name, out);
		return -ENOENT;
	}
	return 0;
}

/*
 * Run the vif's script with action ("online", "offline"), its
 * environment as Xen's hotplug scripts get it; its stderr's first line
 * goes into err when it fails.
 */
static int run_script(struct pvd_vif *v, const char *action, char *err,
		      size_t errlen)
{
	char e_vif[32], e_bridge[96], e_mac[32], e_ip[300], e_mtu[32],
	     e_domid[32], e_devid[32], e_path[128], mac[18], out[512];
	char *argv[] = { v->nic.script, (char *)action, NULL };
	char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", e_vif,
			 e_bridge, e_mac, e_ip, e_mtu, e_domid, e_devid,
			 e_path, NULL };
	posix_spawn_file_actions_t fa;
	struct timespec t0, t;
	size_t got = 0;
	int pipefd[2], status = 0, rc;
	const char *name = strrchr(v->nic.script, '/');
	pid_t pid;

	name = name ? name + 1 : v->nic.script;
	snprintf(e_vif, sizeof(e_vif), "vif=%s", v->ifname);
	snprintf(e_bridge, sizeof(e_bridge), "bridge=%s",
		 v->nic.bridge[0] ? v->nic.bridge : DEFAULT_BRIDGE);
	snprintf(e_mac, sizeof(e_mac), "mac=%s", mac_str(v->nic.mac, mac));
	snprintf(e_ip, sizeof(e_ip), "ip=%s", v->nic.ip);
	snprintf(e_mtu, sizeof(e_mtu), "mtu=%u", v->nic.mtu);
	snprintf(e_domid, sizeof(e_domid), "domid=%u", v->domid);
	snprintf(e_devid, sizeof(e_devid), "devid=%u", v->nic.devid);
	snprintf(e_path, sizeof(e_path), "XENBUS_PATH=%s", v->be);
	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	rc = posix_spawn(&pid, v->nic.script, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (rc) {
		close(pipefd[0]);
		snprintf(err, errlen, "cannot run %.200s: %s", v->nic.script,
			 strerror(rc));
		return -rc;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
		long left;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = SCRIPT_WAIT_S * 1000L - ((t.tv_sec - t0.tv_sec) * 1000 +
						(t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		n = read(pipefd[0], out + got, sizeof(out) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == sizeof(out) - 1)
			got = 0;	/* keep reading; the start matters less */
	}
	close(pipefd[0]);
	out[got] = '\0';
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return 0;
	out[strcspn(out, "\n")] = '\0';
	if (WIFSIGNALED(status))
		snprintf(err, errlen, "%.64s %s: killed (signal %d)%s",
			 name, action, WTERMSIG(status),
			 WTERMSIG(status) == SIGKILL ? ", took too long" : "");
	else
		snprintf(err, errlen, "%.64s %s failed (status %d)%s%.160s",
			 name, action, WEXITSTATUS(status),
			 out[0] ? ": " : "", out);
	return -EIO;
}

/* ------------------------------------------------------ the tap -- */

static int tap_open(const char *name, char *made)
{
	struct ifreq ifr = { 0 };
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	if (made)
		snprintf(made, IFNAMSIZ, "%s", ifr.ifr_name);
	return fd;
}

/*
 * The host side of the vif. Its MAC is Xen's fe:ff:ff:ff:ff:ff, so a
 * bridge never takes it as its own address.
 */
static int tap_create(struct pvd_vif *v, char *err, size_t errlen)
{
	struct ifreq ifr = { 0 };
	int hdr = NETBACK_VNET_HDR_LEN, fd;

	if (v->nic.vifname[0])
		snprintf(v->ifname, sizeof(v->ifname), "%s", v->nic.vifname);
	else
		snprintf(v->ifname, sizeof(v->ifname), "vif%u.%u", v->domid,
			 v->nic.devid);
	if (if_nametoindex(v->ifname)) {
		snprintf(err, errlen, "vif %u: a network interface %s exists "
			 "already", v->nic.devid, v->ifname);
		return -EEXIST;
	}
	fd = tap_open(v->ifname, v->ifname);
	if (fd < 0) {
		snprintf(err, errlen, "vif %u: cannot create tap %s: %s",
			 v->nic.devid, v->ifname, strerror(-fd));
		return fd;
	}
	v->tap[0] = fd;
	v->nr_tap = 1;
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memset(ifr.ifr_hwaddr.sa_data, 0xff, 6);
	ifr.ifr_hwaddr.sa_data[0] = (char)0xfe;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", v->ifname);
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) || ioctl(fd, SIOCSIFHWADDR, &ifr)) {
		snprintf(err, errlen, "vif %u: cannot set up tap %s: %s",
			 v->nic.devid, v->ifname, strerror(errno));
		return -errno;
	}
	return 0;
}

/* As many tap queues as the frontend has rings; the rest detached. */
static int tap_queues(struct pvd_vif *v, unsigned int n)
{
	while (v->nr_tap < n) {
		int fd = tap_open(v->ifname, NULL);

		if (fd < 0)
			return fd;
		v->tap[v->nr_tap++] = fd;
	}
	while (v->nr_tap > n && v->nr_tap > 1)
		close(v->tap[--v->nr_tap]);
	return 0;
}

/* What the host may hand the guest: only what netfront takes. */
static int tap_offloads(struct pvd_vif *v)
{
	unsigned int off = 0;

	if (!(v->features & NETBACK_F_NO_CSUM)) {
		off |= TUN_F_CSUM;
		if (v->features & NETBACK_F_GSO_TCPV4)
			off |= TUN_F_TSO4;
		if (v->features & NETBACK_F_GSO_TCPV6)
			off |= TUN_F_TSO6;
	}
	return ioctl(v->tap[0], TUNSETOFFLOAD, off) ? -errno : 0;
}

/* -------------------------------------------------- the backend -- */

static void log_backend(void *arg, const void *msg)
{
	const struct pvd_vif *v = arg;
	const struct netback_msg *m = msg;

	pr_warn("d%u vif%u: backend: %.*s\n", v->domid, v->nic.devid,
		(int)sizeof(m->text), m->text);
}

static int ctl_call(struct pvd_vif *v, const struct netback_msg *req,
		    const int *fds, unsigned int nfds, uint32_t want,
		    struct netback_msg *rep)
{
	return svc_call(&v->proc, req, sizeof(*req), fds, nfds, want, rep,
			NETBACK_LOG, log_backend, v);
}

/* ---------------------------------------------------- xenstore -- */

static int be_write(struct pvd_vifs *s, struct pvd_vif *v, const char *key,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int be_write(struct pvd_vifs *s, struct pvd_vif *v, const char *key,
		    const char *fmt, ...)
{
	char path[160], val[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", v->be, key);
	return xs_client_write(s->xs, path, val);
}

static int fe_write(struct pvd_vifs *s, struct pvd_vif *v, const char *key,
		    const char *val)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", v->fe, key);
	return xs_client_write(s->xs, path, val);
}

static int set_be_state(struct pvd_vifs *s, struct pvd_vif *v, int state)
{
	v->be_state = state;
	return be_write(s, v, "state", "%d", state);
}

/* A frontend node as an unsigned number; guest input, so strictly. */
static int fe_read_u32(struct pvd_vifs *s, struct pvd_vif *v, const char *key,
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

/* A feature flag: absent is 0; anything but 0 or 1 is refused. */
static int fe_read_flag(struct pvd_vifs *s, struct pvd_vif *v, const char *key,
			uint32_t bit, uint32_t *features)
{
	uint32_t val;
	int rc = fe_read_u32(s, v, key, &val);

	if (rc == -ENOENT)
		return 0;
	if (rc || val > 1) {
		pr_warn("d%u vif%u: frontend's %s is not 0 or 1\n", v->domid,
			v->nic.devid, key);
		return -EINVAL;
	}
	if (val)
		*features |= bit;
	return 0;
}

static int write_nodes(struct pvd_vifs *s, struct pvd_vif *v)
{
	char owner[16], reader[16], mac[18];
	const char *be_perms[2] = { "n0", reader };
	const char *fe_perms[2] = { owner, "r0" };
	int rc = 0;

	snprintf(owner, sizeof(owner), "n%u", s->domid);
	snprintf(reader, sizeof(reader), "r%u", s->domid);
	mac_str(v->nic.mac, mac);

	rc |= xs_client_mkdir(s->xs, v->be);
	rc |= xs_client_set_perms(s->xs, v->be, be_perms, 2);
	rc |= be_write(s, v, "frontend", "%s", v->fe);
	rc |= be_write(s, v, "frontend-id", "%u", s->domid);
	rc |= be_write(s, v, "online", "1");
	rc |= be_write(s, v, "handle", "%u", v->nic.devid);
	rc |= be_write(s, v, "mac", "%s", mac);
	rc |= be_write(s, v, "bridge", "%s",
		       v->nic.bridge[0] ? v->nic.bridge : DEFAULT_BRIDGE);
	rc |= be_write(s, v, "script", "%s", v->nic.script);
	rc |= be_write(s, v, "vifname", "%s", v->ifname);
	rc |= be_write(s, v, "type", "vif");
	if (v->nic.ip[0])
		rc |= be_write(s, v, "ip", "%s", v->nic.ip);
	if (v->nic.credit_bytes)
		rc |= be_write(s, v, "rate", "%llu,%u",
			       (unsigned long long)v->nic.credit_bytes,
			       v->nic.credit_usec);
	rc |= be_write(s, v, "feature-sg", "1");
	rc |= be_write(s, v, "feature-gso-tcpv4", "1");
	rc |= be_write(s, v, "feature-gso-tcpv6", "1");
	rc |= be_write(s, v, "feature-ipv6-csum-offload", "1");
	rc |= be_write(s, v, "feature-rx-copy", "1");
	rc |= be_write(s, v, "feature-rx-flip", "0");
	rc |= be_write(s, v, "feature-split-event-channels", "1");
	rc |= be_write(s, v, "multi-queue-max-queues", "%d",
		       NETBACK_MAX_QUEUES);
	rc |= be_write(s, v, "hotplug-status", "connected");
	rc |= set_be_state(s, v, XenbusStateInitialising);

	rc |= xs_client_mkdir(s->xs, v->fe);
	rc |= xs_client_set_perms(s->xs, v->fe, fe_perms, 2);
	rc |= fe_write(s, v, "backend", v->be);
	rc |= fe_write(s, v, "backend-id", "0");
	rc |= fe_write(s, v, "mac", mac);
	{
		char h[16];

		snprintf(h, sizeof(h), "%u", v->nic.devid);
		rc |= fe_write(s, v, "handle", h);
	}
	rc |= fe_write(s, v, "state", "1");
	/* Ready for the frontend's rings: InitWait. */
	rc |= set_be_state(s, v, XenbusStateInitWait);
	return rc ? -EIO : 0;
}

/* ------------------------------------------------ the handshake -- */

static void close_channels(struct pvd_vif *v)
{
	for (unsigned int i = 0; i < v->nr_ch; i++)
		evtchn_dom0_close(v->ch[i].dom0_port);
	v->nr_ch = 0;
}

static void vif_disconnect(struct pvd_vif *v)
{
	struct netback_msg m = { .type = NETBACK_DISCONNECT }, rep;

	if ((v->connected || v->nr_ch) &&
	    ctl_call(v, &m, NULL, 0, NETBACK_DISCONNECTED, &rep))
		pr_warn("d%u vif%u: backend did not let go of the rings\n",
			v->domid, v->nic.devid);
	v->connected = false;
	close_channels(v);
	v->nr_queues = 0;
	tap_queues(v, 1);
}

static int bind_channel(struct pvd_vifs *s, struct pvd_vif *v, const char *key)
{
	uint32_t port;
	int rc = fe_read_u32(s, v, key, &port);

	if (rc)
		return rc;
	rc = evtchn_dom0_bind(s->domid, port, &v->ch[v->nr_ch]);
	if (rc) {
		pr_warn("d%u vif%u: cannot bind the frontend's event channel "
			"%u: %s\n", s->domid, v->nic.devid, port, strerror(-rc));
		return rc;
	}
	return (int)v->nr_ch++;
}

/*
 * One queue's rings and event channel(s), from the frontend's directory
 * (dir: "" for a single queue, "queue-N/" for multi-queue), to the
 * backend.
 */
static int connect_queue(struct pvd_vifs *s, struct pvd_vif *v,
			 unsigned int qi, const char *dir)
{
	struct netback_msg m = { .type = NETBACK_CONNECT }, rep;
	char key[48];
	int tx, rx, rc, fds[5];

	m.connect.queue = qi;
	m.connect.features = v->features;
	m.connect.credit_bytes = v->nic.credit_bytes;
	m.connect.credit_usec = v->nic.credit_usec;
	snprintf(key, sizeof(key), "%stx-ring-ref", dir);
	rc = fe_read_u32(s, v, key, &m.connect.tx_ring_ref);
	snprintf(key, sizeof(key), "%srx-ring-ref", dir);
	if (!rc)
		rc = fe_read_u32(s, v, key, &m.connect.rx_ring_ref);
	if (rc) {
		pr_warn("d%u vif%u: frontend's %stx-ring-ref/rx-ring-ref "
			"missing or invalid\n", s->domid, v->nic.devid, dir);
		return rc;
	}
	snprintf(key, sizeof(key), "%sevent-channel-tx", dir);
	tx = bind_channel(s, v, key);
	if (tx >= 0) {
		snprintf(key, sizeof(key), "%sevent-channel-rx", dir);
		rx = bind_channel(s, v, key);
	} else if (tx == -ENOENT) {
		snprintf(key, sizeof(key), "%sevent-channel", dir);
		tx = rx = bind_channel(s, v, key);
	} else {
		rx = tx;
	}
	if (tx < 0 || rx < 0) {
		pr_warn("d%u vif%u: frontend's %sevent-channel(s) missing or "
			"invalid\n", s->domid, v->nic.devid, dir);
		return tx < 0 ? tx : rx;
	}
	fds[0] = v->tap[qi];
	fds[1] = v->ch[tx].notify_fd;
	fds[2] = v->ch[tx].kick_fd;
	fds[3] = v->ch[rx].notify_fd;
	fds[4] = v->ch[rx].kick_fd;
	rc = ctl_call(v, &m, fds, 5, NETBACK_CONNECTED, &rep);
	if (!rc)
		rc = rep.status;
	if (rc)
		pr_warn("d%u vif%u: backend cannot connect queue %u: %.*s\n",
			s->domid, v->nic.devid, qi, (int)sizeof(rep.text),
			rep.type == NETBACK_CONNECTED ? rep.text : strerror(-rc));
	return rc;
}

/* The frontend's features, as netback reads them. */
static int read_features(struct pvd_vifs *s, struct pvd_vif *v)
{
	static const struct { const char *key; uint32_t bit; } flags[] = {
		{ "request-rx-copy", NETBACK_F_RX_COPY },
		{ "feature-sg", NETBACK_F_SG },
		{ "feature-gso-tcpv4", NETBACK_F_GSO_TCPV4 },
		{ "feature-gso-tcpv6", NETBACK_F_GSO_TCPV6 },
		{ "feature-ipv6-csum-offload", NETBACK_F_IPV6_CSUM },
		{ "feature-no-csum-offload", NETBACK_F_NO_CSUM },
		{ "feature-rx-notify", NETBACK_F_RX_NOTIFY },
	};
	int rc = 0;

	v->features = 0;
	for (size_t i = 0; !rc && i < sizeof(flags) / sizeof(flags[0]); i++)
		rc = fe_read_flag(s, v, flags[i].key, flags[i].bit,
				  &v->features);
	if (!rc && !(v->features & NETBACK_F_RX_COPY)) {
		/* The old page-flipping receive path is not offered. */
		pr_warn("d%u vif%u: frontend does not ask for request-rx-copy; "
			"only copying receive is served\n", s->domid,
			v->nic.devid);
		rc = -EOPNOTSUPP;
	}
	return rc;
}

/* The frontend published its rings: check them, hand them over. */
static int vif_connect(struct pvd_vifs *s, struct pvd_vif *v)
{
	uint32_t queues = 1;
	int rc;

	rc = fe_read_u32(s, v, "multi-queue-num-queues", &queues);
	if ((!rc && (queues < 1 || queues > NETBACK_MAX_QUEUES)) ||
	    (rc && rc != -ENOENT)) {
		pr_warn("d%u vif%u: frontend asked for %u queues; 1 to %d are "
			"offered\n", s->domid, v->nic.devid, queues,
			NETBACK_MAX_QUEUES);
		return -EINVAL;
	}
	rc = read_features(s, v);
	if (!rc)
		rc = tap_queues(v, queues);
	if (!rc)
		rc = tap_offloads(v);
	if (rc)
		return rc;
	for (unsigned int qi = 0; qi < queues; qi++) {
		char dir[24] = "";

		if (queues > 1)
			snprintf(dir, sizeof(dir), "queue-%u/", qi);
		rc = connect_queue(s, v, qi, dir);
		if (rc) {
			vif_disconnect(v);	/* queues that did connect */
			return rc;
		}
		v->nr_queues = qi + 1;
	}
	v->connected = true;
	pr_info("d%u vif%u: connected on %s (%u queue(s), features 0x%x)\n",
		s->domid, v->nic.devid, v->ifname, queues, v->features);
	return 0;
}

static void vif_free(struct pvd_vifs *s, struct pvd_vif *v)
{
	char path[160], err[256];

	vif_disconnect(v);
	svc_reap(&v->proc, false);
	gnt_broker_stop(v->broker);
	v->broker = NULL;
	if (v->script_online && run_script(v, "offline", err, sizeof(err)))
		pr_warn("d%u vif%u: %s\n", s->domid, v->nic.devid, err);
	for (unsigned int i = 0; i < v->nr_tap; i++)
		close(v->tap[i]);	/* the last one takes the device */
	if (v->be[0]) {
		snprintf(path, sizeof(path), "%s/state", v->fe);
		xs_client_unwatch(s->xs, path, v->token);
		xs_client_rm(s->xs, v->be);
		xs_client_rm(s->xs, v->fe);
	}
	free(v);
}

/* Unlink and free v; wakes a detach waiting for it. */
static void vif_remove(struct pvd_vifs *s, struct pvd_vif *v)
{
	for (struct pvd_vif **pp = &s->vifs; *pp; pp = &(*pp)->next)
		if (*pp == v) {
			*pp = v->next;
			break;
		}
	pr_info("d%u vif%u: removed\n", s->domid, v->nic.devid);
	vif_free(s, v);
	pthread_cond_broadcast(&s->changed);
}

/* The frontend's state changed (or the watch was just set). */
static void frontend_changed(struct pvd_vifs *s, struct pvd_vif *v)
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
		if (vif_connect(s, v))
			set_be_state(s, v, XenbusStateClosing);
		else
			set_be_state(s, v, XenbusStateConnected);
		break;
	case XenbusStateClosing:
		vif_disconnect(v);
		set_be_state(s, v, XenbusStateClosing);
		break;
	case XenbusStateClosed:
	default:
		vif_disconnect(v);
		if (v->detaching) {
			vif_remove(s, v);
			return;
		}
		if (v->be_state != XenbusStateClosed)
			set_be_state(s, v, XenbusStateClosed);
		break;
	}
}

static struct pvd_vif *by_token(struct pvd_vifs *s, const char *token)
{
	for (struct pvd_vif *v = s->vifs; v; v = v->next)
		if (!strcmp(v->token, token))
			return v;
	return NULL;
}

/* The backend spoke or went away outside a call. */
static void backend_readable(struct pvd_vifs *s, struct pvd_vif *v)
{
	struct netback_msg m;
	ssize_t n;

	while ((n = recv(v->proc.ctl, &m, sizeof(m), MSG_DONTWAIT)) ==
	       sizeof(m)) {
		if (m.type == NETBACK_LOG) {
			log_backend(v, &m);
		} else if (m.type == NETBACK_FATAL) {
			/* As Xen's netback: a frontend that broke the
			 * protocol loses its vif until it starts over. */
			pr_err("d%u vif%u: frontend broke the protocol: %.*s; "
			       "closing the vif\n", s->domid, v->nic.devid,
			       (int)sizeof(m.text), m.text);
			vif_disconnect(v);
			set_be_state(s, v, XenbusStateClosing);
			return;
		}
	}
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		svc_reap(&v->proc, false);
		if (!v->proc.note[0])
			snprintf(v->proc.note, sizeof(v->proc.note),
				 "backend exited");
		pr_err("d%u vif%u: %s; the vif is gone for the guest\n",
		       s->domid, v->nic.devid, v->proc.note);
		v->connected = false;
		close_channels(v);
		set_be_state(s, v, XenbusStateClosed);
	}
}

static void *vif_thread(void *arg)
{
	struct pvd_vifs *s = arg;

	for (;;) {
		struct pollfd p[2 + VIF_POLL_MAX];
		struct pvd_vif *who[VIF_POLL_MAX];
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
		for (struct pvd_vif *v = s->vifs; v && n < 2 + VIF_POLL_MAX;
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

			for (struct pvd_vif *v = s->vifs; v; v = v->next)
				listed |= v == who[i - 2];
			if (listed && who[i - 2]->proc.ctl == p[i].fd &&
			    p[i].revents)
				backend_readable(s, who[i - 2]);
		}
		while (!s->stop && xs_client_event(s->xs, false, &path,
						   &token) == 1) {
			struct pvd_vif *v = by_token(s, token);

			if (v)
				frontend_changed(s, v);
			free(path);
		}
		pthread_mutex_unlock(&s->lock);
	}
	return NULL;
}

static void wake(struct pvd_vifs *s)
{
	uint64_t one = 1;

	if (write(s->wake_fd, &one, 8) < 0)
		pr_err("vif: cannot wake d%u's device thread\n", s->domid);
}

/* ------------------------------------------------------ devices -- */

static struct pvd_vif *by_devid(struct pvd_vifs *s, uint32_t devid)
{
	for (struct pvd_vif *v = s->vifs; v; v = v->next)
		if (v->nic.devid == devid)
			return v;
	return NULL;
}

static int vif_add(struct pvd_vifs *s, const struct pvd_nic *nic, char *err,
		   size_t errlen)
{
	struct netback_msg m = { .type = NETBACK_OPEN }, rep;
	struct gnt_broker_config bc = { .data_len = NETBACK_BROKER_DATA_LEN };
	char path[160], why[256];
	struct pvd_vif *v;
	int fds[3], rc;

	if (by_devid(s, nic->devid)) {
		snprintf(err, errlen, "vif %u: the domain has that vif already",
			 nic->devid);
		return -EEXIST;
	}
	for (v = s->vifs; v; v = v->next)
		if (!memcmp(v->nic.mac, nic->mac, 6)) {
			snprintf(err, errlen, "vif %u: same MAC as vif %u",
				 nic->devid, v->nic.devid);
			return -EEXIST;
		}
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->nic = *nic;
	v->domid = s->domid;
	v->proc.ctl = -1;
	snprintf(v->token, sizeof(v->token), "%u", nic->devid);
	snprintf(v->be, sizeof(v->be), "/local/domain/0/backend/vif/%u/%u",
		 s->domid, nic->devid);
	snprintf(v->fe, sizeof(v->fe), "/local/domain/%u/device/vif/%u",
		 s->domid, nic->devid);
	rc = tap_create(v, err, errlen);
	if (rc)
		goto fail_early;
	rc = run_script(v, "online", why, sizeof(why));
	if (rc) {
		snprintf(err, errlen, "vif %u: %s", nic->devid, why);
		goto fail_early;
	}
	v->script_online = true;
	rc = svc_spawn(&v->proc, "pvnetback");
	if (rc) {
		char exe[PATH_MAX];

		snprintf(err, errlen, "vif %u: cannot start %s: %s", nic->devid,
			 svc_exe_path("pvnetback", exe, sizeof(exe)),
			 strerror(-rc));
		goto fail_early;
	}
	m.open.domid = s->domid;
	m.open.devid = nic->devid;
	/* The backend gets no guest memory: the broker here does its
	 * accesses, with our grant checks. */
	bc.ram_fd = s->d->ram_fd;
	bc.gnttab_fd = gnttab_domain_fd(s->d);
	rc = gnt_broker_start(&bc, &v->broker, &fds[0], &fds[1], &fds[2]);
	if (rc) {
		snprintf(err, errlen, "vif %u: cannot start its grant broker: "
			 "%s", nic->devid, strerror(-rc));
		goto fail_early;
	}
	rc = ctl_call(v, &m, fds, 3, NETBACK_INFO, &rep);
	for (int i = 0; i < 3; i++)
		close(fds[i]);	/* the backend has its own now */
	if (!rc && rep.status) {
		rc = rep.status;
		snprintf(err, errlen, "vif %u: the backend refused: %.*s",
			 nic->devid, (int)sizeof(rep.text), rep.text);
		goto fail_early;
	}
	if (rc) {
		svc_reap(&v->proc, true);
		snprintf(err, errlen, "vif %u: the backend did not start: %s",
			 nic->devid, v->proc.note[0] ? v->proc.note
						     : strerror(-rc));
		goto fail_early;
	}
	rc = write_nodes(s, v);
	snprintf(path, sizeof(path), "%s/state", v->fe);
	if (!rc)
		rc = xs_client_watch(s->xs, path, v->token);
	if (rc) {
		snprintf(err, errlen, "vif %u: cannot write its xenstore nodes: "
			 "%s", nic->devid, strerror(-rc));
		goto fail;
	}
	v->next = s->vifs;
	s->vifs = v;
	pr_info("d%u vif%u: %s on bridge %s, backend pid %d\n", s->domid,
		nic->devid, v->ifname,
		nic->bridge[0] ? nic->bridge : DEFAULT_BRIDGE, (int)v->proc.pid);
	return 0;
fail_early:
	v->be[0] = '\0';	/* nothing written to xenstore yet */
fail:
	vif_free(s, v);
	return rc;
}

int pvd_vifs_start(struct domain *d, const struct pvd_nic *nics,
		   unsigned int n, struct pvd_vifs **out, char *err,
		   size_t errlen)
{
	struct pvd_vifs *s = calloc(1, sizeof(*s));
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
		snprintf(err, errlen, "vifs: cannot reach xenstore: %s",
			 strerror(-rc));
		goto fail;
	}
	pthread_mutex_lock(&s->lock);
	for (unsigned int i = 0; !rc && i < n; i++)
		rc = vif_add(s, &nics[i], err, errlen);
	pthread_mutex_unlock(&s->lock);
	if (rc)
		goto fail;
	rc = -pthread_create(&s->thread, NULL, vif_thread, s);
	if (rc) {
		snprintf(err, errlen, "vifs: cannot start their thread");
		goto fail;
	}
	s->thread_started = true;
	*out = s;
	return 0;
fail:
	pvd_vifs_stop(s);
	return rc;
}

void pvd_vifs_stop(struct pvd_vifs *s)
{
	char path[64];

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_broadcast(&s->changed);
	while (s->users)
		pthread_cond_wait(&s->changed, &s->lock);
	pthread_mutex_unlock(&s->lock);
	if (s->thread_started) {
		wake(s);
		pthread_join(s->thread, NULL);
	}
	while (s->vifs) {
		struct pvd_vif *v = s->vifs;

		s->vifs = v->next;
		vif_free(s, v);
	}
	if (s->xs) {
		snprintf(path, sizeof(path), "/local/domain/0/backend/vif/%u",
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

struct pvd_vifs *pvd_vifs_get(struct pvd_vifs *s)
{
	pthread_mutex_lock(&s->lock);
	s->users++;
	pthread_mutex_unlock(&s->lock);
	return s;
}

void pvd_vifs_put(struct pvd_vifs *s)
{
	pthread_mutex_lock(&s->lock);
	s->users--;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
}

int pvd_vif_attach(struct pvd_vifs *s, const struct pvd_nic *nic,
		   char *err, size_t errlen)
{
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = s->stop ? -ESRCH : vif_add(s, nic, err, errlen);
	pthread_mutex_unlock(&s->lock);
	wake(s);	/* poll the new backend, see queued events */
	return rc;
}

/* id: a devid, or a MAC in xx:xx:xx:xx:xx:xx form. */
static struct pvd_vif *by_id(struct pvd_vifs *s, const char *id)
{
	unsigned int b[6];
	char *end;
	unsigned long n;

	if (strlen(id) == 17 &&
	    sscanf(id, "%2x:%2x:%2x:%2x:%2x:%2x", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5]) == 6) {
		for (struct pvd_vif *v = s->vifs; v; v = v->next) {
			bool same = true;

			for (int i = 0; i < 6; i++)
				same &= v->nic.mac[i] == b[i];
			if (same)
				return v;
		}
		return NULL;
	}
	errno = 0;
	n = strtoul(id, &end, 10);
	if (!id[0] || *end || errno || n > UINT32_MAX || id[0] == '-')
		return NULL;
	return by_devid(s, (uint32_t)n);
}

int pvd_vif_detach(struct pvd_vifs *s, const char *id, bool force,
		   uint32_t *devid, char *err, size_t errlen)
{
	struct timespec until;
	struct pvd_vif *v;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += DETACH_WAIT_S;
	pthread_mutex_lock(&s->lock);
	v = by_id(s, id);
	if (v)
		*devid = v->nic.devid;
	if (!v) {
		snprintf(err, errlen, "no vif %s (a device number or a MAC)",
			 id);
		rc = -ENOENT;
	} else if (force || v->proc.ctl < 0) {
		vif_remove(s, v);
	} else {
		v->detaching = true;
		if (v->be_state == XenbusStateClosed)
			vif_remove(s, v);	/* the frontend is not there */
		else
			set_be_state(s, v, XenbusStateClosing);
		wake(s);
		while (!s->stop && by_devid(s, *devid) == v && !rc)
			rc = pthread_cond_timedwait(&s->changed, &s->lock, &until);
		if (s->stop) {
			snprintf(err, errlen, "the domain is going away");
			rc = -ESRCH;
		} else if (rc == ETIMEDOUT) {
			snprintf(err, errlen, "the guest has not released vif "
				 "%s within %d s; it goes when the guest lets "
				 "go, or now with --force", id, DETACH_WAIT_S);
			rc = -ETIMEDOUT;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int pvd_vif_list(struct pvd_vifs *s, char **text)
{
	static const char *const states[] = { "unknown", "initialising",
		"initwait", "initialised", "connected", "closing", "closed",
		"reconfiguring", "reconfigured" };
	size_t len = 0;
	FILE *f = open_memstream(text, &len);

	if (!f)
		return -ENOMEM;
	fprintf(f, "%5s %-17s %-15s %-15s %-12s %2s %7s %10s %10s %8s\n",
		"DevId", "MAC", "Vif", "Bridge", "BE-state", "Q", "Pid",
		"TX-pkts", "RX-pkts", "Errors");
	pthread_mutex_lock(&s->lock);
	for (struct pvd_vif *v = s->vifs; v; v = v->next) {
		struct netback_msg m = { .type = NETBACK_STATS }, rep = { 0 };
		char mac[18];

		if (v->proc.ctl < 0 ||
		    ctl_call(v, &m, NULL, 0, NETBACK_STATS, &rep))
			memset(&rep.stats, 0, sizeof(rep.stats));
		fprintf(f, "%5u %-17s %-15s %-15s %-12s %2u %7d %10llu %10llu "
			"%8llu%s%s\n", v->nic.devid, mac_str(v->nic.mac, mac),
			v->ifname, v->nic.bridge[0] ? v->nic.bridge
						    : DEFAULT_BRIDGE,
			v->be_state >= 0 && v->be_state <= 8
				? states[v->be_state] : "?",
			v->nr_queues, (int)v->proc.pid,
			(unsigned long long)rep.stats.tx_packets,
			(unsigned long long)rep.stats.rx_packets,
			(unsigned long long)(rep.stats.tx_errors +
					     rep.stats.rx_dropped),
			v->proc.note[0] ? "  # " : "", v->proc.note);
	}
	pthread_mutex_unlock(&s->lock);
	return fclose(f) ? -ENOMEM : 0;
}

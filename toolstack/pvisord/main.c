// SPDX-License-Identifier: MIT
/*
 * pvisord: the hypervisor as a daemon. It owns /dev/kvm and every
 * domain, and takes requests on a UNIX socket that only root (or one
 * configured group) may use. SIGTERM and SIGINT destroy every domain,
 * then the daemon exits: domains never outlive the process that holds
 * their memory.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "pvisor/ctl_proto.h"
#include "pvisor/log.h"
#include "pvisord.h"
#include "../xenstored/xenstored.h"

#define DMESG_SIZE	(128 * 1024)

struct plat_info pvd_host;
struct msg_ring *pvd_dmesg;
const struct pvd_options *pvd_opts;

static FILE *log_file;
static gid_t allowed_gid = (gid_t)-1;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static void log_sink(enum log_level level, const char *line)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	char stamp[64], buf[1200];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S",
		 localtime_r(&now, &tm));
	n = snprintf(buf, sizeof(buf), "%s %s: %s", stamp, names[level], line);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	msg_ring_append(pvd_dmesg, buf, n);
	pthread_mutex_lock(&log_lock);
	if (log_file) {
		fputs(buf, log_file);
		fflush(log_file);
	}
	if (pvd_opts->foreground)
		fputs(buf, stderr);
	pthread_mutex_unlock(&log_lock);
}

struct client {
	int fd;
	uid_t uid;
};

static void *client_thread(void *arg)
{
	struct client *c = arg;

	pvd_serve_client(c->fd);
	clients_leave(c->uid);
	close(c->fd);
	free(c);
	return NULL;
}

/*
 * Admission happens here, before a thread is spent: the refused get one
 * reply that fits in the fresh socket's buffer (never waited for).
 */
static void take_client(int fd)
{
	static const char denied[] = "permission denied: pvisord accepts root "
				     "and members of its group only\n";
	static const char busy[] = "too many connections from this user "
				   "(or in all): try again later\n";
	struct client *c = malloc(sizeof(*c));
	pthread_t t;
	int rc;

	if (!c) {
		close(fd);
		return;
	}
	c->fd = fd;
	rc = clients_admit(fd, allowed_gid, &c->uid);
	if (rc) {
		ctl_send_reply(fd, rc, denied, sizeof(denied) - 1, 0);
		goto drop;
	}
	rc = clients_enter(c->uid);
	if (rc) {
		ctl_send_reply(fd, rc, busy, sizeof(busy) - 1, 0);
		goto drop;
	}
	clients_set_timeouts(fd);
	if (!pthread_create(&t, NULL, client_thread, c)) {
		pthread_detach(t);
		return;
	}
	clients_leave(c->uid);
drop:
	close(fd);
	free(c);
}

/*
 * accept() failing for want of descriptors or memory (EMFILE, ENFILE,
 * ENOBUFS, ENOMEM) fails again at once while the connection waits in the
 * backlog: pause accepting, longer while it lasts, and log once per
 * interval, not once per try.
 */
#define ACCEPT_PAUSE_MIN_MS	50
#define ACCEPT_PAUSE_MAX_MS	1000
#define ACCEPT_LOG_INTERVAL_S	10

static unsigned int accept_failures, accept_pause_ms;
static bool accept_logged;	/* this run of failures was reported */

static void accept_failed(int err)
{
	static time_t last_logged;
	time_t now = time(NULL);

	if (!last_logged || now - last_logged >= ACCEPT_LOG_INTERVAL_S) {
		pr_err("accept failed: %s (%u times in a row); pausing, next "
		       "report in %d s at the earliest\n", strerror(err),
		       accept_failures + 1, ACCEPT_LOG_INTERVAL_S);
		last_logged = now;
		accept_logged = true;
	}
	accept_failures++;
	accept_pause_ms = accept_pause_ms ? accept_pause_ms * 2 :
			  ACCEPT_PAUSE_MIN_MS;
	if (accept_pause_ms > ACCEPT_PAUSE_MAX_MS)
		accept_pause_ms = ACCEPT_PAUSE_MAX_MS;
	usleep(accept_pause_ms * 1000);
}

static void accept_succeeded(void)
{
	if (accept_logged)
		pr_info("accepting again after %u failed accept()s\n",
			accept_failures);
	accept_failures = accept_pause_ms = 0;
	accept_logged = false;
}

/* A socket's directory (/run/pvisor/...) may not exist yet. */
static void mkdir_parent(const char *path)
{
	char dir[4096], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
}

static int listen_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "pvisord: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	mkdir_parent(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    chmod(path, allowed_gid != (gid_t)-1 ? 0660 : 0600) ||
	    (allowed_gid != (gid_t)-1 && chown(path, 0, allowed_gid)) ||
	    listen(fd, 64)) {
		fprintf(stderr, "pvisord: cannot listen on %s: %s\n", path,
			strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void *signal_thread(void *arg)
{
	sigset_t *set = arg;
	int sig;

	sigwait(set, &sig);
	pr_info("signal %d: destroying all domains and exiting\n", sig);
	pvd_destroy_all();
	unlink(pvd_opts->socket_path);
	unlink(pvd_opts->xenstore_socket);
	exit(0);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pvisord [--foreground] [--socket PATH] [--log FILE]\n"
		"               [--console-dir DIR] [--group NAME|GID]\n"
		"               [--xenstore-socket PATH] [--no-kvm]\n\n"
		"Run the pvisor hypervisor as a daemon. pvctl talks to it on\n"
		"the socket (default " CTL_DEFAULT_SOCKET "). SIGTERM or\n"
		"SIGINT destroys every domain, then exits. --no-kvm serves\n"
		"the socket and xenstore without /dev/kvm (create is refused;\n"
		"for tests of the control plane).\n");
}

int main(int argc, char **argv)
{
	static struct pvd_options opts = {
		.socket_path = CTL_DEFAULT_SOCKET,
		.log_path = "/var/log/pvisor/pvisord.log",
		.console_dir = "/var/log/pvisor",
		.xenstore_socket = XS_DEFAULT_SOCKET,
	};
	static const struct option lopts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "socket", required_argument, NULL, 's' },
		{ "log", required_argument, NULL, 'l' },
		{ "console-dir", required_argument, NULL, 'c' },
		{ "group", required_argument, NULL, 'g' },
		{ "xenstore-socket", required_argument, NULL, 'x' },
		{ "no-kvm", no_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static sigset_t sigs;
	pthread_t sig_thread;
	int c, lfd;

	/*
	 * Large buffers (a kernel image being loaded, tens of MiB) are
	 * mapped and go back to the system when freed. A fixed threshold
	 * turns off glibc's adaptive one, which after the first such free
	 * would keep the next ones on the heap for the daemon's lifetime.
	 */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	while ((c = getopt_long(argc, argv, "fs:l:c:g:x:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'f': opts.foreground = true; break;
		case 's': opts.socket_path = optarg; break;
		case 'l': opts.log_path = optarg; break;
		case 'c': opts.console_dir = optarg; break;
		case 'g': opts.group = optarg; break;
		case 'x': opts.xenstore_socket = optarg; break;
		case 'K': opts.no_kvm = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	pvd_opts = &opts;
	if (opts.group) {
		struct group *g = getgrnam(opts.group);
		char *end;
		unsigned long gid = strtoul(opts.group, &end, 10);

		/* A name, or a numeric gid as chown(1) takes it. */
		if (g) {
			allowed_gid = g->gr_gid;
		} else if (*opts.group && !*end && gid < (gid_t)-1) {
			allowed_gid = gid;
		} else {
			fprintf(stderr, "pvisord: no group named '%s'\n", opts.group);
			return 2;
		}
	}
	if (opts.no_kvm) {
		/* pvd_host.available stays false: domain_create refuses. */
		snprintf(pvd_host.reason, sizeof(pvd_host.reason),
			 "pvisord runs with --no-kvm");
		snprintf(pvd_host.kvm_module, sizeof(pvd_host.kvm_module),
			 "none");
	} else if (plat_probe(&pvd_host)) {
		fprintf(stderr, "pvisord: KVM unavailable: %s\n", pvd_host.reason);
		return 1;
	}
	pvd_dmesg = msg_ring_new(DMESG_SIZE);
	mkdir(opts.console_dir, 0750);
	log_file = fopen(opts.log_path, "a");
	if (!log_file) {
		fprintf(stderr, "pvisord: cannot open log %s: %s\n", opts.log_path,
			strerror(errno));
		return 1;
	}
	pv_log_set_sink(log_sink);

	/* Only the signal thread sees SIGTERM/SIGINT; vCPU kicks stay open. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	lfd = listen_socket(opts.socket_path);
	if (lfd < 0)
		return 1;
	mkdir_parent(opts.xenstore_socket);
	if (pvd_xenstore_start(opts.xenstore_socket))
		return 1;
	if (!opts.foreground && daemon(0, 0)) {
		fprintf(stderr, "pvisord: cannot daemonize: %s\n", strerror(errno));
		return 1;
	}
	pthread_create(&sig_thread, NULL, signal_thread, &sigs);
	pr_info("pvisord ready on %s (kvm module %s, exit round trip %.1f us)\n",
		opts.socket_path, pvd_host.kvm_module,
		pvd_host.exit_roundtrip_us);

	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd >= 0) {
			accept_succeeded();
			take_client(fd);
		} else if (errno != EINTR && errno != ECONNABORTED) {
			accept_failed(errno);
		}
	}
}

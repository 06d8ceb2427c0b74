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

static void *client_thread(void *arg)
{
	int fd = (int)(intptr_t)arg, rc;
	uid_t uid = (uid_t)-1;

	clients_set_timeouts(fd);
	rc = clients_admit(fd, allowed_gid, &uid);
	if (!rc) {
		rc = clients_enter(uid);
		if (!rc) {
			pvd_serve_client(fd);
			clients_leave(uid);
		} else {
			static const char msg[] = "too many connections from "
						  "this user: try again later\n";

			ctl_send_reply(fd, rc, msg, sizeof(msg) - 1);
		}
	} else {
		static const char msg[] = "permission denied: pvisord accepts "
					  "root and members of its group only\n";

		ctl_send_reply(fd, -EACCES, msg, sizeof(msg) - 1);
	}
	close(fd);
	return NULL;
}

/*
 * accept() failing for want of descriptors or memory must neither spin
 * nor flood the log: back off, and say so once per episode.
 */
static void accept_backoff(int err)
{
	static time_t last_logged;
	time_t now = time(NULL);

	if (now - last_logged >= 10) {
		pr_err("accept failed: %s (backing off; further failures in "
		       "the next 10 s not logged)\n", strerror(err));
		last_logged = now;
	}
	usleep(100 * 1000);
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
		"               [--console-dir DIR] [--group NAME]\n"
		"               [--xenstore-socket PATH]\n\n"
		"Run the pvisor hypervisor as a daemon. pvctl talks to it on\n"
		"the socket (default " CTL_DEFAULT_SOCKET "). SIGTERM or\n"
		"SIGINT destroys every domain, then exits.\n");
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
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static sigset_t sigs;
	pthread_t sig_thread;
	int c, lfd;

	while ((c = getopt_long(argc, argv, "fs:l:c:g:x:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'f': opts.foreground = true; break;
		case 's': opts.socket_path = optarg; break;
		case 'l': opts.log_path = optarg; break;
		case 'c': opts.console_dir = optarg; break;
		case 'g': opts.group = optarg; break;
		case 'x': opts.xenstore_socket = optarg; break;
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

		if (!g) {
			fprintf(stderr, "pvisord: no group named '%s'\n", opts.group);
			return 2;
		}
		allowed_gid = g->gr_gid;
	}
	if (plat_probe(&pvd_host)) {
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
		pthread_t t;

		if (fd < 0) {
			if (errno != EINTR && errno != ECONNABORTED)
				accept_backoff(errno);
			continue;
		}
		if (pthread_create(&t, NULL, client_thread, (void *)(intptr_t)fd)) {
			close(fd);
			continue;
		}
		pthread_detach(t);
	}
}

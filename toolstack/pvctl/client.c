// SPDX-License-Identifier: MIT
/* pvctl's side of the pvisord control socket. */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "pvisor/ctl_proto.h"
#include "pvctl.h"

const char *pvctl_socket_path(void)
{
	const char *p = getenv("PVISOR_SOCKET");

	return p && *p ? p : CTL_DEFAULT_SOCKET;
}

int unix_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

int pvctl_connect(bool quiet)
{
	const char *path = pvctl_socket_path();
	int fd = unix_connect(path);

	if (fd < 0) {
		int err = -fd;
		struct stat st;
		struct group *g;

		if (err == EACCES && !quiet && !stat(path, &st)) {
			/* Reachable, but not for us: say who may use it. */
			char who[96] = "root";

			g = getgrgid(st.st_gid);
			if (st.st_mode & 0060 && g)
				snprintf(who, sizeof(who), "root and members of "
					 "group '%s'", g->gr_name);
			else if (st.st_mode & 0060)
				snprintf(who, sizeof(who), "root and members of "
					 "group %u", (unsigned int)st.st_gid);
			fprintf(stderr, "pvctl: permission denied on %s: pvisord "
				"accepts %s only\n", path, who);
			return -err;
		}
		if (!quiet)
			fprintf(stderr,
				"pvctl: cannot reach pvisord at %s: %s\n"
				"pvctl: start it with 'pvisord' (as root), or set "
				"PVISOR_SOCKET to its socket\n",
				path, strerror(err));
		return -err;
	}
	return fd;
}

/*
 * One request, one reply. A daemon that refuses us (not in its group,
 * too many connections) replies and hangs up without reading: its reason
 * may be waiting even when our request could not be sent.
 */
static int exchange(int fd, int argc, char *const argv[], const int *fds,
		    int nfds, int *status, char **text, size_t *len)
{
	int rc = ctl_send_request_fds(fd, argc, argv, fds, nfds), rrc;

	if (rc && rc != -EPIPE && rc != -ECONNRESET)
		return rc;
	rrc = ctl_recv_reply(fd, status, text, len);
	return rrc && rc ? rc : rrc;
}

int pvctl_request(int argc, char *const argv[], bool print)
{
	return pvctl_request_fds(argc, argv, NULL, 0, print);
}

int pvctl_request_fds(int argc, char *const argv[], const int *fds, int nfds,
		      bool print)
{
	int fd = pvctl_connect(false), status, rc;
	char *text = NULL;
	size_t len = 0;

	if (fd < 0)
		return 1;
	rc = exchange(fd, argc, argv, fds, nfds, &status, &text, &len);
	close(fd);
	if (rc) {
		fprintf(stderr, "pvctl: talking to pvisord failed: %s\n",
			strerror(-rc));
		return 1;
	}
	if (status) {
		fprintf(stderr, "pvctl %s: %s", argv[0],
			len ? text : strerror(-status));
		if (!len || text[len - 1] != '\n')
			fputc('\n', stderr);
	} else if (print && len) {
		fwrite(text, 1, len, stdout);
	}
	free(text);
	return status ? 1 : 0;
}

/*
 * Attach to a domain console: raw terminal, Ctrl-] detaches (as in xl),
 * and the domain keeps running; attaching again works.
 */
int pvctl_console(const char *dom)
{
	char *argv[] = { "console", (char *)dom };
	struct termios saved, raw;
	bool tty = isatty(STDIN_FILENO);
	int fd = pvctl_connect(false), status, rc;
	char *text = NULL;
	size_t len;

	if (fd < 0)
		return 1;
	rc = exchange(fd, 2, argv, NULL, 0, &status, &text, &len);
	if (rc || status) {
		fprintf(stderr, "pvctl console: %s", rc ? strerror(-rc) :
			len ? text : strerror(-status));
		if (!rc && len && text[len - 1] != '\n')
			fputc('\n', stderr);
		free(text);
		close(fd);
		return 1;
	}
	free(text);
	if (tty) {
		tcgetattr(STDIN_FILENO, &saved);
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = fd, .events = POLLIN },
			{ .fd = STDIN_FILENO, .events = POLLIN },
		};
		char buf[4096];
		ssize_t n;

		if (poll(p, 2, -1) < 0)
			break;
		if (p[0].revents) {
			n = read(fd, buf, sizeof(buf));
			if (n <= 0)
				break;
			if (write(STDOUT_FILENO, buf, n) < 0)
				break;
		}
		if (p[1].revents) {
			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n <= 0)
				break;
			if (memchr(buf, 0x1d, n))	/* Ctrl-] */
				break;
			if (send(fd, buf, n, MSG_NOSIGNAL) < 0)
				break;
		}
	}
	if (tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	close(fd);
	return 0;
}

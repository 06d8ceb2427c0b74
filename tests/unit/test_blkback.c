/* SPDX-License-Identifier: MIT */
/*
 * pvblkback, the real binary, driven as pvisord drives it: started with
 * only its control socket open (fd 3) and no environment, told OPEN with
 * the grant broker's memfd and eventfds (the test runs pvisord's own
 * broker, toolstack/pvisord/gnt_broker.c, on a fixture domain's RAM and
 * grant-table memfds) and an image memfd, then
 * CONNECT with a ring the test grants and serves as the frontend would
 * (blkfront's side of the blkif ring, two eventfds for the event
 * channel). Every wait is bounded: a backend that hangs or dies fails
 * the test, it never blocks it. The I/O tests run with the backend's
 * io_uring, with io_uring refused (its synchronous path), and with an
 * image that is not raw: a qcow2 file behind qemu-storage-daemon, as
 * pvisord starts it, the backend speaking NBD to it (and again behind
 * an NBD server of the test's own, one without FUA). Multi-queue: up to
 * BLKBACK_MAX_QUEUES rings, each its own ring pages and event channel.
 *
 * The binary: $PVBLKBACK, else the path the make rule compiled in. The
 * NBD tests need qemu-storage-daemon and qemu-img in $PATH: without
 * them they fail, saying so; they are not skipped.
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <libnbd.h>
#include <cmocka.h>
#ifdef __x86_64__
#include <linux/audit.h>
#endif

#include "gnt_fixture.h"
#include "pvisor/blkback_ctl.h"
#include "pvisor/gnt_broker.h"
#include <pvabi/io/blkif.h>

#ifndef PVBLKBACK_DEFAULT
#define PVBLKBACK_DEFAULT	"build/pvblkback"
#endif

#define DOM0		0
#define TIMEOUT_MS	5000
#define SECTOR		512u
#define IMG_BYTES	(1024u * 1024u + 300u)	/* a partial sector at the end */
#define IMG_SECTORS	2048u

/* Guest frames and the grants the "frontend" made of them. */
#define RING_PFN	0x40u			/* up to 4 ring pages */
#define RING_REF	8u
/* Queue n's ring (multi-queue): its own 4 frames, its own grants. */
#define QRING_PFN(n)	(RING_PFN + 4u * (n))	/* 0x40..0x4f */
#define QRING_REF(n)	((n) ? 200u + 4u * (n) : RING_REF)
#define NR_DATA		32u
#define DATA_PFN(i)	(0x50u + (i))		/* 0x50..0x6f */
#define DATA_REF(i)	(16u + (i))		/* 16..47 */
#define IND_PFN		0x70u			/* an indirect page */
#define IND_REF		60u
#define RO_PFN		0x71u			/* granted read-only */
#define RO_REF		61u
#define OTHER_PFN	0x72u			/* granted to domain 5 */
#define OTHER_REF	62u
#define NOTRAM_REF	63u			/* names a frame beyond RAM */
#define PT_PFN		0x73u			/* made a page table */
#define PT_REF		64u
#define JUNK_PFN	0x74u			/* an indirect page of garbage */
#define JUNK_REF	65u
#define UNGRANTED_REF	100u
#define BEYOND_REF	5000u			/* past the table's 512 entries */

struct bb {
	struct gnt_fix f;
	int img;			/* the image, read-write, ours */
	bool no_uring;			/* start it with io_uring refused */
	uint64_t sectors;		/* of the disk the backend serves */
	/* The NBD engine: our qemu-storage-daemon, and our own NBD
	 * connection to it to look at the image (nbd NULL: not NBD). */
	struct nbd_handle *nbd;
	pid_t qsd;
	bool qsd_ro;			/* its export is read-only */
	char dir[64];			/* its socket, the image, its log */
	pid_t peer;			/* a fake NBD server of ours */
	pid_t pid;			/* 0: none, or reaped */
	int wstatus;			/* once reaped */
	int ctl;
	struct gnt_broker *broker;	/* pvisord's, serving the backend */
	/* The rings, as the frontend sees them; q: the one in use. */
	struct fq {
		int notify, kick;	/* we write notify, the backend kick */
		uint64_t notifies, kicks; /* sent, and counted on kick */
		blkif_front_ring_t fr;
	} qs[BLKBACK_MAX_QUEUES], *q;
	/* LOG messages seen, the last 16. */
	char log[16][sizeof(((struct blkback_msg *)0)->text) + 1];
	unsigned int nlog;
};

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static const char *backend_path(void)
{
	const char *p = getenv("PVBLKBACK");

	return p && *p ? p : PVBLKBACK_DEFAULT;
}

static void describe_status(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d (%s)%s", WTERMSIG(st),
			 strsignal(WTERMSIG(st)),
			 WTERMSIG(st) == SIGSYS ? ": seccomp" : "");
	else
		snprintf(buf, len, "wait status %#x", st);
}

/*
 * What became of the backend, for failure messages: reaps it if it ends
 * within a second (its socket closes a little before it is waitable).
 */
static const char *child_state(struct bb *x)
{
	int64_t end = now_ms() + 1000;
	static char buf[128];

	while (x->pid > 0) {
		if (waitpid(x->pid, &x->wstatus, WNOHANG) == x->pid)
			x->pid = 0;
		else if (now_ms() > end)
			return "pvblkback still running";
		else
			usleep(1000);
	}
	describe_status(x->wstatus, buf, sizeof(buf));
	return buf;
}

/* Wait for the backend to end (TIMEOUT_MS, then SIGKILL); its status. */
static int reap(struct bb *x)
{
	int64_t end = now_ms() + TIMEOUT_MS;
	bool hung = false;

	while (x->pid > 0) {
		pid_t r = waitpid(x->pid, &x->wstatus, WNOHANG);

		if (r == x->pid || (r < 0 && errno != EINTR)) {
			x->pid = 0;
			break;
		}
		if (now_ms() > end) {
			kill(x->pid, SIGKILL);
			waitpid(x->pid, &x->wstatus, 0);
			x->pid = 0;
			hung = true;
			break;
		}
		usleep(2000);
	}
	if (hung)
		fail_msg("pvblkback did not exit within %d ms", TIMEOUT_MS);
	return x->wstatus;
}

/*
 * The same, but where the host refuses io_uring (as some container
 * runtimes do): a seccomp filter the backend inherits fails
 * io_uring_setup, so it serves with its synchronous fallback.
 */
static pid_t spawn_without_uring(const char *path, int ctl)
{
	struct sock_filter insns[] = {
#ifdef __x86_64__
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
#endif
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(insns) / sizeof(insns[0]), .filter = insns,
	};
	char *argv[] = { "pvblkback", NULL }, *envp[] = { NULL };
	bool nnp = geteuid() != 0;
	sigset_t none;
	pid_t pid;

	sigemptyset(&none);
	pid = fork();
	if (pid)
		return pid;
	/* The child: async-signal-safe calls only, then exec. */
	if (ctl == BLKBACK_CTL_FD)
		fcntl(ctl, F_SETFD, 0);
	else if (dup2(ctl, BLKBACK_CTL_FD) != BLKBACK_CTL_FD)
		_exit(127);
	close_range(0, BLKBACK_CTL_FD - 1, 0);
	close_range(BLKBACK_CTL_FD + 1, ~0u, 0);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	if ((nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		_exit(126);
	execve(path, argv, envp);
	_exit(127);
}

/* As pvisord's spawn_backend: the control socket as fd 3, nothing else. */
static void spawn(struct bb *x)
{
	char *argv[] = { "pvblkback", NULL }, *envp[] = { NULL };
	const char *path = backend_path();
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dfl;
	int sv[2], rc;

	if (access(path, X_OK))
		fail_msg("pvblkback not found at %s (%s): build it with `make "
			 "build/pvblkback`, or set PVBLKBACK to its path", path,
			 strerror(errno));
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				    sv), 0);
	sigemptyset(&none);
	sigfillset(&dfl);
	if (x->no_uring) {
		x->pid = spawn_without_uring(path, sv[1]);
		close(sv[1]);
		if (x->pid < 0)
			fail_msg("cannot fork: %s", strerror(errno));
		x->ctl = sv[0];
		return;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], BLKBACK_CTL_FD);
	for (int fd = 0; fd < BLKBACK_CTL_FD; fd++)
		posix_spawn_file_actions_addclose(&fa, fd);
	posix_spawn_file_actions_addclosefrom_np(&fa, BLKBACK_CTL_FD + 1);
	posix_spawnattr_init(&at);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
				 POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
	rc = posix_spawn(&x->pid, path, &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(sv[1]);
	if (rc) {
		close(sv[0]);
		x->pid = 0;
		fail_msg("cannot start %s: %s", path, strerror(rc));
	}
	x->ctl = sv[0];
}

static void ctl_send(struct bb *x, const struct blkback_msg *m,
		     const int *fds, unsigned int nfds)
{
	char cbuf[CMSG_SPACE(8 * sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)m, .iov_len = sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds) {
		struct cmsghdr *c;

		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	if (sendmsg(x->ctl, &mh, MSG_NOSIGNAL) != sizeof(*m))
		fail_msg("cannot send control message %u: %s (%s)", m->type,
			 strerror(errno), child_state(x));
}

/* 1: a message (LOGs kept), 0: the backend closed the socket, -1: none. */
static int ctl_read(struct bb *x, struct blkback_msg *m)
{
	ssize_t n = recv(x->ctl, m, sizeof(*m), MSG_DONTWAIT);

	if (n == 0)
		return 0;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? -1 : 0;
	if (n != sizeof(*m))
		fail_msg("control message of %zd bytes, not %zu", n, sizeof(*m));
	if (m->type == BLKBACK_LOG) {
		char *l = x->log[x->nlog++ % 16];

		memcpy(l, m->text, sizeof(m->text));
		l[sizeof(m->text)] = '\0';
	}
	return 1;
}

static bool has_log(struct bb *x, const char *what)
{
	unsigned int n = x->nlog < 16 ? x->nlog : 16;

	for (unsigned int i = 0; i < n; i++)
		if (strstr(x->log[i], what))
			return true;
	return false;
}

/* The next reply of type want (LOGs on the way kept); bounded. */
static void ctl_wait(struct bb *x, uint32_t want, struct blkback_msg *rep)
{
	int64_t end = now_ms() + TIMEOUT_MS;

	for (;;) {
		struct pollfd p = { .fd = x->ctl, .events = POLLIN };
		int64_t left = end - now_ms();
		int r;

		if (left <= 0)
			fail_msg("no control reply %u from pvblkback within "
				 "%d ms", want, TIMEOUT_MS);
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		r = ctl_read(x, rep);
		if (r == 0)
			fail_msg("pvblkback closed its control socket while "
				 "we waited for reply %u: %s", want,
				 child_state(x));
		if (r < 0 || rep->type == BLKBACK_LOG)
			continue;
		if (rep->type != want)
			fail_msg("control reply %u, not %u", rep->type, want);
		return;
	}
}

/* A LOG message containing what, within TIMEOUT_MS. */
static void wait_log(struct bb *x, const char *what)
{
	int64_t end = now_ms() + TIMEOUT_MS;
	struct blkback_msg m;

	while (!has_log(x, what)) {
		struct pollfd p = { .fd = x->ctl, .events = POLLIN };
		int64_t left = end - now_ms();
		int r;

		if (left <= 0)
			fail_msg("no LOG \"%s\" from pvblkback within %d ms",
				 what, TIMEOUT_MS);
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		r = ctl_read(x, &m);
		if (r == 0)
			fail_msg("pvblkback closed its control socket: %s",
				 child_state(x));
		if (r > 0 && m.type != BLKBACK_LOG)
			fail_msg("unexpected control message %u", m.type);
	}
}

/* Descriptors the backend holds (its /proc/<pid>/fd). */
static int count_fds(struct bb *x)
{
	char path[64];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)x->pid);
	d = opendir(path);
	if (!d)
		fail_msg("cannot list %s: %s", path, strerror(errno));
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* ------------------------------------------------------- the image -- */

static uint8_t pattern(uint64_t off)
{
	uint64_t v = (off + 1) * 0x9e3779b97f4a7c15ull;

	return (uint8_t)(v >> 56) ^ (uint8_t)(off >> 9);
}

static int make_image(size_t bytes)
{
	int fd = memfd_create("test-image", MFD_CLOEXEC);
	uint8_t buf[8192];

	if (fd < 0 || ftruncate(fd, (off_t)bytes))
		return -1;
	for (size_t off = 0; off < bytes; off += sizeof(buf)) {
		size_t n = bytes - off < sizeof(buf) ? bytes - off : sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(off + i);
		if (pwrite(fd, buf, n, (off_t)off) != (ssize_t)n)
			return -1;
	}
	return fd;
}

/* The image fd again, with other access (as pvctl would open it). */
static int reopen_image(struct bb *x, int flags)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", x->img);
	fd = open(path, flags | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

/* What the image holds: the file, or what the NBD server says. */
static void image_read(struct bb *x, uint64_t sector, void *buf, size_t len)
{
	if (x->nbd) {
		if (nbd_pread(x->nbd, buf, len, sector * SECTOR, 0))
			fail_msg("our own NBD read of %zu bytes at sector %llu: "
				 "%s", len, (unsigned long long)sector,
				 nbd_get_error());
		return;
	}
	assert_int_equal(pread(x->img, buf, len, (off_t)(sector * SECTOR)),
			 (ssize_t)len);
}

/* ------------------------------------------ the NBD image server -- */

/*
 * The NBD engine's image: a qcow2 file exported by qemu-storage-daemon
 * as pvisord's start_image_server runs it (discard=unmap: discard on),
 * its UNIX socket in a directory of ours. The backend gets a socket
 * connected to it; we keep a connection of our own (x->nbd) to look at
 * and change the image beside the backend, as the same block node.
 */
#define NBD_BYTES	(2u * 1024u * 1024u)	/* qemu-img create ... 2M */
#define NBD_SECTORS	(NBD_BYTES / SECTOR)
#define QCOW2_CLUSTER	128u			/* sectors, 64 KiB */

/* Our own NBD server (test_nbd_no_fua): the image it serves, its log. */
#define FAKE_LOG_MAX	8192u
static int fake_img = -1;
static uint32_t *fake_log;

/* prog's path in $PATH (or the usual places), or false. */
static bool find_prog(const char *prog, char *out, size_t len)
{
	const char *env = getenv("PATH");
	char buf[4096], *save = NULL;

	snprintf(buf, sizeof(buf), "%s:/usr/local/bin:/usr/bin:/bin:"
		 "/usr/sbin:/sbin", env ? env : "");
	for (char *d = strtok_r(buf, ":", &save); d;
	     d = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", d, prog);
		if (*d && !access(out, X_OK))
			return true;
	}
	return false;
}

/* Start a tool: its output to log, gone if we are. */
static pid_t spawn_tool(char *const argv[], const char *log)
{
	sigset_t none;
	pid_t pid = fork();
	int fd;

	if (pid)
		return pid;
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		_exit(126);
	fd = open("/dev/null", O_RDONLY);
	if (fd < 0 || dup2(fd, 0) < 0)
		_exit(126);
	close_range(3, ~0u, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execv(argv[0], argv);
	dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Wait up to ms for pid; true if it ended (status in *st). */
static bool wait_pid(pid_t pid, int *st, int ms)
{
	int64_t end = now_ms() + ms;

	for (;;) {
		pid_t r = waitpid(pid, st, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			return true;
		if (now_ms() > end)
			return false;
		usleep(1000);
	}
}

static void show_file(const char *path)
{
	char buf[2048];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = '\0';
		print_error("    %s:\n%s\n", path, buf);
	}
}

/* Run a qemu tool to its end (TIMEOUT_MS); 0, or -1 and said why. */
static int run_tool(struct bb *x, char *const argv[])
{
	char log[128], st[128];
	int status;
	pid_t pid;

	snprintf(log, sizeof(log), "%s/tool.log", x->dir);
	unlink(log);
	pid = spawn_tool(argv, log);
	if (pid < 0) {
		print_error("cannot fork: %s\n", strerror(errno));
		return -1;
	}
	if (!wait_pid(pid, &status, TIMEOUT_MS)) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		print_error("%s did not finish within %d ms\n", argv[0],
			    TIMEOUT_MS);
		return -1;
	}
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return 0;
	describe_status(status, st, sizeof(st));
	print_error("%s %s %s: %s\n", argv[0], argv[1], argv[2], st);
	show_file(log);
	return -1;
}

/* A new connection to the server's socket; -1 and errno if none. */
static int nbd_sock(struct bb *x)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/nbd.sock", x->dir);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* The image: the pattern make_image writes, NBD_BYTES of it, as qcow2. */
static int make_qcow2(struct bb *x)
{
	char img[128], raw[128], prog[256];
	uint8_t buf[8192];
	int fd, rc;

	if (!find_prog("qemu-img", prog, sizeof(prog))) {
		print_error("qemu-img is not installed (Debian: qemu-utils): "
			    "the NBD engine of pvblkback cannot be tested\n");
		return -1;
	}
	snprintf(raw, sizeof(raw), "%s/pattern.raw", x->dir);
	snprintf(img, sizeof(img), "%s/disk.qcow2", x->dir);
	fd = open(raw, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	for (size_t off = 0; off < NBD_BYTES; off += sizeof(buf)) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = pattern(off + i);
		if (pwrite(fd, buf, sizeof(buf), (off_t)off) != sizeof(buf)) {
			close(fd);
			return -1;
		}
	}
	close(fd);
	{
		char *argv[] = { prog, "convert", "-f", "raw", "-O", "qcow2",
				 raw, img, NULL };

		rc = run_tool(x, argv);
	}
	unlink(raw);
	return rc;
}

/*
 * qemu-storage-daemon on x's image, as pvisord starts it; then our own
 * connection to it (which also says it is up). 0, or -1 and said why:
 * a missing qemu-storage-daemon fails the test, it never skips it.
 */
static int qsd_start(struct bb *x, bool ro)
{
	char prog[256], file_opt[256], fmt_opt[128], nbd_opt[128];
	char exp_opt[128], log[128];
	const char *ros = ro ? "on" : "off", *unmap = ro ? "" : ",discard=unmap";
	char *argv[] = { prog, "--blockdev", file_opt, "--blockdev", fmt_opt,
			 "--nbd-server", nbd_opt, "--export", exp_opt, NULL };
	int64_t end = now_ms() + TIMEOUT_MS;
	int fd, status;

	if (!find_prog("qemu-storage-daemon", prog, sizeof(prog))) {
		print_error("qemu-storage-daemon is not installed (not in "
			    "PATH; Debian: qemu-system-common): the NBD engine "
			    "of pvblkback (images that are not raw) cannot be "
			    "tested\n");
		return -1;
	}
	snprintf(file_opt, sizeof(file_opt), "driver=file,node-name=file,"
		 "filename=%s/disk.qcow2,read-only=%s%s", x->dir, ros, unmap);
	snprintf(fmt_opt, sizeof(fmt_opt), "driver=qcow2,node-name=fmt,"
		 "file=file,read-only=%s%s", ros, unmap);
	snprintf(nbd_opt, sizeof(nbd_opt), "addr.type=unix,addr.path=%s/"
		 "nbd.sock", x->dir);
	snprintf(exp_opt, sizeof(exp_opt), "type=nbd,id=exp,node-name=fmt,"
		 "name=disk,writable=%s", ro ? "off" : "on");
	snprintf(log, sizeof(log), "%s/qsd.log", x->dir);
	x->qsd_ro = ro;
	x->qsd = spawn_tool(argv, log);
	if (x->qsd < 0) {
		x->qsd = 0;
		print_error("cannot fork: %s\n", strerror(errno));
		return -1;
	}
	while ((fd = nbd_sock(x)) < 0) {
		if (waitpid(x->qsd, &status, WNOHANG) == x->qsd) {
			char st[128];

			x->qsd = 0;
			describe_status(status, st, sizeof(st));
			print_error("qemu-storage-daemon %s before its socket "
				    "came up\n", st);
			show_file(log);
			return -1;
		}
		if (now_ms() > end) {
			print_error("qemu-storage-daemon's socket did not come "
				    "up within %d ms\n", TIMEOUT_MS);
			show_file(log);
			return -1;
		}
		usleep(2000);
	}
	x->nbd = nbd_create();
	if (!x->nbd || nbd_set_export_name(x->nbd, "disk") ||
	    nbd_connect_socket(x->nbd, fd)) {
		print_error("our own NBD connection to qemu-storage-daemon: "
			    "%s\n", nbd_get_error());
		show_file(log);
		return -1;
	}
	return 0;
}

/* SIGTERM (or SIGKILL: hard), then SIGKILL after 2 s; reaped. */
static void qsd_stop(struct bb *x, bool hard)
{
	int status;

	if (x->nbd)
		nbd_close(x->nbd);
	x->nbd = NULL;
	if (x->qsd <= 0)
		return;
	kill(x->qsd, hard ? SIGKILL : SIGTERM);
	if (!wait_pid(x->qsd, &status, 2000)) {
		kill(x->qsd, SIGKILL);
		waitpid(x->qsd, &status, 0);
	}
	x->qsd = 0;
}

static void nbd_teardown(struct bb *x)
{
	struct dirent *e;
	DIR *d;

	qsd_stop(x, false);
	if (!x->dir[0])
		return;
	d = opendir(x->dir);
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
	rmdir(x->dir);
	x->dir[0] = '\0';
}

/* The fd the backend gets as its image: ours, or a new connection. */
static int disk_fd(struct bb *x)
{
	int fd = x->nbd ? nbd_sock(x) : x->img;

	if (fd < 0)
		fail_msg("cannot connect to qemu-storage-daemon: %s",
			 strerror(errno));
	return fd;
}

/* ------------------------------------------------------ the guest -- */

static uint8_t *page(struct bb *x, uint64_t pfn)
{
	return gf_ram(&x->f, pfn << PAGE_SHIFT);
}

static void grant_pages(struct bb *x)
{
	struct gnt_fix *f = &x->f;

	for (unsigned int i = 0; i < NR_DATA; i++)
		gf_grant(f, DATA_REF(i), DOM0, DATA_PFN(i), 0);
	/* blkfront grants its indirect pages read-only. */
	gf_grant(f, IND_REF, DOM0, IND_PFN, GTF_readonly);
	gf_grant(f, RO_REF, DOM0, RO_PFN, GTF_readonly);
	gf_grant(f, OTHER_REF, 5, OTHER_PFN, 0);
	gf_grant(f, NOTRAM_REF, DOM0, 0x7fffffffu, 0);
	gf_grant(f, PT_REF, DOM0, PT_PFN, 0);
	gf_grant(f, JUNK_REF, DOM0, JUNK_PFN, GTF_readonly);
}

/* ------------------------------------------------ fixture, OPEN -- */

static int setup_fix(void **state)
{
	struct bb *x = calloc(1, sizeof(*x));

	if (!x || gnt_fix_init(&x->f))
		return -1;
	x->img = make_image(IMG_BYTES);
	if (x->img < 0)
		return -1;
	x->ctl = -1;
	x->sectors = IMG_SECTORS;
	for (unsigned int i = 0; i < BLKBACK_MAX_QUEUES; i++)
		x->qs[i].notify = x->qs[i].kick = -1;
	x->q = &x->qs[0];
	grant_pages(x);
	*state = x;
	return 0;
}

/* OPEN's fds as pvisord sends them: a fresh broker's memfd and
 * eventfds on the fixture domain, then img_fd. Close_open_fds after. */
static void open_fds(struct bb *x, int img_fd, int fds[4])
{
	struct gnt_broker_config bc = {
		.ram_fd = x->f.d.ram_fd, .gnttab_fd = gnttab_domain_fd(&x->f.d),
		.data_len = BLKBACK_BROKER_DATA_LEN };
	int rc;

	gnt_broker_stop(x->broker);
	x->broker = NULL;
	rc = gnt_broker_start(&bc, &x->broker, &fds[0], &fds[1], &fds[2]);
	if (rc)
		fail_msg("cannot start the grant broker: %s", strerror(-rc));
	fds[3] = img_fd;
}

static void close_open_fds(int fds[4])
{
	for (int i = 0; i < 3; i++)
		close(fds[i]);
}

static void send_open(struct bb *x, int img_fd, uint32_t flags,
		      struct blkback_msg *rep)
{
	struct blkback_msg m = { .type = BLKBACK_OPEN };
	int fds[4];

	open_fds(x, img_fd, fds);
	m.open.domid = GF_DOMID;
	m.open.devid = 51712;
	m.open.flags = flags;
	ctl_send(x, &m, fds, 4);
	close_open_fds(fds);
	ctl_wait(x, BLKBACK_INFO, rep);
}

/* A backend serving x's image, opened as img_fd with flags. */
static void start(struct bb *x, int img_fd, uint32_t flags,
		  struct blkback_msg *info)
{
	spawn(x);
	send_open(x, img_fd, flags, info);
	if (info->status)
		fail_msg("OPEN refused: %d (%.*s)", info->status,
			 (int)sizeof(info->text), info->text);
}

/* A backend serving x's disk, whichever engine: our copy of an NBD
 * connection goes (the backend has its own). */
static void start_disk(struct bb *x, uint32_t flags, struct blkback_msg *info)
{
	int fd = disk_fd(x);

	spawn(x);
	send_open(x, fd, flags, info);
	if (fd != x->img)
		close(fd);
	if (info->status)
		fail_msg("OPEN refused: %d (%.*s)", info->status,
			 (int)sizeof(info->text), info->text);
}

static int setup_rw(void **state)
{
	struct blkback_msg info;
	struct bb *x;

	if (setup_fix(state))
		return -1;
	x = *state;
	start(x, x->img, BLKBACK_F_DISCARD, &info);
	return 0;
}

static int setup_fix_sync(void **state)
{
	if (setup_fix(state))
		return -1;
	((struct bb *)*state)->no_uring = true;
	return 0;
}

/* The same backend, serving with synchronous I/O. */
static int setup_rw_sync(void **state)
{
	struct blkback_msg info;
	struct bb *x;

	if (setup_fix(state))
		return -1;
	x = *state;
	x->no_uring = true;
	start(x, x->img, BLKBACK_F_DISCARD, &info);
	if (!has_log(x, "io_uring unavailable")) {
		print_error("pvblkback started without io_uring did not say "
			    "so (LOG \"io_uring unavailable\")\n");
		return -1;
	}
	return 0;
}

static int teardown(void **state);

/* A qcow2 image behind qemu-storage-daemon (read-only: ro), no backend. */
static int setup_nbd_common(void **state, bool ro)
{
	struct bb *x;

	if (setup_fix(state))
		return -1;
	x = *state;
	snprintf(x->dir, sizeof(x->dir), "/tmp/test_blkback-XXXXXX");
	if (!mkdtemp(x->dir)) {
		print_error("mkdtemp: %s\n", strerror(errno));
		x->dir[0] = '\0';
		teardown(state);
		return -1;
	}
	if (make_qcow2(x) || qsd_start(x, ro)) {
		teardown(state);
		return -1;
	}
	x->sectors = NBD_SECTORS;
	return 0;
}

static int setup_nbd_fix(void **state)
{
	return setup_nbd_common(state, false);
}

static int setup_nbd_ro_fix(void **state)
{
	return setup_nbd_common(state, true);
}

/* A backend serving it, as for the other engines' setup_rw. */
static int setup_nbd(void **state)
{
	struct blkback_msg info;
	struct bb *x;

	if (setup_nbd_fix(state))
		return -1;
	x = *state;
	start_disk(x, BLKBACK_F_DISCARD, &info);
	if (info.info.sectors != NBD_SECTORS) {
		print_error("NBD disk of %llu sectors, not %u\n",
			    (unsigned long long)info.info.sectors, NBD_SECTORS);
		teardown(state);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	struct bb *x = *state;
	int rc = 0;

	if (x->ctl >= 0)
		close(x->ctl);	/* EOF: the backend exits */
	x->ctl = -1;
	if (x->pid > 0) {
		int64_t end = now_ms() + TIMEOUT_MS;

		while (waitpid(x->pid, &x->wstatus, WNOHANG) == 0 &&
		       now_ms() < end)
			usleep(2000);
		if (now_ms() >= end) {
			kill(x->pid, SIGKILL);
			waitpid(x->pid, &x->wstatus, 0);
		} else if (WIFSIGNALED(x->wstatus)) {
			char st[128];

			/* Whatever the test did, the sandbox must hold. */
			describe_status(x->wstatus, st, sizeof(st));
			print_error("pvblkback, at the end of the test, %s%s\n",
				    st, WTERMSIG(x->wstatus) == SIGSYS
				    ? " (the syscall: `dmesg | grep "
				      "type=1326`)" : "");
			rc = -1;
		}
	}
	if (x->peer > 0) {
		kill(x->peer, SIGKILL);
		waitpid(x->peer, NULL, 0);
	}
	if (fake_log)
		munmap(fake_log, (FAKE_LOG_MAX + 1) * sizeof(uint32_t));
	fake_log = NULL;
	fake_img = -1;
	for (unsigned int i = 0; i < BLKBACK_MAX_QUEUES; i++) {
		if (x->qs[i].notify >= 0)
			close(x->qs[i].notify);
		if (x->qs[i].kick >= 0)
			close(x->qs[i].kick);
	}
	nbd_teardown(x);
	close(x->img);
	gnt_broker_stop(x->broker);	/* once the backend is gone */
	gnt_fix_fini(&x->f);
	free(x);
	return rc;
}

/* ------------------------------------------------------- the ring -- */

/* The queue x->q is. */
static unsigned int qn(struct bb *x)
{
	return (unsigned int)(x->q - x->qs);
}

/* Lay out a fresh shared ring of nr pages, as blkfront does. */
static void ring_prepare(struct bb *x, unsigned int nr)
{
	blkif_sring_t *s = (blkif_sring_t *)page(x, QRING_PFN(qn(x)));

	memset(s, 0, (size_t)nr * PAGE_SIZE);
	SHARED_RING_INIT(s);
	FRONT_RING_INIT(&x->q->fr, s, (size_t)nr * PAGE_SIZE);
}

/* Hand the ring over: CONNECT with its refs and the event channel. */
static void ring_hand_over(struct bb *x, unsigned int nr)
{
	struct blkback_msg m = { .type = BLKBACK_CONNECT }, rep;
	int fds[2];

	m.connect.nr_ring_pages = nr;
	m.connect.queue = qn(x);
	for (unsigned int i = 0; i < nr; i++) {
		gf_grant(&x->f, QRING_REF(qn(x)) + i, DOM0,
			 QRING_PFN(qn(x)) + i, 0);
		m.connect.ring_ref[i] = QRING_REF(qn(x)) + i;
	}
	if (x->q->notify >= 0)
		close(x->q->notify);
	if (x->q->kick >= 0)
		close(x->q->kick);
	x->q->notify = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	x->q->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(x->q->notify >= 0 && x->q->kick >= 0);
	x->q->notifies = x->q->kicks = 0;
	fds[0] = x->q->notify;
	fds[1] = x->q->kick;
	ctl_send(x, &m, fds, 2);
	ctl_wait(x, BLKBACK_CONNECTED, &rep);
	if (rep.status)
		fail_msg("CONNECT of queue %u refused: %d (%.*s)", qn(x),
			 rep.status, (int)sizeof(rep.text), rep.text);
}

static void connect_ring(struct bb *x, unsigned int nr)
{
	ring_prepare(x, nr);
	ring_hand_over(x, nr);
}

static void disconnect(struct bb *x)
{
	struct blkback_msg m = { .type = BLKBACK_DISCONNECT }, rep;

	ctl_send(x, &m, NULL, 0);
	ctl_wait(x, BLKBACK_DISCONNECTED, &rep);
	assert_int_equal(rep.status, 0);
}

static struct blkback_stats get_stats(struct bb *x)
{
	struct blkback_msg m = { .type = BLKBACK_STATS }, rep;

	ctl_send(x, &m, NULL, 0);
	ctl_wait(x, BLKBACK_STATS, &rep);
	return rep.stats;
}

/* Put a request (any of the blkif request layouts) in the next slot. */
static void queue(struct bb *x, const void *req, size_t len)
{
	struct blkif_request *slot = RING_GET_REQUEST(&x->q->fr,
						      x->q->fr.req_prod_pvt);

	memset(slot, 0, sizeof(*slot));
	memcpy(slot, req, len);
	x->q->fr.req_prod_pvt++;
}

static void kick_backend(struct bb *x)
{
	uint64_t one = 1;

	assert_int_equal(write(x->q->notify, &one, sizeof(one)), sizeof(one));
	x->q->notifies++;
}

/* Count the backend's kicks not yet seen. */
static void drain_kicks(struct bb *x)
{
	uint64_t cnt;

	if (read(x->q->kick, &cnt, sizeof(cnt)) == sizeof(cnt))
		x->q->kicks += cnt;
}

static void push(struct bb *x)
{
	int notify;

	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&x->q->fr, notify);
	if (notify)
		kick_backend(x);
}

/* Wait for the backend's kick (or its going away), bounded by end. */
static void wait_kick(struct bb *x, int64_t end)
{
	struct pollfd p[2] = {
		{ .fd = x->q->kick, .events = POLLIN },
		{ .fd = x->ctl, .events = POLLIN },
	};
	int64_t left = end - now_ms();
	struct blkback_msg m;
	uint64_t cnt;

	if (left <= 0)
		fail_msg("no response on the ring within %d ms (%s)",
			 TIMEOUT_MS, child_state(x));
	if (poll(p, 2, (int)left) <= 0)
		return;
	if ((p[0].revents & POLLIN) &&
	    read(x->q->kick, &cnt, sizeof(cnt)) == sizeof(cnt))
		x->q->kicks += cnt;
	if (p[1].revents & (POLLIN | POLLHUP)) {
		int r = ctl_read(x, &m);

		if (r == 0)
			fail_msg("pvblkback went away with requests "
				 "outstanding: %s", child_state(x));
		if (r > 0 && m.type != BLKBACK_LOG)
			fail_msg("unexpected control message %u", m.type);
	}
}

/* The next response, as blkfront takes it. */
static struct blkif_response get_rsp(struct bb *x)
{
	int64_t end = now_ms() + TIMEOUT_MS;
	struct blkif_response r;
	int more;

	for (;;) {
		RING_IDX prod = x->q->fr.sring->rsp_prod;

		xen_rmb();
		if (prod != x->q->fr.rsp_cons) {
			if (prod - x->q->fr.rsp_cons > RING_SIZE(&x->q->fr))
				fail_msg("backend's rsp_prod %u is beyond the "
					 "ring (rsp_cons %u)", prod,
					 x->q->fr.rsp_cons);
			RING_COPY_RESPONSE(&x->q->fr, x->q->fr.rsp_cons, &r);
			x->q->fr.rsp_cons++;
			return r;
		}
		RING_FINAL_CHECK_FOR_RESPONSES(&x->q->fr, more);
		if (!more)
			wait_kick(x, end);
	}
}

static uint64_t req_id(const void *req)
{
	uint64_t id;

	memcpy(&id, (const uint8_t *)req +
	       offsetof(struct blkif_request, id), sizeof(id));
	return id;
}

/* What Xen's blkback echoes: an indirect request's indirect_op. */
static uint8_t req_op(const void *req)
{
	const struct blkif_request_indirect *ind = req;

	return ind->operation == BLKIF_OP_INDIRECT ? ind->indirect_op
						   : ind->operation;
}

/* One request, alone on the ring; its response, id checked. */
static struct blkif_response one(struct bb *x, const void *req, size_t len)
{
	struct blkif_response r;

	queue(x, req, len);
	push(x);
	r = get_rsp(x);
	if (r.id != req_id(req))
		fail_msg("response id %#llx for request id %#llx",
			 (unsigned long long)r.id,
			 (unsigned long long)req_id(req));
	return r;
}

static struct blkif_request rw_req(uint8_t op, uint64_t id, uint64_t sector,
				   unsigned int nseg, unsigned int first_page)
{
	struct blkif_request r = {
		.operation = op, .nr_segments = (uint8_t)nseg, .id = id,
		.sector_number = sector,
	};

	for (unsigned int i = 0; i < nseg && i < BLKIF_MAX_SEGMENTS_PER_REQUEST;
	     i++)
		r.seg[i] = (struct blkif_request_segment){
			.gref = DATA_REF(first_page + i), .first_sect = 0,
			.last_sect = 7 };
	return r;
}

static struct blkif_request_indirect ind_req(uint8_t op, uint64_t id,
					     uint64_t sector, uint16_t nseg,
					     grant_ref_t ind_ref)
{
	struct blkif_request_indirect r = {
		.operation = BLKIF_OP_INDIRECT, .indirect_op = op,
		.nr_segments = nseg, .id = id, .sector_number = sector,
		.indirect_grefs = { ind_ref },
	};

	return r;
}

/* The indirect page: nseg whole-page segments over the data pages. */
static void fill_indirect(struct bb *x, unsigned int nseg)
{
	struct blkif_request_segment *s = (void *)page(x, IND_PFN);

	memset(s, 0, PAGE_SIZE);
	for (unsigned int i = 0; i < nseg; i++)
		s[i] = (struct blkif_request_segment){
			.gref = DATA_REF(i % NR_DATA), .first_sect = 0,
			.last_sect = 7 };
}

static void expect_status(struct bb *x, const void *req, size_t len,
			  int16_t want, bool check_op, const char *what)
{
	struct blkif_response r = one(x, req, len);

	if (r.status != want)
		fail_msg("%s: status %d, want %d", what, r.status, want);
	if (check_op && r.operation != req_op(req))
		fail_msg("%s: response operation %u, want %u (Xen's blkback "
			 "echoes the request's, an indirect one's "
			 "indirect_op; blkfront checks it)", what,
			 r.operation, req_op(req));
}

/* A plain read still works (after something hostile). */
static void good_read(struct bb *x, const char *after)
{
	struct blkif_request r = rw_req(BLKIF_OP_READ, 0x600d, 40, 1, 0);
	uint8_t want[4096];
	struct blkif_response rsp;

	memset(page(x, DATA_PFN(0)), 0xee, PAGE_SIZE);
	rsp = one(x, &r, sizeof(r));
	if (rsp.status != BLKIF_RSP_OKAY)
		fail_msg("a good read after %s: status %d", after, rsp.status);
	image_read(x, 40, want, sizeof(want));
	assert_memory_equal(page(x, DATA_PFN(0)), want, sizeof(want));
}

/* After DISCONNECT: no ring page pinned or counted as written. */
static void ring_gone(struct bb *x)
{
	const struct frame_state *fs = &x->f.d.gnttab->shm.frames;

	assert_int_equal(gf_flags(&x->f, RING_REF), GTF_permit_access);
	assert_int_equal(frame_writers(fs, RING_PFN), 0);
}

static void fill_page(uint8_t *p, uint8_t seed)
{
	for (unsigned int i = 0; i < PAGE_SIZE; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

/* ================================================== 1. OPEN, INFO == */

static void test_open_info(void **state)
{
	struct bb *x = *state;
	struct blkback_msg info;

	start(x, x->img, BLKBACK_F_DISCARD, &info);
	assert_int_equal(info.status, 0);
	assert_int_equal(info.info.sectors, IMG_BYTES / SECTOR);
	assert_int_equal(info.info.sectors, x->sectors);
	assert_int_equal(info.info.sector_size, 512);
	assert_int_equal(info.info.physical_sector_size, 4096);
	assert_int_equal(info.info.flags, BLKBACK_F_DISCARD);
	assert_int_equal(info.info.max_indirect_segments, 64);
	assert_int_equal(info.info.discard_granularity, 4096);
	print_message("    pvblkback I/O: %s\n",
		      has_log(x, "io_uring unavailable")
		      ? "synchronous (io_uring refused here)" : "io_uring");
}

/* A read-only image fd makes a read-only disk, without discard. */
static void test_open_readonly(void **state)
{
	struct bb *x = *state;
	struct blkback_msg info;
	int ro = reopen_image(x, O_RDONLY);

	start(x, ro, BLKBACK_F_DISCARD, &info);
	assert_int_equal(info.info.sectors, x->sectors);
	assert_int_equal(info.info.flags, BLKBACK_F_READONLY);
	assert_int_equal(info.info.max_indirect_segments, 64);
	close(ro);
	close(x->ctl);
	x->ctl = -1;
	assert_int_equal(reap(x), 0);

	/* A writable fd, but pvisord says read-only. */
	start(x, x->img, BLKBACK_F_READONLY | BLKBACK_F_CDROM, &info);
	assert_int_equal(info.info.flags,
			 BLKBACK_F_READONLY | BLKBACK_F_CDROM);
}

/* OPEN refused: INFO with status < 0 and why; then the backend exits. */
static void open_refused(struct bb *x, int img_fd, unsigned int nfds,
			 const char *why)
{
	struct blkback_msg m = { .type = BLKBACK_OPEN }, rep;
	int fds[4];
	char st[128];
	int status;

	spawn(x);
	open_fds(x, img_fd, fds);
	m.open.domid = GF_DOMID;
	ctl_send(x, &m, fds, nfds);
	close_open_fds(fds);
	ctl_wait(x, BLKBACK_INFO, &rep);
	rep.text[sizeof(rep.text) - 1] = '\0';
	if (rep.status >= 0)
		fail_msg("OPEN with %s: INFO status %d", why, rep.status);
	if (!rep.text[0])
		fail_msg("OPEN with %s: no reason given", why);
	print_message("    %s: %d \"%s\"\n", why, rep.status, rep.text);
	close(x->ctl);
	x->ctl = -1;
	status = reap(x);
	describe_status(status, st, sizeof(st));
	if (!WIFEXITED(status) || !WEXITSTATUS(status))
		fail_msg("after a refused OPEN (%s) the backend %s", why, st);
}

static void test_open_refused(void **state)
{
	struct bb *x = *state;
	int empty = memfd_create("empty", MFD_CLOEXEC);
	int tiny = memfd_create("tiny", MFD_CLOEXEC);
	int p[2], dir, path_fd, wo;

	assert_true(empty >= 0 && tiny >= 0);
	assert_int_equal(ftruncate(tiny, 511), 0);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	dir = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	path_fd = reopen_image(x, O_PATH);
	wo = reopen_image(x, O_WRONLY);
	assert_true(dir >= 0);

	open_refused(x, empty, 4, "an empty image");
	open_refused(x, tiny, 4, "an image of 511 bytes");
	open_refused(x, p[0], 4, "a pipe");
	open_refused(x, dir, 4, "a directory");
	open_refused(x, path_fd, 4, "an O_PATH fd");
	open_refused(x, wo, 4, "a write-only fd");
	open_refused(x, x->img, 3, "three fds");

	close(empty);
	close(tiny);
	close(p[0]);
	close(p[1]);
	close(dir);
	close(path_fd);
	close(wo);
}

/* ================================================ 2. CONNECT, I/O == */

static void test_io(void **state)
{
	struct bb *x = *state;
	uint8_t buf[16 * 4096], zero[128 * 512];
	struct blkif_request r;
	struct blkif_request_discard d;
	struct blkif_request_indirect ind;
	/* qcow2 frees whole clusters only (a discard of less is a no-op
	 * that succeeds, as NBD_CMD_TRIM may be): one cluster there. */
	unsigned int dn = x->nbd ? QCOW2_CLUSTER : 16;

	connect_ring(x, 1);
	assert_int_equal(RING_SIZE(&x->q->fr), 32);

	/* READ of 8 sectors into a granted page. */
	memset(page(x, DATA_PFN(0)), 0, PAGE_SIZE);
	r = rw_req(BLKIF_OP_READ, 1, 8, 1, 0);
	expect_status(x, &r, sizeof(r), BLKIF_RSP_OKAY, true, "read");
	image_read(x, 8, buf, 4096);
	assert_memory_equal(page(x, DATA_PFN(0)), buf, 4096);
	/* The data grant is not held after the copy. */
	assert_int_equal(gf_flags(&x->f, DATA_REF(0)), GTF_permit_access);

	/* The last page of the disk. */
	r = rw_req(BLKIF_OP_READ, 2, x->sectors - 8, 1, 1);
	expect_status(x, &r, sizeof(r), BLKIF_RSP_OKAY, true, "read at end");
	image_read(x, x->sectors - 8, buf, 4096);
	assert_memory_equal(page(x, DATA_PFN(1)), buf, 4096);

	/* WRITE from a granted page changes the image. */
	fill_page(page(x, DATA_PFN(2)), 0x31);
	r = rw_req(BLKIF_OP_WRITE, 3, 100, 1, 2);
	expect_status(x, &r, sizeof(r), BLKIF_RSP_OKAY, true, "write");
	image_read(x, 100, buf, 4096);
	assert_memory_equal(buf, page(x, DATA_PFN(2)), 4096);

	/* A WRITE from a read-only grant is fine: it is only read. */
	fill_page(page(x, RO_PFN), 0x44);
	r = rw_req(BLKIF_OP_WRITE, 4, 120, 1, 0);
	r.seg[0].gref = RO_REF;
	expect_status(x, &r, sizeof(r), BLKIF_RSP_OKAY, true,
		      "write from a read-only grant");
	image_read(x, 120, buf, 4096);
	assert_memory_equal(buf, page(x, RO_PFN), 4096);

	/* FLUSH_DISKCACHE without data, and with data. */
	r = rw_req(BLKIF_OP_FLUSH_DISKCACHE, 5, 0, 0, 0);
	expect_status(x, &r, sizeof(r), BLKIF_RSP_OKAY, true, "flush");
	fill_page(page(x, DATA_PFN(3)), 0x52);
	r = rw_req(BLKIF_OP_FLUSH_DISKCACHE, 6, 200, 1, 3);
	expect_status(x, &r, sizeof(r), BLKIF_RSP_OKAY, true,
		      "flush with data");
	image_read(x, 200, buf, 4096);
	assert_memory_equal(buf, page(x, DATA_PFN(3)), 4096);

	/* Sub-page segments: 11 of them, each a different part of a page. */
	for (unsigned int i = 0; i < 11; i++)
		memset(page(x, DATA_PFN(4 + i)), 0xcc, PAGE_SIZE);
	r = rw_req(BLKIF_OP_READ, 7, 300, 11, 4);
	for (unsigned int i = 0; i < 11; i++) {
		r.seg[i].first_sect = (uint8_t)(i % 8);
		r.seg[i].last_sect = (uint8_t)(i % 8 + (7 - i % 8) / 2);
	}
	expect_status(x, &r, sizeof(r), BLKIF_RSP_OKAY, true,
		      "read of 11 partial segments");
	{
		uint64_t sector = 300;

		for (unsigned int i = 0; i < 11; i++) {
			unsigned int first = r.seg[i].first_sect;
			unsigned int n = r.seg[i].last_sect - first + 1;
			uint8_t *p = page(x, DATA_PFN(4 + i));

			image_read(x, sector, buf, n * SECTOR);
			assert_memory_equal(p + first * SECTOR, buf,
					    n * SECTOR);
			/* Nothing around the segment touched. */
			for (unsigned int b = 0; b < first * SECTOR; b++)
				assert_int_equal(p[b], 0xcc);
			for (unsigned int b = (first + n) * SECTOR;
			     b < PAGE_SIZE; b++)
				assert_int_equal(p[b], 0xcc);
			sector += n;
		}
	}

	/* DISCARD: OKAY, and the range reads zero; its neighbours do not. */
	{
		uint8_t before[512], after[512];

		uint8_t *got = buf;	/* 64 KiB, 128 sectors */

		image_read(x, 255, before, 512);
		image_read(x, 256 + dn, after, 512);
		d = (struct blkif_request_discard){
			.operation = BLKIF_OP_DISCARD, .id = 8,
			.sector_number = 256, .nr_sectors = dn };
		expect_status(x, &d, sizeof(d), BLKIF_RSP_OKAY, true,
			      "discard");
		memset(zero, 0, sizeof(zero));
		image_read(x, 256, got, dn * 512);
		if (memcmp(got, zero, dn * 512))
			fail_msg("%u sectors discarded at 256 do not read back "
				 "as zeros%s", dn, x->nbd ? " (the NBD server "
				 "advertises trim, discard=unmap)" : "");
		if (x->nbd) {
			/* Less than a cluster: OKAY, whatever it does. */
			d.sector_number = 400;
			d.nr_sectors = 16;
			expect_status(x, &d, sizeof(d), BLKIF_RSP_OKAY, true,
				      "discard of less than a cluster");
			image_read(x, 400, buf, 16 * 512);
			print_message("    a discard of 16 sectors in a 128-"
				      "sector qcow2 cluster: %s\n",
				      memcmp(buf, zero, 16 * 512)
				      ? "data kept (a no-op)" : "zeros");
		}
		image_read(x, 255, buf, 512);
		assert_memory_equal(buf, before, 512);
		image_read(x, 256 + dn, buf, 512);
		assert_memory_equal(buf, after, 512);
		/* Through the ring too. */
		memset(page(x, DATA_PFN(0)), 0x99, PAGE_SIZE);
		r = rw_req(BLKIF_OP_READ, 9, 256, 1, 0);
		expect_status(x, &r, sizeof(r), BLKIF_RSP_OKAY, true,
			      "read of the discarded range");
		assert_memory_equal(page(x, DATA_PFN(0)), zero, 4096);
	}

	/* INDIRECT read of 16 pages. */
	for (unsigned int i = 0; i < 16; i++)
		memset(page(x, DATA_PFN(i)), 0, PAGE_SIZE);
	fill_indirect(x, 16);
	ind = ind_req(BLKIF_OP_READ, 10, 512, 16, IND_REF);
	expect_status(x, &ind, sizeof(ind), BLKIF_RSP_OKAY, true,
		      "indirect read");
	image_read(x, 512, buf, 16 * 4096);
	for (unsigned int i = 0; i < 16; i++)
		assert_memory_equal(page(x, DATA_PFN(i)), buf + i * 4096,
				    4096);
	assert_int_equal(gf_flags(&x->f, IND_REF),
			 GTF_permit_access | GTF_readonly);

	/* INDIRECT write of 16 pages, then all 64 segments read back. */
	for (unsigned int i = 0; i < 16; i++)
		fill_page(page(x, DATA_PFN(i)), (uint8_t)(0x70 + i));
	ind = ind_req(BLKIF_OP_WRITE, 11, 1024, 16, IND_REF);
	expect_status(x, &ind, sizeof(ind), BLKIF_RSP_OKAY, true,
		      "indirect write");
	image_read(x, 1024, buf, 16 * 4096);
	for (unsigned int i = 0; i < 16; i++)
		assert_memory_equal(buf + i * 4096, page(x, DATA_PFN(i)),
				    4096);
	{
		/* 64 segments: 2 per data page, half a page each. */
		struct blkif_request_segment *s = (void *)page(x, IND_PFN);
		uint8_t *img = malloc(64 * 2048);

		assert_non_null(img);
		for (unsigned int i = 0; i < 64; i++)
			s[i] = (struct blkif_request_segment){
				.gref = DATA_REF(i / 2),
				.first_sect = (uint8_t)(i % 2 ? 4 : 0),
				.last_sect = (uint8_t)(i % 2 ? 7 : 3) };
		for (unsigned int i = 0; i < NR_DATA; i++)
			memset(page(x, DATA_PFN(i)), 0, PAGE_SIZE);
		ind = ind_req(BLKIF_OP_READ, 12, 1024, 64, IND_REF);
		expect_status(x, &ind, sizeof(ind), BLKIF_RSP_OKAY, true,
			      "indirect read of 64 segments");
		image_read(x, 1024, img, 64 * 2048);
		for (unsigned int i = 0; i < NR_DATA; i++)
			assert_memory_equal(page(x, DATA_PFN(i)),
					    img + i * 4096, 4096);
		free(img);
	}
	drain_kicks(x);
	assert_true(x->q->kicks > 0);
	assert_true(x->q->notifies > 0);
}

/*
 * n (<= 128) one-sector reads at once: read i takes sector 1500 + 3i
 * into its own 512 bytes of the data pages.
 */
#define MANY_ID		0x1000u
static void queue_many(struct bb *x, unsigned int n)
{
	for (unsigned int i = 0; i < NR_DATA; i++)
		memset(page(x, DATA_PFN(i)), 0, PAGE_SIZE);
	for (unsigned int i = 0; i < n; i++) {
		struct blkif_request r = rw_req(BLKIF_OP_READ, MANY_ID + i,
						1500 + 3 * i, 1, i % NR_DATA);

		r.seg[0].first_sect = r.seg[0].last_sect =
			(uint8_t)(i / NR_DATA);
		queue(x, &r, sizeof(r));
	}
}

/* One response of queue_many's, checked, its data too. */
static void check_many(struct bb *x, const struct blkif_response *rsp,
		       unsigned int n, bool *seen)
{
	uint64_t i = rsp->id - MANY_ID;
	uint8_t buf[512];

	if (rsp->id < MANY_ID || i >= n || seen[i])
		fail_msg("response id %#llx unexpected",
			 (unsigned long long)rsp->id);
	seen[i] = true;
	assert_int_equal(rsp->status, BLKIF_RSP_OKAY);
	assert_int_equal(rsp->operation, BLKIF_OP_READ);
	image_read(x, 1500 + 3 * i, buf, 512);
	assert_memory_equal(page(x, DATA_PFN(i % NR_DATA)) +
			    (i / NR_DATA) * 512, buf, 512);
}

/* Many requests at once, on a ring of 4 pages: more than in flight. */
static void test_many_in_flight(void **state)
{
	struct bb *x = *state;
	enum { N = 100 };
	bool seen[N] = { false };
	struct blkback_stats st0, st1;

	connect_ring(x, 4);
	assert_int_equal(RING_SIZE(&x->q->fr), 128);
	st0 = get_stats(x);
	queue_many(x, N);
	push(x);
	for (unsigned int n = 0; n < N; n++) {
		struct blkif_response rsp = get_rsp(x);

		check_many(x, &rsp, N, seen);
	}
	/* Nothing more. */
	assert_int_equal(x->q->fr.sring->rsp_prod, x->q->fr.rsp_cons);
	/* What the grant broker cost: round trips to pvisord. */
	st1 = get_stats(x);
	print_message("    %u requests: %llu broker round trips, %llu ops\n",
		      (unsigned int)N,
		      (unsigned long long)(st1.broker_batches -
					   st0.broker_batches),
		      (unsigned long long)(st1.broker_ops - st0.broker_ops));
	assert_true(st1.broker_batches - st0.broker_batches <= 4u * N);
	good_read(x, "100 reads");
}

/*
 * DISCONNECT with requests in flight: every request the backend took
 * is answered on the ring before DISCONNECTED, then the ring is let go.
 */
static void test_disconnect_in_flight(void **state)
{
	struct bb *x = *state;
	enum { N = 100 };
	bool seen[N] = { false };
	struct blkback_stats st;
	RING_IDX prod;

	connect_ring(x, 4);
	queue_many(x, N);
	push(x);
	disconnect(x);
	st = get_stats(x);
	prod = x->q->fr.sring->rsp_prod;
	print_message("    %u of %u requests taken before DISCONNECT\n",
		      (unsigned int)st.reqs, N);
	assert_true(st.reqs >= 1 && st.reqs <= N);
	assert_int_equal(prod, st.reqs);
	for (RING_IDX i = 0; i < prod; i++) {
		struct blkif_response rsp;

		RING_COPY_RESPONSE(&x->q->fr, i, &rsp);
		check_many(x, &rsp, N, seen);
	}
	ring_gone(x);
	/* A frontend that starts over is served again. */
	connect_ring(x, 1);
	good_read(x, "DISCONNECT with requests in flight");
}

/* Requests blkfront queued before the backend came are served. */
static void test_queued_before_connect(void **state)
{
	struct bb *x = *state;
	struct blkif_request r = rw_req(BLKIF_OP_READ, 0x4242, 24, 2, 0);
	struct blkif_response rsp;
	uint8_t buf[8192];

	memset(page(x, DATA_PFN(0)), 0, PAGE_SIZE);
	memset(page(x, DATA_PFN(1)), 0, PAGE_SIZE);
	ring_prepare(x, 1);
	queue(x, &r, sizeof(r));
	RING_PUSH_REQUESTS(&x->q->fr);		/* no event: not bound yet */
	ring_hand_over(x, 1);
	rsp = get_rsp(x);
	assert_int_equal(rsp.id, 0x4242);
	assert_int_equal(rsp.status, BLKIF_RSP_OKAY);
	image_read(x, 24, buf, sizeof(buf));
	assert_memory_equal(page(x, DATA_PFN(0)), buf, 4096);
	assert_memory_equal(page(x, DATA_PFN(1)), buf + 4096, 4096);
}

/*
 * Notification suppression, both ways: no kick while the frontend's
 * rsp_event says it polls; req_event asks for the next request.
 */
static void test_kick_suppressed(void **state)
{
	struct bb *x = *state;
	struct blkif_request r = rw_req(BLKIF_OP_READ, 0x5151, 8, 1, 0);
	int64_t end = now_ms() + TIMEOUT_MS;
	struct blkif_response rsp;
	uint64_t cnt;

	connect_ring(x, 1);
	good_read(x, "CONNECT");
	(void)get_stats(x);
	drain_kicks(x);
	/* Polling: no event wanted for the next 1000 responses. */
	x->q->fr.sring->rsp_event = x->q->fr.rsp_cons + 1000;
	queue(x, &r, sizeof(r));
	push(x);
	while (x->q->fr.sring->rsp_prod == x->q->fr.rsp_cons) {
		if (now_ms() > end)
			fail_msg("no response within %d ms (%s)", TIMEOUT_MS,
				 child_state(x));
		usleep(200);
	}
	xen_rmb();
	RING_COPY_RESPONSE(&x->q->fr, x->q->fr.rsp_cons, &rsp);
	x->q->fr.rsp_cons++;
	assert_int_equal(rsp.id, 0x5151);
	assert_int_equal(rsp.status, BLKIF_RSP_OKAY);
	(void)get_stats(x);	/* the backend is past the push */
	if (read(x->q->kick, &cnt, sizeof(cnt)) == sizeof(cnt))
		fail_msg("kicked %llu time(s) against rsp_event",
			 (unsigned long long)cnt);
	/* Idle, it asked to hear of the next request. */
	assert_int_equal(x->q->fr.sring->req_event, x->q->fr.sring->req_prod + 1);
}

/* CONNECT and other control messages that are refused. */
static void test_control_errors(void **state)
{
	struct bb *x = *state;
	struct blkback_msg m = { .type = BLKBACK_CONNECT }, rep;
	int efd[2], fds0;

	efd[0] = eventfd(0, EFD_CLOEXEC);
	efd[1] = eventfd(0, EFD_CLOEXEC);
	assert_true(efd[0] >= 0 && efd[1] >= 0);
	fds0 = count_fds(x);

	/* One eventfd only. */
	m.connect.nr_ring_pages = 1;
	m.connect.ring_ref[0] = RING_REF;
	gf_grant(&x->f, RING_REF, DOM0, RING_PFN, 0);
	ctl_send(x, &m, efd, 1);
	ctl_wait(x, BLKBACK_CONNECTED, &rep);
	assert_true(rep.status < 0);
	/* Ring page counts: none, not a power of two, too many. */
	{
		static const uint32_t bad[] = { 0, 3, 32, 0xffffffffu };

		for (unsigned int i = 0; i < 4; i++) {
			m.connect.nr_ring_pages = bad[i];
			ctl_send(x, &m, efd, 2);
			ctl_wait(x, BLKBACK_CONNECTED, &rep);
			if (rep.status >= 0)
				fail_msg("CONNECT with %u ring pages: %d",
					 bad[i], rep.status);
		}
	}
	/* A ring ref not granted, beyond the table, read-only, not RAM,
	 * granted to another domain: refused, and nothing stays pinned. */
	{
		static const uint32_t bad[] = { UNGRANTED_REF, BEYOND_REF,
						RO_REF, NOTRAM_REF, OTHER_REF };

		for (unsigned int i = 0; i < 5; i++) {
			m.connect.nr_ring_pages = 1;
			m.connect.ring_ref[0] = bad[i];
			ctl_send(x, &m, efd, 2);
			ctl_wait(x, BLKBACK_CONNECTED, &rep);
			if (rep.status >= 0)
				fail_msg("CONNECT with ring ref %u: %d",
					 bad[i], rep.status);
		}
		assert_true(has_log(x, "cannot map ring page"));
		assert_int_equal(gf_flags(&x->f, RO_REF),
				 GTF_permit_access | GTF_readonly);
		assert_int_equal(gf_flags(&x->f, OTHER_REF),
				 GTF_permit_access);
	}
	/* The second of two pages bad: the first is let go again. */
	m.connect.nr_ring_pages = 2;
	m.connect.ring_ref[0] = RING_REF;
	m.connect.ring_ref[1] = UNGRANTED_REF;
	ctl_send(x, &m, efd, 2);
	ctl_wait(x, BLKBACK_CONNECTED, &rep);
	assert_true(rep.status < 0);
	assert_int_equal(gf_flags(&x->f, RING_REF), GTF_permit_access);
	assert_int_equal(frame_writers(&x->f.d.gnttab->shm.frames, RING_PFN),
			 0);

	/* A message the backend does not know, with fds; a second OPEN. */
	m = (struct blkback_msg){ .type = 99 };
	ctl_send(x, &m, efd, 2);
	m = (struct blkback_msg){ .type = BLKBACK_OPEN };
	{
		/* The same kind of fds as a first OPEN, from a broker of
		 * its own (the backend's stays). */
		struct gnt_broker *keep = x->broker;
		int ofds[4];

		x->broker = NULL;
		open_fds(x, x->img, ofds);
		ctl_send(x, &m, ofds, 4);
		close_open_fds(ofds);
		gnt_broker_stop(x->broker);
		x->broker = keep;
	}
	wait_log(x, "unknown control message 99");
	wait_log(x, "unknown control message 1");
	/* DISCONNECT while not connected is answered. */
	disconnect(x);
	/* None of the fds sent above stayed with the backend. */
	assert_int_equal(count_fds(x), fds0);

	/* After all that, a good CONNECT; a second one is refused. */
	connect_ring(x, 1);
	assert_int_equal(count_fds(x), fds0 + 2);
	m = (struct blkback_msg){ .type = BLKBACK_CONNECT };
	m.connect.nr_ring_pages = 1;
	m.connect.ring_ref[0] = RING_REF;
	ctl_send(x, &m, efd, 2);
	ctl_wait(x, BLKBACK_CONNECTED, &rep);
	assert_true(rep.status < 0);
	assert_int_equal(count_fds(x), fds0 + 2);
	good_read(x, "a second CONNECT");
	close(efd[0]);
	close(efd[1]);
}

/* ============================================ 3. hostile requests == */

static void test_hostile(void **state)
{
	struct bb *x = *state;
	const struct frame_state *fs = &x->f.d.gnttab->shm.frames;
	uint8_t snap[4096], buf[4096];
	struct blkif_request r;
	struct blkif_request_discard d;
	struct blkif_request_indirect ind;

	connect_ring(x, 1);
	good_read(x, "CONNECT");

#define HOSTILE(req, want, what) do {					\
		expect_status(x, &(req), sizeof(req), (want), true, (what)); \
		good_read(x, (what));					\
	} while (0)

	/* Grants. */
	r = rw_req(BLKIF_OP_READ, 0xfedcba9876543210ull, 8, 1, 0);
	r.seg[0].gref = UNGRANTED_REF;
	HOSTILE(r, BLKIF_RSP_ERROR, "read into an ungranted ref");
	r.seg[0].gref = BEYOND_REF;
	HOSTILE(r, BLKIF_RSP_ERROR, "read into a ref beyond the table");
	r.seg[0].gref = 0xffffffffu;
	HOSTILE(r, BLKIF_RSP_ERROR, "read into ref 0xffffffff");
	memset(page(x, RO_PFN), 0x5a, PAGE_SIZE);
	r.seg[0].gref = RO_REF;
	r.id = ~0ull;
	HOSTILE(r, BLKIF_RSP_ERROR, "read into a read-only grant");
	for (unsigned int i = 0; i < PAGE_SIZE; i++)
		assert_int_equal(page(x, RO_PFN)[i], 0x5a);
	assert_int_equal(gf_flags(&x->f, RO_REF),
			 GTF_permit_access | GTF_readonly);
	r.seg[0].gref = OTHER_REF;
	HOSTILE(r, BLKIF_RSP_ERROR, "read into a grant to another domain");
	r.seg[0].gref = NOTRAM_REF;
	HOSTILE(r, BLKIF_RSP_ERROR, "read into a grant of a non-RAM frame");
	r = rw_req(BLKIF_OP_WRITE, 0x77, 8, 1, 0);
	r.seg[0].gref = UNGRANTED_REF;
	HOSTILE(r, BLKIF_RSP_ERROR, "write from an ungranted ref");
	/* A page the guest made a page table is never written. */
	memset(page(x, PT_PFN), 0x3c, PAGE_SIZE);
	assert_true(frame_protect(fs, PT_PFN));
	r = rw_req(BLKIF_OP_READ, 0x78, 8, 1, 0);
	r.seg[0].gref = PT_REF;
	HOSTILE(r, BLKIF_RSP_ERROR, "read into a page-table frame");
	for (unsigned int i = 0; i < PAGE_SIZE; i++)
		assert_int_equal(page(x, PT_PFN)[i], 0x3c);
	frame_unprotect(fs, PT_PFN);
	assert_int_equal(frame_writers(fs, PT_PFN), 0);
	/* A write whose second segment is bad leaves the image alone. */
	image_read(x, 600, snap, sizeof(snap));
	fill_page(page(x, DATA_PFN(5)), 0x12);
	r = rw_req(BLKIF_OP_WRITE, 0x79, 600, 2, 5);
	r.seg[1].gref = UNGRANTED_REF;
	HOSTILE(r, BLKIF_RSP_ERROR, "write with an ungranted second segment");
	image_read(x, 600, buf, sizeof(buf));
	assert_memory_equal(buf, snap, sizeof(buf));

	/* Segments. */
	r = rw_req(BLKIF_OP_READ, 0x80, 8, 0, 0);
	HOSTILE(r, BLKIF_RSP_ERROR, "read with 0 segments");
	r.operation = BLKIF_OP_WRITE;
	HOSTILE(r, BLKIF_RSP_ERROR, "write with 0 segments");
	r = rw_req(BLKIF_OP_READ, 0x81, 8, 11, 0);
	r.nr_segments = 12;
	HOSTILE(r, BLKIF_RSP_ERROR, "read with 12 segments");
	r.nr_segments = 255;
	HOSTILE(r, BLKIF_RSP_ERROR, "read with 255 segments");
	r = rw_req(BLKIF_OP_READ, 0x82, 8, 1, 0);
	r.seg[0].first_sect = 5;
	r.seg[0].last_sect = 3;
	HOSTILE(r, BLKIF_RSP_ERROR, "first_sect > last_sect");
	r.seg[0].first_sect = 0;
	r.seg[0].last_sect = 8;
	HOSTILE(r, BLKIF_RSP_ERROR, "last_sect 8");
	r.seg[0].first_sect = 8;
	r.seg[0].last_sect = 8;
	HOSTILE(r, BLKIF_RSP_ERROR, "first_sect 8");
	r.seg[0].first_sect = 0;
	r.seg[0].last_sect = 255;
	HOSTILE(r, BLKIF_RSP_ERROR, "last_sect 255");

	/* Sectors. */
	r = rw_req(BLKIF_OP_READ, 0x83, x->sectors - 4, 1, 0);
	HOSTILE(r, BLKIF_RSP_ERROR, "read past the end");
	r.sector_number = x->sectors;
	r.seg[0].last_sect = 0;
	HOSTILE(r, BLKIF_RSP_ERROR, "read of the sector after the end");
	r = rw_req(BLKIF_OP_READ, 0x84, ~0ull, 1, 0);
	HOSTILE(r, BLKIF_RSP_ERROR, "sector ~0");
	r.sector_number = ~0ull - 3;
	HOSTILE(r, BLKIF_RSP_ERROR, "sector + length wraps");
	r.sector_number = 1ull << 55;		/* * 512 wraps to 0 */
	HOSTILE(r, BLKIF_RSP_ERROR, "sector * 512 wraps");
	r = rw_req(BLKIF_OP_WRITE, 0x85, x->sectors - 4, 1, 0);
	HOSTILE(r, BLKIF_RSP_ERROR, "write past the end");
	r.sector_number = 1ull << 55;
	image_read(x, 0, snap, sizeof(snap));
	HOSTILE(r, BLKIF_RSP_ERROR, "write at sector * 512 wrapping to 0");
	image_read(x, 0, buf, sizeof(buf));
	assert_memory_equal(buf, snap, sizeof(buf));

	/* Operations. */
	{
		static const uint8_t ops[] = { BLKIF_OP_WRITE_BARRIER,
					       BLKIF_OP_RESERVED_1, 7, 0x80,
					       0xff };

		for (unsigned int i = 0; i < sizeof(ops); i++) {
			r = rw_req(ops[i], 0x90 + i, 8, 1, 0);
			HOSTILE(r, BLKIF_RSP_EOPNOTSUPP, "an unknown operation");
		}
	}
	d = (struct blkif_request_discard){ .operation = BLKIF_OP_DISCARD,
		.flag = BLKIF_DISCARD_SECURE, .id = 0xa0,
		.sector_number = 8, .nr_sectors = 8 };
	HOSTILE(d, BLKIF_RSP_EOPNOTSUPP, "secure discard");
	d.flag = 0;
	d.sector_number = x->sectors - 8;
	d.nr_sectors = 16;
	HOSTILE(d, BLKIF_RSP_ERROR, "discard past the end");
	d.sector_number = 8;
	d.nr_sectors = ~0ull - 7;		/* sector + n wraps to 0 */
	HOSTILE(d, BLKIF_RSP_ERROR, "discard whose end wraps");
	d.sector_number = ~0ull;
	d.nr_sectors = 1;
	HOSTILE(d, BLKIF_RSP_ERROR, "discard at sector ~0");

	/* Indirect. */
	fill_indirect(x, 64);
	ind = ind_req(BLKIF_OP_READ, 0xb0, 8, 65, IND_REF);
	expect_status(x, &ind, sizeof(ind), BLKIF_RSP_ERROR, false,
		      "indirect with 65 segments");
	good_read(x, "indirect with 65 segments");
	ind.nr_segments = 0xffff;
	expect_status(x, &ind, sizeof(ind), BLKIF_RSP_ERROR, false,
		      "indirect with 65535 segments");
	good_read(x, "indirect with 65535 segments");
	ind.nr_segments = 0;
	expect_status(x, &ind, sizeof(ind), BLKIF_RSP_ERROR, false,
		      "indirect with 0 segments");
	good_read(x, "indirect with 0 segments");
	ind = ind_req(BLKIF_OP_FLUSH_DISKCACHE, 0xb1, 8, 4, IND_REF);
	expect_status(x, &ind, sizeof(ind), BLKIF_RSP_ERROR, false,
		      "indirect flush");
	good_read(x, "indirect flush");
	ind.indirect_op = BLKIF_OP_INDIRECT;
	expect_status(x, &ind, sizeof(ind), BLKIF_RSP_ERROR, false,
		      "indirect in indirect");
	good_read(x, "indirect in indirect");
	ind = ind_req(BLKIF_OP_READ, 0xb2, 8, 16, UNGRANTED_REF);
	HOSTILE(ind, BLKIF_RSP_ERROR, "indirect page not granted");
	ind.indirect_grefs[0] = BEYOND_REF;
	HOSTILE(ind, BLKIF_RSP_ERROR, "indirect page beyond the table");
	{
		/* Garbage: what a hostile guest would put there. */
		uint64_t s = 0x243f6a8885a308d3ull;
		uint8_t *p = page(x, JUNK_PFN);

		for (unsigned int i = 0; i < PAGE_SIZE; i++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			p[i] = (uint8_t)s;
		}
		ind = ind_req(BLKIF_OP_READ, 0xb3, 8, 16, JUNK_REF);
		HOSTILE(ind, BLKIF_RSP_ERROR, "indirect page of garbage");
		ind = ind_req(BLKIF_OP_WRITE, 0xb4, 8, 64, JUNK_REF);
		image_read(x, 8, snap, sizeof(snap));
		HOSTILE(ind, BLKIF_RSP_ERROR, "indirect write, page of garbage");
		image_read(x, 8, buf, sizeof(buf));
		assert_memory_equal(buf, snap, sizeof(buf));
	}
	fill_indirect(x, 16);
	((struct blkif_request_segment *)page(x, IND_PFN))[9].last_sect = 8;
	ind = ind_req(BLKIF_OP_READ, 0xb5, 8, 16, IND_REF);
	HOSTILE(ind, BLKIF_RSP_ERROR, "indirect segment with last_sect 8");
	fill_indirect(x, 16);
	((struct blkif_request_segment *)page(x, IND_PFN))[15].gref = RO_REF;
	HOSTILE(ind, BLKIF_RSP_ERROR, "indirect read into a read-only grant");
	fill_indirect(x, 16);
	ind.sector_number = x->sectors - 64;
	HOSTILE(ind, BLKIF_RSP_ERROR, "indirect read past the end");
	ind.sector_number = ~0ull - 100;
	HOSTILE(ind, BLKIF_RSP_ERROR, "indirect read at sector ~0 - 100");
#undef HOSTILE

	/* No grant left pinned by any of it. */
	assert_int_equal(gf_flags(&x->f, IND_REF),
			 GTF_permit_access | GTF_readonly);
	assert_int_equal(gf_flags(&x->f, JUNK_REF),
			 GTF_permit_access | GTF_readonly);
	for (unsigned int i = 0; i < NR_DATA; i++)
		assert_int_equal(gf_flags(&x->f, DATA_REF(i)),
				 GTF_permit_access);
	/* Still alive and well. */
	assert_int_equal(waitpid(x->pid, NULL, WNOHANG), 0);
}

/*
 * The response to a malformed indirect request carries its indirect_op,
 * as Xen's blkback answers (dispatch_rw_block_io's fail_response) and
 * as Linux's blkfront checks: any other operation in a response makes
 * blkfront declare the whole disk broken.
 */
static void test_indirect_error_echo(void **state)
{
	struct bb *x = *state;
	struct blkif_request_indirect ind;

	connect_ring(x, 1);
	fill_indirect(x, 64);
	ind = ind_req(BLKIF_OP_READ, 0xc0, 8, 16, JUNK_REF);
	memset(page(x, JUNK_PFN), 0xff, PAGE_SIZE);
	expect_status(x, &ind, sizeof(ind), BLKIF_RSP_ERROR, true,
		      "indirect read, page of garbage");
	ind = ind_req(BLKIF_OP_WRITE, 0xc1, 8, 65, IND_REF);
	expect_status(x, &ind, sizeof(ind), BLKIF_RSP_ERROR, true,
		      "indirect write with 65 segments");
	ind = ind_req(BLKIF_OP_READ, 0xc2, 8, 0, IND_REF);
	expect_status(x, &ind, sizeof(ind), BLKIF_RSP_ERROR, true,
		      "indirect read with 0 segments");
}

/* A read-only disk: writes refused, the image untouched; reads fine. */
static void test_readonly_disk(void **state)
{
	struct bb *x = *state;
	struct blkback_msg info;
	uint8_t snap[16 * 4096], buf[16 * 4096];
	struct blkif_request r;
	struct blkif_request_discard d;
	struct blkif_request_indirect ind;
	struct blkif_response rsp;

	if (x->nbd) {	/* the server's export is read-only */
		assert_true(x->qsd_ro);
		assert_int_equal(nbd_is_read_only(x->nbd), 1);
		start_disk(x, BLKBACK_F_DISCARD, &info);
	} else {
		int ro = reopen_image(x, O_RDONLY);

		start(x, ro, BLKBACK_F_DISCARD, &info);
		close(ro);
	}
	assert_int_equal(info.info.flags, BLKBACK_F_READONLY);
	connect_ring(x, 1);
	good_read(x, "CONNECT");
	image_read(x, 0, snap, sizeof(snap));

	fill_page(page(x, DATA_PFN(0)), 0x21);
	r = rw_req(BLKIF_OP_WRITE, 0xd0, 8, 1, 0);
	expect_status(x, &r, sizeof(r), BLKIF_RSP_ERROR, true,
		      "write on a read-only disk");
	good_read(x, "write on a read-only disk");
	r.operation = BLKIF_OP_FLUSH_DISKCACHE;
	expect_status(x, &r, sizeof(r), BLKIF_RSP_ERROR, true,
		      "flush with data on a read-only disk");
	fill_indirect(x, 16);
	ind = ind_req(BLKIF_OP_WRITE, 0xd1, 8, 16, IND_REF);
	expect_status(x, &ind, sizeof(ind), BLKIF_RSP_ERROR, true,
		      "indirect write on a read-only disk");
	/* Discard is not offered on it: refused, either way. */
	d = (struct blkif_request_discard){ .operation = BLKIF_OP_DISCARD,
		.id = 0xd2, .sector_number = 8, .nr_sectors = 8 };
	rsp = one(x, &d, sizeof(d));
	assert_true(rsp.status == BLKIF_RSP_ERROR ||
		    rsp.status == BLKIF_RSP_EOPNOTSUPP);
	good_read(x, "discard on a read-only disk");
	image_read(x, 0, buf, sizeof(buf));
	assert_memory_equal(buf, snap, sizeof(buf));
	/* A flush without data is harmless. */
	r = rw_req(BLKIF_OP_FLUSH_DISKCACHE, 0xd3, 0, 0, 0);
	rsp = one(x, &r, sizeof(r));
	assert_true(rsp.status == BLKIF_RSP_OKAY ||
		    rsp.status == BLKIF_RSP_ERROR);
	/* And an indirect read works. */
	ind = ind_req(BLKIF_OP_READ, 0xd4, 64, 16, IND_REF);
	expect_status(x, &ind, sizeof(ind), BLKIF_RSP_OKAY, true,
		      "indirect read on a read-only disk");
	image_read(x, 64, buf, sizeof(buf));
	for (unsigned int i = 0; i < 16; i++)
		assert_memory_equal(page(x, DATA_PFN(i)), buf + i * 4096,
				    4096);
}

/* A writable image that pvisord says is read-only: read-only. */
static void test_readonly_flag(void **state)
{
	struct bb *x = *state;
	struct blkback_msg info;
	uint8_t snap[4096], buf[4096];
	struct blkif_request r;

	start_disk(x, BLKBACK_F_READONLY | BLKBACK_F_DISCARD, &info);
	assert_int_equal(info.info.flags, BLKBACK_F_READONLY);
	connect_ring(x, 1);
	image_read(x, 8, snap, sizeof(snap));
	fill_page(page(x, DATA_PFN(0)), 0x21);
	r = rw_req(BLKIF_OP_WRITE, 0xe0, 8, 1, 0);
	expect_status(x, &r, sizeof(r), BLKIF_RSP_ERROR, true,
		      "write on a disk opened read-only");
	image_read(x, 8, buf, sizeof(buf));
	assert_memory_equal(buf, snap, sizeof(buf));
	good_read(x, "write on a disk opened read-only");
}

/* ================================== 4. a producer index that lies == */

static void test_prod_ahead(void **state)
{
	struct bb *x = *state;
	struct blkif_request r = rw_req(BLKIF_OP_READ, 0x5555, 8, 1, 0);

	connect_ring(x, 1);
	good_read(x, "CONNECT");
	/* 1000 requests ahead of the responses, in a ring of 32. */
	x->q->fr.sring->req_prod = x->q->fr.sring->rsp_prod + 1000;
	kick_backend(x);
	wait_log(x, "ring shut down");
	assert_int_equal(waitpid(x->pid, NULL, WNOHANG), 0);
	/* Given up: nothing more is taken from it. */
	x->q->fr.req_prod_pvt = x->q->fr.sring->rsp_prod;
	queue(x, &r, sizeof(r));
	RING_PUSH_REQUESTS(&x->q->fr);
	kick_backend(x);
	assert_int_equal(get_stats(x).rd_reqs, 1);
	disconnect(x);
	ring_gone(x);
	assert_int_equal(waitpid(x->pid, NULL, WNOHANG), 0);

	/* The frontend may start over; a producer index behind the
	 * responses (wrapped) is given up just the same. */
	x->nlog = 0;
	connect_ring(x, 1);
	good_read(x, "reconnecting");
	x->q->fr.sring->req_prod = x->q->fr.sring->rsp_prod - 1;
	kick_backend(x);
	wait_log(x, "ring shut down");
	assert_int_equal(waitpid(x->pid, NULL, WNOHANG), 0);
	disconnect(x);
	ring_gone(x);
}

/* ====================================== 5. STATS, DISCONNECT, exit == */

/* Queue n's ring pages while connected (true) or after (false): not
 * held by the backend either way (the broker holds a grant only for
 * the length of one copy: a pass still running may hold one for a
 * moment, so the wait is bounded), and no writable mapping counted. */
static void queue_ring_held(struct bb *x, unsigned int n, unsigned int nr,
			    bool held)
{
	const struct frame_state *fs = &x->f.d.gnttab->shm.frames;

	for (unsigned int i = 0; i < nr; i++) {
		int64_t end = now_ms() + TIMEOUT_MS;
		uint16_t fl;
		unsigned int w;

		for (;;) {
			fl = gf_flags(&x->f, QRING_REF(n) + i);
			w = frame_writers(fs, QRING_PFN(n) + i);
			if ((fl == GTF_permit_access && !w) ||
			    now_ms() >= end)
				break;
			usleep(1000);
		}
		if (fl != GTF_permit_access || w)
			fail_msg("queue %u ring page %u held%s: grant "
				 "flags %#x, frame writers %u", n, i,
				 held ? " while connected" : " after",
				 fl, w);
	}
}

static void test_stats_disconnect(void **state)
{
	struct bb *x = *state;
	const struct frame_state *fs = &x->f.d.gnttab->shm.frames;
	struct blkif_request r;
	struct blkif_request_discard d;
	struct blkif_request_indirect ind;
	struct blkback_stats st, st2;
	int fds0, status;

	fds0 = count_fds(x);
	st = get_stats(x);
	assert_int_equal(st.reqs, 0);
	connect_ring(x, 1);
	assert_int_equal(count_fds(x), fds0 + 2);
	/* Not held while connected: the broker copies the ring pages in
	 * and out, holding the grant only for each copy (the backend's
	 * first pass may still be running: a bounded wait). */
	queue_ring_held(x, 0, 1, true);
	assert_int_equal(frame_writers(fs, RING_PFN), 0);

	r = rw_req(BLKIF_OP_READ, 1, 8, 1, 0);
	expect_status(x, &r, sizeof(r), BLKIF_RSP_OKAY, true, "read");
	r = rw_req(BLKIF_OP_READ, 2, 16, 2, 1);
	r.seg[1].last_sect = 3;				/* 12 sectors */
	expect_status(x, &r, sizeof(r), BLKIF_RSP_OKAY, true, "read");
	r = rw_req(BLKIF_OP_WRITE, 3, 64, 1, 3);
	expect_status(x, &r, sizeof(r), BLKIF_RSP_OKAY, true, "write");
	r = rw_req(BLKIF_OP_FLUSH_DISKCACHE, 4, 0, 0, 0);
	expect_status(x, &r, sizeof(r), BLKIF_RSP_OKAY, true, "flush");
	d = (struct blkif_request_discard){ .operation = BLKIF_OP_DISCARD,
		.id = 5, .sector_number = 256, .nr_sectors = 16 };
	expect_status(x, &d, sizeof(d), BLKIF_RSP_OKAY, true, "discard");
	r = rw_req(BLKIF_OP_READ, 6, 8, 0, 0);
	expect_status(x, &r, sizeof(r), BLKIF_RSP_ERROR, true,
		      "read with 0 segments");
	fill_indirect(x, 16);
	ind = ind_req(BLKIF_OP_READ, 7, 512, 16, IND_REF);
	expect_status(x, &ind, sizeof(ind), BLKIF_RSP_OKAY, true,
		      "indirect read");

	st = get_stats(x);
	/* Every kick is written by now (the backend answered STATS after
	 * pushing the last response): count those not yet read. */
	drain_kicks(x);
	assert_int_equal(st.reqs, 7);
	assert_int_equal(st.rd_reqs, 3);
	assert_int_equal(st.wr_reqs, 1);
	assert_int_equal(st.flush_reqs, 1);
	assert_int_equal(st.discard_reqs, 1);
	assert_int_equal(st.rd_sectors, 8 + 12 + 128);
	assert_int_equal(st.wr_sectors, 8);
	assert_int_equal(st.errors, 1);
	assert_int_equal(st.kicks_out, x->q->kicks);
	assert_true(st.kicks_in >= 1 && st.kicks_in <= x->q->notifies);
	st2 = get_stats(x);
	assert_memory_equal(&st, &st2, sizeof(st));

	/* No data grant held; only the ring. */
	for (unsigned int i = 0; i < NR_DATA; i++)
		assert_int_equal(gf_flags(&x->f, DATA_REF(i)),
				 GTF_permit_access);

	disconnect(x);
	ring_gone(x);
	assert_true(frame_protect(fs, RING_PFN));	/* may be a table now */
	frame_unprotect(fs, RING_PFN);
	assert_true(gf_revoke(&x->f, RING_REF));
	/* The event channel's fds are let go. */
	assert_int_equal(count_fds(x), fds0);
	/* The counters stay. */
	st2 = get_stats(x);
	assert_int_equal(st2.reqs, st.reqs);
	assert_int_equal(st2.errors, st.errors);

	/* pvisord closes the socket: the backend exits, status 0. */
	close(x->ctl);
	x->ctl = -1;
	status = reap(x);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		char s[128];

		describe_status(status, s, sizeof(s));
		fail_msg("after EOF the backend %s", s);
	}
}

/*
 * pvisord's end without DISCONNECT (pvisord gone, or a forced detach):
 * the backend exits 0 and its ring grant is not left pinned (the pins
 * live in the guest's grant table, not in the process).
 */
static void test_eof_while_connected(void **state)
{
	struct bb *x = *state;
	int status;

	connect_ring(x, 1);
	good_read(x, "CONNECT");
	close(x->ctl);
	x->ctl = -1;
	status = reap(x);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (gf_flags(&x->f, RING_REF) != GTF_permit_access ||
	    frame_writers(&x->f.d.gnttab->shm.frames, RING_PFN))
		fail_msg("the backend exited with the ring still pinned: "
			 "grant flags %#x, frame writers %u; the guest can "
			 "never take the page back",
			 gf_flags(&x->f, RING_REF),
			 frame_writers(&x->f.d.gnttab->shm.frames, RING_PFN));
}

/* ===================================================== 6. sandbox == */

static bool status_field(pid_t pid, const char *key, char *val, size_t len)
{
	char path[64], line[256];
	size_t kl = strlen(key);
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, kl) || line[kl] != ':')
			continue;
		snprintf(val, len, "%s", line + kl + 1 + strspn(line + kl + 1,
								 " \t"));
		val[strcspn(val, "\n")] = '\0';
		found = true;
	}
	fclose(f);
	return found;
}

static void test_sandbox(void **state)
{
	struct bb *x = *state;
	char v[128], path[64], link[256];
	struct dirent *e;
	struct stat st;
	DIR *d;

	assert_true(status_field(x->pid, "Seccomp", v, sizeof(v)));
	assert_string_equal(v, "2");
	assert_true(status_field(x->pid, "NoNewPrivs", v, sizeof(v)));
	assert_string_equal(v, "1");
	if (geteuid() == 0) {
		assert_true(status_field(x->pid, "Uid", v, sizeof(v)));
		assert_string_equal(v, "65534\t65534\t65534\t65534");
		assert_true(status_field(x->pid, "Gid", v, sizeof(v)));
		assert_string_equal(v, "65534\t65534\t65534\t65534");
		assert_true(status_field(x->pid, "Groups", v, sizeof(v)));
		assert_string_equal(v, "");
		assert_true(status_field(x->pid, "CapEff", v, sizeof(v)));
		assert_string_equal(v, "0000000000000000");
		assert_true(status_field(x->pid, "CapPrm", v, sizeof(v)));
		assert_string_equal(v, "0000000000000000");
		/* Not dumpable: its /proc files are root's, not nobody's
		 * (the /proc/<pid> directory shows the euid either way). */
		snprintf(path, sizeof(path), "/proc/%d/environ", (int)x->pid);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_uid, 0);
	} else {
		print_message("    not root: uid drop not checked\n");
	}
	/* It holds what it was given and made, nothing else. */
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)x->pid);
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d))) {
		char p[320];
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		n = readlink(p, link, sizeof(link) - 1);
		assert_true(n > 0);
		link[n] = '\0';
		if (strncmp(link, "socket:", 7) && strncmp(link, "/memfd:", 7) &&
		    strncmp(link, "anon_inode:", 11))
			fail_msg("pvblkback holds fd %s -> %s", e->d_name, link);
	}
	closedir(d);
	/* And it still serves. */
	connect_ring(x, 1);
	good_read(x, "the sandbox");
	assert_int_equal(waitpid(x->pid, NULL, WNOHANG), 0);
}

/* The state letter of /proc/<pid>/stat: S sleeping, T stopped, ... */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

static void wait_state(struct bb *x, char want)
{
	int64_t end = now_ms() + TIMEOUT_MS;

	while (proc_state(x->pid) != want) {
		if (now_ms() > end)
			fail_msg("pvblkback not in state %c within %d ms (%c; "
				 "%s)", want, TIMEOUT_MS, proc_state(x->pid),
				 child_state(x));
		usleep(1000);
	}
}

/*
 * A backend asleep in poll() that is interrupted without a handler
 * running (stopped and continued here; io_uring's task work does the
 * same under I/O load) has its poll() restarted by the kernel through
 * restart_syscall(2). The sandbox must let that through, or the backend
 * is killed by its own seccomp filter (SIGSYS) and the guest's disk dies.
 */
static void test_stop_cont(void **state)
{
	struct bb *x = *state;

	connect_ring(x, 1);
	good_read(x, "CONNECT");
	for (int i = 0; i < 3; i++) {
		wait_state(x, 'S');		/* asleep in poll() */
		assert_int_equal(kill(x->pid, SIGSTOP), 0);
		wait_state(x, 'T');
		assert_int_equal(kill(x->pid, SIGCONT), 0);
		good_read(x, "SIGSTOP and SIGCONT");
	}
	assert_int_equal(waitpid(x->pid, NULL, WNOHANG), 0);
}

/* ================================================ 7. multi-queue == */

/* The ring helpers (queue, push, get_rsp, good_read...) on queue n. */
static void use_q(struct bb *x, unsigned int n)
{
	x->q = &x->qs[n];
}

/* Queues 0..n-1 connected, queue 0 first (as pvisord), nr pages each. */
static void connect_queues(struct bb *x, unsigned int n, unsigned int nr)
{
	for (unsigned int i = 0; i < n; i++) {
		use_q(x, i);
		connect_ring(x, nr);
	}
	use_q(x, 0);
}

/* Kicks on queue n's kick eventfd not yet seen: read, counted, returned. */
static uint64_t take_kicks(struct bb *x, unsigned int n)
{
	uint64_t cnt;

	if (read(x->qs[n].kick, &cnt, sizeof(cnt)) != sizeof(cnt))
		return 0;
	x->qs[n].kicks += cnt;
	return cnt;
}

/*
 * Per-queue one-sector reads: queue n's read i is MQ_ID(n, i), takes
 * sector 1000 + 3 * slot into its own 512 bytes of the data pages
 * (slot = n * per + i < 256), so that a response tells its queue.
 */
#define MQ_ID(n, i)	(((uint64_t)(n) + 1) << 32 | 0xa000u | (i))
static unsigned int mq_slot(unsigned int n, unsigned int i, unsigned int per)
{
	return n * per + i;
}

static void mq_queue(struct bb *x, unsigned int n, unsigned int per)
{
	use_q(x, n);
	for (unsigned int i = 0; i < per; i++) {
		unsigned int s = mq_slot(n, i, per);
		struct blkif_request r = rw_req(BLKIF_OP_READ, MQ_ID(n, i),
						1000 + 3 * s, 1, s % NR_DATA);

		r.seg[0].first_sect = r.seg[0].last_sect = (uint8_t)(s / NR_DATA);
		memset(page(x, DATA_PFN(s % NR_DATA)) + (s / NR_DATA) * 512,
		       0xdb, 512);
		queue(x, &r, sizeof(r));
	}
}

/* A response on queue n's ring to one of mq_queue's: its own. */
static void mq_check(struct bb *x, unsigned int n, unsigned int per,
		     const struct blkif_response *rsp, bool *seen)
{
	uint64_t i = (rsp->id & 0xffffffffu) - 0xa000u;
	unsigned int s;
	uint8_t buf[512];

	if (rsp->id >> 32 != n + 1 || (rsp->id & 0xffff0000u) || i >= per)
		fail_msg("response id %#llx on queue %u's ring: not a request "
			 "of that queue", (unsigned long long)rsp->id, n);
	if (seen[i])
		fail_msg("response id %#llx twice on queue %u's ring",
			 (unsigned long long)rsp->id, n);
	seen[i] = true;
	if (rsp->status != BLKIF_RSP_OKAY || rsp->operation != BLKIF_OP_READ)
		fail_msg("queue %u read %llu: status %d, operation %u", n,
			 (unsigned long long)i, rsp->status, rsp->operation);
	s = mq_slot(n, (unsigned int)i, per);
	image_read(x, 1000 + 3 * s, buf, 512);
	assert_memory_equal(page(x, DATA_PFN(s % NR_DATA)) +
			    (s / NR_DATA) * 512, buf, 512);
}

/*
 * Two queues: each its own ring and event channel. A request answered on
 * the ring it came from, with the kick on that queue's eventfd only; then
 * both at once; DISCONNECT lets go of both rings and all four eventfds.
 */
static void test_mq_two(void **state)
{
	struct bb *x = *state;
	int fds0 = count_fds(x);
	bool seen[2][8] = { { false } };

	connect_queues(x, 2, 1);
	assert_int_equal(count_fds(x), fds0 + 4);
	queue_ring_held(x, 0, 1, true);
	queue_ring_held(x, 1, 1, true);
	for (unsigned int round = 0; round < 4; round++) {
		unsigned int n = round % 2, o = 1 - n;
		uint64_t id = 0x7700 + round, k;
		RING_IDX oprod = x->qs[o].fr.sring->rsp_prod;
		struct blkif_request r = rw_req(BLKIF_OP_READ, id,
						8 + 16 * round, 1, round);
		struct blkif_response rsp;
		uint8_t want[4096];

		(void)get_stats(x);
		take_kicks(x, 0);
		take_kicks(x, 1);
		/* Both frontends ask to hear of their next response. */
		for (unsigned int i = 0; i < 2; i++)
			x->qs[i].fr.sring->rsp_event = x->qs[i].fr.rsp_cons + 1;
		xen_mb();
		use_q(x, n);
		k = x->q->kicks;
		memset(page(x, DATA_PFN(round)), 0, PAGE_SIZE);
		rsp = one(x, &r, sizeof(r));
		assert_int_equal(rsp.status, BLKIF_RSP_OKAY);
		image_read(x, 8 + 16 * round, want, sizeof(want));
		assert_memory_equal(page(x, DATA_PFN(round)), want, 4096);
		(void)get_stats(x);	/* past its push and kick */
		take_kicks(x, n);
		if (x->q->kicks == k)
			fail_msg("queue %u answered without a kick on its "
				 "kick eventfd", n);
		if (take_kicks(x, o))
			fail_msg("a request on queue %u kicked queue %u's "
				 "eventfd", n, o);
		if (x->qs[o].fr.sring->rsp_prod != oprod)
			fail_msg("a request on queue %u answered on queue %u's "
				 "ring", n, o);
	}
	/* Both at once, 8 each. */
	mq_queue(x, 0, 8);
	mq_queue(x, 1, 8);
	use_q(x, 1);
	push(x);
	use_q(x, 0);
	push(x);
	for (unsigned int n = 0; n < 2; n++) {
		use_q(x, n);
		for (unsigned int i = 0; i < 8; i++) {
			struct blkif_response rsp = get_rsp(x);

			mq_check(x, n, 8, &rsp, seen[n]);
		}
	}
	(void)get_stats(x);
	for (unsigned int n = 0; n < 2; n++)
		assert_int_equal(x->qs[n].fr.sring->rsp_prod,
				 x->qs[n].fr.rsp_cons);
	use_q(x, 0);
	disconnect(x);
	queue_ring_held(x, 0, 1, false);
	queue_ring_held(x, 1, 1, false);
	assert_int_equal(count_fds(x), fds0);
	/* And again, the other way round: queue 1 works alone after 0. */
	connect_queues(x, 2, 1);
	use_q(x, 1);
	good_read(x, "reconnecting two queues");
	use_q(x, 0);
	good_read(x, "reconnecting two queues");
	disconnect(x);
	queue_ring_held(x, 0, 1, false);
	queue_ring_held(x, 1, 1, false);
	assert_int_equal(waitpid(x->pid, NULL, WNOHANG), 0);
}

/*
 * Four queues of two pages, 40 requests on each at once: more than the
 * backend has in flight, so every queue has to wait its turn; each
 * answered on its own ring, each queue kicked. Then DISCONNECT with all
 * four busy: what was taken is answered on its ring, every ring let go.
 */
static void test_mq_four(void **state)
{
	struct bb *x = *state;
	enum { PER = 40 };
	bool seen[4][PER] = { { false } };
	struct blkback_stats st0, st;
	uint64_t taken = 0, kicks = 0;
	int fds0 = count_fds(x);

	st0 = get_stats(x);
	connect_queues(x, 4, 2);
	assert_int_equal(count_fds(x), fds0 + 8);
	for (unsigned int n = 0; n < 4; n++) {
		queue_ring_held(x, n, 2, true);
		assert_int_equal(RING_SIZE(&x->qs[n].fr), 64);
	}
	for (unsigned int n = 0; n < 4; n++)
		mq_queue(x, n, PER);
	for (unsigned int n = 0; n < 4; n++) {
		use_q(x, n);
		push(x);
	}
	for (unsigned int n = 0; n < 4; n++) {
		use_q(x, n);
		for (unsigned int i = 0; i < PER; i++) {
			struct blkif_response rsp = get_rsp(x);

			mq_check(x, n, PER, &rsp, seen[n]);
		}
	}
	st = get_stats(x);
	for (unsigned int n = 0; n < 4; n++) {
		take_kicks(x, n);
		if (!x->qs[n].kicks)
			fail_msg("queue %u answered %u requests, never kicked",
				 n, PER);
		kicks += x->qs[n].kicks;
		assert_int_equal(x->qs[n].fr.sring->rsp_prod,
				 x->qs[n].fr.rsp_cons);
	}
	assert_int_equal(st.reqs - st0.reqs, 4 * PER);
	assert_int_equal(st.kicks_out - st0.kicks_out, kicks);

	/* All four busy, then DISCONNECT. */
	memset(seen, 0, sizeof(seen));
	for (unsigned int n = 0; n < 4; n++)
		mq_queue(x, n, PER);
	for (unsigned int n = 0; n < 4; n++) {
		use_q(x, n);
		push(x);
	}
	st0 = st;
	use_q(x, 0);
	disconnect(x);
	st = get_stats(x);
	for (unsigned int n = 0; n < 4; n++) {
		struct fq *q = &x->qs[n];
		RING_IDX prod = q->fr.sring->rsp_prod;

		if (prod - q->fr.rsp_cons > PER)
			fail_msg("queue %u: %u responses to %u requests", n,
				 prod - q->fr.rsp_cons, PER);
		for (RING_IDX i = q->fr.rsp_cons; i != prod; i++) {
			struct blkif_response rsp;

			RING_COPY_RESPONSE(&q->fr, i, &rsp);
			mq_check(x, n, PER, &rsp, seen[n]);
		}
		taken += prod - q->fr.rsp_cons;
		queue_ring_held(x, n, 2, false);
	}
	print_message("    %llu of %u requests on 4 queues taken before "
		      "DISCONNECT\n", (unsigned long long)taken, 4 * PER);
	/* Every request taken was answered on its ring before DISCONNECTED. */
	assert_int_equal(st.reqs - st0.reqs, taken);
	assert_true(taken >= 1);
	assert_int_equal(count_fds(x), fds0);
	assert_int_equal(waitpid(x->pid, NULL, WNOHANG), 0);
}

/*
 * CONNECT of a queue that does not exist, or of one already connected:
 * refused, nothing held for it, its fds not kept; the queues that are
 * connected go on.
 */
static void test_mq_refused(void **state)
{
	struct bb *x = *state;
	static const uint32_t bad[] = { BLKBACK_MAX_QUEUES, 5, 0x80000000u,
					0xffffffffu };
	struct blkback_msg m, rep;
	int efd[2], fds0 = count_fds(x);

	efd[0] = eventfd(0, EFD_CLOEXEC);
	efd[1] = eventfd(0, EFD_CLOEXEC);
	assert_true(efd[0] >= 0 && efd[1] >= 0);
	/* A good ring page; the queue number is what is wrong. */
	gf_grant(&x->f, QRING_REF(3), DOM0, QRING_PFN(3), 0);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = (struct blkback_msg){ .type = BLKBACK_CONNECT };
		m.connect.nr_ring_pages = 1;
		m.connect.ring_ref[0] = QRING_REF(3);
		m.connect.queue = bad[i];
		ctl_send(x, &m, efd, 2);
		ctl_wait(x, BLKBACK_CONNECTED, &rep);
		if (rep.status >= 0)
			fail_msg("CONNECT of queue %u (of %u) accepted: %d",
				 bad[i], BLKBACK_MAX_QUEUES, rep.status);
		queue_ring_held(x, 3, 1, false);
	}
	assert_int_equal(count_fds(x), fds0);
	assert_int_equal(waitpid(x->pid, NULL, WNOHANG), 0);

	/* Queues 0 and 1; again either: refused, and nothing changes. */
	connect_queues(x, 2, 1);
	for (unsigned int n = 0; n < 2; n++) {
		m = (struct blkback_msg){ .type = BLKBACK_CONNECT };
		m.connect.nr_ring_pages = 1;
		m.connect.ring_ref[0] = QRING_REF(3);	/* another page */
		m.connect.queue = n;
		ctl_send(x, &m, efd, 2);
		ctl_wait(x, BLKBACK_CONNECTED, &rep);
		if (rep.status >= 0)
			fail_msg("a second CONNECT of queue %u accepted", n);
		queue_ring_held(x, 3, 1, false);
		queue_ring_held(x, n, 1, true);
		assert_int_equal(count_fds(x), fds0 + 4);
		use_q(x, n);
		good_read(x, "a second CONNECT of its queue");
	}
	use_q(x, 1);
	good_read(x, "a second CONNECT of queue 0 and 1");
	use_q(x, 0);
	disconnect(x);
	queue_ring_held(x, 0, 1, false);
	queue_ring_held(x, 1, 1, false);
	assert_int_equal(count_fds(x), fds0);
	close(efd[0]);
	close(efd[1]);
}

/*
 * A producer index that lies on one queue shuts down that queue only:
 * the others go on serving. DISCONNECT still lets go of every ring.
 */
static void test_mq_prod_ahead(void **state)
{
	struct bb *x = *state;
	struct blkif_request r = rw_req(BLKIF_OP_READ, 0x5556, 8, 1, 0);
	struct blkback_stats st;
	RING_IDX prod1;

	connect_queues(x, 2, 1);
	use_q(x, 1);
	good_read(x, "CONNECT of two queues");
	x->q->fr.sring->req_prod = x->q->fr.sring->rsp_prod + 1000;
	kick_backend(x);
	wait_log(x, "ring shut down: queue 1:");
	if (has_log(x, "queue 0"))
		fail_msg("queue 0 shut down for queue 1's producer index");
	assert_int_equal(waitpid(x->pid, NULL, WNOHANG), 0);
	/* Queue 0 keeps serving. */
	use_q(x, 0);
	for (int i = 0; i < 3; i++)
		good_read(x, "queue 1 shut down");
	/* Queue 1 is given up: a proper request there is not taken. */
	use_q(x, 1);
	st = get_stats(x);
	prod1 = x->q->fr.sring->rsp_prod;
	x->q->fr.req_prod_pvt = prod1;
	queue(x, &r, sizeof(r));
	RING_PUSH_REQUESTS(&x->q->fr);
	kick_backend(x);
	use_q(x, 0);
	good_read(x, "queue 1 shut down, kicked again");
	assert_int_equal(get_stats(x).rd_reqs, st.rd_reqs + 1);
	assert_int_equal(x->qs[1].fr.sring->rsp_prod, prod1);
	disconnect(x);
	queue_ring_held(x, 0, 1, false);
	queue_ring_held(x, 1, 1, false);

	/* Started over, both serve; now queue 0 lies (an index behind the
	 * responses) and queue 1 goes on. */
	x->nlog = 0;
	connect_queues(x, 2, 1);
	use_q(x, 1);
	good_read(x, "reconnecting");
	use_q(x, 0);
	good_read(x, "reconnecting");
	x->q->fr.sring->req_prod = x->q->fr.sring->rsp_prod - 1;
	kick_backend(x);
	wait_log(x, "ring shut down: queue 0:");
	if (has_log(x, "queue 1"))
		fail_msg("queue 1 shut down for queue 0's producer index");
	use_q(x, 1);
	good_read(x, "queue 0 shut down");
	use_q(x, 0);
	disconnect(x);
	queue_ring_held(x, 0, 1, false);
	queue_ring_held(x, 1, 1, false);
	assert_int_equal(waitpid(x->pid, NULL, WNOHANG), 0);
}

/* ========================================== 8. the NBD engine only == */

/* What qemu-storage-daemon says, and what the backend makes of it. */
static void test_nbd_open_info(void **state)
{
	struct bb *x = *state;
	struct blkback_msg info;
	int trim = nbd_can_trim(x->nbd), flush = nbd_can_flush(x->nbd);

	print_message("    qemu-storage-daemon: %lld bytes, read-only %d, "
		      "flush %d, fua %d, trim %d\n",
		      (long long)nbd_get_size(x->nbd), nbd_is_read_only(x->nbd),
		      flush, nbd_can_fua(x->nbd), trim);
	assert_int_equal(nbd_get_size(x->nbd), NBD_BYTES);
	assert_int_equal(flush, 1);
	assert_int_equal(trim, 1);	/* discard=unmap, as pvisord */
	start_disk(x, BLKBACK_F_DISCARD, &info);
	assert_int_equal(info.status, 0);
	assert_int_equal(info.info.sectors, NBD_SECTORS);
	assert_int_equal(info.info.sector_size, 512);
	assert_int_equal(info.info.physical_sector_size, 4096);
	assert_int_equal(info.info.flags, BLKBACK_F_DISCARD);
	assert_int_equal(info.info.max_indirect_segments, 64);
	assert_int_equal(info.info.discard_granularity, 4096);
	if (has_log(x, "io_uring unavailable"))
		fail_msg("an NBD disk set up io_uring for nothing");
	close(x->ctl);
	x->ctl = -1;
	assert_int_equal(reap(x), 0);

	/* No discard asked for: none. Read-only asked for: read-only. */
	start_disk(x, 0, &info);
	assert_int_equal(info.info.flags, 0);
	close(x->ctl);
	x->ctl = -1;
	assert_int_equal(reap(x), 0);
	start_disk(x, BLKBACK_F_READONLY | BLKBACK_F_CDROM | BLKBACK_F_DISCARD,
		   &info);
	assert_int_equal(info.info.flags, BLKBACK_F_READONLY | BLKBACK_F_CDROM);
	assert_int_equal(info.info.sectors, NBD_SECTORS);
}

/* The first offset where a and b differ. */
static size_t first_diff(const uint8_t *a, const uint8_t *b, size_t len)
{
	size_t i = 0;

	while (i < len && a[i] == b[i])
		i++;
	return i;
}

/*
 * What the guest wrote and flushed is in the qcow2 file: written into a
 * cluster the image did not have (so qcow2 must update its tables, which
 * only a flush writes out), flushed through the backend, then the server
 * killed outright and the file read by qemu-img. Then the backend,
 * server gone: requests fail, it does not; DISCONNECT, exit 0.
 */
static void test_nbd_stable(void **state)
{
	struct bb *x = *state;
	const uint64_t at = 2048;		/* 1 MiB: a cluster of its own */
	static uint8_t snap[NBD_BYTES], file[NBD_BYTES];
	uint8_t buf[16 * 4096];
	char img[128], raw[128], prog[256];
	struct blkif_request r;
	struct blkif_request_indirect ind;
	struct blkif_response rsp;
	int fd, status;

	if (nbd_trim(x->nbd, QCOW2_CLUSTER * SECTOR, at * SECTOR, 0) ||
	    nbd_flush(x->nbd, 0))
		fail_msg("our own NBD trim: %s", nbd_get_error());
	connect_ring(x, 1);
	for (unsigned int i = 0; i < 16; i++)
		fill_page(page(x, DATA_PFN(i)), (uint8_t)(0x90 + i));
	fill_indirect(x, 16);
	ind = ind_req(BLKIF_OP_WRITE, 0x51, at, 16, IND_REF);
	expect_status(x, &ind, sizeof(ind), BLKIF_RSP_OKAY, true,
		      "indirect write into an unallocated cluster");
	fill_page(page(x, DATA_PFN(16)), 0x3d);
	r = rw_req(BLKIF_OP_WRITE, 0x52, 3000, 1, 16);
	expect_status(x, &r, sizeof(r), BLKIF_RSP_OKAY, true, "write");
	fill_page(page(x, DATA_PFN(17)), 0x4e);
	r = rw_req(BLKIF_OP_FLUSH_DISKCACHE, 0x53, 8, 1, 17);
	expect_status(x, &r, sizeof(r), BLKIF_RSP_OKAY, true,
		      "flush with data");
	r = rw_req(BLKIF_OP_FLUSH_DISKCACHE, 0x54, 0, 0, 0);
	expect_status(x, &r, sizeof(r), BLKIF_RSP_OKAY, true, "flush");
	/* The server has the guest's data... */
	image_read(x, at, buf, sizeof(buf));
	for (unsigned int i = 0; i < 16; i++)
		assert_memory_equal(buf + i * 4096, page(x, DATA_PFN(i)), 4096);
	image_read(x, 3000, buf, 4096);
	assert_memory_equal(buf, page(x, DATA_PFN(16)), 4096);
	image_read(x, 8, buf, 4096);
	assert_memory_equal(buf, page(x, DATA_PFN(17)), 4096);
	image_read(x, 0, snap, NBD_BYTES);
	/* ...and so has the file, with the server killed (no exit flush). */
	qsd_stop(x, true);
	if (!find_prog("qemu-img", prog, sizeof(prog)))
		fail_msg("qemu-img is not installed (Debian: qemu-utils)");
	snprintf(img, sizeof(img), "%s/disk.qcow2", x->dir);
	snprintf(raw, sizeof(raw), "%s/disk.raw", x->dir);
	{
		char *argv[] = { prog, "convert", "-U", "-f", "qcow2", "-O",
				 "raw", img, raw, NULL };

		if (run_tool(x, argv))
			fail_msg("qemu-img convert of the image failed");
	}
	fd = open(raw, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, file, NBD_BYTES, 0), NBD_BYTES);
	close(fd);
	if (memcmp(file, snap, NBD_BYTES)) {
		size_t d = first_diff(file, snap, NBD_BYTES);

		fail_msg("the qcow2 file differs from what the NBD server "
			 "answered at byte %zu (sector %zu): a write the guest "
			 "flushed is not in the file", d, d / SECTOR);
	}

	/* Server gone: errors, answered; the backend lives. */
	r = rw_req(BLKIF_OP_READ, 0x55, 8, 1, 0);
	expect_status(x, &r, sizeof(r), BLKIF_RSP_ERROR, true,
		      "read, the NBD server gone");
	r = rw_req(BLKIF_OP_WRITE, 0x56, 8, 1, 0);
	expect_status(x, &r, sizeof(r), BLKIF_RSP_ERROR, true,
		      "write, the NBD server gone");
	r = rw_req(BLKIF_OP_FLUSH_DISKCACHE, 0x57, 0, 0, 0);
	rsp = one(x, &r, sizeof(r));
	assert_int_equal(rsp.status, BLKIF_RSP_ERROR);
	assert_int_equal(waitpid(x->pid, NULL, WNOHANG), 0);
	(void)get_stats(x);
	disconnect(x);
	ring_gone(x);
	close(x->ctl);
	x->ctl = -1;
	status = reap(x);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		char s[128];

		describe_status(status, s, sizeof(s));
		fail_msg("its NBD server gone, after EOF the backend %s", s);
	}
}

/*
 * The server killed with 100 reads in flight: every one answered once,
 * on the ring (read data right, or an error), none lost; then errors.
 */
static void test_nbd_server_gone(void **state)
{
	struct bb *x = *state;
	enum { N = 100 };
	bool seen[N] = { false };
	unsigned int ok = 0;
	struct blkif_request r;
	struct blkback_stats st;

	connect_ring(x, 4);
	good_read(x, "CONNECT");
	queue_many(x, N);
	push(x);
	for (unsigned int n = 0; n < N; n++) {
		struct blkif_response rsp;

		if (n == 10)	/* some done, most not yet */
			qsd_stop(x, true);
		rsp = get_rsp(x);
		uint64_t i = rsp.id - MANY_ID;
		uint8_t want[512];

		if (rsp.id < MANY_ID || i >= N || seen[i])
			fail_msg("response id %#llx unexpected",
				 (unsigned long long)rsp.id);
		seen[i] = true;
		assert_int_equal(rsp.operation, BLKIF_OP_READ);
		if (rsp.status == BLKIF_RSP_ERROR)
			continue;
		assert_int_equal(rsp.status, BLKIF_RSP_OKAY);
		for (unsigned int b = 0; b < 512; b++)	/* untouched image */
			want[b] = pattern((1500 + 3 * i) * SECTOR + b);
		assert_memory_equal(page(x, DATA_PFN(i % NR_DATA)) +
				    (i / NR_DATA) * 512, want, 512);
		ok++;
	}
	print_message("    %u of %u reads done before the server went, the "
		      "rest failed\n", ok, N);
	assert_int_equal(x->q->fr.sring->rsp_prod, x->q->fr.rsp_cons);
	r = rw_req(BLKIF_OP_READ, 0x58, 8, 1, 0);
	expect_status(x, &r, sizeof(r), BLKIF_RSP_ERROR, true,
		      "read, the NBD server gone");
	st = get_stats(x);
	assert_int_equal(st.reqs, N + 2);
	assert_int_equal(st.errors, N - ok + 1);
	disconnect(x);
	ring_gone(x);
	assert_int_equal(waitpid(x->pid, NULL, WNOHANG), 0);
}

/* --------------------------------- sockets that are no NBD server -- */

#define NBD_BAD_MS	3000	/* how long an OPEN may take to say no */

static bool full_io(int fd, void *buf, size_t len, bool wr)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = wr ? write(fd, p, len) : read(fd, p, len);

		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

enum peer { PEER_SILENT, PEER_GARBAGE, PEER_NO_FLUSH, PEER_EMPTY,
	    PEER_RAM };

/*
 * The fixed-newstyle handshake of a server exporting size bytes with
 * transmission flags tflags; it turns down every option but GO/INFO.
 */
static void fake_handshake(int s, uint64_t size, uint16_t tflags)
{
	struct __attribute__((packed)) {
		uint64_t magic, ihaveopt;
		uint16_t flags;
	} hello = { htobe64(0x4e42444d41474943ull),
		    htobe64(0x49484156454f5054ull), htobe16(1 | 2) };
	uint32_t cflags;

	if (!full_io(s, &hello, sizeof(hello), true) ||
	    !full_io(s, &cflags, sizeof(cflags), false))
		return;
	for (;;) {
		struct __attribute__((packed)) {
			uint64_t magic;
			uint32_t opt, len;
		} o;
		struct __attribute__((packed)) {
			uint64_t magic;
			uint32_t opt, type, len;
		} rep;
		struct __attribute__((packed)) {
			uint16_t type;
			uint64_t size;
			uint16_t flags;
		} info = { 0, htobe64(size), htobe16(tflags) };
		uint8_t junk[256];
		uint32_t len, opt;

		if (!full_io(s, &o, sizeof(o), false))
			return;
		opt = be32toh(o.opt);
		for (len = be32toh(o.len); len;) {
			uint32_t n = len < sizeof(junk) ? len : sizeof(junk);

			if (!full_io(s, junk, n, false))
				return;
			len -= n;
		}
		rep.magic = htobe64(0x3e889045565a9ull);
		rep.opt = o.opt;
		if (opt == 6 || opt == 7) {		/* INFO, GO */
			rep.type = htobe32(3);		/* NBD_REP_INFO */
			rep.len = htobe32(sizeof(info));
			if (!full_io(s, &rep, sizeof(rep), true) ||
			    !full_io(s, &info, sizeof(info), true))
				return;
			rep.type = htobe32(1);		/* NBD_REP_ACK */
		} else if (opt == 2) {			/* ABORT */
			return;
		} else {
			rep.type = htobe32(0x80000001u); /* ERR_UNSUP */
		}
		rep.len = 0;
		if (!full_io(s, &rep, sizeof(rep), true) || opt == 7)
			return;
	}
}

/*
 * PEER_RAM: a working NBD server of its own, simpler than qemu's: the
 * image memfd (so image_read sees what it did), simple replies, flush
 * and trim but no FUA (so the backend must write, then flush, for a
 * FLUSH_DISKCACHE with data), EIO for reads of FAKE_EIO_SECTOR. What it
 * was asked, in order, goes to fake_log (shared): [0] the count, then
 * type | flags << 16 per request.
 */
#define FAKE_EIO_SECTOR	1800u

static void fake_serve(int s)
{
	const size_t max = 1u << 20;
	uint8_t *data = malloc(max);

	for (; data;) {
		struct __attribute__((packed)) {
			uint32_t magic;
			uint16_t flags, type;
			uint64_t handle, offset;
			uint32_t len;
		} q;
		struct __attribute__((packed)) {
			uint32_t magic, error;
			uint64_t handle;
		} a;
		uint16_t type;
		uint64_t off;
		uint32_t len, err = 0;
		bool inside;

		if (!full_io(s, &q, sizeof(q), false) ||
		    be32toh(q.magic) != 0x25609513u)
			return;
		type = be16toh(q.type);
		off = be64toh(q.offset);
		len = be32toh(q.len);
		inside = off <= IMG_SECTORS * SECTOR &&
			 len <= IMG_SECTORS * SECTOR - off;
		if (fake_log[0] < FAKE_LOG_MAX)
			fake_log[1 + fake_log[0]++] =
				type | (uint32_t)be16toh(q.flags) << 16;
		if (type == 1 && (len > max ||	/* WRITE */
				  !full_io(s, data, len, false)))
			return;
		switch (type) {
		case 0:				/* READ */
			if (!inside || len > max)
				err = 22;
			else if (off == FAKE_EIO_SECTOR * SECTOR)
				err = 5;
			else if (pread(fake_img, data, len, (off_t)off) !=
				 (ssize_t)len)
				err = 5;
			break;
		case 1:				/* WRITE */
			if (!inside)
				err = 22;
			else if (pwrite(fake_img, data, len, (off_t)off) !=
				 (ssize_t)len)
				err = 5;
			break;
		case 2:				/* DISC */
			return;
		case 3:				/* FLUSH */
			break;
		case 4:				/* TRIM */
			if (!inside)
				err = 22;
			else if (fallocate(fake_img, FALLOC_FL_PUNCH_HOLE |
					   FALLOC_FL_KEEP_SIZE, (off_t)off,
					   len))
				err = 5;
			break;
		default:
			err = 22;
		}
		a.magic = htobe32(0x67446698u);
		a.error = htobe32(err);
		a.handle = q.handle;
		if (!full_io(s, &a, sizeof(a), true) ||
		    (type == 0 && !err && !full_io(s, data, len, true)))
			return;
	}
}

/* A process at the other end of s: what kind of server it plays. */
static pid_t fake_server(int s, enum peer kind)
{
	uint8_t buf[512];
	pid_t pid = fork();

	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	alarm(20);			/* never outlives the test */
	/* Nothing of ours but s and the image (no control socket: the
	 * backend must see our EOF there). */
	for (int fd = 3; fd < 1024; fd++)
		if (fd != s && fd != fake_img)
			close(fd);
	switch (kind) {
	case PEER_SILENT:
		break;
	case PEER_GARBAGE: {
		uint64_t v = 0x243f6a8885a308d3ull;

		for (unsigned int i = 0; i < sizeof(buf); i++) {
			v ^= v << 13;
			v ^= v >> 7;
			v ^= v << 17;
			buf[i] = (uint8_t)v;
		}
		if (!full_io(s, buf, sizeof(buf), true))
			_exit(1);
		break;
	}
	case PEER_NO_FLUSH:	/* HAS_FLAGS only: no FLUSH, FUA, TRIM */
		fake_handshake(s, NBD_BYTES, 1);
		break;
	case PEER_EMPTY:	/* HAS_FLAGS | SEND_FLUSH, 0 bytes */
		fake_handshake(s, 0, 1 | 4);
		break;
	case PEER_RAM:		/* HAS_FLAGS | SEND_FLUSH | SEND_TRIM */
		fake_handshake(s, IMG_SECTORS * SECTOR, 1 | 4 | 32);
		fake_serve(s);
		_exit(0);
	}
	while (read(s, buf, sizeof(buf)) > 0)
		;
	_exit(0);
}

/*
 * OPEN with fd (then closed here) for the image: INFO refusing it within
 * NBD_BAD_MS, with a reason (containing want, if given); the backend
 * then exits with a failure, not a signal. A backend that never answers
 * is killed and the test fails: it would hang pvisord's disk setup.
 */
static void open_bad_nbd(struct bb *x, int fd, const char *why,
			 const char *want)
{
	struct blkback_msg m = { .type = BLKBACK_OPEN }, rep;
	int fds[4];
	int64_t t0 = now_ms();
	char st[128];
	int status;

	spawn(x);
	open_fds(x, fd, fds);
	m.open.domid = GF_DOMID;
	m.open.devid = 51712;
	m.open.flags = BLKBACK_F_DISCARD;
	ctl_send(x, &m, fds, 4);
	close_open_fds(fds);
	close(fd);
	for (;;) {
		struct pollfd p = { .fd = x->ctl, .events = POLLIN };
		int64_t left = t0 + NBD_BAD_MS - now_ms();
		int r;

		if (left <= 0) {
			char state = proc_state(x->pid);

			kill(x->pid, SIGKILL);
			waitpid(x->pid, &x->wstatus, 0);
			x->pid = 0;
			fail_msg("OPEN with %s: no INFO within %d ms (pvblkback "
				 "in state %c, killed): it waits for the NBD "
				 "handshake forever (blk_nbd_open: "
				 "nbd_connect_socket blocks, no timeout)", why,
				 NBD_BAD_MS, state);
		}
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		r = ctl_read(x, &rep);
		if (r == 0)
			fail_msg("OPEN with %s: pvblkback closed its control "
				 "socket without INFO: %s", why, child_state(x));
		if (r > 0 && rep.type == BLKBACK_INFO)
			break;
		if (r > 0 && rep.type != BLKBACK_LOG)
			fail_msg("OPEN with %s: control message %u", why,
				 rep.type);
	}
	rep.text[sizeof(rep.text) - 1] = '\0';
	if (rep.status >= 0)
		fail_msg("OPEN with %s: accepted (INFO status %d, %llu "
			 "sectors, flags %#x)", why, rep.status,
			 (unsigned long long)rep.info.sectors, rep.info.flags);
	if (!rep.text[0] || (want && !strstr(rep.text, want)))
		fail_msg("OPEN with %s: refused (%d) but not saying so: \"%s\"",
			 why, rep.status, rep.text);
	print_message("    %s: %d \"%s\" (%lld ms)\n", why, rep.status,
		      rep.text, (long long)(now_ms() - t0));
	close(x->ctl);
	x->ctl = -1;
	status = reap(x);
	describe_status(status, st, sizeof(st));
	if (!WIFEXITED(status) || !WEXITSTATUS(status))
		fail_msg("after a refused OPEN (%s) the backend %s", why, st);
}

/* OPEN with fd's peer playing kind; the peer ended afterwards. */
static void open_fake(struct bb *x, enum peer kind, const char *why,
		      const char *want)
{
	int sv[2], status;
	pid_t peer;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				    sv), 0);
	peer = fake_server(sv[1], kind);
	assert_true(peer > 0);
	x->peer = peer;
	close(sv[1]);
	open_bad_nbd(x, sv[0], why, want);
	kill(peer, SIGKILL);
	waitpid(peer, &status, 0);
	x->peer = 0;
}

/* Sockets that are not, or not a usable, NBD server: refused, quickly. */
static void test_nbd_bad_peers(void **state)
{
	struct bb *x = *state;
	int sv[2], s;

	/* The other end already closed. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				    sv), 0);
	close(sv[1]);
	open_bad_nbd(x, sv[0], "a socket whose peer is gone", NULL);
	/* A socket connected to nothing. */
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	open_bad_nbd(x, s, "an unconnected socket", NULL);
	/* Garbage for a greeting. */
	open_fake(x, PEER_GARBAGE, "a peer answering garbage", NULL);
	/* An NBD server that cannot flush: no stable storage. */
	open_fake(x, PEER_NO_FLUSH, "an NBD server that cannot flush",
		  "flush");
}

/* An empty export is refused, as an empty image file is ("the image is
 * empty"): a disk of 0 sectors is no disk. */
static void test_nbd_empty_export(void **state)
{
	open_fake(*state, PEER_EMPTY, "an NBD export of 0 bytes", NULL);
}

/* A peer that never says a word: refused within NBD_BAD_MS, no hang. */
static void test_nbd_silent_peer(void **state)
{
	open_fake(*state, PEER_SILENT, "a peer that never answers", NULL);
}

/* A backend on PEER_RAM, our own NBD server in front of the image. */
static int setup_fake_nbd(void **state)
{
	struct blkback_msg info;
	struct bb *x;
	int sv[2];

	if (setup_fix(state))
		return -1;
	x = *state;
	fake_log = mmap(NULL, (FAKE_LOG_MAX + 1) * sizeof(uint32_t),
			PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
			0);
	if (fake_log == MAP_FAILED ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		fake_log = NULL;
		teardown(state);
		return -1;
	}
	fake_img = x->img;
	x->peer = fake_server(sv[1], PEER_RAM);
	close(sv[1]);
	start(x, sv[0], BLKBACK_F_DISCARD, &info);
	close(sv[0]);
	if (info.info.sectors != IMG_SECTORS ||
	    info.info.flags != BLKBACK_F_DISCARD) {
		print_error("OPEN on our NBD server: %llu sectors, flags %#x\n",
			    (unsigned long long)info.info.sectors,
			    info.info.flags);
		teardown(state);
		return -1;
	}
	return 0;
}

/* The requests our NBD server got since mark, as a string: R W W+F F T. */
static const char *fake_ops(uint32_t mark)
{
	static char buf[256];
	size_t n = 0;

	buf[0] = '\0';
	for (uint32_t i = mark; i < fake_log[0] && n + 8 < sizeof(buf); i++) {
		uint32_t v = fake_log[1 + i], type = v & 0xffff;

		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%c%s",
				      n ? " " : "", "RWDFT?"[type < 5 ? type : 5],
				      (v >> 16) & 1 ? "+F" : "");
	}
	return buf;
}

/*
 * A server without FUA: a FLUSH_DISKCACHE with data is the write, then a
 * flush once it is answered, and the guest's answer after both. A server
 * error is BLKIF_RSP_ERROR, and nothing more.
 */
static void test_nbd_no_fua(void **state)
{
	struct bb *x = *state;
	uint8_t buf[8192];
	struct blkif_request r;
	uint32_t mark;

	connect_ring(x, 1);
	good_read(x, "CONNECT");
	fill_page(page(x, DATA_PFN(3)), 0x52);
	fill_page(page(x, DATA_PFN(4)), 0x53);
	r = rw_req(BLKIF_OP_FLUSH_DISKCACHE, 0x61, 200, 2, 3);
	mark = fake_log[0];
	expect_status(x, &r, sizeof(r), BLKIF_RSP_OKAY, true,
		      "flush with data, no FUA");
	if (strcmp(fake_ops(mark), "W F"))
		fail_msg("a flush with data on a server without FUA: the "
			 "server got \"%s\", not \"W F\"", fake_ops(mark));
	image_read(x, 200, buf, sizeof(buf));
	assert_memory_equal(buf, page(x, DATA_PFN(3)), 4096);
	assert_memory_equal(buf + 4096, page(x, DATA_PFN(4)), 4096);
	/* Plain ones: one request each. */
	mark = fake_log[0];
	r = rw_req(BLKIF_OP_WRITE, 0x62, 300, 1, 3);
	expect_status(x, &r, sizeof(r), BLKIF_RSP_OKAY, true, "write");
	r = rw_req(BLKIF_OP_FLUSH_DISKCACHE, 0x63, 0, 0, 0);
	expect_status(x, &r, sizeof(r), BLKIF_RSP_OKAY, true, "flush");
	if (strcmp(fake_ops(mark), "W F"))
		fail_msg("a write and a flush: the server got \"%s\"",
			 fake_ops(mark));
	/* The server fails a read. */
	r = rw_req(BLKIF_OP_READ, 0x64, FAKE_EIO_SECTOR, 1, 0);
	expect_status(x, &r, sizeof(r), BLKIF_RSP_ERROR, true,
		      "a read the server fails (EIO)");
	good_read(x, "a read the server failed");
	/* Several at once, flushes with data among them. */
	mark = fake_log[0];
	for (unsigned int i = 0; i < 8; i++) {
		fill_page(page(x, DATA_PFN(i)), (uint8_t)(0xa0 + i));
		r = rw_req(i % 2 ? BLKIF_OP_FLUSH_DISKCACHE : BLKIF_OP_WRITE,
			   0x70 + i, 400 + 8 * i, 1, i);
		queue(x, &r, sizeof(r));
	}
	push(x);
	for (unsigned int i = 0; i < 8; i++) {
		struct blkif_response rsp = get_rsp(x);

		if (rsp.id < 0x70 || rsp.id >= 0x78 ||
		    rsp.status != BLKIF_RSP_OKAY)
			fail_msg("response id %#llx status %d",
				 (unsigned long long)rsp.id, rsp.status);
	}
	for (unsigned int i = 0; i < 8; i++) {
		image_read(x, 400 + 8 * i, buf, 4096);
		assert_memory_equal(buf, page(x, DATA_PFN(i)), 4096);
	}
	print_message("    8 writes, 4 of them flushes: the server got %s\n",
		      fake_ops(mark));
	assert_int_equal(waitpid(x->pid, NULL, WNOHANG), 0);
}

int main(void)
{
#define T(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define S(fn) { #fn " (synchronous I/O)", fn, setup_rw_sync, teardown, NULL }
#define SF(fn) { #fn " (synchronous I/O)", fn, setup_fix_sync, teardown, NULL }
#define N(fn) { #fn " (NBD)", fn, setup_nbd, teardown, NULL }
#define NF(fn) { #fn " (NBD)", fn, setup_nbd_fix, teardown, NULL }
#define F(fn) { #fn " (NBD, no FUA)", fn, setup_fake_nbd, teardown, NULL }
#define NRO(fn) { #fn " (NBD, read-only export)", fn, setup_nbd_ro_fix, \
		  teardown, NULL }
	const struct CMUnitTest tests[] = {
		T(test_open_info, setup_fix),
		T(test_open_readonly, setup_fix),
		T(test_open_refused, setup_fix),
		T(test_io, setup_rw),
		T(test_many_in_flight, setup_rw),
		T(test_disconnect_in_flight, setup_rw),
		T(test_queued_before_connect, setup_rw),
		T(test_kick_suppressed, setup_rw),
		T(test_control_errors, setup_rw),
		T(test_hostile, setup_rw),
		T(test_indirect_error_echo, setup_rw),
		T(test_readonly_disk, setup_fix),
		T(test_readonly_flag, setup_fix),
		T(test_prod_ahead, setup_rw),
		T(test_stats_disconnect, setup_rw),
		T(test_eof_while_connected, setup_rw),
		T(test_sandbox, setup_rw),
		T(test_stop_cont, setup_rw),
		T(test_mq_two, setup_rw),
		T(test_mq_four, setup_rw),
		T(test_mq_refused, setup_rw),
		T(test_mq_prod_ahead, setup_rw),
		/* Again where the host refuses io_uring. */
		S(test_io), S(test_many_in_flight), S(test_disconnect_in_flight),
		S(test_kick_suppressed), S(test_hostile),
		SF(test_readonly_disk), S(test_prod_ahead),
		S(test_stats_disconnect), S(test_mq_two), S(test_mq_four),
		S(test_mq_prod_ahead),
		/* Again with an image that is not raw: qcow2 over NBD. */
		NF(test_nbd_open_info), N(test_io), N(test_many_in_flight),
		N(test_disconnect_in_flight), N(test_queued_before_connect),
		N(test_kick_suppressed), N(test_hostile),
		N(test_indirect_error_echo), NRO(test_readonly_disk),
		NF(test_readonly_flag), N(test_prod_ahead),
		N(test_stats_disconnect), N(test_eof_while_connected),
		N(test_sandbox), N(test_stop_cont), N(test_mq_two),
		N(test_mq_four), N(test_mq_refused), N(test_mq_prod_ahead),
		N(test_nbd_stable), N(test_nbd_server_gone),
		/* And over an NBD server of ours that has no FUA. */
		{ "test_nbd_no_fua", test_nbd_no_fua, setup_fake_nbd,
		  teardown, NULL },
		F(test_io), F(test_hostile), F(test_many_in_flight),
		F(test_mq_two), F(test_stats_disconnect),
		T(test_nbd_bad_peers, setup_fix),
		T(test_nbd_empty_export, setup_fix),
		T(test_nbd_silent_peer, setup_fix),
	};
#undef NRO
#undef F
#undef NF
#undef N
#undef SF
#undef S
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}

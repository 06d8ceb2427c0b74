/* SPDX-License-Identifier: MIT */
/*
 * pvblkback, the real binary, driven as pvisord drives it: started with
 * only its control socket open (fd 3) and no environment, told OPEN with
 * a fixture domain's RAM and grant-table memfds and an image memfd, then
 * CONNECT with a ring the test grants and serves as the frontend would
 * (blkfront's side of the blkif ring, two eventfds for the event
 * channel). Every wait is bounded: a backend that hangs or dies fails
 * the test, it never blocks it. The I/O tests run twice: with the
 * backend's io_uring, and with io_uring refused (its synchronous path).
 *
 * The binary: $PVBLKBACK, else the path the make rule compiled in.
 */
#include <dirent.h>
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
#include <sys/wait.h>
#include <time.h>
#include <cmocka.h>
#ifdef __x86_64__
#include <linux/audit.h>
#endif

#include "gnt_fixture.h"
#include "pvisor/blkback_ctl.h"
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
	pid_t pid;			/* 0: none, or reaped */
	int wstatus;			/* once reaped */
	int ctl;
	/* The ring, as the frontend sees it. */
	int notify, kick;		/* we write notify, the backend kick */
	uint64_t notifies, kicks;	/* sent, and counted on kick */
	blkif_front_ring_t fr;
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

static void image_read(struct bb *x, uint64_t sector, void *buf, size_t len)
{
	assert_int_equal(pread(x->img, buf, len, (off_t)(sector * SECTOR)),
			 (ssize_t)len);
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
	x->ctl = x->notify = x->kick = -1;
	grant_pages(x);
	*state = x;
	return 0;
}

static void send_open(struct bb *x, int img_fd, uint32_t flags,
		      struct blkback_msg *rep)
{
	struct blkback_msg m = { .type = BLKBACK_OPEN };
	int fds[3] = { x->f.d.ram_fd, gnttab_domain_fd(&x->f.d), img_fd };

	m.open.domid = GF_DOMID;
	m.open.devid = 51712;
	m.open.flags = flags;
	ctl_send(x, &m, fds, 3);
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

static int teardown(void **state)
{
	struct bb *x = *state;

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
		}
	}
	if (x->notify >= 0)
		close(x->notify);
	if (x->kick >= 0)
		close(x->kick);
	close(x->img);
	gnt_fix_fini(&x->f);
	free(x);
	return 0;
}

/* ------------------------------------------------------- the ring -- */

/* Lay out a fresh shared ring of nr pages, as blkfront does. */
static void ring_prepare(struct bb *x, unsigned int nr)
{
	blkif_sring_t *s = (blkif_sring_t *)page(x, RING_PFN);

	memset(s, 0, (size_t)nr * PAGE_SIZE);
	SHARED_RING_INIT(s);
	FRONT_RING_INIT(&x->fr, s, (size_t)nr * PAGE_SIZE);
}

/* Hand the ring over: CONNECT with its refs and the event channel. */
static void ring_hand_over(struct bb *x, unsigned int nr)
{
	struct blkback_msg m = { .type = BLKBACK_CONNECT }, rep;
	int fds[2];

	m.connect.nr_ring_pages = nr;
	for (unsigned int i = 0; i < nr; i++) {
		gf_grant(&x->f, RING_REF + i, DOM0, RING_PFN + i, 0);
		m.connect.ring_ref[i] = RING_REF + i;
	}
	if (x->notify >= 0)
		close(x->notify);
	if (x->kick >= 0)
		close(x->kick);
	x->notify = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	x->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(x->notify >= 0 && x->kick >= 0);
	x->notifies = x->kicks = 0;
	fds[0] = x->notify;
	fds[1] = x->kick;
	ctl_send(x, &m, fds, 2);
	ctl_wait(x, BLKBACK_CONNECTED, &rep);
	if (rep.status)
		fail_msg("CONNECT refused: %d (%.*s)", rep.status,
			 (int)sizeof(rep.text), rep.text);
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
	struct blkif_request *slot = RING_GET_REQUEST(&x->fr,
						      x->fr.req_prod_pvt);

	memset(slot, 0, sizeof(*slot));
	memcpy(slot, req, len);
	x->fr.req_prod_pvt++;
}

static void kick_backend(struct bb *x)
{
	uint64_t one = 1;

	assert_int_equal(write(x->notify, &one, sizeof(one)), sizeof(one));
	x->notifies++;
}

/* Count the backend's kicks not yet seen. */
static void drain_kicks(struct bb *x)
{
	uint64_t cnt;

	if (read(x->kick, &cnt, sizeof(cnt)) == sizeof(cnt))
		x->kicks += cnt;
}

static void push(struct bb *x)
{
	int notify;

	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&x->fr, notify);
	if (notify)
		kick_backend(x);
}

/* Wait for the backend's kick (or its going away), bounded by end. */
static void wait_kick(struct bb *x, int64_t end)
{
	struct pollfd p[2] = {
		{ .fd = x->kick, .events = POLLIN },
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
	    read(x->kick, &cnt, sizeof(cnt)) == sizeof(cnt))
		x->kicks += cnt;
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
		RING_IDX prod = x->fr.sring->rsp_prod;

		xen_rmb();
		if (prod != x->fr.rsp_cons) {
			if (prod - x->fr.rsp_cons > RING_SIZE(&x->fr))
				fail_msg("backend's rsp_prod %u is beyond the "
					 "ring (rsp_cons %u)", prod,
					 x->fr.rsp_cons);
			RING_COPY_RESPONSE(&x->fr, x->fr.rsp_cons, &r);
			x->fr.rsp_cons++;
			return r;
		}
		RING_FINAL_CHECK_FOR_RESPONSES(&x->fr, more);
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
	assert_int_equal(info.info.sectors, IMG_SECTORS);
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
	assert_int_equal(info.info.sectors, IMG_SECTORS);
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
	int fds[3] = { x->f.d.ram_fd, gnttab_domain_fd(&x->f.d), img_fd };
	char st[128];
	int status;

	spawn(x);
	m.open.domid = GF_DOMID;
	ctl_send(x, &m, fds, nfds);
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

	open_refused(x, empty, 3, "an empty image");
	open_refused(x, tiny, 3, "an image of 511 bytes");
	open_refused(x, p[0], 3, "a pipe");
	open_refused(x, dir, 3, "a directory");
	open_refused(x, path_fd, 3, "an O_PATH fd");
	open_refused(x, wo, 3, "a write-only fd");
	open_refused(x, x->img, 2, "two fds");

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
	uint8_t buf[16 * 4096], zero[16 * 512];
	struct blkif_request r;
	struct blkif_request_discard d;
	struct blkif_request_indirect ind;

	connect_ring(x, 1);
	assert_int_equal(RING_SIZE(&x->fr), 32);

	/* READ of 8 sectors into a granted page. */
	memset(page(x, DATA_PFN(0)), 0, PAGE_SIZE);
	r = rw_req(BLKIF_OP_READ, 1, 8, 1, 0);
	expect_status(x, &r, sizeof(r), BLKIF_RSP_OKAY, true, "read");
	image_read(x, 8, buf, 4096);
	assert_memory_equal(page(x, DATA_PFN(0)), buf, 4096);
	/* The data grant is not held after the copy. */
	assert_int_equal(gf_flags(&x->f, DATA_REF(0)), GTF_permit_access);

	/* The last page of the disk. */
	r = rw_req(BLKIF_OP_READ, 2, IMG_SECTORS - 8, 1, 1);
	expect_status(x, &r, sizeof(r), BLKIF_RSP_OKAY, true, "read at end");
	image_read(x, IMG_SECTORS - 8, buf, 4096);
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

		image_read(x, 255, before, 512);
		image_read(x, 272, after, 512);
		d = (struct blkif_request_discard){
			.operation = BLKIF_OP_DISCARD, .id = 8,
			.sector_number = 256, .nr_sectors = 16 };
		expect_status(x, &d, sizeof(d), BLKIF_RSP_OKAY, true,
			      "discard");
		memset(zero, 0, sizeof(zero));
		image_read(x, 256, buf, 16 * 512);
		assert_memory_equal(buf, zero, 16 * 512);
		image_read(x, 255, buf, 512);
		assert_memory_equal(buf, before, 512);
		image_read(x, 272, buf, 512);
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
	assert_true(x->kicks > 0);
	assert_true(x->notifies > 0);
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

	connect_ring(x, 4);
	assert_int_equal(RING_SIZE(&x->fr), 128);
	queue_many(x, N);
	push(x);
	for (unsigned int n = 0; n < N; n++) {
		struct blkif_response rsp = get_rsp(x);

		check_many(x, &rsp, N, seen);
	}
	/* Nothing more. */
	assert_int_equal(x->fr.sring->rsp_prod, x->fr.rsp_cons);
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
	prod = x->fr.sring->rsp_prod;
	print_message("    %u of %u requests taken before DISCONNECT\n",
		      (unsigned int)st.reqs, N);
	assert_true(st.reqs >= 1 && st.reqs <= N);
	assert_int_equal(prod, st.reqs);
	for (RING_IDX i = 0; i < prod; i++) {
		struct blkif_response rsp;

		RING_COPY_RESPONSE(&x->fr, i, &rsp);
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
	RING_PUSH_REQUESTS(&x->fr);		/* no event: not bound yet */
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
	x->fr.sring->rsp_event = x->fr.rsp_cons + 1000;
	queue(x, &r, sizeof(r));
	push(x);
	while (x->fr.sring->rsp_prod == x->fr.rsp_cons) {
		if (now_ms() > end)
			fail_msg("no response within %d ms (%s)", TIMEOUT_MS,
				 child_state(x));
		usleep(200);
	}
	xen_rmb();
	RING_COPY_RESPONSE(&x->fr, x->fr.rsp_cons, &rsp);
	x->fr.rsp_cons++;
	assert_int_equal(rsp.id, 0x5151);
	assert_int_equal(rsp.status, BLKIF_RSP_OKAY);
	(void)get_stats(x);	/* the backend is past the push */
	if (read(x->kick, &cnt, sizeof(cnt)) == sizeof(cnt))
		fail_msg("kicked %llu time(s) against rsp_event",
			 (unsigned long long)cnt);
	/* Idle, it asked to hear of the next request. */
	assert_int_equal(x->fr.sring->req_event, x->fr.sring->req_prod + 1);
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
		int ofds[3] = { x->f.d.ram_fd, gnttab_domain_fd(&x->f.d),
				x->img };

		ctl_send(x, &m, ofds, 3);
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
	r = rw_req(BLKIF_OP_READ, 0x83, IMG_SECTORS - 4, 1, 0);
	HOSTILE(r, BLKIF_RSP_ERROR, "read past the end");
	r.sector_number = IMG_SECTORS;
	r.seg[0].last_sect = 0;
	HOSTILE(r, BLKIF_RSP_ERROR, "read of the sector after the end");
	r = rw_req(BLKIF_OP_READ, 0x84, ~0ull, 1, 0);
	HOSTILE(r, BLKIF_RSP_ERROR, "sector ~0");
	r.sector_number = ~0ull - 3;
	HOSTILE(r, BLKIF_RSP_ERROR, "sector + length wraps");
	r.sector_number = 1ull << 55;		/* * 512 wraps to 0 */
	HOSTILE(r, BLKIF_RSP_ERROR, "sector * 512 wraps");
	r = rw_req(BLKIF_OP_WRITE, 0x85, IMG_SECTORS - 4, 1, 0);
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
	d.sector_number = IMG_SECTORS - 8;
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
	ind.sector_number = IMG_SECTORS - 64;
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
	int ro = reopen_image(x, O_RDONLY);
	struct blkback_msg info;
	uint8_t snap[16 * 4096], buf[16 * 4096];
	struct blkif_request r;
	struct blkif_request_discard d;
	struct blkif_request_indirect ind;
	struct blkif_response rsp;

	start(x, ro, BLKBACK_F_DISCARD, &info);
	close(ro);
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

	start(x, x->img, BLKBACK_F_READONLY | BLKBACK_F_DISCARD, &info);
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
	x->fr.sring->req_prod = x->fr.sring->rsp_prod + 1000;
	kick_backend(x);
	wait_log(x, "ring shut down");
	assert_int_equal(waitpid(x->pid, NULL, WNOHANG), 0);
	/* Given up: nothing more is taken from it. */
	x->fr.req_prod_pvt = x->fr.sring->rsp_prod;
	queue(x, &r, sizeof(r));
	RING_PUSH_REQUESTS(&x->fr);
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
	x->fr.sring->req_prod = x->fr.sring->rsp_prod - 1;
	kick_backend(x);
	wait_log(x, "ring shut down");
	assert_int_equal(waitpid(x->pid, NULL, WNOHANG), 0);
	disconnect(x);
	ring_gone(x);
}

/* ====================================== 5. STATS, DISCONNECT, exit == */

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
	/* Held while connected: writable, the frame counted as written. */
	assert_int_equal(gf_flags(&x->f, RING_REF),
			 GTF_permit_access | GTF_reading | GTF_writing);
	assert_int_equal(frame_writers(fs, RING_PFN), 1);
	assert_false(gf_revoke(&x->f, RING_REF));
	assert_false(frame_protect(fs, RING_PFN));

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
	assert_int_equal(st.kicks_out, x->kicks);
	assert_true(st.kicks_in >= 1 && st.kicks_in <= x->notifies);
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

int main(void)
{
#define T(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define S(fn) { #fn " (synchronous I/O)", fn, setup_rw_sync, teardown, NULL }
#define SF(fn) { #fn " (synchronous I/O)", fn, setup_fix_sync, teardown, NULL }
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
		/* Again where the host refuses io_uring. */
		S(test_io), S(test_many_in_flight), S(test_disconnect_in_flight),
		S(test_kick_suppressed), S(test_hostile),
		SF(test_readonly_disk), S(test_prod_ahead),
		S(test_stats_disconnect),
	};
#undef SF
#undef S
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}

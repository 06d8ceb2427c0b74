// SPDX-License-Identifier: MIT
/*
 * pvbench: the same static program run natively on the host and inside
 * the Linux guest (make bench, bench/linux.sh). The measures, each a
 * loop timed with CLOCK_MONOTONIC:
 *   syscall  getppid() through syscall(2), the null system call
 *   fork     fork + execve of this binary with argument "true" (it exits
 *            at once) + waitpid: the process-creation round trip
 *   cpu      a fixed integer loop (xorshift), no system calls
 *   fault    first-touch write faults on fresh anonymous memory, one per
 *            4 KiB page (mapped and unmapped FAULT_CHUNK pages at a time)
 *   memcpy   copying MiB between two 16 MiB buffers already faulted in
 *   sysfs    pread of /sys/hypervisor/type: a system call into sysfs
 *            that makes no hypercall
 *   hcall    N of those and N preads of /sys/hypervisor/version/major,
 *            interleaved: the same, but the guest kernel makes one
 *            XENVER_version hypercall per read. Reported as "sysfs" and
 *            "xen_version"; the null hypercall is their difference. A
 *            kernel that does not see Xen has neither file: "unavailable".
 * Counts come from the arguments (syscall=N fork=N cpu=N fault=N
 * memcpy=N sysfs=N hcall=N, 0 skips a measure; all but the first three
 * default to 0) or, when started as the guest's /bin/pvbench with none,
 * from /proc/cmdline keys pvbench.syscall= and so on.
 * Output, one line per measure:
 *   PVBENCH <name> ops=N ns_per_op=X total_ms=T
 * and "PVBENCH done" at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void report(const char *name, unsigned long ops, uint64_t ns)
{
	printf("PVBENCH %s ops=%lu ns_per_op=%.1f total_ms=%.1f\n", name, ops,
	       ops ? (double)ns / (double)ops : 0.0, (double)ns / 1e6);
	fflush(stdout);
}

static void bench_syscall(unsigned long n)
{
	uint64_t t0 = now_ns();

	for (unsigned long i = 0; i < n; i++)
		syscall(SYS_getppid);
	report("syscall", n, now_ns() - t0);
}

static void bench_fork(unsigned long n, const char *self)
{
	uint64_t t0 = now_ns();

	for (unsigned long i = 0; i < n; i++) {
		pid_t pid = fork();
		int status;

		if (pid < 0) {
			perror("pvbench: fork");
			exit(1);
		}
		if (pid == 0) {
			execl(self, "pvbench", "true", (char *)NULL);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			fprintf(stderr, "pvbench: exec of %s failed\n", self);
			exit(1);
		}
	}
	report("fork_exec", n, now_ns() - t0);
}

static void bench_cpu(unsigned long n)
{
	volatile uint64_t sink;
	uint64_t x = 88172645463325252ull, t0 = now_ns();

	for (unsigned long i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	sink = x;
	(void)sink;
	report("cpu", n, now_ns() - t0);
}

#define PAGE		4096ul
#define FAULT_CHUNK	1024ul		/* pages: 4 MiB at a time */
#define COPY_BUF	(16ul << 20)

static void bench_fault(unsigned long n)
{
	uint64_t t0 = now_ns();
	unsigned long done = 0;

	while (done < n) {
		unsigned long k = n - done < FAULT_CHUNK ? n - done : FAULT_CHUNK;
		volatile char *p = mmap(NULL, k * PAGE, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			perror("pvbench: mmap");
			exit(1);
		}
		for (unsigned long i = 0; i < k; i++)
			p[i * PAGE] = (char)i;
		munmap((void *)p, k * PAGE);
		done += k;
	}
	report("fault", n, now_ns() - t0);
}

static void bench_memcpy(unsigned long mib)
{
	char *a = malloc(COPY_BUF), *b = malloc(COPY_BUF);
	uint64_t t0;

	if (!a || !b) {
		fprintf(stderr, "pvbench: no memory for memcpy\n");
		exit(1);
	}
	memset(a, 1, COPY_BUF);
	memset(b, 2, COPY_BUF);
	t0 = now_ns();
	for (unsigned long done = 0; done < mib; done += COPY_BUF >> 20) {
		memcpy((done & (COPY_BUF >> 20)) ? a : b,
		       (done & (COPY_BUF >> 20)) ? b : a, COPY_BUF);
		__asm__ volatile("" : : "r"(a), "r"(b) : "memory");
	}
	report("memcpy", mib, now_ns() - t0);
	free(a);
	free(b);
}

#define SYSFS_TYPE	"/sys/hypervisor/type"
#define SYSFS_MAJOR	"/sys/hypervisor/version/major"
#define HCALL_BLOCK	100ul	/* reads of one file between switches */

static int sysfs_open(const char *name, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		printf("PVBENCH %s unavailable (%s: %s)\n", name, path,
		       strerror(errno));
	return fd;
}

/* n preads from offset 0 (each runs the attribute's show()); ns taken. */
static int sysfs_reads(int fd, unsigned long n, uint64_t *ns)
{
	char buf[64];
	uint64_t t0 = now_ns();

	for (unsigned long i = 0; i < n; i++)
		if (pread(fd, buf, sizeof(buf), 0) <= 0)
			return -1;
	*ns += now_ns() - t0;
	return 0;
}

/* sysfs: n reads of the attribute that makes no hypercall. */
static void bench_sysfs(unsigned long n)
{
	int fd = sysfs_open("sysfs", SYSFS_TYPE);
	uint64_t ns = 0;

	if (fd < 0)
		return;
	if (sysfs_reads(fd, n, &ns))
		printf("PVBENCH sysfs unavailable (read: %s)\n", strerror(errno));
	else
		report("sysfs", n, ns);
	close(fd);
}

/*
 * hcall: n reads of each attribute, in alternating blocks so that the
 * host's drift (large in a nested VM) falls on both alike; the null
 * hypercall is xen_version's time per read less sysfs's.
 */
static void bench_hcall(unsigned long n)
{
	int t = sysfs_open("sysfs", SYSFS_TYPE);
	int v = t < 0 ? -1 : sysfs_open("xen_version", SYSFS_MAJOR);
	uint64_t t_ns = 0, v_ns = 0;

	for (unsigned long done = 0; v >= 0 && done < n; done += HCALL_BLOCK) {
		unsigned long k = n - done < HCALL_BLOCK ? n - done : HCALL_BLOCK;

		if (sysfs_reads(t, k, &t_ns) || sysfs_reads(v, k, &v_ns)) {
			printf("PVBENCH xen_version unavailable (read: %s)\n",
			       strerror(errno));
			break;
		}
		if (done + k == n) {
			report("sysfs", n, t_ns);
			report("xen_version", n, v_ns);
		}
	}
	if (v >= 0)
		close(v);
	if (t >= 0)
		close(t);
}

/* "key=N" in s (argv word or /proc/cmdline with prefix) sets *v. */
static void take(const char *s, const char *prefix, const char *key,
		 unsigned long *v)
{
	size_t pl = strlen(prefix), kl = strlen(key);

	if (!strncmp(s, prefix, pl) && !strncmp(s + pl, key, kl) &&
	    s[pl + kl] == '=')
		*v = strtoul(s + pl + kl + 1, NULL, 10);
}

int main(int argc, char **argv)
{
	unsigned long n_sys = 20000, n_fork = 50, n_cpu = 300000000;
	unsigned long n_fault = 0, n_copy = 0, n_sysfs = 0, n_hcall = 0;
	char self[4096];
	ssize_t len;

	if (argc > 1 && !strcmp(argv[1], "true"))
		return 0;
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0) {
		perror("pvbench: /proc/self/exe");
		return 1;
	}
	self[len] = '\0';
	if (argc > 1) {
		for (int i = 1; i < argc; i++) {
			take(argv[i], "", "syscall", &n_sys);
			take(argv[i], "", "fork", &n_fork);
			take(argv[i], "", "cpu", &n_cpu);
			take(argv[i], "", "fault", &n_fault);
			take(argv[i], "", "memcpy", &n_copy);
			take(argv[i], "", "sysfs", &n_sysfs);
			take(argv[i], "", "hcall", &n_hcall);
		}
	} else {
		FILE *f = fopen("/proc/cmdline", "r");
		char word[256];

		while (f && fscanf(f, "%255s", word) == 1) {
			take(word, "pvbench.", "syscall", &n_sys);
			take(word, "pvbench.", "fork", &n_fork);
			take(word, "pvbench.", "cpu", &n_cpu);
			take(word, "pvbench.", "fault", &n_fault);
			take(word, "pvbench.", "memcpy", &n_copy);
			take(word, "pvbench.", "sysfs", &n_sysfs);
			take(word, "pvbench.", "hcall", &n_hcall);
		}
		if (f)
			fclose(f);
	}
	if (n_sys)
		bench_syscall(n_sys);
	if (n_fork)
		bench_fork(n_fork, self);
	if (n_cpu)
		bench_cpu(n_cpu);
	if (n_fault)
		bench_fault(n_fault);
	if (n_copy)
		bench_memcpy(n_copy);
	if (n_sysfs)
		bench_sysfs(n_sysfs);
	if (n_hcall)
		bench_hcall(n_hcall);
	printf("PVBENCH done\n");
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * pvbench: the same static program run natively on the host and inside
 * the Linux guest (make bench, bench/linux.sh). Three measures, each a
 * loop timed with CLOCK_MONOTONIC:
 *   syscall  getppid() through syscall(2), the null system call
 *   fork     fork + execve of this binary with argument "true" (it exits
 *            at once) + waitpid: the process-creation round trip
 *   cpu      a fixed integer loop (xorshift), no system calls
 *   fault    first-touch write faults on fresh anonymous memory, one per
 *            4 KiB page (mapped and unmapped FAULT_CHUNK pages at a time)
 *   memcpy   copying MiB between two 16 MiB buffers already faulted in
 * Counts come from the arguments (syscall=N fork=N cpu=N fault=N
 * memcpy=N, 0 skips a measure; fault and memcpy default to 0) or, when
 * started as the guest's /bin/pvbench with none, from /proc/cmdline keys
 * pvbench.syscall= and so on.
 * Output, one line per measure:
 *   PVBENCH <name> ops=N ns_per_op=X total_ms=T
 * and "PVBENCH done" at the end.
 */
#define _GNU_SOURCE
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
	unsigned long n_fault = 0, n_copy = 0;
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
	printf("PVBENCH done\n");
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * bench: round-trip costs of the PV paths a guest kernel uses most,
 * timed with rdtsc.  One machine-readable line per measure:
 *
 *   BENCH <name> iters=N ops=M cycles_per_op=C us_per_op=U
 *
 * ops is the number of operations timed (iters for one-per-iteration
 * measures, iters * 32 for the multicall entries).  us_per_op needs the
 * TSC rate: pass "tsc_khz=N" on the command line (bench/run.sh takes it
 * from `pvctl info`); without it only cycles are printed.
 *
 * Command line (space-separated, all optional):
 *   tsc_khz=N    TSC frequency in kHz
 *   iters=N      iterations per measure (default 2000)
 *   only=NAME    run one measure (null, multicall, int3, pf) or "none"
 *                (boot and power off: the baseline for exit counting)
 */
#include <pvabi/version.h>

#include <pvguest/pvguest.h>

#define DEFAULT_ITERS	2000
#define MC_BATCH	32

static uint64_t tsc_khz;
static unsigned long iters = DEFAULT_ITERS;
static char only[32];

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

/* Value of "key=" in the command line, copied into buf; false if absent. */
static bool cmdline_get(const char *cl, const char *key, char *buf,
			size_t size)
{
	size_t klen = strlen(key);
	const char *p = cl;

	while (*p) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, key, klen) && p[klen] == '=') {
			size_t n = 0;

			p += klen + 1;
			while (p[n] && p[n] != ' ' && n + 1 < size) {
				buf[n] = p[n];
				n++;
			}
			buf[n] = '\0';
			return true;
		}
		while (*p && *p != ' ')
			p++;
	}
	return false;
}

static uint64_t parse_u64(const char *s)
{
	uint64_t v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + (uint64_t)(*s++ - '0');
	return v;
}

static bool want(const char *name)
{
	return !only[0] || !strcmp(only, name);
}

/* Print "BENCH name ..." with us_per_op to 0.01 µs (no floating point). */
static void report(const char *name, unsigned long ops, uint64_t cycles)
{
	uint64_t cpo = cycles / ops;

	if (tsc_khz) {
		/* centi-µs per op = cycles * 1e5 / (ops * tsc_khz) */
		uint64_t cus = (cycles * 100000 / tsc_khz + ops / 2) / ops;

		printk("BENCH %s iters=%lu ops=%lu cycles_per_op=%lu "
		       "us_per_op=%lu.%02lu\n", name, iters, ops, cpo,
		       cus / 100, cus % 100);
	} else {
		printk("BENCH %s iters=%lu ops=%lu cycles_per_op=%lu "
		       "us_per_op=?\n", name, iters, ops, cpo);
	}
}

static void bench_null_hypercall(void)
{
	uint64_t t0, t1;
	unsigned long i;
	long rc = 0;

	t0 = rdtsc();
	for (i = 0; i < iters; i++)
		rc |= HYPERVISOR_xen_version(XENVER_version, NULL) < 0;
	t1 = rdtsc();
	check(rc == 0, "xen_version never failed");
	report("null_hypercall", iters, t1 - t0);
}

static void bench_multicall(void)
{
	static struct multicall_entry mc[MC_BATCH];
	uint64_t cycles = 0, t0;
	unsigned long i, j, bad = 0;

	for (i = 0; i < iters; i++) {
		for (j = 0; j < MC_BATCH; j++)
			pv_multicall_set(&mc[j], __HYPERVISOR_xen_version,
					 XENVER_version, 0, 0, 0, 0, 0);
		t0 = rdtsc();
		bad += HYPERVISOR_multicall(mc, MC_BATCH) != 0;
		cycles += rdtsc() - t0;
		for (j = 0; j < MC_BATCH; j++)
			bad += (long)mc[j].result <= 0;
	}
	check(bad == 0, "multicall batches: %lu bad results", bad);
	report("multicall_entry", iters * MC_BATCH, cycles);
}

/* #BP from guest kernel mode: the library's default handler resumes
 * after the int3 through the iret hypercall. */
static void bench_int3(void)
{
	unsigned long before = pvguest_last_trap.count;
	uint64_t t0, t1;
	unsigned long i;

	t0 = rdtsc();
	for (i = 0; i < iters; i++)
		asm volatile("int3" : : : "memory");
	t1 = rdtsc();
	check(pvguest_last_trap.count - before == iters,
	      "int3: %lu traps for %lu iterations",
	      pvguest_last_trap.count - before, iters);
	report("trap_int3", iters, t1 - t0);
}

static bool pf_skip(struct guest_regs *r)
{
	extern char bench_pf_insn[], bench_pf_resume[];

	if (r->rip != (uint64_t)(uintptr_t)bench_pf_insn)
		return false;
	r->rip = (uint64_t)(uintptr_t)bench_pf_resume;
	return true;
}

/* #PF on an unmapped address: the handler advances RIP past the load. */
static void bench_pf(void)
{
	unsigned long before = pvguest_last_trap.count;
	uint64_t t0, t1;
	unsigned long i;

	trap_set_handler(14, pf_skip);
	t0 = rdtsc();
	for (i = 0; i < iters; i++)
		asm volatile(".globl bench_pf_insn, bench_pf_resume\n"
			     "bench_pf_insn: cmpb $0, 0x1000\n"
			     "bench_pf_resume:\n"
			     : : : "memory", "cc");
	t1 = rdtsc();
	trap_set_handler(14, NULL);
	check(pvguest_last_trap.count - before == iters,
	      "#PF: %lu traps for %lu iterations",
	      pvguest_last_trap.count - before, iters);
	report("trap_pf", iters, t1 - t0);
}

void guest_main(struct start_info *si)
{
	const char *cl = (const char *)si->cmd_line;
	char buf[32];
	long rc;

	test_start("bench");
	if (cmdline_get(cl, "tsc_khz", buf, sizeof(buf)))
		tsc_khz = parse_u64(buf);
	if (cmdline_get(cl, "iters", buf, sizeof(buf)) && parse_u64(buf))
		iters = parse_u64(buf);
	cmdline_get(cl, "only", only, sizeof(only));
	printk("bench: iters=%lu tsc_khz=%lu only=%s\n", iters, tsc_khz,
	       only[0] ? only : "all");

	rc = trap_init();
	if (!check(rc == 0, "set_trap_table = %ld", rc))
		test_end();

	if (want("null"))
		bench_null_hypercall();
	if (want("multicall"))
		bench_multicall();
	if (want("int3"))
		bench_int3();
	if (want("pf"))
		bench_pf();
	test_end();
}

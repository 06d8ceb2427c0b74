// SPDX-License-Identifier: MIT
/*
 * pvh-hello: the first PVH self-test kernel. head.S enters long mode from
 * the PVH entry; this checks what a PVH kernel relies on before anything
 * else: a valid hvm_start_info (magic, version, command line, memory
 * map), Xen's CPUID leaves, the hypercall page installed through the MSR
 * they name, xen_version, console_io, and SCHEDOP_shutdown(poweroff).
 *
 * pvctl-args passes --type pvh and the command line "pvhtest=1".
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pvabi/hvm/start_info.h>
#include <pvabi/sched.h>
#include <pvabi/version.h>
#include <pvabi/xen.h>

void pvh_main(uint32_t start_info_pa);

/* head.S fills and uses it in 32-bit mode first. */
uint8_t hypercall_page[4096] __attribute__((aligned(4096)));
/* What head.S's 32-bit calls returned (done32: it made them). */
extern uint32_t done32, ver32, console32_rc;
static bool have_page;
static unsigned int failures;

static void cpuid(uint32_t leaf, uint32_t r[4])
{
	asm volatile("cpuid"
		     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
		     : "0"(leaf), "2"(0));
}

static void wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v),
		     "d"((uint32_t)(v >> 32)) : "memory");
}

/* Xen's 64-bit HVM convention: rdi, rsi, rdx, r10, r8; result in rax. */
static long hypercall3(unsigned int nr, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t rdi asm("rdi") = a1;
	register uint64_t rsi asm("rsi") = a2;
	register uint64_t rdx asm("rdx") = a3;
	register uint64_t r10 asm("r10") = 0;
	register uint64_t r8 asm("r8") = 0;
	void *fn = hypercall_page + nr * 32;
	long ret;

	asm volatile("call *%[fn]"
		     : "=a"(ret), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10),
		       "+r"(r8)
		     : [fn] "r"(fn)
		     : "memory", "rcx", "r9", "r11");
	return ret;
}

static size_t slen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

/* Until the hypercall page works there is no console: failures count. */
static void puts_(const char *s)
{
	if (have_page)
		hypercall3(__HYPERVISOR_console_io, CONSOLEIO_write, slen(s),
			   (uint64_t)(uintptr_t)s);
}

static void put_hex(uint64_t v)
{
	char b[19] = "0x";
	int i;

	for (i = 0; i < 16; i++)
		b[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xf];
	b[18] = '\0';
	puts_(b);
}

static void check(bool ok, const char *what, uint64_t val)
{
	if (ok)
		return;
	failures++;
	puts_("FAIL pvh-hello: ");
	puts_(what);
	puts_(" ");
	put_hex(val);
	puts_("\n");
}

static bool has_word(const char *s, const char *w)
{
	size_t n = slen(w);

	for (; *s; s++) {
		size_t i = 0;

		while (i < n && s[i] == w[i])
			i++;
		if (i == n)
			return true;
	}
	return false;
}

static void shutdown(unsigned int reason)
{
	struct sched_shutdown sd = { .reason = reason };

	hypercall3(__HYPERVISOR_sched_op, SCHEDOP_shutdown,
		   (uint64_t)(uintptr_t)&sd, 0);
	for (;;)
		asm volatile("hlt");
}

void pvh_main(uint32_t start_info_pa)
{
	const struct hvm_start_info *si =
		(const struct hvm_start_info *)(uintptr_t)start_info_pa;
	uint32_t r[4], base = 0x40000000, msr;
	bool xen = false, start_ok, map_ok = false;
	long ver;

	/* Xen's leaves: the signature may sit at any 0x100 step. */
	for (; base < 0x40010000; base += 0x100) {
		cpuid(base, r);
		if (r[1] == 0x566e6558 && r[2] == 0x65584d4d &&
		    r[3] == 0x4d4d566e && r[0] >= base + 2) {
			xen = true;
			break;
		}
	}
	if (!xen)	/* no console without Xen: a crash is the report */
		shutdown(SHUTDOWN_crash);
	cpuid(base + 2, r);
	msr = r[1];
	if (r[0] < 1)
		shutdown(SHUTDOWN_crash);
	wrmsr(msr, (uint64_t)(uintptr_t)hypercall_page);
	have_page = true;
	puts_("pvh-hello: hypercall page installed through MSR ");
	put_hex(msr);
	puts_("\n");

	cpuid(1, r);
	check(r[2] & (1u << 31), "CPUID.1:ECX.hypervisor clear", r[2]);
	cpuid(base + 1, r);
	check(r[0] >> 16 >= 4, "CPUID Xen version below 4.x", r[0]);

	start_ok = start_info_pa && si->magic == XEN_HVM_START_MAGIC_VALUE;
	check(start_ok, "hvm_start_info magic", start_ok ? si->magic : start_info_pa);
	if (start_ok) {
		check(si->version >= 1, "hvm_start_info version", si->version);
		check(si->cmdline_paddr &&
		      has_word((const char *)(uintptr_t)si->cmdline_paddr,
			       "pvhtest=1"),
		      "command line lacks pvhtest=1", si->cmdline_paddr);
		if (si->cmdline_paddr) {
			puts_("pvh-hello: cmdline \"");
			puts_((const char *)(uintptr_t)si->cmdline_paddr);
			puts_("\"\n");
		}
		if (si->version >= 1 && si->memmap_entries) {
			const struct hvm_memmap_table_entry *m =
				(const void *)(uintptr_t)si->memmap_paddr;

			for (uint32_t i = 0; i < si->memmap_entries; i++)
				if (m[i].type == XEN_HVM_MEMMAP_TYPE_RAM &&
				    m[i].addr <= 0x100000 &&
				    m[i].addr + m[i].size > 0x100000)
					map_ok = true;
		}
		check(map_ok, "no RAM at 1 MiB in the memory map",
		      si->memmap_entries);
	}

	ver = hypercall3(__HYPERVISOR_xen_version, XENVER_version, 0, 0);
	check(ver > 0 && (ver >> 16) >= 3 && (ver >> 16) < 100,
	      "xen_version(XENVER_version)", (uint64_t)ver);
	puts_("pvh-hello: xen_version ");
	put_hex((uint64_t)ver);
	puts_("\n");

	/* The same calls from 32-bit mode with paging off (head.S). */
	check(base != 0x40000000 || done32, "no 32-bit hypercalls made", base);
	if (done32) {
		check(console32_rc == 0, "32-bit console_io", console32_rc);
		check(ver32 == (uint32_t)ver, "32-bit xen_version", ver32);
	}

	/* Not open to PVH guests yet: must fail cleanly, not crash. */
	check(hypercall3(__HYPERVISOR_mmu_update, 0, 0, 0) < 0,
	      "mmu_update from a PVH guest did not fail", 0);

	if (!failures)
		puts_("PASS pvh-hello\n");
	shutdown(failures ? SHUTDOWN_crash : SHUTDOWN_poweroff);
}

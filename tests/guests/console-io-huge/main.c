/* SPDX-License-Identifier: MIT */
/*
 * console-io-huge: CONSOLEIO_write with a guest-chosen count must not
 * keep a vCPU in the hypervisor (security issue, hole 2). The kernel
 * maps one page of text 512 GiB times (one L3 whose entries all name one
 * L2, whose entries all name one L1, whose entries all name the page),
 * so that any count is backed by readable memory.
 *
 * Default: a 2 MiB write (more than one hypercall's share) with a timer
 * event already pending: the event must be delivered part way through
 * the write (Xen preempts long hypercalls; pvisor continues them), and
 * the write must then finish with the whole text written. A count with
 * bits above 32 is Xen's unsigned int: only the low half counts.
 *
 * "huge" on the command line: one write of 2^64-1 bytes, for the e2e
 * test that destroys the domain mid-write (tests/e2e/guest-limits.sh).
 */
#include <pvabi/memory.h>
#include <pvabi/vcpu.h>

#include <pvguest/events.h>
#include <pvguest/time.h>

#define PTE_K		(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)
#define PTE_KRO		(_PAGE_PRESENT | _PAGE_ACCESSED)
#define ALIAS_SLOT	300UL
#define ALIAS_VA	(0xffff000000000000UL | (ALIAS_SLOT << 39))
#define WRITE_BYTES	(2UL << 20)

enum { TEXT, L1, L2, L3, NR_POOL };
static uint8_t pool[NR_POOL][PAGE_SIZE] __page_aligned;

static evtchn_port_t timer_port;
static volatile unsigned long events;
static volatile uint64_t event_rip;	/* where the upcall interrupted */

/* console_io with a full 64-bit count, from a syscall we know the address of. */
extern char cio_syscall[];
static __attribute__((noinline)) long console_write_raw(uint64_t count,
							const char *buf)
{
	long rc = __HYPERVISOR_console_io;
	uint64_t cmd = CONSOLEIO_write;

	/* A continuation leaves the remaining count and buffer in rsi/rdx. */
	asm volatile(".globl cio_syscall\ncio_syscall: syscall"
		     : "+a"(rc), "+D"(cmd), "+S"(count), "+d"(buf)
		     : : "rcx", "r11", "memory");
	return rc;
}

static uint64_t mfn(unsigned int i)
{
	return virt_to_mfn(pool[i]);
}

static void on_timer(evtchn_port_t port, void *arg)
{
	(void)port;
	(void)arg;
	events++;
	event_rip = pvguest_last_trap.regs.rip;
}

static long make_readonly(unsigned int i)
{
	return HYPERVISOR_update_va_mapping((unsigned long)pool[i],
					    (mfn(i) << PAGE_SHIFT) | PTE_KRO,
					    UVMF_INVLPG);
}

/* 512 GiB at ALIAS_VA, every page of it the TEXT page. */
static long map_alias(void)
{
	uint64_t *l4 = (uint64_t *)start_info->pt_base;
	struct mmu_update u;
	long rc;

	for (unsigned int i = 0; i < PAGE_SIZE; i++)
		pool[TEXT][i] = (i % 64 == 63) ? '\n' : 'a' + i % 26;
	for (unsigned int i = 0; i < 512; i++) {
		((uint64_t *)pool[L1])[i] = (mfn(TEXT) << PAGE_SHIFT) | PTE_KRO;
		((uint64_t *)pool[L2])[i] = (mfn(L1) << PAGE_SHIFT) | PTE_K;
		((uint64_t *)pool[L3])[i] = (mfn(L2) << PAGE_SHIFT) | PTE_K;
	}
	if ((rc = make_readonly(L1)) || (rc = make_readonly(L2)) ||
	    (rc = make_readonly(L3)))
		return rc;
	u.ptr = (virt_to_mfn(l4) << PAGE_SHIFT) + ALIAS_SLOT * 8;
	u.val = (mfn(L3) << PAGE_SHIFT) | PTE_K;
	return HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF);
}

static bool cmdline_has(const char *word)
{
	const char *p = (const char *)start_info->cmd_line;
	size_t n = strlen(word);

	for (; *p; p++)
		if ((p == (const char *)start_info->cmd_line || p[-1] == ' ') &&
		    !strncmp(p, word, n) && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

void guest_main(struct start_info *si)
{
	const char *alias = (const char *)ALIAS_VA;
	long rc;

	(void)si;
	test_start("console-io-huge");
	if (!check(map_shared_info() == 0, "map shared_info") ||
	    !check(trap_init() == 0, "set_trap_table") ||
	    !check(callbacks_init() == 0, "callbacks") ||
	    !check(events_init() == 0, "events") ||
	    !check(evtchn_bind_virq(VIRQ_TIMER, 0, &timer_port) == 0,
		   "bind VIRQ_TIMER"))
		test_end();
	evtchn_set_handler(timer_port, 0, on_timer, NULL);
	rc = map_alias();
	if (!check(rc == 0, "512 GiB alias of one page mapped (rc %ld)", rc))
		test_end();
	check(alias[(300UL << 30) + 63] == '\n' && alias[(511UL << 30) + 1] == 'b',
	      "the alias reads the text page anywhere");

	if (cmdline_has("huge")) {
		printk("console-io-huge: writing 2^64-1 bytes\n");
		rc = console_write_raw(~0UL, alias);
		test_fail("a 2^64-1 byte write returned %ld", rc);
	}

	/*
	 * An event pending before the write, unmasked by a plain store (no
	 * hypercall to deliver it): pvisor delivers it at the first point
	 * the guest can take it. With the write preempted, that is before
	 * the write is over, with the upcall frame at the syscall itself
	 * (which runs again afterwards); without, after it.
	 */
	local_irq_disable();
	timer_set_singleshot(pv_now() + 1000, 0);
	while (!evtchn_is_pending(timer_port))
		;
	this_vcpu_info()->evtchn_upcall_mask = 0;
	rc = console_write_raw(WRITE_BYTES, alias + 64 * 7);
	printk("\n");
	check(rc == 0, "a %lu-byte console_io write returns 0 (%ld)",
	      WRITE_BYTES, rc);
	check(events == 1 && event_rip == (uint64_t)cio_syscall,
	      "the pending event came part way through the write (%lu "
	      "events, at %#lx; the syscall is at %#lx)", events, event_rip,
	      (uint64_t)cio_syscall);
	/* Only the low 32 bits of the count: this writes 64 bytes. */
	rc = console_write_raw((1UL << 32) | 64, alias);
	check(rc == 0, "count (2^32 + 64) is 64 bytes, as Xen's unsigned int");
	test_end();
}

/* SPDX-License-Identifier: MIT */
/*
 * fuzz: seeded random hypercalls with random and boundary arguments for
 * a fixed budget (command line "seed=N budget=M").  The domain may only
 * hurt itself; pvisord and other domains must not notice (see
 * tests/e2e/hostile.sh, which runs several of these next to a victim).
 *
 * Left out, because they end or wreck this domain by design: the iret
 * hypercall, SCHEDOP_shutdown/remote_shutdown/watchdog, SCHEDOP_block
 * (nothing would wake us), set_callbacks, stack_switch, callback and NMI
 * registration, set_trap_table with a readable table, VCPUOP_down/send_nmi
 * on ourselves.  Everything that names a frame or rewrites a PTE is fed
 * frames beyond RAM, so it cannot touch our own page tables or image.
 *
 * Argument memory: a two-page arena, refilled before every call, whose
 * 32-bit words are small or boundary values (ports, refs, domids, cmds,
 * counts) but whose 64-bit words always have a non-zero high half that
 * is never a kernel address: any 64-bit field read from it is a frame
 * far beyond RAM or a bad pointer.  An unmapped guard page follows it,
 * for runaway counts.  A poison page holds only such 64-bit values.
 */
#include <pvabi/callback.h>
#include <pvabi/event_channel.h>
#include <pvabi/grant_table.h>
#include <pvabi/memory.h>
#include <pvabi/nmi.h>
#include <pvabi/physdev.h>
#include <pvabi/sched.h>
#include <pvabi/vcpu.h>
#include <pvabi/version.h>

#include <pvguest/pvguest.h>
#include <pvguest/time.h>

#define DEFAULT_SEED	1
#define DEFAULT_BUDGET	150000
#define ARENA_PAGES	2

static uint8_t arena[ARENA_PAGES + 1][PAGE_SIZE] __page_aligned;
static uint64_t poison[PAGE_SIZE / 8] __page_aligned;
static uint8_t *guard;		/* arena[ARENA_PAGES], unmapped */
static size_t arena_used;
static uint64_t rng;
static uint64_t nr_pages;

/* Return codes: [0] = 0, [1..NR_ERR-1] = -errno, then >0, then other. */
#define NR_ERR		136
static unsigned long hist[NR_ERR + 2];
static unsigned long per_op[64 + 1];

static uint64_t rnd(void)
{
	/* xorshift64*: deterministic from the seed, good enough here. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dUL;
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static uint64_t pick(const uint64_t *v, size_t n)
{
	return v[below(n)];
}
#define PICK(a) pick((a), ARRAY_SIZE(a))

/* A 64-bit value that is never a frame of ours nor a usable pointer. */
static uint64_t bad64(void)
{
	static const uint64_t hi[] = {
		0x00000001, 0x0000dead, 0x80000000, 0xffff8000, 0xffff8080,
		0x7fffffff, 0x00008000, 0x00100000,
	};

	return (PICK(hi) << 32) | (uint32_t)rnd();
}

/* Frame numbers past the end of RAM, or absurd ones. */
static uint64_t bad_frame(void)
{
	static const uint64_t v[] = {
		~0UL, ~0UL >> 12, 1UL << 40, 0xffffffffUL, 0x7fffffffUL,
		1UL << 52,
	};

	switch (below(3)) {
	case 0:
		return nr_pages + below(64);
	case 1:
		return PICK(v);
	default:
		return bad64() >> below(20) | (1UL << 36);
	}
}

/* 32-bit field values: mostly small, valid-looking ports/refs/cmds. */
static uint32_t small32(void)
{
	static const uint64_t v[] = {
		0, 1, 2, 3, 4, 5, 8, 31, 32, 63, 64, 127, 128, 255, 256, 1023,
		1024, 4095, 4096, DOMID_SELF, DOMID_SELF + 1, 0x7ff4, 0xffff,
		0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
	};

	switch (below(4)) {
	case 0:
	case 1:
		return below(8);
	case 2:
		return PICK(v);
	default:
		return below(4) ? below(64) : (uint32_t)rnd();
	}
}

static void fill_arena(void)
{
	uint32_t *w = (uint32_t *)arena;
	size_t i;

	for (i = 0; i < ARENA_PAGES * PAGE_SIZE / 4; i += 2) {
		w[i] = small32();
		w[i + 1] = bad64() >> 32;
	}
	for (i = 0; i < ARRAY_SIZE(poison); i++)
		poison[i] = bad64();
	arena_used = 0;
}

/* Carve n bytes (8-aligned) out of the arena; near its end when asked,
 * so a count runs into the guard page. */
static void *arena_alloc(size_t n)
{
	size_t total = ARENA_PAGES * PAGE_SIZE;
	void *p;

	n = (n + 7) & ~7UL;
	if (!below(8) && n <= total)
		return arena[0] + total - n;
	if (arena_used + n > total)
		arena_used = 0;
	p = arena[0] + arena_used;
	arena_used += n;
	return p;
}

/* Pointer-ish or integer arguments: boundaries, bad and good pointers. */
static uint64_t arg(void)
{
	static const uint64_t v[] = {
		0, 1, 2, 3, 4, 7, 8, 16, 64, 255, 4096, DOMID_SELF, 0xffff,
		~0UL, 0x7fffffffUL, 0xffffffffUL, 0x80000000UL, 1UL << 40,
		1UL << 32, 0x8000000000000000UL, 0x0000800000000000UL,
		0x00007ffffffff000UL, 0xffff800000000000UL,
		0xffff800000001000UL, 0xffff808000000000UL,
		0xffff87fffffff000UL, 0xffff87ffffffffffUL, 0x1000, 0x400000,
		0x7fffffff0000UL,
	};

	switch (below(8)) {
	case 0:
	case 1:
	case 2:
		return PICK(v);
	case 3:
		return small32();
	case 4:
		return (uint64_t)(uintptr_t)arena_alloc(64 + below(256));
	case 5:
		return (uint64_t)(uintptr_t)&poison[below(ARRAY_SIZE(poison))];
	case 6:
		return (uint64_t)(uintptr_t)(guard - below(64));
	default:
		return below(2) ? bad64() : 0xffff800000000000UL +
						(below(1UL << 36) << 3);
	}
}

/* A pointer into the arena: where most structured arguments live. */
static uint64_t buf(size_t n)
{
	return below(8) ? (uint64_t)(uintptr_t)arena_alloc(n) : arg();
}

static uint64_t count(void)
{
	static const uint64_t v[] = {
		0, 1, 2, 3, 16, 512, 0x7fffffff, 0x80000000, 0xffffffff,
		1UL << 40, ~0UL,
	};

	return below(2) ? below(5) : PICK(v);
}

static uint64_t domid(void)
{
	static const uint64_t v[] = {
		DOMID_SELF, DOMID_SELF, 0, 1, 2, 3, 4, 5, 1234, 0x7ff1, 0x7ff2,
		0x7ff4, 0x7fff, 0xffff, 0x10000, ~0UL,
	};

	return PICK(v);
}

/* A PTE value that never maps one of our frames (or clears a PTE). */
static uint64_t bad_pte(void)
{
	if (!below(8))
		return 0;
	return (bad_frame() << PAGE_SHIFT) | (rnd() & 0xfff) |
	       (below(2) ? _PAGE_NX : 0);
}

struct call {
	uint64_t nr;
	uint64_t a[6];
};

static void gen_call(struct call *c, int depth);

static void gen_multicall(struct call *c, int depth)
{
	unsigned int n = 1 + below(6), i;
	struct multicall_entry *mc;
	struct call sub;

	mc = arena_alloc(n * sizeof(*mc));
	for (i = 0; i < n; i++) {
		gen_call(&sub, depth + 1);
		pv_multicall_set(&mc[i], sub.nr, sub.a[0], sub.a[1], sub.a[2],
				 sub.a[3], sub.a[4], sub.a[5]);
	}
	c->a[0] = below(8) ? (uint64_t)(uintptr_t)mc : arg();
	/*
	 * 32 bits, as Xen before 4.19 read it: a count beyond that over our
	 * own arena runs its random words as calls, which can leave us
	 * blocked for good with nothing bound to wake us (so it would on
	 * Xen). The hostile guest checks the full-width count.
	 */
	c->a[1] = below(4) ? n : (uint32_t)count();
}

static void gen_sched(struct call *c)
{
	static const uint64_t cmds[] = {
		SCHEDOP_yield, SCHEDOP_poll, SCHEDOP_poll, SCHEDOP_shutdown_code,
		SCHEDOP_pin_override, 8, 99, 0x80000000UL, ~0UL,
	};
	struct sched_poll *sp;
	uint32_t *ports;
	unsigned int i;

	c->a[0] = PICK(cmds);
	c->a[1] = buf(64);
	if (c->a[0] != SCHEDOP_poll)
		return;
	/* Poll only with a near deadline: a timeout of 0 waits forever. */
	sp = arena_alloc(sizeof(*sp));
	ports = arena_alloc(8 * sizeof(*ports));
	for (i = 0; i < 8; i++)
		ports[i] = small32();
	sp->ports = below(8) ? (uint64_t)(uintptr_t)ports : arg();
	sp->nr_ports = below(4) ? below(9) : (uint32_t)count();
	sp->timeout = pv_now() + 1000 * (1 + below(100));
	c->a[1] = (uint64_t)(uintptr_t)sp;
}

static void gen_call(struct call *c, int depth)
{
	uint64_t nr;
	unsigned int i;

	for (i = 0; i < 6; i++)
		c->a[i] = arg();
again:
	/* Mostly the hypercalls pvisor implements: that is where bugs are. */
	nr = below(4) ? PICK(((const uint64_t[]){
		1, 2, 5, 6, 8, 9, 10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
		22, 24, 25, 26, 28, 29, 30, 32, 33 })) :
	     below(8) ? below(64) : PICK(((const uint64_t[]){
		64, 65, 127, 128, 255, 1000, 0x7fffffff, 0xffffffff,
		0x100000011UL, 1UL << 40, ~0UL, 0x8000000000000000UL }));
	c->nr = nr;
	switch (nr) {
	case __HYPERVISOR_iret:
	case __HYPERVISOR_set_callbacks:
	case __HYPERVISOR_stack_switch:
		goto again;
	case __HYPERVISOR_set_trap_table:
		/* Only tables that cannot be read (NULL resets the table). */
		c->a[0] = PICK(((const uint64_t[]){
			0x8000000000000000UL, 0xffff800000000000UL,
			0xffff808000000000UL, 0x1000, 1UL << 40,
			(uint64_t)(uintptr_t)guard }));
		break;
	case __HYPERVISOR_mmu_update:
	case __HYPERVISOR_mmuext_op:
		/* The arena's 64-bit words (ptr, mfn) are all bad frames. */
		c->a[0] = buf(64 * (1 + below(8)));
		c->a[1] = count();
		c->a[3] = domid();
		break;
	case __HYPERVISOR_set_gdt: {
		uint64_t *f = arena_alloc(16 * 8);

		for (i = 0; i < 16; i++)
			f[i] = bad_frame();
		c->a[0] = below(8) ? (uint64_t)(uintptr_t)f : arg();
		c->a[1] = below(2) ? below(17) : count();
		break;
	}
	case __HYPERVISOR_update_descriptor:
		c->a[0] = below(4) ? (bad_frame() << PAGE_SHIFT) |
				     (rnd() & 0xfff) : arg();
		c->a[1] = below(2) ? rnd() : arg();
		break;
	case __HYPERVISOR_update_va_mapping:
	case __HYPERVISOR_update_va_mapping_otherdomain:
		c->a[1] = bad_pte();
		c->a[2] = below(2) ? below(4) : arg();
		c->a[3] = domid();
		break;
	case __HYPERVISOR_sched_op_compat:
		/* yield, (poll,) shutdown_code, out of range */
		c->a[0] = PICK(((const uint64_t[]){ 0, 3, 5, 7, 8, 99, ~0UL }));
		break;
	case __HYPERVISOR_sched_op:
		gen_sched(c);
		break;
	case __HYPERVISOR_multicall:
		if (depth > 1)
			c->a[1] = 0;
		else
			gen_multicall(c, depth);
		break;
	case __HYPERVISOR_console_io:
		/* Writes only from bad buffers: random bytes would land in
		 * the console log (and could spell FAIL). */
		c->a[0] = below(4) ? below(3) : arg();
		if (c->a[0] == 0 && c->a[2] >= PVGUEST_VIRT_BASE) {
			c->a[2] = (uint64_t)(uintptr_t)".";
			c->a[1] = below(2);
		}
		break;
	case __HYPERVISOR_memory_op:
		c->a[0] = below(8) ? below(30) : arg();
		c->a[1] = buf(128);
		break;
	case __HYPERVISOR_grant_table_op:
		c->a[0] = below(8) ? below(14) : arg();
		c->a[1] = buf(128);
		c->a[2] = count();
		break;
	case __HYPERVISOR_event_channel_op:
	case __HYPERVISOR_physdev_op:
		c->a[0] = below(8) ? below(32) : arg();
		c->a[1] = buf(64);
		break;
	case __HYPERVISOR_event_channel_op_compat:
	case __HYPERVISOR_physdev_op_compat:
		c->a[0] = buf(64);
		break;
	case __HYPERVISOR_vcpu_op:
		c->a[0] = below(8) ? below(16) : arg();
		c->a[1] = below(4) ? below(4) : arg();
		c->a[2] = buf(128);
		/* down or NMI on vCPU 0, ourselves: we would never return or
		 * take an NMI nobody registered for. Both numbers are 32-bit
		 * to Xen (int cmd, unsigned int vcpuid). */
		if (((uint32_t)c->a[0] == VCPUOP_down ||
		     (uint32_t)c->a[0] == VCPUOP_send_nmi) &&
		    (uint32_t)c->a[1] == 0)
			c->a[1] = 1 + below(8);
		break;
	case __HYPERVISOR_callback_op:
		c->a[0] = below(4) ? CALLBACKOP_unregister : 2 + below(8);
		c->a[1] = buf(32);
		break;
	case __HYPERVISOR_nmi_op:
		c->a[0] = below(2) ? XENNMI_unregister_callback : 2 + below(8);
		break;
	case __HYPERVISOR_xen_version:
		c->a[0] = below(8) ? below(24) : arg();
		c->a[1] = buf(1024);
		break;
	case __HYPERVISOR_vm_assist:
	case __HYPERVISOR_set_segment_base:
	case __HYPERVISOR_set_debugreg:
	case __HYPERVISOR_get_debugreg:
		c->a[0] = below(4) ? below(8) : arg();
		break;
	case __HYPERVISOR_fpu_taskswitch:
		c->a[0] = below(3);
		break;
	default:
		break;
	}
}

/* Calls that may have changed our PTEs: put the arena back. */
static bool touches_ptes(uint64_t nr)
{
	return nr == __HYPERVISOR_update_va_mapping ||
	       nr == __HYPERVISOR_update_va_mapping_otherdomain ||
	       nr == __HYPERVISOR_mmu_update ||
	       nr == __HYPERVISOR_mmuext_op ||
	       nr == __HYPERVISOR_grant_table_op ||
	       nr == __HYPERVISOR_multicall;
}

static void restore_mappings(void)
{
	const uint64_t rw = _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED |
			    _PAGE_DIRTY;
	unsigned int i;
	long rc;

	for (i = 0; i < ARENA_PAGES; i++) {
		rc = map_page(arena[i], virt_to_mfn(arena[i]), rw);
		if (rc)
			test_fail("cannot restore arena page %u: %ld", i, rc);
	}
	rc = map_page(poison, virt_to_mfn(poison), rw);
	if (rc)
		test_fail("cannot restore poison page: %ld", rc);
	unmap_page(guard);
}

/* Side effects we allow ourselves to suffer and shrug off. */
static bool on_debug(struct guest_regs *regs)
{
	HYPERVISOR_set_debugreg(7, 0);	/* a random breakpoint fired */
	return true;
}

static bool on_nm(struct guest_regs *regs)
{
	HYPERVISOR_fpu_taskswitch(0);	/* fpu_taskswitch(1) set CR0.TS */
	return true;
}

static bool on_nmi(struct guest_regs *regs)
{
	return true;
}

static uint64_t parse_num(const char *p)
{
	uint64_t v = 0;
	int base = 10;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (;; p++) {
		int d;

		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			break;
		v = v * base + d;
	}
	return v;
}

static bool cmdline_num(const char *cmd, const char *key, uint64_t *out)
{
	size_t n = strlen(key);
	const char *p;

	for (p = cmd; *p; p++)
		if ((p == cmd || p[-1] == ' ') && !strncmp(p, key, n)) {
			*out = parse_num(p + n);
			return true;
		}
	return false;
}

static const char *errname(unsigned int e)
{
	switch (e) {
	case XEN_EPERM: return "EPERM";
	case XEN_ENOENT: return "ENOENT";
	case XEN_ESRCH: return "ESRCH";
	case XEN_EIO: return "EIO";
	case XEN_E2BIG: return "E2BIG";
	case XEN_EBADF: return "EBADF";
	case XEN_EAGAIN: return "EAGAIN";
	case XEN_ENOMEM: return "ENOMEM";
	case XEN_EACCES: return "EACCES";
	case XEN_EFAULT: return "EFAULT";
	case XEN_EBUSY: return "EBUSY";
	case XEN_EEXIST: return "EEXIST";
	case XEN_ENODEV: return "ENODEV";
	case XEN_EINVAL: return "EINVAL";
	case XEN_ENOSPC: return "ENOSPC";
	case XEN_ERANGE: return "ERANGE";
	case XEN_ENOSYS: return "ENOSYS";
	case XEN_EOPNOTSUPP: return "EOPNOTSUPP";
	default: return "";
	}
}

void guest_main(struct start_info *si)
{
	const char *cmd = (const char *)si->cmd_line;
	uint64_t seed = DEFAULT_SEED, budget = DEFAULT_BUDGET, n, t0, t1;
	uint64_t trace = ~0UL;	/* "trace=N": print every call from N on */
	struct call c;
	unsigned int i;
	long rc;

	test_start("fuzz");
	nr_pages = si->nr_pages;
	cmdline_num(cmd, "seed=", &seed);
	cmdline_num(cmd, "budget=", &budget);
	cmdline_num(cmd, "trace=", &trace);
	rng = seed * 0x9e3779b97f4a7c15UL + 0x5eed;	/* never 0 */
	if (!rng)
		rng = 1;
	printk("fuzz: seed=%lu budget=%lu nr_pages=%lu\n", seed, budget,
	       nr_pages);

	rc = trap_init();
	if (!check(rc == 0, "set_trap_table = %ld", rc))
		test_end();
	trap_set_handler(1, on_debug);
	trap_set_handler(2, on_nmi);
	trap_set_handler(7, on_nm);
	rc = map_shared_info();
	if (!check(rc == 0, "map shared_info = %ld", rc))
		test_end();
	guard = arena[ARENA_PAGES];
	rc = unmap_page(guard);
	if (!check(rc == 0, "unmap the guard page = %ld", rc))
		test_end();

	t0 = pv_now();
	for (n = 0; n < budget; n++) {
		fill_arena();
		gen_call(&c, 0);
		if (n >= trace)
			printk("fuzz: #%lu hypercall %lu (%#lx, %#lx, %#lx, %#lx, %#lx, %#lx)\n",
			       n, c.nr, c.a[0], c.a[1], c.a[2], c.a[3],
			       c.a[4], c.a[5]);
		if (n >= trace && c.nr == __HYPERVISOR_multicall &&
		    c.a[0] >= PVGUEST_VIRT_BASE)
			for (i = 0; i < 6; i++) {
				struct multicall_entry *e =
					(void *)(uintptr_t)c.a[0] + i;

				printk("fuzz:   [%u] op %lu (%#lx, %#lx, %#lx)\n", i,
				       e->op, e->args[0], e->args[1], e->args[2]);
			}
		rc = pv_hypercall6(c.nr, c.a[0], c.a[1], c.a[2], c.a[3],
				   c.a[4], c.a[5]);
		per_op[c.nr < 64 ? c.nr : 64]++;
		if (rc == 0)
			hist[0]++;
		else if (rc < 0 && rc > -NR_ERR)
			hist[-rc]++;
		else if (rc > 0)
			hist[NR_ERR]++;
		else
			hist[NR_ERR + 1]++;
		if (c.nr == __HYPERVISOR_set_trap_table ||
		    c.nr == __HYPERVISOR_multicall)
			trap_init();	/* in case a bad table got half in */
		if (touches_ptes(c.nr))
			restore_mappings();
		if ((n + 1) % 1000 == 0)
			printk("fuzz: %lu calls\n", n + 1);
	}
	t1 = pv_now();

	printk("fuzz: %lu calls in %lu ms (%lu calls/s)\n", budget,
	       (t1 - t0) / 1000000,
	       t1 > t0 ? budget * 1000000000UL / (t1 - t0) : 0);
	printk("fuzz: return codes:\n");
	if (hist[0])
		printk("  %8lu  0\n", hist[0]);
	for (i = 1; i < NR_ERR; i++)
		if (hist[i])
			printk("  %8lu  -%u %s\n", hist[i], i, errname(i));
	if (hist[NR_ERR])
		printk("  %8lu  > 0\n", hist[NR_ERR]);
	if (hist[NR_ERR + 1])
		printk("  %8lu  other negative\n", hist[NR_ERR + 1]);
	printk("fuzz: calls per hypercall number (64 = out of range):");
	for (i = 0; i <= 64; i++)
		if (per_op[i])
			printk(" %u:%lu", i, per_op[i]);
	printk("\n");

	/* Still ourselves: traps are delivered, the console works. */
	n = pvguest_last_trap.count;
	asm volatile("int3" : : : "memory");
	check(pvguest_last_trap.count == n + 1, "int3 still delivered");
	test_end();
}

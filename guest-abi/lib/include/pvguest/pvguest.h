/* SPDX-License-Identifier: MIT */
/*
 * libpvguest: a freestanding library for the small x86-64 PV kernels in
 * tests/guests.  A kernel provides guest_main(); start.S calls it with the
 * start_info page on a stack of its own, with .bss cleared.  Returning from
 * guest_main() powers the domain off.
 */
#ifndef PVGUEST_PVGUEST_H
#define PVGUEST_PVGUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pvabi/xen.h>
#include <pvabi/xen-errno.h>

#include <pvguest/hypercall.h>
#include <pvguest/traps.h>

#define __noreturn	__attribute__((noreturn))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define __aligned(x)	__attribute__((aligned(x)))
#define __page_aligned	__aligned(PAGE_SIZE)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))

/* The builder maps the image 1:1 from here (VIRT_BASE note). */
#define PVGUEST_VIRT_BASE	0xffffffff80000000UL

/* x86-64 PTE bits. */
#define _PAGE_PRESENT	0x001UL
#define _PAGE_RW	0x002UL
#define _PAGE_USER	0x004UL
#define _PAGE_ACCESSED	0x020UL
#define _PAGE_DIRTY	0x040UL
#define _PAGE_NX	(1UL << 63)
#define PTE_ADDR_MASK	0x000ffffffffff000UL

/* Page-fault error code bits. */
#define PFEC_PRESENT	0x01
#define PFEC_WRITE	0x02
#define PFEC_USER	0x04
#define PFEC_RSVD	0x08
#define PFEC_INSN	0x10

/* Registers as the hypervisor handed them to _start (see §1.9). */
struct pvguest_entry_state {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rflags;
	uint64_t cs, ss, ds, es, fs, gs;
};

extern struct pvguest_entry_state pvguest_entry_state;
extern struct start_info *start_info;
extern struct shared_info *shared_info;	/* NULL until mapped */
extern uint8_t hypercall_page[4096];

/* Provided by each kernel. */
void guest_main(struct start_info *si);

/* ---- console ------------------------------------------------------- */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
int printk(const char *fmt, ...) __printf(1, 2);
int vprintk(const char *fmt, va_list ap);
void console_write(const char *s, size_t len);

/* ---- shutdown and failure ------------------------------------------ */
void guest_poweroff(void) __noreturn;
void guest_crash(void) __noreturn;
void guest_panic(const char *fmt, ...) __printf(1, 2) __noreturn;

/*
 * Test reporting.  test_start() names the test; check() prints one
 * "ok"/"FAILED" line per condition and remembers the first failure;
 * test_end() prints exactly one "PASS <name>" or "FAIL <name>: reason"
 * line and powers off (or crashes, on failure).  test_fail() ends at once.
 */
void test_start(const char *name);
bool check(bool cond, const char *fmt, ...) __printf(2, 3);
void test_end(void) __noreturn;
void test_fail(const char *fmt, ...) __printf(1, 2) __noreturn;
extern const char *test_name;
extern unsigned int test_failures;

/* ---- memory -------------------------------------------------------- */
void *memset(void *s, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* Frame numbers of kernel addresses inside the builder's 1:1 region. */
static inline uint64_t virt_to_pfn(const void *va)
{
	return ((uint64_t)(uintptr_t)va - PVGUEST_VIRT_BASE) >> PAGE_SHIFT;
}

/* Through the guest's P2M (mfn_list), the way a real PV kernel must. */
uint64_t pfn_to_mfn(uint64_t pfn);
static inline uint64_t virt_to_mfn(const void *va)
{
	return pfn_to_mfn(virt_to_pfn(va));
}

/* Change the L1 entry for one page of the kernel mapping. */
long map_page(void *va, uint64_t mfn, uint64_t flags);
long set_page_readonly(void *va);
long set_page_writable(void *va);
long unmap_page(void *va);

/*
 * Map shared_info (start_info->shared_info is a machine address) over a
 * page reserved for it; sets the shared_info global.  Returns the
 * update_va_mapping result.
 */
long map_shared_info(void);

static inline struct vcpu_info *vcpu0_info(void)
{
	return shared_info ? &shared_info->vcpu_info[0] : NULL;
}

/* ---- CPU ----------------------------------------------------------- */
/* CPUID through the forced-emulation prefix: ud2; "xen"; cpuid. */
static inline void xen_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t *a,
			     uint32_t *b, uint32_t *c, uint32_t *d)
{
	asm volatile("ud2; .ascii \"xen\"; cpuid"
		     : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
		     : "0"(leaf), "2"(subleaf)
		     : "memory");
}

static inline void native_cpuid(uint32_t leaf, uint32_t subleaf,
				uint32_t *a, uint32_t *b, uint32_t *c,
				uint32_t *d)
{
	asm volatile("cpuid"
		     : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
		     : "0"(leaf), "2"(subleaf)
		     : "memory");
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t val)
{
	asm volatile("wrmsr"
		     : : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
		     : "memory");
}

static inline uint64_t read_rflags(void)
{
	uint64_t f;

	asm volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

static inline void barrier(void)
{
	asm volatile("" : : : "memory");
}

#endif /* PVGUEST_PVGUEST_H */

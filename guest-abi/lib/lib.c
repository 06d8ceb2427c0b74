/* SPDX-License-Identifier: MIT */
/*
 * Start-up glue, shutdown, test reporting, string helpers and the few
 * page-table operations every test kernel needs.
 */
#include <pvabi/sched.h>

#include <pvguest/pvguest.h>

struct start_info *start_info;
struct shared_info *shared_info;
const char *test_name = "guest";
unsigned int test_failures;
static char first_failure[160];

/* The page shared_info gets mapped over; its own frame is simply lost. */
static uint8_t shared_info_page[PAGE_SIZE] __page_aligned;

void pvguest_start(struct start_info *si);

void pvguest_start(struct start_info *si)
{
	start_info = si;
	guest_main(si);
	guest_poweroff();
}

/* ---- shutdown ------------------------------------------------------ */

static void __noreturn shutdown(unsigned int reason)
{
	struct sched_shutdown sd = { .reason = reason };

	HYPERVISOR_sched_op(SCHEDOP_shutdown, &sd);
	/* Only reached if the hypervisor ignored us: say so, then spin. */
	printk("pvguest: SCHEDOP_shutdown(%u) returned\n", reason);
	for (;;) {
		HYPERVISOR_sched_op(SCHEDOP_shutdown, &sd);
		asm volatile("pause");
	}
}

void guest_poweroff(void)
{
	shutdown(SHUTDOWN_poweroff);
}

void guest_crash(void)
{
	shutdown(SHUTDOWN_crash);
}

void guest_panic(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printk("PANIC: %s\n", buf);
	printk("FAIL %s: panic: %s\n", test_name, buf);
	guest_crash();
}

/* ---- test reporting ------------------------------------------------ */

void test_start(const char *name)
{
	test_name = name;
	printk("=== %s: start\n", name);
}

bool check(bool cond, const char *fmt, ...)
{
	char buf[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (cond) {
		printk("  ok      %s\n", buf);
		return true;
	}
	printk("  FAILED  %s\n", buf);
	if (!test_failures++)
		memcpy(first_failure, buf, sizeof(buf));
	return false;
}

void test_end(void)
{
	if (test_failures) {
		printk("FAIL %s: %s (%u check(s) failed)\n", test_name,
		       first_failure, test_failures);
		guest_crash();
	}
	printk("PASS %s\n", test_name);
	guest_poweroff();
}

void test_fail(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printk("FAIL %s: %s\n", test_name, buf);
	guest_crash();
}

/* ---- strings ------------------------------------------------------- */
/* gcc may emit calls to these even with -ffreestanding. */

void *memset(void *s, int c, size_t n)
{
	unsigned char *p = s;

	while (n--)
		*p++ = (unsigned char)c;
	return s;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d < s)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			break;
	}
	return 0;
}

/* ---- memory -------------------------------------------------------- */

uint64_t pfn_to_mfn(uint64_t pfn)
{
	const uint64_t *p2m = (const uint64_t *)start_info->mfn_list;

	return p2m[pfn];
}

long map_page(void *va, uint64_t mfn, uint64_t flags)
{
	return HYPERVISOR_update_va_mapping((unsigned long)va,
					    (mfn << PAGE_SHIFT) | flags,
					    UVMF_INVLPG);
}

long set_page_readonly(void *va)
{
	return map_page(va, virt_to_mfn(va), _PAGE_PRESENT | _PAGE_ACCESSED);
}

long set_page_writable(void *va)
{
	return map_page(va, virt_to_mfn(va),
			_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED |
			_PAGE_DIRTY);
}

long unmap_page(void *va)
{
	return HYPERVISOR_update_va_mapping((unsigned long)va, 0,
					    UVMF_INVLPG);
}

long map_shared_info(void)
{
	long rc;

	if (shared_info)
		return 0;
	rc = map_page(shared_info_page, start_info->shared_info >> PAGE_SHIFT,
		      _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED |
		      _PAGE_DIRTY);
	if (rc == 0)
		shared_info = (struct shared_info *)shared_info_page;
	return rc;
}

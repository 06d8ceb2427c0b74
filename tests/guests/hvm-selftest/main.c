// SPDX-License-Identifier: MIT
/*
 * hvm-selftest: a bzImage that pvisor boots as an HVM guest through
 * Linux's 64-bit boot protocol, and that checks the emulated PC an
 * unmodified Linux kernel relies on: boot_params (e820, command line,
 * ACPI), CPUID, the COM1 UART, the CMOS RTC, KVM's LAPIC/IOAPIC/PIT,
 * Xen's event channels as an HVM Linux uses them (shared_info through
 * add_to_physmap, the callback vector), and that hostile port, MSR and
 * MMIO accesses leave the hypervisor (and this guest) running. Every
 * result goes to COM1, polled; the last line is "PASS hvm-selftest",
 * then PM1a_CNT powers off.
 *
 * pvctl-args passes --type hvm and the command line "hvmtest=1".
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pvabi/event_channel.h>
#include <pvabi/features.h>
#include <pvabi/memory.h>
#include <pvabi/vcpu.h>
#include <pvabi/version.h>
#include <pvabi/xen.h>

#define NAME		"hvm-selftest"

/* The PC of an HVM domain (arch/x86/hvm: pc.c, acpi.c, KVM's irqchip). */
#define COM1		0x3f8
#define RTC_INDEX	0x70
#define RTC_DATA	0x71
#define PM1A_EVT	0x600
#define PM1A_CNT	0x604
#define PM_TMR		0x608	/* the ACPI PM timer, 32 bits */
#define SLP_TYP_S5	(5u << 10)
#define SLP_EN		(1u << 13)
#define HCALL_PORT	0xe4	/* pvisor's private hypercall port */

#define LAPIC_BASE	0xfee00000ull
#define LAPIC_ID	0x020
#define LAPIC_VER	0x030
#define LAPIC_TPR	0x080
#define LAPIC_EOI	0x0b0
#define LAPIC_SVR	0x0f0
#define LAPIC_LVT_TIMER	0x320
#define LAPIC_LVT0	0x350
#define LAPIC_TMICT	0x380
#define LAPIC_TMCCT	0x390
#define LAPIC_TDCR	0x3e0
#define LVT_MASKED	(1u << 16)

#define VEC_TIMER	0x40
#define VEC_PIT_PIN2	0x41
#define VEC_PIT_PIN0	0x42
#define VEC_SPURIOUS	0xff
#define VEC_PIC_BASE	0x20	/* after pic_init; masked there */
#define VEC_EVTCHN	0xf3	/* HVM_PARAM_CALLBACK_IRQ: the global one */
#define VEC_EVTCHN_VCPU	0xf4	/* HVMOP_set_evtchn_upcall_vector */

#define MSR_APIC_BASE	0x1b
#define MSR_XEN_HCALL	0x40000000u

/* boot_params (zero page) and its copy of the setup header. */
#define BP_ACPI_RSDP	0x070
#define BP_EXT_CMDLINE	0x0c8
#define BP_E820_ENTRIES	0x1e8
#define BP_BOOT_FLAG	0x1fe
#define BP_HEADER	0x202
#define BP_VERSION	0x206
#define BP_CMDLINE_PTR	0x228
#define BP_E820_TABLE	0x2d0
#define E820_MAX	128
#define E820_RAM	1
#define E820_RESERVED	2

#define MMIO_WINDOW	0xfc000000ull
#define GIB4		0x100000000ull

struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vec, err;
	uint64_t rip, cs, rflags, rsp, ss;
};

struct e820_entry {
	uint64_t addr, size;
	uint32_t type;
} __attribute__((packed));

void hvm_main(uint64_t boot_params);
void hvm_trap(struct trap_frame *f);

extern const char isr_stubs[];
extern char _end[];

/*
 * An instruction that may fault runs between "movq $1f, fixup_rip" and
 * its label 1: hvm_trap resumes there and records the vector.
 */
extern volatile uint64_t fixup_rip;
volatile uint64_t fixup_rip;
static volatile int fault_vec;
static volatile uint64_t fault_err;

static volatile uint32_t irq_count[256];
/* Where add_to_physmap put shared_info; the upcall handler looks in. */
static volatile struct shared_info *shinfo;
static volatile int upcall_seen;	/* its evtchn_upcall_pending, or -1 */
static volatile uint64_t upcall_at;	/* Xen system time of the last upcall */
static uint64_t pvclock_now(volatile struct vcpu_time_info *ti);
static bool lapic_on;
static unsigned int failures;
static uint8_t *bp;

/* ------------------------------------------------------------ port I/O -- */

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %w1, %b0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	asm volatile("inw %w1, %w0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	asm volatile("inl %w1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %b0, %w1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	asm volatile("outw %w0, %w1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	asm volatile("outl %0, %w1" : : "a"(v), "Nd"(port));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void cpu_relax(void)
{
	asm volatile("pause" ::: "memory");
}

/* Up to ~1-2 s of TSC at any plausible frequency: a bound, not a clock. */
#define TSC_WAIT	3000000000ull

/* -------------------------------------------------------------- console -- */

static void putc_(char c)
{
	unsigned int i;

	/* LSR.THRE: bounded, so a broken UART cannot hang the test. */
	for (i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
		cpu_relax();
	outb(COM1, (uint8_t)c);
}

static void puts_(const char *s)
{
	while (*s)
		putc_(*s++);
}

static void put_num(uint64_t v, unsigned int base, int width, char pad)
{
	char buf[24];
	int n = 0;

	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v && n < (int)sizeof(buf));
	while (width > n) {
		putc_(pad);
		width--;
	}
	while (n)
		putc_(buf[--n]);
}

/* %s %c %d %u %x with an optional 0, width and l: all this test needs. */
static void vpr(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		char pad = ' ';
		int width = 0;
		bool lng = false;
		uint64_t u;
		int64_t d;

		if (*fmt != '%') {
			putc_(*fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0')
			pad = '0';
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		if (*fmt == 'l') {
			lng = true;
			fmt++;
		}
		switch (*fmt) {
		case 's':
			puts_(va_arg(ap, const char *));
			break;
		case 'c':
			putc_((char)va_arg(ap, int));
			break;
		case 'd':
			d = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			if (d < 0) {
				putc_('-');
				d = -d;
			}
			put_num((uint64_t)d, 10, width, pad);
			break;
		case 'u':
		case 'x':
			u = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned int);
			put_num(u, *fmt == 'u' ? 10 : 16, width, pad);
			break;
		case '\0':
			return;
		default:
			putc_(*fmt);
		}
	}
}

static void __attribute__((format(printf, 1, 2))) pr(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	puts_(NAME ": ");
	vpr(fmt, ap);
	va_end(ap);
	putc_('\n');
}

static void __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	failures++;
	va_start(ap, fmt);
	puts_("FAIL " NAME ": ");
	vpr(fmt, ap);
	va_end(ap);
	putc_('\n');
}

#define check(cond, ...)		\
	do {				\
		if (!(cond))		\
			fail(__VA_ARGS__);	\
	} while (0)

/* ----------------------------------------------------------- CPU state -- */

static void cpuid(uint32_t leaf, uint32_t r[4])
{
	asm volatile("cpuid"
		     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
		     : "0"(leaf), "2"(0));
}

static bool rdmsr_safe(uint32_t msr, uint64_t *val)
{
	uint32_t lo, hi;

	fault_vec = -1;
	asm volatile("movq $1f, fixup_rip(%%rip)\n\t"
		     "rdmsr\n"
		     "1:\tmovq $0, fixup_rip(%%rip)"
		     : "=a"(lo), "=d"(hi)
		     : "c"(msr), "0"(0), "1"(0)
		     : "memory");
	*val = ((uint64_t)hi << 32) | lo;
	return fault_vec < 0;
}

static bool wrmsr_safe(uint32_t msr, uint64_t val)
{
	fault_vec = -1;
	asm volatile("movq $1f, fixup_rip(%%rip)\n\t"
		     "wrmsr\n"
		     "1:\tmovq $0, fixup_rip(%%rip)"
		     :
		     : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
		     : "memory");
	return fault_vec < 0;
}

/* MMIO of one size, surviving a fault (which is itself a finding). */
static bool mmio_read(uint64_t addr, unsigned int size, uint64_t *val)
{
	uint64_t v = 0;

	fault_vec = -1;
	switch (size) {
	case 1:
		asm volatile("movq $1f, fixup_rip(%%rip)\n\t"
			     "movb (%1), %b0\n"
			     "1:\tmovq $0, fixup_rip(%%rip)"
			     : "+a"(v) : "r"(addr) : "memory");
		break;
	case 2:
		asm volatile("movq $1f, fixup_rip(%%rip)\n\t"
			     "movw (%1), %w0\n"
			     "1:\tmovq $0, fixup_rip(%%rip)"
			     : "+a"(v) : "r"(addr) : "memory");
		break;
	case 4:
		asm volatile("movq $1f, fixup_rip(%%rip)\n\t"
			     "movl (%1), %k0\n"
			     "1:\tmovq $0, fixup_rip(%%rip)"
			     : "+a"(v) : "r"(addr) : "memory");
		break;
	default:
		asm volatile("movq $1f, fixup_rip(%%rip)\n\t"
			     "movq (%1), %0\n"
			     "1:\tmovq $0, fixup_rip(%%rip)"
			     : "+a"(v) : "r"(addr) : "memory");
	}
	*val = v;
	return fault_vec < 0;
}

static bool mmio_write32(uint64_t addr, uint32_t v)
{
	fault_vec = -1;
	asm volatile("movq $1f, fixup_rip(%%rip)\n\t"
		     "movl %k0, (%1)\n"
		     "1:\tmovq $0, fixup_rip(%%rip)"
		     : : "a"(v), "r"(addr) : "memory");
	return fault_vec < 0;
}

static uint32_t lapic_read(uint32_t reg)
{
	return *(volatile uint32_t *)(uintptr_t)(LAPIC_BASE + reg);
}

static void lapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)(LAPIC_BASE + reg) = v;
}

static void power_off(void);

void hvm_trap(struct trap_frame *f)
{
	unsigned int v = (unsigned int)f->vec;
	uint64_t cr2;

	if (v < 32) {
		if (fixup_rip) {
			fault_vec = (int)v;
			fault_err = f->err;
			f->rip = fixup_rip;
			fixup_rip = 0;
			return;
		}
		asm volatile("movq %%cr2, %0" : "=r"(cr2));
		fail("unexpected exception %u at rip 0x%lx, error 0x%lx, cr2 0x%lx",
		     v, f->rip, f->err, cr2);
		power_off();
	}
	irq_count[v]++;
	/* Left set for the test to see, as Linux's handler first reads it. */
	if ((v == VEC_EVTCHN || v == VEC_EVTCHN_VCPU) && shinfo) {
		upcall_seen = shinfo->vcpu_info[0].evtchn_upcall_pending;
		upcall_at = pvclock_now(&shinfo->vcpu_info[0].time);
	}
	/* The 8259s are masked; if one still speaks, end its interrupt. */
	if (v >= VEC_PIC_BASE && v < VEC_PIC_BASE + 16) {
		if (v >= VEC_PIC_BASE + 8)
			outb(0xa0, 0x20);
		outb(0x20, 0x20);
	}
	if (v != VEC_SPURIOUS && lapic_on)
		lapic_write(LAPIC_EOI, 0);
}

/* --------------------------------------------- GDT, IDT, page tables -- */

struct tss64 {
	uint32_t rsvd0;
	uint64_t rsp[3];
	uint64_t rsvd1;
	uint64_t ist[7];
	uint64_t rsvd2;
	uint16_t rsvd3;
	uint16_t iomap_base;
} __attribute__((packed));

struct idt_gate {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, rsvd;
} __attribute__((packed));

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static uint64_t gdt[6] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static struct idt_gate idt[256] __attribute__((aligned(16)));
static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[4][512] __attribute__((aligned(4096)));

#define SEL_CODE	0x10	/* as Linux's __BOOT_CS */
#define SEL_DATA	0x18
#define SEL_TSS		0x20

static void cpu_setup(void)
{
	uint64_t base = (uint64_t)(uintptr_t)&tss, limit = sizeof(tss) - 1;
	struct desc_ptr gd = { sizeof(gdt) - 1, (uint64_t)(uintptr_t)gdt };
	struct desc_ptr id = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
	unsigned int i, j;

	/* The IDT first (0x10 is code in the loader's GDT too): faults show. */
	for (i = 0; i < 256; i++) {
		uint64_t a = (uint64_t)(uintptr_t)isr_stubs + i * 16;

		idt[i] = (struct idt_gate){
			.off0 = (uint16_t)a, .sel = SEL_CODE, .type = 0x8e,
			.off1 = (uint16_t)(a >> 16), .off2 = (uint32_t)(a >> 32),
		};
	}
	asm volatile("lidt %0" : : "m"(id));

	/* Our own identity map of 4 GiB, MMIO (the top GiB) uncached. */
	for (i = 0; i < 4; i++) {
		for (j = 0; j < 512; j++)
			pd[i][j] = ((uint64_t)i << 30) | ((uint64_t)j << 21) |
				   0x83 | (i == 3 ? 0x18 : 0);
		pdpt[i] = (uint64_t)(uintptr_t)pd[i] | 0x3;
	}
	pml4[0] = (uint64_t)(uintptr_t)pdpt | 0x3;
	asm volatile("movq %0, %%cr3" : : "r"((uint64_t)(uintptr_t)pml4)
		     : "memory");

	gdt[2] = 0x00af9b000000ffffull;		/* 64-bit code */
	gdt[3] = 0x00cf93000000ffffull;		/* data */
	/* A TSS of our own: the loader's TR points into its GDT. */
	tss.iomap_base = sizeof(tss);
	gdt[4] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		 (0x89ull << 40) | (((limit >> 16) & 0xf) << 48) |
		 (((base >> 24) & 0xff) << 56);
	gdt[5] = base >> 32;
	asm volatile("lgdt %0\n\t"
		     "pushq %1\n\t"
		     "leaq 1f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "lretq\n"
		     "1:\tmovl %2, %%eax\n\t"
		     "movl %%eax, %%ds\n\t"
		     "movl %%eax, %%es\n\t"
		     "movl %%eax, %%ss\n\t"
		     "movl %%eax, %%fs\n\t"
		     "movl %%eax, %%gs"
		     : : "m"(gd), "i"(SEL_CODE), "i"(SEL_DATA)
		     : "rax", "memory");
	asm volatile("ltr %w0" : : "r"(SEL_TSS));
}

/* ------------------------------------------------------- boot_params -- */

static uint8_t bp8(unsigned int off)
{
	return bp[off];
}

static uint32_t rd32(const void *p)
{
	uint32_t v;

	__builtin_memcpy(&v, p, 4);
	return v;
}

static uint64_t rd64(const void *p)
{
	uint64_t v;

	__builtin_memcpy(&v, p, 8);
	return v;
}

static uint16_t rd16(const void *p)
{
	uint16_t v;

	__builtin_memcpy(&v, p, 2);
	return v;
}

static bool has_word(const char *s, const char *w)
{
	for (; *s; s++) {
		size_t i = 0;

		while (w[i] && s[i] == w[i])
			i++;
		if (!w[i])
			return true;
	}
	return false;
}

static bool mem_eq(const void *a, const char *b, size_t n)
{
	const uint8_t *p = a;
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != (uint8_t)b[i])
			return false;
	return true;
}

static uint64_t ram_top;	/* end of the highest e820 entry below the window */

static void check_boot_params(void)
{
	const struct e820_entry *e = (const void *)(bp + BP_E820_TABLE);
	unsigned int n = bp8(BP_E820_ENTRIES), i;
	bool ram0 = false, ram1m = false, window = false, sorted = true;
	bool image_in_ram = false;
	uint64_t cmdline, img_end = (uint64_t)(uintptr_t)_end;
	const char *cl;
	size_t len;

	pr("boot_params at 0x%lx, protocol %x", (uint64_t)(uintptr_t)bp,
	   rd16(bp + BP_VERSION));
	check(rd16(bp + BP_BOOT_FLAG) == 0xaa55 &&
	      mem_eq(bp + BP_HEADER, "HdrS", 4),
	      "boot_params: no copied setup header (boot_flag 0x%x)",
	      rd16(bp + BP_BOOT_FLAG));

	check(n >= 1 && n <= E820_MAX, "e820: %u entries", n);
	if (n > E820_MAX)
		n = 0;
	for (i = 0; i < n; i++) {
		uint64_t a = e[i].addr, s = e[i].size;

		pr("e820 %u: 0x%016lx-0x%016lx type %u", i, a, a + s - 1,
		   e[i].type);
		if (i && e[i - 1].addr + e[i - 1].size > a)
			sorted = false;
		if (e[i].type == E820_RAM) {
			if (a == 0 && s >= 0x1000)
				ram0 = true;
			if (a <= 0x100000 && a + s > 0x100000)
				ram1m = true;
			if (a <= 0x100000 && a + s >= img_end)
				image_in_ram = true;
		}
		/* RAM, ACPI or reserved: what lies above is unbacked. */
		if (a + s <= MMIO_WINDOW && a + s > ram_top)
			ram_top = a + s;
		if (e[i].type == E820_RESERVED && a <= MMIO_WINDOW &&
		    a + s >= GIB4)
			window = true;
	}
	check(sorted, "e820 entries unsorted or overlapping");
	check(ram0, "e820: no RAM at address 0");
	check(ram1m, "e820: no RAM at 1 MiB");
	check(image_in_ram, "e820: this image (1 MiB-0x%lx) is not in RAM",
	      img_end);
	check(window, "e820: 0xfc000000-4 GiB not reserved");

	cmdline = rd32(bp + BP_CMDLINE_PTR) |
		  ((uint64_t)rd32(bp + BP_EXT_CMDLINE) << 32);
	check(cmdline && cmdline < MMIO_WINDOW, "cmd_line_ptr 0x%lx", cmdline);
	if (cmdline && cmdline < MMIO_WINDOW) {
		cl = (const char *)(uintptr_t)cmdline;
		for (len = 0; len < 2048 && cl[len]; len++)
			;
		check(len < 2048, "command line not NUL-terminated");
		if (len < 2048) {
			pr("cmdline at 0x%lx: \"%s\"", cmdline, cl);
			check(has_word(cl, "hvmtest=1"),
			      "command line lacks hvmtest=1");
		}
	}
}

/* -------------------------------------------------------------- ACPI -- */

static bool csum_ok(const void *p, uint32_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (len--)
		s += *b++;
	return s == 0;
}

/* Below 4 GiB and of a sane size: we identity-map only 4 GiB. */
static const uint8_t *acpi_table(uint64_t addr, const char *sig)
{
	const uint8_t *t = (const uint8_t *)(uintptr_t)addr;
	uint32_t len;

	if (!addr || addr >= MMIO_WINDOW)
		return NULL;
	len = rd32(t + 4);
	if (!mem_eq(t, sig, 4) || len < 36 || len > 0x10000 ||
	    addr + len > MMIO_WINDOW)
		return NULL;
	return t;
}

static const uint8_t *fadt, *madt;
static uint8_t century_reg = 0x32;
static uint32_t ioapic_base = 0xfec00000;
static int pit_gsi;			/* IRQ0's GSI per the MADT */

static const uint8_t *find_rsdp(const char **how)
{
	uint64_t a = rd64(bp + BP_ACPI_RSDP), p;

	*how = "boot_params.acpi_rsdp_addr";
	if (a && a < MMIO_WINDOW &&
	    mem_eq((const void *)(uintptr_t)a, "RSD PTR ", 8))
		return (const uint8_t *)(uintptr_t)a;
	check(!a, "acpi_rsdp_addr 0x%lx holds no RSDP", a);
	*how = "scan of 0xe0000-0xfffff";
	for (p = 0xe0000; p < 0x100000; p += 16)
		if (mem_eq((const void *)(uintptr_t)p, "RSD PTR ", 8) &&
		    csum_ok((const void *)(uintptr_t)p, 20))
			return (const uint8_t *)(uintptr_t)p;
	return NULL;
}

static void check_dsdt(const uint8_t *d)
{
	uint32_t len = rd32(d + 4), i;
	int s5 = -1;

	check(csum_ok(d, len), "DSDT checksum");
	for (i = 36; i + 8 < len; i++) {
		const uint8_t *p = d + i;

		/* _S5_: PackageOp, a one-byte PkgLength, NumElements, SLP_TYPa */
		if (!mem_eq(p, "_S5_", 4))
			continue;
		s5 = -2;
		if (p[4] != 0x12 || (p[5] & 0xc0))
			break;
		if (p[7] == 0x0a)
			s5 = p[8];
		else if (p[7] <= 0x01)
			s5 = p[7];
		break;
	}
	check(s5 != -1, "DSDT has no _S5_ (Linux cannot power off)");
	/* \_SB.PCI0, a PNP0A03 host bridge (EisaId 0x030ad041 in AML). */
	for (i = 36; i + 14 < len; i++)
		if (mem_eq(d + i, "PCI0", 4))
			break;
	check(i + 14 < len, "DSDT has no PCI0 (Linux finds no PCI bus)");
	if (i + 14 < len)
		check(mem_eq(d + i + 4, "\x08_HID\x0c\x41\xd0\x0a\x03", 10),
		      "DSDT PCI0 is not PNP0A03");
	if (s5 >= 0) {
		pr("DSDT _S5_ SLP_TYPa %d", s5);
		check(s5 == 5, "DSDT _S5_ SLP_TYPa %d, but PM1a_CNT powers off at 5",
		      s5);
	}
}

static void check_madt(const uint8_t *m)
{
	uint32_t len = rd32(m + 4), off;
	bool cpu0 = false, ioapic = false;

	check(csum_ok(m, len), "MADT checksum");
	check(rd32(m + 36) == LAPIC_BASE, "MADT local APIC address 0x%x",
	      rd32(m + 36));
	for (off = 44; off + 2 <= len; off += m[off + 1]) {
		const uint8_t *e = m + off;

		if (e[1] < 2 || off + e[1] > len) {
			fail("MADT entry at %u has length %u", off, e[1]);
			break;
		}
		switch (e[0]) {
		case 0:		/* processor local APIC */
			if (e[3] == 0 && (rd32(e + 4) & 1))
				cpu0 = true;
			break;
		case 1:		/* IOAPIC */
			pr("MADT IOAPIC id %u at 0x%x, GSI base %u", e[2],
			   rd32(e + 4), rd32(e + 8));
			if (!ioapic)
				ioapic_base = rd32(e + 4);
			ioapic = true;
			break;
		case 2:		/* interrupt source override */
			pr("MADT override: ISA IRQ %u -> GSI %u, flags 0x%x",
			   e[3], rd32(e + 4), rd16(e + 8));
			if (e[2] == 0 && e[3] == 0)
				pit_gsi = (int)rd32(e + 4);
			break;
		}
	}
	check(cpu0, "MADT: no enabled local APIC with id 0");
	check(ioapic && ioapic_base == 0xfec00000, "MADT: IOAPIC at 0x%x",
	      ioapic_base);
}

static void check_fadt(const uint8_t *f)
{
	uint32_t len = rd32(f + 4);
	uint64_t dsdt_addr = rd32(f + 40);
	const uint8_t *dsdt;

	check(csum_ok(f, len), "FADT checksum");
	check(len >= 116, "FADT length %u", len);
	if (len < 116)
		return;
	pr("FADT rev %u: PM1a_EVT 0x%x PM1a_CNT 0x%x PM_TMR 0x%x SCI %u century 0x%x",
	   f[8], rd32(f + 56), rd32(f + 64), rd32(f + 76), rd16(f + 46),
	   f[108]);
	check(rd32(f + 56) == PM1A_EVT, "FADT PM1a_EVT_BLK 0x%x", rd32(f + 56));
	check(rd32(f + 64) == PM1A_CNT, "FADT PM1a_CNT_BLK 0x%x", rd32(f + 64));
	check(f[88] == 4 && f[89] == 2, "FADT PM1_EVT_LEN %u PM1_CNT_LEN %u",
	      f[88], f[89]);
	if (f[108])
		century_reg = f[108];
	/* The PM timer: 32 bits (TMR_VAL_EXT), and it counts. */
	check(rd32(f + 76) == PM_TMR && f[91] == 4 && (rd32(f + 112) & 0x100),
	      "FADT PM_TMR_BLK 0x%x len %u flags 0x%x", rd32(f + 76), f[91],
	      rd32(f + 112));
	if (rd32(f + 76) == PM_TMR) {
		uint32_t t0 = inl(PM_TMR), t1 = t0;

		for (int i = 0; i < 1000 && t1 == t0; i++)
			t1 = inl(PM_TMR);
		check(t1 != t0, "PM timer stands still at 0x%x", t0);
		pr("PM timer: 0x%x then 0x%x", t0, t1);
	}
	if (len >= 184) {
		/* The 64-bit GAS copies, which ACPI 2.0+ readers prefer. */
		uint64_t xevt = rd64(f + 152), xcnt = rd64(f + 176);

		check(!xevt || (xevt == PM1A_EVT && f[148] == 1),
		      "FADT X_PM1a_EVT_BLK 0x%lx space %u", xevt, f[148]);
		check(!xcnt || (xcnt == PM1A_CNT && f[172] == 1),
		      "FADT X_PM1a_CNT_BLK 0x%lx space %u", xcnt, f[172]);
	}
	if (len >= 148 && rd64(f + 140))
		dsdt_addr = rd64(f + 140);
	dsdt = acpi_table(dsdt_addr, "DSDT");
	check(dsdt, "FADT: no DSDT at 0x%lx", dsdt_addr);
	if (dsdt)
		check_dsdt(dsdt);
}

static void check_acpi(void)
{
	const uint8_t *rsdp, *root;
	const char *how;
	uint64_t root_addr;
	unsigned int i, n, width;

	rsdp = find_rsdp(&how);
	check(rsdp, "no RSDP (boot_params or 0xe0000-0xfffff)");
	if (!rsdp)
		return;
	pr("RSDP at 0x%lx (%s), revision %u", (uint64_t)(uintptr_t)rsdp, how,
	   rsdp[15]);
	check(csum_ok(rsdp, 20), "RSDP checksum");
	if (rsdp[15] >= 2) {
		check(rd32(rsdp + 20) >= 36 && csum_ok(rsdp, rd32(rsdp + 20)),
		      "RSDP extended checksum (length %u)", rd32(rsdp + 20));
		root_addr = rd64(rsdp + 24);
		root = acpi_table(root_addr, "XSDT");
		width = 8;
		check(root, "no XSDT at 0x%lx", root_addr);
	} else {
		pr("ACPI 1.0 RSDP: following the RSDT");
		root_addr = rd32(rsdp + 16);
		root = acpi_table(root_addr, "RSDT");
		width = 4;
		check(root, "no RSDT at 0x%lx", root_addr);
	}
	if (!root)
		return;
	check(csum_ok(root, rd32(root + 4)), "%s checksum",
	      width == 8 ? "XSDT" : "RSDT");
	n = (rd32(root + 4) - 36) / width;
	for (i = 0; i < n; i++) {
		const uint8_t *e = root + 36 + i * width;
		uint64_t a = width == 8 ? rd64(e) : rd32(e);
		const uint8_t *t = acpi_table(a, "FACP");

		if (t) {
			fadt = t;
			continue;
		}
		t = acpi_table(a, "APIC");
		if (t)
			madt = t;
		else if (a && a < MMIO_WINDOW)
			pr("other table %c%c%c%c at 0x%lx",
			   ((const char *)(uintptr_t)a)[0],
			   ((const char *)(uintptr_t)a)[1],
			   ((const char *)(uintptr_t)a)[2],
			   ((const char *)(uintptr_t)a)[3], a);
	}
	check(fadt, "no FACP (FADT) in the root table");
	check(madt, "no APIC (MADT) in the root table");
	if (fadt)
		check_fadt(fadt);
	if (madt)
		check_madt(madt);
}

/* ------------------------------------------------------------- CPUID -- */

static void check_cpuid(void)
{
	uint32_t r[4], base;

	cpuid(1, r);
	check(r[2] & (1u << 31), "CPUID.1:ECX.hypervisor clear (0x%x)", r[2]);
	check((r[1] >> 24) == 0, "CPUID.1:EBX initial APIC id %u on the BSP",
	      r[1] >> 24);
	check(r[3] & (1u << 9), "CPUID.1:EDX.APIC clear");
	/*
	 * Xen's leaves, only at 0x40000000, only where the host's KVM can
	 * carry an HVM guest's vmcalls (pvisor's hvm_sees_xen); KVM's
	 * never, at any base.
	 */
	for (base = 0x40000000; base < 0x40010000; base += 0x100) {
		cpuid(base, r);
		check(base == 0x40000000 ||
		      !(r[1] == 0x566e6558 && r[2] == 0x65584d4d &&
			r[3] == 0x4d4d566e),
		      "CPUID 0x%x says XenVMMXenVMM to an HVM guest", base);
		check(!(r[1] == 0x4b4d564b && r[2] == 0x564b4d56 &&
			r[3] == 0x0000004d),
		      "CPUID 0x%x says KVMKVMKVM to an HVM guest", base);
	}
	cpuid(0x40000000, r);
	pr("CPUID 0x40000000: eax 0x%x ebx 0x%x ecx 0x%x edx 0x%x",
	   r[0], r[1], r[2], r[3]);
	if (r[1] == 0x566e6558 && r[2] == 0x65584d4d && r[3] == 0x4d4d566e) {
		check(r[0] >= 0x40000004, "Xen's leaves end at 0x%x, before "
		      "the HVM leaf", r[0]);
		cpuid(0x40000004, r);
		check(r[0] & (1u << 6), "Xen's HVM leaf offers no per-vCPU "
		      "upcall vector (eax 0x%x)", r[0]);
	}
}

/* --------------------------------------------------------------- PCI -- */

/* Xen's platform device answers at 0x10-0x13 (check_pci found it). */
static bool xen_platform;

static uint32_t pci_read(unsigned int dev, unsigned int reg)
{
	outl(0xcf8, 0x80000000u | dev << 11 | reg);
	return inl(0xcfc);
}

static void pci_write(unsigned int dev, unsigned int reg, uint32_t v)
{
	outl(0xcf8, 0x80000000u | dev << 11 | reg);
	outl(0xcfc, v);
}

/*
 * Bus 0 through config mechanism #1, as Linux's pci_check_type1 and
 * scan see it: the host bridge at 00:00.0, and Xen's platform device at
 * 00:02.0 exactly when CPUID says Xen (then its ports 0x10/0x12 answer
 * the unplug handshake and its BARs size as hardware's do).
 */
static void check_pci(void)
{
	uint32_t r[4], bar;
	unsigned int dev, found = 0;
	bool xen;

	cpuid(0x40000000, r);
	xen = r[1] == 0x566e6558 && r[2] == 0x65584d4d && r[3] == 0x4d4d566e;
	outl(0xcf8, 0x80000000u);
	check(inl(0xcf8) == 0x80000000u, "0xcf8 does not read back (no conf1)");
	check(pci_read(0, 8) >> 16 == 0x0600, "00:00.0 class 0x%x, not a host "
	      "bridge", pci_read(0, 8) >> 16);
	for (dev = 0; dev < 32; dev++)
		if (pci_read(dev, 0) != 0xffffffffu)
			found++;
	check(found == (xen ? 2u : 1u), "%u PCI functions on bus 0", found);
	check((pci_read(2, 0) == 0x00015853u) == xen,
	      "00:02.0 is 0x%x with%s Xen's CPUID leaves", pci_read(2, 0),
	      xen ? "" : "out");
	check(pci_read(1, 0) == 0xffffffffu && pci_read(0, 0x100 - 4) == 0,
	      "an absent function or the host bridge's last dword");
	outl(0xcf8, 0x00000000u);		/* enable clear: all-ones */
	check(inl(0xcfc) == 0xffffffffu, "conf1 data with enable clear");
	xen_platform = xen;
	if (xen) {
		check(inw(0x10) == 0x49d2, "Xen platform magic 0x%x",
		      inw(0x10));
		check(inb(0x12) == 1, "Xen platform protocol %u", inb(0x12));
		bar = pci_read(2, 0x14);
		pci_write(2, 0x14, 0xffffffffu);
		check(pci_read(2, 0x14) == 0xff000008u, "BAR1 sizes as 0x%x",
		      pci_read(2, 0x14));
		pci_write(2, 0x14, bar);
		check(pci_read(2, 0x14) == bar, "BAR1 not restored");
	} else {
		check(inw(0x10) == 0xffff, "port 0x10 answers 0x%x without Xen",
		      inw(0x10));
	}
	pr("PCI bus 0: %u function(s), Xen platform device %s", found,
	   xen ? "present" : "absent");
}

/* -------------------------------------------------------------- UART -- */

#define UART_RBR	0
#define UART_IER	1
#define UART_IIR	2	/* FCR when written */
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_MSR	6
#define UART_SCR	7

static bool uart_wait(uint8_t lsr_bits)
{
	unsigned int i;

	for (i = 0; i < 100000; i++) {
		if ((inb(COM1 + UART_LSR) & lsr_bits) == lsr_bits)
			return true;
		cpu_relax();
	}
	return false;
}

/* Nothing is printed while DLAB or loopback is on: results first. */
static void check_uart(void)
{
	uint8_t scr1, scr2, lcr, lcr_after, dll, dlm, dl0, dl1, mcr, msr;
	uint8_t echo = 0, lsr_after, iir_on, iir_off, ier;
	bool got = false;
	unsigned int i;

	uart_wait(0x60);		/* THRE and TEMT: our output is out */
	outb(COM1 + UART_IER, 0);

	outb(COM1 + UART_SCR, 0x5a);
	scr1 = inb(COM1 + UART_SCR);
	outb(COM1 + UART_SCR, 0xa5);
	scr2 = inb(COM1 + UART_SCR);

	lcr = inb(COM1 + UART_LCR);
	outb(COM1 + UART_LCR, lcr | 0x80);
	dll = inb(COM1 + UART_RBR);
	dlm = inb(COM1 + UART_IER);
	outb(COM1 + UART_RBR, 0x0c);
	outb(COM1 + UART_IER, 0x00);
	dl0 = inb(COM1 + UART_RBR);
	dl1 = inb(COM1 + UART_IER);
	outb(COM1 + UART_RBR, dll);
	outb(COM1 + UART_IER, dlm);
	outb(COM1 + UART_LCR, lcr & 0x7f);
	lcr_after = inb(COM1 + UART_LCR);
	ier = inb(COM1 + UART_IER);	/* IER again, not the divisor */

	mcr = inb(COM1 + UART_MCR);
	for (i = 0; i < 64 && (inb(COM1 + UART_LSR) & 1); i++)
		inb(COM1 + UART_RBR);
	outb(COM1 + UART_MCR, 0x1f);	/* loop, OUT2, OUT1, RTS, DTR */
	msr = inb(COM1 + UART_MSR);
	uart_wait(0x20);
	outb(COM1 + UART_RBR, 0x5a);
	if (uart_wait(0x01)) {
		got = true;
		echo = inb(COM1 + UART_RBR);
	}
	lsr_after = inb(COM1 + UART_LSR);
	outb(COM1 + UART_MCR, mcr);

	outb(COM1 + 2, 0x07);		/* FCR: enable, clear both FIFOs */
	iir_on = inb(COM1 + UART_IIR);
	outb(COM1 + 2, 0x00);
	iir_off = inb(COM1 + UART_IIR);
	outb(COM1 + 2, 0x07);

	pr("UART: scratch 0x%02x/0x%02x, divisor 0x%02x%02x (was 0x%02x%02x), LCR 0x%02x",
	   scr1, scr2, dl1, dl0, dlm, dll, lcr_after);
	pr("UART: MSR in loopback 0x%02x, IIR 0x%02x with FIFOs, 0x%02x without",
	   msr, iir_on, iir_off);
	check(scr1 == 0x5a && scr2 == 0xa5, "UART scratch register 0x%x 0x%x",
	      scr1, scr2);
	check(dl0 == 0x0c && dl1 == 0x00, "UART divisor latch 0x%x 0x%x",
	      dl0, dl1);
	check(lcr_after == (lcr & 0x7f), "UART LCR 0x%x after DLAB, was 0x%x",
	      lcr_after, lcr);
	check(ier == 0, "UART IER 0x%x after DLAB cleared", ier);
	check((msr & 0xf0) == 0xf0, "UART MSR 0x%x in loopback with MCR 0x1f",
	      msr);
	check(got && echo == 0x5a, "UART loopback: %s 0x%x",
	      got ? "received" : "nothing received", echo);
	check(!(lsr_after & 1), "UART LSR.DR still set after RBR read");
	check((iir_on & 0xc0) == 0xc0, "UART IIR 0x%x with FIFOs enabled",
	      iir_on);
	check((iir_off & 0xc0) == 0, "UART IIR 0x%x with FIFOs disabled",
	      iir_off);
}

/* --------------------------------------------------------------- RTC -- */

static uint8_t cmos_read(uint8_t reg)
{
	outb(RTC_INDEX, reg);
	return inb(RTC_DATA);
}

static void cmos_write(uint8_t reg, uint8_t v)
{
	outb(RTC_INDEX, reg);
	outb(RTC_DATA, v);
}

static bool bcd_ok(uint8_t v)
{
	return (v & 0xf) <= 9 && (v >> 4) <= 9;
}

static unsigned int from_bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

static bool nvram_roundtrip(void)
{
	uint8_t a, b, c, d;

	cmos_write(0x40, 0x5a);
	a = cmos_read(0x40);
	cmos_write(0x40, 0xa5);
	b = cmos_read(0x40);
	c = cmos_read(0x80 | 0x40);	/* bit 7 is the NMI mask */
	cmos_write(0x80 | 0x40, 0x3c);
	d = cmos_read(0x40);
	check(a == 0x5a && b == 0xa5, "RTC NVRAM 0x40 round trip 0x%x 0x%x",
	      a, b);
	check(c == 0xa5 && d == 0x3c,
	      "RTC index bit 7 not masked: 0xc0 read 0x%x, wrote 0x%x",
	      c, d);
	return a == 0x5a && b == 0xa5 && c == 0xa5 && d == 0x3c;
}

static void check_rtc(void)
{
	static const uint8_t regs[6] = { 0x00, 0x02, 0x04, 0x07, 0x08, 0x09 };
	uint8_t t[7], u[7], b;
	unsigned int i, try, v[7], year;
	bool bin, h24, ok = true;

	b = cmos_read(0x0b);
	bin = b & 0x04;
	h24 = b & 0x02;
	/* Read until two reads agree, each outside an update cycle. */
	for (try = 0; try < 10; try++) {
		for (i = 0; i < 1000000 && (cmos_read(0x0a) & 0x80); i++)
			cpu_relax();
		for (i = 0; i < 6; i++)
			t[i] = cmos_read(regs[i]);
		t[6] = cmos_read(century_reg);
		for (i = 0; i < 6; i++)
			u[i] = cmos_read(regs[i]);
		u[6] = cmos_read(century_reg);
		for (i = 0; i < 7 && t[i] == u[i]; i++)
			;
		if (i == 7)
			break;
	}
	check(try < 10, "RTC never read the same twice");
	pr("RTC raw: %02x:%02x:%02x %02x/%02x/%02x century(0x%x) %02x, B 0x%02x",
	   t[2], t[1], t[0], t[3], t[4], t[5], century_reg, t[6], b);
	for (i = 0; i < 7; i++) {
		uint8_t x = i == 2 ? t[i] & 0x7f : t[i];

		if (bin) {
			v[i] = x;
		} else {
			if (!bcd_ok(x)) {
				fail("RTC register 0x%x = 0x%x is not BCD",
				     i < 6 ? regs[i] : century_reg, t[i]);
				ok = false;
			}
			v[i] = from_bcd(x);
		}
	}
	if (!ok)
		return;
	check(v[0] < 60 && v[1] < 60, "RTC seconds %u minutes %u", v[0], v[1]);
	check(h24 ? v[2] < 24 : (v[2] >= 1 && v[2] <= 12), "RTC hours %u (%s)",
	      v[2], h24 ? "24h" : "12h");
	check(v[3] >= 1 && v[3] <= 31 && v[4] >= 1 && v[4] <= 12,
	      "RTC day %u month %u", v[3], v[4]);
	year = (v[6] >= 19 && v[6] <= 21 ? v[6] : 20) * 100 + v[5];
	pr("RTC: %u-%02u-%02u %02u:%02u:%02u (%s, %s)", year, v[4], v[3], v[2],
	   v[1], v[0], bin ? "binary" : "BCD", h24 ? "24h" : "12h");
	check(year >= 2024, "RTC year %u", year);
	nvram_roundtrip();
}

/* ------------------------------------------------- LAPIC, IOAPIC, PIT -- */

static void pic_init_masked(void)
{
	/* ICW1-4 for both 8259s (vectors 0x20/0x28), then mask all. */
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(0x21, VEC_PIC_BASE);
	outb(0xa1, VEC_PIC_BASE + 8);
	outb(0x21, 0x04);
	outb(0xa1, 0x02);
	outb(0x21, 0x01);
	outb(0xa1, 0x01);
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

static void check_lapic(void)
{
	uint64_t apic_base;
	uint32_t ver, id;

	check(rdmsr_safe(MSR_APIC_BASE, &apic_base), "rdmsr IA32_APIC_BASE #%d",
	      fault_vec);
	pr("IA32_APIC_BASE 0x%lx", apic_base);
	check((apic_base & ~0xfffull) == LAPIC_BASE && (apic_base & 0x100),
	      "IA32_APIC_BASE 0x%lx: not the BSP at 0xfee00000", apic_base);
	if (!(apic_base & 0x800)) {
		pr("LAPIC globally disabled: enabling it");
		wrmsr_safe(MSR_APIC_BASE, apic_base | 0x800);
	}
	ver = lapic_read(LAPIC_VER);
	id = lapic_read(LAPIC_ID);
	pr("LAPIC version 0x%x, id 0x%x", ver, id);
	check((ver & 0xff) >= 0x10 && (ver & 0xff) <= 0x1f,
	      "LAPIC version register 0x%x", ver);
	check((id >> 24) == 0, "LAPIC id %u on the BSP", id >> 24);
}

static bool wait_irq(unsigned int vec, uint32_t before)
{
	uint64_t t0 = rdtsc();
	bool got;

	asm volatile("sti");
	while (irq_count[vec] == before && rdtsc() - t0 < TSC_WAIT)
		cpu_relax();
	asm volatile("cli");
	got = irq_count[vec] != before;
	return got;
}

static void check_lapic_timer(void)
{
	uint32_t before, cur, i;

	pic_init_masked();
	lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
	lapic_write(LAPIC_TPR, 0);
	/* KVM resets the BSP's LINT0 to ExtINT: keep the 8259s off it. */
	lapic_write(LAPIC_LVT0, LVT_MASKED);
	lapic_on = true;

	/* First polled with interrupts on: no hang if it never comes. */
	lapic_write(LAPIC_TDCR, 0x0b);		/* divide by 1 */
	lapic_write(LAPIC_LVT_TIMER, VEC_TIMER);	/* one-shot */
	before = irq_count[VEC_TIMER];
	lapic_write(LAPIC_TMICT, 1000000);
	cur = lapic_read(LAPIC_TMCCT);
	check(cur <= 1000000, "LAPIC current count 0x%x above the initial",
	      cur);
	check(wait_irq(VEC_TIMER, before),
	      "LAPIC timer interrupt (vector 0x40) never arrived with IF=1");
	if (irq_count[VEC_TIMER] == before)
		return;
	check(lapic_read(LAPIC_TMCCT) == 0, "LAPIC one-shot count 0x%x after firing",
	      lapic_read(LAPIC_TMCCT));
	pr("LAPIC timer: interrupt arrived (polled)");

	/* Now sti;hlt: the vCPU must sleep in KVM and wake for the timer. */
	pr("LAPIC timer: sti;hlt (a hang here: hlt does not wake on the timer)");
	before = irq_count[VEC_TIMER];
	lapic_write(LAPIC_TMICT, 1000000);
	for (i = 0; i < 100 && irq_count[VEC_TIMER] == before; i++)
		asm volatile("sti; hlt; cli" ::: "memory");
	check(irq_count[VEC_TIMER] != before,
	      "LAPIC timer: 100 wakeups from hlt but no timer interrupt");
	if (irq_count[VEC_TIMER] != before)
		pr("LAPIC timer: woke from hlt by vector 0x40");
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
}

static uint32_t ioapic_read(uint32_t reg)
{
	*(volatile uint32_t *)(uintptr_t)ioapic_base = reg;
	return *(volatile uint32_t *)(uintptr_t)(ioapic_base + 0x10);
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)ioapic_base = reg;
	*(volatile uint32_t *)(uintptr_t)(ioapic_base + 0x10) = v;
}

static void ioapic_route(unsigned int pin, uint32_t low)
{
	ioapic_write(0x11 + 2 * pin, 0);	/* destination: APIC id 0 */
	ioapic_write(0x10 + 2 * pin, low);
}

static void check_pit_ioapic(void)
{
	uint32_t ver = ioapic_read(0x01), b2, b0, t0;
	bool on2, on0;

	pr("IOAPIC id 0x%x version 0x%x (%u pins)", ioapic_read(0x00), ver,
	   ((ver >> 16) & 0xff) + 1);
	check(ver != 0xffffffff && ((ver >> 16) & 0xff) >= 15,
	      "IOAPIC version register 0x%x", ver);
	if (ver == 0xffffffff)
		return;

	/* Both candidate pins, told apart by vector; edge, active high. */
	b2 = irq_count[VEC_PIT_PIN2];
	b0 = irq_count[VEC_PIT_PIN0];
	ioapic_route(2, VEC_PIT_PIN2);
	ioapic_route(0, VEC_PIT_PIN0);
	outb(0x43, 0x30);		/* channel 0, lo/hi byte, mode 0 */
	outb(0x40, 1193 & 0xff);	/* ~1 ms */
	outb(0x40, 1193 >> 8);
	wait_irq(VEC_PIT_PIN2, b2);
	if (irq_count[VEC_PIT_PIN2] == b2)
		wait_irq(VEC_PIT_PIN0, b0);
	/* Let a second, wrong copy show up too. */
	t0 = (uint32_t)rdtsc();
	asm volatile("sti");
	while ((uint32_t)rdtsc() - t0 < 50000000u)
		cpu_relax();
	asm volatile("cli");
	ioapic_route(2, LVT_MASKED | VEC_PIT_PIN2);
	ioapic_route(0, LVT_MASKED | VEC_PIT_PIN0);
	on2 = irq_count[VEC_PIT_PIN2] != b2;
	on0 = irq_count[VEC_PIT_PIN0] != b0;
	pr("PIT channel 0: IRQ0 seen on IOAPIC pin 0: %s, pin 2: %s; the MADT says GSI %d",
	   on0 ? "yes" : "no", on2 ? "yes" : "no", pit_gsi);
	check(on0 || on2, "PIT IRQ0 reached neither IOAPIC pin 0 nor pin 2");
	if (on0 || on2)
		check((pit_gsi == 2 && on2) || (pit_gsi == 0 && on0),
		      "PIT IRQ0 arrives on IOAPIC pin %d but the MADT routes it to GSI %d",
		      on2 ? 2 : 0, pit_gsi);
}

/* ---------------------------------------------------- event channels -- */

/* xen/include/public/hvm/{hvm_op,params}.h (Xen 4.17): no pvabi header. */
#define HVMOP_set_param			0
#define HVMOP_get_param			1
#define HVMOP_set_evtchn_upcall_vector	23
#define HVM_PARAM_CALLBACK_IRQ		0
#define HVM_PARAM_STORE_PFN		1
#define HVM_PARAM_STORE_EVTCHN		2
#define HVM_PARAM_CONSOLE_PFN		17
#define HVM_PARAM_CONSOLE_EVTCHN	18
#define HVM_NR_PARAMS			39
/* CALLBACK_IRQ's type in bits 63:56: 0 GSI, 1 PCI INTx, 2 vector. */
#define CALLBACK_VECTOR(v)		((uint64_t)2 << 56 | (v))

struct xen_hvm_param {
	domid_t domid;
	uint16_t pad;
	uint32_t index;
	uint64_t value;
};

struct xen_hvm_evtchn_upcall_vector {
	uint32_t vcpu;
	uint8_t vector;
};

_Static_assert(sizeof(struct xen_hvm_param) == 16, "xen_hvm_param");
_Static_assert(sizeof(struct xen_add_to_physmap) == 24 &&
	       offsetof(struct xen_add_to_physmap, gpfn) == 16,
	       "xen_add_to_physmap");
_Static_assert(sizeof(struct vcpu_info) == 64, "vcpu_info");
_Static_assert(offsetof(struct shared_info, evtchn_pending) == 0x800 &&
	       offsetof(struct shared_info, evtchn_mask) == 0xa00 &&
	       offsetof(struct shared_info, wc_sec) == 0xc04, "shared_info");

#define WC_2024		1704067200u	/* 2024-01-01 */
#define WC_2100		4102444800u
#define TSC_QUIET	50000000ull	/* how long "no interrupt" waits */

/* Our own, at a known address: check_msrs scribbles on the MSR later. */
static uint8_t hcall_page[4096] __attribute__((aligned(4096)));
/* Two RAM pages that shared_info is mapped over in turn. */
static uint8_t shinfo_page[2][4096] __attribute__((aligned(4096)));

/* Xen's 64-bit HVM convention: rdi, rsi, ...; result in rax. */
static long hcall(unsigned int nr, uint64_t a1, const void *a2)
{
	register uint64_t rdi asm("rdi") = a1;
	register uint64_t rsi asm("rsi") = (uint64_t)(uintptr_t)a2;
	void *fn = hcall_page + nr * 32;
	long ret;

	asm volatile("call *%[fn]"
		     : "=a"(ret), "+r"(rdi), "+r"(rsi)
		     : [fn] "r"(fn)
		     : "memory", "cc", "rcx", "rdx", "r8", "r9", "r10", "r11");
	return ret;
}

/* vcpu_op's convention: cmd, vCPU, argument. */
static long hcall3(unsigned int nr, uint64_t a1, uint64_t a2, const void *a3)
{
	register uint64_t rdi asm("rdi") = a1;
	register uint64_t rsi asm("rsi") = a2;
	register uint64_t rdx asm("rdx") = (uint64_t)(uintptr_t)a3;
	void *fn = hcall_page + nr * 32;
	long ret;

	asm volatile("call *%[fn]"
		     : "=a"(ret), "+r"(rdi), "+r"(rsi), "+r"(rdx)
		     : [fn] "r"(fn)
		     : "memory", "cc", "rcx", "r8", "r9", "r10", "r11");
	return ret;
}

static bool hcall_page_install(void)
{
	static const unsigned int used[] = {
		__HYPERVISOR_memory_op, __HYPERVISOR_xen_version,
		__HYPERVISOR_event_channel_op, __HYPERVISOR_hvm_op,
		__HYPERVISOR_vcpu_op,
	};
	unsigned int i;

	if (!wrmsr_safe(MSR_XEN_HCALL, (uint64_t)(uintptr_t)hcall_page)) {
		fail("event channels skipped: wrmsr 0x40000000 (hypercall page) #%d",
		     fault_vec);
		return false;
	}
	/* Every stub starts with mov $nr, %eax, Xen's and pvisor's alike. */
	for (i = 0; i < sizeof(used) / sizeof(used[0]); i++) {
		const uint8_t *stub = hcall_page + used[i] * 32;

		if (stub[0] != 0xb8 || rd32(stub + 1) != used[i]) {
			fail("event channels skipped: hypercall page stub %u starts 0x%x",
			     used[i], stub[0]);
			return false;
		}
	}
	pr("hypercall page installed at 0x%lx", (uint64_t)(uintptr_t)hcall_page);
	return true;
}

static void refused(long rc, const char *what)
{
	if (rc < 0)
		pr("%s: refused (%ld)", what, rc);
	else
		fail("%s: accepted (rc %ld)", what, rc);
}

static bool accepted(long rc, const char *what)
{
	if (rc == 0)
		pr("%s: ok", what);
	else
		fail("%s: rc %ld", what, rc);
	return rc == 0;
}

static void check_features(void)
{
	const uint32_t on = 1u << XENFEAT_auto_translated_physmap |
			    1u << XENFEAT_hvm_callback_vector;
	const uint32_t off = 1u << XENFEAT_writable_page_tables |
			     1u << XENFEAT_hvm_safe_pvclock |
			     1u << XENFEAT_hvm_pirqs;
	struct xen_feature_info fi = { .submap_idx = 0 };
	long rc;

	rc = hcall(__HYPERVISOR_xen_version, XENVER_get_features, &fi);
	pr("XENVER_get_features(0): rc %ld, submap 0x%x", rc, fi.submap);
	check(rc == 0, "XENVER_get_features(0): rc %ld", rc);
	check((fi.submap & on) == on,
	      "XENVER_get_features: auto_translated_physmap/hvm_callback_vector missing (0x%x)",
	      fi.submap);
	check(!(fi.submap & off),
	      "XENVER_get_features: writable_page_tables/hvm_safe_pvclock/hvm_pirqs set (0x%x)",
	      fi.submap);
	fi.submap_idx = 99;
	refused(hcall(__HYPERVISOR_xen_version, XENVER_get_features, &fi),
		"XENVER_get_features(99)");
}

static long add_to_physmap(uint16_t domid, uint32_t space, uint64_t idx,
			   uint64_t gpfn)
{
	struct xen_add_to_physmap x = {
		.domid = domid, .space = space, .idx = idx, .gpfn = gpfn,
	};

	return hcall(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, &x);
}

static uint64_t pfn_of(const void *p)
{
	return (uint64_t)(uintptr_t)p >> 12;
}

static void fill(uint8_t *p, uint8_t seed)
{
	unsigned int i;

	for (i = 0; i < 4096; i++)
		p[i] = (uint8_t)(seed + i * 13);
}

static bool filled(const volatile uint8_t *p, uint8_t seed)
{
	unsigned int i;

	for (i = 0; i < 4096; i++)
		if (p[i] != (uint8_t)(seed + i * 13))
			return false;
	return true;
}

/* The wall clock, read as vcpu_time_info is: even and unchanged version. */
static uint64_t wc_sec(volatile struct shared_info *s, uint32_t *ver)
{
	uint32_t v, lo, hi;
	unsigned int i = 0;

	do {
		v = s->wc_version;
		asm volatile("" ::: "memory");
		lo = s->wc_sec;
		hi = s->wc_sec_hi;
		asm volatile("" ::: "memory");
	} while (((v & 1) || v != s->wc_version) && ++i < 1000);
	*ver = v;
	return (uint64_t)hi << 32 | lo;
}

/* Our fill has neither a 0 at offset 1 nor a plausible clock at 0xc04. */
static bool looks_like_shinfo(const uint8_t *page, const char *where)
{
	volatile struct shared_info *s = (volatile void *)page;
	uint8_t mask = s->vcpu_info[0].evtchn_upcall_mask;
	uint32_t ver;
	uint64_t wc = wc_sec(s, &ver);
	bool ok = mask == 0 && wc >= WC_2024 && wc < WC_2100;

	pr("%s: vcpu_info[0].evtchn_upcall_mask %u, wc_version %u, wc_sec %lu",
	   where, mask, ver, wc);
	check(ok, "%s does not look like shared_info", where);
	return ok;
}

static bool check_shared_info(void)
{
	uint8_t *a = shinfo_page[0], *b = shinfo_page[1];
	struct {
		uint16_t domid;
		uint32_t space;
		uint64_t idx, gpfn;
		const char *what;
	} bad[] = {
		{ DOMID_SELF, XENMAPSPACE_shared_info, 0, 0xfffff,
		  "add_to_physmap gpfn 0xfffff (beyond RAM)" },
		/* Not page 0 should e820 have failed: that is RAM. */
		{ DOMID_SELF, XENMAPSPACE_shared_info, 0,
		  ram_top ? ram_top >> 12 : 0xfffff,
		  "add_to_physmap gpfn just past RAM" },
		{ DOMID_SELF, XENMAPSPACE_shared_info, 0, 1ull << 40,
		  "add_to_physmap gpfn 1<<40" },
		{ DOMID_SELF, XENMAPSPACE_shared_info, 1, pfn_of(a),
		  "add_to_physmap idx 1" },
		{ DOMID_SELF, 99, 0, pfn_of(a), "add_to_physmap space 99" },
		{ 5, XENMAPSPACE_shared_info, 0, pfn_of(a),
		  "add_to_physmap domid 5" },
	};
	bool moved = false;
	unsigned int i;
	long rc;

	fill(a, 0xff);
	rc = add_to_physmap(DOMID_SELF, XENMAPSPACE_shared_info, 0, pfn_of(a));
	if (!accepted(rc, "add_to_physmap shared_info at page A"))
		return false;
	if (!looks_like_shinfo(a, "page A"))
		return false;
	shinfo = (volatile void *)a;

	fill(b, 0xff);
	rc = add_to_physmap(DOMID_SELF, XENMAPSPACE_shared_info, 0, pfn_of(b));
	if (!accepted(rc, "add_to_physmap moves shared_info to page B"))
		return false;
	shinfo = (volatile void *)b;
	/* A is RAM again, B no alias of it (the fill's offset 1 is not 0). */
	fill(a, 0x5b);
	check(filled(a, 0x5b), "page A is not plain RAM after the move");
	if (!looks_like_shinfo(b, "page B"))
		return false;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rc = add_to_physmap(bad[i].domid, bad[i].space, bad[i].idx,
				    bad[i].gpfn);
		refused(rc, bad[i].what);
		moved |= rc >= 0;
	}
	check(filled(a, 0x5b), "a refused add_to_physmap changed page A");
	if (moved)	/* put it back where the rest looks */
		add_to_physmap(DOMID_SELF, XENMAPSPACE_shared_info, 0, pfn_of(b));
	return looks_like_shinfo(b, "page B after the refusals");
}

static long hvm_param(unsigned int op, uint16_t domid, uint32_t index,
		      uint64_t *value)
{
	struct xen_hvm_param p = {
		.domid = domid, .index = index, .value = *value,
	};
	long rc = hcall(__HYPERVISOR_hvm_op, op, &p);

	if (op == HVMOP_get_param && rc == 0)
		*value = p.value;
	return rc;
}

static long set_param(uint32_t index, uint64_t value)
{
	return hvm_param(HVMOP_set_param, DOMID_SELF, index, &value);
}

/* CALLBACK_IRQ as get_param reads it, or ~0 when that fails. */
static uint64_t callback_irq(void)
{
	uint64_t v = 0;

	if (hvm_param(HVMOP_get_param, DOMID_SELF, HVM_PARAM_CALLBACK_IRQ, &v))
		return ~0ull;
	return v;
}

static void check_hvm_params(void)
{
	static const struct {
		uint32_t index;
		const char *name;
	} xs[] = {
		{ HVM_PARAM_STORE_PFN, "STORE_PFN" },
		{ HVM_PARAM_STORE_EVTCHN, "STORE_EVTCHN" },
		{ HVM_PARAM_CONSOLE_PFN, "CONSOLE_PFN" },
		{ HVM_PARAM_CONSOLE_EVTCHN, "CONSOLE_EVTCHN" },
	};
	uint64_t v;
	unsigned int i;
	long rc;

	accepted(set_param(HVM_PARAM_CALLBACK_IRQ, CALLBACK_VECTOR(VEC_EVTCHN)),
		 "set_param CALLBACK_IRQ vector 0xf3");
	check(callback_irq() == CALLBACK_VECTOR(VEC_EVTCHN),
	      "get_param CALLBACK_IRQ 0x%lx after setting 0x%lx", callback_irq(),
	      CALLBACK_VECTOR(VEC_EVTCHN));
	refused(set_param(HVM_PARAM_CALLBACK_IRQ, CALLBACK_VECTOR(0x05)),
		"set_param CALLBACK_IRQ vector 0x05");
	refused(set_param(HVM_PARAM_CALLBACK_IRQ, 1ull << 56 | 1),
		"set_param CALLBACK_IRQ PCI INTx");
	check(callback_irq() == CALLBACK_VECTOR(VEC_EVTCHN),
	      "get_param CALLBACK_IRQ 0x%lx after the refusals", callback_irq());
	/* What Linux writes once it has per-vCPU vectors: kept, raises nothing. */
	accepted(set_param(HVM_PARAM_CALLBACK_IRQ, 1),
		 "set_param CALLBACK_IRQ GSI 1");
	check(callback_irq() == 1, "get_param CALLBACK_IRQ 0x%lx after GSI 1",
	      callback_irq());
	accepted(set_param(HVM_PARAM_CALLBACK_IRQ, 0),
		 "set_param CALLBACK_IRQ 0 (off)");
	check(callback_irq() == 0, "get_param CALLBACK_IRQ 0x%lx after 0",
	      callback_irq());

	for (i = 0; i < sizeof(xs) / sizeof(xs[0]); i++) {
		v = 0;
		rc = hvm_param(HVMOP_get_param, DOMID_SELF, xs[i].index, &v);
		pr("get_param %s: rc %ld, value 0x%lx", xs[i].name, rc, v);
		check(rc == 0, "get_param %s: rc %ld", xs[i].name, rc);
	}
	refused(set_param(HVM_PARAM_STORE_PFN, 0x1234), "set_param STORE_PFN");
	refused(set_param(HVM_PARAM_CONSOLE_EVTCHN, 3),
		"set_param CONSOLE_EVTCHN");
	v = 0;
	refused(hvm_param(HVMOP_get_param, DOMID_SELF, 1000, &v),
		"get_param index 1000");
	refused(set_param(1000, 0), "set_param index 1000");
	v = 0;
	refused(hvm_param(HVMOP_get_param, DOMID_SELF, HVM_NR_PARAMS, &v),
		"get_param index HVM_NR_PARAMS (39)");
	v = CALLBACK_VECTOR(VEC_EVTCHN);
	refused(hvm_param(HVMOP_set_param, 5, HVM_PARAM_CALLBACK_IRQ, &v),
		"set_param domid 5");
	refused(hvm_param(HVMOP_get_param, 5, HVM_PARAM_CALLBACK_IRQ, &v),
		"get_param domid 5");
}

static long upcall_vector(uint32_t vcpu, uint8_t vector)
{
	struct xen_hvm_evtchn_upcall_vector u = {
		.vcpu = vcpu, .vector = vector,
	};

	return hcall(__HYPERVISOR_hvm_op, HVMOP_set_evtchn_upcall_vector, &u);
}

static long evtchn_op(unsigned int cmd, void *arg)
{
	return hcall(__HYPERVISOR_event_channel_op, cmd, arg);
}

static long evt_send(evtchn_port_t port)
{
	struct evtchn_send s = { .port = port };

	return evtchn_op(EVTCHNOP_send, &s);
}

static bool port_bit(volatile xen_ulong_t *map, evtchn_port_t port)
{
	return (map[port / 64] >> (port % 64)) & 1;
}

static void port_set(volatile xen_ulong_t *map, evtchn_port_t port)
{
	__atomic_fetch_or(&map[port / 64], 1ull << (port % 64),
			  __ATOMIC_SEQ_CST);
}

static void port_clear(volatile xen_ulong_t *map, evtchn_port_t port)
{
	__atomic_fetch_and(&map[port / 64], ~(1ull << (port % 64)),
			   __ATOMIC_SEQ_CST);
}

/* What a guest's upcall does before it scans: take the event. */
static void evt_ack(evtchn_port_t port)
{
	volatile struct vcpu_info *vi = &shinfo->vcpu_info[0];

	__atomic_exchange_n(&vi->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
	__atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
	port_clear(shinfo->evtchn_pending, port);
	upcall_seen = -1;
}

/* Send with IF=1 and wait up to limit for vec; true if it came. */
static bool evt_send_wait(evtchn_port_t port, unsigned int vec, uint64_t limit,
			  long *rc)
{
	uint32_t before = irq_count[vec];
	uint64_t t0;

	asm volatile("sti" ::: "memory");
	*rc = evt_send(port);
	t0 = rdtsc();
	while (irq_count[vec] == before && rdtsc() - t0 < limit)
		cpu_relax();
	asm volatile("cli" ::: "memory");
	return irq_count[vec] != before;
}

static void check_delivery(void)
{
	volatile struct vcpu_info *vi = &shinfo->vcpu_info[0];
	struct evtchn_bind_ipi ipi = { .vcpu = 0 };
	struct evtchn_status st = { .dom = DOMID_SELF };
	struct evtchn_unmask um;
	struct evtchn_close cl;
	uint32_t before, b3;
	evtchn_port_t p;
	uint64_t t0;
	long rc;
	bool got;

	if (!accepted(set_param(HVM_PARAM_CALLBACK_IRQ,
				CALLBACK_VECTOR(VEC_EVTCHN)),
		      "callback vector 0xf3"))
		return;
	rc = evtchn_op(EVTCHNOP_bind_ipi, &ipi);
	p = ipi.port;
	pr("EVTCHNOP_bind_ipi(vcpu 0): rc %ld, port %u", rc, p);
	check(rc == 0 && p && p < EVTCHN_2L_NR_CHANNELS,
	      "EVTCHNOP_bind_ipi: rc %ld, port %u", rc, p);
	if (rc || !p || p >= EVTCHN_2L_NR_CHANNELS)
		return;
	st.port = p;
	rc = evtchn_op(EVTCHNOP_status, &st);
	check(rc == 0 && st.status == EVTCHNSTAT_ipi && st.vcpu == 0,
	      "EVTCHNOP_status(%u): rc %ld, status %u, vcpu %u", p, rc,
	      st.status, st.vcpu);
	check(!port_bit(shinfo->evtchn_pending, p),
	      "port %u pending before any send", p);
	port_clear(shinfo->evtchn_mask, p);
	evt_ack(p);

	/* Unmasked, IF=1: the send itself raises the upcall. */
	got = evt_send_wait(p, VEC_EVTCHN, TSC_WAIT, &rc);
	check(rc == 0, "EVTCHNOP_send(%u): rc %ld", p, rc);
	check(got, "EVTCHNOP_send(%u): no interrupt on vector 0xf3", p);
	check(port_bit(shinfo->evtchn_pending, p),
	      "EVTCHNOP_send(%u): evtchn_pending bit not set", p);
	check(upcall_seen == 1 && vi->evtchn_upcall_pending == 1,
	      "EVTCHNOP_send(%u): evtchn_upcall_pending %d in the handler, %u after",
	      p, upcall_seen, vi->evtchn_upcall_pending);
	check(vi->evtchn_pending_sel & (1ull << (p / 64)),
	      "EVTCHNOP_send(%u): evtchn_pending_sel 0x%lx", p,
	      (uint64_t)vi->evtchn_pending_sel);
	if (got)
		pr("event on port %u: vector 0xf3 arrived, upcall_pending %d", p,
		   upcall_seen);

	/* IF=0: the vector waits in the LAPIC for sti; hlt. */
	evt_ack(p);
	before = irq_count[VEC_EVTCHN];
	rc = evt_send(p);
	check(irq_count[VEC_EVTCHN] == before,
	      "event delivered with IF=0");
	if (irq_count[VEC_TIMER]) {
		/* The LAPIC timer wakes the hlt should the event be lost. */
		lapic_write(LAPIC_LVT_TIMER, VEC_TIMER);
		lapic_write(LAPIC_TMICT, 10000000);
		asm volatile("sti; hlt; cli" ::: "memory");
		lapic_write(LAPIC_TMICT, 0);
		lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
		check(irq_count[VEC_EVTCHN] != before,
		      "event sent with IF=0: nothing on vector 0xf3 after sti;hlt");
		if (irq_count[VEC_EVTCHN] != before)
			pr("event sent with IF=0: arrived at sti;hlt");
	}

	/* Masked: pending, but no upcall until EVTCHNOP_unmask. */
	evt_ack(p);
	port_set(shinfo->evtchn_mask, p);
	got = evt_send_wait(p, VEC_EVTCHN, TSC_QUIET, &rc);
	check(rc == 0, "EVTCHNOP_send(%u) masked: rc %ld", p, rc);
	check(!got, "EVTCHNOP_send(%u) masked: interrupt arrived", p);
	check(port_bit(shinfo->evtchn_pending, p),
	      "EVTCHNOP_send(%u) masked: evtchn_pending bit not set", p);
	check(vi->evtchn_upcall_pending == 0,
	      "EVTCHNOP_send(%u) masked: evtchn_upcall_pending set", p);
	before = irq_count[VEC_EVTCHN];
	um.port = p;
	asm volatile("sti" ::: "memory");
	rc = evtchn_op(EVTCHNOP_unmask, &um);
	t0 = rdtsc();
	while (irq_count[VEC_EVTCHN] == before && rdtsc() - t0 < TSC_WAIT)
		cpu_relax();
	asm volatile("cli" ::: "memory");
	check(rc == 0, "EVTCHNOP_unmask(%u): rc %ld", p, rc);
	check(!port_bit(shinfo->evtchn_mask, p),
	      "EVTCHNOP_unmask(%u): mask bit still set", p);
	check(irq_count[VEC_EVTCHN] != before,
	      "EVTCHNOP_unmask(%u) of a pending port: no interrupt", p);
	if (irq_count[VEC_EVTCHN] != before)
		pr("masked port %u: no interrupt until EVTCHNOP_unmask", p);

	/* A per-vCPU vector wins over the global one. */
	refused(upcall_vector(99, VEC_EVTCHN_VCPU),
		"set_evtchn_upcall_vector vcpu 99");
	refused(upcall_vector(0, 0x05), "set_evtchn_upcall_vector vector 0x05");
	evt_ack(p);
	if (accepted(upcall_vector(0, VEC_EVTCHN_VCPU),
		     "set_evtchn_upcall_vector(vcpu 0, 0xf4)")) {
		/* Xen asserts the new vector at once: let that one in first. */
		before = irq_count[VEC_EVTCHN_VCPU];
		asm volatile("sti" ::: "memory");
		t0 = rdtsc();
		while (rdtsc() - t0 < TSC_QUIET)
			cpu_relax();
		asm volatile("cli" ::: "memory");
		if (irq_count[VEC_EVTCHN_VCPU] != before)
			pr("set_evtchn_upcall_vector: 0xf4 raised without an event");
		b3 = irq_count[VEC_EVTCHN];
		got = evt_send_wait(p, VEC_EVTCHN_VCPU, TSC_WAIT, &rc);
		check(got, "per-vCPU vector: no interrupt on 0xf4");
		check(irq_count[VEC_EVTCHN] == b3,
		      "per-vCPU vector: the event came on 0xf3 too");
		if (got)
			pr("per-vCPU vector: event arrived on 0xf4");
	}

	evt_ack(p);
	cl.port = p;
	accepted(evtchn_op(EVTCHNOP_close, &cl), "EVTCHNOP_close");
	refused(evtchn_op(EVTCHNOP_close, &cl), "EVTCHNOP_close, again");
	refused(evt_send(p), "EVTCHNOP_send to the closed port");
	refused(evt_send(0), "EVTCHNOP_send to port 0");
	refused(evt_send(EVTCHN_2L_NR_CHANNELS), "EVTCHNOP_send to port 4096");
	refused(evt_send(~0u), "EVTCHNOP_send to port 0xffffffff");
	accepted(set_param(HVM_PARAM_CALLBACK_IRQ, 0), "callback vector off");
}

/* Xen system time from a vcpu_time_info (pvclock), in ns. */
static uint64_t pvclock_now(volatile struct vcpu_time_info *ti)
{
	uint32_t ver, mul;
	uint64_t tsc, st, delta;
	int8_t shift;

	do {
		ver = ti->version;
		asm volatile("" ::: "memory");
		tsc = ti->tsc_timestamp;
		st = ti->system_time;
		mul = ti->tsc_to_system_mul;
		shift = ti->tsc_shift;
		asm volatile("" ::: "memory");
	} while ((ver & 1) || ver != ti->version);
	delta = rdtsc() - tsc;
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return st + (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

/*
 * Xen's timers: a one-shot deadline already past fires VIRQ_TIMER at
 * once, a future one not before its time; each arrives as an upcall
 * (on vCPU0's own vector, 0xf4, set above). vcpu_info's pvclock runs.
 */
static void check_xen_timer(void)
{
	volatile struct vcpu_info *vi = &shinfo->vcpu_info[0];
	struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
	struct vcpu_set_singleshot_timer ss = { .timeout_abs_ns = 1 };
	struct evtchn_close cl;
	uint64_t t0, st0, st1;
	uint32_t before;
	long rc;

	st0 = vi->time.system_time;
	if (!accepted(evtchn_op(EVTCHNOP_bind_virq, &bv),
		      "EVTCHNOP_bind_virq(VIRQ_TIMER, vcpu 0)"))
		return;
	evt_ack(bv.port);
	before = irq_count[VEC_EVTCHN_VCPU];
	asm volatile("sti" ::: "memory");
	rc = hcall3(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, &ss);
	t0 = rdtsc();
	while (irq_count[VEC_EVTCHN_VCPU] == before && rdtsc() - t0 < TSC_WAIT)
		cpu_relax();
	asm volatile("cli" ::: "memory");
	check(rc == 0, "VCPUOP_set_singleshot_timer(past): rc %ld", rc);
	check(irq_count[VEC_EVTCHN_VCPU] != before,
	      "a past one-shot timer raised no upcall");
	check(port_bit(shinfo->evtchn_pending, bv.port),
	      "VIRQ_TIMER's port %u not pending", bv.port);
	if (!rc && irq_count[VEC_EVTCHN_VCPU] != before)
		pr("Xen one-shot timer (past deadline): VIRQ_TIMER on 0xf4");
	/* 5 ms ahead: not before its time, then through the host timer. */
	evt_ack(bv.port);
	ss.timeout_abs_ns = pvclock_now(&vi->time) + 5000000;
	before = irq_count[VEC_EVTCHN_VCPU];
	asm volatile("sti" ::: "memory");
	rc = hcall3(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, &ss);
	t0 = rdtsc();
	while (irq_count[VEC_EVTCHN_VCPU] == before && rdtsc() - t0 < TSC_WAIT)
		cpu_relax();
	asm volatile("cli" ::: "memory");
	st1 = pvclock_now(&vi->time);
	check(rc == 0, "VCPUOP_set_singleshot_timer(+5 ms): rc %ld", rc);
	check(irq_count[VEC_EVTCHN_VCPU] != before,
	      "a one-shot timer 5 ms ahead never fired");
	if (irq_count[VEC_EVTCHN_VCPU] != before) {
		check(upcall_at >= ss.timeout_abs_ns,
		      "one-shot timer fired %lu ns early",
		      (unsigned long)(ss.timeout_abs_ns - upcall_at));
		pr("Xen one-shot timer (+5 ms): fired %lu us after its deadline",
		   (unsigned long)((upcall_at - ss.timeout_abs_ns) / 1000));
	}
	refused(hcall3(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 1,
		       &ss), "VCPUOP_set_singleshot_timer for another vCPU");
	refused(hcall3(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 99,
		       &ss), "VCPUOP_set_singleshot_timer for vCPU 99");
	accepted(hcall3(__HYPERVISOR_vcpu_op, VCPUOP_stop_singleshot_timer, 0,
			NULL), "VCPUOP_stop_singleshot_timer");
	st1 = vi->time.system_time;
	check(st1 >= st0, "pvclock system_time went back: %lu then %lu",
	      (unsigned long)st0, (unsigned long)st1);
	evt_ack(bv.port);
	cl.port = bv.port;
	accepted(evtchn_op(EVTCHNOP_close, &cl), "EVTCHNOP_close(VIRQ_TIMER)");
}

static void check_evtchn(void)
{
	uint64_t rflags;

	asm volatile("pushfq; popq %0" : "=r"(rflags));
	asm volatile("cli");
	if (hcall_page_install()) {
		check_features();
		check_hvm_params();
		if (check_shared_info()) {
			check_delivery();
			check_xen_timer();
		}
	}
	if (rflags & 0x200)
		asm volatile("sti");
}

/* ----------------------------------------------------- hostile probing -- */

static bool port_excluded(unsigned int port, unsigned int size)
{
	unsigned int p;

	for (p = port; p < port + size; p++) {
		if (p == 0x60 || p == 0x64 || p == 0x92 || p == HCALL_PORT ||
		    (p >= 0xcf8 && p <= 0xcff) ||
		    (p >= PM1A_EVT && p <= PM1A_CNT + 3) ||
		    (p >= COM1 && p <= COM1 + 7))
			return true;
	}
	return false;
}

/* Ports KVM's PIC, ELCR, PIT and speaker, or our RTC and PM timer, answer. */
static bool port_claimed(unsigned int port, unsigned int size)
{
	unsigned int p;

	for (p = port; p < port + size; p++) {
		if (p == 0x20 || p == 0x21 || p == 0xa0 || p == 0xa1 ||
		    p == 0x4d0 || p == 0x4d1 || (p >= 0x40 && p <= 0x43) ||
		    p == 0x61 || p == RTC_INDEX || p == RTC_DATA ||
		    (p >= PM_TMR && p < PM_TMR + 4) ||
		    (p >= 0xcf8 && p <= 0xcff) ||		/* PCI conf1 */
		    (xen_platform && p >= 0x10 && p <= 0x13))
			return true;
	}
	return false;
}

static uint32_t rng = 0x2545f491;

static uint32_t rnd(void)
{
	rng = rng * 1103515245u + 12345u;
	return (rng >> 1) ^ (rng << 17);
}

static void sweep_ports(void)
{
	unsigned int port, odd = 0, claimed_odd = 0, skipped = 0, n = 0;
	uint64_t t0 = rdtsc();

	for (port = 0; port < 0x10000; port++) {
		uint8_t v;

		if (port_excluded(port, 1)) {
			skipped++;
			continue;
		}
		v = inb((uint16_t)port);
		if (v != 0xff && !port_claimed(port, 1)) {
			if (odd++ < 8)
				fail("unclaimed port 0x%x read 0x%x, not 0xff",
				     port, v);
		} else if (v != 0xff) {
			claimed_odd++;
		}
		outb((uint16_t)port, (uint8_t)rnd());
		n += 2;
	}
	for (port = 0; port < 0x10000; port += 16) {
		uint16_t w;
		uint32_t l;

		if (!port_excluded(port, 2)) {
			w = inw((uint16_t)port);
			if (w != 0xffff && !port_claimed(port, 2) && odd++ < 8)
				fail("unclaimed port 0x%x read word 0x%x", port,
				     w);
			outw((uint16_t)port, (uint16_t)rnd());
			n += 2;
		}
		if (!port_excluded(port, 4)) {
			l = inl((uint16_t)port);
			if (l != 0xffffffff && !port_claimed(port, 4) &&
			    odd++ < 8)
				fail("unclaimed port 0x%x read dword 0x%x", port,
				     l);
			outl((uint16_t)port, rnd());
			n += 2;
		}
	}
	pr("port sweep: %u accesses, %u ports skipped, %u claimed ports answered, %u odd, %lu TSC cycles",
	   n, skipped, claimed_odd, odd, rdtsc() - t0);
}

static uint8_t strbuf[8192] __attribute__((aligned(4096)));

static void check_unclaimed_ports(void)
{
	uint8_t *p;
	unsigned long cnt;
	unsigned int i, ones = 0, same = 0;

	check(inb(0x2f8) == 0xff, "inb(0x2f8) 0x%x", inb(0x2f8));
	check(inb(0x1234) == 0xff, "inb(0x1234) 0x%x", inb(0x1234));
	check(inw(0x1234) == 0xffff, "inw(0x1234) 0x%x", inw(0x1234));
	check(inl(0x1234) == 0xffffffff, "inl(0x1234) 0x%x", inl(0x1234));
	check(inl(0x2f8) == 0xffffffff, "inl(0x2f8) 0x%x", inl(0x2f8));

	/* 64 bytes across a page boundary, both directions. */
	for (i = 0; i < sizeof(strbuf); i++)
		strbuf[i] = 0x11;
	p = strbuf + 4096 - 32;
	cnt = 64;
	asm volatile("cld; rep insb"
		     : "+D"(p), "+c"(cnt) : "d"(0x1234) : "memory");
	for (i = 0; i < 64; i++) {
		ones += strbuf[4096 - 32 + i] == 0xff;
		same += strbuf[4096 - 32 + i] == 0x11;
	}
	pr("rep insb x64 from port 0x1234: %s (%u all-ones, %u unchanged), rcx %lu",
	   ones == 64 ? "all-ones" : same == 64 ? "unchanged" : "mixed",
	   ones, same, cnt);
	check(ones == 64 || same == 64, "rep insb gave mixed bytes");
	check(cnt == 0, "rep insb left rcx %lu", cnt);
	check(strbuf[4096 - 33] == 0x11 && strbuf[4096 + 32] == 0x11,
	      "rep insb wrote outside its 64 bytes");
	p = strbuf + 4096 - 32;
	cnt = 64;
	asm volatile("cld; rep outsb"
		     : "+S"(p), "+c"(cnt) : "d"(0x1234) : "memory");
	check(cnt == 0, "rep outsb left rcx %lu", cnt);
	pr("rep outsb x64 to port 0x1234: survived");
}

static void probe_msr_range(uint32_t first, unsigned int count,
			    unsigned int *rd_ok, unsigned int *wr_ok)
{
	unsigned int i;

	for (i = 0; i < count; i++) {
		uint32_t msr = first + i;
		uint64_t v;

		/*
		 * Readable: write the value back. Not: garbage that, as a
		 * hypercall-page address, lies outside RAM.
		 */
		if (rdmsr_safe(msr, &v)) {
			(*rd_ok)++;
		} else {
			check(fault_vec == 13, "rdmsr 0x%x: exception %d, not #GP",
			      msr, fault_vec);
			v = 0xfffff000ull | (i & 0xfff);
		}
		if (wrmsr_safe(msr, v))
			(*wr_ok)++;
		else
			check(fault_vec == 13, "wrmsr 0x%x: exception %d, not #GP",
			      msr, fault_vec);
	}
}

static uint8_t msr_page[4096] __attribute__((aligned(4096)));

static void check_msrs(void)
{
	static const uint64_t garbage[] = {
		0, ~0ull, 0x12345678, 0xfffff000, 0x100000000000ull,
	};
	static const uint32_t read_only[] = {
		0x0, 0x1, 0x17, 0x3a, 0x8b, 0xfe, 0x1a0, 0x277, 0x2ff, 0x480,
		0x4b564d00, 0x4b564d01, 0x4b564d02, 0x11, 0x12,
		0xc0000080, 0xc0000081, 0xc0000100, 0xc0000101, 0xc0000102,
		0xc0000103, 0xc0010114, 0xc0010117, 0x40000100, 0x40000200,
	};
	unsigned int rd = 0, wr = 0, i, changed = 0;
	uint64_t v;

	probe_msr_range(0x40000000, 0x100, &rd, &wr);
	pr("MSRs 0x40000000-0x400000ff: %u readable, %u writable", rd, wr);
	rd = wr = 0;
	probe_msr_range(0xc0010000, 0x100, &rd, &wr);
	pr("MSRs 0xc0010000-0xc00100ff: %u readable, %u writable", rd, wr);

	rd = 0;
	for (i = 0; i < sizeof(read_only) / sizeof(read_only[0]); i++)
		if (rdmsr_safe(read_only[i], &v))
			rd++;
		else
			check(fault_vec == 13, "rdmsr 0x%x: exception %d",
			      read_only[i], fault_vec);
	pr("%u of %u architectural/PV MSRs readable", rd,
	   (unsigned int)(sizeof(read_only) / sizeof(read_only[0])));

	/* Random MSR numbers; unreadable ones also get a garbage write. */
	rd = wr = 0;
	for (i = 0; i < 256; i++) {
		uint32_t msr = rnd();

		if (msr < 0x1000 || (msr >= 0xc0000000 && msr < 0xc0001000))
			continue;	/* architectural: not ours to break */
		if (rdmsr_safe(msr, &v)) {
			rd++;
			continue;
		}
		check(fault_vec == 13, "rdmsr 0x%x: exception %d", msr,
		      fault_vec);
		if (wrmsr_safe(msr, ((uint64_t)rnd() << 32) | rnd()))
			wr++;
	}
	pr("random MSRs: %u readable, %u unreadable but writable", rd, wr);

	/* The Xen hypercall MSR (an HVM guest was not told of it). */
	for (i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		bool ok = wrmsr_safe(MSR_XEN_HCALL, garbage[i]);

		pr("wrmsr 0x40000000 <- 0x%lx: %s", garbage[i],
		   ok ? "accepted" : "#GP");
	}
	if (wrmsr_safe(MSR_XEN_HCALL, (uint64_t)(uintptr_t)msr_page)) {
		for (i = 0; i < sizeof(msr_page); i++)
			changed += msr_page[i] != 0;
		pr("wrmsr 0x40000000 <- a RAM page: accepted, %u bytes of the page written",
		   changed);
	} else {
		pr("wrmsr 0x40000000 <- a RAM page: #GP");
	}
}

static void check_mmio(void)
{
	static const uint64_t holes[] = {
		0xfc000000, 0xfd000000, 0xfed00000, 0xe0000000,
	};
	static const unsigned int sizes[] = { 1, 2, 4, 8 };
	unsigned int i, s;
	uint64_t v, want;

	for (i = 0; i < sizeof(holes) / sizeof(holes[0]); i++) {
		for (s = 0; s < 4; s++) {
			want = sizes[s] == 8 ? ~0ull :
			       (1ull << (8 * sizes[s])) - 1;
			if (!mmio_read(holes[i], sizes[s], &v))
				fail("MMIO read of %u bytes at 0x%lx: exception %d",
				     sizes[s], holes[i], fault_vec);
			else
				check(v == want,
				      "MMIO read of %u bytes at 0x%lx gave 0x%lx",
				      sizes[s], holes[i], v);
		}
		if (!mmio_write32(holes[i] + 0x40, 0x12345678))
			fail("MMIO write at 0x%lx: exception %d", holes[i] + 0x40,
			     fault_vec);
		if (mmio_read(holes[i] + 0x40, 4, &v))
			check(v == 0xffffffff,
			      "MMIO at 0x%lx reads 0x%lx after a write",
			      holes[i] + 0x40, v);
	}
	/* Just past the end of RAM. */
	if (ram_top && ram_top < MMIO_WINDOW) {
		if (!mmio_read(ram_top, 4, &v))
			fail("read past RAM at 0x%lx: exception %d", ram_top,
			     fault_vec);
		else
			check(v == 0xffffffff, "read past RAM at 0x%lx gave 0x%lx",
			      ram_top, v);
		mmio_write32(ram_top + 0x1000, 0xdeadbeef);
	}
	pr("MMIO holes: read all-ones, writes ignored");
}

/* ----------------------------------------------------------------- main -- */

static void power_off(void)
{
	uint64_t t0;

	asm volatile("cli");
	outw(PM1A_CNT, SLP_TYP_S5 | SLP_EN);
	/* The stop may take the vCPU a moment; then it is a failure. */
	t0 = rdtsc();
	while (rdtsc() - t0 < TSC_WAIT)
		cpu_relax();
	puts_("FAIL: poweroff did not end the domain\n");
	for (;;)
		asm volatile("cli; hlt");
}

void hvm_main(uint64_t boot_params)
{
	bp = (uint8_t *)(uintptr_t)boot_params;
	cpu_setup();
	puts_("\n");
	pr("started at 0x%lx in long mode", (uint64_t)(uintptr_t)hvm_main);

	check_boot_params();
	check_acpi();
	check_cpuid();
	check_pci();
	check_uart();
	check_rtc();
	check_lapic();
	/* Interrupts before the sweep scribbles on the PIC and PIT. */
	check_lapic_timer();
	check_pit_ioapic();
	pr("event channels");
	check_evtchn();

	pr("hostile: ports (all but reset, power, hypercall and COM1)");
	sweep_ports();
	pic_init_masked();
	outb(0x43, 0x34);		/* PIT channel 0 back to 18.2 Hz */
	outb(0x40, 0);
	outb(0x40, 0);
	check_unclaimed_ports();
	pr("hostile: MSRs");
	check_msrs();
	pr("hostile: MMIO");
	check_mmio();

	/* Still here: the devices still answer after all that. */
	check(nvram_roundtrip(), "RTC NVRAM broken after the probing");
	check((lapic_read(LAPIC_VER) & 0xff) >= 0x10,
	      "LAPIC version 0x%x after the probing", lapic_read(LAPIC_VER));
	pr("spurious LAPIC interrupts %u, stray 8259 vectors %u",
	   irq_count[VEC_SPURIOUS], irq_count[0x20] + irq_count[0x27]);

	if (!failures)
		puts_("PASS " NAME "\n");
	else
		pr("%u checks failed", failures);
	power_off();
}

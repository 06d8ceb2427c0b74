/* SPDX-License-Identifier: MIT */
/*
 * ACPI tables for HVM guests (arch/x86/hvm/acpi.c), read back the way an
 * OS reads them: scan for the RSDP, follow XSDT and RSDT, check every
 * checksum and length, then the FADT, MADT and the DSDT's \_S5 package.
 * Field offsets come from the ACPI spec here, not from acpi.c's structs.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pvisor/acpi.h"

#define GPA		0xe0000ull	/* where a loader would put them */

static const struct acpi_config base_cfg = {
	.nr_vcpus = 4,
	.lapic_addr = 0xfee00000,
	.ioapic_addr = 0xfec00000,
	.pm1a_evt = 0x600,
	.pm1a_cnt = 0x604,
	.sci_irq = 9,
	.s5_slp_typ = 5,
	.reset_port = 0xcf9,
	.reset_value = 0x06,
};

/* The built tables as guest memory: [GPA, GPA + len). */
struct mem {
	uint8_t *b;
	size_t len;
};

static uint8_t rd8(const uint8_t *p, size_t off)
{
	return p[off];
}

static uint16_t rd16(const uint8_t *p, size_t off)
{
	return (uint16_t)(p[off] | p[off + 1] << 8);
}

static uint32_t rd32(const uint8_t *p, size_t off)
{
	return (uint32_t)rd16(p, off) | (uint32_t)rd16(p, off + 2) << 16;
}

static uint64_t rd64(const uint8_t *p, size_t off)
{
	return (uint64_t)rd32(p, off) | (uint64_t)rd32(p, off + 4) << 32;
}

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

static const uint8_t *at(const struct mem *m, uint64_t gpa, size_t len)
{
	assert_true(gpa >= GPA);
	assert_true(gpa - GPA + len <= m->len);
	return m->b + (gpa - GPA);
}

/* A table by address: signature, length in bounds, checksum, OEM id. */
static const uint8_t *table(const struct mem *m, uint64_t gpa,
			    const char *sig)
{
	const uint8_t *t = at(m, gpa, 36);
	uint32_t len = rd32(t, 4);

	assert_memory_equal(t, sig, 4);
	assert_true(len >= 36);
	at(m, gpa, len);
	assert_int_equal(sum(t, len), 0);
	assert_memory_equal(t + 10, "PVISOR", 6);
	return t;
}

/* What Linux does without boot_params.acpi_rsdp_addr: scan by 16. */
static const uint8_t *find_rsdp(const struct mem *m)
{
	for (size_t off = 0; off + 36 <= m->len; off += 16) {
		const uint8_t *p = m->b + off;

		if (memcmp(p, "RSD PTR ", 8) || sum(p, 20))
			continue;
		return p;
	}
	return NULL;
}

static struct mem build(const struct acpi_config *c)
{
	struct mem m = { .b = calloc(1, ACPI_TABLES_MAX) };
	long n;

	/* Poisoned, so that fields left unset show up. */
	memset(m.b, 0xa5, ACPI_TABLES_MAX);
	n = acpi_build(c, m.b, ACPI_TABLES_MAX, GPA);
	assert_true(n > 0 && n <= ACPI_TABLES_MAX);
	m.len = (size_t)n;
	return m;
}

/* The SDT pointed at by sig, through the XSDT and through the RSDT. */
static uint64_t lookup(const struct mem *m, const char *sig)
{
	const uint8_t *rsdp = find_rsdp(m);
	const uint8_t *xsdt = table(m, rd64(rsdp, 24), "XSDT");
	const uint8_t *rsdt = table(m, rd32(rsdp, 16), "RSDT");
	unsigned int nx = (rd32(xsdt, 4) - 36) / 8;
	unsigned int nr = (rd32(rsdt, 4) - 36) / 4;
	uint64_t found = 0;

	assert_int_equal(nx, nr);
	for (unsigned int i = 0; i < nx; i++) {
		uint64_t a = rd64(xsdt, 36 + 8 * i);

		assert_int_equal(a, rd32(rsdt, 36 + 4 * i));
		table(m, a, (const char *)at(m, a, 4));
		if (!memcmp(at(m, a, 4), sig, 4)) {
			assert_int_equal(found, 0);
			found = a;
		}
	}
	assert_int_not_equal(found, 0);
	return found;
}

static void test_rsdp(void **state)
{
	struct mem m = build(&base_cfg);
	const uint8_t *rsdp;

	(void)state;
	rsdp = find_rsdp(&m);
	assert_ptr_equal(rsdp, m.b);			/* first, at gpa */
	assert_int_equal(rd8(rsdp, 15), 2);		/* revision */
	assert_memory_equal(rsdp + 9, "PVISOR", 6);
	assert_int_equal(rd32(rsdp, 20), 36);		/* length */
	assert_int_equal(sum(rsdp, 36), 0);		/* extended checksum */
	/* XSDT and RSDT list the same tables: FADT and MADT. */
	lookup(&m, "FACP");
	lookup(&m, "APIC");
	/* Both point past the RSDP itself. */
	assert_true(rd32(rsdp, 16) >= GPA + 36 && rd64(rsdp, 24) >= GPA + 36);
	free(m.b);
}

static void test_fadt(void **state)
{
	struct mem m = build(&base_cfg);
	const uint8_t *f, *facs;
	uint32_t flags;

	(void)state;
	f = table(&m, lookup(&m, "FACP"), "FACP");
	assert_int_equal(rd32(f, 4), 276);
	assert_int_equal(rd8(f, 8), 6);
	/* FACS and DSDT, 32- and 64-bit forms agreeing. */
	assert_int_equal(rd32(f, 36), rd64(f, 132));
	assert_int_equal(rd32(f, 40), rd64(f, 140));
	facs = at(&m, rd64(f, 132), 64);
	assert_int_equal(rd64(f, 132) % 64, 0);
	assert_memory_equal(facs, "FACS", 4);
	assert_int_equal(rd32(facs, 4), 64);
	table(&m, rd64(f, 140), "DSDT");

	assert_int_equal(rd16(f, 46), 9);		/* SCI_INT */
	assert_int_equal(rd32(f, 48), 0);		/* SMI_CMD */
	assert_int_equal(rd32(f, 56), 0x600);		/* PM1a_EVT_BLK */
	assert_int_equal(rd32(f, 60), 0);		/* PM1b_EVT_BLK */
	assert_int_equal(rd32(f, 64), 0x604);		/* PM1a_CNT_BLK */
	assert_int_equal(rd32(f, 68), 0);		/* PM1b_CNT_BLK */
	assert_int_equal(rd32(f, 76), 0);		/* PM_TMR_BLK */
	assert_int_equal(rd32(f, 80), 0);		/* GPE0_BLK */
	assert_int_equal(rd8(f, 88), 4);		/* PM1_EVT_LEN */
	assert_int_equal(rd8(f, 89), 2);		/* PM1_CNT_LEN */
	assert_int_equal(rd8(f, 91), 0);		/* PM_TMR_LEN */
	assert_int_equal(rd8(f, 92), 0);		/* GPE0_BLK_LEN */
	/* X_PM1a_EVT_BLK, X_PM1a_CNT_BLK: system I/O, same ports. */
	assert_int_equal(rd8(f, 148), 1);
	assert_int_equal(rd8(f, 149), 32);
	assert_int_equal(rd64(f, 152), 0x600);
	assert_int_equal(rd64(f, 164), 0);		/* X_PM1b_EVT_BLK */
	assert_int_equal(rd8(f, 172), 1);
	assert_int_equal(rd8(f, 173), 16);
	assert_int_equal(rd64(f, 176), 0x604);
	assert_int_equal(rd64(f, 212), 0);		/* X_PM_TMR_BLK */
	assert_false(rd32(f, 112) & (1u << 8));		/* no TMR_VAL_EXT */

	flags = rd32(f, 112);
	assert_true(flags & (1u << 0));			/* WBINVD */
	assert_true(flags & (1u << 2));			/* PROC_C1 */
	assert_true(flags & (1u << 4));			/* PWR_BUTTON: none fixed */
	assert_true(flags & (1u << 5));			/* SLP_BUTTON: none fixed */
	assert_true(flags & (1u << 10));		/* RESET_REG_SUP */
	assert_false(flags & (1u << 20));		/* not HW-reduced */
	/* RESET_REG: system I/O, 8 bits at 0xcf9; RESET_VALUE. */
	assert_int_equal(rd8(f, 116), 1);
	assert_int_equal(rd8(f, 117), 8);
	assert_int_equal(rd8(f, 118), 0);
	assert_int_equal(rd64(f, 120), 0xcf9);
	assert_int_equal(rd8(f, 128), 0x06);
	/* IAPC_BOOT_ARCH: legacy devices and an 8042; an RTC. */
	assert_int_equal(rd16(f, 109) & 0x3, 0x3);
	assert_false(rd16(f, 109) & (1u << 5));
	free(m.b);
}

/* A PM timer: 32 bits at its port, in both forms, TMR_VAL_EXT set. */
static void test_fadt_pm_timer(void **state)
{
	struct acpi_config c = base_cfg;
	struct mem m;
	const uint8_t *f;

	(void)state;
	c.pm_tmr = 0x608;
	m = build(&c);
	f = table(&m, lookup(&m, "FACP"), "FACP");
	assert_int_equal(rd32(f, 76), 0x608);		/* PM_TMR_BLK */
	assert_int_equal(rd8(f, 91), 4);		/* PM_TMR_LEN */
	assert_int_equal(rd8(f, 208), 1);		/* X_PM_TMR_BLK: I/O, */
	assert_int_equal(rd8(f, 209), 32);		/* 32 bits, */
	assert_int_equal(rd8(f, 211), 3);		/* dword access */
	assert_int_equal(rd64(f, 212), 0x608);
	assert_true(rd32(f, 112) & (1u << 8));		/* TMR_VAL_EXT */
	free(m.b);
}

static void test_fadt_no_rtc(void **state)
{
	struct acpi_config c = base_cfg;
	struct mem m;
	const uint8_t *f;

	(void)state;
	c.no_cmos_rtc = true;
	c.reset_port = 0x64;
	c.reset_value = 0xfe;
	m = build(&c);
	f = table(&m, lookup(&m, "FACP"), "FACP");
	assert_true(rd16(f, 109) & (1u << 5));
	assert_int_equal(rd64(f, 120), 0x64);
	assert_int_equal(rd8(f, 128), 0xfe);
	free(m.b);
}

static void check_madt(unsigned int nr_vcpus)
{
	struct acpi_config c = base_cfg;
	unsigned int lapics = 0, ioapics = 0, isos = 0, nmis = 0;
	bool irq0 = false, sci = false;
	const uint8_t *t;
	struct mem m;
	size_t off;

	c.nr_vcpus = nr_vcpus;
	m = build(&c);
	t = table(&m, lookup(&m, "APIC"), "APIC");
	assert_int_equal(rd32(t, 36), 0xfee00000);
	assert_int_equal(rd32(t, 40), 1);		/* PCAT_COMPAT */
	for (off = 44; off < rd32(t, 4); off += rd8(t, off + 1)) {
		const uint8_t *e = t + off;

		assert_true(rd8(e, 1) >= 2);
		assert_true(off + rd8(e, 1) <= rd32(t, 4));
		switch (rd8(e, 0)) {
		case 0:					/* Processor Local APIC */
			assert_int_equal(rd8(e, 1), 8);
			assert_int_equal(rd8(e, 2), lapics);	/* UID */
			assert_int_equal(rd8(e, 3), lapics);	/* APIC id */
			assert_int_equal(rd32(e, 4), 1);	/* enabled */
			lapics++;
			break;
		case 1:					/* I/O APIC */
			assert_int_equal(rd8(e, 1), 12);
			assert_int_equal(rd8(e, 2), nr_vcpus);
			assert_int_equal(rd32(e, 4), 0xfec00000);
			assert_int_equal(rd32(e, 8), 0);
			ioapics++;
			break;
		case 2:					/* Interrupt Source Override */
			assert_int_equal(rd8(e, 1), 10);
			assert_int_equal(rd8(e, 2), 0);		/* ISA */
			if (rd8(e, 3) == 0) {
				assert_int_equal(rd32(e, 4), 2);
				assert_int_equal(rd16(e, 8), 0x5); /* edge, high */
				irq0 = true;
			} else {
				assert_int_equal(rd8(e, 3), 9);
				assert_int_equal(rd32(e, 4), 9);
				assert_int_equal(rd16(e, 8), 0xd); /* level, high */
				sci = true;
			}
			isos++;
			break;
		case 4:					/* Local APIC NMI */
			assert_int_equal(rd8(e, 1), 6);
			assert_int_equal(rd8(e, 2), 0xff);
			assert_int_equal(rd8(e, 5), 1);		/* LINT1 */
			nmis++;
			break;
		default:
			fail_msg("MADT entry type %u", rd8(e, 0));
		}
	}
	assert_int_equal(off, rd32(t, 4));
	assert_int_equal(lapics, nr_vcpus);
	assert_int_equal(ioapics, 1);
	assert_int_equal(isos, 2);
	assert_true(irq0 && sci);
	assert_int_equal(nmis, 1);
	free(m.b);
}

static void test_madt(void **state)
{
	(void)state;
	check_madt(1);
	check_madt(4);
	check_madt(CONFIG_MAX_VCPUS);
}

/* --- a little AML decoder ---------------------------------------------- */

/* PkgLength at p; its value counts its own bytes. */
static size_t pkglength(const uint8_t *p, size_t *used)
{
	unsigned int follow = p[0] >> 6;
	size_t v;

	if (!follow) {
		*used = 1;
		return p[0] & 0x3f;
	}
	assert_int_equal(p[0] & 0x30, 0);		/* reserved bits */
	v = p[0] & 0xf;
	for (unsigned int i = 0; i < follow; i++)
		v |= (size_t)p[1 + i] << (4 + 8 * i);
	*used = 1 + follow;
	return v;
}

static uint64_t integer(const uint8_t *p, size_t *used)
{
	switch (p[0]) {
	case 0x00:
		*used = 1;
		return 0;
	case 0x01:
		*used = 1;
		return 1;
	case 0x0a:
		*used = 2;
		return p[1];
	case 0x0b:
		*used = 3;
		return rd16(p, 1);
	case 0x0c:
		*used = 5;
		return rd32(p, 1);
	}
	fail_msg("not an integer: opcode %#x", p[0]);
	return 0;
}

/*
 * Name(_S5_, Package(){...}) at the root of the DSDT's term list; *rest
 * (when not NULL) takes the offset of what follows it.
 */
static void decode_s5(const uint8_t *aml, size_t len, uint64_t v[4],
		      size_t *rest)
{
	size_t off = 0, n, pkg_end;
	bool found = false;

	while (off < len && !(rest && found)) {
		assert_int_equal(aml[off], 0x08);		/* NameOp only */
		assert_true(off + 6 <= len);
		if (memcmp(aml + off + 1, "_S5_", 4)) {
			fail_msg("unexpected name %.4s", aml + off + 1);
		}
		off += 5;
		assert_int_equal(aml[off++], 0x12);		/* PackageOp */
		pkg_end = off + pkglength(aml + off, &n);
		assert_true(pkg_end <= len);
		off += n;
		assert_int_equal(aml[off++], 4);		/* NumElements */
		for (int i = 0; i < 4; i++) {
			v[i] = integer(aml + off, &n);
			off += n;
		}
		assert_int_equal(off, pkg_end);
		found = true;
	}
	if (rest)
		*rest = off;
	else
		assert_int_equal(off, len);
	assert_true(found);
}

static void check_s5(uint8_t typ)
{
	struct acpi_config c = base_cfg;
	const uint8_t *f, *d;
	uint64_t v[4];
	struct mem m;

	c.s5_slp_typ = typ;
	m = build(&c);
	f = table(&m, lookup(&m, "FACP"), "FACP");
	d = table(&m, rd64(f, 140), "DSDT");
	assert_int_equal(rd8(d, 8), 2);		/* 64-bit integers */
	decode_s5(d + 36, rd32(d, 4) - 36, v, NULL);
	assert_int_equal(v[0], typ);
	assert_int_equal(v[1], typ);
	assert_int_equal(v[2], 0);
	assert_int_equal(v[3], 0);
	free(m.b);
}

static void test_dsdt_s5(void **state)
{
	(void)state;
	for (unsigned int t = 0; t <= 7; t++)
		check_s5((uint8_t)t);
}

/* One DWord address space descriptor of a _CRS: type, [min, max]. */
static size_t check_dword_window(const uint8_t *r, uint8_t type,
				 uint32_t min, uint32_t max)
{
	assert_int_equal(r[0], 0x87);
	assert_int_equal(rd16(r, 1), 23);
	assert_int_equal(r[3], type);
	assert_int_equal(r[4], 0x0c);			/* fixed, producer */
	assert_int_equal(rd32(r, 10), min);
	assert_int_equal(rd32(r, 14), max);
	assert_int_equal(rd32(r, 18), 0);		/* not translated */
	assert_int_equal(rd32(r, 22), max - min + 1);
	return 26;
}

/*
 * With a PCI bus: after \_S5, Scope(\_SB_) { Device(PCI0) { _HID
 * PNP0A03, _UID 0, _CRS } }, every length ending where the table does.
 */
static void test_dsdt_pci(void **state)
{
	struct acpi_config c = base_cfg;
	const uint8_t *f, *d, *a, *r;
	size_t off, len, n, end;
	uint64_t v[4];
	struct mem m;

	(void)state;
	c.pci_mmio_base = 0xf0000000u;
	c.pci_mmio_end = 0xfc000000u;
	m = build(&c);
	f = table(&m, lookup(&m, "FACP"), "FACP");
	d = table(&m, rd64(f, 140), "DSDT");
	a = d + 36;
	len = rd32(d, 4) - 36;
	decode_s5(a, len, v, &off);
	assert_int_equal(v[0], 5);

	assert_int_equal(a[off++], 0x10);			/* ScopeOp */
	end = off + pkglength(a + off, &n);
	assert_int_equal(end, len);
	off += n;
	assert_memory_equal(a + off, "\\_SB_", 5);
	off += 5;
	assert_int_equal(a[off++], 0x5b);			/* DeviceOp */
	assert_int_equal(a[off++], 0x82);
	assert_int_equal(off + pkglength(a + off, &n), len);
	off += n;
	assert_memory_equal(a + off, "PCI0", 4);
	off += 4;
	assert_memory_equal(a + off, "\x08_HID\x0c\x41\xd0\x0a\x03", 10);
	off += 10;
	assert_memory_equal(a + off, "\x08_UID\x00", 6);
	off += 6;
	assert_memory_equal(a + off, "\x08_CRS\x11", 6);
	off += 6;
	assert_int_equal(off + pkglength(a + off, &n), len);
	off += n;
	assert_int_equal(a[off], 0x0a);				/* BufferSize */
	assert_int_equal(off + 2 + a[off + 1], len);
	r = a + off + 2;
	/* Bus numbers 0-255 (a Word descriptor), then the windows. */
	assert_int_equal(r[0], 0x88);
	assert_int_equal(rd16(r, 1), 13);
	assert_int_equal(r[3], 2);
	assert_int_equal(rd16(r, 8), 0);
	assert_int_equal(rd16(r, 10), 0xff);
	assert_int_equal(rd16(r, 14), 0x100);
	r += 16;
	r += check_dword_window(r, 1, 0, 0xcf7);
	r += check_dword_window(r, 1, 0xd00, 0xffff);
	r += check_dword_window(r, 0, 0xf0000000u, 0xfbffffffu);
	assert_int_equal(r[0], 0x79);				/* End Tag */
	assert_ptr_equal(r + 2, a + len);
	free(m.b);

	/* A window that is empty, misaligned or over the APICs: refused. */
	uint8_t *buf = calloc(1, ACPI_TABLES_MAX);
	c.pci_mmio_end = c.pci_mmio_base;
	assert_int_equal(acpi_build(&c, buf, ACPI_TABLES_MAX, GPA), -EINVAL);
	c.pci_mmio_end = 0xfc000800u;
	assert_int_equal(acpi_build(&c, buf, ACPI_TABLES_MAX, GPA), -EINVAL);
	c.pci_mmio_end = 0xfee00000u;
	assert_int_equal(acpi_build(&c, buf, ACPI_TABLES_MAX, GPA), -EINVAL);
	free(buf);
}

/* Every encoding size, at its edges, decodes back to body + itself. */
static void test_pkglength(void **state)
{
	static const struct {
		size_t body;
		unsigned int bytes;
	} cases[] = {
		{ 0, 1 }, { 62, 1 }, { 63, 2 }, { 0xffd, 2 }, { 0xffe, 3 },
		{ 0xffffc, 3 }, { 0xffffd, 4 }, { 0xffffffb, 4 },
	};
	uint8_t enc[4];
	size_t used;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(enc, 0xff, sizeof(enc));
		assert_int_equal(acpi_aml_pkglength(cases[i].body, enc),
				 cases[i].bytes);
		assert_int_equal(pkglength(enc, &used),
				 cases[i].body + cases[i].bytes);
		assert_int_equal(used, cases[i].bytes);
	}
	/* 65 = 0x41: one byte follows (0x40), low nibble 1, then 0x04. */
	acpi_aml_pkglength(63, enc);
	assert_int_equal(enc[0], 0x41);
	assert_int_equal(enc[1], 0x04);
	assert_int_equal(acpi_aml_pkglength(0xffffffc, enc), 0);
}

static void test_errors(void **state)
{
	struct acpi_config c = base_cfg;
	uint8_t *buf = calloc(1, ACPI_TABLES_MAX);
	long n;

	(void)state;
	c.nr_vcpus = 0;
	assert_int_equal(acpi_build(&c, buf, ACPI_TABLES_MAX, GPA), -EINVAL);
	c.nr_vcpus = CONFIG_MAX_VCPUS + 1;
	assert_int_equal(acpi_build(&c, buf, ACPI_TABLES_MAX, GPA), -EINVAL);
	c = base_cfg;
	c.sci_irq = 0;
	assert_int_equal(acpi_build(&c, buf, ACPI_TABLES_MAX, GPA), -EINVAL);
	c.sci_irq = 16;
	assert_int_equal(acpi_build(&c, buf, ACPI_TABLES_MAX, GPA), -EINVAL);
	c = base_cfg;
	c.s5_slp_typ = 8;
	assert_int_equal(acpi_build(&c, buf, ACPI_TABLES_MAX, GPA), -EINVAL);
	c = base_cfg;
	c.pm1a_cnt = 0;
	assert_int_equal(acpi_build(&c, buf, ACPI_TABLES_MAX, GPA), -EINVAL);
	assert_int_equal(acpi_build(NULL, buf, ACPI_TABLES_MAX, GPA), -EINVAL);

	/* The RSDP needs a 16-byte aligned address; all of it below 4 GiB. */
	assert_int_equal(acpi_build(&base_cfg, buf, ACPI_TABLES_MAX, GPA + 8),
			 -EINVAL);
	assert_int_equal(acpi_build(&base_cfg, buf, ACPI_TABLES_MAX,
				    0xfffffff0ull), -EINVAL);
	assert_int_equal(acpi_build(&base_cfg, buf, ACPI_TABLES_MAX,
				    1ull << 32), -EINVAL);

	/* Exactly the size it reports fits; one byte less does not. */
	n = acpi_build(&base_cfg, buf, ACPI_TABLES_MAX, GPA);
	assert_true(n > 0);
	memset(buf, 0x5a, ACPI_TABLES_MAX);
	assert_int_equal(acpi_build(&base_cfg, buf, (size_t)n - 1, GPA),
			 -ENOSPC);
	assert_int_equal(buf[0], 0x5a);			/* nothing written */
	assert_int_equal(acpi_build(&base_cfg, buf, (size_t)n, GPA), n);
	assert_int_equal(buf[n], 0x5a);			/* nor past the end */
	assert_int_equal(acpi_build(&base_cfg, buf, 16, GPA), -ENOSPC);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsdp),
		cmocka_unit_test(test_fadt),
		cmocka_unit_test(test_fadt_pm_timer),
		cmocka_unit_test(test_fadt_no_rtc),
		cmocka_unit_test(test_madt),
		cmocka_unit_test(test_dsdt_s5),
		cmocka_unit_test(test_dsdt_pci),
		cmocka_unit_test(test_pkglength),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

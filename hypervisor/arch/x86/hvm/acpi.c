// SPDX-License-Identifier: MIT
/*
 * ACPI tables for HVM guests booted straight into the kernel (ACPI 6.x
 * layouts). One block, the RSDP at its start:
 *
 *   RSDP  -> XSDT, RSDT -> FADT, MADT
 *   FADT  -> FACS, DSDT
 *
 * The FADT describes a PM1a block the PM device model backs (status,
 * enable, control with SLP_TYP/SLP_EN) and the reset register; the DSDT
 * holds \_S5 so that poweroff reaches that control register and, when
 * there is a PCI bus, its host bridge \_SB.PCI0 with the bus's address
 * windows (no _PRT: no device on it has an interrupt pin); the
 * MADT lists the vCPUs' LAPICs and KVM's IOAPIC. Nothing else is claimed:
 * no devices, no GPEs, no PM timer.
 */
#include <errno.h>
#include <string.h>

#include "pvisor/acpi.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "tables are written as host structs, ACPI is little-endian");

#define ACPI_OEM_ID		"PVISOR"
#define ACPI_OEM_TABLE_ID	"PVISORHV"
#define ACPI_CREATOR_ID		"PVSR"

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_header) == 36, "SDT header");

struct acpi_rsdp {
	char signature[8];		/* "RSD PTR " */
	uint8_t checksum;		/* first 20 bytes */
	char oem_id[6];
	uint8_t revision;		/* 2: the fields below exist */
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t extended_checksum;	/* all 36 bytes */
	uint8_t reserved[3];
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP");
_Static_assert(offsetof(struct acpi_rsdp, xsdt_address) == 24, "RSDP");

/* Generic Address Structure. */
struct acpi_gas {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;		/* 1 byte, 2 word, 3 dword, 4 qword */
	uint64_t address;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS");

#define ACPI_SPACE_SYSTEM_IO	1
#define ACPI_ACCESS_BYTE	1
#define ACPI_ACCESS_WORD	2
#define ACPI_ACCESS_DWORD	3

struct acpi_fadt {
	struct acpi_header h;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;
	uint32_t pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len;
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
	char hypervisor_vendor[8];
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT 6.x");
_Static_assert(offsetof(struct acpi_fadt, sci_int) == 46, "FADT");
_Static_assert(offsetof(struct acpi_fadt, pm1_evt_len) == 88, "FADT");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "FADT");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "FADT");
_Static_assert(offsetof(struct acpi_fadt, x_firmware_ctrl) == 132, "FADT");
_Static_assert(offsetof(struct acpi_fadt, x_pm1a_evt_blk) == 148, "FADT");
_Static_assert(offsetof(struct acpi_fadt, sleep_control_reg) == 244, "FADT");

/* FADT flags. */
#define FADT_WBINVD		(1u << 0)
#define FADT_PROC_C1		(1u << 2)
#define FADT_PWR_BUTTON		(1u << 4)	/* 1: no fixed power button */
#define FADT_SLP_BUTTON		(1u << 5)	/* 1: no fixed sleep button */
#define FADT_FIX_RTC		(1u << 6)	/* 1: no RTC status in PM1 */
#define FADT_TMR_VAL_EXT	(1u << 8)	/* the PM timer has 32 bits */
#define FADT_RESET_REG_SUP	(1u << 10)

/* IA-PC boot architecture flags. */
#define BOOT_LEGACY_DEVICES	(1u << 0)
#define BOOT_8042		(1u << 1)
#define BOOT_NO_VGA		(1u << 2)
#define BOOT_NO_CMOS_RTC	(1u << 5)

struct acpi_facs {
	char signature[4];
	uint32_t length;
	uint32_t hardware_signature;
	uint32_t firmware_waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_firmware_waking_vector;
	uint8_t version;
	uint8_t reserved0[3];
	uint32_t ospm_flags;
	uint8_t reserved1[24];
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS");

struct acpi_madt {
	struct acpi_header h;
	uint32_t lapic_addr;
	uint32_t flags;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT");

#define MADT_PCAT_COMPAT	(1u << 0)

struct madt_lapic {
	uint8_t type, length;		/* 0, 8 */
	uint8_t processor_uid;
	uint8_t apic_id;
	uint32_t flags;
} __attribute__((packed));
_Static_assert(sizeof(struct madt_lapic) == 8, "MADT LAPIC");

#define MADT_LAPIC_ENABLED	(1u << 0)

struct madt_ioapic {
	uint8_t type, length;		/* 1, 12 */
	uint8_t id;
	uint8_t reserved;
	uint32_t address;
	uint32_t gsi_base;
} __attribute__((packed));
_Static_assert(sizeof(struct madt_ioapic) == 12, "MADT IOAPIC");

struct madt_iso {
	uint8_t type, length;		/* 2, 10 */
	uint8_t bus;			/* 0: ISA */
	uint8_t source;			/* ISA IRQ */
	uint32_t gsi;
	uint16_t flags;
} __attribute__((packed));
_Static_assert(sizeof(struct madt_iso) == 10, "MADT ISO");

struct madt_lapic_nmi {
	uint8_t type, length;		/* 4, 6 */
	uint8_t processor_uid;		/* 0xff: all */
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));
_Static_assert(sizeof(struct madt_lapic_nmi) == 6, "MADT LAPIC NMI");

/* MPS INTI flags: polarity bits 1:0, trigger mode bits 3:2. */
#define MPS_ACTIVE_HIGH		0x1
#define MPS_EDGE		(0x1 << 2)
#define MPS_LEVEL		(0x3 << 2)

/* The MADT ends with one IOAPIC, two overrides and one NMI entry. */
#define MADT_SIZE(n)	(sizeof(struct acpi_madt) + \
			 (n) * sizeof(struct madt_lapic) + \
			 sizeof(struct madt_ioapic) + \
			 2 * sizeof(struct madt_iso) + \
			 sizeof(struct madt_lapic_nmi))

/* --- AML, just what \_S5 and \_SB.PCI0 take ----------------------------- */

#define AML_ZERO_OP	0x00
#define AML_ONE_OP	0x01
#define AML_NAME_OP	0x08
#define AML_BYTE_PREFIX	0x0a
#define AML_DWORD_PREFIX 0x0c
#define AML_SCOPE_OP	0x10
#define AML_BUFFER_OP	0x11
#define AML_PACKAGE_OP	0x12
#define AML_EXT_OP	0x5b
#define AML_DEVICE_OP	0x82	/* after AML_EXT_OP */
#define AML_ROOT_CHAR	0x5c	/* '\\' */

#define AML_MAX		256

struct aml {
	uint8_t b[AML_MAX];
	size_t n;
	bool overflow;
};

static void aml_byte(struct aml *a, uint8_t v)
{
	if (a->n < AML_MAX)
		a->b[a->n++] = v;
	else
		a->overflow = true;
}

static void aml_name(struct aml *a, const char seg[4])
{
	for (int i = 0; i < 4; i++)
		aml_byte(a, (uint8_t)seg[i]);
}

/* The shortest integer encoding, as iasl would choose it (<= 0xff here). */
static void aml_integer(struct aml *a, uint8_t v)
{
	if (v == 0) {
		aml_byte(a, AML_ZERO_OP);
	} else if (v == 1) {
		aml_byte(a, AML_ONE_OP);
	} else {
		aml_byte(a, AML_BYTE_PREFIX);
		aml_byte(a, v);
	}
}

/*
 * PkgLength counts itself, so its size depends on what it encodes: one
 * byte holds up to 63; otherwise bits 7:6 of the lead byte say how many
 * bytes follow, its bits 3:0 are the low nibble and each following byte
 * the next 8 bits.
 */
unsigned int acpi_aml_pkglength(size_t body, uint8_t out[4])
{
	unsigned int k;
	size_t total;

	if (body + 1 <= 0x3f)
		k = 1;
	else if (body + 2 <= 0xfff)
		k = 2;
	else if (body + 3 <= 0xfffff)
		k = 3;
	else if (body + 4 <= 0xfffffff)
		k = 4;
	else
		return 0;
	total = body + k;
	if (k == 1) {
		out[0] = (uint8_t)total;
		return 1;
	}
	out[0] = (uint8_t)(((k - 1) << 6) | (total & 0xf));
	for (unsigned int i = 1; i < k; i++)
		out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	return k;
}

/* The contents are emitted from start on; slide them up, length in front. */
static void aml_pkglength_close(struct aml *a, size_t start)
{
	size_t body = a->n - start;
	uint8_t enc[4];
	unsigned int k;

	if (a->overflow)
		return;
	k = acpi_aml_pkglength(body, enc);
	if (!k || a->n + k > AML_MAX) {
		a->overflow = true;
		return;
	}
	memmove(a->b + start + k, a->b + start, body);
	memcpy(a->b + start, enc, k);
	a->n += k;
}

static void aml_dword(struct aml *a, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		aml_byte(a, (uint8_t)(v >> (8 * i)));
}

static void aml_word(struct aml *a, uint16_t v)
{
	aml_byte(a, (uint8_t)v);
	aml_byte(a, (uint8_t)(v >> 8));
}

/* Resource descriptors (ACPI 6.x, 6.4): large items, producers. */
#define RES_DWORD_ADDR	0x87
#define RES_WORD_ADDR	0x88
#define RES_END_TAG	0x79
#define RES_TYPE_MEM	0
#define RES_TYPE_IO	1
#define RES_TYPE_BUS	2
#define RES_MIN_MAX_FIXED 0x0c	/* _MIF, _MAF; bit 0 clear: producer */
#define RES_IO_ENTIRE	0x03	/* ISA and non-ISA ranges */
#define RES_MEM_RW	0x01	/* read-write, not cacheable */

/* A DWord address space descriptor: [min, max], nothing translated. */
static void res_dword(struct aml *a, uint8_t type, uint8_t specific,
		      uint32_t min, uint32_t max)
{
	aml_byte(a, RES_DWORD_ADDR);
	aml_word(a, 23);
	aml_byte(a, type);
	aml_byte(a, RES_MIN_MAX_FIXED);
	aml_byte(a, specific);
	aml_dword(a, 0);		/* granularity */
	aml_dword(a, min);
	aml_dword(a, max);
	aml_dword(a, 0);		/* translation */
	aml_dword(a, max - min + 1);
}

/*
 * Scope(\_SB) { Device(PCI0) { Name(_HID, EisaId("PNP0A03"))
 * Name(_UID, 0) Name(_CRS, ResourceTemplate() { bus 0-255, I/O
 * 0-0xcf7 and 0xd00-0xffff, memory [base, end) }) } }
 */
static void dsdt_pci_root(struct aml *a, uint32_t mmio_base,
			  uint32_t mmio_end)
{
	size_t scope, dev, buf;

	aml_byte(a, AML_SCOPE_OP);
	scope = a->n;
	aml_byte(a, AML_ROOT_CHAR);
	aml_name(a, "_SB_");
	aml_byte(a, AML_EXT_OP);
	aml_byte(a, AML_DEVICE_OP);
	dev = a->n;
	aml_name(a, "PCI0");

	aml_byte(a, AML_NAME_OP);
	aml_name(a, "_HID");
	aml_byte(a, AML_DWORD_PREFIX);
	aml_dword(a, 0x030ad041);	/* EisaId("PNP0A03"), compressed */
	aml_byte(a, AML_NAME_OP);
	aml_name(a, "_UID");
	aml_integer(a, 0);

	aml_byte(a, AML_NAME_OP);
	aml_name(a, "_CRS");
	aml_byte(a, AML_BUFFER_OP);
	buf = a->n;
	aml_byte(a, AML_BYTE_PREFIX);	/* BufferSize, patched below */
	aml_byte(a, 0);
	/* Bus numbers: a word descriptor. */
	aml_byte(a, RES_WORD_ADDR);
	aml_word(a, 13);
	aml_byte(a, RES_TYPE_BUS);
	aml_byte(a, RES_MIN_MAX_FIXED);
	aml_byte(a, 0);
	aml_word(a, 0);			/* granularity */
	aml_word(a, 0);
	aml_word(a, 0xff);
	aml_word(a, 0);			/* translation */
	aml_word(a, 0x100);
	res_dword(a, RES_TYPE_IO, RES_IO_ENTIRE, 0, 0xcf7);
	res_dword(a, RES_TYPE_IO, RES_IO_ENTIRE, 0xd00, 0xffff);
	res_dword(a, RES_TYPE_MEM, RES_MEM_RW, mmio_base, mmio_end - 1);
	aml_byte(a, RES_END_TAG);
	aml_byte(a, 0);			/* checksum 0: "not computed" */
	if (!a->overflow)
		a->b[buf + 1] = (uint8_t)(a->n - buf - 2);
	aml_pkglength_close(a, buf);
	aml_pkglength_close(a, dev);
	aml_pkglength_close(a, scope);
}

/*
 * Name(_S5, Package() { typ, typ, 0, 0 }): PM1a and PM1b SLP_TYP (there
 * is no PM1b; ACPICA reads both), then two reserved elements.
 */
static int dsdt_aml(struct aml *a, const struct acpi_config *c)
{
	size_t pkg;

	aml_byte(a, AML_NAME_OP);
	aml_name(a, "_S5_");
	aml_byte(a, AML_PACKAGE_OP);
	pkg = a->n;
	aml_byte(a, 4);			/* NumElements */
	aml_integer(a, c->s5_slp_typ);
	aml_integer(a, c->s5_slp_typ);
	aml_integer(a, 0);
	aml_integer(a, 0);
	aml_pkglength_close(a, pkg);
	if (c->pci_mmio_end)
		dsdt_pci_root(a, c->pci_mmio_base, c->pci_mmio_end);
	return a->overflow ? -ENOSPC : 0;
}

/* --- tables ------------------------------------------------------------ */

struct acpi_layout {
	size_t facs, xsdt, rsdt, fadt, madt, dsdt, end;
};

#define ALIGN_UP(x, a)	(((x) + (a) - 1) & ~((size_t)(a) - 1))

/* Two tables in the XSDT and RSDT: FADT and MADT. */
#define NR_SDT		2

static void layout(struct acpi_layout *l, unsigned int nr_vcpus,
		   size_t aml_len)
{
	/* The FACS must be 64-byte aligned; the rest 16 for tidiness. */
	l->facs = ALIGN_UP(sizeof(struct acpi_rsdp), 64);
	l->xsdt = l->facs + sizeof(struct acpi_facs);
	l->rsdt = ALIGN_UP(l->xsdt + sizeof(struct acpi_header) + 8 * NR_SDT, 16);
	l->fadt = ALIGN_UP(l->rsdt + sizeof(struct acpi_header) + 4 * NR_SDT, 16);
	l->madt = ALIGN_UP(l->fadt + sizeof(struct acpi_fadt), 16);
	l->dsdt = ALIGN_UP(l->madt + MADT_SIZE(nr_vcpus), 16);
	l->end = l->dsdt + sizeof(struct acpi_header) + aml_len;
}

/* The worst case (most vCPUs, longest AML) must fit the advertised bound. */
_Static_assert(ALIGN_UP(ALIGN_UP(ALIGN_UP(ALIGN_UP(ALIGN_UP(
	ALIGN_UP(sizeof(struct acpi_rsdp), 64) + sizeof(struct acpi_facs) +
	sizeof(struct acpi_header) + 8 * NR_SDT, 16) +
	sizeof(struct acpi_header) + 4 * NR_SDT, 16) +
	sizeof(struct acpi_fadt), 16) + MADT_SIZE(CONFIG_MAX_VCPUS), 16) +
	sizeof(struct acpi_header) + AML_MAX, 16) <= ACPI_TABLES_MAX,
	"ACPI_TABLES_MAX too small for CONFIG_MAX_VCPUS");

static uint8_t checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return (uint8_t)-sum;
}

static void header(struct acpi_header *h, const char sig[4], size_t len,
		   uint8_t rev)
{
	memcpy(h->signature, sig, 4);
	h->length = (uint32_t)len;
	h->revision = rev;
	memcpy(h->oem_id, ACPI_OEM_ID, 6);
	memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, ACPI_CREATOR_ID, 4);
	h->creator_revision = 1;
}

/* Last, once the table's body is written. */
static void seal(struct acpi_header *h)
{
	h->checksum = 0;
	h->checksum = checksum(h, h->length);
}

static struct acpi_gas gas_io(uint16_t port, uint8_t bytes, uint8_t access)
{
	return (struct acpi_gas){
		.space_id = ACPI_SPACE_SYSTEM_IO,
		.bit_width = (uint8_t)(8 * bytes),
		.access_size = access,
		.address = port,
	};
}

static void build_fadt(struct acpi_fadt *f, const struct acpi_config *c,
		       uint64_t facs, uint64_t dsdt)
{
	header(&f->h, "FACP", sizeof(*f), 6);
	f->minor_version = 0;
	f->firmware_ctrl = (uint32_t)facs;
	f->x_firmware_ctrl = facs;
	f->dsdt = (uint32_t)dsdt;
	f->x_dsdt = dsdt;
	f->sci_int = c->sci_irq;
	/*
	 * SMI_CMD 0: the hardware is always in ACPI mode; ACPICA then
	 * takes that as given and never writes ACPI_ENABLE anywhere.
	 */
	f->smi_cmd = 0;
	f->pm1a_evt_blk = c->pm1a_evt;
	f->pm1_evt_len = 4;
	f->x_pm1a_evt_blk = gas_io(c->pm1a_evt, 4, ACPI_ACCESS_WORD);
	f->pm1a_cnt_blk = c->pm1a_cnt;
	f->pm1_cnt_len = 2;
	f->x_pm1a_cnt_blk = gas_io(c->pm1a_cnt, 2, ACPI_ACCESS_WORD);
	/*
	 * The PM timer, 32 bits wide (TMR_VAL_EXT): without it Linux has
	 * no reference to calibrate the TSC against but the PIT, which is
	 * unreliable on a slow (nested) host, and no acpi_pm clocksource.
	 */
	if (c->pm_tmr) {
		f->pm_tmr_blk = c->pm_tmr;
		f->pm_tmr_len = 4;
		f->x_pm_tmr_blk = gas_io(c->pm_tmr, 4, ACPI_ACCESS_DWORD);
	}
	/* No C2/C3: latencies above 100 and 1000 us mean "not supported". */
	f->p_lvl2_lat = 101;
	f->p_lvl3_lat = 1001;
	/*
	 * Legacy ISA devices (PIC, PIT, the i8042 that carries the reset
	 * line) are there; VGA is not, and the RTC only when configured.
	 */
	f->iapc_boot_arch = BOOT_LEGACY_DEVICES | BOOT_8042 | BOOT_NO_VGA;
	if (c->no_cmos_rtc)
		f->iapc_boot_arch |= BOOT_NO_CMOS_RTC;
	/*
	 * PWR_BUTTON and SLP_BUTTON set: neither button is a fixed feature
	 * (and the DSDT has no button device), so Linux adds no fixed
	 * button and enables no PWRBTN_EN/SLPBTN_EN bits. FIX_RTC: the PM1
	 * block has no RTC_STS either.
	 */
	f->flags = FADT_WBINVD | FADT_PROC_C1 | FADT_PWR_BUTTON |
		   FADT_SLP_BUTTON | FADT_FIX_RTC | FADT_RESET_REG_SUP;
	if (c->pm_tmr)
		f->flags |= FADT_TMR_VAL_EXT;
	f->reset_reg = gas_io(c->reset_port, 1, ACPI_ACCESS_BYTE);
	f->reset_value = c->reset_value;
	memcpy(f->hypervisor_vendor, "PVISOR\0\0", 8);
	seal(&f->h);
}

static void build_facs(struct acpi_facs *f)
{
	memcpy(f->signature, "FACS", 4);
	f->length = sizeof(*f);
	f->version = 2;
}

static void build_madt(struct acpi_madt *m, const struct acpi_config *c)
{
	uint8_t *p = (uint8_t *)(m + 1);
	struct madt_ioapic *io;
	struct madt_iso *iso;
	struct madt_lapic_nmi *nmi;

	header(&m->h, "APIC", MADT_SIZE(c->nr_vcpus), 5);
	m->lapic_addr = c->lapic_addr;
	m->flags = MADT_PCAT_COMPAT;	/* the 8259s exist (KVM's PIC) */

	for (unsigned int i = 0; i < c->nr_vcpus; i++) {
		struct madt_lapic *l = (struct madt_lapic *)p;

		*l = (struct madt_lapic){
			.type = 0, .length = sizeof(*l),
			.processor_uid = (uint8_t)i, .apic_id = (uint8_t)i,
			.flags = MADT_LAPIC_ENABLED,
		};
		p += sizeof(*l);
	}

	/*
	 * The id after the LAPICs' keeps the two apart. KVM's IOAPIC id
	 * register has only 4 bits, but Linux takes the MADT's id as it is
	 * when it is unique among IOAPICs and never writes it back.
	 */
	io = (struct madt_ioapic *)p;
	*io = (struct madt_ioapic){
		.type = 1, .length = sizeof(*io),
		.id = (uint8_t)c->nr_vcpus,
		.address = c->ioapic_addr, .gsi_base = 0,
	};
	p += sizeof(*io);

	/* KVM wires the PIT to IOAPIC pin 2, as PC chipsets do. */
	iso = (struct madt_iso *)p;
	*iso = (struct madt_iso){
		.type = 2, .length = sizeof(*iso), .bus = 0, .source = 0,
		.gsi = 2, .flags = MPS_ACTIVE_HIGH | MPS_EDGE,
	};
	p += sizeof(*iso);

	/* ISA IRQs default to edge; the SCI is level, active high. */
	iso = (struct madt_iso *)p;
	*iso = (struct madt_iso){
		.type = 2, .length = sizeof(*iso), .bus = 0,
		.source = c->sci_irq, .gsi = c->sci_irq,
		.flags = MPS_ACTIVE_HIGH | MPS_LEVEL,
	};
	p += sizeof(*iso);

	nmi = (struct madt_lapic_nmi *)p;
	*nmi = (struct madt_lapic_nmi){
		.type = 4, .length = sizeof(*nmi), .processor_uid = 0xff,
		.flags = MPS_ACTIVE_HIGH | MPS_EDGE, .lint = 1,
	};
	seal(&m->h);
}

static int config_ok(const struct acpi_config *c)
{
	if (c->nr_vcpus < 1 || c->nr_vcpus > CONFIG_MAX_VCPUS)
		return 0;
	/* ISA IRQ, not 0 (the timer's override) nor 2 (the cascade). */
	if (c->sci_irq == 0 || c->sci_irq == 2 || c->sci_irq > 15)
		return 0;
	if (c->s5_slp_typ > 7)
		return 0;
	/* A window is 4 KiB-aligned, non-empty, below the LAPIC/IOAPIC. */
	if ((c->pci_mmio_base | c->pci_mmio_end) & 0xfff)
		return 0;
	if (c->pci_mmio_end && (c->pci_mmio_base >= c->pci_mmio_end ||
				c->pci_mmio_end > 0xfec00000u))
		return 0;
	return c->lapic_addr && c->ioapic_addr && c->pm1a_evt &&
	       c->pm1a_cnt && c->reset_port;
}

long acpi_build(const struct acpi_config *c, void *buf, size_t len,
		uint64_t gpa)
{
	struct acpi_layout l;
	struct acpi_header *h;
	struct acpi_rsdp *rsdp;
	struct aml aml = { .n = 0 };
	uint8_t *b = buf;
	uint64_t x[NR_SDT];
	uint32_t r[NR_SDT];
	int err;

	if (!c || !buf || !config_ok(c) || (gpa & 15))
		return -EINVAL;
	err = dsdt_aml(&aml, c);
	if (err)
		return err;
	layout(&l, c->nr_vcpus, aml.n);
	if (gpa > (1ull << 32) - l.end)
		return -EINVAL;
	if (len < l.end)
		return -ENOSPC;
	memset(b, 0, l.end);

	build_facs((struct acpi_facs *)(b + l.facs));

	h = (struct acpi_header *)(b + l.dsdt);
	header(h, "DSDT", sizeof(*h) + aml.n, 2);	/* 2: 64-bit integers */
	memcpy(h + 1, aml.b, aml.n);
	seal(h);

	build_madt((struct acpi_madt *)(b + l.madt), c);
	build_fadt((struct acpi_fadt *)(b + l.fadt), c, gpa + l.facs,
		   gpa + l.dsdt);

	/* Entries are unaligned (right after the 36-byte header). */
	h = (struct acpi_header *)(b + l.xsdt);
	header(h, "XSDT", sizeof(*h) + sizeof(x), 1);
	x[0] = gpa + l.fadt;
	x[1] = gpa + l.madt;
	memcpy(h + 1, x, sizeof(x));
	seal(h);

	h = (struct acpi_header *)(b + l.rsdt);
	header(h, "RSDT", sizeof(*h) + sizeof(r), 1);
	r[0] = (uint32_t)(gpa + l.fadt);
	r[1] = (uint32_t)(gpa + l.madt);
	memcpy(h + 1, r, sizeof(r));
	seal(h);

	rsdp = (struct acpi_rsdp *)b;
	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, ACPI_OEM_ID, 6);
	rsdp->revision = 2;
	rsdp->rsdt_address = (uint32_t)(gpa + l.rsdt);
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_address = gpa + l.xsdt;
	rsdp->checksum = checksum(rsdp, 20);
	rsdp->extended_checksum = checksum(rsdp, sizeof(*rsdp));
	return (long)l.end;
}

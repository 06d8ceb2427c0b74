/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_ACPI_H
#define PVISOR_ACPI_H

/*
 * ACPI tables for HVM guests booted without firmware (arch/x86/hvm/acpi.c):
 * RSDP, XSDT, RSDT, FADT, FACS, DSDT and MADT, enough for Linux to find
 * its CPUs and interrupt controllers, power off through \_S5 and reboot
 * through the FADT reset register. Pure: no KVM, no domain.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct acpi_config {
	unsigned int nr_vcpus;		/* LAPIC ids 0..nr_vcpus-1, 1..CONFIG_MAX_VCPUS */
	uint32_t lapic_addr;		/* 0xfee00000 */
	uint32_t ioapic_addr;		/* 0xfec00000, IOAPIC id = nr_vcpus, GSI base 0 */
	uint16_t pm1a_evt;		/* PM1a event block port (4 bytes: status, enable) */
	uint16_t pm1a_cnt;		/* PM1a control block port (2 bytes) */
	uint16_t pm_tmr;		/* PM timer port (4 bytes, 32-bit); 0: none */
	uint8_t sci_irq;		/* SCI: ISA IRQ 1..15 but 2, level, active high */
	uint8_t s5_slp_typ;		/* SLP_TYP of \_S5 (0..7, a 3-bit field) */
	uint16_t reset_port;		/* FADT reset register: system I/O port (0xcf9) */
	uint8_t reset_value;		/* value written there (0x06) */
	bool no_cmos_rtc;		/* no RTC at ports 0x70/0x71: tell the guest */
	/*
	 * A PCI bus 0 behind config mechanism #1 (\_SB.PCI0, PNP0A03): its
	 * memory window [pci_mmio_base, pci_mmio_end) and the whole I/O
	 * space but 0xcf8-0xcff. 0/0: no PCI.
	 */
	uint32_t pci_mmio_base, pci_mmio_end;
};

/* Bytes acpi_build needs at most, for CONFIG_MAX_VCPUS vCPUs (checked). */
#define ACPI_TABLES_MAX		4096

/*
 * Build RSDP, XSDT (and RSDT), FADT, FACS, DSDT and MADT into buf, which
 * the guest sees at guest-physical gpa (tables point at each other by
 * gpa). The RSDP is first, at buf[0] (16-byte aligned gpa required); all
 * of it must lie below 4 GiB, as the RSDT and FADT hold 32-bit pointers.
 * Returns the number of bytes used, or -EINVAL / -ENOSPC.
 */
long acpi_build(const struct acpi_config *c, void *buf, size_t len,
		uint64_t gpa);

/*
 * AML PkgLength for a package whose contents after the PkgLength are body
 * bytes: writes 1..4 bytes to out and returns how many, 0 if too long.
 */
unsigned int acpi_aml_pkglength(size_t body, uint8_t out[4]);

#endif

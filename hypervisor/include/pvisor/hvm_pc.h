/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_HVM_PC_H
#define PVISOR_HVM_PC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The emulated PC of an HVM domain (arch/x86/hvm/pc.c): COM1 at 0x3f8
 * on IRQ4, the CMOS RTC at 0x70, ACPI PM1a blocks and PM timer, and the
 * reset ports.
 * The interrupt controllers and the PIT are KVM's.
 */
struct domain;

/* Where the ACPI tables say the PM1a blocks are, and \_S5's SLP_TYP. */
#define HVM_PM1A_EVT		0x600
#define HVM_PM1A_CNT		0x604
#define HVM_PM_TMR		0x608
#define HVM_S5_SLP_TYP		5
#define HVM_SCI_IRQ		9
#define HVM_RESET_PORT		0xcf9
#define HVM_RESET_VALUE		0x06

/*
 * The PCI bus's memory window (the ACPI tables' _CRS for \_SB.PCI0):
 * guest RAM stays below it. The Xen platform device's BAR1 is at its
 * base.
 */
#define HVM_PCI_MMIO_BASE	0xf0000000u
#define HVM_PCI_MMIO_END	0xfc000000u

/*
 * The parts of the PC a domain gets: PVH has only the power control and
 * the RTC (its console is a PV ring); HVM has COM1 and a PCI bus, and
 * the Xen platform device on it when the guest may see Xen.
 */
enum hvm_pc_part {
	HVM_PC_COM1		= 1u << 0,
	HVM_PC_PCI		= 1u << 1,
	HVM_PC_XEN_PLATFORM	= 1u << 2,	/* needs HVM_PC_PCI */
};

int hvm_pc_create(struct domain *d, unsigned int parts);
bool hvm_pc_has_pci(const struct domain *d);
void hvm_pc_destroy(struct domain *d);
/*
 * A guest port access (size 1, 2 or 4); reads fill *value. False when
 * no device claims the port (the caller reads all-ones, drops writes).
 */
bool hvm_pc_io(struct domain *d, uint16_t port, unsigned int size,
	       bool is_write, uint32_t *value);
/* Console input for COM1: bytes taken (the rest later), and room left. */
size_t hvm_pc_console_input(struct domain *d, const char *buf, size_t len);
size_t hvm_pc_console_room(struct domain *d);

#endif

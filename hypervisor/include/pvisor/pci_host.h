/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_PCI_HOST_H
#define PVISOR_PCI_HOST_H

#include <stdbool.h>
#include <stdint.h>

/*
 * PCI bus 0 of an HVM guest's PC (hvm/pci_host.c), reached through
 * configuration mechanism #1: the address register at 0xcf8 (32-bit
 * accesses only; a byte at 0xcf9 is the PC's reset control) and the
 * data window 0xcfc-0xcff. Function 00:00.0 is a host bridge; the
 * others hold what pci_host_add put there. Each function has the
 * 256-byte type-0 header space, read-only but for the command
 * register, the BARs (sized as hardware does: write all-ones, read
 * the mask back), cache line, latency timer and interrupt line.
 * Absent functions and other buses read all-ones.
 */
#define PCI_CONF_ADDR		0xcf8
#define PCI_CONF_DATA		0xcfc
#define PCI_HOST_MAX_FUNCS	4
#define PCI_NR_BARS		6

#define PCI_DEVFN(dev, fn)	((uint8_t)(((dev) << 3) | (fn)))

#define PCI_BAR_IO		0x1u
#define PCI_BAR_MEM_PREFETCH	0x8u

struct pci_func {
	uint8_t devfn;
	uint8_t cfg[256];
	uint32_t bar_size[PCI_NR_BARS];	/* 0: no BAR; a power of two */
};

struct pci_host {
	uint32_t addr;			/* the last address written to 0xcf8 */
	unsigned int nr;
	struct pci_func fn[PCI_HOST_MAX_FUNCS];
};

/* The bus with its host bridge at 00:00.0. */
void pci_host_init(struct pci_host *h);
/*
 * A function at devfn on bus 0 with these IDs and class code (the
 * 24-bit base/sub/interface, revision in the low byte: class_rev), or
 * NULL when the bus is full or devfn taken.
 */
struct pci_func *pci_host_add(struct pci_host *h, uint8_t devfn,
			      uint16_t vendor, uint16_t device,
			      uint32_t class_rev, uint16_t subsys_vendor,
			      uint16_t subsys);
/*
 * BAR bar of f: size a power of two (>= 16 bytes memory, >= 4 I/O),
 * base aligned to it, flags PCI_BAR_IO or memory flags. -EINVAL else.
 */
int pci_func_set_bar(struct pci_func *f, unsigned int bar, uint32_t base,
		     uint32_t size, uint32_t flags);
/* Where BAR bar points now (the guest may have moved it). */
uint32_t pci_func_bar_base(const struct pci_func *f, unsigned int bar);
/*
 * A guest port access: true if the port is the bus's (0xcf8 as a
 * dword, 0xcfc-0xcff), with *value read or written. Any size, port
 * and value are taken.
 */
bool pci_host_io(struct pci_host *h, uint16_t port, unsigned int size,
		 bool is_write, uint32_t *value);

#endif

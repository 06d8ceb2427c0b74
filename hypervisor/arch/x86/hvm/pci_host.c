// SPDX-License-Identifier: MIT
/*
 * PCI bus 0 of the HVM PC: configuration mechanism #1 over a handful of
 * functions whose headers live here. Enough for an OS to enumerate the
 * bus, size and move BARs and enable decoding; there are no bridges,
 * capabilities, interrupt pins or extended (MMCONFIG) space.
 */
#include <errno.h>
#include <string.h>

#include "pvisor/pci_host.h"

#define CFG_ENABLE		0x80000000u
#define CFG_VENDOR		0x00
#define CFG_COMMAND		0x04
#define CFG_REVISION		0x08
#define CFG_CACHE_LINE		0x0c
#define CFG_BAR0		0x10
#define CFG_SUBSYS_VENDOR	0x2c
#define CFG_INTR_LINE		0x3c

/* I/O space, memory space, bus master, INTx disable. */
#define CMD_WRITABLE		0x0407u

/* A generic host bridge ID for virtual machines (QEMU's "gpex"). */
#define HOST_VENDOR		0x1b36
#define HOST_DEVICE		0x0008
#define HOST_CLASS_REV		0x06000000u	/* bridge, host */

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

void pci_host_init(struct pci_host *h)
{
	memset(h, 0, sizeof(*h));
	pci_host_add(h, PCI_DEVFN(0, 0), HOST_VENDOR, HOST_DEVICE,
		     HOST_CLASS_REV, 0, 0);
}

static struct pci_func *find(struct pci_host *h, uint8_t devfn)
{
	for (unsigned int i = 0; i < h->nr; i++)
		if (h->fn[i].devfn == devfn)
			return &h->fn[i];
	return NULL;
}

struct pci_func *pci_host_add(struct pci_host *h, uint8_t devfn,
			      uint16_t vendor, uint16_t device,
			      uint32_t class_rev, uint16_t subsys_vendor,
			      uint16_t subsys)
{
	struct pci_func *f;

	if (h->nr == PCI_HOST_MAX_FUNCS || find(h, devfn))
		return NULL;
	f = &h->fn[h->nr++];
	memset(f, 0, sizeof(*f));
	f->devfn = devfn;
	put16(f->cfg + CFG_VENDOR, vendor);
	put16(f->cfg + CFG_VENDOR + 2, device);
	put32(f->cfg + CFG_REVISION, class_rev);
	put16(f->cfg + CFG_SUBSYS_VENDOR, subsys_vendor);
	put16(f->cfg + CFG_SUBSYS_VENDOR + 2, subsys);
	return f;
}

int pci_func_set_bar(struct pci_func *f, unsigned int bar, uint32_t base,
		     uint32_t size, uint32_t flags)
{
	bool io = flags & PCI_BAR_IO;

	if (bar >= PCI_NR_BARS || !size || (size & (size - 1)) ||
	    size < (io ? 4u : 16u) || (base & (size - 1)) ||
	    flags >= (io ? 4u : 16u) || (!io && (flags & 0x6)))
		return -EINVAL;
	f->bar_size[bar] = size;
	put32(f->cfg + CFG_BAR0 + 4 * bar, base | flags);
	return 0;
}

uint32_t pci_func_bar_base(const struct pci_func *f, unsigned int bar)
{
	uint32_t v;

	if (bar >= PCI_NR_BARS || !f->bar_size[bar])
		return 0;
	v = get32(f->cfg + CFG_BAR0 + 4 * bar);
	return v & ((v & PCI_BAR_IO) ? ~3u : ~15u);
}

/* The dword at reg (aligned) after a write of the bytes in mask. */
static void cfg_write(struct pci_func *f, unsigned int reg, uint32_t val,
		      uint32_t mask)
{
	uint32_t old = get32(f->cfg + reg);
	uint32_t v = (old & ~mask) | (val & mask);

	if (reg == CFG_COMMAND) {
		/* Status (the high half) has no bits to clear: none set. */
		put32(f->cfg + reg, v & CMD_WRITABLE);
	} else if (reg >= CFG_BAR0 && reg < CFG_BAR0 + 4 * PCI_NR_BARS) {
		uint32_t size = f->bar_size[(reg - CFG_BAR0) / 4];
		uint32_t flags = old & ((old & PCI_BAR_IO) ? 3u : 15u);

		/* The address bits below the size read back as zero. */
		if (size)
			put32(f->cfg + reg, (v & ~(size - 1)) | flags);
	} else if (reg == CFG_CACHE_LINE) {
		put32(f->cfg + reg, (old & 0xffff0000u) | (v & 0xffffu));
	} else if (reg == CFG_INTR_LINE) {
		put32(f->cfg + reg, (old & 0xffffff00u) | (v & 0xffu));
	}
}

bool pci_host_io(struct pci_host *h, uint16_t port, unsigned int size,
		 bool is_write, uint32_t *value)
{
	unsigned int off = port - PCI_CONF_DATA, shift = 8 * off;
	uint32_t lanes = size >= 4 ? ~0u : ((1u << (8 * size)) - 1);
	struct pci_func *f = NULL;
	unsigned int reg;

	if (port == PCI_CONF_ADDR && size == 4) {
		if (is_write)
			h->addr = *value;
		else
			*value = h->addr;
		return true;
	}
	if (port < PCI_CONF_DATA || port > PCI_CONF_DATA + 3 || !size ||
	    size > 4)
		return false;
	/* Lanes past the dword's end do not exist: drop them. */
	if (off + size > 4)
		lanes &= (1u << (8 * (4 - off))) - 1;
	reg = h->addr & 0xfc;
	/* Bus 0 only; bits 30:24 are reserved, 1:0 select type 0. */
	if ((h->addr & CFG_ENABLE) && !(h->addr & 0x7fff0003u))
		f = find(h, (uint8_t)(h->addr >> 8));
	if (!is_write) {
		*value = f ? (get32(f->cfg + reg) >> shift) & lanes : lanes;
		return true;
	}
	if (f)
		cfg_write(f, reg, *value << shift, lanes << shift);
	return true;
}

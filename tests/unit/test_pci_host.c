/* SPDX-License-Identifier: MIT */
/*
 * The HVM PC's PCI bus (arch/x86/hvm/pci_host.c) and Xen's platform
 * device on it (xen_platform.c), driven through their ports the way
 * Linux's conf1 probe, BAR sizing and platform-pci-unplug.c drive them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "pvisor/hvm_dev.h"
#include "pvisor/pci_host.h"

#define MMIO_BASE	0xf0000000u

struct bus {
	struct pci_host h;
	struct xen_platform xp;
};

static void bus_init(struct bus *b)
{
	pci_host_init(&b->h);
	assert_int_equal(xen_platform_init(&b->xp, &b->h, MMIO_BASE), 0);
}

static uint32_t in(struct bus *b, uint16_t port, unsigned int size)
{
	uint32_t v = 0xdeadbeef;

	if (!xen_platform_io(&b->xp, port, size, false, &v))
		assert_true(pci_host_io(&b->h, port, size, false, &v));
	return v;
}

static void out(struct bus *b, uint16_t port, unsigned int size, uint32_t v)
{
	if (!xen_platform_io(&b->xp, port, size, true, &v))
		assert_true(pci_host_io(&b->h, port, size, true, &v));
}

static uint32_t cfg_addr(unsigned int bus, unsigned int dev,
			 unsigned int fn, unsigned int reg)
{
	return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | reg;
}

static uint32_t cfg_read(struct bus *b, unsigned int dev, unsigned int reg,
			 unsigned int size)
{
	out(b, 0xcf8, 4, cfg_addr(0, dev, 0, reg & 0xfc));
	return in(b, 0xcfc + (reg & 3), size);
}

static void cfg_write(struct bus *b, unsigned int dev, unsigned int reg,
		      unsigned int size, uint32_t v)
{
	out(b, 0xcf8, 4, cfg_addr(0, dev, 0, reg & 0xfc));
	out(b, 0xcfc + (reg & 3), size, v);
}

/* Linux's pci_check_type1 and pci_sanity_check, then a bus scan. */
static void test_enumerate(void **state)
{
	struct bus b;
	unsigned int found = 0;

	(void)state;
	bus_init(&b);
	out(&b, 0xcf8, 4, 0x80000000u);
	assert_int_equal(in(&b, 0xcf8, 4), 0x80000000u);
	/* The host bridge: class 0x0600, header type 0. */
	assert_int_equal(cfg_read(&b, 0, 0x0a, 2), 0x0600);
	assert_int_equal(cfg_read(&b, 0, 0x0e, 1), 0x00);
	for (unsigned int dev = 0; dev < 32; dev++) {
		uint32_t id = cfg_read(&b, dev, 0, 4);

		if (id == 0xffffffffu)
			continue;
		found++;
		if (dev == 2) {
			assert_int_equal(id, 0x00015853u);
			assert_int_equal(cfg_read(&b, 2, 0x08, 4), 0xff800001u);
			assert_int_equal(cfg_read(&b, 2, 0x2c, 4), 0x00015853u);
			assert_int_equal(cfg_read(&b, 2, 0x3d, 1), 0); /* no pin */
		}
	}
	assert_int_equal(found, 2);
	/* Other functions, other buses, the enable bit clear: all-ones. */
	out(&b, 0xcf8, 4, cfg_addr(0, 2, 1, 0));
	assert_int_equal(in(&b, 0xcfc, 4), 0xffffffffu);
	out(&b, 0xcf8, 4, cfg_addr(1, 2, 0, 0));
	assert_int_equal(in(&b, 0xcfc, 4), 0xffffffffu);
	out(&b, 0xcf8, 4, cfg_addr(0, 2, 0, 0) & 0x7fffffffu);
	assert_int_equal(in(&b, 0xcfc, 2), 0xffff);
	/* Sub-dword reads pick their lanes. */
	assert_int_equal(cfg_read(&b, 2, 0x02, 2), 0x0001);
	assert_int_equal(cfg_read(&b, 2, 0x01, 1), 0x58);
}

/* Sizing: all-ones in, the mask and flags out; then placement. */
static void test_bars(void **state)
{
	struct bus b;
	struct pci_func *f;

	(void)state;
	bus_init(&b);
	f = b.xp.fn;
	assert_int_equal(cfg_read(&b, 2, 0x10, 4), 0xc001u);
	assert_int_equal(cfg_read(&b, 2, 0x14, 4), MMIO_BASE | 8);
	cfg_write(&b, 2, 0x10, 4, 0xffffffffu);
	assert_int_equal(cfg_read(&b, 2, 0x10, 4), 0xffffff01u);
	cfg_write(&b, 2, 0x14, 4, 0xffffffffu);
	assert_int_equal(cfg_read(&b, 2, 0x14, 4), 0xff000008u);
	/* No BAR2-5 and no ROM: they stay zero. */
	cfg_write(&b, 2, 0x18, 4, 0xffffffffu);
	assert_int_equal(cfg_read(&b, 2, 0x18, 4), 0);
	cfg_write(&b, 2, 0x30, 4, 0xffffffffu);
	assert_int_equal(cfg_read(&b, 2, 0x30, 4), 0);
	/* Moved by the guest: low bits dropped, the new base kept. */
	cfg_write(&b, 2, 0x14, 4, 0xe1234567u);
	assert_int_equal(cfg_read(&b, 2, 0x14, 4), 0xe1000008u);
	assert_int_equal(pci_func_bar_base(f, 1), 0xe1000000u);
	cfg_write(&b, 2, 0x10, 4, 0xd0ffu);
	assert_int_equal(pci_func_bar_base(f, 0), 0xd000u);
	assert_int_equal(pci_func_bar_base(f, 3), 0);
	/* Identity and class are read-only. */
	cfg_write(&b, 2, 0x00, 4, 0x12345678u);
	cfg_write(&b, 2, 0x08, 1, 0x77);
	assert_int_equal(cfg_read(&b, 2, 0, 4), 0x00015853u);
	assert_int_equal(cfg_read(&b, 2, 0x08, 4), 0xff800001u);
	/* The host bridge has no BARs. */
	cfg_write(&b, 0, 0x10, 4, 0xffffffffu);
	assert_int_equal(cfg_read(&b, 0, 0x10, 4), 0);
}

static void test_command_and_line(void **state)
{
	struct bus b;

	(void)state;
	bus_init(&b);
	cfg_write(&b, 2, 0x04, 2, 0xffff);
	assert_int_equal(cfg_read(&b, 2, 0x04, 4), 0x0407u);	/* status 0 */
	cfg_write(&b, 2, 0x06, 2, 0xffff);			/* status: RO */
	assert_int_equal(cfg_read(&b, 2, 0x04, 4), 0x0407u);
	cfg_write(&b, 2, 0x3c, 1, 11);
	assert_int_equal(cfg_read(&b, 2, 0x3c, 4), 11);		/* pin 0 */
	cfg_write(&b, 2, 0x3c, 4, 0xffffffffu);
	assert_int_equal(cfg_read(&b, 2, 0x3c, 4), 0xff);
	cfg_write(&b, 2, 0x0c, 2, 0x4010);
	assert_int_equal(cfg_read(&b, 2, 0x0c, 4), 0x4010);	/* hdr 0 */
}

/* Ports the bus does not own, and odd sizes: nothing breaks. */
static void test_ports(void **state)
{
	struct bus b;
	uint32_t v = 0x1234;

	(void)state;
	bus_init(&b);
	/* 0xcf9 (a byte) is the reset register, 0xcf8 only as a dword. */
	assert_false(pci_host_io(&b.h, 0xcf9, 1, true, &v));
	assert_false(pci_host_io(&b.h, 0xcf8, 2, false, &v));
	assert_false(pci_host_io(&b.h, 0xcfb, 1, true, &v));
	assert_false(pci_host_io(&b.h, 0xd00, 4, false, &v));
	assert_false(pci_host_io(&b.h, 0xcfc, 0, false, &v));
	assert_false(pci_host_io(&b.h, 0xcfc, 8, false, &v));
	/* A dword at 0xcfe: the lanes past the data register are dropped. */
	out(&b, 0xcf8, 4, cfg_addr(0, 2, 0, 0));
	assert_int_equal(in(&b, 0xcfe, 4), 0x0001u);
	out(&b, 0xcf8, 4, cfg_addr(0, 2, 0, 0xfc));
	assert_int_equal(in(&b, 0xcfc, 4), 0);
	/* A full bus refuses more; a taken devfn too. */
	assert_null(pci_host_add(&b.h, PCI_DEVFN(2, 0), 1, 1, 0, 0, 0));
	assert_non_null(pci_host_add(&b.h, PCI_DEVFN(3, 0), 1, 1, 0, 0, 0));
	assert_non_null(pci_host_add(&b.h, PCI_DEVFN(4, 0), 1, 1, 0, 0, 0));
	assert_null(pci_host_add(&b.h, PCI_DEVFN(5, 0), 1, 1, 0, 0, 0));
	/* BARs that are not a power of two, or misaligned. */
	assert_int_equal(pci_func_set_bar(b.xp.fn, 2, 0, 3, PCI_BAR_IO),
			 -EINVAL);
	assert_int_equal(pci_func_set_bar(b.xp.fn, 2, 0x10, 0x100, 0),
			 -EINVAL);
	assert_int_equal(pci_func_set_bar(b.xp.fn, 6, 0, 0x100, 0), -EINVAL);
	assert_int_equal(pci_func_set_bar(b.xp.fn, 2, 0, 0x100, 4), -EINVAL);
}

/* Linux's check_platform_magic, then its unplug write. */
static void test_xen_platform_ports(void **state)
{
	struct bus b;

	(void)state;
	bus_init(&b);
	assert_int_equal(in(&b, 0x10, 2), 0x49d2);
	assert_int_equal(in(&b, 0x12, 1), 1);
	out(&b, 0x12, 2, 0xffff);			/* product number */
	out(&b, 0x10, 4, 0x060c0000);			/* driver version */
	assert_int_equal(in(&b, 0x10, 2), 0x49d2);	/* not blacklisted */
	out(&b, 0x10, 2, 3);				/* disks and NICs */
	assert_int_equal(b.xp.unplugged, 3);
	assert_int_equal(b.xp.product, 0xffff);
	assert_int_equal(b.xp.driver_version, 0x060c0000);
	assert_int_equal(in(&b, 0x10, 1), 0);		/* platform flags */
	assert_int_equal(in(&b, 0x11, 1), 0xffffffffu);
	assert_int_equal(in(&b, 0x13, 4), 0xffffffffu);
	/* Neighbours are not its. */
	uint32_t v;
	assert_false(xen_platform_io(&b.xp, 0x0f, 1, false, &v));
	assert_false(xen_platform_io(&b.xp, 0x14, 1, false, &v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enumerate),
		cmocka_unit_test(test_bars),
		cmocka_unit_test(test_command_and_line),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_xen_platform_ports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_HVM_DEV_H
#define PVISOR_HVM_DEV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "pvisor/pci_host.h"

/*
 * The port-I/O devices of an HVM guest's PC that are modelled in user
 * space (arch/x86/hvm): COM1's 16550A, the CMOS RTC and the power/reset
 * ports. The interrupt controllers and the PIT are KVM's. None of these
 * calls into KVM; the caller routes port exits here and raises IRQs.
 */

/*
 * 16550A UART (uart16550.c). Registers are reg = port - base (0..7);
 * anything else reads 0xff and ignores writes. PC wiring: COM1 is
 * 0x3f8, IRQ 4 (edge, ISA). Transmission is instant; received bytes
 * queue in a UART_RX_SIZE buffer the guest drains through the FIFO
 * registers. All calls are thread-safe.
 */
#define UART_RX_SIZE	256

struct uart16550;

struct uart16550_ops {
	/* Bytes the guest transmitted (called without the UART lock held). */
	void (*tx)(void *opaque, const uint8_t *buf, size_t len);
	/*
	 * The interrupt line's level changed (called with the lock held;
	 * must not call back into the UART).
	 */
	void (*set_irq)(void *opaque, bool level);
};

/* ops is copied; either callback may be NULL. */
int uart16550_create(const struct uart16550_ops *ops, void *opaque,
		     struct uart16550 **out);
void uart16550_destroy(struct uart16550 *u);
/* A guest access to register reg (0..7, port - base). */
uint8_t uart16550_read(struct uart16550 *u, unsigned int reg);
void uart16550_write(struct uart16550 *u, unsigned int reg, uint8_t val);
/*
 * Host input for the guest: returns how many bytes were taken (the rest
 * must be retried later). Takes none while the guest has the UART in
 * loopback (its receiver is disconnected then).
 */
size_t uart16550_receive(struct uart16550 *u, const uint8_t *buf,
			 size_t len);
/* How much receive space is free (0 in loopback). */
size_t uart16550_rx_room(struct uart16550 *u);

/*
 * MC146818 CMOS RTC (rtc_cmos.c), ports 0x70 (index, write-only: reads
 * 0xff; bit 7 is the NMI mask and is ignored) and 0x71 (data). No IRQ 8:
 * status C's flags can be polled but never interrupt. The clock is UTC;
 * a guest's setting is kept as an offset from it. The century is at
 * 0x32 (the FADT's CENTURY). A plain struct the caller embeds;
 * its own mutex makes every call thread-safe.
 */
#define RTC_CMOS_INDEX	0x70
#define RTC_CMOS_DATA	0x71

struct rtc_cmos {
	pthread_mutex_t lock;
	time_t (*now)(void);
	int64_t offset;		/* guest's time - host's, seconds */
	struct tm staged;	/* the time being set while SET is 1 */
	time_t last_uf;		/* second at which UF was last cleared */
	uint8_t index;
	uint8_t ram[128];	/* status, alarm and NVRAM bytes */
};

/* now: an injectable clock, NULL = time(). */
void rtc_cmos_init(struct rtc_cmos *r, time_t (*now)(void));
void rtc_cmos_destroy(struct rtc_cmos *r);
/* port is 0x70 or 0x71; others read 0xff and ignore writes. */
uint8_t rtc_cmos_read(struct rtc_cmos *r, uint16_t port);
void rtc_cmos_write(struct rtc_cmos *r, uint16_t port, uint8_t val);

/*
 * PC power control (pc_power.c): the ACPI PM1a event and control blocks
 * (fixed hardware, SCI_EN always 1, no SMI_CMD), the reset control
 * register 0xcf9, port 0x92's fast reset and an absent keyboard
 * controller at 0x60/0x64 that still honours the reset command. A plain
 * struct the caller embeds; thread-safe.
 */
enum pc_power_event { PC_POWER_NONE, PC_POWER_OFF, PC_POWER_RESET };

struct pc_power_config {
	uint16_t pm1a_evt, pm1a_cnt;	/* e.g. 0x600, 0x604 */
	uint8_t s5_slp_typ;		/* the DSDT's _S5 value, e.g. 5 */
	uint16_t pm_tmr;		/* PM timer (4 bytes), e.g. 0x608; 0: none */
};

/* The ACPI PM timer's rate (Hz) and width: 32 bits (FADT TMR_VAL_EXT). */
#define PC_PM_TMR_HZ	3579545u

struct pc_power {
	pthread_mutex_t lock;
	struct pc_power_config cfg;
	uint16_t pm1_sts, pm1_en, pm1_cnt;
	uint8_t cf9, port92;
	/* 0xd1 seen: the next 0x60 byte is the output port. */
	bool kbc_wait_outport;
	/* The PM timer's clock in ns (CLOCK_MONOTONIC; tests replace it). */
	uint64_t (*now_ns)(void);
	uint32_t tmr_latch;		/* the count this access reads */
};

/* -EINVAL if the blocks overlap each other or the fixed ports. */
int pc_power_init(struct pc_power *p, const struct pc_power_config *c);
void pc_power_destroy(struct pc_power *p);
/*
 * Does port belong to this device (pm1a_evt..+3, pm1a_cnt..+1, 0xcf9,
 * 0x92, 0x60, 0x64)?
 */
bool pc_power_claims(const struct pc_power_config *c, uint16_t port);
/*
 * An access of size 1, 2 or 4 at port (bytes beyond our ports read 0xff
 * and ignore writes); returns what the guest asked for.
 */
enum pc_power_event pc_power_io(struct pc_power *p, uint16_t port,
				unsigned int size, bool is_write,
				uint32_t *value);
/* The power button was pressed: sets PWRBTN_STS. */
void pc_power_button(struct pc_power *p);
/* The SCI's level: some enabled PM1 event is pending. */
bool pc_power_sci(struct pc_power *p);

/*
 * Xen's platform PCI device (xen_platform.c), 5853:0001, through which
 * an HVM Linux finds its PV drivers' resources: BAR0 a 256-byte I/O
 * range nothing decodes, BAR1 the memory range where the guest puts its
 * grant frames. Beside it, Xen's fixed "unplug" ports 0x10-0x13: the
 * magic 0x49d2, protocol version 1, and the masks of emulated disks and
 * NICs to remove (there are none; the request is recorded).
 */
#define XEN_PLATFORM_DEVFN	PCI_DEVFN(2, 0)
#define XEN_PLATFORM_IO_BASE	0xc000u
#define XEN_PLATFORM_IO_SIZE	0x100u
#define XEN_PLATFORM_MMIO_SIZE	0x1000000u	/* 16 MiB, as Xen's */
#define XEN_PLATFORM_PORT	0x10

struct xen_platform {
	struct pci_func *fn;
	uint16_t unplugged;		/* UNPLUG masks the guest wrote */
	uint16_t product;		/* its PV driver product number */
	uint32_t driver_version;
};

/* The device on bus h, BAR1 at mmio_base. */
int xen_platform_init(struct xen_platform *p, struct pci_host *h,
		      uint32_t mmio_base);
/* Ports 0x10-0x13: true if port is one of them (any size, value). */
bool xen_platform_io(struct xen_platform *p, uint16_t port,
		     unsigned int size, bool is_write, uint32_t *value);

#endif

// SPDX-License-Identifier: MIT
/*
 * The emulated PC of an HVM domain. KVM holds the interrupt controllers
 * and the PIT (plat_vm_setup_irqchip); what is left for us is port I/O:
 * COM1 (the interactive console), Xen's debug port 0xe9 (output only,
 * as Xen's HVM has it), the CMOS RTC, ACPI's fixed hardware (PM1a
 * blocks, PM timer) with the reset ports, PCI configuration space and
 * Xen's platform device with its ports. Everything else reads as all-ones and
 * ignores writes, as an empty ISA bus does. Every port, size and value
 * comes from the guest: the device models take any of them.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include <pvabi/sched.h>

#include "pvisor/domain.h"
#include "pvisor/hvm.h"
#include "pvisor/hvm_dev.h"
#include "pvisor/hvm_pc.h"
#include "pvisor/log.h"

#define COM1_BASE	0x3f8
#define COM1_IRQ	4
#define RTC_BASE	0x70
/* Xen's HVM debug port: bytes written are guest console output. */
#define DEBUG_PORT	0xe9

struct hvm_pc {
	struct domain *d;
	struct uart16550 *com1;
	struct rtc_cmos rtc;
	struct pc_power power;
	struct pc_power_config power_cfg;
	/* The PCI bus and what is on it; the lock orders their accesses. */
	bool has_pci, has_xen_platform;
	pthread_mutex_t pci_lock;
	struct pci_host pci;
	struct xen_platform xen_platform;
};

static void com1_tx(void *opaque, const uint8_t *buf, size_t len)
{
	struct hvm_pc *pc = opaque;

	domain_console_write(pc->d, (const char *)buf, len);
}

static void com1_irq(void *opaque, bool level)
{
	struct hvm_pc *pc = opaque;

	plat_vm_set_irq(pc->d->vm, COM1_IRQ, level);
}

static const struct uart16550_ops com1_ops = {
	.tx = com1_tx,
	.set_irq = com1_irq,
};

int hvm_pc_create(struct domain *d, unsigned int parts)
{
	struct hvm_pc *pc = calloc(1, sizeof(*pc));
	int rc;

	if (!pc)
		return -ENOMEM;
	pc->d = d;
	pc->power_cfg = (struct pc_power_config){
		.pm1a_evt = HVM_PM1A_EVT, .pm1a_cnt = HVM_PM1A_CNT,
		.s5_slp_typ = HVM_S5_SLP_TYP, .pm_tmr = HVM_PM_TMR,
	};
	rc = pc_power_init(&pc->power, &pc->power_cfg);
	if (rc) {
		free(pc);
		return rc;
	}
	rtc_cmos_init(&pc->rtc, NULL);
	pthread_mutex_init(&pc->pci_lock, NULL);
	pc->has_pci = parts & HVM_PC_PCI;
	pc->has_xen_platform = pc->has_pci && (parts & HVM_PC_XEN_PLATFORM);
	pci_host_init(&pc->pci);
	rc = pc->has_xen_platform ?
		xen_platform_init(&pc->xen_platform, &pc->pci,
				  HVM_PCI_MMIO_BASE) : 0;
	if (!rc && (parts & HVM_PC_COM1))
		rc = uart16550_create(&com1_ops, pc, &pc->com1);
	if (rc) {
		pthread_mutex_destroy(&pc->pci_lock);
		rtc_cmos_destroy(&pc->rtc);
		pc_power_destroy(&pc->power);
		free(pc);
		return rc;
	}
	d->pc = pc;
	return 0;
}

void hvm_pc_destroy(struct domain *d)
{
	struct hvm_pc *pc = d->pc;

	if (!pc)
		return;
	if (pc->com1)
		uart16550_destroy(pc->com1);
	rtc_cmos_destroy(&pc->rtc);
	pc_power_destroy(&pc->power);
	pthread_mutex_destroy(&pc->pci_lock);
	free(pc);
	d->pc = NULL;
}

bool hvm_pc_has_pci(const struct domain *d)
{
	return d->pc && d->pc->has_pci;
}

/* PCI configuration space and the Xen platform ports, under one lock. */
static bool pc_pci_io(struct hvm_pc *pc, uint16_t port, unsigned int size,
		      bool is_write, uint32_t *value)
{
	bool claimed = false;

	if (!pc->has_pci)
		return false;
	pthread_mutex_lock(&pc->pci_lock);
	if (pc->has_xen_platform)
		claimed = xen_platform_io(&pc->xen_platform, port, size,
					  is_write, value);
	if (!claimed)
		claimed = pci_host_io(&pc->pci, port, size, is_write, value);
	pthread_mutex_unlock(&pc->pci_lock);
	return claimed;
}

/* What a power-control access asked for, carried out. */
static void pc_power_act(struct hvm_pc *pc, enum pc_power_event ev)
{
	if (ev == PC_POWER_OFF)
		domain_shutdown(pc->d, SHUTDOWN_poweroff);
	else if (ev == PC_POWER_RESET)
		domain_shutdown(pc->d, SHUTDOWN_reboot);
}

/* One byte-wide register file access, little-endian across a word. */
static void uart_access(struct uart16550 *u, unsigned int reg,
			unsigned int size, bool is_write, uint32_t *value)
{
	uint32_t v = 0;

	for (unsigned int i = 0; i < size && reg + i < 8; i++) {
		if (is_write)
			uart16550_write(u, reg + i, (uint8_t)(*value >> (8 * i)));
		else
			v |= (uint32_t)uart16550_read(u, reg + i) << (8 * i);
	}
	if (!is_write)
		*value = v;
}

bool hvm_pc_io(struct domain *d, uint16_t port, unsigned int size,
	       bool is_write, uint32_t *value)
{
	struct hvm_pc *pc = d->pc;
	enum pc_power_event ev = PC_POWER_NONE;

	if (!pc || !size || size > 4)
		return false;
	if (pc->com1 && port >= COM1_BASE && port < COM1_BASE + 8) {
		uart_access(pc->com1, port - COM1_BASE, size, is_write, value);
		return true;
	}
	if (port == DEBUG_PORT) {
		if (is_write)
			for (unsigned int i = 0; i < size; i++) {
				char c = (char)(*value >> (8 * i));

				domain_console_write(d, &c, 1);
			}
		else
			*value = 0xffffffffu;
		return true;
	}
	if (port == RTC_BASE || port == RTC_BASE + 1) {
		if (is_write)
			rtc_cmos_write(&pc->rtc, port, (uint8_t)*value);
		else
			*value = 0xffffff00u | rtc_cmos_read(&pc->rtc, port);
		return true;
	}
	/* Before power control: 0xcf8 as a dword is PCI's, 0xcf9 a reset. */
	if (pc_pci_io(pc, port, size, is_write, value))
		return true;
	if (pc_power_claims(&pc->power_cfg, port)) {
		ev = pc_power_io(&pc->power, port, size, is_write, value);
		pc_power_act(pc, ev);
		return true;
	}
	return false;
}

size_t hvm_pc_console_input(struct domain *d, const char *buf, size_t len)
{
	if (!d->pc || !d->pc->com1)
		return 0;
	return uart16550_receive(d->pc->com1, (const uint8_t *)buf, len);
}

size_t hvm_pc_console_room(struct domain *d)
{
	return d->pc && d->pc->com1 ? uart16550_rx_room(d->pc->com1) : 0;
}

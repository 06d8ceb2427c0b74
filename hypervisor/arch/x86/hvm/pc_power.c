// SPDX-License-Identifier: MIT
/*
 * How an HVM guest turns its PC off or resets it: ACPI's PM1a fixed
 * registers (ACPI spec, "PM1 Event Grouping" and "PM1 Control
 * Grouping"), the chipset's reset control register at 0xcf9, port 0x92's
 * fast reset and the keyboard controller's pulse-reset commands; and the
 * ACPI PM timer, a 32-bit 3.579545 MHz counter the guest may calibrate
 * its TSC against (writes to it are ignored).
 * Accesses are split into bytes so any size at any offset works like the
 * byte-wide bus behind it; sleep states other than S5 do not exist here.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "pvisor/hvm_dev.h"

#define PM1_EVT_LEN	4
#define PM1_CNT_LEN	2

/* PM1 status and enable bits; only the power button ever sets one. */
#define STS_TMR		0x0001
#define STS_GBL		0x0020
#define STS_PWRBTN	0x0100
#define STS_SLPBTN	0x0200
#define STS_RTC		0x0400
#define EN_PCIEXP_WAKE_DIS 0x4000
#define EN_MASK		(STS_TMR | STS_GBL | STS_PWRBTN | STS_SLPBTN | \
			 STS_RTC | EN_PCIEXP_WAKE_DIS)
/* The events that raise the SCI when enabled. */
#define SCI_EVENTS	(STS_TMR | STS_GBL | STS_PWRBTN | STS_SLPBTN | \
			 STS_RTC)

#define CNT_SCI_EN	0x0001
#define CNT_BM_RLD	0x0002
#define CNT_SLP_TYP	0x1c00
#define CNT_SLP_EN	0x2000
#define CNT_KEPT	(CNT_BM_RLD | CNT_SLP_TYP)

#define PORT_KBC_DATA	0x60
#define PORT_KBC_CMD	0x64
#define PORT_92		0x92
#define PORT_CF9	0xcf9

#define CF9_SYS_RST	0x02
#define CF9_RST_CPU	0x04
#define CF9_FULL_RST	0x08
#define P92_RESET	0x01
#define P92_A20		0x02

/*
 * No keyboard: the output buffer always holds 0xff, as a floating bus
 * would, so i8042's flush finds "no controller" at once; the input
 * buffer is never busy, so the reboot path's wait for it ends at once.
 */
#define KBC_STATUS	0x01
#define KBC_NO_DATA	0xff
#define KBC_WRITE_OUT	0xd1
/* 0xf0-0xff pulse the output port bits that are 0 in the command. */
#define KBC_PULSE	0xf0

static bool in_block(unsigned int port, uint16_t base, unsigned int len)
{
	return port >= base && port < (unsigned int)base + len;
}

static bool fixed_port(unsigned int port)
{
	return port == PORT_CF9 || port == PORT_92 ||
	       port == PORT_KBC_CMD || port == PORT_KBC_DATA;
}

#define PM_TMR_LEN	4

static bool in_tmr(const struct pc_power_config *c, unsigned int port)
{
	return c->pm_tmr && in_block(port, c->pm_tmr, PM_TMR_LEN);
}

bool pc_power_claims(const struct pc_power_config *c, uint16_t port)
{
	return in_block(port, c->pm1a_evt, PM1_EVT_LEN) ||
	       in_block(port, c->pm1a_cnt, PM1_CNT_LEN) || in_tmr(c, port) ||
	       fixed_port(port);
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The free-running 3.579545 MHz counter, its low 32 bits. */
static uint32_t pm_tmr_count(const struct pc_power *p)
{
	return (uint32_t)((unsigned __int128)p->now_ns() * PC_PM_TMR_HZ /
			  1000000000u);
}

static bool block_hits_fixed(uint16_t base, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		if (fixed_port((unsigned int)base + i))
			return true;
	return false;
}

int pc_power_init(struct pc_power *p, const struct pc_power_config *c)
{
	unsigned int e = c->pm1a_evt, n = c->pm1a_cnt;

	unsigned int m = c->pm_tmr;

	if (c->s5_slp_typ > 7 || e + PM1_EVT_LEN > 0x10000 ||
	    n + PM1_CNT_LEN > 0x10000 || m + PM_TMR_LEN > 0x10000)
		return -EINVAL;
	if (n + PM1_CNT_LEN > e && e + PM1_EVT_LEN > n)
		return -EINVAL;
	if (m && ((m + PM_TMR_LEN > e && e + PM1_EVT_LEN > m) ||
		  (m + PM_TMR_LEN > n && n + PM1_CNT_LEN > m)))
		return -EINVAL;
	if (block_hits_fixed(c->pm1a_evt, PM1_EVT_LEN) ||
	    block_hits_fixed(c->pm1a_cnt, PM1_CNT_LEN) ||
	    (m && block_hits_fixed(m, PM_TMR_LEN)))
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	if (pthread_mutex_init(&p->lock, NULL))
		return -ENOMEM;
	p->cfg = *c;
	p->now_ns = monotonic_ns;
	return 0;
}

void pc_power_destroy(struct pc_power *p)
{
	pthread_mutex_destroy(&p->lock);
}

static uint8_t read_byte(struct pc_power *p, unsigned int port)
{
	unsigned int off;
	uint16_t cnt;

	if (in_block(port, p->cfg.pm1a_evt, PM1_EVT_LEN)) {
		off = port - p->cfg.pm1a_evt;
		if (off < 2)
			return p->pm1_sts >> (8 * off);
		return p->pm1_en >> (8 * (off - 2));
	}
	if (in_tmr(&p->cfg, port))
		return p->tmr_latch >> (8 * (port - p->cfg.pm_tmr));
	if (in_block(port, p->cfg.pm1a_cnt, PM1_CNT_LEN)) {
		/* ACPI mode for good: SCI_EN is never 0. */
		cnt = (p->pm1_cnt & CNT_KEPT) | CNT_SCI_EN;
		return cnt >> (8 * (port - p->cfg.pm1a_cnt));
	}
	switch (port) {
	case PORT_CF9:
		return p->cf9;
	case PORT_92:
		/* A20 cannot be turned off under KVM: it reads as on. */
		return p->port92 | P92_A20;
	case PORT_KBC_CMD:
		return KBC_STATUS;
	case PORT_KBC_DATA:
		return KBC_NO_DATA;
	}
	return 0xff;
}

static enum pc_power_event write_cnt(struct pc_power *p, unsigned int off,
				     uint8_t v)
{
	uint16_t val = (uint16_t)(v << (8 * off));
	uint16_t mask = (uint16_t)(0xff << (8 * off));
	unsigned int typ;

	p->pm1_cnt = (p->pm1_cnt & ~mask) | (val & mask & CNT_KEPT);
	if (!(val & CNT_SLP_EN))
		return PC_POWER_NONE;
	typ = (val & CNT_SLP_TYP) >> 10;
	/* S5 only; a request for a sleep state we lack does nothing. */
	return typ == p->cfg.s5_slp_typ ? PC_POWER_OFF : PC_POWER_NONE;
}

static enum pc_power_event write_byte(struct pc_power *p, unsigned int port,
				      uint8_t v)
{
	unsigned int off, sh;
	uint8_t old;

	if (in_block(port, p->cfg.pm1a_evt, PM1_EVT_LEN)) {
		off = port - p->cfg.pm1a_evt;
		if (off < 2) {
			/* Status bits are write-1-to-clear. */
			p->pm1_sts &= ~(uint16_t)(v << (8 * off));
		} else {
			sh = 8 * (off - 2);
			p->pm1_en = (p->pm1_en & ~(0xff << sh)) |
				    ((v << sh) & EN_MASK);
		}
		return PC_POWER_NONE;
	}
	if (in_block(port, p->cfg.pm1a_cnt, PM1_CNT_LEN))
		return write_cnt(p, port - p->cfg.pm1a_cnt, v);

	switch (port) {
	case PORT_CF9:
		/*
		 * RST_CPU self-clears, so every write with it set is the
		 * 0->1 edge that resets; SYS_RST picks hard or soft, and
		 * either is a reset of the domain here.
		 */
		p->cf9 = v & (CF9_SYS_RST | CF9_FULL_RST);
		return v & CF9_RST_CPU ? PC_POWER_RESET : PC_POWER_NONE;
	case PORT_92:
		old = p->port92;
		p->port92 = v & P92_RESET;
		if ((v & P92_RESET) && !(old & P92_RESET))
			return PC_POWER_RESET;
		return PC_POWER_NONE;
	case PORT_KBC_CMD:
		p->kbc_wait_outport = v == KBC_WRITE_OUT;
		/* Output port bit 0 is the reset line, active low. */
		if (v >= KBC_PULSE && !(v & 1))
			return PC_POWER_RESET;
		return PC_POWER_NONE;
	case PORT_KBC_DATA:
		if (!p->kbc_wait_outport)
			return PC_POWER_NONE;
		p->kbc_wait_outport = false;
		return v & 1 ? PC_POWER_NONE : PC_POWER_RESET;
	}
	return PC_POWER_NONE;
}

enum pc_power_event pc_power_io(struct pc_power *p, uint16_t port,
				unsigned int size, bool is_write,
				uint32_t *value)
{
	enum pc_power_event ev = PC_POWER_NONE, e;
	uint32_t v = 0;
	unsigned int i;

	if (!value)
		return PC_POWER_NONE;
	if (size != 1 && size != 2 && size != 4) {
		if (!is_write)
			*value = ~0u;
		return PC_POWER_NONE;
	}
	pthread_mutex_lock(&p->lock);
	/* One sample per access: a dword read must not tear across bytes. */
	if (!is_write && (in_tmr(&p->cfg, port) ||
			  in_tmr(&p->cfg, port + size - 1)))
		p->tmr_latch = pm_tmr_count(p);
	for (i = 0; i < size; i++) {
		if (!is_write) {
			v |= (uint32_t)read_byte(p, port + i) << (8 * i);
			continue;
		}
		e = write_byte(p, port + i, *value >> (8 * i));
		if (ev == PC_POWER_NONE)
			ev = e;
	}
	pthread_mutex_unlock(&p->lock);
	if (!is_write)
		*value = v;
	return ev;
}

void pc_power_button(struct pc_power *p)
{
	pthread_mutex_lock(&p->lock);
	p->pm1_sts |= STS_PWRBTN;
	pthread_mutex_unlock(&p->lock);
}

bool pc_power_sci(struct pc_power *p)
{
	bool level;

	pthread_mutex_lock(&p->lock);
	level = p->pm1_sts & p->pm1_en & SCI_EVENTS;
	pthread_mutex_unlock(&p->lock);
	return level;
}

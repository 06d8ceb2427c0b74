// SPDX-License-Identifier: MIT
/*
 * A 16550A UART for an HVM guest's serial console (National PC16550D
 * datasheet). Characters leave the instant THR is written, so THR and
 * the transmitter are always empty; input waits in a buffer larger than
 * the chip's 16-byte FIFO so a paste is not refused after 16 bytes.
 * Line errors never happen except the overrun a guest causes itself by
 * looping back into a full receiver.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pvisor/hvm_dev.h"

#define TX_RING		256
#define CHIP_FIFO	16

#define REG_RBR		0	/* THR on write, DLL with DLAB */
#define REG_IER		1	/* DLM with DLAB */
#define REG_IIR		2	/* FCR on write */
#define REG_LCR		3
#define REG_MCR		4
#define REG_LSR		5
#define REG_MSR		6
#define REG_SCR		7

#define IER_ERBFI	0x01
#define IER_ETBEI	0x02
#define IER_ELSI	0x04
#define IER_EDSSI	0x08

#define IIR_NONE	0x01
#define IIR_MSR		0x00
#define IIR_THRE	0x02
#define IIR_RDA		0x04
#define IIR_RLS		0x06
#define IIR_TIMEOUT	0x0c
#define IIR_FIFO	0xc0

#define FCR_ENABLE	0x01
#define FCR_CLR_RX	0x02

#define LCR_DLAB	0x80

#define MCR_DTR		0x01
#define MCR_RTS		0x02
#define MCR_OUT1	0x04
#define MCR_OUT2	0x08
#define MCR_LOOP	0x10
#define MCR_MASK	0x1f

#define LSR_DR		0x01
#define LSR_OE		0x02
#define LSR_THRE	0x20
#define LSR_TEMT	0x40

#define MSR_DCTS	0x01
#define MSR_DDSR	0x02
#define MSR_TERI	0x04
#define MSR_DDCD	0x08
#define MSR_CTS		0x10
#define MSR_DSR		0x20
#define MSR_RI		0x40
#define MSR_DCD		0x80
/* A console cable: carrier, DSR and CTS up, no ring. */
#define MSR_CABLE	(MSR_DCD | MSR_DSR | MSR_CTS)

struct uart16550 {
	pthread_mutex_t lock;
	pthread_cond_t tx_room;
	struct uart16550_ops ops;
	void *opaque;

	uint8_t ier, lcr, mcr, scr, dll, dlm;
	bool fifo_on;
	uint8_t trigger;	/* RX FIFO trigger level in bytes */
	bool overrun;
	bool thre_pending;	/* the THRE interrupt is latched */
	uint8_t msr_delta;
	bool irq_level;

	uint8_t rx[UART_RX_SIZE];
	unsigned int rx_head, rx_count;

	/* Transmitted bytes on their way to ops.tx, in THR order. */
	uint8_t tx[TX_RING];
	unsigned int tx_head, tx_count;
	bool tx_busy;		/* a thread is draining tx[] */
};

static const uint8_t trigger_levels[4] = { 1, 4, 8, 14 };

/* The modem inputs: looped back from MCR, or the cable's. */
static uint8_t modem_lines(uint8_t mcr)
{
	uint8_t m = 0;

	if (!(mcr & MCR_LOOP))
		return MSR_CABLE;
	if (mcr & MCR_RTS)
		m |= MSR_CTS;
	if (mcr & MCR_DTR)
		m |= MSR_DSR;
	if (mcr & MCR_OUT1)
		m |= MSR_RI;
	if (mcr & MCR_OUT2)
		m |= MSR_DCD;
	return m;
}

/* The highest-priority pending interrupt, as IIR's low nibble. */
static uint8_t pending_id(const struct uart16550 *u)
{
	if ((u->ier & IER_ELSI) && u->overrun)
		return IIR_RLS;
	if ((u->ier & IER_ERBFI) && u->rx_count) {
		/* Below the trigger the chip would time out; do it now. */
		if (u->fifo_on && u->rx_count < u->trigger)
			return IIR_TIMEOUT;
		return IIR_RDA;
	}
	if ((u->ier & IER_ETBEI) && u->thre_pending)
		return IIR_THRE;
	if ((u->ier & IER_EDSSI) && u->msr_delta)
		return IIR_MSR;
	return IIR_NONE;
}

/*
 * OUT2 gates the IRQ on a PC; loopback forces the OUT pins inactive,
 * so it closes the gate too.
 */
static void update_irq(struct uart16550 *u)
{
	bool level = pending_id(u) != IIR_NONE &&
		     (u->mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;

	if (level == u->irq_level)
		return;
	u->irq_level = level;
	if (u->ops.set_irq)
		u->ops.set_irq(u->opaque, level);
}

static void rx_clear(struct uart16550 *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

static bool rx_push(struct uart16550 *u, uint8_t b, unsigned int limit)
{
	if (u->rx_count >= limit)
		return false;
	u->rx[(u->rx_head + u->rx_count) % UART_RX_SIZE] = b;
	u->rx_count++;
	return true;
}

/* Lock held; may wait (dropping it) while ops.tx drains a full ring. */
static void tx_push(struct uart16550 *u, uint8_t b)
{
	while (u->tx_count == TX_RING)
		pthread_cond_wait(&u->tx_room, &u->lock);
	u->tx[(u->tx_head + u->tx_count) % TX_RING] = b;
	u->tx_count++;
}

/*
 * Hand queued bytes to ops.tx without the lock. One thread drains at a
 * time so bytes reach ops.tx in THR order; others just queue.
 */
static void tx_drain(struct uart16550 *u)
{
	uint8_t buf[TX_RING];
	unsigned int n, first;

	if (u->tx_busy)
		return;
	u->tx_busy = true;
	while (u->tx_count) {
		n = u->tx_count;
		first = TX_RING - u->tx_head;
		if (first > n)
			first = n;
		memcpy(buf, u->tx + u->tx_head, first);
		memcpy(buf + first, u->tx, n - first);
		u->tx_head = (u->tx_head + n) % TX_RING;
		u->tx_count = 0;
		pthread_cond_broadcast(&u->tx_room);
		pthread_mutex_unlock(&u->lock);
		if (u->ops.tx)
			u->ops.tx(u->opaque, buf, n);
		pthread_mutex_lock(&u->lock);
	}
	u->tx_busy = false;
}

int uart16550_create(const struct uart16550_ops *ops, void *opaque,
		     struct uart16550 **out)
{
	struct uart16550 *u;

	if (!out)
		return -EINVAL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	if (pthread_mutex_init(&u->lock, NULL)) {
		free(u);
		return -ENOMEM;
	}
	if (pthread_cond_init(&u->tx_room, NULL)) {
		pthread_mutex_destroy(&u->lock);
		free(u);
		return -ENOMEM;
	}
	if (ops)
		u->ops = *ops;
	u->opaque = opaque;
	/* 115200 baud: a zero divisor would make a baud probe divide by 0. */
	u->dll = 1;
	u->trigger = 1;
	*out = u;
	return 0;
}

void uart16550_destroy(struct uart16550 *u)
{
	if (!u)
		return;
	pthread_cond_destroy(&u->tx_room);
	pthread_mutex_destroy(&u->lock);
	free(u);
}

static uint8_t read_locked(struct uart16550 *u, unsigned int reg)
{
	uint8_t v, id;

	switch (reg) {
	case REG_RBR:
		if (u->lcr & LCR_DLAB)
			return u->dll;
		if (!u->rx_count)
			return 0;
		v = u->rx[u->rx_head];
		u->rx_head = (u->rx_head + 1) % UART_RX_SIZE;
		u->rx_count--;
		return v;
	case REG_IER:
		return u->lcr & LCR_DLAB ? u->dlm : u->ier;
	case REG_IIR:
		id = pending_id(u);
		/* Reading IIR acknowledges THRE when THRE is what it says. */
		if (id == IIR_THRE)
			u->thre_pending = false;
		return id | (u->fifo_on ? IIR_FIFO : 0);
	case REG_LCR:
		return u->lcr;
	case REG_MCR:
		return u->mcr;
	case REG_LSR:
		v = LSR_THRE | LSR_TEMT;
		if (u->rx_count)
			v |= LSR_DR;
		if (u->overrun)
			v |= LSR_OE;
		u->overrun = false;
		return v;
	case REG_MSR:
		v = modem_lines(u->mcr) | u->msr_delta;
		u->msr_delta = 0;
		return v;
	case REG_SCR:
		return u->scr;
	}
	return 0xff;
}

uint8_t uart16550_read(struct uart16550 *u, unsigned int reg)
{
	uint8_t v;

	if (reg > REG_SCR)
		return 0xff;
	pthread_mutex_lock(&u->lock);
	v = read_locked(u, reg);
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return v;
}

/* MCR changed: the inputs it loops back may have moved. */
static void write_mcr(struct uart16550 *u, uint8_t val)
{
	uint8_t old = modem_lines(u->mcr), now;

	u->mcr = val & MCR_MASK;
	now = modem_lines(u->mcr);
	if ((old ^ now) & MSR_CTS)
		u->msr_delta |= MSR_DCTS;
	if ((old ^ now) & MSR_DSR)
		u->msr_delta |= MSR_DDSR;
	if ((old & MSR_RI) && !(now & MSR_RI))
		u->msr_delta |= MSR_TERI;
	if ((old ^ now) & MSR_DCD)
		u->msr_delta |= MSR_DDCD;
}

static void write_fcr(struct uart16550 *u, uint8_t val)
{
	bool on = val & FCR_ENABLE;

	/* Switching the FIFOs on or off empties them. */
	if (on != u->fifo_on)
		rx_clear(u);
	u->fifo_on = on;
	/* Other bits only take with FCR0 set. */
	if (!on)
		return;
	if (val & FCR_CLR_RX)
		rx_clear(u);
	u->trigger = trigger_levels[val >> 6];
}

void uart16550_write(struct uart16550 *u, unsigned int reg, uint8_t val)
{
	uint8_t old;

	if (reg > REG_SCR)
		return;
	pthread_mutex_lock(&u->lock);
	switch (reg) {
	case REG_RBR:
		if (u->lcr & LCR_DLAB) {
			u->dll = val;
			break;
		}
		if (u->mcr & MCR_LOOP) {
			/* The chip's own depth, as Linux's size_fifo sees. */
			if (!rx_push(u, val, u->fifo_on ? CHIP_FIFO : 1))
				u->overrun = true;
		} else {
			tx_push(u, val);
		}
		/* Sent at once: THR is empty again. */
		u->thre_pending = true;
		break;
	case REG_IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = val;
			break;
		}
		old = u->ier;
		u->ier = val & 0x0f;
		/* Enabling ETBEI with THR empty raises THRE at once. */
		if ((u->ier & IER_ETBEI) && !(old & IER_ETBEI))
			u->thre_pending = true;
		break;
	case REG_IIR:
		write_fcr(u, val);
		break;
	case REG_LCR:
		u->lcr = val;
		break;
	case REG_MCR:
		write_mcr(u, val);
		break;
	case REG_LSR:
	case REG_MSR:
		/* Factory test registers on the real part: ignored. */
		break;
	case REG_SCR:
		u->scr = val;
		break;
	}
	update_irq(u);
	tx_drain(u);
	pthread_mutex_unlock(&u->lock);
}

size_t uart16550_receive(struct uart16550 *u, const uint8_t *buf,
			 size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&u->lock);
	if (!(u->mcr & MCR_LOOP)) {
		while (n < len && rx_push(u, buf[n], UART_RX_SIZE))
			n++;
		update_irq(u);
	}
	pthread_mutex_unlock(&u->lock);
	return n;
}

size_t uart16550_rx_room(struct uart16550 *u)
{
	size_t room = 0;

	pthread_mutex_lock(&u->lock);
	if (!(u->mcr & MCR_LOOP))
		room = UART_RX_SIZE - u->rx_count;
	pthread_mutex_unlock(&u->lock);
	return room;
}

/* SPDX-License-Identifier: MIT */
/*
 * The 16550A UART (arch/x86/hvm/uart16550.c): Linux's 8250 driver's
 * view of it (init, autoconfig, THRE rules, interrupts), loopback,
 * host input flow control, hostile register accesses and vCPU threads.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pvisor/hvm_dev.h"

#define RBR 0
#define IER 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

#define TX_CAP (1u << 20)

struct sink {
	pthread_mutex_t lock;
	uint8_t *tx;
	size_t tx_len;
	bool level;
	unsigned int irq_calls;
	unsigned int redundant;	/* set_irq without a level change */
	bool slow;		/* yield in tx to let other writers pile up */
};

static void sink_tx(void *opaque, const uint8_t *buf, size_t len)
{
	struct sink *s = opaque;

	if (s->slow)
		sched_yield();
	pthread_mutex_lock(&s->lock);
	assert_true(s->tx_len + len <= TX_CAP);
	memcpy(s->tx + s->tx_len, buf, len);
	s->tx_len += len;
	pthread_mutex_unlock(&s->lock);
}

static void sink_irq(void *opaque, bool level)
{
	struct sink *s = opaque;

	if (level == s->level)
		s->redundant++;
	s->level = level;
	s->irq_calls++;
}

static const struct uart16550_ops sink_ops = {
	.tx = sink_tx,
	.set_irq = sink_irq,
};

static struct uart16550 *make(struct sink *s)
{
	struct uart16550 *u;

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->tx = malloc(TX_CAP);
	assert_int_equal(uart16550_create(&sink_ops, s, &u), 0);
	return u;
}

static void unmake(struct uart16550 *u, struct sink *s)
{
	uart16550_destroy(u);
	assert_int_equal(s->redundant, 0);
	free(s->tx);
	pthread_mutex_destroy(&s->lock);
}

/* What serial8250_do_startup and set_termios leave: 115200 8N1, FIFO. */
static void linux_init(struct uart16550 *u, uint8_t ier)
{
	uart16550_write(u, LCR, 0x80);
	uart16550_write(u, RBR, 0x01);
	uart16550_write(u, IER, 0x00);
	uart16550_write(u, LCR, 0x03);
	uart16550_write(u, FCR, 0x01);
	uart16550_write(u, FCR, 0x07);
	uart16550_write(u, FCR, 0x00);
	uart16550_write(u, FCR, 0x81);	/* FIFO on, RX trigger 8 */
	uart16550_write(u, MCR, 0x0b);	/* DTR | RTS | OUT2 */
	uart16550_read(u, LSR);
	uart16550_read(u, RBR);
	uart16550_read(u, IIR);
	uart16550_read(u, MSR);
	uart16550_write(u, IER, ier);
}

static void test_init_and_tx(void **state)
{
	struct uart16550 *u;
	struct sink s;
	uint8_t big[1000];
	unsigned int i;

	(void)state;
	u = make(&s);
	/* Reset: a 115200 divisor (a baud probe must not divide by 0). */
	uart16550_write(u, LCR, 0x80);
	assert_int_equal(uart16550_read(u, RBR), 1);
	assert_int_equal(uart16550_read(u, IER), 0);
	uart16550_write(u, LCR, 0);

	linux_init(u, 0x01);
	assert_int_equal(uart16550_read(u, LCR), 0x03);
	assert_int_equal(uart16550_read(u, MCR), 0x0b);
	assert_int_equal(uart16550_read(u, IER), 0x01);
	assert_int_equal(uart16550_read(u, IIR), 0xc1);
	assert_int_equal(uart16550_read(u, LSR), 0x60);
	assert_int_equal(uart16550_read(u, MSR), 0xb0);
	assert_false(s.level);
	uart16550_write(u, LCR, 0x83);
	assert_int_equal(uart16550_read(u, RBR), 0x01);
	assert_int_equal(uart16550_read(u, IER), 0x00);
	uart16550_write(u, LCR, 0x03);

	for (i = 0; i < 5; i++)
		uart16550_write(u, RBR, "hello"[i]);
	for (i = 0; i < sizeof(big); i++) {
		big[i] = (uint8_t)(i * 7);
		/* The console path polls LSR.THRE before each byte. */
		assert_true(uart16550_read(u, LSR) & 0x20);
		uart16550_write(u, RBR, big[i]);
	}
	assert_int_equal(s.tx_len, 5 + sizeof(big));
	assert_memory_equal(s.tx, "hello", 5);
	assert_memory_equal(s.tx + 5, big, sizeof(big));
	/* DLAB writes are the divisor, never data. */
	uart16550_write(u, LCR, 0x83);
	uart16550_write(u, RBR, 'x');
	assert_int_equal(s.tx_len, 5 + sizeof(big));
	unmake(u, &s);
}

static void test_rx_interrupt(void **state)
{
	struct uart16550 *u;
	struct sink s;

	(void)state;
	u = make(&s);
	assert_int_equal(uart16550_receive(u, (const uint8_t *)"ab", 2), 2);
	assert_int_equal(uart16550_read(u, LSR), 0x61);
	/* Pending but not enabled: no IRQ. */
	assert_false(s.level);
	assert_int_equal(uart16550_read(u, IIR), 0x01);
	/* Enabled but OUT2 (the PC's IRQ gate) off: IIR says so, no IRQ. */
	uart16550_write(u, IER, 0x01);
	assert_int_equal(uart16550_read(u, IIR), 0x04);
	assert_false(s.level);
	uart16550_write(u, MCR, 0x08);
	assert_true(s.level);
	uart16550_write(u, MCR, 0x03);
	assert_false(s.level);
	uart16550_write(u, MCR, 0x0b);
	assert_true(s.level);
	uart16550_write(u, IER, 0x00);
	assert_false(s.level);
	uart16550_write(u, IER, 0x01);
	assert_true(s.level);

	/* FIFO on, trigger 8: below it, the character timeout id. */
	uart16550_write(u, FCR, 0x81);
	assert_false(s.level);	/* enabling the FIFO emptied it */
	assert_int_equal(uart16550_receive(u, (const uint8_t *)"xy", 2), 2);
	assert_true(s.level);
	assert_int_equal(uart16550_read(u, IIR), 0xcc);
	assert_int_equal(uart16550_receive(u, (const uint8_t *)"123456", 6), 6);
	assert_int_equal(uart16550_read(u, IIR), 0xc4);
	assert_int_equal(uart16550_read(u, RBR), 'x');
	assert_int_equal(uart16550_read(u, RBR), 'y');
	assert_true(s.level);
	while (uart16550_read(u, LSR) & 0x01)
		uart16550_read(u, RBR);
	assert_false(s.level);
	assert_int_equal(uart16550_read(u, IIR), 0xc1);
	/* An empty RBR reads something harmless. */
	uart16550_read(u, RBR);
	assert_int_equal(uart16550_read(u, LSR), 0x60);

	/* FCR's RX clear drops pending input. */
	uart16550_receive(u, (const uint8_t *)"z", 1);
	assert_true(s.level);
	uart16550_write(u, FCR, 0x83);
	assert_false(s.level);
	assert_int_equal(uart16550_read(u, LSR), 0x60);
	unmake(u, &s);
}

static void test_thre(void **state)
{
	struct uart16550 *u;
	struct sink s;

	(void)state;
	u = make(&s);
	linux_init(u, 0x00);
	/* Setting ETBEI while THR is empty raises THRE at once. */
	uart16550_write(u, IER, 0x02);
	assert_true(s.level);
	/* Reading IIR while THRE is its answer acknowledges it. */
	assert_int_equal(uart16550_read(u, IIR), 0xc2);
	assert_false(s.level);
	assert_int_equal(uart16550_read(u, IIR), 0xc1);
	/* Rewriting the same IER is not an edge. */
	uart16550_write(u, IER, 0x02);
	assert_false(s.level);
	/* Writing THR: sent, empty again, THRE again. */
	uart16550_write(u, RBR, 'a');
	assert_true(s.level);
	assert_int_equal(uart16550_read(u, IIR), 0xc2);
	assert_false(s.level);
	/* Linux's UART_BUG_THRE probe: THRI off and on re-raises. */
	uart16550_write(u, IER, 0x00);
	uart16550_write(u, IER, 0x02);
	assert_int_equal(uart16550_read(u, IIR) & 0x0f, 0x02);
	uart16550_write(u, IER, 0x00);
	/* The UART_BUG_TXEN probe: THRI on, LSR, IIR. */
	uart16550_write(u, IER, 0x02);
	assert_int_equal(uart16550_read(u, LSR) & 0x40, 0x40);
	assert_int_equal(uart16550_read(u, IIR) & 0x01, 0);
	/* Masking ETBEI drops the line even with THRE latched. */
	uart16550_write(u, RBR, 'b');
	assert_true(s.level);
	uart16550_write(u, IER, 0x00);
	assert_false(s.level);
	/* RDA outranks THRE and does not acknowledge it. */
	uart16550_write(u, IER, 0x02);
	uart16550_receive(u, (const uint8_t *)"q", 1);
	uart16550_write(u, IER, 0x03);
	assert_int_equal(uart16550_read(u, IIR), 0xcc);
	assert_int_equal(uart16550_read(u, IIR), 0xcc);
	uart16550_read(u, RBR);
	assert_int_equal(uart16550_read(u, IIR), 0xc2);
	assert_int_equal(uart16550_read(u, IIR), 0xc1);
	assert_false(s.level);
	assert_int_equal(s.tx_len, 2);
	unmake(u, &s);
}

static void test_priorities(void **state)
{
	struct uart16550 *u;
	struct sink s;
	unsigned int i;

	(void)state;
	u = make(&s);
	linux_init(u, 0x00);
	/* An overrun the guest makes itself: 17 bytes into a looped FIFO. */
	uart16550_write(u, MCR, 0x18);
	for (i = 0; i < 17; i++)
		uart16550_write(u, RBR, (uint8_t)i);
	/* DSR and CTS fell in loopback (DTR, RTS off) and rose again. */
	uart16550_write(u, MCR, 0x0b);
	uart16550_write(u, IER, 0x0f);
	assert_true(s.level);
	assert_int_equal(uart16550_read(u, IIR), 0xc6);
	assert_int_equal(uart16550_read(u, LSR), 0x63);	/* DR | OE */
	/* 16 bytes: at the trigger (8), not a timeout. */
	assert_int_equal(uart16550_read(u, IIR), 0xc4);
	for (i = 0; i < 16; i++)
		assert_int_equal(uart16550_read(u, RBR), i);
	assert_int_equal(uart16550_read(u, LSR), 0x60);
	assert_int_equal(uart16550_read(u, IIR), 0xc2);
	/* Last, the modem status interrupt. */
	assert_int_equal(uart16550_read(u, IIR), 0xc0);
	assert_true(s.level);
	assert_int_equal(uart16550_read(u, MSR), 0xb3);
	assert_int_equal(uart16550_read(u, IIR), 0xc1);
	assert_false(s.level);
	/* Nothing of the 17 reached the host. */
	assert_int_equal(s.tx_len, 0);
	unmake(u, &s);
}

static void test_loopback(void **state)
{
	struct uart16550 *u;
	struct sink s;

	(void)state;
	u = make(&s);
	linux_init(u, 0x00);
	assert_int_equal(uart16550_read(u, MSR), 0xb0);
	/* Loopback alone: all inputs drop; DCD/DSR/CTS deltas. */
	uart16550_write(u, MCR, 0x10);
	assert_int_equal(uart16550_read(u, MSR), 0x0b);
	assert_int_equal(uart16550_read(u, MSR), 0x00);
	/* Each output to its input: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
	uart16550_write(u, MCR, 0x11);
	assert_int_equal(uart16550_read(u, MSR), 0x22);
	uart16550_write(u, MCR, 0x12);
	assert_int_equal(uart16550_read(u, MSR), 0x13);
	uart16550_write(u, MCR, 0x14);
	assert_int_equal(uart16550_read(u, MSR), 0x41);
	uart16550_write(u, MCR, 0x18);
	/* RI fell: TERI. */
	assert_int_equal(uart16550_read(u, MSR), 0x8c);
	uart16550_write(u, MCR, 0x1f);
	assert_int_equal(uart16550_read(u, MSR), 0xf3);

	/* Bytes come back, not out; the host cannot push in meanwhile. */
	uart16550_write(u, RBR, 'L');
	assert_int_equal(s.tx_len, 0);
	assert_int_equal(uart16550_read(u, LSR), 0x61);
	assert_int_equal(uart16550_rx_room(u), 0);
	assert_int_equal(uart16550_receive(u, (const uint8_t *)"h", 1), 0);
	/* Interrupts pend inside but the OUT2 gate is shut. */
	uart16550_write(u, IER, 0x01);
	assert_int_equal(uart16550_read(u, IIR), 0xcc);
	assert_false(s.level);
	assert_int_equal(uart16550_read(u, RBR), 'L');

	/* FIFO off: a one-byte holding register, then overrun. */
	uart16550_write(u, FCR, 0x00);
	uart16550_write(u, RBR, '1');
	uart16550_write(u, RBR, '2');
	assert_int_equal(uart16550_read(u, LSR), 0x63);
	assert_int_equal(uart16550_read(u, RBR), '1');
	assert_int_equal(uart16550_read(u, LSR), 0x60);

	/* Out of loopback, with OUT2: the pending RDA reaches the line. */
	uart16550_write(u, MCR, 0x0b);
	assert_int_equal(uart16550_rx_room(u), UART_RX_SIZE);
	assert_int_equal(uart16550_receive(u, (const uint8_t *)"h", 1), 1);
	assert_true(s.level);
	assert_int_equal(uart16550_read(u, IIR), 0x04);
	uart16550_write(u, MCR, 0x1b);
	assert_false(s.level);
	uart16550_write(u, MCR, 0x0b);
	assert_true(s.level);
	unmake(u, &s);
}

/*
 * The probe of Linux's 8250_port.c autoconfig() and autoconfig_16550a(),
 * as the register traffic it does; returns the type it would name.
 */
static const char *linux_autoconfig(struct uart16550 *u)
{
	uint8_t scratch, scratch2, scratch3, save_mcr, save_lcr, st1, st2;
	uint8_t iersave, old_lcr, old_fcr, old_mcr;
	unsigned int count;

	scratch = uart16550_read(u, IER);
	uart16550_write(u, IER, 0);
	scratch2 = uart16550_read(u, IER) & 0x0f;
	uart16550_write(u, IER, 0x0f);
	scratch3 = uart16550_read(u, IER) & 0x0f;
	uart16550_write(u, IER, scratch);
	if (scratch2 != 0 || scratch3 != 0x0f)
		return "IER test failed";

	save_mcr = uart16550_read(u, MCR);
	save_lcr = uart16550_read(u, LCR);
	uart16550_write(u, MCR, 0x10 | 0x0a);
	st1 = uart16550_read(u, MSR) & 0xf0;
	uart16550_write(u, MCR, save_mcr);
	if (st1 != 0x90)
		return "LOOP test failed";

	uart16550_write(u, LCR, 0xbf);
	uart16550_write(u, FCR, 0);		/* EFR */
	uart16550_write(u, LCR, 0);
	uart16550_write(u, FCR, 0x01);
	switch (uart16550_read(u, IIR) >> 6) {
	case 0:
		return "8250/16450";
	case 1:
		return "unknown";
	case 2:
		return "16550";
	}

	/* autoconfig_16550a: no EFR under DLAB or 0xbf. */
	uart16550_write(u, LCR, 0x80);
	if (uart16550_read(u, 2) == 0)
		return "16650";
	uart16550_write(u, LCR, 0xbf);
	if (uart16550_read(u, 2) == 0)
		return "EFRv2";
	/* National SuperIO: EXCR1 under LCR 0xe0 tracks MCR's LOOP. */
	uart16550_write(u, LCR, 0);
	st1 = uart16550_read(u, MCR);
	uart16550_write(u, LCR, 0xe0);
	st2 = uart16550_read(u, 2);
	if (!((st2 ^ st1) & 0x10)) {
		uart16550_write(u, LCR, 0);
		uart16550_write(u, MCR, st1 ^ 0x10);
		uart16550_write(u, LCR, 0xe0);
		st2 = uart16550_read(u, 2);
		uart16550_write(u, LCR, 0);
		uart16550_write(u, MCR, st1);
		if ((st2 ^ st1) & 0x10)
			return "NS16550A";
	}
	/* TI 16750: the 64-byte FIFO bit, under DLAB. */
	uart16550_write(u, LCR, 0);
	uart16550_write(u, FCR, 0x21);
	st1 = uart16550_read(u, IIR) >> 5;
	uart16550_write(u, FCR, 0x01);
	uart16550_write(u, LCR, 0x80);
	uart16550_write(u, FCR, 0x21);
	st2 = uart16550_read(u, IIR) >> 5;
	uart16550_write(u, FCR, 0x01);
	uart16550_write(u, LCR, 0);
	if (st1 == 6 && st2 == 7)
		return "TI16750";
	/* XScale: IER's UUE bit. */
	iersave = uart16550_read(u, IER);
	uart16550_write(u, IER, iersave & ~0x40);
	if (!(uart16550_read(u, IER) & 0x40)) {
		uart16550_write(u, IER, iersave | 0x40);
		if (uart16550_read(u, IER) & 0x40)
			return "XScale";
	}
	uart16550_write(u, IER, iersave);
	/* size_fifo(): bytes a looped FIFO holds (64 would be U6_16550A). */
	old_lcr = uart16550_read(u, LCR);
	uart16550_write(u, LCR, 0);
	old_fcr = uart16550_read(u, IIR);
	old_mcr = uart16550_read(u, MCR);
	uart16550_write(u, FCR, 0x07);
	uart16550_write(u, MCR, 0x10);
	uart16550_write(u, LCR, 0x80);
	uart16550_write(u, RBR, 1);
	uart16550_write(u, IER, 0);
	uart16550_write(u, LCR, 0x03);
	for (count = 0; count < 256; count++)
		uart16550_write(u, RBR, (uint8_t)count);
	for (count = 0; (uart16550_read(u, LSR) & 0x01) && count < 256;
	     count++)
		uart16550_read(u, RBR);
	uart16550_write(u, FCR, old_fcr);
	uart16550_write(u, MCR, old_mcr);
	uart16550_write(u, LCR, old_lcr);
	uart16550_write(u, LCR, save_lcr);
	if (count == 64)
		return "U6_16550A";
	if (count != 16)
		return "FIFO size wrong";
	return "16550A";
}

static void test_autoconfig(void **state)
{
	struct uart16550 *u;
	struct sink s;

	(void)state;
	u = make(&s);
	/* From reset, and again after Linux has set the port up. */
	assert_string_equal(linux_autoconfig(u), "16550A");
	linux_init(u, 0x05);
	assert_string_equal(linux_autoconfig(u), "16550A");
	/* The probe's looped bytes never reach the console. */
	assert_int_equal(s.tx_len, 0);
	unmake(u, &s);
}

static void test_rx_room(void **state)
{
	struct uart16550 *u;
	struct sink s;
	uint8_t in[300], out[UART_RX_SIZE];
	unsigned int i;

	(void)state;
	u = make(&s);
	linux_init(u, 0x01);
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i ^ 0x5a);
	assert_int_equal(uart16550_rx_room(u), UART_RX_SIZE);
	/* A paste larger than the chip's 16 bytes goes through... */
	assert_int_equal(uart16550_receive(u, in, sizeof(in)), UART_RX_SIZE);
	/* ...up to the buffer; the rest is the caller's to retry. */
	assert_int_equal(uart16550_rx_room(u), 0);
	assert_int_equal(uart16550_receive(u, in + UART_RX_SIZE, 44), 0);
	/* Refusing is not an overrun. */
	assert_int_equal(uart16550_read(u, LSR) & 0x02, 0);
	for (i = 0; i < 10; i++)
		out[i] = uart16550_read(u, RBR);
	assert_int_equal(uart16550_rx_room(u), 10);
	assert_int_equal(uart16550_receive(u, in + UART_RX_SIZE, 44), 10);
	for (i = 10; i < UART_RX_SIZE; i++)
		out[i] = uart16550_read(u, RBR);
	assert_memory_equal(out, in, UART_RX_SIZE);
	for (i = 0; i < 10; i++)
		assert_int_equal(uart16550_read(u, RBR), in[UART_RX_SIZE + i]);
	assert_int_equal(uart16550_read(u, LSR), 0x60);
	assert_false(s.level);
	assert_int_equal(uart16550_receive(u, in, 0), 0);
	unmake(u, &s);
}

static void test_hostile_regs(void **state)
{
	static const unsigned int bad[] = { 8, 9, 15, 0x3f8, 0x10000, ~0u };
	struct uart16550 *u;
	struct sink s;
	unsigned int i;

	(void)state;
	u = make(&s);
	linux_init(u, 0x01);
	uart16550_write(u, SCR, 0xa5);
	uart16550_receive(u, (const uint8_t *)"k", 1);
	assert_true(s.level);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(uart16550_read(u, bad[i]), 0xff);
		uart16550_write(u, bad[i], 0x00);
	}
	assert_int_equal(uart16550_read(u, SCR), 0xa5);
	assert_int_equal(uart16550_read(u, LCR), 0x03);
	assert_int_equal(uart16550_read(u, MCR), 0x0b);
	assert_int_equal(uart16550_read(u, IER), 0x01);
	/* Under DLAB the data register is the divisor: input stays put. */
	uart16550_write(u, LCR, 0x83);
	assert_int_equal(uart16550_read(u, RBR), 0x01);
	assert_int_equal(uart16550_read(u, IER), 0x00);
	/* IIR and LSR do not care about DLAB. */
	assert_int_equal(uart16550_read(u, IIR), 0xcc);
	assert_int_equal(uart16550_read(u, LSR), 0x61);
	uart16550_write(u, LCR, 0x03);
	assert_int_equal(uart16550_read(u, RBR), 'k');
	/* IER and MCR keep only their defined bits; LSR/MSR ignore writes. */
	uart16550_write(u, IER, 0xf0);
	assert_int_equal(uart16550_read(u, IER), 0x00);
	uart16550_write(u, MCR, 0xeb);
	assert_int_equal(uart16550_read(u, MCR), 0x0b);
	uart16550_write(u, LSR, 0xff);
	uart16550_write(u, MSR, 0xff);
	assert_int_equal(uart16550_read(u, LSR), 0x60);
	assert_int_equal(uart16550_read(u, MSR), 0xb0);
	/* No callbacks at all is allowed. */
	uart16550_destroy(NULL);
	unmake(u, &s);
	assert_int_equal(uart16550_create(NULL, NULL, &u), 0);
	uart16550_write(u, MCR, 0x08);
	uart16550_write(u, IER, 0x02);
	uart16550_write(u, RBR, 'z');
	uart16550_destroy(u);
}

/*
 * 100k random accesses. After each, the line the UART drove must match
 * what the guest can read: some IIR source pending, OUT2 set, not
 * looped; DR must match the free room; every THR byte must go out.
 */
static void test_fuzz(void **state)
{
	struct uart16550 *u;
	struct sink s;
	unsigned int seed = 12345, i, reg, n;
	uint8_t lcr = 0, mcr = 0, val, iir, m, lsr, buf[40];
	size_t expect_tx = 0, room;
	bool pending;

	(void)state;
	u = make(&s);
	for (i = 0; i < 100000; i++) {
		reg = rand_r(&seed) % 10;
		val = (uint8_t)rand_r(&seed);
		switch (rand_r(&seed) % 4) {
		case 0:
			uart16550_read(u, reg);
			break;
		case 1:
			/* Keep OUT2 on and loopback off most of the time. */
			if (reg == MCR && (rand_r(&seed) & 3))
				val = (val | 0x08) & ~0x10;
			if (reg == LCR && (rand_r(&seed) & 3))
				val &= 0x7f;
			uart16550_write(u, reg, val);
			if (reg == LCR)
				lcr = val;
			if (reg == MCR)
				mcr = val & 0x1f;
			if (reg == RBR && !(lcr & 0x80) && !(mcr & 0x10))
				expect_tx++;
			break;
		case 2:
			n = rand_r(&seed) % sizeof(buf);
			memset(buf, val, n);
			uart16550_receive(u, buf, n);
			break;
		default:
			uart16550_rx_room(u);
			break;
		}
		/* Reading MCR has no side effects; IIR shows the state before. */
		m = uart16550_read(u, MCR);
		assert_int_equal(m, mcr);
		pending = s.level;
		iir = uart16550_read(u, IIR);
		assert_int_equal(iir & 0x30, 0);
		assert_int_equal(pending,
				 !(iir & 1) && (m & 0x18) == 0x08);
		room = uart16550_rx_room(u);
		lsr = uart16550_read(u, LSR);
		assert_int_equal(lsr & 0x60, 0x60);
		if (!(m & 0x10))
			assert_int_equal(!!(lsr & 1), room < UART_RX_SIZE);
		assert_true(room <= UART_RX_SIZE);
	}
	assert_int_equal(s.tx_len, expect_tx);
	unmake(u, &s);
}

#define THREADS 4
#define PER_THREAD 20000

struct writer {
	struct uart16550 *u;
	uint8_t tag;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	unsigned int i;

	/* High two bits the thread, low six a running count. */
	for (i = 0; i < PER_THREAD; i++)
		uart16550_write(w->u, RBR, (uint8_t)(w->tag << 6 | (i & 0x3f)));
	return NULL;
}

static void *reader_main(void *arg)
{
	struct uart16550 *u = arg;
	unsigned int i;
	uint8_t b = 'r';

	for (i = 0; i < PER_THREAD; i++) {
		if (!uart16550_receive(u, &b, 1))
			uart16550_read(u, RBR);
		uart16550_rx_room(u);
	}
	return NULL;
}

/* vCPU threads writing THR at once: nothing lost, each in its order. */
static void test_threads(void **state)
{
	struct writer w[THREADS];
	pthread_t t[THREADS + 1];
	unsigned int next[THREADS] = { 0 }, i, tag;
	struct uart16550 *u;
	struct sink s;

	(void)state;
	u = make(&s);
	s.slow = true;
	linux_init(u, 0x03);
	for (i = 0; i < THREADS; i++) {
		w[i] = (struct writer){ u, (uint8_t)i };
		assert_int_equal(pthread_create(&t[i], NULL, writer_main,
						&w[i]), 0);
	}
	assert_int_equal(pthread_create(&t[THREADS], NULL, reader_main, u),
			 0);
	for (i = 0; i <= THREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(s.tx_len, THREADS * PER_THREAD);
	for (i = 0; i < s.tx_len; i++) {
		tag = s.tx[i] >> 6;
		assert_int_equal(s.tx[i] & 0x3f, next[tag] & 0x3f);
		next[tag]++;
	}
	unmake(u, &s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_and_tx),
		cmocka_unit_test(test_rx_interrupt),
		cmocka_unit_test(test_thre),
		cmocka_unit_test(test_priorities),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_autoconfig),
		cmocka_unit_test(test_rx_room),
		cmocka_unit_test(test_hostile_regs),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

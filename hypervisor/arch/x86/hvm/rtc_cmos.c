// SPDX-License-Identifier: MIT
/*
 * The PC's CMOS RTC (Motorola MC146818A datasheet). The time registers
 * are computed from the host's UTC clock on every read, in the format
 * status B asks for; a guest setting the clock (SET, write, clear SET,
 * as hwclock --systohc does) moves an offset from the host clock that
 * lives as long as this device. No update cycle runs, so UIP stays 0;
 * no IRQ 8 exists, so the flags in status C only serve polling.
 */
#include <string.h>

#include "pvisor/hvm_dev.h"

#define REG_SEC		0x00
#define REG_MIN		0x02
#define REG_HOUR	0x04
#define REG_WDAY	0x06
#define REG_MDAY	0x07
#define REG_MON		0x08
#define REG_YEAR	0x09
#define REG_A		0x0a
#define REG_B		0x0b
#define REG_C		0x0c
#define REG_D		0x0d
#define REG_CENTURY	0x32

#define A_UIP		0x80
#define B_SET		0x80
#define B_UIE		0x10
#define B_DM_BINARY	0x04
#define B_24H		0x02
#define C_IRQF		0x80
#define C_UF		0x10
#define D_VRT		0x80
#define HOUR_PM		0x80

/* Settable range: the offset then stays far from time_t's limits. */
#define T_MAX		253402300799ll	/* 9999-12-31T23:59:59Z */

static time_t clock_now(const struct rtc_cmos *r)
{
	return r->now ? r->now() : time(NULL);
}

static time_t live_time(const struct rtc_cmos *r)
{
	return clock_now(r) + r->offset;
}

/* The time the registers show: the one being set while SET is 1. */
static void shown_tm(const struct rtc_cmos *r, struct tm *tm)
{
	time_t t;

	if (r->ram[REG_B] & B_SET) {
		*tm = r->staged;
		return;
	}
	t = live_time(r);
	if (!gmtime_r(&t, tm))
		memset(tm, 0, sizeof(*tm));
}

static uint8_t encode(const struct rtc_cmos *r, int v)
{
	if (v < 0)
		v = 0;
	if (r->ram[REG_B] & B_DM_BINARY)
		return v & 0xff;
	return ((v / 10) % 10) << 4 | v % 10;
}

/* Garbage BCD digits decode to whatever the arithmetic says. */
static int decode(const struct rtc_cmos *r, uint8_t v)
{
	if (r->ram[REG_B] & B_DM_BINARY)
		return v;
	return (v >> 4) * 10 + (v & 0x0f);
}

static uint8_t encode_hour(const struct rtc_cmos *r, int h)
{
	int h12;

	if (r->ram[REG_B] & B_24H)
		return encode(r, h);
	h12 = h % 12;
	return encode(r, h12 ? h12 : 12) | (h >= 12 ? HOUR_PM : 0);
}

static int decode_hour(const struct rtc_cmos *r, uint8_t v)
{
	if (r->ram[REG_B] & B_24H)
		return decode(r, v);
	return decode(r, v & ~HOUR_PM) % 12 + (v & HOUR_PM ? 12 : 0);
}

static uint8_t read_time_reg(const struct rtc_cmos *r, uint8_t idx)
{
	struct tm tm;
	int year;

	shown_tm(r, &tm);
	year = tm.tm_year + 1900;
	switch (idx) {
	case REG_SEC:
		return encode(r, tm.tm_sec);
	case REG_MIN:
		return encode(r, tm.tm_min);
	case REG_HOUR:
		return encode_hour(r, tm.tm_hour);
	case REG_WDAY:
		return encode(r, tm.tm_wday + 1);
	case REG_MDAY:
		return encode(r, tm.tm_mday);
	case REG_MON:
		return encode(r, tm.tm_mon + 1);
	case REG_YEAR:
		return encode(r, year % 100);
	default:
		return encode(r, year / 100);
	}
}

/* Make tm the guest's time from now on; out of range: keep the old. */
static void commit(struct rtc_cmos *r, const struct tm *tm)
{
	struct tm t = *tm;
	time_t set;

	t.tm_isdst = 0;
	set = timegm(&t);
	if (set < 0 || (long long)set > T_MAX)
		return;
	r->offset = (int64_t)set - (int64_t)clock_now(r);
}

static void write_time_reg(struct rtc_cmos *r, uint8_t idx, uint8_t val)
{
	struct tm tm;
	int year;

	shown_tm(r, &tm);
	year = tm.tm_year + 1900;
	switch (idx) {
	case REG_SEC:
		tm.tm_sec = decode(r, val);
		break;
	case REG_MIN:
		tm.tm_min = decode(r, val);
		break;
	case REG_HOUR:
		tm.tm_hour = decode_hour(r, val);
		break;
	case REG_WDAY:
		/* Derived from the date; only read back under SET. */
		tm.tm_wday = decode(r, val) - 1;
		break;
	case REG_MDAY:
		tm.tm_mday = decode(r, val);
		break;
	case REG_MON:
		tm.tm_mon = decode(r, val) - 1;
		break;
	case REG_YEAR:
		tm.tm_year = year / 100 * 100 + decode(r, val) - 1900;
		break;
	default:
		tm.tm_year = decode(r, val) * 100 + year % 100 - 1900;
		break;
	}
	if (r->ram[REG_B] & B_SET)
		r->staged = tm;
	else if (idx != REG_WDAY)
		commit(r, &tm);
}

static void write_b(struct rtc_cmos *r, uint8_t val)
{
	uint8_t old = r->ram[REG_B];

	if ((val & B_SET) && !(old & B_SET)) {
		shown_tm(r, &r->staged);
		/* Setting SET clears UIE (the datasheet's rule). */
		val &= ~B_UIE;
	}
	if (!(val & B_SET) && (old & B_SET))
		commit(r, &r->staged);
	r->ram[REG_B] = val;
}

/* Status C: UF once per second boundary passed since the last read. */
static uint8_t read_c(struct rtc_cmos *r)
{
	uint8_t c = 0;
	time_t t;

	if (r->ram[REG_B] & B_SET)
		return 0;
	t = live_time(r);
	if (t != r->last_uf) {
		c |= C_UF;
		r->last_uf = t;
	}
	if ((c & C_UF) && (r->ram[REG_B] & B_UIE))
		c |= C_IRQF;
	return c;
}

void rtc_cmos_init(struct rtc_cmos *r, time_t (*now)(void))
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->now = now;
	/* 32.768 kHz time base, 1024 Hz rate; BCD, 24 hours: Linux's view. */
	r->ram[REG_A] = 0x26;
	r->ram[REG_B] = B_24H;
	r->ram[REG_D] = D_VRT;
	r->last_uf = live_time(r);
}

void rtc_cmos_destroy(struct rtc_cmos *r)
{
	pthread_mutex_destroy(&r->lock);
}

static bool is_time_reg(uint8_t idx)
{
	switch (idx) {
	case REG_SEC:
	case REG_MIN:
	case REG_HOUR:
	case REG_WDAY:
	case REG_MDAY:
	case REG_MON:
	case REG_YEAR:
	case REG_CENTURY:
		return true;
	}
	return false;
}

uint8_t rtc_cmos_read(struct rtc_cmos *r, uint16_t port)
{
	uint8_t v;

	if (port != RTC_CMOS_DATA)
		return 0xff;
	pthread_mutex_lock(&r->lock);
	if (is_time_reg(r->index))
		v = read_time_reg(r, r->index);
	else if (r->index == REG_A)
		v = r->ram[REG_A] & ~A_UIP;
	else if (r->index == REG_C)
		v = read_c(r);
	else
		v = r->ram[r->index];
	pthread_mutex_unlock(&r->lock);
	return v;
}

void rtc_cmos_write(struct rtc_cmos *r, uint16_t port, uint8_t val)
{
	pthread_mutex_lock(&r->lock);
	if (port == RTC_CMOS_INDEX) {
		/* Bit 7 masks NMI on a PC; there is no NMI to mask. */
		r->index = val & 0x7f;
	} else if (port == RTC_CMOS_DATA) {
		if (is_time_reg(r->index))
			write_time_reg(r, r->index, val);
		else if (r->index == REG_A)
			r->ram[REG_A] = val & ~A_UIP;
		else if (r->index == REG_B)
			write_b(r, val);
		else if (r->index != REG_C && r->index != REG_D)
			r->ram[r->index] = val;
	}
	pthread_mutex_unlock(&r->lock);
}

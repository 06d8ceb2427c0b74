/* SPDX-License-Identifier: MIT */
/*
 * The CMOS RTC (arch/x86/hvm/rtc_cmos.c) over an injected clock: the
 * time registers in each format, setting the clock, status registers,
 * the index port's NMI bit and the NVRAM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "pvisor/hvm_dev.h"

/* 2023-11-14 22:13:20 UTC, a Tuesday. */
#define T0 1700000000

static time_t fake_now;

static time_t fake_clock(void)
{
	return fake_now;
}

static uint8_t rd(struct rtc_cmos *r, uint8_t idx)
{
	rtc_cmos_write(r, 0x70, idx);
	return rtc_cmos_read(r, 0x71);
}

static void wr(struct rtc_cmos *r, uint8_t idx, uint8_t val)
{
	rtc_cmos_write(r, 0x70, idx);
	rtc_cmos_write(r, 0x71, val);
}

static uint8_t bcd(int v)
{
	return (uint8_t)((v / 10) << 4 | v % 10);
}

/* Every time register against gmtime(t), in BCD or binary, 24 hours. */
static void check_time(struct rtc_cmos *r, time_t t, bool binary)
{
	uint8_t (*enc)(int) = bcd;
	struct tm tm;
	int year;

	assert_non_null(gmtime_r(&t, &tm));
	year = tm.tm_year + 1900;
	if (binary) {
		assert_int_equal(rd(r, 0x00), tm.tm_sec);
		assert_int_equal(rd(r, 0x02), tm.tm_min);
		assert_int_equal(rd(r, 0x04), tm.tm_hour);
		assert_int_equal(rd(r, 0x06), tm.tm_wday + 1);
		assert_int_equal(rd(r, 0x07), tm.tm_mday);
		assert_int_equal(rd(r, 0x08), tm.tm_mon + 1);
		assert_int_equal(rd(r, 0x09), year % 100);
		assert_int_equal(rd(r, 0x32), year / 100);
		return;
	}
	assert_int_equal(rd(r, 0x00), enc(tm.tm_sec));
	assert_int_equal(rd(r, 0x02), enc(tm.tm_min));
	assert_int_equal(rd(r, 0x04), enc(tm.tm_hour));
	assert_int_equal(rd(r, 0x06), enc(tm.tm_wday + 1));
	assert_int_equal(rd(r, 0x07), enc(tm.tm_mday));
	assert_int_equal(rd(r, 0x08), enc(tm.tm_mon + 1));
	assert_int_equal(rd(r, 0x09), enc(year % 100));
	assert_int_equal(rd(r, 0x32), enc(year / 100));
}

static void test_bcd_binary(void **state)
{
	struct rtc_cmos r;

	(void)state;
	fake_now = T0;
	rtc_cmos_init(&r, fake_clock);
	/* Linux's default: BCD, 24 hours. */
	assert_int_equal(rd(&r, 0x0b), 0x02);
	assert_int_equal(rd(&r, 0x00), 0x20);
	assert_int_equal(rd(&r, 0x02), 0x13);
	assert_int_equal(rd(&r, 0x04), 0x22);
	assert_int_equal(rd(&r, 0x06), 0x03);
	assert_int_equal(rd(&r, 0x07), 0x14);
	assert_int_equal(rd(&r, 0x08), 0x11);
	assert_int_equal(rd(&r, 0x09), 0x23);
	assert_int_equal(rd(&r, 0x32), 0x20);
	check_time(&r, T0, false);
	/* The clock moves; so do the registers. */
	fake_now = T0 + 86400 * 50 + 3599;
	check_time(&r, fake_now, false);
	wr(&r, 0x0b, 0x06);
	check_time(&r, fake_now, true);
	fake_now = 951782400;	/* 2000-02-29 00:00:00, leap day */
	check_time(&r, fake_now, true);
	assert_int_equal(rd(&r, 0x07), 29);
	assert_int_equal(rd(&r, 0x32), 20);
	assert_int_equal(rd(&r, 0x09), 0);
	wr(&r, 0x0b, 0x02);
	check_time(&r, fake_now, false);
	rtc_cmos_destroy(&r);
}

static void test_12h(void **state)
{
	struct rtc_cmos r;

	(void)state;
	fake_now = T0;
	rtc_cmos_init(&r, fake_clock);
	wr(&r, 0x0b, 0x00);		/* BCD, 12 hours */
	assert_int_equal(rd(&r, 0x04), 0x80 | 0x10);	/* 10 PM */
	wr(&r, 0x0b, 0x04);		/* binary, 12 hours */
	assert_int_equal(rd(&r, 0x04), 0x80 | 10);
	fake_now = T0 - 22 * 3600;	/* midnight: 12 AM */
	assert_int_equal(rd(&r, 0x04), 12);
	fake_now = T0 - 10 * 3600;	/* noon: 12 PM */
	assert_int_equal(rd(&r, 0x04), 0x80 | 12);
	fake_now = T0 - 21 * 3600;	/* 1 AM */
	assert_int_equal(rd(&r, 0x04), 1);
	wr(&r, 0x0b, 0x00);
	fake_now = T0 - 10 * 3600 + 3600;	/* 1 PM */
	assert_int_equal(rd(&r, 0x04), 0x81);
	/* Minutes and the rest do not care. */
	assert_int_equal(rd(&r, 0x02), 0x13);
	rtc_cmos_destroy(&r);
}

static void test_set_time(void **state)
{
	struct rtc_cmos r;
	struct tm want = { .tm_year = 2030 - 1900, .tm_mon = 0, .tm_mday = 2,
			   .tm_hour = 3, .tm_min = 4, .tm_sec = 5 };
	time_t set = timegm(&want);

	(void)state;
	fake_now = T0;
	rtc_cmos_init(&r, fake_clock);
	/* hwclock --systohc's sequence: SET, the fields, SET off. */
	wr(&r, 0x0b, 0x82 | 0x10);
	assert_int_equal(rd(&r, 0x0b), 0x82);	/* SET clears UIE */
	wr(&r, 0x00, 0x05);
	wr(&r, 0x02, 0x04);
	wr(&r, 0x04, 0x03);
	wr(&r, 0x07, 0x02);
	wr(&r, 0x08, 0x01);
	wr(&r, 0x09, 0x30);
	wr(&r, 0x32, 0x20);
	/* Updates are frozen while SET is 1: the written values show. */
	fake_now += 100;
	assert_int_equal(rd(&r, 0x00), 0x05);
	assert_int_equal(rd(&r, 0x09), 0x30);
	wr(&r, 0x0b, 0x02);
	check_time(&r, set, false);
	/* Kept as an offset: it runs with the host clock. */
	fake_now += 10;
	check_time(&r, set + 10, false);

	/* A single field without SET, in binary 12-hour mode: 3 PM. */
	wr(&r, 0x0b, 0x04);
	wr(&r, 0x04, 0x80 | 3);
	want.tm_hour = 15;
	set = timegm(&want) + 10;
	wr(&r, 0x0b, 0x06);
	check_time(&r, set, true);

	/* Out of range (year 0030 by century 0) is refused whole. */
	wr(&r, 0x0b, 0x82);
	wr(&r, 0x32, 0x00);
	wr(&r, 0x0b, 0x02);
	check_time(&r, set, false);
	/* Garbage BCD is arithmetic, not a crash: 0xff seconds = 165. */
	wr(&r, 0x00, 0xff);
	assert_int_equal(rd(&r, 0x0b), 0x02);
	/* A fresh device runs on host time again. */
	rtc_cmos_destroy(&r);
	rtc_cmos_init(&r, fake_clock);
	check_time(&r, fake_now, false);
	rtc_cmos_destroy(&r);
}

static void test_status(void **state)
{
	struct rtc_cmos r;
	unsigned int i;

	(void)state;
	fake_now = T0;
	rtc_cmos_init(&r, fake_clock);
	assert_int_equal(rd(&r, 0x0a), 0x26);
	assert_int_equal(rd(&r, 0x0d), 0x80);
	/* UIP is never stuck: not at any instant of a ticking clock. */
	for (i = 0; i < 3000; i++) {
		if (i % 7 == 0)
			fake_now++;
		assert_int_equal(rd(&r, 0x0a) & 0x80, 0);
	}
	/* A's divider and rate are the guest's; UIP is not writable. */
	wr(&r, 0x0a, 0xff);
	assert_int_equal(rd(&r, 0x0a), 0x7f);
	wr(&r, 0x0a, 0x26);
	/* D is read-only. */
	wr(&r, 0x0d, 0x00);
	assert_int_equal(rd(&r, 0x0d), 0x80);
	/* C: UF after an update, cleared by the read; no IRQF unless UIE. */
	rd(&r, 0x0c);
	assert_int_equal(rd(&r, 0x0c), 0x00);
	fake_now++;
	assert_int_equal(rd(&r, 0x0c), 0x10);
	assert_int_equal(rd(&r, 0x0c), 0x00);
	wr(&r, 0x0b, 0x12);
	fake_now++;
	assert_int_equal(rd(&r, 0x0c), 0x90);
	assert_int_equal(rd(&r, 0x0c), 0x00);
	/* C is read-only. */
	wr(&r, 0x0c, 0xff);
	assert_int_equal(rd(&r, 0x0c), 0x00);
	rtc_cmos_destroy(&r);
}

static void test_index_nvram(void **state)
{
	struct rtc_cmos r;
	unsigned int i;

	(void)state;
	fake_now = T0;
	rtc_cmos_init(&r, fake_clock);
	/* Bit 7 of the index is the NMI mask: the register is the same. */
	assert_int_equal(rd(&r, 0x80 | 0x0a), 0x26);
	assert_int_equal(rd(&r, 0x80 | 0x04), 0x22);
	/* The index port is write-only. */
	assert_int_equal(rtc_cmos_read(&r, 0x70), 0xff);
	/* The 114 bytes after D, with 0x32 the century. */
	for (i = 0x0e; i < 0x80; i++)
		if (i != 0x32)
			wr(&r, (uint8_t)i, (uint8_t)(i ^ 0x5a));
	for (i = 0x0e; i < 0x80; i++)
		if (i != 0x32)
			assert_int_equal(rd(&r, (uint8_t)i), i ^ 0x5a);
	assert_int_equal(rd(&r, 0x32), 0x20);
	/* The same bytes through index | 0x80. */
	wr(&r, 0x80 | 0x40, 0x11);
	assert_int_equal(rd(&r, 0x40), 0x11);
	/* Alarm registers are plain storage. */
	wr(&r, 0x01, 0x59);
	wr(&r, 0x03, 0x58);
	wr(&r, 0x05, 0x23);
	assert_int_equal(rd(&r, 0x01), 0x59);
	assert_int_equal(rd(&r, 0x03), 0x58);
	assert_int_equal(rd(&r, 0x05), 0x23);
	/* Other ports: nothing. */
	assert_int_equal(rtc_cmos_read(&r, 0x72), 0xff);
	rtc_cmos_write(&r, 0x72, 0x00);
	rtc_cmos_write(&r, 0x73, 0x00);
	assert_int_equal(rd(&r, 0x40), 0x11);
	assert_int_equal(rd(&r, 0x0e), 0x0e ^ 0x5a);
	rtc_cmos_destroy(&r);
}

/* The real clock: the registers are gmtime(time()) around the read. */
static void test_host_clock(void **state)
{
	struct rtc_cmos r;
	time_t before, after;
	struct tm tm;
	uint8_t min;

	(void)state;
	rtc_cmos_init(&r, NULL);
	do {
		before = time(NULL);
		min = rd(&r, 0x02);
		after = time(NULL);
	} while (before / 60 != after / 60);
	gmtime_r(&before, &tm);
	assert_int_equal(min, bcd(tm.tm_min));
	rtc_cmos_destroy(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bcd_binary),
		cmocka_unit_test(test_12h),
		cmocka_unit_test(test_set_time),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_index_nvram),
		cmocka_unit_test(test_host_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

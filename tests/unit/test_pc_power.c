/* SPDX-License-Identifier: MIT */
/*
 * PC power control (arch/x86/hvm/pc_power.c): ACPI PM1a poweroff, the
 * PM1 event registers at every size and offset, and the reset paths
 * Linux's reboot= methods use (ACPI/0xcf9, kbd, 0x92).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pvisor/hvm_dev.h"

#define EVT 0x600
#define CNT 0x604
#define S5 5

static const struct pc_power_config cfg = { EVT, CNT, S5, 0 };

static uint32_t in(struct pc_power *p, uint16_t port, unsigned int size)
{
	uint32_t v = 0xdeadbeef;

	assert_int_equal(pc_power_io(p, port, size, false, &v),
			 PC_POWER_NONE);
	return v;
}

static enum pc_power_event out(struct pc_power *p, uint16_t port,
			       unsigned int size, uint32_t v)
{
	return pc_power_io(p, port, size, true, &v);
}

static void test_poweroff(void **state)
{
	struct pc_power p;
	unsigned int typ;

	(void)state;
	assert_int_equal(pc_power_init(&p, &cfg), 0);
	/* ACPI is always on: SCI_EN reads 1 at any size. */
	assert_int_equal(in(&p, CNT, 2), 0x0001);
	assert_int_equal(in(&p, CNT, 1), 0x01);
	assert_int_equal(in(&p, CNT + 1, 1), 0x00);
	/* Linux's acpi_enter_sleep_state(S5): SLP_TYP, then SLP_TYP|SLP_EN. */
	assert_int_equal(out(&p, CNT, 2, S5 << 10 | 1), PC_POWER_NONE);
	assert_int_equal(in(&p, CNT, 2), S5 << 10 | 1);
	assert_int_equal(out(&p, CNT, 2, S5 << 10 | 1 << 13 | 1),
			 PC_POWER_OFF);
	/* SLP_EN reads 0. */
	assert_int_equal(in(&p, CNT, 2) & 0x2000, 0);
	/* Other sleep types are states we lack: ignored. */
	for (typ = 0; typ < 8; typ++) {
		if (typ == S5)
			continue;
		assert_int_equal(out(&p, CNT, 2, typ << 10 | 1 << 13),
				 PC_POWER_NONE);
	}
	/* The high byte alone carries SLP_TYP and SLP_EN. */
	assert_int_equal(out(&p, CNT + 1, 1, (S5 << 2) | 0x20), PC_POWER_OFF);
	/* So does a dword at the block: bytes past it are not ours. */
	assert_int_equal(out(&p, CNT, 4, S5 << 10 | 1 << 13), PC_POWER_OFF);
	assert_int_equal(in(&p, CNT, 4) >> 16, 0xffff);
	/* SCI_EN cannot be cleared. */
	out(&p, CNT, 2, 0);
	assert_int_equal(in(&p, CNT, 2), 0x0001);
	pc_power_destroy(&p);

	/* Another _S5 value is honoured too. */
	assert_int_equal(pc_power_init(&p, &(struct pc_power_config){
		EVT, CNT, 0, 0 }), 0);
	assert_int_equal(out(&p, CNT, 2, 1 << 13), PC_POWER_OFF);
	assert_int_equal(out(&p, CNT, 2, S5 << 10 | 1 << 13), PC_POWER_NONE);
	pc_power_destroy(&p);
}

static void test_pm1_event(void **state)
{
	struct pc_power p;
	uint32_t v = 0;

	(void)state;
	assert_int_equal(pc_power_init(&p, &cfg), 0);
	assert_int_equal(in(&p, EVT, 4), 0);
	assert_false(pc_power_sci(&p));
	/* PWRBTN_STS (bit 8) without PWRBTN_EN: no SCI. */
	pc_power_button(&p);
	assert_int_equal(in(&p, EVT, 2), 0x0100);
	assert_int_equal(in(&p, EVT + 1, 1), 0x01);
	assert_false(pc_power_sci(&p));
	/* Enable as a word at +2, as a byte at +3, as the dword's top. */
	out(&p, EVT + 2, 2, 0x0100);
	assert_true(pc_power_sci(&p));
	assert_int_equal(in(&p, EVT, 4), 0x01000100);
	out(&p, EVT + 3, 1, 0x00);
	assert_false(pc_power_sci(&p));
	out(&p, EVT, 4, 0x01000000);	/* status 0: clears nothing */
	assert_true(pc_power_sci(&p));
	assert_int_equal(in(&p, EVT + 2, 2), 0x0100);
	/* Undefined enable bits stay 0. */
	out(&p, EVT + 2, 2, 0xffff);
	assert_int_equal(in(&p, EVT + 2, 2), 0x4721);
	out(&p, EVT + 2, 2, 0x0100);
	/* Status is write-1-to-clear: 0s and other bits leave it. */
	out(&p, EVT, 2, 0xfeff);
	assert_int_equal(in(&p, EVT, 2), 0x0100);
	out(&p, EVT, 1, 0xff);
	assert_int_equal(in(&p, EVT, 2), 0x0100);
	out(&p, EVT + 1, 1, 0x01);
	assert_int_equal(in(&p, EVT, 2), 0x0000);
	assert_false(pc_power_sci(&p));
	/* Odd offsets and a dword straddling into the control block. */
	pc_power_button(&p);
	assert_int_equal(in(&p, EVT + 1, 2), 0x0001);
	assert_int_equal(in(&p, EVT + 2, 4), 0x00010100);
	out(&p, EVT + 1, 4, 0x00000001);	/* sts hi, en lo/hi, cnt lo */
	assert_int_equal(in(&p, EVT, 2), 0x0000);
	assert_int_equal(in(&p, EVT + 2, 2), 0x0000);
	assert_int_equal(in(&p, CNT, 2), 0x0001);
	/* Bad sizes: all ones, no effect. */
	assert_int_equal(pc_power_io(&p, EVT, 3, false, &v), PC_POWER_NONE);
	assert_int_equal(v, 0xffffffff);
	assert_int_equal(pc_power_io(&p, CNT, 0, true, &v), PC_POWER_NONE);
	assert_int_equal(pc_power_io(&p, CNT, 8, true, &v), PC_POWER_NONE);
	assert_int_equal(pc_power_io(&p, CNT, 2, true, NULL), PC_POWER_NONE);
	pc_power_destroy(&p);
}

static void test_resets(void **state)
{
	struct pc_power p;
	unsigned int i;
	uint8_t cf9;

	(void)state;
	assert_int_equal(pc_power_init(&p, &cfg), 0);
	/* reboot=pci: request a hard reset, then RST_CPU. */
	cf9 = in(&p, 0xcf9, 1) & ~0x06;
	assert_int_equal(out(&p, 0xcf9, 1, cf9 | 0x02), PC_POWER_NONE);
	assert_int_equal(in(&p, 0xcf9, 1), 0x02);
	assert_int_equal(out(&p, 0xcf9, 1, cf9 | 0x06), PC_POWER_RESET);
	/* The ACPI reset register there with value 6, in one write. */
	assert_int_equal(out(&p, 0xcf9, 1, 0x06), PC_POWER_RESET);
	/* A soft reset (SYS_RST 0) is still a reset. */
	assert_int_equal(out(&p, 0xcf9, 1, 0x04), PC_POWER_RESET);
	assert_int_equal(out(&p, 0xcf9, 1, 0x0a), PC_POWER_NONE);

	/* reboot=kbd: wait for the input buffer to empty, then 0xfe. */
	for (i = 0; i < 0x10000; i++)
		if (!(in(&p, 0x64, 1) & 0x02))
			break;
	assert_int_equal(i, 0);
	assert_int_equal(out(&p, 0x64, 1, 0xfe), PC_POWER_RESET);
	/* Other commands do nothing. */
	assert_int_equal(out(&p, 0x64, 1, 0xaa), PC_POWER_NONE);
	assert_int_equal(out(&p, 0x64, 1, 0xff), PC_POWER_NONE);
	assert_int_equal(out(&p, 0x60, 1, 0x00), PC_POWER_NONE);
	/* Write output port (0xd1) with the reset line low; high is A20. */
	out(&p, 0x64, 1, 0xd1);
	assert_int_equal(out(&p, 0x60, 1, 0xdf), PC_POWER_NONE);
	out(&p, 0x64, 1, 0xd1);
	assert_int_equal(out(&p, 0x60, 1, 0xde), PC_POWER_RESET);
	/* No keyboard: flushing finds data forever, all 0xff; give up. */
	assert_int_equal(in(&p, 0x64, 1) & 0x01, 0x01);
	assert_int_equal(in(&p, 0x60, 1), 0xff);

	/* Port 0x92: A20 reads on; bit 0 rising resets. */
	assert_int_equal(in(&p, 0x92, 1), 0x02);
	assert_int_equal(out(&p, 0x92, 1, 0x02), PC_POWER_NONE);
	assert_int_equal(out(&p, 0x92, 1, 0x00), PC_POWER_NONE);
	assert_int_equal(in(&p, 0x92, 1), 0x02);
	assert_int_equal(out(&p, 0x92, 1, 0x03), PC_POWER_RESET);
	assert_int_equal(in(&p, 0x92, 1), 0x03);
	assert_int_equal(out(&p, 0x92, 1, 0x03), PC_POWER_NONE);
	assert_int_equal(out(&p, 0x92, 1, 0x02), PC_POWER_NONE);
	assert_int_equal(out(&p, 0x92, 1, 0x01), PC_POWER_RESET);
	pc_power_destroy(&p);
}

static void test_claims(void **state)
{
	static const uint16_t ours[] = { EVT, EVT + 1, EVT + 2, EVT + 3, CNT,
					 CNT + 1, 0xcf9, 0x92, 0x60, 0x64 };
	static const uint16_t others[] = { EVT - 1, CNT + 2, 0xcf8, 0xcfa,
					   0xcfc, 0x61, 0x63, 0x70, 0x3f8,
					   0x91, 0x93, 0x0000, 0xffff };
	struct pc_power p;
	unsigned int i;
	uint32_t v;

	(void)state;
	for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		assert_true(pc_power_claims(&cfg, ours[i]));
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		assert_false(pc_power_claims(&cfg, others[i]));
	/* Bad layouts are refused. */
	assert_int_equal(pc_power_init(&p, &(struct pc_power_config){
		0x600, 0x602, 5, 0 }), -EINVAL);
	assert_int_equal(pc_power_init(&p, &(struct pc_power_config){
		0x604, 0x607, 5, 0 }), -EINVAL);
	assert_int_equal(pc_power_init(&p, &(struct pc_power_config){
		0xcf6, 0x604, 5, 0 }), -EINVAL);
	assert_int_equal(pc_power_init(&p, &(struct pc_power_config){
		0x600, 0x91, 5, 0 }), -EINVAL);
	assert_int_equal(pc_power_init(&p, &(struct pc_power_config){
		0xfffe, 0x604, 5, 0 }), -EINVAL);
	assert_int_equal(pc_power_init(&p, &(struct pc_power_config){
		0x600, 0x604, 8, 0 }), -EINVAL);
	/* The last block right under 64K is fine, with no wraparound. */
	assert_int_equal(pc_power_init(&p, &(struct pc_power_config){
		0xfffc, 0x604, 5, 0 }), 0);
	assert_true(pc_power_claims(&p.cfg, 0xffff));
	assert_false(pc_power_claims(&p.cfg, 0x0000));
	assert_int_equal(pc_power_io(&p, 0xffff, 4, false, &v),
			 PC_POWER_NONE);
	assert_int_equal(v, 0xffffff00);
	pc_power_destroy(&p);
	/* An unclaimed port through pc_power_io does nothing. */
	assert_int_equal(pc_power_init(&p, &cfg), 0);
	assert_int_equal(in(&p, 0x3f8, 4), 0xffffffff);
	assert_int_equal(out(&p, 0x3f8, 4, 0xffffffff), PC_POWER_NONE);
	pc_power_destroy(&p);
}

static uint64_t fake_ns;

static uint64_t fake_clock(void)
{
	return fake_ns;
}

/* The PM timer counts at 3.579545 MHz, 32 bits, one sample per access. */
static void test_pm_timer(void **state)
{
	struct pc_power_config c = cfg;
	struct pc_power p;
	uint32_t t0;

	(void)state;
	c.pm_tmr = 0x608;
	assert_int_equal(pc_power_init(&p, &c), 0);
	p.now_ns = fake_clock;
	assert_true(pc_power_claims(&c, 0x608));
	assert_true(pc_power_claims(&c, 0x60b));
	assert_false(pc_power_claims(&c, 0x60c));
	assert_false(pc_power_claims(&cfg, 0x608));	/* none configured */
	fake_ns = 0;
	assert_int_equal(in(&p, 0x608, 4), 0);
	fake_ns = 1000000000ull;			/* one second: one rate */
	assert_int_equal(in(&p, 0x608, 4), PC_PM_TMR_HZ);
	fake_ns = 1000;					/* 1 us: 3 ticks */
	assert_int_equal(in(&p, 0x608, 4), 3);
	/* Wraps at 32 bits: 2^32 ticks are about 1200 s. */
	fake_ns = 1200ull * 1000000000ull;
	t0 = (uint32_t)(1200ull * PC_PM_TMR_HZ);
	assert_int_equal(in(&p, 0x608, 4), t0);
	/* Narrow reads see the same count's bytes; writes change nothing. */
	assert_int_equal(in(&p, 0x609, 1), (t0 >> 8) & 0xff);
	assert_int_equal(in(&p, 0x60a, 2), t0 >> 16);
	assert_int_equal(out(&p, 0x608, 4, 0), PC_POWER_NONE);
	assert_int_equal(in(&p, 0x608, 4), t0);
	pc_power_destroy(&p);
	/* It may not overlap the PM1 blocks or the fixed ports. */
	c.pm_tmr = 0x603;
	assert_int_equal(pc_power_init(&p, &c), -EINVAL);
	c.pm_tmr = 0xcf6;
	assert_int_equal(pc_power_init(&p, &c), -EINVAL);
	c.pm_tmr = 0xfffd;
	assert_int_equal(pc_power_init(&p, &c), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_poweroff),
		cmocka_unit_test(test_pm1_event),
		cmocka_unit_test(test_resets),
		cmocka_unit_test(test_claims),
		cmocka_unit_test(test_pm_timer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

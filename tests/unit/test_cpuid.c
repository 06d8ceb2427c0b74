/* SPDX-License-Identifier: MIT */
/* The PV CPUID policy (arch/x86/pv/cpuid.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pvisor/cpuid.h"


#define ALL	0xffffffffu

/* A host that has everything. */
static const struct cpuid_leaf host[] = {
	{ .leaf = 0, .eax = 0xd, .ebx = 0x756e6547, .ecx = 0x6c65746e,
	  .edx = 0x49656e69 },
	{ .leaf = 1, .eax = 0x000906ea, .ebx = 0x00100800, .ecx = ALL,
	  .edx = ALL },
	{ .leaf = 7, .subleaf = 0, .flags = CPUID_F_SUBLEAF, .eax = 1,
	  .ebx = ALL, .ecx = ALL, .edx = ALL },
	{ .leaf = 7, .subleaf = 1, .flags = CPUID_F_SUBLEAF, .eax = ALL },
	{ .leaf = 0xd, .subleaf = 0, .flags = CPUID_F_SUBLEAF, .eax = 0x2ff,
	  .ebx = 0x440, .ecx = 0x440 },
	{ .leaf = 0xd, .subleaf = 1, .flags = CPUID_F_SUBLEAF, .eax = 0xf },
	{ .leaf = 0x40000000, .eax = 0x40000001, .ebx = 0x4b4d564b,
	  .ecx = 0x564b4d56, .edx = 0x4d },		/* KVMKVMKVM */
	{ .leaf = 0x40000001, .eax = ALL },
	{ .leaf = 0x40000010, .eax = 0x1234 },
	{ .leaf = 0x80000000, .eax = 0x80000008 },
	{ .leaf = 0x80000001, .ecx = ALL, .edx = ALL },
};

static struct cpuid_policy *build_default(void)
{
	struct cpuid_policy *p = malloc(sizeof(*p));

	assert_non_null(p);
	assert_int_equal(cpuid_policy_build(p, host,
					    sizeof(host) / sizeof(host[0])), 0);
	return p;
}

static void test_hypervisor_leaves(void **state)
{
	struct cpuid_policy *p = build_default();
	uint32_t out[4];
	char sig[13];

	cpuid_policy_lookup(p, 0x40000000, 0, out);
	assert_int_equal(out[0], 0x40000002);
	memcpy(sig, &out[1], 12);
	sig[12] = '\0';
	assert_string_equal(sig, "XenVMMXenVMM");

	cpuid_policy_lookup(p, 0x40000001, 0, out);
	assert_int_equal(out[0], (PVISOR_XEN_MAJOR << 16) | PVISOR_XEN_MINOR);
	assert_int_equal(out[1] | out[2] | out[3], 0);

	cpuid_policy_lookup(p, 0x40000002, 0, out);
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], 0x40000000);
	free(p);
}

static void test_host_hv_leaves_dropped(void **state)
{
	struct cpuid_policy *p = build_default();
	uint32_t out[4];

	/* A host leaf with no Xen replacement disappears entirely. */
	cpuid_policy_lookup(p, 0x40000010, 0, out);
	assert_int_equal(out[0] | out[1] | out[2] | out[3], 0);
	for (unsigned int i = 0; i < p->nr; i++)
		assert_int_not_equal(p->leaves[i].ebx, 0x4b4d564b);
	/* Leaf 0xd (XSAVE enumeration), every subleaf. */
	cpuid_policy_lookup(p, 0xd, 0, out);
	assert_int_equal(out[0] | out[1] | out[2] | out[3], 0);
	cpuid_policy_lookup(p, 0xd, 1, out);
	assert_int_equal(out[0], 0);
	/* 11 host leaves, 5 dropped (0xd x2, 0x4000000{0,1,10}), 3 added. */
	assert_int_equal(p->nr, 11 - 5 + 3);
	free(p);
}

static void test_leaf1_bits(void **state)
{
	struct cpuid_policy *p = build_default();
	uint32_t out[4];

	cpuid_policy_lookup(p, 1, 0, out);
	assert_int_equal(out[0], 0x000906ea);
	assert_int_equal(out[1], 0x00100800);
	assert_true(out[2] & (1u << 31));		/* hypervisor */
	assert_false(out[3] & (1u << 3));		/* PSE */
	assert_false(out[3] & (1u << 13));		/* PGE */
	assert_false(out[3] & (1u << 17));		/* PSE36 */
	assert_false(out[3] & (1u << 12));		/* MTRR */
	assert_false(out[3] & (1u << 9));		/* APIC */
	assert_false(out[3] & (1u << 21));		/* DS */
	assert_false(out[2] & (1u << 5));		/* VMX */
	assert_false(out[2] & (1u << 17));		/* PCID */
	assert_false(out[2] & (1u << 21));		/* X2APIC */
	assert_false(out[2] & (1u << 24));		/* TSC deadline */
	assert_false(out[2] & (1u << 26));		/* XSAVE */
	assert_false(out[2] & (1u << 27));		/* OSXSAVE */
	assert_false(out[2] & (1u << 28));		/* AVX */
	/* What a PV guest keeps. */
	assert_true(out[3] & (1u << 0));		/* FPU */
	assert_true(out[3] & (1u << 4));		/* TSC */
	assert_true(out[3] & (1u << 25));		/* SSE */
	assert_true(out[3] & (1u << 26));		/* SSE2 */
	assert_true(out[2] & (1u << 0));		/* SSE3 */
	assert_true(out[2] & (1u << 19));		/* SSE4.1 */
	free(p);
}

/*
 * Contract §2.13 "The hypervisor must hide ... MONITOR ... DS/DTES64/
 * PDCM": leaf 1 ECX bits 3 (MONITOR), 2 (DTES64) and 15 (PDCM) are
 * passed through from the host by cpuid_policy_build.
 */
static void test_leaf1_contract_hidden(void **state)
{
	struct cpuid_policy *p = build_default();
	uint32_t out[4];

	cpuid_policy_lookup(p, 1, 0, out);
	assert_false(out[2] & (1u << 3));		/* MONITOR */
	assert_false(out[2] & (1u << 2));		/* DTES64 */
	assert_false(out[2] & (1u << 15));		/* PDCM */
	free(p);
}

static void test_leaf7_and_ext(void **state)
{
	struct cpuid_policy *p = build_default();
	uint32_t out[4];

	cpuid_policy_lookup(p, 7, 0, out);
	assert_int_equal(out[0], 1);
	assert_false(out[1] & (1u << 0));		/* FSGSBASE */
	assert_false(out[1] & (1u << 7));		/* SMEP */
	assert_false(out[1] & (1u << 10));		/* INVPCID */
	assert_false(out[1] & (1u << 20));		/* SMAP */
	assert_false(out[1] & (1u << 5));		/* AVX2 */
	assert_false(out[1] & (1u << 16));		/* AVX512F */
	assert_true(out[1] & (1u << 3));		/* BMI1 kept */
	assert_false(out[2] & (1u << 2));		/* UMIP */
	assert_false(out[2] & (1u << 3));		/* PKU */
	assert_false(out[2] & (1u << 16));		/* LA57 */
	assert_false(out[3] & (1u << 23));		/* AVX512-FP16 */

	cpuid_policy_lookup(p, 7, 1, out);
	assert_int_equal(out[0], ALL & ~0x30u);		/* no AVX-VNNI/BF16 */

	cpuid_policy_lookup(p, 0x80000001, 0, out);
	assert_false(out[3] & (1u << 26));		/* PDPE1GB */
	assert_true(out[3] & (1u << 29));		/* LM kept */
	assert_false(out[2] & (1u << 2));		/* SVM */
	assert_true(out[2] & (1u << 0));		/* LAHF kept */

	cpuid_policy_lookup(p, 0, 0, out);
	assert_int_equal(out[1], 0x756e6547);
	free(p);
}

static void test_unknown_leaf(void **state)
{
	struct cpuid_policy *p = build_default();
	uint32_t out[4] = { 1, 2, 3, 4 };

	cpuid_policy_lookup(p, 0x12345678, 0, out);
	assert_int_equal(out[0] | out[1] | out[2] | out[3], 0);
	out[0] = 5;
	cpuid_policy_lookup(p, 7, 2, out);		/* missing subleaf */
	assert_int_equal(out[0] | out[1] | out[2] | out[3], 0);
	/* Leaves without CPUID_F_SUBLEAF ignore the subleaf. */
	cpuid_policy_lookup(p, 1, 5, out);
	assert_int_equal(out[0], 0x000906ea);
	free(p);
}

static void test_empty_host(void **state)
{
	struct cpuid_policy *p = malloc(sizeof(*p));
	uint32_t out[4];

	assert_int_equal(cpuid_policy_build(p, NULL, 0), 0);
	assert_int_equal(p->nr, 3);
	cpuid_policy_lookup(p, 1, 0, out);
	assert_int_equal(out[2], 0);
	cpuid_policy_lookup(p, 0x40000000, 0, out);
	assert_int_equal(out[1], 0x566e6558);
	free(p);
}

static void test_too_many_leaves(void **state)
{
	struct cpuid_leaf *many = calloc(CPUID_MAX_LEAVES + 1, sizeof(*many));
	struct cpuid_policy *p = malloc(sizeof(*p));
	uint32_t out[4];

	for (unsigned int i = 0; i <= CPUID_MAX_LEAVES; i++)
		many[i].leaf = 0x80000000u + i;
	/* More host leaves than fit. */
	assert_int_equal(cpuid_policy_build(p, many, CPUID_MAX_LEAVES + 1),
			 -ENOSPC);
	/* They fit, but the three hypervisor leaves do not. */
	assert_int_equal(cpuid_policy_build(p, many, CPUID_MAX_LEAVES - 2),
			 -ENOSPC);
	/* Exactly full. */
	assert_int_equal(cpuid_policy_build(p, many, CPUID_MAX_LEAVES - 3), 0);
	assert_int_equal(p->nr, CPUID_MAX_LEAVES);
	cpuid_policy_lookup(p, 0x40000002, 0, out);
	assert_int_equal(out[1], 0x40000000);
	/* Dropped host leaves do not count. */
	many[0].leaf = 0xd;
	many[1].leaf = 0x40000005;
	assert_int_equal(cpuid_policy_build(p, many, CPUID_MAX_LEAVES - 1), 0);
	assert_int_equal(p->nr, CPUID_MAX_LEAVES);
	free(p);
	free(many);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hypervisor_leaves),
		cmocka_unit_test(test_host_hv_leaves_dropped),
		cmocka_unit_test(test_leaf1_bits),
		cmocka_unit_test(test_leaf1_contract_hidden),
		cmocka_unit_test(test_leaf7_and_ext),
		cmocka_unit_test(test_unknown_leaf),
		cmocka_unit_test(test_empty_host),
		cmocka_unit_test(test_too_many_leaves),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

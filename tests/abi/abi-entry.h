/* SPDX-License-Identifier: MIT */
/*
 * What each side of the ABI comparison exports: one entry per value
 * computed from abi-list.h, in list order.
 */
#ifndef TESTS_ABI_ENTRY_H
#define TESTS_ABI_ENTRY_H

#include <stddef.h>
#include <stdint.h>

struct abi_entry {
	const char *name;	/* the expression, as spelled in the list */
	uint64_t value;		/* integer result (unused for strings) */
	const char *str;	/* ABI_STR result, else NULL */
};

/*
 * Fill out[0..max) and return how many entries the list has (which may
 * exceed max: then only the first max were written).
 */
size_t abi_collect_ours(struct abi_entry *out, size_t max);
size_t abi_collect_xen(struct abi_entry *out, size_t max);

#endif /* TESTS_ABI_ENTRY_H */

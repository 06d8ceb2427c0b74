// SPDX-License-Identifier: MIT
/*
 * The legacy "__xen_guest" section of pre-ELF-note PV kernels: one
 * NUL-terminated string of comma-separated KEY=VALUE items, e.g.
 * "GUEST_OS=linux,XEN_VER=xen-3.0,VIRT_BASE=0xc0000000,HYPERCALL_PAGE=0x2".
 * It fills the same fields as the Xen ELF notes; the keys and their units
 * are those of Xen's libelf.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pvisor/loader.h"

#define UNSET	(~0ull)

static bool key_is(const char *key, size_t klen, const char *name)
{
	return klen == strlen(name) && !memcmp(key, name, klen);
}

/*
 * Xen reads numbers with strtoull(value, NULL, 0). We take the same bases
 * (0x hex, leading-0 octal, decimal) but the whole value must be digits
 * and fit in 64 bits, where Xen would silently use 0, a prefix or
 * ULLONG_MAX: a kernel whose addresses are garbage cannot be loaded right.
 */
static int parse_number(const char *s, size_t n, uint64_t *out)
{
	unsigned int base = 10;
	uint64_t v = 0;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		n -= 2;
	} else if (n > 1 && s[0] == '0') {
		base = 8;
		s++;
		n--;
	}
	if (n == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned int d;

		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else
			return -EINVAL;
		if (d >= base)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

/* Like a string note: cut to the field, always terminated. */
static void set_string(char *dst, size_t max, const char *s, size_t n)
{
	snprintf(dst, max, "%.*s", (int)(n < max ? n : max - 1), s);
}

int elf_xen_guest_parse(const uint8_t *sec, uint64_t size,
			struct pv_kernel_info *k, const char **why)
{
	const char *s = (const char *)sec;
	const char *end = memchr(sec, '\0', size);
	uint64_t hc_page = 0;
	bool have_hc = false;

	*why = "__xen_guest string not NUL-terminated inside its section";
	if (!end)
		return -EINVAL;
	while (s < end) {
		const char *item_end = memchr(s, ',', end - s);
		const char *eq, *val;
		size_t klen, vlen;
		uint64_t *num = NULL;
		int rc;

		if (!item_end)
			item_end = end;
		eq = memchr(s, '=', item_end - s);
		klen = (eq ? eq : item_end) - s;
		val = eq ? eq + 1 : item_end;
		vlen = item_end - val;

		if (key_is(s, klen, "GUEST_OS"))
			set_string(k->guest_os, sizeof(k->guest_os), val, vlen);
		else if (key_is(s, klen, "XEN_VER"))
			set_string(k->xen_version, sizeof(k->xen_version), val,
				   vlen);
		else if (key_is(s, klen, "LOADER"))
			set_string(k->loader, sizeof(k->loader), val, vlen);
		else if (key_is(s, klen, "FEATURES"))	/* '|'-separated */
			set_string(k->features, sizeof(k->features), val, vlen);
		else if (key_is(s, klen, "VIRT_BASE"))
			num = &k->virt_base;
		else if (key_is(s, klen, "VIRT_ENTRY"))
			num = &k->entry;
		else if (key_is(s, klen, "ELF_PADDR_OFFSET"))
			num = &k->paddr_offset;
		else if (key_is(s, klen, "HYPERCALL_PAGE")) {
			num = &hc_page;
			have_hc = true;
		}
		/*
		 * Anything else is ignored, as Xen does with unknown keys and
		 * empty items; also its GUEST_VER (nowhere to put it), PAE
		 * (32-bit guests only) and BSD_SYMTAB (no symbol table load).
		 */
		if (num) {
			rc = parse_number(val, vlen, num);
			*why = rc == -ERANGE ?
				"__xen_guest: number does not fit in 64 bits" :
				"__xen_guest: value of a numeric key is not a number";
			if (rc)
				return -EINVAL;
		}
		s = item_end + (item_end < end);
	}

	/* A page number, relative to VIRT_BASE when that is given. */
	if (have_hc) {
		uint64_t base = k->virt_base == UNSET ? 0 : k->virt_base;

		*why = "__xen_guest: HYPERCALL_PAGE beyond the address space";
		if (hc_page > UINT64_MAX >> 12 ||
		    (hc_page << 12) > UINT64_MAX - base)
			return -EINVAL;
		k->hypercall_page = base + (hc_page << 12);
	}
	*why = NULL;
	return 0;
}

// SPDX-License-Identifier: MIT
/* Which kind of kernel file the builder was given, and the ELF inside it. */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "pvisor/kernel_image.h"
#include "pvisor/log.h"

enum kernel_format kernel_image_sniff(const uint8_t *img, size_t len)
{
	if (len >= SELFMAG && !memcmp(img, ELFMAG, SELFMAG))
		return KERNEL_FMT_ELF;
	if (bzimage_looks_like(img, len))
		return KERNEL_FMT_BZIMAGE;
	return KERNEL_FMT_UNKNOWN;
}

const char *kernel_format_name(enum kernel_format fmt)
{
	switch (fmt) {
	case KERNEL_FMT_ELF:
		return "ELF";
	case KERNEL_FMT_BZIMAGE:
		return "bzImage";
	default:
		return "unknown";
	}
}

int kernel_image_elf(const uint8_t *img, size_t len, const uint8_t **elf,
		     size_t *elf_len, uint8_t **owned, const char **why)
{
	const uint8_t *payload;
	size_t payload_len;
	int rc;

	*owned = NULL;
	switch (kernel_image_sniff(img, len)) {
	case KERNEL_FMT_ELF:
		*elf = img;
		*elf_len = len;
		return 0;
	case KERNEL_FMT_BZIMAGE:
		break;
	default:
		*why = "kernel is neither an ELF file nor a bzImage";
		return -EINVAL;
	}
	rc = bzimage_payload(img, len, &payload, &payload_len, why);
	if (rc)
		return rc;
	rc = kernel_decompress(payload, payload_len, KERNEL_MAX_DECOMPRESSED,
			       owned, elf_len, why);
	if (rc)
		return rc;
	pr_debug("bzImage: %s payload, %zu -> %zu bytes\n",
		 kernel_compression_name(payload, payload_len), payload_len,
		 *elf_len);
	*elf = *owned;
	return 0;
}

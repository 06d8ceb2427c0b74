/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_KERNEL_IMAGE_H
#define PVISOR_KERNEL_IMAGE_H

/*
 * Kernel files the builder accepts: a plain ELF, or a Linux bzImage whose
 * protected-mode part carries a compressed ELF (boot protocol >= 2.08).
 * Every size read from the file is bounded; malformed input yields
 * -EINVAL (or -E2BIG / -ENOTSUP) with *why set, never a crash.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum kernel_format {
	KERNEL_FMT_UNKNOWN,
	KERNEL_FMT_ELF,
	KERNEL_FMT_BZIMAGE,
};

/* Largest decompressed kernel we accept (Debian's is ~53 MiB). */
#define KERNEL_MAX_DECOMPRESSED	(256u << 20)

enum kernel_format kernel_image_sniff(const uint8_t *img, size_t len);
const char *kernel_format_name(enum kernel_format fmt);

/* The bzImage magics alone (boot flag 0xAA55, "HdrS"). */
bool bzimage_looks_like(const uint8_t *img, size_t len);
/* Where a bzImage's compressed payload lies (contract §1.1). */
int bzimage_payload(const uint8_t *img, size_t len, const uint8_t **payload,
		    size_t *payload_len, const char **why);

/*
 * Decompress a kernel payload, picking the format by its magic. The last
 * four bytes are the decompressed size (Linux appends it; for gzip it is
 * the stream's own ISIZE). *out is malloc()ed, of exactly that size.
 */
int kernel_decompress(const uint8_t *in, size_t len, size_t max_out,
		      uint8_t **out, size_t *out_len, const char **why);
/* "lz4", "gzip", ... by magic; "unknown" otherwise. */
const char *kernel_compression_name(const uint8_t *in, size_t len);

/*
 * The ELF inside a kernel file: the file itself, or a bzImage's payload
 * decompressed into *owned (free() it after loading; NULL for an ELF).
 */
int kernel_image_elf(const uint8_t *img, size_t len, const uint8_t **elf,
		     size_t *elf_len, uint8_t **owned, const char **why);

#endif

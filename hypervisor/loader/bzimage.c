// SPDX-License-Identifier: MIT
/*
 * Linux bzImage: find the compressed kernel in the setup header (x86
 * boot protocol >= 2.08, which added payload_offset/payload_length for
 * exactly this use). Offsets are those of Documentation/x86/boot.rst and
 * Xen's xg_dom_bzimageloader.c; the contract §1.1 lists them.
 */
#include <errno.h>
#include <string.h>

#include "pvisor/kernel_image.h"

#define OFF_SETUP_SECTS		0x1f1
#define OFF_BOOT_FLAG		0x1fe
#define OFF_HEADER		0x202
#define OFF_VERSION		0x206
#define OFF_PAYLOAD_OFFSET	0x248
#define OFF_PAYLOAD_LENGTH	0x24c
#define SETUP_HEADER_END	0x250	/* through payload_length */
#define MIN_PROTOCOL		0x0208

static uint16_t le16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

bool bzimage_looks_like(const uint8_t *img, size_t len)
{
	return len >= SETUP_HEADER_END && le16(img + OFF_BOOT_FLAG) == 0xaa55 &&
	       !memcmp(img + OFF_HEADER, "HdrS", 4);
}

int bzimage_payload(const uint8_t *img, size_t len, const uint8_t **payload,
		    size_t *payload_len, const char **why)
{
	uint64_t setup_sects, pm_start, off, plen;

	*why = "not a bzImage (no 0xAA55 boot flag and \"HdrS\" header)";
	if (!bzimage_looks_like(img, len))
		return -EINVAL;
	*why = "bzImage boot protocol older than 2.08 (no payload fields)";
	if (le16(img + OFF_VERSION) < MIN_PROTOCOL)
		return -EINVAL;
	setup_sects = img[OFF_SETUP_SECTS];
	if (setup_sects == 0)
		setup_sects = 4;	/* the protocol's historical default */
	pm_start = (setup_sects + 1) * 512;
	off = pm_start + le32(img + OFF_PAYLOAD_OFFSET);	/* no overflow: < 2^33 */
	plen = le32(img + OFF_PAYLOAD_LENGTH);
	*why = "bzImage payload lies outside the file";
	if (off > len || plen > len - off)
		return -EINVAL;
	*why = "bzImage payload is empty";
	if (plen == 0)
		return -EINVAL;
	*payload = img + off;
	*payload_len = plen;
	*why = NULL;
	return 0;
}

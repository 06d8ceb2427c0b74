// SPDX-License-Identifier: MIT
/*
 * Kernel payload decompression, by magic, with Debian's libraries. The
 * decompressed size is known in advance (the 4-byte trailer Linux's
 * build appends, contract §1.1), so every decoder writes into one buffer
 * of exactly that size and must fill it: a short or long result is an
 * error, and no decoder can write past the buffer.
 */
#include <bzlib.h>
#include <errno.h>
#include <lz4.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "pvisor/kernel_image.h"

#define TRAILER_LEN		4
#define LZ4_LEGACY_MAGIC	0x184c2102u
#define LZ4_LEGACY_BLOCK	(8u << 20)	/* output per legacy block */
#define LZMA_MEMLIMIT		(160ull << 20)	/* lzma -9 uses a 64 MiB dict */

enum codec { C_UNKNOWN, C_GZIP, C_BZIP2, C_XZ, C_LZMA, C_ZSTD, C_LZ4, C_LZO };

static const struct {
	enum codec c;
	const char *name;
	uint8_t magic[4];
	size_t len;
} magics[] = {
	{ C_GZIP,  "gzip",  { 0x1f, 0x8b },             2 },
	{ C_BZIP2, "bzip2", { 'B', 'Z', 'h' },          3 },
	{ C_XZ,    "xz",    { 0xfd, '7', 'z', 'X' },    4 },
	{ C_LZMA,  "lzma",  { 0x5d, 0x00 },             2 },
	{ C_ZSTD,  "zstd",  { 0x28, 0xb5, 0x2f, 0xfd }, 4 },
	{ C_LZ4,   "lz4",   { 0x02, 0x21, 0x4c, 0x18 }, 4 },
	{ C_LZO,   "lzo",   { 0x89, 'L', 'Z', 'O' },    4 },
};

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static int codec_of(const uint8_t *in, size_t len, const char **name)
{
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (len >= magics[i].len &&
		    !memcmp(in, magics[i].magic, magics[i].len)) {
			*name = magics[i].name;
			return magics[i].c;
		}
	*name = "unknown";
	return C_UNKNOWN;
}

const char *kernel_compression_name(const uint8_t *in, size_t len)
{
	const char *name;

	codec_of(in, len, &name);
	return name;
}

/* Linux's legacy LZ4 frame: magic, then (u32 length, block)*, magic repeats. */
static int lz4_legacy(const uint8_t *in, size_t len, uint8_t *out,
		      size_t out_len, const char **why)
{
	size_t pos = 4, done = 0;

	while (pos < len) {
		uint32_t chunk;
		size_t room;
		int n;

		*why = "lz4: truncated block header";
		if (len - pos < 4)
			return -EINVAL;
		chunk = le32(in + pos);
		pos += 4;
		if (chunk == LZ4_LEGACY_MAGIC)
			continue;
		*why = "lz4: block length exceeds the payload or the format's limit";
		if (chunk == 0 || chunk > len - pos ||
		    chunk > (uint32_t)LZ4_COMPRESSBOUND(LZ4_LEGACY_BLOCK))
			return -EINVAL;
		room = out_len - done;
		if (room > LZ4_LEGACY_BLOCK)
			room = LZ4_LEGACY_BLOCK;
		n = LZ4_decompress_safe((const char *)in + pos,
					(char *)out + done, (int)chunk, (int)room);
		*why = "lz4: corrupt block, or more data than the size trailer";
		if (n < 0)
			return -EINVAL;
		done += n;
		pos += chunk;
	}
	*why = "lz4: decompressed size differs from the size trailer";
	return done == out_len ? 0 : -EINVAL;
}

static int gzip(const uint8_t *in, size_t len, uint8_t *out, size_t out_len,
		const char **why)
{
	z_stream s = { 0 };
	int zr;

	*why = "gzip: cannot initialise zlib";
	if (inflateInit2(&s, 16 + MAX_WBITS) != Z_OK)
		return -ENOMEM;
	s.next_in = (Bytef *)in;
	s.avail_in = (uInt)len;
	s.next_out = out;
	s.avail_out = (uInt)out_len;
	zr = inflate(&s, Z_FINISH);
	inflateEnd(&s);
	if (zr == Z_STREAM_END) {
		*why = "gzip: decompressed size differs from the size trailer";
		return s.total_out == out_len ? 0 : -EINVAL;
	}
	*why = (zr == Z_BUF_ERROR && s.avail_out == 0) ?
	       "gzip: more data than the size trailer" :
	       "gzip: corrupt or truncated stream";
	return -EINVAL;
}

static int bzip2(const uint8_t *in, size_t len, uint8_t *out, size_t out_len,
		 const char **why)
{
	unsigned int n = (unsigned int)out_len;
	int r;

	r = BZ2_bzBuffToBuffDecompress((char *)out, &n, (char *)in,
				       (unsigned int)len, 0, 0);
	if (r == BZ_OK) {
		*why = "bzip2: decompressed size differs from the size trailer";
		return n == out_len ? 0 : -EINVAL;
	}
	*why = r == BZ_OUTBUFF_FULL ? "bzip2: more data than the size trailer" :
	       r == BZ_MEM_ERROR ? "bzip2: out of memory" :
	       "bzip2: corrupt or truncated stream";
	return r == BZ_MEM_ERROR ? -ENOMEM : -EINVAL;
}

/* xz (.xz container) and lzma ("lzma_alone") both go through liblzma. */
static int lzma_any(bool alone, const uint8_t *in, size_t len, uint8_t *out,
		    size_t out_len, const char **why)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret r;

	r = alone ? lzma_alone_decoder(&s, LZMA_MEMLIMIT) :
		    lzma_stream_decoder(&s, LZMA_MEMLIMIT, 0);
	*why = "xz/lzma: cannot initialise liblzma";
	if (r != LZMA_OK)
		return -ENOMEM;
	s.next_in = in;
	s.avail_in = len;
	s.next_out = out;
	s.avail_out = out_len;
	r = lzma_code(&s, LZMA_FINISH);
	lzma_end(&s);
	if (r == LZMA_STREAM_END) {
		*why = "xz/lzma: decompressed size differs from the size trailer";
		return s.total_out == out_len ? 0 : -EINVAL;
	}
	*why = r == LZMA_MEMLIMIT_ERROR ? "xz/lzma: dictionary larger than 160 MiB" :
	       r == LZMA_BUF_ERROR && s.avail_out == 0 ?
	       "xz/lzma: more data than the size trailer" :
	       "xz/lzma: corrupt or truncated stream";
	return -EINVAL;
}

static int zstd(const uint8_t *in, size_t len, uint8_t *out, size_t out_len,
		const char **why)
{
	size_t n = ZSTD_decompress(out, out_len, in, len);

	if (ZSTD_isError(n)) {
		*why = ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall ?
		       "zstd: more data than the size trailer" :
		       "zstd: corrupt or truncated stream";
		return -EINVAL;
	}
	*why = "zstd: decompressed size differs from the size trailer";
	return n == out_len ? 0 : -EINVAL;
}

int kernel_decompress(const uint8_t *in, size_t len, size_t max_out,
		      uint8_t **out, size_t *out_len, const char **why)
{
	const char *name;
	enum codec c = codec_of(in, len, &name);
	size_t size, body;
	uint8_t *buf;
	int rc;

	*out = NULL;
	*out_len = 0;
	*why = "compressed payload shorter than its magic and size trailer";
	if (len < 8)
		return -EINVAL;
	*why = "compressed payload larger than the decompressed-size limit";
	if (len > KERNEL_MAX_DECOMPRESSED)
		return -E2BIG;
	*why = "unknown compression (not gzip, bzip2, xz, lzma, zstd or lz4)";
	if (c == C_UNKNOWN)
		return -EINVAL;
	*why = "LZO-compressed kernels are not supported";
	if (c == C_LZO)
		return -ENOTSUP;
	body = len - TRAILER_LEN;
	size = le32(in + body);
	*why = "size trailer is zero or above the decompressed-size limit";
	if (size == 0 || size > max_out || size > KERNEL_MAX_DECOMPRESSED)
		return -E2BIG;
	*why = "out of memory for the decompressed kernel";
	buf = malloc(size);
	if (!buf)
		return -ENOMEM;

	switch (c) {
	case C_GZIP:	/* the trailer is the stream's own ISIZE */
		rc = gzip(in, len, buf, size, why);
		break;
	case C_BZIP2:
		rc = bzip2(in, body, buf, size, why);
		break;
	case C_XZ:
		rc = lzma_any(false, in, body, buf, size, why);
		break;
	case C_LZMA:
		rc = lzma_any(true, in, body, buf, size, why);
		break;
	case C_ZSTD:
		rc = zstd(in, body, buf, size, why);
		break;
	default:
		rc = lz4_legacy(in, body, buf, size, why);
		break;
	}
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf;
	*out_len = size;
	*why = NULL;
	return 0;
}

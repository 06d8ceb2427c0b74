/* SPDX-License-Identifier: MIT */
/*
 * bzImage payloads and their decompression (loader/bzimage.c,
 * decompress.c, kernel_image.c). Synthetic bzImages are built here with
 * the same libraries, one per compressor, then broken in every way the
 * header and the framing allow.
 */
#include <bzlib.h>
#include <errno.h>
#include <lz4.h>
#include <lzma.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <cmocka.h>

#include "pvisor/kernel_image.h"
#include "pvisor/loader.h"
#include "pvisor/pv_layout.h"

#define SETUP_SECTS	3
#define PM_START	((SETUP_SECTS + 1) * 512)
#define PAYLOAD_OFF	0x2cc		/* Debian's value */
#define LZ4_MAGIC	0x184c2102u
#define LZ4_BLOCK	(8u << 20)

enum codec { GZIP, BZIP2, XZ, LZMA, ZSTD, LZ4, NR_CODECS };
static const char *const codec_names[] = {
	"gzip", "bzip2", "xz", "lzma", "zstd", "lz4"
};

struct buf {
	uint8_t *p;
	size_t len;
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/* Compressible but not trivial: an "ELF" header, then patterned text. */
static struct buf make_plain(size_t len)
{
	struct buf b = { malloc(len), len };
	uint32_t x = 12345;

	assert_non_null(b.p);
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245 + 12345;
		b.p[i] = (i % 64 < 48) ? "pvisor boots stock kernels "[i % 27] :
					 (uint8_t)(x >> 24);
	}
	memcpy(b.p, "\177ELF", 4);
	return b;
}

static void append(struct buf *b, const void *p, size_t n)
{
	b->p = realloc(b->p, b->len + n);
	assert_non_null(b->p);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void append32(struct buf *b, uint32_t v)
{
	uint8_t le[4];

	put32(le, v);
	append(b, le, 4);
}

/* Linux's legacy LZ4 frame, optionally repeating the magic mid-stream. */
static struct buf lz4_legacy(const struct buf *in, bool repeat_magic)
{
	struct buf out = { NULL, 0 };
	int cap = LZ4_compressBound(LZ4_BLOCK);
	char *blk = malloc(cap);

	append32(&out, LZ4_MAGIC);
	for (size_t off = 0; off < in->len; off += LZ4_BLOCK) {
		size_t n = in->len - off < LZ4_BLOCK ? in->len - off : LZ4_BLOCK;
		int c = LZ4_compress_default((const char *)in->p + off, blk,
					     (int)n, cap);

		assert_true(c > 0);
		if (repeat_magic && off)
			append32(&out, LZ4_MAGIC);
		append32(&out, (uint32_t)c);
		append(&out, blk, c);
	}
	free(blk);
	return out;
}

static struct buf compress_with(enum codec c, const struct buf *in)
{
	struct buf out = { NULL, 0 };
	size_t cap = in->len + in->len / 2 + 65536;

	if (c == LZ4)
		return lz4_legacy(in, false);
	out.p = malloc(cap);
	assert_non_null(out.p);
	switch (c) {
	case GZIP: {
		z_stream s = { 0 };

		assert_int_equal(deflateInit2(&s, 9, Z_DEFLATED, 16 + MAX_WBITS,
					      8, Z_DEFAULT_STRATEGY), Z_OK);
		s.next_in = in->p;
		s.avail_in = in->len;
		s.next_out = out.p;
		s.avail_out = cap;
		assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
		out.len = s.total_out;
		deflateEnd(&s);
		break;
	}
	case BZIP2: {
		unsigned int n = cap;

		assert_int_equal(BZ2_bzBuffToBuffCompress((char *)out.p, &n,
				 (char *)in->p, in->len, 9, 0, 0), BZ_OK);
		out.len = n;
		break;
	}
	case XZ:
		assert_int_equal(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32,
				 NULL, in->p, in->len, out.p, &out.len, cap),
				 LZMA_OK);
		break;
	case LZMA: {
		lzma_stream s = LZMA_STREAM_INIT;
		lzma_options_lzma opt;

		lzma_lzma_preset(&opt, 6);
		assert_int_equal(lzma_alone_encoder(&s, &opt), LZMA_OK);
		s.next_in = in->p;
		s.avail_in = in->len;
		s.next_out = out.p;
		s.avail_out = cap;
		assert_int_equal(lzma_code(&s, LZMA_FINISH), LZMA_STREAM_END);
		out.len = s.total_out;
		lzma_end(&s);
		break;
	}
	case ZSTD:
		out.len = ZSTD_compress(out.p, cap, in->p, in->len, 19);
		assert_false(ZSTD_isError(out.len));
		break;
	default:
		fail();
	}
	return out;
}

/* The payload as Linux's build leaves it: stream + size (gzip: as is). */
static struct buf payload_for(enum codec c, const struct buf *plain)
{
	struct buf p = compress_with(c, plain);

	if (c != GZIP)
		append32(&p, (uint32_t)plain->len);
	return p;
}

/* A bzImage: setup sectors, then the protected-mode part with the payload. */
static struct buf make_bzimage(const struct buf *payload)
{
	size_t len = PM_START + PAYLOAD_OFF + payload->len + 64;
	struct buf b = { calloc(1, len), len };

	assert_non_null(b.p);
	b.p[0x1f1] = SETUP_SECTS;
	b.p[0x1fe] = 0x55;
	b.p[0x1ff] = 0xaa;
	memcpy(b.p + 0x202, "HdrS", 4);
	b.p[0x206] = 0x0f;
	b.p[0x207] = 0x02;
	put32(b.p + 0x248, PAYLOAD_OFF);
	put32(b.p + 0x24c, (uint32_t)payload->len);
	memcpy(b.p + PM_START + PAYLOAD_OFF, payload->p, payload->len);
	return b;
}

static void check_roundtrip(enum codec c, size_t plain_len)
{
	struct buf plain = make_plain(plain_len);
	struct buf pl = payload_for(c, &plain);
	struct buf img = make_bzimage(&pl);
	const uint8_t *elf = NULL;
	size_t elf_len = 0;
	uint8_t *owned = NULL;
	const char *why = NULL;

	assert_int_equal(kernel_image_sniff(img.p, img.len), KERNEL_FMT_BZIMAGE);
	assert_string_equal(kernel_compression_name(pl.p, pl.len),
			    codec_names[c]);
	assert_int_equal(kernel_image_elf(img.p, img.len, &elf, &elf_len,
					  &owned, &why), 0);
	assert_non_null(owned);
	assert_ptr_equal(elf, owned);
	assert_int_equal(elf_len, plain.len);
	assert_memory_equal(elf, plain.p, plain.len);
	free(owned);
	free(plain.p);
	free(pl.p);
	free(img.p);
}

static void test_gzip(void **s)  { (void)s; check_roundtrip(GZIP, 300000); }
static void test_bzip2(void **s) { (void)s; check_roundtrip(BZIP2, 300000); }
static void test_xz(void **s)    { (void)s; check_roundtrip(XZ, 300000); }
static void test_lzma(void **s)  { (void)s; check_roundtrip(LZMA, 300000); }
static void test_zstd(void **s)  { (void)s; check_roundtrip(ZSTD, 300000); }
static void test_lz4(void **s)   { (void)s; check_roundtrip(LZ4, 300000); }

/* More than one 8 MiB legacy block, with the magic repeated between. */
static void test_lz4_multiblock(void **state)
{
	struct buf plain = make_plain(LZ4_BLOCK * 2 + 12345);
	struct buf pl = lz4_legacy(&plain, true);
	uint8_t *out = NULL;
	size_t out_len = 0;
	const char *why;

	(void)state;
	append32(&pl, (uint32_t)plain.len);
	assert_int_equal(kernel_decompress(pl.p, pl.len, KERNEL_MAX_DECOMPRESSED,
					   &out, &out_len, &why), 0);
	assert_int_equal(out_len, plain.len);
	assert_memory_equal(out, plain.p, plain.len);
	free(out);
	free(pl.p);
	free(plain.p);
}

static void test_elf_passthrough(void **state)
{
	uint8_t elfimg[64] = { 0x7f, 'E', 'L', 'F' };
	const uint8_t *elf;
	size_t len;
	uint8_t *owned = (uint8_t *)1;
	const char *why;

	(void)state;
	assert_int_equal(kernel_image_sniff(elfimg, sizeof(elfimg)), KERNEL_FMT_ELF);
	assert_int_equal(kernel_image_elf(elfimg, sizeof(elfimg), &elf, &len,
					  &owned, &why), 0);
	assert_ptr_equal(elf, elfimg);
	assert_int_equal(len, sizeof(elfimg));
	assert_null(owned);
}

static void test_unknown_file(void **state)
{
	uint8_t junk[0x400] = { 'M', 'Z' };
	const uint8_t *elf;
	size_t len;
	uint8_t *owned;
	const char *why = NULL;

	(void)state;
	assert_int_equal(kernel_image_sniff(junk, sizeof(junk)), KERNEL_FMT_UNKNOWN);
	assert_int_equal(kernel_image_elf(junk, sizeof(junk), &elf, &len,
					  &owned, &why), -EINVAL);
	assert_non_null(why);
	assert_null(owned);
	/* Too short even for the magic. */
	assert_int_equal(kernel_image_sniff(junk, 2), KERNEL_FMT_UNKNOWN);
}

/* One valid lz4 image per test, broken by `mutate`, must fail cleanly. */
static int extract(struct buf *img, const char **why)
{
	const uint8_t *elf;
	size_t len;
	uint8_t *owned = NULL;
	int rc = kernel_image_elf(img->p, img->len, &elf, &len, &owned, why);

	free(owned);
	return rc;
}

static struct buf lz4_image(void)
{
	struct buf plain = make_plain(100000);
	struct buf pl = payload_for(LZ4, &plain);
	struct buf img = make_bzimage(&pl);

	free(plain.p);
	free(pl.p);
	return img;
}

static void test_header_errors(void **state)
{
	struct buf img = lz4_image();
	uint8_t saved[0x300];
	size_t orig_len = img.len;
	const char *why;

	(void)state;
	memcpy(saved, img.p, sizeof(saved));

	/* Truncated before the payload fields. */
	img.len = 0x24f;
	assert_int_not_equal(extract(&img, &why), 0);
	img.len = PM_START + PAYLOAD_OFF + 10;	/* payload cut short */
	assert_int_equal(extract(&img, &why), -EINVAL);
	assert_string_equal(why, "bzImage payload lies outside the file");
	img.len = orig_len;

	img.p[0x1fe] = 0;				/* boot flag */
	assert_int_equal(extract(&img, &why), -EINVAL);
	memcpy(img.p, saved, sizeof(saved));
	img.p[0x203] = 'X';				/* "HXrS" */
	assert_int_equal(extract(&img, &why), -EINVAL);
	memcpy(img.p, saved, sizeof(saved));
	img.p[0x206] = 0x07;				/* protocol 2.07 */
	assert_int_equal(extract(&img, &why), -EINVAL);
	assert_string_equal(why, "bzImage boot protocol older than 2.08 "
			    "(no payload fields)");
	memcpy(img.p, saved, sizeof(saved));
	put32(img.p + 0x248, 0xfffffff0);		/* offset past the end */
	assert_int_equal(extract(&img, &why), -EINVAL);
	memcpy(img.p, saved, sizeof(saved));
	put32(img.p + 0x24c, 0xffffffff);		/* length past the end */
	assert_int_equal(extract(&img, &why), -EINVAL);
	memcpy(img.p, saved, sizeof(saved));
	put32(img.p + 0x24c, 0);			/* empty payload */
	assert_int_equal(extract(&img, &why), -EINVAL);
	memcpy(img.p, saved, sizeof(saved));
	/* setup_sects 0 means 4: the payload is then 512 bytes further on. */
	img.p[0x1f1] = 0;
	assert_int_not_equal(extract(&img, &why), 0);
	memcpy(img.p, saved, sizeof(saved));
	assert_int_equal(extract(&img, &why), 0);
	free(img.p);
}

static void test_setup_sects_zero_is_four(void **state)
{
	struct buf plain = make_plain(5000);
	struct buf pl = payload_for(GZIP, &plain);
	struct buf img = make_bzimage(&pl);
	struct buf moved = { calloc(1, img.len + 512), img.len + 512 };
	const uint8_t *p;
	size_t plen;
	const char *why;

	(void)state;
	/* Same image with the payload one sector further and setup_sects 0. */
	memcpy(moved.p, img.p, PM_START);
	memcpy(moved.p + PM_START + 512, img.p + PM_START, img.len - PM_START);
	moved.p[0x1f1] = 0;
	assert_int_equal(bzimage_payload(moved.p, moved.len, &p, &plen, &why), 0);
	assert_ptr_equal(p, moved.p + 5 * 512 + PAYLOAD_OFF);
	assert_int_equal(plen, pl.len);
	free(moved.p);
	free(img.p);
	free(pl.p);
	free(plain.p);
}

static int decompress(struct buf *pl, size_t max, const char **why)
{
	uint8_t *out = (uint8_t *)1;
	size_t out_len = 1;
	int rc = kernel_decompress(pl->p, pl->len, max, &out, &out_len, why);

	if (rc) {
		assert_null(out);
		assert_int_equal(out_len, 0);
	}
	free(out);
	return rc;
}

/* The size trailer: too small, too large, zero, above the limit. */
static void test_trailer(void **state)
{
	(void)state;
	for (int c = 0; c < NR_CODECS; c++) {
		struct buf plain = make_plain(70000);
		struct buf pl = payload_for(c, &plain);
		uint8_t *t = pl.p + pl.len - 4;
		const char *why;

		put32(t, plain.len - 1);
		assert_int_equal(decompress(&pl, KERNEL_MAX_DECOMPRESSED, &why),
				 -EINVAL);
		put32(t, plain.len + 1);
		assert_int_equal(decompress(&pl, KERNEL_MAX_DECOMPRESSED, &why),
				 -EINVAL);
		put32(t, 0);
		assert_int_equal(decompress(&pl, KERNEL_MAX_DECOMPRESSED, &why),
				 -E2BIG);
		put32(t, 0xffffffff);
		assert_int_equal(decompress(&pl, KERNEL_MAX_DECOMPRESSED, &why),
				 -E2BIG);
		assert_string_equal(why, "size trailer is zero or above the "
				    "decompressed-size limit");
		put32(t, plain.len);
		assert_int_equal(decompress(&pl, plain.len - 1, &why), -E2BIG);
		assert_int_equal(decompress(&pl, plain.len, &why), 0);
		free(pl.p);
		free(plain.p);
	}
}

/* Truncated streams (trailer kept) fail with a message, every codec. */
static void test_truncated_streams(void **state)
{
	(void)state;
	for (int c = 0; c < NR_CODECS; c++) {
		struct buf plain = make_plain(70000);
		struct buf pl = payload_for(c, &plain);
		size_t cuts[] = { 5, 17, pl.len / 3, pl.len - 9 };

		for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
			struct buf cut = { malloc(cuts[i] + 4), cuts[i] + 4 };
			const char *why = NULL;

			memcpy(cut.p, pl.p, cuts[i]);
			memcpy(cut.p + cuts[i], pl.p + pl.len - 4, 4);
			assert_int_not_equal(decompress(&cut,
					     KERNEL_MAX_DECOMPRESSED, &why), 0);
			assert_non_null(why);
			free(cut.p);
		}
		free(pl.p);
		free(plain.p);
	}
}

static void test_lz4_framing(void **state)
{
	struct buf plain = make_plain(50000);
	struct buf pl = payload_for(LZ4, &plain);
	uint8_t *blk_len = pl.p + 4;
	uint32_t good = blk_len[0] | blk_len[1] << 8 | blk_len[2] << 16;
	const char *why;

	(void)state;
	put32(blk_len, good + 1000000);		/* block beyond the payload */
	assert_int_equal(decompress(&pl, KERNEL_MAX_DECOMPRESSED, &why), -EINVAL);
	put32(blk_len, 0x7fffffff);
	assert_int_equal(decompress(&pl, KERNEL_MAX_DECOMPRESSED, &why), -EINVAL);
	put32(blk_len, 0);			/* empty block */
	assert_int_equal(decompress(&pl, KERNEL_MAX_DECOMPRESSED, &why), -EINVAL);
	put32(blk_len, good - 1);		/* block cut, 1 byte left over */
	assert_int_equal(decompress(&pl, KERNEL_MAX_DECOMPRESSED, &why), -EINVAL);
	put32(blk_len, good);
	assert_int_equal(decompress(&pl, KERNEL_MAX_DECOMPRESSED, &why), 0);

	/* Only the magic and the trailer: no block at all. */
	{
		uint8_t empty[8];

		put32(empty, LZ4_MAGIC);
		put32(empty + 4, 100);
		struct buf e = { empty, 8 };
		assert_int_equal(decompress(&e, KERNEL_MAX_DECOMPRESSED, &why),
				 -EINVAL);
	}
	free(pl.p);
	free(plain.p);
}

static void test_magic_errors(void **state)
{
	uint8_t lzo[16] = { 0x89, 'L', 'Z', 'O', 0, 0, 0, 0, 0, 0, 0, 0,
			    0x10, 0, 0, 0 };
	uint8_t unk[16] = { 'Q', 'Q', 'Q', 'Q' };
	uint8_t tiny[7] = { 0x1f, 0x8b };
	struct buf b;
	const char *why;

	(void)state;
	b = (struct buf){ lzo, sizeof(lzo) };
	assert_int_equal(decompress(&b, KERNEL_MAX_DECOMPRESSED, &why), -ENOTSUP);
	b = (struct buf){ unk, sizeof(unk) };
	assert_int_equal(decompress(&b, KERNEL_MAX_DECOMPRESSED, &why), -EINVAL);
	assert_string_equal(kernel_compression_name(unk, sizeof(unk)), "unknown");
	b = (struct buf){ tiny, sizeof(tiny) };
	assert_int_equal(decompress(&b, KERNEL_MAX_DECOMPRESSED, &why), -EINVAL);
}

/* Random corruption must never crash (ASan watches) nor claim success
 * with a wrong size. */
static void test_corruption(void **state)
{
	uint32_t x = 99;

	(void)state;
	for (int c = 0; c < NR_CODECS; c++) {
		struct buf plain = make_plain(20000);
		struct buf pl = payload_for(c, &plain);

		for (int round = 0; round < 200; round++) {
			struct buf m = { malloc(pl.len), pl.len };
			uint8_t *out = NULL;
			size_t out_len = 0;
			const char *why;

			memcpy(m.p, pl.p, pl.len);
			for (int k = 0; k < 1 + round % 4; k++) {
				x = x * 1103515245 + 12345;
				/* Keep the magic so the same decoder runs. */
				m.p[6 + (x >> 8) % (m.len - 10)] ^= 1 << (x % 8);
			}
			if (!kernel_decompress(m.p, m.len, KERNEL_MAX_DECOMPRESSED,
					       &out, &out_len, &why))
				assert_int_equal(out_len, plain.len);
			free(out);
			free(m.p);
		}
		free(pl.p);
		free(plain.p);
	}
}

/*
 * Debian's own kernel, when `make linux-guest` has fetched it: decompress,
 * parse the Xen notes and check the builder's layout against the worked
 * example in the contract (§1.4): 512 MiB, ~64 MiB mapped, 35 tables.
 */
static void test_debian_vmlinuz(void **state)
{
	const char *path = getenv("LINUX_VMLINUZ");
	struct pv_kernel_info k;
	struct pv_layout l;
	const uint8_t *elf;
	uint8_t *img, *owned;
	size_t len, elf_len;
	const char *why;
	FILE *f;

	(void)state;
	if (!path)
		path = "build/linux/vmlinuz";
	f = fopen(path, "rb");
	if (!f) {
		print_message("  (no %s: run `make linux-guest` to test it)\n", path);
		skip();
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	img = malloc(len);
	assert_int_equal(fread(img, 1, len, f), len);
	fclose(f);

	assert_int_equal(kernel_image_sniff(img, len), KERNEL_FMT_BZIMAGE);
	assert_int_equal(kernel_image_elf(img, len, &elf, &elf_len, &owned,
					  &why), 0);
	assert_int_equal(elf_pv_parse(elf, elf_len, &k, &why), 0);
	assert_string_equal(k.guest_os, "linux");
	assert_int_equal(k.virt_base, 0xffffffff80000000ull);
	assert_int_equal(k.init_p2m, 0x8000000000ull);
	assert_true(k.mod_start_pfn);
	assert_int_equal(k.pstart, 0x1000000);

	assert_int_equal(pv_layout_plan(&k, 512 * 256, 1 << 20, &l, &why), 0);
	assert_true(l.init_p2m);
	assert_int_equal(l.kernel_pfn, 0x1000);
	assert_int_equal(l.start_info_pfn, l.kernel_end);
	assert_int_equal(l.map.nr_tables, 3 + l.mapped_end / 512);
	if (l.kernel_end == 0x3e00) {	/* the 6.1.0-56 build of the contract */
		assert_int_equal(l.mapped_end, 0x4000);
		assert_int_equal(l.map.nr_tables, 35);
	}
	assert_int_equal(l.ramdisk_pfn, l.mapped_end);
	assert_int_equal(l.p2m_va, 0x8000000000ull);
	free(owned);
	free(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_bzip2),
		cmocka_unit_test(test_xz),
		cmocka_unit_test(test_lzma),
		cmocka_unit_test(test_zstd),
		cmocka_unit_test(test_lz4),
		cmocka_unit_test(test_lz4_multiblock),
		cmocka_unit_test(test_elf_passthrough),
		cmocka_unit_test(test_unknown_file),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_setup_sects_zero_is_four),
		cmocka_unit_test(test_trailer),
		cmocka_unit_test(test_truncated_streams),
		cmocka_unit_test(test_lz4_framing),
		cmocka_unit_test(test_magic_errors),
		cmocka_unit_test(test_corruption),
		cmocka_unit_test(test_debian_vmlinuz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* ELF64 PV kernel parsing and loading (loader/elf.c). */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pvabi/elfnote.h>

#include "pvisor/loader.h"

#define VIRT_BASE	0xffffffff80000000ull
#define LOAD_PADDR	0x200000ull
#define LOAD_VADDR	0xffffffff80100000ull	/* deliberately != paddr */
#define LOAD_OFF	0x1000u
#define LOAD_FILESZ	0x1000u
#define LOAD_MEMSZ	0x3000u
#define NOTE_OFF	0x200u
#define IMG_LEN		(LOAD_OFF + LOAD_FILESZ)
#define KSTART		(VIRT_BASE + LOAD_PADDR)
#define ENTRY		(KSTART + 0x40)
#define HC_PAGE		(KSTART + 0x1000)

struct img {
	uint8_t b[IMG_LEN];
	size_t notes_end;	/* next free byte in the note segment */
};

static Elf64_Ehdr *ehdr(struct img *im)
{
	return (Elf64_Ehdr *)(void *)im->b;
}

static Elf64_Phdr *phdr(struct img *im, unsigned int i)
{
	return (Elf64_Phdr *)(void *)(im->b + sizeof(Elf64_Ehdr)) + i;
}

static void add_note(struct img *im, uint32_t type, const void *desc,
		     uint32_t descsz)
{
	uint32_t hdr[3] = { 4, descsz, type };
	uint8_t *p = im->b + im->notes_end;

	memcpy(p, hdr, 12);
	memcpy(p + 12, "Xen", 4);
	memcpy(p + 16, desc, descsz);
	im->notes_end += 16 + ((descsz + 3u) & ~3u);
	phdr(im, 1)->p_filesz = im->notes_end - NOTE_OFF;
}

static void add_u64_note(struct img *im, uint32_t type, uint64_t v)
{
	add_note(im, type, &v, 8);
}

/* A good image: one PT_LOAD, one PT_NOTE; notes not yet closed. */
static struct img *make_base(void)
{
	struct img *im = calloc(1, sizeof(*im));
	Elf64_Ehdr *eh = ehdr(im);

	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = KSTART + 0x80;
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 2;

	*phdr(im, 0) = (Elf64_Phdr){
		.p_type = PT_LOAD, .p_flags = PF_R | PF_X,
		.p_offset = LOAD_OFF, .p_vaddr = LOAD_VADDR,
		.p_paddr = LOAD_PADDR, .p_filesz = LOAD_FILESZ,
		.p_memsz = LOAD_MEMSZ, .p_align = 0x1000,
	};
	*phdr(im, 1) = (Elf64_Phdr){
		.p_type = PT_NOTE, .p_flags = PF_R, .p_offset = NOTE_OFF,
		.p_align = 4,
	};
	im->notes_end = NOTE_OFF;
	for (unsigned int i = 0; i < LOAD_FILESZ; i++)
		im->b[LOAD_OFF + i] = (uint8_t)(i * 7 + 1);
	add_note(im, XEN_ELFNOTE_GUEST_OS, "linux", 6);
	add_note(im, XEN_ELFNOTE_XEN_VERSION, "xen-3.0", 8);
	add_u64_note(im, XEN_ELFNOTE_VIRT_BASE, VIRT_BASE);
	add_u64_note(im, XEN_ELFNOTE_PADDR_OFFSET, 0);
	add_note(im, XEN_ELFNOTE_LOADER, "generic", 8);
	return im;
}

static struct img *make_good(void)
{
	struct img *im = make_base();

	add_u64_note(im, XEN_ELFNOTE_ENTRY, ENTRY);
	add_u64_note(im, XEN_ELFNOTE_HYPERCALL_PAGE, HC_PAGE);
	add_note(im, XEN_ELFNOTE_FEATURES, "!writable_page_tables", 22);
	return im;
}

static int parse(struct img *im, size_t len, struct pv_kernel_info *k,
		 const char **why)
{
	return elf_pv_parse(im->b, len, k, why);
}

static void test_good_image(void **state)
{
	struct img *im = make_good();
	struct pv_kernel_info k;
	const char *why = "unset";

	assert_int_equal(parse(im, IMG_LEN, &k, &why), 0);
	assert_null(why);
	assert_int_equal(k.entry, ENTRY);
	assert_int_equal(k.virt_base, VIRT_BASE);
	assert_int_equal(k.paddr_offset, 0);
	assert_int_equal(k.hypercall_page, HC_PAGE);
	assert_int_equal(k.pstart, LOAD_PADDR);
	assert_int_equal(k.pend, LOAD_PADDR + LOAD_MEMSZ);
	assert_int_equal(k.virt_kstart, KSTART);
	assert_int_equal(k.virt_kend, KSTART + LOAD_MEMSZ);
	assert_string_equal(k.xen_version, "xen-3.0");
	assert_string_equal(k.guest_os, "linux");
	assert_string_equal(k.loader, "generic");
	assert_string_equal(k.features, "!writable_page_tables");
	free(im);
}

static void test_entry_defaults(void **state)
{
	struct img *im = make_base();
	struct pv_kernel_info k;
	const char *why;

	/* No ENTRY note: e_entry; no hypercall page. */
	assert_int_equal(parse(im, IMG_LEN, &k, &why), 0);
	assert_int_equal(k.entry, KSTART + 0x80);
	assert_int_equal(k.hypercall_page, 0);
	/* PADDR_OFFSET shifts the virtual range. */
	free(im);
	im = make_base();
	phdr(im, 1)->p_filesz = 0;
	im->notes_end = NOTE_OFF;
	add_note(im, XEN_ELFNOTE_XEN_VERSION, "xen-3.0", 8);
	add_u64_note(im, XEN_ELFNOTE_VIRT_BASE, VIRT_BASE);
	add_u64_note(im, XEN_ELFNOTE_PADDR_OFFSET, 0x100000);
	add_u64_note(im, XEN_ELFNOTE_ENTRY, VIRT_BASE + 0x100010);
	assert_int_equal(parse(im, IMG_LEN, &k, &why), 0);
	assert_int_equal(k.virt_kstart, VIRT_BASE + 0x100000);
	assert_int_equal(k.virt_kend, VIRT_BASE + 0x100000 + LOAD_MEMSZ);
	free(im);
}

static void expect_reject(struct img *im, size_t len)
{
	struct pv_kernel_info k;
	const char *why = NULL;

	assert_int_equal(parse(im, len, &k, &why), -EINVAL);
	assert_non_null(why);
	free(im);
}

static void test_reject_truncated(void **state)
{
	expect_reject(make_good(), 32);
	expect_reject(make_good(), sizeof(Elf64_Ehdr) - 1);
	/* Header fits, program headers do not. */
	expect_reject(make_good(), sizeof(Elf64_Ehdr) + 8);
}

static void test_reject_class_machine(void **state)
{
	struct img *im = make_good();

	ehdr(im)->e_ident[EI_CLASS] = ELFCLASS32;
	expect_reject(im, IMG_LEN);
	im = make_good();
	ehdr(im)->e_machine = EM_386;
	expect_reject(im, IMG_LEN);
	im = make_good();
	ehdr(im)->e_ident[EI_MAG1] = 'X';
	expect_reject(im, IMG_LEN);
	im = make_good();
	ehdr(im)->e_ident[EI_DATA] = ELFDATA2MSB;
	expect_reject(im, IMG_LEN);
	im = make_good();
	ehdr(im)->e_type = ET_DYN;
	expect_reject(im, IMG_LEN);
}

static void test_reject_no_notes(void **state)
{
	struct img *im = make_good();

	ehdr(im)->e_phnum = 1;			/* drop the PT_NOTE */
	expect_reject(im, IMG_LEN);
	/* Notes present but none owned by "Xen". */
	im = make_good();
	for (size_t o = NOTE_OFF; o < im->notes_end; o += 4)
		if (!memcmp(im->b + o, "Xen", 4))
			memcpy(im->b + o, "Xyz", 4);
	expect_reject(im, IMG_LEN);
}

static void test_reject_xen_version(void **state)
{
	struct img *im = make_good();
	uint8_t *v = memmem(im->b + NOTE_OFF, im->notes_end - NOTE_OFF,
			    "xen-3.0", 8);

	assert_non_null(v);
	v[6] = '1';
	expect_reject(im, IMG_LEN);
	/* No XEN_VERSION note at all. */
	im = make_good();
	v = memmem(im->b + NOTE_OFF, im->notes_end - NOTE_OFF, "xen-3.0", 8);
	memcpy(v - 8, &(uint32_t){ 100 }, 4);	/* type: unknown */
	expect_reject(im, IMG_LEN);
}

static void test_reject_segment_beyond_file(void **state)
{
	struct img *im = make_good();

	phdr(im, 0)->p_filesz = LOAD_FILESZ + 1;
	expect_reject(im, IMG_LEN);
	im = make_good();
	phdr(im, 0)->p_offset = 0xffffffffffff0000ull;
	expect_reject(im, IMG_LEN);
	/* The whole image is fine until it is cut short. */
	expect_reject(make_good(), IMG_LEN - 1);
	/* filesz > memsz. */
	im = make_good();
	phdr(im, 0)->p_memsz = LOAD_FILESZ - 1;
	expect_reject(im, IMG_LEN);
	/* paddr + memsz wraps. */
	im = make_good();
	phdr(im, 0)->p_paddr = 0xfffffffffffff000ull;
	expect_reject(im, IMG_LEN);
}

static void test_reject_entry_outside(void **state)
{
	struct img *im = make_base();

	add_u64_note(im, XEN_ELFNOTE_ENTRY, KSTART + LOAD_MEMSZ);
	expect_reject(im, IMG_LEN);
	im = make_base();
	add_u64_note(im, XEN_ELFNOTE_ENTRY, KSTART - 1);
	expect_reject(im, IMG_LEN);
	/* Last byte of the image is fine. */
	im = make_base();
	add_u64_note(im, XEN_ELFNOTE_ENTRY, KSTART + LOAD_MEMSZ - 1);
	{
		struct pv_kernel_info k;
		const char *why;

		assert_int_equal(parse(im, IMG_LEN, &k, &why), 0);
		free(im);
	}
	/* Hypercall page unaligned or running past the end. */
	im = make_base();
	add_u64_note(im, XEN_ELFNOTE_HYPERCALL_PAGE, KSTART + 0x800);
	expect_reject(im, IMG_LEN);
	im = make_base();
	add_u64_note(im, XEN_ELFNOTE_HYPERCALL_PAGE, KSTART + LOAD_MEMSZ);
	expect_reject(im, IMG_LEN);
}

/*
 * Found writing fuzz_loader (its layout check trips on it). A hypercall
 * page at the top of the address space wrapped the end check, and
 * pv_build filled it at hypercall_page - VIRT_BASE: 2 GiB past the start
 * of guest RAM, outside the domain.
 */
static void test_reject_hypercall_page_wrap(void **state)
{
	struct img *im = make_base();

	add_u64_note(im, XEN_ELFNOTE_HYPERCALL_PAGE, 0xfffffffffffff000ull);
	expect_reject(im, IMG_LEN);
	/* The last whole page of the image is fine. */
	im = make_base();
	add_u64_note(im, XEN_ELFNOTE_HYPERCALL_PAGE,
		     KSTART + LOAD_MEMSZ - 4096);
	{
		struct pv_kernel_info k;
		const char *why;

		assert_int_equal(parse(im, IMG_LEN, &k, &why), 0);
		assert_int_equal(k.hypercall_page, KSTART + LOAD_MEMSZ - 4096);
		free(im);
	}
}

/*
 * Found by fuzz_loader. With the kernel starting mid-page (here through
 * PADDR_OFFSET) the layout counted one page too few for it and put the
 * P2M or start_info over its last bytes; Xen refuses such a kernel.
 */
static void test_reject_unaligned_start(void **state)
{
	struct img *im = make_good();
	struct pv_kernel_info k;
	const char *why;

	add_u64_note(im, XEN_ELFNOTE_PADDR_OFFSET, 4);	/* the last counts */
	assert_int_equal(parse(im, IMG_LEN, &k, &why), -EINVAL);
	assert_string_equal(why, "kernel start (lowest p_paddr - PADDR_OFFSET) "
			    "not page aligned");
	free(im);
	im = make_good();
	phdr(im, 0)->p_paddr = LOAD_PADDR + 0x20;
	assert_int_equal(parse(im, IMG_LEN, &k, &why), -EINVAL);
	assert_string_equal(why, "kernel start (lowest p_paddr - PADDR_OFFSET) "
			    "not page aligned");
	free(im);
}

static void test_reject_note_past_segment(void **state)
{
	struct img *im = make_good();
	uint32_t big = 64;

	/* The last note's descsz runs past p_filesz (but not the file). */
	add_u64_note(im, XEN_ELFNOTE_INIT_P2M, 0);
	memcpy(im->b + im->notes_end - 24 + 4, &big, 4);
	expect_reject(im, IMG_LEN);
	/* A huge descsz. */
	im = make_good();
	add_u64_note(im, XEN_ELFNOTE_INIT_P2M, 0);
	big = 0xfffffff0u;
	memcpy(im->b + im->notes_end - 24 + 4, &big, 4);
	expect_reject(im, IMG_LEN);
	/* The note segment itself beyond the file. */
	im = make_good();
	phdr(im, 1)->p_offset = IMG_LEN - 8;
	expect_reject(im, IMG_LEN);
}

static void test_load(void **state)
{
	struct img *im = make_good();
	struct pv_kernel_info k;
	const char *why;
	const uint64_t ram_size = 4ull << 20;
	uint8_t *ram = malloc(ram_size);

	memset(ram, 0xcc, ram_size);
	assert_int_equal(parse(im, IMG_LEN, &k, &why), 0);
	assert_int_equal(elf_pv_load(im->b, IMG_LEN, &k, ram, ram_size), 0);
	/* By p_paddr ... */
	assert_memory_equal(ram + LOAD_PADDR, im->b + LOAD_OFF, LOAD_FILESZ);
	/* ... with .bss zeroed ... */
	for (uint64_t i = LOAD_PADDR + LOAD_FILESZ;
	     i < LOAD_PADDR + LOAD_MEMSZ; i++)
		assert_int_equal(ram[i], 0);
	/* ... and nothing else touched, in particular not by p_vaddr. */
	assert_int_equal(ram[LOAD_PADDR + LOAD_MEMSZ], 0xcc);
	assert_int_equal(ram[LOAD_PADDR - 1], 0xcc);
	assert_int_equal(ram[LOAD_VADDR - VIRT_BASE], 0xcc);
	assert_int_equal(ram[0], 0xcc);
	free(ram);
	free(im);
}

static void test_load_beyond_ram(void **state)
{
	struct img *im = make_good();
	struct pv_kernel_info k;
	const char *why;
	uint8_t *ram = calloc(1, LOAD_PADDR + LOAD_MEMSZ);

	assert_int_equal(parse(im, IMG_LEN, &k, &why), 0);
	/* .bss one byte past the end. */
	assert_int_equal(elf_pv_load(im->b, IMG_LEN, &k, ram,
				     LOAD_PADDR + LOAD_MEMSZ - 1), -E2BIG);
	/* Start past the end. */
	assert_int_equal(elf_pv_load(im->b, IMG_LEN, &k, ram,
				     LOAD_PADDR - 0x1000), -E2BIG);
	/* Exactly fitting. */
	assert_int_equal(elf_pv_load(im->b, IMG_LEN, &k, ram,
				     LOAD_PADDR + LOAD_MEMSZ), 0);
	assert_int_equal(ram[LOAD_PADDR], im->b[LOAD_OFF]);
	free(ram);
	free(im);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_image),
		cmocka_unit_test(test_entry_defaults),
		cmocka_unit_test(test_reject_truncated),
		cmocka_unit_test(test_reject_class_machine),
		cmocka_unit_test(test_reject_no_notes),
		cmocka_unit_test(test_reject_xen_version),
		cmocka_unit_test(test_reject_segment_beyond_file),
		cmocka_unit_test(test_reject_entry_outside),
		cmocka_unit_test(test_reject_hypercall_page_wrap),
		cmocka_unit_test(test_reject_unaligned_start),
		cmocka_unit_test(test_reject_note_past_segment),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_load_beyond_ram),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

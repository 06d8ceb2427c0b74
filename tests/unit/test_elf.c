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

/* ---- notes in SHT_NOTE sections, the legacy __xen_guest string ---- */

#define GUEST_OFF	0x400u		/* the __xen_guest string */
#define STR_OFF		0x600u		/* .shstrtab */
#define SH_OFF		0x800u		/* section headers, up to 32 */

static const char shstr[] = "\0.shstrtab\0.note.Xen\0__xen_guest\0.text";
#define N_SHSTRTAB	1
#define N_NOTE		11
#define N_GUEST		21
#define N_TEXT		33

static Elf64_Shdr *shdr(struct img *im, unsigned int i)
{
	return (Elf64_Shdr *)(void *)(im->b + SH_OFF) + i;
}

/* Null section, .shstrtab, slot 2 for the caller, .text. */
static void add_sections(struct img *im)
{
	Elf64_Ehdr *eh = ehdr(im);

	memcpy(im->b + STR_OFF, shstr, sizeof(shstr));
	eh->e_shoff = SH_OFF;
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shnum = 4;
	eh->e_shstrndx = 1;
	*shdr(im, 1) = (Elf64_Shdr){
		.sh_name = N_SHSTRTAB, .sh_type = SHT_STRTAB,
		.sh_offset = STR_OFF, .sh_size = sizeof(shstr),
		.sh_addralign = 1,
	};
	*shdr(im, 3) = (Elf64_Shdr){
		.sh_name = N_TEXT, .sh_type = SHT_PROGBITS,
		.sh_flags = SHF_ALLOC | SHF_EXECINSTR, .sh_addr = LOAD_VADDR,
		.sh_offset = LOAD_OFF, .sh_size = LOAD_FILESZ,
		.sh_addralign = 4096,
	};
}

/* make_good's notes in an SHT_NOTE section, no PT_NOTE. */
static struct img *make_shnote(void)
{
	struct img *im = make_good();

	add_sections(im);
	*shdr(im, 2) = (Elf64_Shdr){
		.sh_name = N_NOTE, .sh_type = SHT_NOTE, .sh_offset = NOTE_OFF,
		.sh_size = im->notes_end - NOTE_OFF, .sh_addralign = 4,
	};
	ehdr(im)->e_phnum = 1;
	return im;
}

/* No notes at all; a __xen_guest section holding str and its NUL. */
static struct img *make_legacy(const char *str)
{
	struct img *im = make_base();
	size_t n = strlen(str) + 1;

	assert_true(n <= STR_OFF - GUEST_OFF);
	ehdr(im)->e_phnum = 1;
	add_sections(im);
	memcpy(im->b + GUEST_OFF, str, n);
	*shdr(im, 2) = (Elf64_Shdr){
		.sh_name = N_GUEST, .sh_type = SHT_PROGBITS,
		.sh_offset = GUEST_OFF, .sh_size = n, .sh_addralign = 1,
	};
	return im;
}

#define LEGACY_GOOD							\
	"GUEST_OS=linux,XEN_VER=xen-3.0,VIRT_BASE=0xffffffff80000000,"	\
	"ELF_PADDR_OFFSET=0x0,HYPERCALL_PAGE=0x201,LOADER=generic,"	\
	"VIRT_ENTRY=18446744071564165184,"	/* ENTRY, in decimal */	\
	"FEATURES=writable_page_tables|!pae_pgdir_above_4gb"

static void expect_why(struct img *im, size_t len, const char *part)
{
	struct pv_kernel_info k;
	const char *why = NULL;

	assert_int_equal(parse(im, len, &k, &why), -EINVAL);
	assert_non_null(why);
	if (!strstr(why, part))
		fail_msg("reason \"%s\" lacks \"%s\"", why, part);
	free(im);
}

static void expect_ok(struct img *im, struct pv_kernel_info *k)
{
	const char *why = "unset";
	int rc = parse(im, IMG_LEN, k, &why);

	if (rc)
		fail_msg("refused: %s", why);
	assert_null(why);
	free(im);
}

static void test_shnote_only(void **state)
{
	struct pv_kernel_info k;

	/* Refused before Xen's SHT_NOTE fallback existed here. */
	expect_ok(make_shnote(), &k);
	assert_string_equal(k.notes_from, "SHT_NOTE");
	assert_int_equal(k.entry, ENTRY);
	assert_int_equal(k.virt_base, VIRT_BASE);
	assert_int_equal(k.paddr_offset, 0);
	assert_int_equal(k.hypercall_page, HC_PAGE);
	assert_int_equal(k.virt_kstart, KSTART);
	assert_string_equal(k.xen_version, "xen-3.0");
	assert_string_equal(k.guest_os, "linux");
	assert_string_equal(k.loader, "generic");
	assert_string_equal(k.features, "!writable_page_tables");
}

static void test_shnote_split_and_precedence(void **state)
{
	struct img *im = make_shnote();
	struct pv_kernel_info k;
	uint64_t mid = NOTE_OFF + 24 + 24;	/* after GUEST_OS, XEN_VERSION */

	/* Every SHT_NOTE section counts, not only the first. */
	ehdr(im)->e_shnum = 5;
	*shdr(im, 4) = *shdr(im, 2);
	shdr(im, 4)->sh_offset = mid;
	shdr(im, 4)->sh_size = im->notes_end - mid;
	shdr(im, 2)->sh_size = mid - NOTE_OFF;
	expect_ok(im, &k);
	assert_int_equal(k.hypercall_page, HC_PAGE);
	assert_string_equal(k.xen_version, "xen-3.0");

	/* A PT_NOTE with no "Xen" note in it: still the sections. */
	im = make_shnote();
	ehdr(im)->e_phnum = 2;
	phdr(im, 1)->p_offset = IMG_LEN - 32;
	phdr(im, 1)->p_filesz = 20;
	memcpy(im->b + IMG_LEN - 32, &(uint32_t[3]){ 4, 4, 1 }, 12);
	memcpy(im->b + IMG_LEN - 20, "GNU\0\0\0\0\0", 8);
	expect_ok(im, &k);
	assert_string_equal(k.notes_from, "SHT_NOTE");

	/* As in Xen, a PT_NOTE at p_offset 0 (binutils) is skipped. */
	im = make_shnote();
	ehdr(im)->e_phnum = 2;
	phdr(im, 1)->p_offset = 0;
	expect_ok(im, &k);
	assert_string_equal(k.notes_from, "SHT_NOTE");

	/* PT_NOTE first: its notes win, the sections are not even read. */
	im = make_shnote();
	ehdr(im)->e_phnum = 2;
	phdr(im, 1)->p_offset = im->notes_end;
	add_note(im, XEN_ELFNOTE_XEN_VERSION, "xen-3.0", 8);
	add_u64_note(im, XEN_ELFNOTE_VIRT_BASE, VIRT_BASE);
	add_u64_note(im, XEN_ELFNOTE_HYPERCALL_PAGE, HC_PAGE + 0x1000);
	phdr(im, 1)->p_filesz = 3 * 24;
	ehdr(im)->e_shoff = IMG_LEN;	/* a broken table, never looked at */
	expect_ok(im, &k);
	assert_string_equal(k.notes_from, "PT_NOTE");
	assert_int_equal(k.hypercall_page, HC_PAGE + 0x1000);
	assert_int_equal(k.entry, KSTART + 0x80);	/* no ENTRY note there */

	/* SHT_NOTE before __xen_guest. */
	im = make_shnote();
	ehdr(im)->e_shnum = 5;
	memcpy(im->b + GUEST_OFF, "XEN_VER=xen-9", 14);
	*shdr(im, 4) = (Elf64_Shdr){
		.sh_name = N_GUEST, .sh_type = SHT_PROGBITS,
		.sh_offset = GUEST_OFF, .sh_size = 14,
	};
	expect_ok(im, &k);
	assert_string_equal(k.notes_from, "SHT_NOTE");
}

static void test_legacy(void **state)
{
	struct pv_kernel_info k;
	struct img *im;
	uint8_t *ram;

	expect_ok(make_legacy(LEGACY_GOOD), &k);
	assert_string_equal(k.notes_from, "__xen_guest");
	assert_int_equal(k.virt_base, VIRT_BASE);
	assert_int_equal(k.paddr_offset, 0);
	/* A page number relative to VIRT_BASE: 0x201 -> base + 0x201000. */
	assert_int_equal(k.hypercall_page, HC_PAGE);
	assert_int_equal(k.entry, ENTRY);
	assert_int_equal(k.virt_kstart, KSTART);
	assert_int_equal(k.virt_kend, KSTART + LOAD_MEMSZ);
	assert_string_equal(k.guest_os, "linux");
	assert_string_equal(k.xen_version, "xen-3.0");
	assert_string_equal(k.loader, "generic");
	assert_string_equal(k.features,
			    "writable_page_tables|!pae_pgdir_above_4gb");

	/*
	 * The old kernels' way: p_paddr virtual, no ELF_PADDR_OFFSET, which
	 * then defaults to VIRT_BASE (0 with notes), no VIRT_ENTRY (e_entry);
	 * VIRT_BASE after HYPERCALL_PAGE still applies; octal is a number.
	 */
	im = make_legacy("XEN_VER=xen-3.0,HYPERCALL_PAGE=01001,"
			 "VIRT_BASE=0xffffffff80000000");
	phdr(im, 0)->p_paddr = KSTART;
	ram = calloc(1, 4 << 20);
	assert_int_equal(parse(im, IMG_LEN, &k, &(const char *){ NULL }), 0);
	assert_int_equal(k.paddr_offset, VIRT_BASE);
	assert_int_equal(k.virt_kstart, KSTART);
	assert_int_equal(k.entry, KSTART + 0x80);
	assert_int_equal(k.hypercall_page, HC_PAGE);
	assert_int_equal(elf_pv_load(im->b, IMG_LEN, &k, ram, 4 << 20), 0);
	assert_memory_equal(ram + LOAD_PADDR, im->b + LOAD_OFF, LOAD_FILESZ);
	free(ram);
	free(im);
}

/* Xen ignores unknown keys, empty items and keys it has no use for here. */
static void test_legacy_ignored_keys(void **state)
{
	struct pv_kernel_info k;

	expect_ok(make_legacy(",FOO=bar,,=x,JUNK,BSD_SYMTAB,PAE=yes,"
			      "GUEST_VER=2.6,VIRT_BASEX=zz,virt_base=zz,"
			      "\x01\xff=\x80," LEGACY_GOOD ",TRAILING="), &k);
	assert_int_equal(k.virt_base, VIRT_BASE);
	assert_int_equal(k.hypercall_page, HC_PAGE);
	/* The last of a repeated key wins, as in Xen. */
	expect_ok(make_legacy(LEGACY_GOOD ",GUEST_OS=netbsd"), &k);
	assert_string_equal(k.guest_os, "netbsd");
	/* A string too long for its field is cut, as a note's is. */
	expect_ok(make_legacy(LEGACY_GOOD ",LOADER=generic-with-a-very-long-"
			      "name-indeed"), &k);
	assert_int_equal(strlen(k.loader), sizeof(k.loader) - 1);
	assert_memory_equal(k.loader, "generic-with-a-very-long-name-i", 31);
}

static void test_legacy_reject(void **state)
{
	struct img *im;

	/* Unterminated inside its section, though a NUL follows in the file. */
	im = make_legacy(LEGACY_GOOD);
	shdr(im, 2)->sh_size = strlen(LEGACY_GOOD);
	expect_why(im, IMG_LEN, "not NUL-terminated");
	/* Empty section: no string at all. */
	im = make_legacy(LEGACY_GOOD);
	shdr(im, 2)->sh_size = 0;
	expect_why(im, IMG_LEN, "not NUL-terminated");
	/* The section outside the file, or wrapping. */
	im = make_legacy(LEGACY_GOOD);
	shdr(im, 2)->sh_offset = IMG_LEN - 4;
	expect_why(im, IMG_LEN, "__xen_guest section outside the file");
	im = make_legacy(LEGACY_GOOD);
	shdr(im, 2)->sh_size = ~0ull - GUEST_OFF + 2;
	expect_why(im, IMG_LEN, "__xen_guest section outside the file");

	/* Garbage numbers: Xen's strtoull would take 0 or a prefix. */
	expect_why(make_legacy(LEGACY_GOOD ",VIRT_BASE=0xffffffff8000000g"),
		   IMG_LEN, "not a number");
	expect_why(make_legacy(LEGACY_GOOD ",VIRT_BASE="), IMG_LEN,
		   "not a number");
	expect_why(make_legacy(LEGACY_GOOD ",VIRT_BASE"), IMG_LEN,
		   "not a number");
	expect_why(make_legacy(LEGACY_GOOD ",VIRT_ENTRY=-1"), IMG_LEN,
		   "not a number");
	expect_why(make_legacy(LEGACY_GOOD ",HYPERCALL_PAGE= 0x201"), IMG_LEN,
		   "not a number");
	expect_why(make_legacy(LEGACY_GOOD ",ELF_PADDR_OFFSET=0x"), IMG_LEN,
		   "not a number");
	expect_why(make_legacy(LEGACY_GOOD ",ELF_PADDR_OFFSET=08"), IMG_LEN,
		   "not a number");

	/* Overflow: Xen's strtoull would give ULLONG_MAX. */
	expect_why(make_legacy(LEGACY_GOOD ",VIRT_BASE=0x10000000000000000"),
		   IMG_LEN, "does not fit in 64 bits");
	expect_why(make_legacy(LEGACY_GOOD ",VIRT_ENTRY=18446744073709551616"),
		   IMG_LEN, "does not fit in 64 bits");
	expect_why(make_legacy(LEGACY_GOOD ",ELF_PADDR_OFFSET="
			       "02000000000000000000000"),
		   IMG_LEN, "does not fit in 64 bits");
	/* A page number whose address (<< 12, + VIRT_BASE) wraps. */
	expect_why(make_legacy(LEGACY_GOOD ",HYPERCALL_PAGE=0x10000000000000"),
		   IMG_LEN, "HYPERCALL_PAGE beyond the address space");
	expect_why(make_legacy(LEGACY_GOOD ",HYPERCALL_PAGE=0x80000"),
		   IMG_LEN, "HYPERCALL_PAGE beyond the address space");
	/* In range but outside the kernel: the usual check. */
	expect_why(make_legacy(LEGACY_GOOD ",HYPERCALL_PAGE=0x7ffff"),
		   IMG_LEN, "hypercall page outside the kernel image");

	/* What Xen refuses too: an offset without a base, a wrong version. */
	expect_why(make_legacy("XEN_VER=xen-3.0,ELF_PADDR_OFFSET=0"),
		   IMG_LEN, "PADDR_OFFSET given without VIRT_BASE");
	expect_why(make_legacy("GUEST_OS=linux,VIRT_BASE=0"), IMG_LEN,
		   "XEN_VER");
	/* Old style with the offset defaulting to VIRT_BASE, p_paddr physical. */
	expect_why(make_legacy("XEN_VER=xen-3.0,VIRT_BASE=0xffffffff80000000"),
		   IMG_LEN, "below VIRT_BASE");
}

/* The parser alone: the 64-bit edges are numbers. */
static void test_legacy_numbers(void **state)
{
	static const char s[] = "VIRT_BASE=18446744073709551615,"
				"VIRT_ENTRY=0XFFFFFFFFFFFFFFFF,"
				"ELF_PADDR_OFFSET=01777777777777777777777,"
				"HYPERCALL_PAGE=0xfffffffffffff";
	struct pv_kernel_info k = { .virt_base = ~0ull };
	const char *why;

	assert_int_equal(elf_xen_guest_parse((const uint8_t *)s, sizeof(s),
					     &k, &why), 0);
	assert_int_equal(k.virt_base, ~0ull);
	assert_int_equal(k.entry, ~0ull);
	assert_int_equal(k.paddr_offset, ~0ull);
	/* VIRT_BASE ~0 reads as unset: the page number is absolute. */
	assert_int_equal(k.hypercall_page, 0xfffffffffffff000ull);
	memset(&k, 0, sizeof(k));
	assert_int_equal(elf_xen_guest_parse((const uint8_t *)"VIRT_BASE=0,"
					     "HYPERCALL_PAGE=0", 29, &k, &why),
			 0);
	assert_int_equal(k.virt_base, 0);
	assert_int_equal(k.hypercall_page, 0);
}

static void test_section_table_reject(void **state)
{
	struct img *im;

	/* Table past EOF: starting there, ending there, wrapping. */
	im = make_shnote();
	ehdr(im)->e_shoff = IMG_LEN - 4 * sizeof(Elf64_Shdr) + 1;
	expect_why(im, IMG_LEN, "section header table outside the file");
	im = make_shnote();
	ehdr(im)->e_shoff = IMG_LEN + 64;
	expect_why(im, IMG_LEN, "section header table outside the file");
	im = make_shnote();
	ehdr(im)->e_shoff = ~0ull - 63;
	expect_why(im, IMG_LEN, "section header table outside the file");
	im = make_shnote();
	ehdr(im)->e_shentsize = sizeof(Elf64_Shdr) - 8;
	expect_why(im, IMG_LEN, "e_shentsize");
	/* e_shnum 0, the count in section 0 (>= 0xff00 sections). */
	im = make_shnote();
	ehdr(im)->e_shnum = 0;
	shdr(im, 0)->sh_size = 0x10000;
	expect_why(im, IMG_LEN, "section count in section 0");
	/* e_shnum 0 with an empty section 0: no sections, so no notes. */
	im = make_shnote();
	ehdr(im)->e_shnum = 0;
	expect_why(im, IMG_LEN, "no Xen ELF notes");
	/* e_shoff 0: "no section header table", whatever e_shnum says. */
	im = make_shnote();
	ehdr(im)->e_shoff = 0;
	expect_why(im, IMG_LEN, "no Xen ELF notes");
}

static void test_shnote_reject(void **state)
{
	struct img *im;
	uint32_t v;

	/* The notes section outside the file, by offset, size or wrap. */
	im = make_shnote();
	shdr(im, 2)->sh_offset = IMG_LEN + 1;
	expect_why(im, IMG_LEN, "SHT_NOTE section outside the file");
	im = make_shnote();
	shdr(im, 2)->sh_size = IMG_LEN - NOTE_OFF + 1;
	expect_why(im, IMG_LEN, "SHT_NOTE section outside the file");
	im = make_shnote();
	shdr(im, 2)->sh_offset = ~0ull - 15;
	shdr(im, 2)->sh_size = 32;
	expect_why(im, IMG_LEN, "SHT_NOTE section outside the file");
	/* The file cut inside the notes (section table kept whole). */
	im = make_shnote();
	shdr(im, 2)->sh_offset = IMG_LEN - 16;
	shdr(im, 2)->sh_size = 32;
	expect_why(im, IMG_LEN, "SHT_NOTE section outside the file");

	/* A note whose descsz runs past its section, not past the file. */
	im = make_shnote();
	shdr(im, 2)->sh_size -= 4;
	expect_why(im, IMG_LEN, "malformed ELF note in an SHT_NOTE section");
	/* descsz or namesz near 2^32: 64-bit sums, no wrap. */
	im = make_shnote();
	v = 0xfffffffd;
	memcpy(im->b + NOTE_OFF + 4, &v, 4);
	expect_why(im, IMG_LEN, "malformed ELF note in an SHT_NOTE section");
	im = make_shnote();
	v = 0xffffffff;
	memcpy(im->b + NOTE_OFF, &v, 4);
	expect_why(im, IMG_LEN, "malformed ELF note in an SHT_NOTE section");
	/* Fewer than 12 bytes left: padding, ignored (Xen's loop stops). */
	im = make_shnote();
	shdr(im, 2)->sh_size += 8;
	{
		struct pv_kernel_info k;

		expect_ok(im, &k);
	}
}

static void test_section_names_reject(void **state)
{
	struct img *im;

	/* Names are only needed to find __xen_guest. */
	im = make_legacy(LEGACY_GOOD);
	shdr(im, 1)->sh_name = sizeof(shstr);
	expect_why(im, IMG_LEN, "section name (sh_name) outside");
	im = make_legacy(LEGACY_GOOD);
	shdr(im, 0)->sh_name = 0xffffffff;
	expect_why(im, IMG_LEN, "section name (sh_name) outside");
	/* Read up to the match only, as Xen's lookup: .text's is not. */
	im = make_legacy(LEGACY_GOOD);
	shdr(im, 3)->sh_name = 0xffffffff;
	{
		struct pv_kernel_info k;

		expect_ok(im, &k);
	}
	/* A name running to the table's end unterminated: no match. */
	im = make_legacy(LEGACY_GOOD);
	shdr(im, 1)->sh_size = N_GUEST + 11;	/* "__xen_guest" sans NUL */
	shdr(im, 3)->sh_name = 0;
	expect_why(im, IMG_LEN, "no Xen ELF notes or __xen_guest section");

	im = make_legacy(LEGACY_GOOD);
	ehdr(im)->e_shstrndx = 4;
	expect_why(im, IMG_LEN, "(e_shstrndx) out of range");
	im = make_legacy(LEGACY_GOOD);
	ehdr(im)->e_shstrndx = SHN_LORESERVE;
	expect_why(im, IMG_LEN, "(e_shstrndx) out of range");
	im = make_legacy(LEGACY_GOOD);
	ehdr(im)->e_shstrndx = SHN_XINDEX;
	expect_why(im, IMG_LEN, "SHN_XINDEX");
	/* SHN_UNDEF: the sections have no names, so no __xen_guest. */
	im = make_legacy(LEGACY_GOOD);
	ehdr(im)->e_shstrndx = SHN_UNDEF;
	expect_why(im, IMG_LEN, "no Xen ELF notes or __xen_guest section");

	im = make_legacy(LEGACY_GOOD);
	shdr(im, 1)->sh_offset = IMG_LEN - 8;
	expect_why(im, IMG_LEN, "section name table outside the file");
	im = make_legacy(LEGACY_GOOD);
	shdr(im, 1)->sh_size = ~0ull;
	expect_why(im, IMG_LEN, "section name table outside the file");
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
		cmocka_unit_test(test_shnote_only),
		cmocka_unit_test(test_shnote_split_and_precedence),
		cmocka_unit_test(test_legacy),
		cmocka_unit_test(test_legacy_ignored_keys),
		cmocka_unit_test(test_legacy_reject),
		cmocka_unit_test(test_legacy_numbers),
		cmocka_unit_test(test_section_table_reject),
		cmocka_unit_test(test_shnote_reject),
		cmocka_unit_test(test_section_names_reject),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_load_beyond_ram),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

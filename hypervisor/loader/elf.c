// SPDX-License-Identifier: MIT
/*
 * ELF64 PV kernels: program headers and what they say to Xen, as Xen's
 * libelf finds it: "Xen" notes in PT_NOTE segments, else in SHT_NOTE
 * sections, else the legacy __xen_guest string (elf_xen_guest.c).
 */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include <pvabi/elfnote.h>

#include "pvisor/loader.h"

#define UNSET	(~0ull)

static bool range_ok(size_t len, uint64_t off, uint64_t size)
{
	return off <= len && size <= len - off;
}

static uint64_t note_value(const uint8_t *desc, uint32_t descsz)
{
	uint64_t v = 0;

	if (descsz == 8 || descsz == 4 || descsz == 2 || descsz == 1)
		memcpy(&v, desc, descsz);	/* little-endian */
	return v;
}

static void note_string(char *dst, size_t max, const uint8_t *desc,
			uint32_t descsz)
{
	size_t n = descsz < max - 1 ? descsz : max - 1;

	memcpy(dst, desc, n);
	dst[n] = '\0';
}

static void parse_note(struct pv_kernel_info *k, uint32_t type,
		       const uint8_t *desc, uint32_t descsz)
{
	switch (type) {
	case XEN_ELFNOTE_ENTRY:
		k->entry = note_value(desc, descsz);
		break;
	case XEN_ELFNOTE_HYPERCALL_PAGE:
		k->hypercall_page = note_value(desc, descsz);
		break;
	case XEN_ELFNOTE_VIRT_BASE:
		k->virt_base = note_value(desc, descsz);
		break;
	case XEN_ELFNOTE_PADDR_OFFSET:
		k->paddr_offset = note_value(desc, descsz);
		break;
	case XEN_ELFNOTE_INIT_P2M:
		k->init_p2m = note_value(desc, descsz);
		break;
	case XEN_ELFNOTE_MOD_START_PFN:
		k->mod_start_pfn = note_value(desc, descsz) != 0;
		break;
	case XEN_ELFNOTE_GUEST_OS:
		note_string(k->guest_os, sizeof(k->guest_os), desc, descsz);
		break;
	case XEN_ELFNOTE_XEN_VERSION:
		note_string(k->xen_version, sizeof(k->xen_version), desc, descsz);
		break;
	case XEN_ELFNOTE_LOADER:
		note_string(k->loader, sizeof(k->loader), desc, descsz);
		break;
	case XEN_ELFNOTE_PHYS32_ENTRY:
		k->phys32_entry = note_value(desc, descsz);
		k->has_phys32_entry = true;
		break;
	case XEN_ELFNOTE_FEATURES:
		note_string(k->features, sizeof(k->features), desc, descsz);
		break;
	}
}

/*
 * Walk the notes in [off, off + size), a PT_NOTE segment or an SHT_NOTE
 * section already checked to lie in the file: 4-byte aligned records, each
 * of which must end inside the range. Sets *found on a "Xen" note.
 */
static int walk_notes(const uint8_t *img, size_t len, uint64_t off,
		      uint64_t size, struct pv_kernel_info *k, bool *found)
{
	uint64_t pos = off, end = off + size;

	while (end - pos >= 12) {
		uint32_t namesz, descsz, type;
		uint64_t name_off, desc_off, next;

		memcpy(&namesz, img + pos, 4);
		memcpy(&descsz, img + pos + 4, 4);
		memcpy(&type, img + pos + 8, 4);
		name_off = pos + 12;
		desc_off = name_off + ((namesz + 3ull) & ~3ull);
		next = desc_off + ((descsz + 3ull) & ~3ull);
		if (next > end || !range_ok(len, desc_off, descsz))
			return -EINVAL;
		if (namesz == 4 && !memcmp(img + name_off, "Xen", 4)) {
			parse_note(k, type, img + desc_off, descsz);
			*found = true;
		}
		pos = next;
	}
	return 0;
}

/* The section header table, once checked to lie inside the file. */
struct shtab {
	const uint8_t *img;
	size_t len;
	uint64_t off;
	unsigned int num;		/* 0: no sections */
	unsigned int strndx;		/* e_shstrndx, not yet checked */
};

static void shdr_read(const struct shtab *t, unsigned int i, Elf64_Shdr *sh)
{
	memcpy(sh, t->img + t->off + (uint64_t)i * sizeof(*sh), sizeof(*sh));
}

static int shtab_init(const uint8_t *img, size_t len, const Elf64_Ehdr *eh,
		      struct shtab *t, const char **why)
{
	Elf64_Shdr sh0;

	*t = (struct shtab){ .img = img, .len = len, .off = eh->e_shoff,
			     .num = eh->e_shnum, .strndx = eh->e_shstrndx };
	if (!eh->e_shoff) {
		t->num = 0;		/* ELF's "no section header table" */
		return 0;
	}
	*why = "bad section header size (e_shentsize)";
	if (eh->e_shentsize != sizeof(Elf64_Shdr))
		return -EINVAL;
	*why = "section header table outside the file";
	if (!range_ok(len, t->off,
		      (uint64_t)(t->num ? t->num : 1) * sizeof(Elf64_Shdr)))
		return -EINVAL;
	if (t->num)
		return 0;
	/* e_shnum 0 with a table: the count is in section 0 if >= 0xff00. */
	shdr_read(t, 0, &sh0);
	*why = "section count in section 0 (e_shnum 0): not supported";
	return sh0.sh_size ? -EINVAL : 0;
}

/* Xen reads every SHT_NOTE section but the null section 0. */
static int section_notes(const struct shtab *t, struct pv_kernel_info *k,
			 bool *found, const char **why)
{
	for (unsigned int i = 1; i < t->num; i++) {
		Elf64_Shdr sh;

		shdr_read(t, i, &sh);
		if (sh.sh_type != SHT_NOTE)
			continue;
		*why = "SHT_NOTE section outside the file";
		if (!range_ok(t->len, sh.sh_offset, sh.sh_size))
			return -EINVAL;
		*why = "malformed ELF note in an SHT_NOTE section";
		if (walk_notes(t->img, t->len, sh.sh_offset, sh.sh_size, k,
			       found))
			return -EINVAL;
	}
	return 0;
}

/*
 * The first section called name: 1 and *out, 0 if there is none (or no
 * names: e_shstrndx SHN_UNDEF), -EINVAL if the names cannot be read.
 */
static int section_by_name(const struct shtab *t, const char *name,
			   Elf64_Shdr *out, const char **why)
{
	uint64_t n = strlen(name) + 1;
	Elf64_Shdr str;

	if (!t->num || t->strndx == SHN_UNDEF)
		return 0;
	*why = "section name table index in section 0 (SHN_XINDEX): "
	       "not supported";
	if (t->strndx == SHN_XINDEX)
		return -EINVAL;
	*why = "section name table index (e_shstrndx) out of range";
	if (t->strndx >= t->num || t->strndx >= SHN_LORESERVE)
		return -EINVAL;
	shdr_read(t, t->strndx, &str);
	*why = "section name table outside the file";
	if (!range_ok(t->len, str.sh_offset, str.sh_size))
		return -EINVAL;
	for (unsigned int i = 0; i < t->num; i++) {
		Elf64_Shdr sh;

		shdr_read(t, i, &sh);
		*why = "section name (sh_name) outside the section name table";
		if (sh.sh_name >= str.sh_size)
			return -EINVAL;
		if (n <= str.sh_size - sh.sh_name &&
		    !memcmp(t->img + str.sh_offset + sh.sh_name, name, n)) {
			*out = sh;
			return 1;
		}
	}
	return 0;
}

/*
 * Xen's fallbacks for a kernel without Xen notes in its PT_NOTE segments:
 * the notes of its SHT_NOTE sections, failing that the legacy __xen_guest
 * string. Section headers are read only here, so a kernel with PT_NOTE
 * notes loads whatever its section table looks like.
 */
static int section_fallbacks(const uint8_t *img, size_t len,
			     const Elf64_Ehdr *eh, struct pv_kernel_info *k,
			     bool *found, const char **why)
{
	struct shtab t;
	Elf64_Shdr sh;
	int rc;

	rc = shtab_init(img, len, eh, &t, why);
	if (!rc)
		rc = section_notes(&t, k, found, why);
	if (rc)
		return rc;
	if (*found) {
		k->notes_from = "SHT_NOTE";
		return 0;
	}
	rc = section_by_name(&t, "__xen_guest", &sh, why);
	if (rc <= 0)
		return rc;
	*why = "__xen_guest section outside the file";
	if (!range_ok(len, sh.sh_offset, sh.sh_size))
		return -EINVAL;
	rc = elf_xen_guest_parse(img + sh.sh_offset, sh.sh_size, k, why);
	if (rc)
		return rc;
	k->notes_from = "__xen_guest";
	*found = true;
	return 0;
}

/*
 * What PV and PVH kernels share: the ELF64 headers, the PT_LOAD range
 * and the Xen notes wherever Xen's libelf would find them (*found).
 */
static int elf_scan(const uint8_t *img, size_t len, struct pv_kernel_info *k,
		    bool *found_out, const char **why)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
	bool found = false;

	memset(k, 0, sizeof(*k));
	k->virt_base = UNSET;
	k->paddr_offset = UNSET;
	k->entry = UNSET;

	*why = "not an ELF64 little-endian x86-64 executable";
	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64 || eh->e_type != ET_EXEC)
		return -EINVAL;
	*why = "bad program header table";
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
	    !range_ok(len, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)))
		return -EINVAL;

	k->pstart = UNSET;
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, img + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		/* As Xen: some binutils leave p_offset 0 in PT_NOTE. */
		if (ph.p_type == PT_NOTE && ph.p_offset) {
			*why = "PT_NOTE segment outside the file";
			if (!range_ok(len, ph.p_offset, ph.p_filesz))
				return -EINVAL;
			*why = "malformed ELF note in a PT_NOTE segment";
			if (walk_notes(img, len, ph.p_offset, ph.p_filesz, k,
				       &found))
				return -EINVAL;
		}
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		*why = "PT_LOAD segment outside the file or wrapping";
		if (!range_ok(len, ph.p_offset, ph.p_filesz) ||
		    ph.p_filesz > ph.p_memsz ||
		    ph.p_paddr + ph.p_memsz < ph.p_paddr)
			return -EINVAL;
		if (ph.p_paddr < k->pstart)
			k->pstart = ph.p_paddr;
		if (ph.p_paddr + ph.p_memsz > k->pend)
			k->pend = ph.p_paddr + ph.p_memsz;
	}
	*why = "no loadable segment";
	if (k->pstart == UNSET)
		return -EINVAL;
	k->notes_from = "PT_NOTE";
	if (!found) {
		int rc = section_fallbacks(img, len, eh, k, &found, why);

		if (rc)
			return rc;
	}
	*found_out = found;
	return 0;
}

int elf_pv_parse(const uint8_t *img, size_t len, struct pv_kernel_info *k,
		 const char **why)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
	bool found = false, have_entry;
	uint64_t virt_offset;
	int rc;

	rc = elf_scan(img, len, k, &found, why);
	if (rc)
		return rc;
	*why = "no Xen ELF notes or __xen_guest section: not a PV kernel";
	if (!found)
		return -EINVAL;
	*why = "XEN_VERSION note (__xen_guest: XEN_VER) is not \"xen-3.0\"";
	if (strcmp(k->xen_version, "xen-3.0"))
		return -EINVAL;

	/* Xen's defaults, and its refusal of an offset with nothing to offset. */
	*why = "PADDR_OFFSET given without VIRT_BASE";
	if (k->paddr_offset != UNSET && k->virt_base == UNSET)
		return -EINVAL;
	if (k->virt_base == UNSET)
		k->virt_base = 0;
	/* Legacy kernels' p_paddr were virtual addresses. */
	if (k->paddr_offset == UNSET)
		k->paddr_offset = strcmp(k->notes_from, "__xen_guest") ?
				  0 : k->virt_base;
	have_entry = k->entry != UNSET;
	if (!have_entry)
		k->entry = eh->e_entry;

	virt_offset = k->virt_base - k->paddr_offset;
	k->virt_kstart = k->pstart + virt_offset;
	k->virt_kend = k->pend + virt_offset;
	*why = "kernel addresses below VIRT_BASE or entry outside the kernel";
	if (k->virt_kstart < k->virt_base || k->virt_kend < k->virt_kstart ||
	    k->entry < k->virt_kstart || k->entry >= k->virt_kend)
		return -EINVAL;
	/* As in Xen's builder: the boot pages follow the kernel's last page. */
	*why = "kernel start (lowest p_paddr - PADDR_OFFSET) not page aligned";
	if (k->virt_kstart & 4095)
		return -EINVAL;
	/* No wrap: the builder fills it at hypercall_page - VIRT_BASE. */
	*why = "hypercall page outside the kernel image";
	if (k->hypercall_page &&
	    (k->hypercall_page < k->virt_kstart ||
	     k->hypercall_page > k->virt_kend ||
	     k->virt_kend - k->hypercall_page < 4096 ||
	     (k->hypercall_page & 4095)))
		return -EINVAL;
	*why = NULL;
	return 0;
}

int elf_pvh_parse(const uint8_t *img, size_t len, struct pv_kernel_info *k,
		  const char **why)
{
	bool found = false;
	int rc;

	rc = elf_scan(img, len, k, &found, why);
	if (rc)
		return rc;
	*why = "no XEN_ELFNOTE_PHYS32_ENTRY note: not a PVH kernel";
	if (!found || !k->has_phys32_entry)
		return -EINVAL;
	/* Loaded by p_paddr as it stands: the kernel runs where it says. */
	k->virt_base = 0;
	k->paddr_offset = 0;
	k->entry = k->phys32_entry;
	k->virt_kstart = k->pstart;
	k->virt_kend = k->pend;
	*why = "PVH kernel not loadable below 4 GiB";
	if (k->pend > (1ull << 32))
		return -EINVAL;
	*why = "PHYS32_ENTRY outside the kernel's PT_LOAD segments";
	if (k->phys32_entry < k->pstart || k->phys32_entry >= k->pend)
		return -EINVAL;
	*why = NULL;
	return 0;
}

int elf_pv_load(const uint8_t *img, size_t len, const struct pv_kernel_info *k,
		uint8_t *ram, uint64_t ram_size)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;

	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;
		uint64_t dst;

		memcpy(&ph, img + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		/* By p_paddr, never p_vaddr: Linux's percpu segment has vaddr 0. */
		dst = ph.p_paddr - k->paddr_offset;
		if (dst > ram_size || ph.p_memsz > ram_size - dst)
			return -E2BIG;
		memcpy(ram + dst, img + ph.p_offset, ph.p_filesz);
		memset(ram + dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
	}
	return 0;
}

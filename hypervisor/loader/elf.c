// SPDX-License-Identifier: MIT
/* ELF64 PV kernels: program headers and the "Xen" ELF notes. */
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
	case XEN_ELFNOTE_FEATURES:
		note_string(k->features, sizeof(k->features), desc, descsz);
		break;
	}
}

/* Walk one PT_NOTE segment; notes are 4-byte aligned records. */
static int parse_notes(const uint8_t *img, size_t len, uint64_t off,
		       uint64_t size, struct pv_kernel_info *k, bool *found)
{
	uint64_t pos = off, end = off + size;

	while (pos + 12 <= end) {
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

int elf_pv_parse(const uint8_t *img, size_t len, struct pv_kernel_info *k,
		 const char **why)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
	bool found = false, have_entry;
	uint64_t virt_offset;

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
		if (ph.p_type == PT_NOTE) {
			*why = "malformed ELF note";
			if (!range_ok(len, ph.p_offset, ph.p_filesz) ||
			    parse_notes(img, len, ph.p_offset, ph.p_filesz, k,
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
	*why = "no Xen ELF notes: not a PV kernel";
	if (!found)
		return -EINVAL;
	*why = "XEN_VERSION note is not \"xen-3.0\"";
	if (strcmp(k->xen_version, "xen-3.0"))
		return -EINVAL;

	if (k->virt_base == UNSET)
		k->virt_base = 0;
	if (k->paddr_offset == UNSET)
		k->paddr_offset = 0;
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

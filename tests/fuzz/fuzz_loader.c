// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: arbitrary bytes as a kernel file, taken the way
 * pv_build() takes pvctl's --kernel: ELF or bzImage (payload in any of
 * lz4 legacy, gzip, xz, lzma, zstd, bzip2), the ELF's PV notes (seeds
 * have them in PT_NOTE, only in SHT_NOTE, or as a __xen_guest string),
 * the layout in a small guest and a large one, then the load, the
 * hypercall page and the bootstrap page tables written into an 8 MiB RAM
 * buffer.
 * Besides crashes, an accepted image must yield a layout whose pieces
 * are disjoint and inside guest memory (what pv_build writes blindly).
 */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvisor/kernel_image.h"
#include "pvisor/loader.h"
#include "pvisor/log.h"
#include "pvisor/pv_layout.h"

#define RAM_PAGES	2048ull		/* 8 MiB: hello.elf fits */
#define BIG_PAGES	(1ull << 20)	/* 4 GiB, planned only */
#define RAMDISK_SMALL	20000u
#define RAMDISK_BIG	(5u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);

/*
 * A size trailer makes the loader allocate up to 256 MiB, whose ASan
 * shadow (32 MiB, poisoned on malloc and free) costs ~180 ms in 4 KiB
 * page faults on a software KVM host (PVM); with huge pages ~25 ms.
 */
const char *__asan_default_options(void)
{
	return "no_huge_pages_for_shadow=0";
}

static uint8_t *ram;

/* Debug lines are formatted (pv_layout_log, the payload line), not shown. */
static void discard(enum log_level level, const char *line)
{
}

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz_loader: %s:%d: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

struct span {
	uint64_t start, n;
};

/* Every piece pv_build writes lies in guest memory, none overlaps another. */
static void check_layout(const struct pv_layout *l, size_t ramdisk_len)
{
	const struct pv_pt_map *m = &l->map, *p = &l->p2m_map;
	struct span s[10];
	unsigned int n = 0;

	CHECK(l->alloc_end <= l->nr_pages);
	CHECK(l->mapped_end <= l->nr_pages);
	s[n++] = (struct span){ l->kernel_pfn, l->kernel_end - l->kernel_pfn };
	s[n++] = (struct span){ l->start_info_pfn, 1 };
	s[n++] = (struct span){ l->xenstore_pfn, 1 };
	s[n++] = (struct span){ l->console_pfn, 1 };
	s[n++] = (struct span){ l->stack_pfn, 1 };
	s[n++] = (struct span){ m->first_pfn, m->nr_tables };
	s[n++] = (struct span){ l->p2m_pfn, l->p2m_pages };
	if (ramdisk_len)
		s[n++] = (struct span){ l->ramdisk_pfn, l->ramdisk_pages };
	if (l->init_p2m)
		s[n++] = (struct span){ p->first_pfn, p->nr_tables };
	CHECK(l->kernel_end >= l->kernel_pfn);
	CHECK(l->p2m_pages * 512 >= l->nr_pages);
	CHECK(m->l4_pfn == m->first_pfn);
	/* Everything the guest finds through its initial mapping is mapped. */
	CHECK(l->stack_pfn < l->mapped_end && l->console_pfn < l->mapped_end);
	CHECK(m->first_pfn + m->nr_tables <= l->mapped_end);
	for (unsigned int i = 0; i < n; i++) {
		CHECK(s[i].start <= l->nr_pages &&
		      s[i].n <= l->nr_pages - s[i].start);
		for (unsigned int j = 0; j < i; j++)
			CHECK(!s[i].n || !s[j].n ||
			      s[i].start >= s[j].start + s[j].n ||
			      s[j].start >= s[i].start + s[i].n);
	}
}

/* What was loaded lies in the layout's kernel frames, nothing else there. */
static void check_segments(const uint8_t *elf, const struct pv_kernel_info *k,
			   const struct pv_layout *l)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf;

	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;
		uint64_t dst;

		memcpy(&ph, elf + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		dst = ph.p_paddr - k->paddr_offset;
		CHECK(dst >> 12 >= l->kernel_pfn);
		CHECK((dst + ph.p_memsz + 4095) >> 12 <= l->kernel_end);
	}
}

/* What pv_build does with a parsed kernel, into ram (RAM_PAGES frames). */
static void build(const uint8_t *elf, size_t elf_len,
		  const struct pv_kernel_info *k)
{
	const char *why = NULL;
	struct pv_layout l;
	int rc;

	rc = pv_layout_plan(k, BIG_PAGES, RAMDISK_BIG, &l, &why);
	CHECK(rc <= 0 && (!rc || why));
	if (!rc)
		check_layout(&l, RAMDISK_BIG);

	rc = pv_layout_plan(k, RAM_PAGES, RAMDISK_SMALL, &l, &why);
	CHECK(rc <= 0 && (!rc || why));
	if (rc)
		return;
	check_layout(&l, RAMDISK_SMALL);
	pv_layout_log(&l);
	if (elf_pv_load(elf, elf_len, k, ram, RAM_PAGES << 12))
		return;
	check_segments(elf, k, &l);
	if (k->hypercall_page) {
		uint64_t off = k->hypercall_page - k->virt_base;

		/* pv_build fills this page without further checks. */
		CHECK(!(off & 4095) && off < RAM_PAGES << 12);
		CHECK(off >> 12 >= l.kernel_pfn && off >> 12 < l.kernel_end);
		memset(ram + off, 0xcc, 4096);
	}
	/* Table frames are fresh (zeroed) memory in a new domain. */
	memset(ram + (l.map.first_pfn << 12), 0, l.map.nr_tables << 12);
	if (l.init_p2m)
		memset(ram + (l.p2m_map.first_pfn << 12), 0,
		       l.p2m_map.nr_tables << 12);
	pv_layout_write_tables(ram, &l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *elf;
	const char *why = NULL;
	struct pv_kernel_info k;
	uint8_t *owned;
	size_t elf_len;
	int rc;

	if (!ram) {
		pv_log_set_sink(discard);
		pv_log_set_level(LOG_DEBUG);
		ram = malloc(RAM_PAGES << 12);
		if (!ram)
			abort();
	}
	kernel_format_name(kernel_image_sniff(data, size));
	kernel_compression_name(data, size);

	rc = kernel_image_elf(data, size, &elf, &elf_len, &owned, &why);
	CHECK(rc <= 0);
	if (rc) {
		CHECK(why && !owned);
		return 0;
	}
	CHECK(owned ? elf == owned && elf_len <= KERNEL_MAX_DECOMPRESSED :
		      elf == data && elf_len == size);

	rc = elf_pv_parse(elf, elf_len, &k, &why);
	CHECK(rc <= 0 && (!rc || why));
	if (!rc) {
		CHECK(k.entry >= k.virt_kstart && k.entry < k.virt_kend);
		CHECK(k.guest_os[sizeof(k.guest_os) - 1] == '\0' &&
		      k.features[sizeof(k.features) - 1] == '\0');
		build(elf, elf_len, &k);
	}
	free(owned);
	return 0;
}

// SPDX-License-Identifier: MIT
/* Hypervisor-owned frames of a domain and the tables that map them. */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pvisor/guest_mem.h"
#include "pvisor/hv_region.h"

int hv_region_init(struct hv_region *r, uint64_t nr_pages)
{
	r->fd = memfd_create("pvisor-hv", MFD_CLOEXEC);
	if (r->fd < 0)
		return -errno;
	if (ftruncate(r->fd, nr_pages << PAGE_SHIFT))
		goto err;
	r->base = mmap(NULL, nr_pages << PAGE_SHIFT, PROT_READ | PROT_WRITE,
		       MAP_SHARED, r->fd, 0);
	if (r->base == MAP_FAILED)
		goto err;
	r->access = calloc(nr_pages, 1);
	if (!r->access) {
		munmap(r->base, nr_pages << PAGE_SHIFT);
		errno = ENOMEM;
		goto err;
	}
	r->nr_pages = nr_pages;
	r->next_free = 0;
	return 0;
err:
	close(r->fd);
	r->fd = -1;
	return -errno;
}

void hv_region_fini(struct hv_region *r)
{
	if (r->fd < 0)
		return;
	munmap(r->base, r->nr_pages << PAGE_SHIFT);
	close(r->fd);
	free(r->access);
	r->fd = -1;
}

int64_t hv_alloc(struct hv_region *r, unsigned int n)
{
	uint64_t idx = r->next_free;

	if (n > r->nr_pages - r->next_free)
		return -ENOMEM;
	r->next_free += n;
	return (int64_t)idx;
}

static int hv_map_level(struct hv_region *r, uint64_t l3, uint64_t va,
			uint64_t gpa, uint64_t flags, int leaf_level)
{
	const uint64_t table_flags = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER;
	uint64_t *t = hv_page(r, l3);

	for (int level = 3; level > leaf_level; level--) {
		unsigned int idx = (va >> (12 + 9 * (level - 1))) & 511;

		if (!(t[idx] & _PAGE_PRESENT)) {
			int64_t page = hv_alloc(r, 1);

			if (page < 0)
				return (int)page;
			t[idx] = (hv_pfn(r, page) << PAGE_SHIFT) | table_flags;
		}
		t = hv_page(r, ((t[idx] & PTE_ADDR_MASK) >> PAGE_SHIFT) -
			       (HV_GPA_BASE >> PAGE_SHIFT));
	}
	t[(va >> (12 + 9 * (leaf_level - 1))) & 511] =
		(gpa & PTE_ADDR_MASK) | flags | (leaf_level == 2 ? _PAGE_PSE : 0);
	return 0;
}

int hv_map(struct hv_region *r, uint64_t l3, uint64_t va, uint64_t gpa,
	   uint64_t flags)
{
	return hv_map_level(r, l3, va, gpa, flags, 1);
}

int hv_map_2m(struct hv_region *r, uint64_t l3, uint64_t va, uint64_t gpa,
	      uint64_t flags)
{
	return hv_map_level(r, l3, va, gpa, flags, 2);
}

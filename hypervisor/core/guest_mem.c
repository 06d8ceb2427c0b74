// SPDX-License-Identifier: MIT
/* Guest memory access: frame lookup and guest page-table walks. */
#include <errno.h>
#include <string.h>

#include "pvisor/guest_mem.h"

void *gmem_ram_frame(const struct guest_mem *m, uint64_t pfn)
{
	if (pfn >= m->nr_pages)
		return NULL;
	return m->ram + (pfn << PAGE_SHIFT);
}

void *gmem_frame(const struct guest_mem *m, uint64_t pfn, bool write)
{
	uint64_t idx;
	unsigned int need = write ? HV_ACCESS_WRITE : HV_ACCESS_READ;

	if (pfn < m->nr_pages) {
		/* A frame the guest gave back is no longer its to use. */
		if (m->absent && m->absent[pfn])
			return NULL;
		return m->ram + (pfn << PAGE_SHIFT);
	}
	if (!m->hv || pfn < m->hv_base_pfn)
		return NULL;
	idx = pfn - m->hv_base_pfn;
	if (idx >= m->hv_nr_pages || !(m->hv_access[idx] & need))
		return NULL;
	return m->hv + (idx << PAGE_SHIFT);
}

int gmem_translate(const struct guest_mem *m, uint64_t cr3, uint64_t va,
		   bool write, uint64_t *gpa, uint64_t *pte_out)
{
	uint64_t table = cr3 & PTE_ADDR_MASK, e = 0;
	bool la57 = cr3 & GMEM_CR3_LA57;
	int level;

	if (cr3 == GMEM_CR3_PHYS) {
		/* Paging off: 32-bit linear addresses are physical ones. */
		if (va >> 32)
			return -EFAULT;
		*gpa = va;
		if (pte_out)
			*pte_out = _PAGE_PRESENT | _PAGE_RW;
		return 0;
	}
	/* Canonical: sign-extended from bit 47, or from bit 56 with LA57. */
	if (la57 ? (uint64_t)((int64_t)(va << 7) >> 7) != va :
		   !x86_is_canonical(va))
		return -EFAULT;
	if (va >= m->reserved_va_start && va < m->reserved_va_end)
		return -EFAULT;

	for (level = la57 ? 5 : 4; level >= 1; level--) {
		unsigned int shift = PAGE_SHIFT + 9 * (level - 1);
		const uint64_t *t = gmem_ram_frame(m, table >> PAGE_SHIFT);

		if (!t)
			return -EFAULT;
		/* A racing guest vCPU may rewrite the entry: read it once. */
		e = __atomic_load_n(&t[(va >> shift) & 511], __ATOMIC_RELAXED);
		if (!(e & _PAGE_PRESENT))
			return -EFAULT;
		if (write && !(e & _PAGE_RW))
			return -EFAULT;
		if (level > 1 && level < 4 && (e & _PAGE_PSE)) {
			uint64_t span = 1ull << shift;
			uint64_t base = e & PTE_ADDR_MASK & ~(span - 1);

			*gpa = base | (va & (span - 1));
			goto found;
		}
		table = e & PTE_ADDR_MASK;
	}
	*gpa = table | (va & ~PAGE_MASK);
found:
	if (pte_out)
		*pte_out = e;
	return 0;
}

/* Copy within one page at a time: each page translates separately. */
static int gmem_copy(const struct guest_mem *m, uint64_t cr3, uint64_t va,
		     void *buf, size_t len, bool write)
{
	uint8_t *p = buf;

	while (len) {
		uint64_t gpa;
		size_t chunk = PAGE_SIZE - (va & ~PAGE_MASK);
		uint8_t *frame;
		int rc;

		if (chunk > len)
			chunk = len;
		rc = gmem_translate(m, cr3, va, write, &gpa, NULL);
		if (rc)
			return rc;
		frame = gmem_frame(m, gpa >> PAGE_SHIFT, write);
		if (!frame)
			return -EFAULT;
		if (write)
			memcpy(frame + (gpa & ~PAGE_MASK), p, chunk);
		else
			memcpy(p, frame + (gpa & ~PAGE_MASK), chunk);
		p += chunk;
		va += chunk;
		len -= chunk;
	}
	return 0;
}

int gmem_read(const struct guest_mem *m, uint64_t cr3, uint64_t va,
	      void *dst, size_t len)
{
	if (len && va + (len - 1) < va)	/* the last byte may be at ~0 */
		return -EFAULT;
	return gmem_copy(m, cr3, va, dst, len, false);
}

int gmem_write(const struct guest_mem *m, uint64_t cr3, uint64_t va,
	       const void *src, size_t len)
{
	if (len && va + (len - 1) < va)
		return -EFAULT;
	return gmem_copy(m, cr3, va, (void *)src, len, true);
}

int gmem_read_string(const struct guest_mem *m, uint64_t cr3, uint64_t va,
		     char *dst, size_t max)
{
	/* Up to max - 1 characters and their NUL: max bytes in all. */
	for (size_t i = 0; i < max; i++) {
		int rc = gmem_read(m, cr3, va + i, &dst[i], 1);

		if (rc)
			return rc;
		if (!dst[i])
			return 0;
	}
	if (max)
		dst[max - 1] = '\0';
	return -ENAMETOOLONG;
}

bool gmem_handle_okay(const struct guest_mem *m, uint64_t va, uint64_t nr,
		      uint64_t size)
{
	uint64_t end;

	if (!nr)
		return true;
	if (nr > UINT64_MAX / size)
		return false;
	end = va + nr * size - 1;
	if (end < va || !x86_is_canonical(va) || !x86_is_canonical(end) ||
	    (va >> 47) != (end >> 47))
		return false;
	return !(va < m->reserved_va_end && end >= m->reserved_va_start);
}

// SPDX-License-Identifier: MIT
/*
 * memory_op for PVH and HVM guests: what of it a translated guest may
 * ask. Its physical memory is laid out by the builder, so the answers
 * are the memory map the builder laid out, the frames it may place
 * (add_to_physmap, hvm/shared_info.c) and the balloon (hvm/balloon.c).
 */
#include <errno.h>
#include <string.h>

#include <pvabi/memory.h>

#include "pvisor/domain.h"
#include "pvisor/hvm.h"

void hvm_memmap_add(struct domain *d, uint64_t addr, uint64_t size,
		    uint32_t type)
{
	struct hvm_domain *h = &d->hvm;

	if (h->nr_memmap < HVM_MEMMAP_MAX)
		h->memmap[h->nr_memmap++] = (struct e820entry){
			.addr = addr, .size = size, .type = type,
		};
}

/* XENMEM_memory_map: as many entries as the guest has room for. */
static long memory_map(struct vcpu *v, uint64_t arg)
{
	const struct hvm_domain *h = &v->d->hvm;
	struct xen_memory_map map;

	if (pv_read(&v->pv, arg, &map, sizeof(map)))
		return -EFAULT;
	/* As Xen: as many entries as fit, a short map being no error. */
	if (map.nr_entries > h->nr_memmap)
		map.nr_entries = h->nr_memmap;
	if (pv_write(&v->pv, map.buffer, h->memmap,
		     map.nr_entries * sizeof(h->memmap[0])))
		return -EFAULT;
	return pv_write(&v->pv, arg, &map, sizeof(map)) ? -EFAULT : 0;
}

long hvm_memory_op(struct vcpu *v, const uint64_t a[6])
{
	switch (a[0]) {
	case XENMEM_add_to_physmap:
		return hvm_add_to_physmap(v, a[1]);
	case XENMEM_memory_map:
		return memory_map(v, a[1]);
	}
	return hvm_balloon_op(v, a);
}

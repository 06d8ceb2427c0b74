// SPDX-License-Identifier: MIT
/* xen_version: what the hypervisor claims to be and offer. */
#include <errno.h>
#include <string.h>

#include <pvabi/features.h>
#include <pvabi/version.h>

#include "pvisor/cpuid.h"
#include "pvisor/domain.h"
#include "pvisor/hypercall.h"

/* The XENFEAT_* bits a PV guest of pvisor gets (Xen's PV set). */
static uint32_t pv_features(const struct domain *d)
{
	uint32_t f = (1u << XENFEAT_mmu_pt_update_preserve_ad) |
		     (1u << XENFEAT_highmem_assist) |
		     (1u << XENFEAT_gnttab_map_avail_bits) |
		     (1u << XENFEAT_direct_mapped);

	if (d->vm_assist & (1ul << VMASST_TYPE_pae_extended_cr3))
		f |= 1u << XENFEAT_pae_pgdir_above_4gb;
	return f;
}

/*
 * PVH and HVM guests: their own page tables over a translated physmap,
 * event upcalls by vector. No PV clock for them yet (hvm_safe_pvclock).
 */
static uint32_t hvm_features(void)
{
	return (1u << XENFEAT_auto_translated_physmap) |
	       (1u << XENFEAT_hvm_callback_vector);
}

static long copy_string_out(struct vcpu *v, uint64_t va, const char *s,
			    size_t field)
{
	char buf[1024] = { 0 };

	strncpy(buf, s, field - 1);
	return pv_write(&v->pv, va, buf, field) ? -EFAULT : 0;
}

long do_xen_version(struct vcpu *v, const uint64_t a[6])
{
	uint64_t arg = a[1];

	switch (a[0]) {
	case XENVER_version:
		return (PVISOR_XEN_MAJOR << 16) | PVISOR_XEN_MINOR;
	case XENVER_extraversion:
		return copy_string_out(v, arg, ".0-pvisor",
				       sizeof(xen_extraversion_t));
	case XENVER_compile_info: {
		struct xen_compile_info ci = { 0 };

		strncpy(ci.compiler, "gcc " __VERSION__, sizeof(ci.compiler) - 1);
		strncpy(ci.compile_by, "pvisor", sizeof(ci.compile_by) - 1);
		strncpy(ci.compile_date, __DATE__, sizeof(ci.compile_date) - 1);
		return pv_write(&v->pv, arg, &ci, sizeof(ci)) ? -EFAULT : 0;
	}
	case XENVER_capabilities:
		return copy_string_out(v, arg, "xen-3.0-x86_64 ",
				       sizeof(xen_capabilities_info_t));
	case XENVER_changeset:
		return copy_string_out(v, arg, "pvisor",
				       sizeof(xen_changeset_info_t));
	case XENVER_platform_parameters: {
		struct xen_platform_parameters pp = {
			.virt_start = HYPERVISOR_VIRT_START,
		};

		return pv_write(&v->pv, arg, &pp, sizeof(pp)) ? -EFAULT : 0;
	}
	case XENVER_get_features: {
		struct xen_feature_info fi;

		if (pv_read(&v->pv, arg, &fi, sizeof(fi)))
			return -EFAULT;
		fi.submap = fi.submap_idx != 0 ? 0 :
			    v->d->type == DOMAIN_TYPE_PV ? pv_features(v->d) :
			    hvm_features();
		if (fi.submap_idx >= XENFEAT_NR_SUBMAPS)
			return -EINVAL;
		return pv_write(&v->pv, arg, &fi, sizeof(fi)) ? -EFAULT : 0;
	}
	case XENVER_pagesize:
		return 4096;
	case XENVER_guest_handle: {
		xen_domain_handle_t h = { 0 };

		h[15] = (uint8_t)v->d->id;
		return pv_write(&v->pv, arg, h, sizeof(h)) ? -EFAULT : 0;
	}
	case XENVER_commandline:
	case XENVER_build_id:
		return -EPERM;	/* dom0-only information */
	}
	return -ENOSYS;
}

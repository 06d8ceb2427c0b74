// SPDX-License-Identifier: MIT
/*
 * Event channels for PVH and HVM guests. Their shared_info page lives
 * in the hypervisor (a memfd page of its own, never guest RAM) and
 * appears in the guest's physical address space where the guest asks,
 * with XENMEM_add_to_physmap(XENMAPSPACE_shared_info), as on Xen: the
 * page is mapped over the guest RAM at that gpfn in pvisord's view of
 * RAM, and KVM's MMU notifiers carry the change into the VM. Moving it
 * puts the RAM page back at the old gpfn.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <pvabi/memory.h>

#include "pvisor/domain.h"
#include "pvisor/domain_events.h"
#include "pvisor/hvm.h"
#include "pvisor/log.h"

#define NO_GPFN		(~0ull)

int hvm_events_init(struct domain *d, const struct domain_config *cfg,
		    const struct plat_info *host)
{
	struct hvm_domain *h = &d->hvm;
	void *p;
	int rc;

	h->shinfo_gpfn = NO_GPFN;
	h->shinfo_fd = memfd_create("pvisor-shared-info", MFD_CLOEXEC);
	if (h->shinfo_fd < 0)
		return -errno;
	if (ftruncate(h->shinfo_fd, PAGE_SIZE))
		return -errno;
	p = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 h->shinfo_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	d->shared_info = p;
	/*
	 * HVM guests mask upcalls with RFLAGS.IF and their LAPIC, never
	 * with evtchn_upcall_mask: it stays 0 (Xen ignores it for them).
	 */
	for (unsigned int i = 0; i < d->nr_vcpus; i++)
		if (i < XEN_LEGACY_MAX_VCPUS)
			d->vcpus[i]->pv.vcpu_info = &d->shared_info->vcpu_info[i];
	rc = domain_events_init(d, cfg, host);
	/*
	 * KVM's LAPIC drops an interrupt while software-disabled (Linux
	 * sets its vector before enabling it): upcalls must come again.
	 */
	d->evtchn.upcall_level = true;
	return rc;
}

void hvm_events_fini(struct domain *d)
{
	struct hvm_domain *h = &d->hvm;

	if (d->type == DOMAIN_TYPE_PV)
		return;
	hvm_grant_frames_fini(d);
	if (d->shared_info)
		munmap(d->shared_info, PAGE_SIZE);
	d->shared_info = NULL;
	if (h->shinfo_fd >= 0)
		close(h->shinfo_fd);
	h->shinfo_fd = -1;
}

/* RAM, or the shared_info page, at gpfn of pvisord's view of RAM. */
static int map_at(struct domain *d, uint64_t gpfn, bool shared_info)
{
	void *at = d->mem.ram + (gpfn << PAGE_SHIFT);
	void *p;

	if (shared_info)
		p = mmap(at, PAGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, d->hvm.shinfo_fd, 0);
	else
		p = mmap(at, PAGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, d->ram_fd,
			 (off_t)(gpfn << PAGE_SHIFT));
	return p == MAP_FAILED ? -errno : 0;
}

static long add_shared_info(struct domain *d, uint64_t gpfn)
{
	struct hvm_domain *h = &d->hvm;
	long rc;

	pthread_mutex_lock(&h->lock);
	if (h->shinfo_gpfn == gpfn) {
		pthread_mutex_unlock(&h->lock);
		return 0;
	}
	rc = map_at(d, gpfn, true);
	if (!rc && h->shinfo_gpfn != NO_GPFN && map_at(d, h->shinfo_gpfn, false)) {
		/* The old gpfn keeps showing shared_info: harmless, logged. */
		dom_log(d, LOG_WARN, "cannot give gpfn %#llx back its RAM\n",
			(unsigned long long)h->shinfo_gpfn);
	}
	if (!rc)
		h->shinfo_gpfn = gpfn;
	pthread_mutex_unlock(&h->lock);
	return rc ? -ENOMEM : 0;
}

long hvm_add_to_physmap(struct vcpu *v, uint64_t arg)
{
	struct domain *d = v->d;
	struct xen_add_to_physmap x;

	if (pv_read(&v->pv, arg, &x, sizeof(x)))
		return -EFAULT;
	if (x.domid != DOMID_SELF && x.domid != d->id)
		return -EPERM;
	switch (x.space) {
	case XENMAPSPACE_shared_info:
		if (x.idx != 0)
			return -EINVAL;
		/* Below the end of RAM, which is all below the MMIO window. */
		if (x.gpfn >= d->mem.nr_pages)
			return -EINVAL;
		return add_shared_info(d, x.gpfn);
	case XENMAPSPACE_grant_table:
		return hvm_map_grant_frame(d, x.idx, x.gpfn);
	}
	return -EINVAL;
}

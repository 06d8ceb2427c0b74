// SPDX-License-Identifier: MIT
/* Domain lifetime: memory, the hypervisor region, vCPUs, shutdown. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "pvisor/domain.h"
#include "pvisor/domain_events.h"
#include "pvisor/entry_area.h"
#include "pvisor/gnttab_map.h"
#include "pvisor/gnttab_peer.h"
#include "pvisor/hvm.h"
#include "pvisor/hvm_pc.h"
#include "pvisor/grant_table.h"
#include "pvisor/layout.h"
#include "pvisor/log.h"
#include "pvisor/pv_mm.h"

#define VM_CR0	0x80050033ull	/* PG WP NE ET MP PE */
#define VM_CR4	0x00000620ull	/* PAE OSFXSR OSXMMEXCPT */
#define VM_EFER	0x00000d01ull	/* NXE LMA LME SCE */

static domid_t next_domid = 1;
static unsigned int live_domains;	/* under domid_lock */
static pthread_mutex_t domid_lock = PTHREAD_MUTEX_INITIALIZER;

/* Frames the hypervisor region needs for this shape of domain. */
static uint64_t hv_region_pages(uint64_t nr_pages, unsigned int vcpus)
{
	uint64_t m2p = (nr_pages * 8 + 4095) / 4096;
	uint64_t m2p_tables = m2p / 512 + m2p / (512 * 512) + 4;
	uint64_t per_vcpu = 2 + 1 + (HV_VCPU_STACK_SIZE >> 12) + 1;
	uint64_t directmap = nr_pages / (512 * 512) + 4;

	/* hvmap: the direct map of this region (pt_write.c), GDT zero page */
	uint64_t hvmap = 4;

	return 64 + m2p + m2p_tables + directmap + vcpus * per_vcpu +
	       vcpus / 8 + 8 + CONFIG_GNTTAB_MAX_FRAMES +
	       GNTTAB_STATUS_FRAMES(CONFIG_GNTTAB_MAX_FRAMES) + hvmap;
}

/* The first two usable reserved slots: M2P, then the entry area. */
static int pick_slots(struct domain *d, uint32_t usable)
{
	int found = 0;

	for (int s = XEN_RESERVED_SLOT_FIRST; s <= XEN_RESERVED_SLOT_LAST; s++) {
		if (!(usable & (1u << (s - XEN_RESERVED_SLOT_FIRST))))
			continue;
		if (found == 0)
			d->m2p_slot_va = L4_SLOT_VA(s);
		else
			d->hv_slot_va = L4_SLOT_VA(s);
		if (++found == 2)
			return 0;
	}
	return -ENOSPC;
}

const char *domain_type_name(enum domain_type type)
{
	switch (type) {
	case DOMAIN_TYPE_PV:
		return "pv";
	case DOMAIN_TYPE_PVH:
		return "pvh";
	case DOMAIN_TYPE_HVM:
		return "hvm";
	}
	return "?";
}

int domain_type_parse(const char *name, enum domain_type *out)
{
	for (int t = DOMAIN_TYPE_PV; t <= DOMAIN_TYPE_HVM; t++)
		if (!strcmp(name, domain_type_name(t))) {
			*out = t;
			return 0;
		}
	return -EINVAL;
}

int domain_setup_ram(struct domain *d, uint64_t nr_pages)
{
	d->ram_fd = memfd_create("pvisor-ram", MFD_CLOEXEC);
	if (d->ram_fd < 0)
		return -errno;
	if (ftruncate(d->ram_fd, nr_pages << PAGE_SHIFT))
		return -errno;
	d->mem.ram = mmap(NULL, nr_pages << PAGE_SHIFT, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_NORESERVE, d->ram_fd, 0);
	if (d->mem.ram == MAP_FAILED) {
		d->mem.ram = NULL;
		return -errno;
	}
	d->mem.nr_pages = nr_pages;
	return plat_vm_map(d->vm, 0, 0, nr_pages << PAGE_SHIFT, d->mem.ram);
}

/* The read-only M2P: identity for RAM, in its own L4 slot. */
static int domain_setup_m2p(struct domain *d)
{
	uint64_t nr = d->mem.nr_pages, pages = (nr * 8 + 4095) / 4096;
	int64_t first = hv_alloc(&d->hv, pages);
	int rc = 0;

	if (first < 0)
		return (int)first;
	d->m2p = hv_page(&d->hv, first);
	for (uint64_t mfn = 0; mfn < nr; mfn++)
		d->m2p[mfn] = mfn;
	for (uint64_t i = 0; i < pages && !rc; i++)
		rc = hv_map(&d->hv, d->m2p_l3, d->m2p_slot_va + i * 4096,
			    hv_pfn(&d->hv, first + i) << PAGE_SHIFT,
			    _PAGE_PRESENT | _PAGE_USER | _PAGE_NX);
	d->m2p_max_mfn = nr - 1;
	return rc;
}

static int domain_setup_shared_info(struct domain *d)
{
	int64_t idx = hv_alloc(&d->hv, 1);

	if (idx < 0)
		return (int)idx;
	d->shared_info_pfn = hv_pfn(&d->hv, idx);
	d->shared_info = hv_page(&d->hv, idx);
	d->hv.access[idx] = HV_ACCESS_READ | HV_ACCESS_WRITE;
	/* Events stay masked on every vCPU until the guest opens them. */
	for (unsigned int i = 0; i < XEN_LEGACY_MAX_VCPUS; i++)
		d->shared_info->vcpu_info[i].evtchn_upcall_mask = 1;
	return 0;
}

static int vcpu_create(struct domain *d, unsigned int id)
{
	struct vcpu *v = calloc(1, sizeof(*v));
	struct plat_vcpu_config cfg;
	struct vcpu_info *vi;
	int rc;

	if (!v)
		return -ENOMEM;
	v->d = d;
	v->id = id;
	v->mm_root[0] = v->mm_root[1] = MM_NO_ROOT;
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->wake, NULL);
	d->vcpus[id] = v;

	rc = entry_area_build_vcpu(d, v);
	if (rc)
		return rc;
	vi = id < XEN_LEGACY_MAX_VCPUS ? &d->shared_info->vcpu_info[id] : NULL;
	if (!vi)
		return -EINVAL;	/* needs VCPUOP_register_vcpu_info first */
	pv_vcpu_init(&v->pv, id, &d->mem, vi);
	v->pv.cpuid = &d->cpuid;
	v->pv.vm_assist = &d->vm_assist;
	v->pv.efer = VM_EFER;
	v->pv.cpu.cr0 = VM_CR0;
	v->pv.cpu.cr4 = VM_CR4;
	v->pv.guest_cr4 = pv_fixup_guest_cr4(&v->pv, 0);

	cfg = (struct plat_vcpu_config){
		.cr0 = VM_CR0, .cr4 = VM_CR4, .efer = VM_EFER,
		.pat = XEN_MSR_PAT,
		.gdt_base = v->area_va + HV_VCPU_GDT_OFF,
		.idt_base = d->hv_slot_va + HV_IDT_OFF,
		.tss_base = v->area_va + HV_VCPU_TSS_OFF,
		.tss_sel = HV_TSS_SEL,
		.lstar = d->user_stubs_va,
		.cstar = d->user_stubs_va + 16,
		.star_cs = HV_CS_SEL,
		.cpuid = &d->cpuid,
	};
	return plat_vcpu_create(d->vm, id, &cfg, &v->plat);
}

int domain_create(const struct domain_config *cfg, const struct plat_info *host,
		  struct domain **out)
{
	uint64_t nr_pages = cfg->memory_mb << (20 - PAGE_SHIFT);
	struct domain *d;
	int64_t l3;
	int rc;

	if (!host->available)
		return -ENODEV;
	if (cfg->memory_mb < 4 || cfg->memory_mb > CONFIG_MAX_DOMAIN_MEMORY_MB)
		return -EINVAL;
	if (cfg->vcpus < 1 || cfg->vcpus > CONFIG_MAX_VCPUS ||
	    cfg->vcpus > XEN_LEGACY_MAX_VCPUS)
		return -EINVAL;
	if ((nr_pages << PAGE_SHIFT) >= HV_GPA_BASE / 2 ||
	    (host->phys_bits && host->phys_bits <= 40))
		return -E2BIG;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->ram_fd = -1;
	d->hv.fd = -1;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->state_changed, NULL);
	snprintf(d->name, sizeof(d->name), "%s", cfg->name ? cfg->name : "domU");
	d->console_sink = cfg->console_sink;
	d->console_opaque = cfg->console_opaque;
	d->log_budget = CONFIG_GUEST_LOG_LIMIT;
	pthread_mutex_lock(&domid_lock);
	if (live_domains >= CONFIG_MAX_DOMAINS) {
		pthread_mutex_unlock(&domid_lock);
		free(d);
		return -EUSERS;
	}
	live_domains++;
	d->counted = true;
	/* Domain ids wrap below Xen's reserved range (DOMID_FIRST_RESERVED). */
	if (next_domid >= DOMID_FIRST_RESERVED)
		next_domid = 1;
	d->id = next_domid++;
	pthread_mutex_unlock(&domid_lock);

	d->type = cfg->type;
	if (d->type != DOMAIN_TYPE_PV) {
		/* CPL0 guests: none of the PV hypervisor region below. */
		rc = hvm_domain_create(d, cfg, host);
		if (rc)
			goto fail;
		*out = d;
		return 0;
	}

	d->stubs_at_cpl3 = !host->syscall_to_cpl0;
	rc = pick_slots(d, host->usable_slots);
	if (rc) {
		pr_err("host leaves fewer than two of Xen's reserved L4 slots usable\n");
		goto fail;
	}
	rc = cpuid_policy_build(&d->cpuid, host->cpuid, host->nr_cpuid);
	if (rc)
		goto fail;
	rc = plat_vm_create(&d->vm);
	if (rc)
		goto fail;
	rc = domain_setup_ram(d, nr_pages);
	if (rc)
		goto fail;

	/* And the grant-map window (gnttab_map.h). */
	rc = hv_region_init(&d->hv, hv_region_pages(nr_pages, cfg->vcpus) +
			    CONFIG_GNTTAB_MAP_SLOTS);
	if (rc)
		goto fail;
	/* Before the memory slot exists: it remaps part of the region. */
	rc = gnttab_domain_init(d);
	if (!rc)
		rc = gnttab_map_domain_init(d, CONFIG_GNTTAB_MAP_SLOTS);
	if (!rc)
		rc = gnttab_peer_register(d);
	if (rc)
		goto fail;
	rc = plat_vm_map(d->vm, 1, HV_GPA_BASE, d->hv.nr_pages << PAGE_SHIFT,
			 d->hv.base);
	if (rc)
		goto fail;
	d->mem.hv = d->hv.base;
	d->mem.hv_base_pfn = HV_GPA_BASE >> PAGE_SHIFT;
	d->mem.hv_nr_pages = d->hv.nr_pages;
	d->mem.hv_access = d->hv.access;
	d->mem.reserved_va_start = L4_SLOT_VA(XEN_RESERVED_SLOT_FIRST);
	d->mem.reserved_va_end = L4_SLOT_VA(XEN_RESERVED_SLOT_LAST + 1);

	rc = -ENOMEM;
	if ((l3 = hv_alloc(&d->hv, 1)) < 0)
		goto fail;
	d->m2p_l3 = l3;
	if ((l3 = hv_alloc(&d->hv, 1)) < 0)
		goto fail;
	d->hv_l3 = l3;

	rc = pv_mm_init(d);
	if (!rc)
		rc = domain_setup_shared_info(d);
	if (!rc)
		rc = domain_setup_m2p(d);
	if (!rc)
		rc = entry_area_build(d);
	if (rc)
		goto fail;

	d->nr_vcpus = cfg->vcpus;
	for (unsigned int i = 0; i < cfg->vcpus; i++) {
		rc = vcpu_create(d, i);
		if (rc)
			goto fail;
	}
	d->vcpus[0]->online = true;
	/* Event channels, pvclock and wallclock: valid before vCPU0 runs. */
	rc = domain_events_init(d, cfg, host);
	if (rc)
		goto fail;
	d->state = DOMAIN_CREATED;
	*out = d;
	return 0;

fail:
	domain_destroy(d);
	return rc;
}

int domain_start(struct domain *d)
{
	unsigned int i;
	int rc = 0;

	/* Under the lock: VCPUOP_up starts vCPU threads too. */
	pthread_mutex_lock(&d->lock);
	d->state = DOMAIN_RUNNING;
	for (i = 0; i < d->nr_vcpus; i++) {
		struct vcpu *v = d->vcpus[i];

		if (!v->online || v->started)
			continue;
		rc = pthread_create(&v->thread, NULL,
				    d->type == DOMAIN_TYPE_PV ? vcpu_thread :
				    hvm_vcpu_thread, v);
		if (rc)
			break;
		v->started = true;
	}
	pthread_mutex_unlock(&d->lock);
	if (rc) {
		domain_crash(d, "cannot start vCPU%u thread: %s", i,
			     strerror(rc));
		return -rc;
	}
	return 0;
}

bool domain_is_dying(struct domain *d)
{
	enum domain_state s = __atomic_load_n(&d->state, __ATOMIC_ACQUIRE);

	return s == DOMAIN_SHUTDOWN || s == DOMAIN_CRASHED;
}

uint64_t domain_tot_pages(struct domain *d)
{
	uint64_t n;

	if (d->type == DOMAIN_TYPE_PV) {
		pthread_mutex_lock(&d->mm_lock);
		n = d->mm.tot_pages;
		pthread_mutex_unlock(&d->mm_lock);
	} else {
		pthread_mutex_lock(&d->hvm.lock);
		n = d->hvm.absent ? d->hvm.tot_pages : d->mem.nr_pages;
		pthread_mutex_unlock(&d->hvm.lock);
	}
	return n;
}

void domain_release_frame(struct domain *d, uint64_t pfn)
{
	if (d->ram_fd >= 0 &&
	    fallocate(d->ram_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)(pfn << PAGE_SHIFT), PAGE_SIZE))
		dom_log(d, LOG_WARN, "cannot release frame %#llx\n",
			(unsigned long long)pfn);
}

static void domain_kick_all(struct domain *d);

void domain_pause(struct domain *d)
{
	pthread_mutex_lock(&d->lock);
	d->paused = true;
	pthread_mutex_unlock(&d->lock);
	domain_kick_all(d);
}

void domain_unpause(struct domain *d)
{
	pthread_mutex_lock(&d->lock);
	d->paused = false;
	pthread_cond_broadcast(&d->state_changed);
	pthread_mutex_unlock(&d->lock);
}

bool domain_wait_unpaused(struct domain *d)
{
	bool dying;

	if (!__atomic_load_n(&d->paused, __ATOMIC_ACQUIRE))
		return domain_is_dying(d);
	pthread_mutex_lock(&d->lock);
	while (d->paused && d->state != DOMAIN_SHUTDOWN &&
	       d->state != DOMAIN_CRASHED)
		pthread_cond_wait(&d->state_changed, &d->lock);
	dying = d->state == DOMAIN_SHUTDOWN || d->state == DOMAIN_CRASHED;
	pthread_mutex_unlock(&d->lock);
	return dying;
}

uint64_t vcpu_cpu_time_ns(struct vcpu *v)
{
	struct timespec ts;
	clockid_t clk;

	if (!v->started || pthread_getcpuclockid(v->thread, &clk) ||
	    clock_gettime(clk, &ts))
		return v->cpu_time_final_ns;
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void domain_kick_all(struct domain *d)
{
	for (unsigned int i = 0; i < d->nr_vcpus; i++)
		if (d->vcpus[i] && d->vcpus[i]->started)
			vcpu_kick(d->vcpus[i]);
}

static bool domain_end(struct domain *d, enum domain_state state)
{
	bool changed = false;

	pthread_mutex_lock(&d->lock);
	if (d->state != DOMAIN_SHUTDOWN && d->state != DOMAIN_CRASHED) {
		__atomic_store_n(&d->state, state, __ATOMIC_RELEASE);
		changed = true;
		pthread_cond_broadcast(&d->state_changed);
	}
	pthread_mutex_unlock(&d->lock);
	if (changed)
		domain_kick_all(d);
	return changed;
}

void domain_shutdown(struct domain *d, unsigned int reason)
{
	d->shutdown_reason = reason;
	domain_end(d, DOMAIN_SHUTDOWN);
}

void domain_crash(struct domain *d, const char *fmt, ...)
{
	char msg[sizeof(d->crash_msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (domain_end(d, DOMAIN_CRASHED)) {
		snprintf(d->crash_msg, sizeof(d->crash_msg), "%s", msg);
		pr_err("d%u (%s) crashed: %s\n", d->id, d->name, msg);
	}
}

void domain_kill(struct domain *d, const char *why)
{
	if (domain_end(d, DOMAIN_CRASHED)) {
		snprintf(d->crash_msg, sizeof(d->crash_msg), "%s", why);
		pr_info("d%u (%s) killed: %s\n", d->id, d->name, why);
	}
}

enum domain_state domain_wait(struct domain *d)
{
	enum domain_state s;

	pthread_mutex_lock(&d->lock);
	while (d->state != DOMAIN_SHUTDOWN && d->state != DOMAIN_CRASHED)
		pthread_cond_wait(&d->state_changed, &d->lock);
	s = d->state;
	pthread_mutex_unlock(&d->lock);
	for (unsigned int i = 0; i < d->nr_vcpus; i++) {
		struct vcpu *v = d->vcpus[i];

		if (v && v->started) {
			v->cpu_time_final_ns = vcpu_cpu_time_ns(v);
			pthread_join(v->thread, NULL);
			v->started = false;
		}
	}
	return s;
}

void domain_destroy(struct domain *d)
{
	if (!d)
		return;
	/* Other domains stop finding its grants; their maps stay valid. */
	gnttab_peer_unregister(d);
	if (d->state == DOMAIN_RUNNING) {
		domain_crash(d, "destroyed");
		domain_wait(d);
	}
	/* Threads are gone; ports and timers still reference the vCPUs. */
	domain_events_fini(d);
	hvm_events_fini(d);
	for (unsigned int i = 0; i < CONFIG_MAX_VCPUS; i++) {
		struct vcpu *v = d->vcpus[i];

		if (!v)
			continue;
		plat_vcpu_destroy(v->plat);
		pthread_mutex_destroy(&v->lock);
		pthread_cond_destroy(&v->wake);
		free(v);
	}
	hvm_pc_destroy(d);
	plat_vm_destroy(d->vm);
	gnttab_map_domain_fini(d);
	gnttab_domain_fini(d);
	hv_region_fini(&d->hv);
	if (d->mem.ram)
		munmap(d->mem.ram, d->mem.nr_pages << PAGE_SHIFT);
	if (d->ram_fd >= 0)
		close(d->ram_fd);
	pv_mm_fini(d);
	hvm_balloon_fini(d);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->state_changed);
	if (d->counted) {
		pthread_mutex_lock(&domid_lock);
		live_domains--;
		pthread_mutex_unlock(&domid_lock);
	}
	free(d);
}

void domain_console_write(struct domain *d, const char *buf, size_t len)
{
	if (d->console_sink)
		d->console_sink(d, buf, len, d->console_opaque);
}

/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_DOMAIN_H
#define PVISOR_DOMAIN_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pvabi/hvm/hvm_op.h>
#include <pvabi/memory.h>
#include <pvabi/xen.h>

#include <pvabi/vcpu.h>

#include "pvisor/cpuid.h"
#include "pvisor/event_channel.h"
#include "pvisor/guest_mem.h"
#include "pvisor/hv_region.h"
#include "pvisor/page_type.h"
#include "pvisor/platform.h"
#include "pvisor/pv_vcpu.h"
#include "pvisor/stats.h"
#include "pvisor/time.h"
#include "pvisor/timer.h"

struct domain;
struct gnttab;
struct gnttab_maptrack;
struct gnttab_peer;
struct hvm_pc;

enum domain_state {
	DOMAIN_CREATED,		/* built, vCPUs not started */
	DOMAIN_RUNNING,
	DOMAIN_SHUTDOWN,	/* the guest asked: see shutdown_reason */
	DOMAIN_CRASHED,		/* pvisor ended it: see crash_msg */
};

struct vcpu {
	struct domain *d;
	unsigned int id;
	struct pv_vcpu pv;
	struct plat_vcpu *plat;
	pthread_t thread;
	bool started;
	bool online;
	bool dr_warned;			/* the host refused debug registers */

	/* Blocking (SCHEDOP_block): woken by events and kicks. */
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* CLOCK_MONOTONIC */
	bool blocked;			/* SCHEDOP_block or SCHEDOP_poll */
	bool exited;			/* thread gone: never signal it */

	/* vcpu_op state (vcpu_op.c, vcpu_block.c, timer.c). */
	bool initialised;		/* has a context (builder/VCPUOP_initialise) */
	bool initialising;		/* VCPUOP_initialise under way */
	bool vcpu_info_registered;
	uint64_t poll_deadline;		/* SCHEDOP_poll timeout, 0 = none */
	struct vcpu_timer timer;
	uint64_t runstate_va;		/* guest VA of its runstate copy, 0 = none */
	uint64_t time_area_va;		/* VCPUOP_register_vcpu_time_memory_area */
	struct vcpu_runstate_info runstate;

	/* Where this vCPU's part of the entry area lives. */
	uint64_t area_va;		/* GDT, TSS, stack */
	uint64_t stack_top_va;
	uint64_t stack_page_idx;	/* hv page index of the stack's top page */

	/* Page-table entries waiting for the in-VM writer (pt_write.c). */
	uint64_t *ptw_list;		/* direct-map VAs to touch */
	uint64_t ptw_list_va;
	unsigned int ptw_pending;

	/* PV MMU (arch/x86/pv/mm.c, descriptor_tables.c). */
	uint64_t mm_root[2];		/* kernel, user L4 held as roots */
	/*
	 * Remote TLB flushes (mm.c): other vCPUs bump flush_req and wait
	 * until flush_done reaches it, or until this vCPU is out of the VM
	 * (in_guest clear), since it flushes in the VM before re-entering.
	 */
	uint64_t flush_req, flush_done;
	bool in_guest;
	uint64_t gdt_pte_gpa;		/* hv L1 entry mapping GDT frame 0 */

	/* PVH/HVM: this vCPU's own upcall vector (0: the domain's). */
	uint8_t hvm_upcall_vector;

	/* Arguments a preempted hypercall runs again with (hypercall.c). */
	uint64_t hc_cont[6];

	struct vcpu_stats stats;
	uint64_t cpu_time_final_ns;	/* CPU time when the thread ended */
};

/* Where console output from the guest goes (console_io and the ring). */
typedef void (*console_sink_fn)(struct domain *d, const char *buf, size_t len,
				void *opaque);

/* xl's "type": how the guest runs (values fixed: pvctl and pvisord use them). */
enum domain_type {
	DOMAIN_TYPE_PV,		/* kernel and user at CPL3 (arch/x86/pv) */
	DOMAIN_TYPE_PVH,	/* CPL0, PVH entry, no emulated devices */
	DOMAIN_TYPE_HVM,	/* CPL0, emulated platform (not yet) */
};

const char *domain_type_name(enum domain_type type);
/* "pv", "pvh" or "hvm": 0, else -EINVAL. */
int domain_type_parse(const char *name, enum domain_type *out);

/* What PVH and HVM domains keep beside the PV state (arch/x86/hvm). */
#define HVM_MEMMAP_MAX		8
/* Where a PVH/HVM guest shows one grant frame (hvm/grant_frames.c). */
struct hvm_grant_frame {
	uint64_t gpfn;			/* ~0: nowhere */
	void *host;			/* beyond RAM: its memory slot's page */
};
struct hvm_domain {
	bool sees_xen;			/* hvm_sees_xen() at its creation */
	pthread_mutex_t lock;		/* shinfo_gpfn, params */
	int shinfo_fd;			/* the shared_info page (memfd) */
	uint64_t shinfo_gpfn;		/* where the guest sees it (~0: nowhere) */
	uint8_t callback_vector;	/* HVM_PARAM_CALLBACK_IRQ's, 0: none */
	uint64_t params[HVM_NR_PARAMS];	/* HVM_PARAM_* */
	/* The memory map the builder gave, for XENMEM_memory_map. */
	struct e820entry memmap[HVM_MEMMAP_MAX];
	unsigned int nr_memmap;
	/* Shared frames, then v2 status frames; under lock. */
	struct hvm_grant_frame *gframes;
	uint32_t nr_gframes;
	/* The balloon (hvm/balloon.c): per RAM frame, 1 = given back. */
	uint8_t *absent;
	uint64_t tot_pages;		/* RAM frames the guest holds */
};

struct domain_config {
	const char *name;
	enum domain_type type;		/* 0: PV */
	uint64_t memory_mb;
	unsigned int vcpus;
	console_sink_fn console_sink;
	void *console_opaque;
	unsigned int max_evtchn_port;	/* 0: xl's default (1023) */
};

struct domain {
	domid_t id;
	enum domain_type type;
	bool counted;			/* against CONFIG_MAX_DOMAINS */
	char name[64];
	pthread_mutex_t lock;		/* state, shutdown, vcpu bring-up */
	pthread_cond_t state_changed;
	enum domain_state state;
	bool paused;			/* by the operator: vCPUs held outside the VM */
	unsigned int shutdown_reason;	/* SHUTDOWN_* */
	char crash_msg[256];

	struct plat_vm *vm;
	int ram_fd;
	struct guest_mem mem;
	struct hv_region hv;
	struct cpuid_policy cpuid;
	/* PV MMU: page types and references (page_type.c), under mm_lock. */
	pthread_mutex_t mm_lock;
	struct pv_mm mm;
	uint64_t *m2p;			/* the read-only M2P (hypervisor memory) */
	uint64_t gdt_zero_pfn;		/* unused guest GDT frames map this */

	/* Entry area and M2P placement (see layout.h). */
	uint64_t hv_slot_va, m2p_slot_va;
	uint64_t hv_l3, m2p_l3;		/* hv page indexes of the slot L3s */
	uint64_t m2p_max_mfn;
	uint64_t trap_stubs_va, user_stubs_va;
	/*
	 * The syscall stubs and the exit doorbell must be reachable from
	 * CPL3 (PVM: syscall stays at CPL3). Elsewhere they are supervisor
	 * pages that no guest code, kernel or user, can touch.
	 */
	bool stubs_at_cpl3;
	uint64_t ptw_stub_va, ptw_done_rip;
	uint64_t shared_info_pfn;
	struct shared_info *shared_info;
	struct gnttab *gnttab;		/* grant table (grant_table.c) */
	struct gnttab_maptrack *maptrack; /* grant maps (gnttab_map.c) */
	struct gnttab_peer *gnt_peer;	/* others map from here (gnttab_peer.c) */
	struct evtchn_domain evtchn;	/* event channels (event_channel.c) */
	struct domain_time time;	/* pvclock base (time.c) */
	struct domain_timers timers;	/* timer thread (timer.c) */
	struct hvm_pc *pc;		/* HVM: emulated devices (hvm/pc.c) */
	struct hvm_domain hvm;		/* PVH/HVM: shared_info, params */

	unsigned int nr_vcpus;
	struct vcpu *vcpus[CONFIG_MAX_VCPUS];

	unsigned long vm_assist;
	console_sink_fn console_sink;
	void *console_opaque;

	/* Guest-triggered logging budget and unimplemented-call log. */
	unsigned int log_budget;
	uint64_t unimpl_logged;		/* bit n: hypercall n reported */
	struct domain_stats stats;
};

int domain_create(const struct domain_config *cfg, const struct plat_info *host,
		  struct domain **out);
void domain_destroy(struct domain *d);
/* Guest RAM: a memfd mapped at guest-physical 0 (domain_create's). */
int domain_setup_ram(struct domain *d, uint64_t nr_pages);

/*
 * The hypervisor's L4 slots are installed by L4 validation (pv_mm.h):
 * every L4 that becomes a root or is pinned gets them.
 */

/* Start every online vCPU's thread. */
int domain_start(struct domain *d);
/* Wait until the domain has shut down or crashed; returns its state. */
enum domain_state domain_wait(struct domain *d);

void domain_shutdown(struct domain *d, unsigned int reason);
void domain_crash(struct domain *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool domain_is_dying(struct domain *d);
/* End a domain on the operator's request (not a fault: logged as such). */
void domain_kill(struct domain *d, const char *why);

/* Hold every vCPU outside the VM / let them run again. */
void domain_pause(struct domain *d);
void domain_unpause(struct domain *d);
/* Called by vCPU threads: wait while paused; true when dying. */
bool domain_wait_unpaused(struct domain *d);
/* CPU time a vCPU's thread has used, in ns (0 if not running). */
uint64_t vcpu_cpu_time_ns(struct vcpu *v);
/* RAM frames the guest holds now: its RAM less what its balloon gave back. */
uint64_t domain_tot_pages(struct domain *d);
/* Give RAM frame pfn back to the host (balloon): it reads as zeroes after. */
void domain_release_frame(struct domain *d, uint64_t pfn);

void domain_console_write(struct domain *d, const char *buf, size_t len);

/*
 * Write a guest page-table entry so the VM's MMU sees it: stored at once
 * in memory, and queued for the in-VM writer that vcpu_pt_flush() runs
 * (shadow-paging hosts only notice stores the vCPU makes itself).
 */
int vcpu_pt_write(struct vcpu *v, uint64_t gpa, uint64_t val);
/* Only queue the replay: memory at gpa is already what it should be. */
int vcpu_pt_touch(struct vcpu *v, uint64_t gpa);
int vcpu_pt_flush(struct vcpu *v);
/* Flush this vCPU's TLB from inside the VM (a CR3 write there). */
int vcpu_tlb_flush_in_vm(struct vcpu *v);

/* The vCPU thread body. */
void *vcpu_thread(void *arg);
/* Wake a blocked vCPU or kick a running one out of the VM. */
void vcpu_kick(struct vcpu *v);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * vcpu_op (hypercall 24): bringing vCPUs up and down, per-vCPU timers,
 * and moving per-vCPU shared areas (vcpu_info, runstate, time) to pages
 * the guest chooses.  arg1 is the vCPU id, arg2 the op's struct.
 */
#ifndef PVABI_VCPU_H
#define PVABI_VCPU_H

#include "xen.h"

#define VCPUOP_initialise			0	/* vcpu_guest_context */
#define VCPUOP_up				1
#define VCPUOP_down				2
#define VCPUOP_is_up				3
#define VCPUOP_get_runstate_info		4
#define VCPUOP_register_runstate_memory_area	5
#define VCPUOP_set_periodic_timer		6
#define VCPUOP_stop_periodic_timer		7
#define VCPUOP_set_singleshot_timer		8
#define VCPUOP_stop_singleshot_timer		9
#define VCPUOP_register_vcpu_info		10
#define VCPUOP_send_nmi				11
#define VCPUOP_get_physid			12
#define VCPUOP_register_vcpu_time_memory_area	13

#define RUNSTATE_running	0
#define RUNSTATE_runnable	1
#define RUNSTATE_blocked	2
#define RUNSTATE_offline	3

/*
 * Accounting of where a vCPU's time went, used by guests for steal time.
 * time[] is indexed by RUNSTATE_*; all times are system time in ns.
 */
struct vcpu_runstate_info {
	int32_t state;
	uint64_t state_entry_time;
	uint64_t time[4];
};

/*
 * Set in state_entry_time while pvisor rewrites a registered runstate
 * area, if the guest enabled VMASST_TYPE_runstate_update_flag.
 */
#define XEN_RUNSTATE_UPDATE	(1ULL << 63)

/* The guest virtual address pvisor keeps updated with the runstate. */
struct vcpu_register_runstate_memory_area {
	union {
		XEN_GUEST_HANDLE(struct vcpu_runstate_info) h;
		struct vcpu_runstate_info *v;
		uint64_t p;
	} addr;
};

struct vcpu_set_periodic_timer {
	uint64_t period_ns;
};

/* Fire VIRQ_TIMER once at an absolute system time. */
struct vcpu_set_singleshot_timer {
	uint64_t timeout_abs_ns;
	uint32_t flags;		/* VCPU_SSHOTTMR_* */
};

/*
 * Ask for -ETIME instead of an immediate event if the time has passed.
 * A hypervisor may ignore it (Xen does), so guests cannot rely on it.
 */
#define _VCPU_SSHOTTMR_future	0
#define VCPU_SSHOTTMR_future	(1U << _VCPU_SSHOTTMR_future)

/*
 * Move this vCPU's vcpu_info out of shared_info (needed beyond
 * XEN_LEGACY_MAX_VCPUS).  It must not cross a page boundary.
 */
struct vcpu_register_vcpu_info {
	uint64_t mfn;
	uint32_t offset;
	uint32_t rsvd;
};

struct vcpu_get_physid {
	uint64_t phys_id;
};

#define xen_vcpu_physid_to_x86_apicid(physid)	((uint32_t)(physid))
#define xen_vcpu_physid_to_x86_acpiid(physid)	((uint32_t)((physid) >> 32))

/* A second copy of vcpu_time_info, e.g. one mapped into user space. */
struct vcpu_register_time_memory_area {
	union {
		XEN_GUEST_HANDLE(struct vcpu_time_info) h;
		struct vcpu_time_info *v;
		uint64_t p;
	} addr;
};

#endif /* PVABI_VCPU_H */

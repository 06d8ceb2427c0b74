/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_M2P_COMPAT_H
#define PVISOR_M2P_COMPAT_H

/*
 * Reads of the M2P at Xen's fixed address (MACH2PHYS_VIRT_START, L4
 * slot 256) when the host owns that slot and pvisor put the M2P
 * elsewhere. Such guests never asked XENMEM_machphys_mapping; their
 * loads fault (reserved-bit or not-present error code) and are emulated here
 * from the domain's M2P. The decoder and emulator are pure functions
 * over a cpu_state, so they can be unit tested.
 */
#include <stdbool.h>
#include <stdint.h>

#include "pvisor/cpu_state.h"

struct vcpu;

/* Xen's fixed M2P place: all of L4 slot 256 (Xen maps 256 GiB of it). */
#define M2P_COMPAT_VA_START	0xffff800000000000ull
#define M2P_COMPAT_VA_END	0xffff808000000000ull

/* A load from memory into a general register. */
struct m2p_load {
	unsigned int len;	/* instruction bytes */
	unsigned int size;	/* bytes read: 1, 2, 4 or 8 */
	unsigned int dst_size;	/* register width written: 2, 4 or 8 */
	bool sign;		/* movsx / movsxd: sign-extend, else zero */
	unsigned int reg;	/* destination: ModRM.reg with REX.R */
	uint64_t ea;		/* effective (linear) address */
};

/*
 * Decode the load in bytes[0..n) that c is about to execute: mov r, m
 * (8b), movzx (0f b6/b7), movsx (0f be/bf), movsxd (63), with legacy
 * prefixes, REX, ModRM/SIB/disp and RIP-relative addressing.
 * 0, or -EINVAL for anything else.
 */
int m2p_decode_load(const uint8_t *bytes, unsigned int n,
		    const struct cpu_state *c, struct m2p_load *ld);

/* The domain's M2P as the emulator sees it: entries 0..nr-1. */
struct m2p_view {
	const uint64_t *table;
	uint64_t nr;
};

/*
 * A #PF at cr2 with error code *ec, the instruction in bytes[0..n).
 * 1: the load was emulated (register written, RIP advanced in c).
 * 0: not ours; the fault goes to the guest with *ec, which is rewritten
 * to a not-present read when a decoded load lies past the M2P's end
 * (what the guest would see on Xen). The caller checks the slot is the
 * host's, not the domain's M2P.
 */
int m2p_compat_emulate(const struct m2p_view *m, uint64_t cr2, uint32_t *ec,
		       const uint8_t *bytes, unsigned int n,
		       struct cpu_state *c);

/* The #PF path: as above for vCPU v; *ec may be rewritten. */
int pv_m2p_compat_fault(struct vcpu *v, uint64_t addr, uint32_t *ec);

#endif

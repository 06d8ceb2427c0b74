/* SPDX-License-Identifier: MIT */
/*
 * The reference side of the ABI comparison: Xen's public headers as
 * Debian's libxen-dev installs them.  Nothing but this file includes
 * them.  The interface version selects what a current 64-bit guest
 * sees; <errno.h> makes xs_wire.h define its error table.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Xen's ring.h leaves the barriers to its includer. */
#define xen_mb()	__sync_synchronize()
#define xen_rmb()	__sync_synchronize()
#define xen_wmb()	__sync_synchronize()

#include <xen/xen.h>
#include <xen/arch-x86/xen-mca.h>
#include <xen/errno.h>
#include <xen/features.h>
#include <xen/version.h>
#include <xen/elfnote.h>
#include <xen/callback.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/nmi.h>
#include <xen/memory.h>
#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/physdev.h>
#include <xen/io/ring.h>
#include <xen/io/console.h>
#include <xen/io/xenbus.h>
#include <xen/io/xs_wire.h>
#include <xen/io/blkif.h>
#include <xen/io/netif.h>
#include <xen/arch-x86/hvm/start_info.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>

#define ABI_COLLECT abi_collect_xen
#include "abi-collect.h"

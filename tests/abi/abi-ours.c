/* SPDX-License-Identifier: MIT */
/* The pvabi side of the ABI comparison. */
#include <stddef.h>

#include <pvabi/xen.h>
#include <pvabi/xen-errno.h>
#include <pvabi/features.h>
#include <pvabi/version.h>
#include <pvabi/elfnote.h>
#include <pvabi/callback.h>
#include <pvabi/sched.h>
#include <pvabi/vcpu.h>
#include <pvabi/nmi.h>
#include <pvabi/memory.h>
#include <pvabi/event_channel.h>
#include <pvabi/grant_table.h>
#include <pvabi/physdev.h>
#include <pvabi/io/ring.h>
#include <pvabi/io/console.h>
#include <pvabi/io/xenbus.h>
#include <pvabi/io/xs_wire.h>
#include <pvabi/io/blkif.h>
#include <pvabi/io/netif.h>
#include <pvabi/hvm/start_info.h>
#include <pvabi/hvm/hvm_op.h>

#define ABI_COLLECT abi_collect_ours
#include "abi-collect.h"

/* SPDX-License-Identifier: MIT */
/*
 * The grants test kernel's channel to its dom0 test service
 * (`pvctl run --test-service grants`, toolstack/pvctl/test_service.c).
 *
 * No hypercall and no event channel: the guest grants one page of its
 * own to domain 0 at a fixed reference, GNT_MBOX_REF (the first entry
 * after the toolstack's reserved ones), and the service finds it by
 * mapping that reference with the dom0 grant library until the grant
 * exists. Requests then go through the page: the guest fills the request
 * fields and increments req_seq; the service answers and sets ack_seq to
 * the same value. Everything the service reads here comes from the guest
 * and is treated as hostile.
 *
 * Included by the guest (freestanding) and by pvctl (host).
 */
#ifndef TESTS_GUESTS_GRANTS_MBOX_H
#define TESTS_GUESTS_GRANTS_MBOX_H

#include <stdint.h>

#define GNT_MBOX_REF		8u
#define GNT_MBOX_MAGIC		0x584f424du	/* "MBOX" */
#define GNT_MBOX_DATA		2048u

enum gnt_mbox_op {
	GNT_OP_HELLO = 1,	/* out: domid, nr_entries */
	GNT_OP_MAP,		/* ref, flags: out handle, data[0..63] read
				 * through the mapping; with GNT_MAP_WRITE also
				 * stores value at offset (8 bytes) */
	GNT_OP_UNMAP,		/* handle */
	GNT_OP_COPY_FROM,	/* ref, offset, len: out data[0..len) */
	GNT_OP_COPY_TO,		/* ref, offset, len, data[0..len) */
	GNT_OP_BENCH,		/* ref..ref+count-1, value iterations, flags
				 * GNT_BENCH_*: out value = elapsed ns */
	GNT_OP_QUIT,		/* unmap the mailbox and stop */
};

#define GNT_MAP_WRITE		0x1u
#define GNT_BENCH_COPY		0x0u	/* 4 KiB copy_from per iteration */
#define GNT_BENCH_MAP		0x1u	/* map + unmap per iteration */

struct gnt_mbox {
	uint32_t magic;
	uint32_t req_seq;		/* guest: incremented per request */
	uint32_t ack_seq;		/* service: req_seq it answered */
	uint32_t op;			/* enum gnt_mbox_op */
	uint32_t ref;
	uint32_t flags;
	uint32_t offset;
	uint32_t len;
	uint32_t count;
	uint32_t handle;
	int32_t result;			/* 0 or -errno (Linux numbering) */
	uint32_t domid;
	uint32_t nr_entries;
	uint32_t pad;
	uint64_t value;
	uint8_t data[GNT_MBOX_DATA];
};

_Static_assert(sizeof(struct gnt_mbox) <= 4096, "mailbox fits a page");

#endif

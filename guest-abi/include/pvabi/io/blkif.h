/* SPDX-License-Identifier: MIT */
/*
 * The PV block device protocol (xen-blkfront <-> blkback).  Requests
 * name guest buffers by grant reference, one page per segment, with
 * 512-byte sector granularity inside the page.
 */
#ifndef PVABI_IO_BLKIF_H
#define PVABI_IO_BLKIF_H

#include "ring.h"
#include "../grant_table.h"

typedef uint16_t blkif_vdev_t;		/* virtual device number */
typedef uint64_t blkif_sector_t;	/* in 512-byte units */

#define BLKIF_OP_READ			0
#define BLKIF_OP_WRITE			1
#define BLKIF_OP_WRITE_BARRIER		2
#define BLKIF_OP_FLUSH_DISKCACHE	3
#define BLKIF_OP_RESERVED_1		4
#define BLKIF_OP_DISCARD		5	/* struct blkif_request_discard */
#define BLKIF_OP_INDIRECT		6	/* struct blkif_request_indirect */

/* What fits in one 112-byte slot. */
#define BLKIF_MAX_SEGMENTS_PER_REQUEST		11
#define BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST	8

/* Sectors first_sect..last_sect (inclusive) of the granted page. */
struct blkif_request_segment {
	grant_ref_t gref;
	uint8_t first_sect, last_sect;
};

struct blkif_request {
	uint8_t operation;		/* BLKIF_OP_* */
	uint8_t nr_segments;
	blkif_vdev_t handle;
	uint64_t id;			/* echoed in the response */
	blkif_sector_t sector_number;
	struct blkif_request_segment seg[BLKIF_MAX_SEGMENTS_PER_REQUEST];
};

#define BLKIF_DISCARD_SECURE	(1 << 0)

struct blkif_request_discard {
	uint8_t operation;		/* BLKIF_OP_DISCARD */
	uint8_t flag;			/* BLKIF_DISCARD_SECURE or 0 */
	blkif_vdev_t handle;
	uint64_t id;
	blkif_sector_t sector_number;
	uint64_t nr_sectors;
};

/*
 * Segments are listed in granted pages (indirect_grefs), each holding
 * an array of struct blkif_request_segment, for large I/O.
 */
struct blkif_request_indirect {
	uint8_t operation;		/* BLKIF_OP_INDIRECT */
	uint8_t indirect_op;		/* BLKIF_OP_READ or _WRITE */
	uint16_t nr_segments;
	uint64_t id;
	blkif_sector_t sector_number;
	blkif_vdev_t handle;
	grant_ref_t indirect_grefs[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
};

struct blkif_response {
	uint64_t id;
	uint8_t operation;
	int16_t status;			/* BLKIF_RSP_* */
};

#define BLKIF_RSP_EOPNOTSUPP	-2
#define BLKIF_RSP_ERROR		-1
#define BLKIF_RSP_OKAY		0

DEFINE_RING_TYPES(blkif, struct blkif_request, struct blkif_response);

/* Bits of the backend's "info" node. */
#define VDISK_CDROM		0x1
#define VDISK_REMOVABLE		0x2
#define VDISK_READONLY		0x4

#endif /* PVABI_IO_BLKIF_H */

/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_GNT_BROKER_H
#define PVISOR_GNT_BROKER_H

/*
 * The grant broker: how a sandboxed dom0 service (pvblkback) reaches its
 * guest's memory without holding it. pvisord keeps the guest's RAM and
 * grant-table memfds; the service gets only a shared "broker" memfd and
 * two eventfds. The memfd holds a header, an array of operations and
 * the service's data area (its bounce buffers, its copies of the rings).
 *
 * The service fills ops[0..nr_ops), writes nr_ops, signals "go" and
 * waits for "done". pvisord's broker thread runs the operations in
 * order, with a full barrier between them, each with gnttab_dom0's grant
 * and frame checks (the grant is held only for that one copy), and
 * writes each one's status (GNTST_*). Nothing the service writes is
 * trusted: every op is copied once and checked (data area bounds, page
 * bounds, alignment) before it is done.
 */
#include <stdint.h>

#define GNT_BROKER_MAX_OPS	256u
/* Where the data area starts in the memfd. */
#define GNT_BROKER_DATA_OFF	16384u

enum gnt_broker_kind {
	GNT_BROKER_COPY_IN = 1,		/* guest page -> data area */
	GNT_BROKER_COPY_OUT,		/* data area -> guest page */
	GNT_BROKER_STORE32,		/* one aligned 4-byte store */
	GNT_BROKER_LOAD32,		/* one aligned 4-byte load */
	GNT_BROKER_CHECK_RW,		/* may the page be written? no copy */
};

struct gnt_broker_op {
	uint8_t kind;			/* enum gnt_broker_kind */
	uint8_t pad;
	int16_t status;			/* out: GNTST_* */
	uint32_t gref;
	uint16_t offset;		/* in the guest page */
	uint16_t len;			/* offset + len <= 4096 */
	uint32_t shm_off;		/* in the data area */
};

struct gnt_broker_shm {
	uint32_t nr_ops;		/* written by the service */
	uint32_t pad;
	uint64_t batches;		/* run so far (by the broker) */
	struct gnt_broker_op ops[GNT_BROKER_MAX_OPS];
};

_Static_assert(sizeof(struct gnt_broker_shm) <= GNT_BROKER_DATA_OFF,
	       "the broker header must fit before the data area");

/* pvisord's side (toolstack/pvisord/gnt_broker.c). */
struct gnt_broker;

struct gnt_broker_config {
	int ram_fd, gnttab_fd;		/* the guest's; duplicated */
	uint64_t data_len;		/* bytes of data area */
};

/*
 * Make the memfd and eventfds and start the thread that serves them.
 * *shm_fd, *go_fd, *done_fd: what to hand to the service (the caller
 * closes its copies once sent; the broker keeps its own).
 */
int gnt_broker_start(const struct gnt_broker_config *cfg,
		     struct gnt_broker **out, int *shm_fd, int *go_fd,
		     int *done_fd);
/* Stop the thread, close everything. */
void gnt_broker_stop(struct gnt_broker *br);
/* Batches and operations run so far. */
uint64_t gnt_broker_batches(const struct gnt_broker *br);
uint64_t gnt_broker_ops(const struct gnt_broker *br);

#endif

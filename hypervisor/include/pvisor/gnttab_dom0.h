/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_GNTTAB_DOM0_H
#define PVISOR_GNTTAB_DOM0_H

/*
 * The dom0 side of grants: how a dom0 service (console, xenstored, a
 * backend) uses one guest's grants, following Xen's grant-entry protocol
 * on shared memory, in any process. It needs two file descriptors and
 * nothing else of pvisord: the guest's RAM memfd (struct domain ram_fd)
 * and its grant-table memfd (gnttab_domain_fd()); both are duplicated,
 * so the caller may close its own. Safe to use from several threads.
 *
 * Errors (negative errno):
 *   -EINVAL  ref beyond the guest's table, or offset/length beyond the page
 *   -EPERM   the entry does not grant this: not GTF_permit_access, granted
 *            to another domain, read-only for a write, sub-page for a map,
 *            revoked, changing too fast to pin, or pinned 255 times
 *            already (Xen's general_error)
 *   -EFAULT  the entry names a frame that is not the guest's RAM
 *   -EAGAIN  the entry is locked by a mapper that went away; retry later
 *   -ENOSPC  too many mappings held through this handle
 *   -EBADF   not a handle of an active mapping
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pvabi/grant_table.h>

struct gnttab_dom0;

struct gnttab_dom0_config {
	int ram_fd;			/* the guest's RAM memfd */
	int gnttab_fd;			/* its grant-table memfd */
	domid_t self;			/* the service's domid (0 for dom0) */
	unsigned int max_maps;		/* simultaneous mappings; 0: 1024 */
};

int gnttab_dom0_open(const struct gnttab_dom0_config *cfg,
		     struct gnttab_dom0 **out);
/* Unmaps whatever is still mapped (clearing its in-use bits), frees. */
void gnttab_dom0_close(struct gnttab_dom0 *g);

/* The guest whose grants these are, and its table's size right now. */
domid_t gnttab_dom0_guest(const struct gnttab_dom0 *g);
uint32_t gnttab_dom0_nr_entries(const struct gnttab_dom0 *g);

/*
 * Map the page of grant ref into this process (read-only unless
 * writable): the entry shows GTF_reading (and GTF_writing) until
 * gnttab_dom0_unmap(), so the guest cannot take the page back meanwhile.
 */
int gnttab_dom0_map(struct gnttab_dom0 *g, grant_ref_t ref, bool writable,
		    void **addr, uint32_t *handle);
int gnttab_dom0_unmap(struct gnttab_dom0 *g, uint32_t handle);

/*
 * Copy len bytes at offset off of grant ref's page to buf (from) or from
 * buf (to), holding the grant only for the copy, as GNTTABOP_copy does.
 * A zero length succeeds without looking at the grant (Xen's rule).
 */
int gnttab_dom0_copy_from(struct gnttab_dom0 *g, grant_ref_t ref,
			  unsigned int off, void *buf, size_t len);
int gnttab_dom0_copy_to(struct gnttab_dom0 *g, grant_ref_t ref,
			unsigned int off, const void *buf, size_t len);

/* The errno above for a GNTST_* status. */
int gnttab_dom0_errno(int16_t status);

#endif

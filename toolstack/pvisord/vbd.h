/* SPDX-License-Identifier: MIT */
#ifndef PVISORD_VBD_H
#define PVISORD_VBD_H

/*
 * Virtual block devices of one running domain: for each disk, a
 * pvblkback process (pvisor/blkback_ctl.h) and the xenbus handshake with
 * the guest's blkfront, which pvisord runs itself through xenstore:
 *
 *   backend  /local/domain/0/backend/vbd/<domid>/<devid>   (dom0's)
 *   frontend /local/domain/<domid>/device/vbd/<devid>      (the guest's)
 *
 * One thread per domain watches the frontends' state nodes and the
 * backends' control sockets.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct domain;
struct pvd_vbds;

/* A disk as the domain was given it; fd is the image the user opened. */
struct pvd_disk {
	char vdev[16];
	uint32_t devid;
	char target[4096];
	char format[8];			/* "raw", or what qemu-storage-daemon reads */
	bool readonly, cdrom, discard;
	int fd;
	/* Who opened it: a non-raw image's server runs with their rights. */
	uid_t uid;
	gid_t gid;
};

/* Make the domain's disk devices; before its vCPUs start. */
int pvd_vbds_start(struct domain *d, const struct pvd_disk *disks,
		   unsigned int n, struct pvd_vbds **out, char *err,
		   size_t errlen);
/* Stop every backend process and remove the devices' nodes. */
void pvd_vbds_stop(struct pvd_vbds *s);

/*
 * Hold s across a call made without pvd_lock (a detach may wait 10 s):
 * pvd_vbds_stop() waits for every holder. Take it under pvd_lock while
 * the domain runs.
 */
struct pvd_vbds *pvd_vbds_get(struct pvd_vbds *s);
void pvd_vbds_put(struct pvd_vbds *s);

/* Hot-plug one more disk into the running guest. */
int pvd_vbd_attach(struct pvd_vbds *s, const struct pvd_disk *disk,
		   char *err, size_t errlen);
/*
 * Unplug: ask the frontend to close and wait for it (it refuses while
 * the disk is in use), or with force take the disk away regardless.
 */
int pvd_vbd_detach(struct pvd_vbds *s, const char *vdev, bool force,
		   char *err, size_t errlen);
/* One line per disk: vdev, devid, states, backend pid, counters. */
int pvd_vbd_list(struct pvd_vbds *s, char **text);

#endif

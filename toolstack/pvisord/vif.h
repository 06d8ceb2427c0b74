/* SPDX-License-Identifier: MIT */
#ifndef PVISORD_VIF_H
#define PVISORD_VIF_H

/*
 * Virtual network interfaces of one running domain: for each vif, a tap
 * device on the host (vif<domid>.<devid> unless named), the hotplug
 * script that attaches it to a bridge, a pvnetback process
 * (pvisor/netback_ctl.h) and the xenbus handshake with the guest's
 * netfront, which pvisord runs itself through xenstore:
 *
 *   backend  /local/domain/0/backend/vif/<domid>/<devid>   (dom0's)
 *   frontend /local/domain/<domid>/device/vif/<devid>      (the guest's)
 *
 * One thread per domain watches the frontends' state nodes and the
 * backends' control sockets.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct domain;
struct pvd_vifs;

/* A vif as the domain was given it, checked and complete. */
struct pvd_nic {
	uint32_t devid;
	uint8_t mac[6];			/* always set (a default is made) */
	char bridge[64];		/* "" : xenbr0 */
	char ip[256];			/* for the script, as given */
	char vifname[16];		/* "" : vif<domid>.<devid> */
	char script[4096];		/* absolute; from pvd_vif_script_path */
	uint64_t credit_bytes;		/* rate=: 0 for none */
	uint32_t credit_usec;
	unsigned int mtu;		/* 0: the bridge's */
};

/*
 * The hotplug script a vif spec names: a bare name is looked up in
 * pvisord's script directory (<dir of pvisord>/scripts, where vif-bridge
 * is); an absolute path only when the caller is root, since pvisord runs
 * it as root. "" gives the default, vif-bridge.
 */
int pvd_vif_script_path(const char *name, uid_t caller, char *out,
			size_t outlen, char *err, size_t errlen);

/* Make the domain's vifs; before its vCPUs start. */
int pvd_vifs_start(struct domain *d, const struct pvd_nic *nics,
		   unsigned int n, struct pvd_vifs **out, char *err,
		   size_t errlen);
/* Stop every backend, run the scripts' offline step, remove the taps. */
void pvd_vifs_stop(struct pvd_vifs *s);

/* As pvd_vbds_get/put: hold s across a call made without pvd_lock. */
struct pvd_vifs *pvd_vifs_get(struct pvd_vifs *s);
void pvd_vifs_put(struct pvd_vifs *s);

/* Hot-plug one more vif into the running guest. */
int pvd_vif_attach(struct pvd_vifs *s, const struct pvd_nic *nic,
		   char *err, size_t errlen);
/*
 * Unplug the vif whose devid or MAC ("00:16:3e:..") is id: ask the
 * frontend to close and wait for it, or with force take it regardless.
 * *devid: which one went (for the caller's record of the domain).
 */
int pvd_vif_detach(struct pvd_vifs *s, const char *id, bool force,
		   uint32_t *devid, char *err, size_t errlen);
/* One line per vif: devid, MAC, tap, bridge, state, pid, counters. */
int pvd_vif_list(struct pvd_vifs *s, char **text);

#endif

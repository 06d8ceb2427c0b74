// SPDX-License-Identifier: MIT
/* Control requests: one client connection, one request, one reply. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pvisor/ctl_proto.h"
#include "pvisor/hvm.h"
#include "pvisor/hvm_pc.h"
#include "pvisor/layout.h"
#include "pvconfig.h"
#include "pvisord.h"

struct reply {
	char *buf;
	size_t len, cap;
};

static void __attribute__((format(printf, 2, 3)))
say(struct reply *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(r->buf ? r->buf + r->len : NULL,
			      r->buf ? r->cap - r->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (r->buf && r->len + n < r->cap) {
			r->len += n;
			return;
		}
		r->cap = (r->cap + n + 1) * 2;
		r->buf = realloc(r->buf, r->cap);
		if (!r->buf)
			return;
	}
}

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || !*s || *end || *out < min || *out > max)
		return -EINVAL;
	return 0;
}

/*
 * A disk= argument: the canonical xl disk spec pvctl sends with the
 * image it opened. Only what pvisor serves gets through.
 */
static int parse_disk(const char *spec, const struct ucred *who,
		      struct pvd_disk *out, struct reply *r)
{
	struct cfg_disk d;
	char err[256];

	if (cfg_parse_disk(spec, &d, err, sizeof(err))) {
		say(r, "disk '%s': %s\n", spec, err);
		return -EINVAL;
	}
	if (!d.target[0] || d.target[0] != '/') {
		say(r, "disk '%s': images are given by absolute path\n", spec);
		return -EINVAL;
	}
	*out = (struct pvd_disk){ .devid = d.vdev_num, .readonly = d.readonly,
				  .cdrom = d.cdrom, .discard = d.discard,
				  .fd = -1, .uid = who->uid, .gid = who->gid };
	snprintf(out->vdev, sizeof(out->vdev), "%s", d.vdev);
	snprintf(out->target, sizeof(out->target), "%s", d.target);
	snprintf(out->format, sizeof(out->format), "%s",
		 cfg_disk_format_name(d.format));
	return 0;
}

_Static_assert(PVD_MAX_NICS == CFG_MAX_VIFS, "a config's vifs must fit");

static const struct pvd_nic *nic_by_devid(const struct pvd_nic *nics,
					  unsigned int n, uint32_t devid)
{
	for (unsigned int i = 0; i < n; i++)
		if (nics[i].devid == devid)
			return &nics[i];
	return NULL;
}

static void format_mac(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
}

/*
 * A vif= argument: the canonical xl vif spec pvctl sends, for domain
 * domname beside the vifs it has already. What is not given is made
 * here: the first devid free, a MAC from the domain's name and devid
 * (the same at every create), the default script.
 */
static int parse_vif(const char *spec, const struct ucred *who,
		     const char *domname, const struct pvd_nic *have,
		     unsigned int nhave, struct pvd_nic *out, struct reply *r)
{
	const struct pvd_nic *other;
	struct cfg_vif v;
	char err[512], mac[18];

	if (cfg_parse_vif(spec, &v, err, sizeof(err))) {
		say(r, "vif '%s': %s\n", spec, err);
		return -EINVAL;
	}
	/* pvisor runs every backend in dom0: another is a config for Xen. */
	if (v.backend[0] && strcmp(v.backend, "0") &&
	    strcmp(v.backend, "Domain-0")) {
		say(r, "vif '%s': backend '%s': pvisor serves vifs from dom0 "
		    "only\n", spec, v.backend);
		return -EINVAL;
	}
	*out = (struct pvd_nic){ .mtu = v.mtu, .credit_bytes = v.credit_bytes,
				 .credit_usec = v.credit_usec };
	if (v.devid >= 0) {
		out->devid = (uint32_t)v.devid;
		if (nic_by_devid(have, nhave, out->devid)) {
			say(r, "vif '%s': devid %u is in use\n", spec,
			    out->devid);
			return -EEXIST;
		}
	} else {
		while (nic_by_devid(have, nhave, out->devid))
			out->devid++;
	}
	if (v.has_mac)
		memcpy(out->mac, v.mac, 6);
	else
		cfg_vif_default_mac(domname, out->devid, out->mac);
	for (unsigned int i = 0; i < nhave; i++) {
		other = &have[i];
		if (!memcmp(other->mac, out->mac, 6)) {
			format_mac(out->mac, mac);
			say(r, "vif '%s': mac %s is vif %u's already\n", spec,
			    mac, other->devid);
			return -EEXIST;
		}
		if (v.vifname[0] && !strcmp(other->vifname, v.vifname)) {
			say(r, "vif '%s': vifname %s is vif %u's already\n",
			    spec, v.vifname, other->devid);
			return -EEXIST;
		}
	}
	/* Sizes match cfg_vif's, which cfg_parse_vif checked. */
	snprintf(out->bridge, sizeof(out->bridge), "%s", v.bridge);
	snprintf(out->ip, sizeof(out->ip), "%s", v.ip);
	snprintf(out->vifname, sizeof(out->vifname), "%s", v.vifname);
	err[0] = '\0';
	if (pvd_vif_script_path(v.script, who->uid, out->script,
				sizeof(out->script), err, sizeof(err))) {
		say(r, "vif '%s': %s\n", spec, err[0] ? err :
		    "script path too long");
		return -EINVAL;
	}
	return 0;
}

/* create key=value ...: the client has already parsed the config file. */
static int cmd_create(struct ctl_request *q, const struct ucred *who,
		      struct reply *r)
{
	struct pvd_domain_spec spec = {
		.memory_mb = 128, .vcpus = 1,
		.on_poweroff = PVD_ACTION_DESTROY,
		.on_reboot = PVD_ACTION_RESTART,
		.on_crash = PVD_ACTION_DESTROY,
		.console_log_max = (uint64_t)CONFIG_CONSOLE_LOG_MAX_KB << 10,
		.kernel_fd = -1, .ramdisk_fd = -1,
	};
	char err[512] = "";
	const char *vifs[PVD_MAX_NICS];
	unsigned int domid, nvifs = 0;
	uint64_t v;
	int rc;

	for (int i = 1; i < q->argc; i++) {
		char *key = q->argv[i], *val = strchr(key, '=');
		size_t vlen;

		if (!val) {
			say(r, "create: argument '%s' is not key=value\n", key);
			return -EINVAL;
		}
		*val++ = '\0';
		vlen = strlen(val);
		if (!strcmp(key, "name") && vlen && vlen < sizeof(spec.name) &&
		    !strpbrk(val, "/ \t\n"))
			strcpy(spec.name, val);
		else if (!strcmp(key, "kernel") && val[0] == '/' &&
			 vlen < sizeof(spec.kernel))
			strcpy(spec.kernel, val);
		else if (!strcmp(key, "ramdisk") && val[0] == '/' &&
			 vlen < sizeof(spec.ramdisk))
			strcpy(spec.ramdisk, val);
		else if (!strcmp(key, "cmdline") && vlen < sizeof(spec.cmdline))
			strcpy(spec.cmdline, val);
		else if (!strcmp(key, "type") &&
			 !domain_type_parse(val, &spec.type))
			;
		else if (!strcmp(key, "memory") &&
			 !parse_u64(val, 4, CONFIG_MAX_DOMAIN_MEMORY_MB, &v))
			spec.memory_mb = v;
		else if (!strcmp(key, "vcpus") &&
			 !parse_u64(val, 1, CONFIG_MAX_VCPUS, &v))
			spec.vcpus = v;
		else if (!strcmp(key, "on_poweroff") &&
			 !pvd_parse_action(val, &spec.on_poweroff))
			;
		else if (!strcmp(key, "on_reboot") &&
			 !pvd_parse_action(val, &spec.on_reboot))
			;
		else if (!strcmp(key, "on_crash") &&
			 !pvd_parse_action(val, &spec.on_crash))
			;
		else if (!strcmp(key, "console_log_max") &&
			 !parse_u64(val, 4, 1u << 30, &v))
			spec.console_log_max = v << 10;
		else if (!strcmp(key, "disk")) {
			if (spec.ndisks == PVD_MAX_DISKS) {
				say(r, "create: more than %d disks\n",
				    PVD_MAX_DISKS);
				return -E2BIG;
			}
			rc = parse_disk(val, who, &spec.disks[spec.ndisks], r);
			if (rc)
				return rc;
			spec.ndisks++;
		} else if (!strcmp(key, "vif")) {
			/* Parsed once the name, which default MACs take, is known. */
			if (nvifs == PVD_MAX_NICS) {
				say(r, "create: more than %d vifs\n",
				    PVD_MAX_NICS);
				return -E2BIG;
			}
			vifs[nvifs++] = val;
		} else {
			say(r, "create: bad value for '%s': '%s'\n", key, val);
			return -EINVAL;
		}
	}
	if (!spec.name[0] || !spec.kernel[0]) {
		say(r, "create: 'name' and an absolute 'kernel' path are required\n");
		return -EINVAL;
	}
	if (spec.type == DOMAIN_TYPE_HVM && (spec.ndisks || nvifs) &&
	    !hvm_sees_xen(spec.type, &pvd_host)) {
		say(r, "create: HVM guests can have disks and vifs only where "
		    "they see Xen, and this host's KVM has no Xen hypercall "
		    "support (CONFIG_KVM_XEN)\n");
		return -EOPNOTSUPP;
	}
	for (unsigned int i = 0; i < nvifs; i++) {
		rc = parse_vif(vifs[i], who, spec.name, spec.nics, spec.nnics,
			       &spec.nics[spec.nnics], r);
		if (rc)
			return rc;
		spec.nnics++;
	}
	/*
	 * The files come open, in order: kernel, then ramdisk. The caller
	 * opened them with its rights; pvisord (root) opens nothing for it.
	 */
	if (q->nfds != 1 + !!spec.ramdisk[0] + (int)spec.ndisks) {
		say(r, "create: the kernel%s%s must be passed as open files "
		    "(%d received): use a pvctl of the same version\n",
		    spec.ramdisk[0] ? ", the ramdisk" : "",
		    spec.ndisks ? " and the disks" : "", q->nfds);
		return -EBADF;
	}
	spec.kernel_fd = q->fds[0];
	q->fds[0] = -1;
	if (spec.ramdisk[0]) {
		spec.ramdisk_fd = q->fds[1];
		q->fds[1] = -1;
	}
	for (unsigned int i = 0; i < spec.ndisks; i++) {
		int k = 1 + !!spec.ramdisk[0] + (int)i;

		spec.disks[i].fd = q->fds[k];
		q->fds[k] = -1;
	}
	rc = pvd_domain_create(&spec, err, sizeof(err), &domid);
	if (rc) {
		say(r, "%s\n", err[0] ? err : strerror(-rc));
		return rc;
	}
	say(r, "%u\n", domid);
	return 0;
}

static uint64_t domain_cpu_ns(struct domain *d)
{
	uint64_t t = 0;

	for (unsigned int i = 0; i < d->nr_vcpus; i++)
		t += vcpu_cpu_time_ns(d->vcpus[i]);
	return t;
}

static int cmd_list(struct ctl_request *q, struct reply *r)
{
	/* Type last: scripts match the leading columns. */
	say(r, "%-24s %5s %9s %5s %-12s %10s %4s\n", "Name", "ID", "Mem(MiB)",
	    "VCPUs", "State", "Time(s)", "Type");
	pthread_mutex_lock(&pvd_lock);
	for (struct pvd_domain *pd = pvd_domains; pd; pd = pd->next) {
		struct domain *d = pd->d;

		/* Memory as xl shows it: what the balloon left the guest. */
		if (d)
			say(r, "%-24s %5u %9llu %5u %-12s %10.1f %4s\n",
			    pd->spec.name, d->id,
			    (unsigned long long)(domain_tot_pages(d) >>
						 (20 - PAGE_SHIFT)),
			    d->nr_vcpus, pvd_domain_state(pd),
			    domain_cpu_ns(d) / 1e9, domain_type_name(d->type));
		else
			say(r, "%-24s %5s %9llu %5u %-12s %10s %4s\n",
			    pd->spec.name, "-",
			    (unsigned long long)pd->spec.memory_mb,
			    pd->spec.vcpus, pvd_domain_state(pd), "-",
			    domain_type_name(pd->spec.type));
	}
	pthread_mutex_unlock(&pvd_lock);
	return 0;
}

static int cmd_vcpu_list(struct ctl_request *q, struct reply *r)
{
	say(r, "%-24s %5s %5s %-8s %10s %12s\n", "Name", "ID", "VCPU",
	    "State", "Time(s)", "Exits");
	pthread_mutex_lock(&pvd_lock);
	for (struct pvd_domain *pd = pvd_domains; pd; pd = pd->next) {
		struct domain *d = pd->d;

		if (!d || (q->argc > 1 && strcmp(q->argv[1], pd->spec.name) &&
			   (unsigned int)atoi(q->argv[1]) != d->id))
			continue;
		for (unsigned int i = 0; i < d->nr_vcpus; i++) {
			struct vcpu *v = d->vcpus[i];
			const char *st = !v->online ? "offline" :
					 domain_is_dying(d) ? "stopped" :
					 d->paused ? "paused" :
					 v->blocked ? "blocked" : "running";

			say(r, "%-24s %5u %5u %-8s %10.1f %12llu\n",
			    pd->spec.name, d->id, i, st,
			    vcpu_cpu_time_ns(v) / 1e9,
			    (unsigned long long)v->stats.exits);
		}
	}
	pthread_mutex_unlock(&pvd_lock);
	return 0;
}

static int cmd_info(struct ctl_request *q, struct reply *r)
{
	unsigned int n = 0;

	pthread_mutex_lock(&pvd_lock);
	for (struct pvd_domain *pd = pvd_domains; pd; pd = pd->next)
		n++;
	pthread_mutex_unlock(&pvd_lock);
	say(r, "host                : pvisord pid %d\n", (int)getpid());
	say(r, "platform            : %s (%s)\n", plat_kind_name(pvd_host.kind),
	    pvd_host.kvm_module);
	say(r, "kvm_module          : %s\n", pvd_host.kvm_module);
	say(r, "tsc_khz             : %u\n", pvd_host.tsc_khz);
	say(r, "exit_roundtrip_us   : %.1f\n", pvd_host.exit_roundtrip_us);
	say(r, "xen_version         : 4.17 (ABI)\n");
	/* pvhvm: HVM guests see Xen and can have PV drivers (disks, vifs). */
	say(r, "virt_caps           : pv%s%s\n",
	    pvd_host.hvm_capable ? " pvh hvm" : "",
	    hvm_sees_xen(DOMAIN_TYPE_HVM, &pvd_host) ? " pvhvm" : "");
	say(r, "hvm_hypercalls      : %s\n",
	    plat_hvm_hcall_name(pvd_host.hvm_hcall));
	say(r, "max_domains         : %d\n", CONFIG_MAX_DOMAINS);
	say(r, "max_vcpus           : %d\n", CONFIG_MAX_VCPUS);
	say(r, "domains             : %u\n", n);
	return 0;
}

static int cmd_dmesg(struct ctl_request *q, struct reply *r)
{
	size_t len;
	char *text = msg_ring_dump(pvd_dmesg, &len);

	if (!text)
		return -ENOMEM;
	say(r, "%s", text);
	free(text);
	return 0;
}

static void console_input(void *opaque, const char *buf, size_t len)
{
	struct pvd_domain *pd = opaque;

	/* Held across the call: the waiter cannot stop the backend under us. */
	pthread_mutex_lock(&pvd_lock);
	if (pd->d && !domain_is_dying(pd->d)) {
		if (pd->d->type == DOMAIN_TYPE_HVM)	/* its serial port */
			hvm_pc_console_input(pd->d, buf, len);
		else
			pvd_backend_console_input(&pd->backend, buf, len);
	}
	pthread_mutex_unlock(&pvd_lock);
}

/* An HVM guest on a host where it cannot see Xen: no frontends in it. */
static bool no_pv_drivers(const struct domain *d)
{
	return d->type == DOMAIN_TYPE_HVM && !d->hvm.sees_xen;
}
#define NO_PV_DRIVERS	"%s is an HVM guest that does not see Xen: it has " \
			"no PV drivers (this host's KVM lacks Xen support)"

/* shutdown, reboot: asked of the guest through control/shutdown. */
static int request_guest(struct pvd_domain *pd, const char *what,
			 struct reply *r)
{
	int rc = -ESRCH;

	pthread_mutex_lock(&pvd_lock);
	if (pd->d && !domain_is_dying(pd->d))
		rc = !no_pv_drivers(pd->d) ?
		     pvd_backend_request_shutdown(&pd->backend, what) :
		     -EOPNOTSUPP;
	pthread_mutex_unlock(&pvd_lock);
	if (rc == -EOPNOTSUPP)
		say(r, "cannot ask %s to %s: an HVM guest that does not see "
		    "Xen has no xenstore control node; use destroy\n",
		    pd->spec.name, what);
	else if (rc)
		say(r, "cannot ask %s to %s: %s\n", pd->spec.name, what,
		    rc == -ESRCH ? "not running" : strerror(-rc));
	return rc;
}

static int cmd_mem_set(struct ctl_request *q, struct reply *r)
{
	struct pvd_domain *pd;
	uint64_t mb;
	int rc = -ESRCH;

	if (q->argc != 3 || parse_u64(q->argv[2], 4, CONFIG_MAX_DOMAIN_MEMORY_MB,
				      &mb)) {
		say(r, "mem-set: expected DOMAIN and a size in MiB (4..%d)\n",
		    CONFIG_MAX_DOMAIN_MEMORY_MB);
		return -EINVAL;
	}
	pd = pvd_domain_get(q->argv[1]);
	if (!pd) {
		say(r, "mem-set: no domain '%s'\n", q->argv[1]);
		return -ESRCH;
	}
	pthread_mutex_lock(&pvd_lock);
	if (pd->d && !domain_is_dying(pd->d)) {
		if (mb > pd->spec.memory_mb)
			rc = -E2BIG;	/* above what it booted with (maxmem) */
		else if (no_pv_drivers(pd->d))
			rc = -EOPNOTSUPP;	/* no balloon driver to ask */
		else
			rc = pvd_backend_set_memory_target(&pd->backend,
							   mb * 1024);
	}
	pthread_mutex_unlock(&pvd_lock);
	if (rc == -E2BIG)
		say(r, "mem-set: %llu MiB is above the domain's maximum (%llu)\n",
		    (unsigned long long)mb,
		    (unsigned long long)pd->spec.memory_mb);
	else if (rc == -EOPNOTSUPP)
		say(r, "mem-set: %s is an HVM guest that does not see Xen: "
		    "it has no balloon driver to ask\n", pd->spec.name);
	else if (rc)
		say(r, "mem-set: %s is not running\n", pd->spec.name);
	pvd_domain_put(pd);
	return rc;
}

/* Commands that act on one domain named by id or name. */
static int cmd_on_domain(struct ctl_request *q, struct reply *r, int fd,
			 bool *streamed)
{
	const char *cmd = q->argv[0];
	struct pvd_domain *pd;
	int rc = 0;

	if (q->argc != 2) {
		say(r, "%s: expected one domain (id or name)\n", cmd);
		return -EINVAL;
	}
	pd = pvd_domain_get(q->argv[1]);
	if (!pd) {
		say(r, "%s: no domain '%s'\n", cmd, q->argv[1]);
		return -ESRCH;
	}
	if (!strcmp(cmd, "destroy")) {
		rc = pvd_domain_destroy(pd);
	} else if (!strcmp(cmd, "pause") || !strcmp(cmd, "unpause")) {
		pthread_mutex_lock(&pvd_lock);
		if (!pd->d || domain_is_dying(pd->d))
			rc = -ESRCH;
		else if (cmd[0] == 'p')
			domain_pause(pd->d);
		else
			domain_unpause(pd->d);
		pthread_mutex_unlock(&pvd_lock);
		if (rc)
			say(r, "%s: domain '%s' is not running\n", cmd,
			    q->argv[1]);
	} else if (!strcmp(cmd, "console")) {
		rc = ctl_send_reply(fd, 0, NULL, 0, CLIENT_TIMEOUT_MS);
		*streamed = true;
		if (!rc)
			rc = pvd_console_attach(pd->console, fd, console_input,
						pd);
	} else if (!strcmp(cmd, "shutdown")) {
		rc = request_guest(pd, "poweroff", r);
	} else {
		rc = request_guest(pd, "reboot", r);
	}
	pvd_domain_put(pd);
	return rc;
}

/* block-attach DOMAIN SPEC (+ the image), block-detach, block-list. */
static int cmd_block(struct ctl_request *q, const struct ucred *who,
		     struct reply *r)
{
	const char *cmd = q->argv[0];
	struct pvd_domain *pd;
	struct pvd_vbds *vbds = NULL;
	struct pvd_disk disk;
	char err[512] = "", *text = NULL;
	bool attach = !strcmp(cmd, "block-attach");
	bool detach = !strcmp(cmd, "block-detach");
	bool force = detach && q->argc == 4 && !strcmp(q->argv[3], "--force");
	int rc;

	if (q->argc < 2 || (attach && (q->argc != 3 || q->nfds != 1 ||
				       strncmp(q->argv[2], "disk=", 5))) ||
	    (detach && q->argc != 3 && !force) ||
	    (!attach && !detach && q->argc != 2)) {
		say(r, "%s: bad arguments\n", cmd);
		return -EINVAL;
	}
	if (attach) {
		rc = parse_disk(q->argv[2] + 5, who, &disk, r);
		if (rc)
			return rc;
	}
	pd = pvd_domain_get(q->argv[1]);
	if (!pd) {
		say(r, "%s: no domain '%s'\n", cmd, q->argv[1]);
		return -ESRCH;
	}
	/*
	 * The disks are held, not pvd_lock: a detach may wait for the guest
	 * while other clients (and consoles) go on.
	 */
	pthread_mutex_lock(&pvd_lock);
	if (pd->d && !domain_is_dying(pd->d) && no_pv_drivers(pd->d)) {
		rc = -EOPNOTSUPP;
		snprintf(err, sizeof(err), NO_PV_DRIVERS, pd->spec.name);
	} else if (!pd->d || domain_is_dying(pd->d) || !pd->backend.vbds) {
		rc = -ESRCH;
		snprintf(err, sizeof(err), "%s is not running", pd->spec.name);
	} else if (attach && pd->spec.ndisks == PVD_MAX_DISKS) {
		rc = -E2BIG;
		snprintf(err, sizeof(err), "%s has %d disks already",
			 pd->spec.name, PVD_MAX_DISKS);
	} else {
		vbds = pvd_vbds_get(pd->backend.vbds);
		rc = 0;
	}
	pthread_mutex_unlock(&pvd_lock);
	if (vbds && attach) {
		disk.fd = q->fds[0];
		rc = pvd_vbd_attach(vbds, &disk, err, sizeof(err));
		pthread_mutex_lock(&pvd_lock);
		if (!rc && pd->spec.ndisks < PVD_MAX_DISKS) {
			/* the domain keeps it across reboots */
			pd->spec.disks[pd->spec.ndisks++] = disk;
			q->fds[0] = -1;
		}
		pthread_mutex_unlock(&pvd_lock);
	} else if (vbds && detach) {
		rc = pvd_vbd_detach(vbds, q->argv[2], force, err, sizeof(err));
		pthread_mutex_lock(&pvd_lock);
		for (unsigned int i = 0; rc != -ENOENT && rc != -ETIMEDOUT &&
		     rc != -ESRCH && i < pd->spec.ndisks; i++)
			if (!strcmp(pd->spec.disks[i].vdev, q->argv[2])) {
				close(pd->spec.disks[i].fd);
				pd->spec.disks[i] =
					pd->spec.disks[--pd->spec.ndisks];
				break;
			}
		pthread_mutex_unlock(&pvd_lock);
	} else if (vbds) {
		rc = pvd_vbd_list(vbds, &text);
	}
	if (vbds)
		pvd_vbds_put(vbds);
	pvd_domain_put(pd);
	if (text)
		say(r, "%s", text);
	free(text);
	if (rc)
		say(r, "%s: %s\n", cmd, err[0] ? err : strerror(-rc));
	return rc;
}

/* DEVID or MAC, as network-detach takes a vif (pvd_vif_detach). */
static bool vif_id_ok(const char *id)
{
	size_t len = strlen(id);
	struct cfg_vif v;
	char spec[32], err[128];

	if (len && len <= 5 && strspn(id, "0123456789") == len)
		return atoi(id) <= 65535;
	if (len != 17)
		return false;
	snprintf(spec, sizeof(spec), "mac=%s", id);
	return !cfg_parse_vif(spec, &v, err, sizeof(err));
}

/*
 * network-attach DOMAIN vif=SPEC, network-detach DOMAIN DEVID|MAC
 * [--force], network-list DOMAIN: as cmd_block.
 */
static int cmd_network(struct ctl_request *q, const struct ucred *who,
		       struct reply *r)
{
	const char *cmd = q->argv[0];
	struct pvd_domain *pd;
	struct pvd_vifs *vifs = NULL;
	struct pvd_nic nic;
	char err[512] = "", *text = NULL;
	bool attach = !strcmp(cmd, "network-attach");
	bool detach = !strcmp(cmd, "network-detach");
	bool list = !strcmp(cmd, "network-list");
	bool force = detach && q->argc == 4 && !strcmp(q->argv[3], "--force");
	bool said = false;	/* parse_vif explained already */
	uint32_t devid = UINT32_MAX;
	int rc;

	if (!attach && !detach && !list) {
		say(r, "unknown command '%s'\n", cmd);
		return -EOPNOTSUPP;
	}
	if (q->argc < 2 || q->nfds ||
	    (attach && (q->argc != 3 || strncmp(q->argv[2], "vif=", 4))) ||
	    (detach && q->argc != 3 && !force) ||
	    (list && q->argc != 2)) {
		say(r, "%s: bad arguments (%s)\n", cmd,
		    attach ? "DOMAIN vif=SPEC" : detach ?
		    "DOMAIN DEVID|MAC [--force]" : "DOMAIN");
		return -EINVAL;
	}
	if (detach && !vif_id_ok(q->argv[2])) {
		say(r, "%s: '%s' is neither a device number nor a MAC "
		    "(xx:xx:xx:xx:xx:xx)\n", cmd, q->argv[2]);
		return -EINVAL;
	}
	pd = pvd_domain_get(q->argv[1]);
	if (!pd) {
		say(r, "%s: no domain '%s'\n", cmd, q->argv[1]);
		return -ESRCH;
	}
	/* The vifs are held, not pvd_lock: a detach may wait for the guest. */
	pthread_mutex_lock(&pvd_lock);
	if (pd->d && !domain_is_dying(pd->d) && no_pv_drivers(pd->d)) {
		rc = -EOPNOTSUPP;
		snprintf(err, sizeof(err), NO_PV_DRIVERS, pd->spec.name);
	} else if (!pd->d || domain_is_dying(pd->d) || !pd->backend.vifs) {
		rc = -ESRCH;
		snprintf(err, sizeof(err), "%s is not running", pd->spec.name);
	} else if (attach && pd->spec.nnics == PVD_MAX_NICS) {
		rc = -E2BIG;
		snprintf(err, sizeof(err), "%s has %d vifs already",
			 pd->spec.name, PVD_MAX_NICS);
	} else if (attach && (rc = parse_vif(q->argv[2] + 4, who,
					     pd->spec.name, pd->spec.nics,
					     pd->spec.nnics, &nic, r))) {
		said = true;
	} else {
		vifs = pvd_vifs_get(pd->backend.vifs);
		rc = 0;
	}
	pthread_mutex_unlock(&pvd_lock);
	if (vifs && attach) {
		rc = pvd_vif_attach(vifs, &nic, err, sizeof(err));
		pthread_mutex_lock(&pvd_lock);
		if (!rc && pd->spec.nnics < PVD_MAX_NICS)
			/* the domain keeps it across reboots */
			pd->spec.nics[pd->spec.nnics++] = nic;
		pthread_mutex_unlock(&pvd_lock);
	} else if (vifs && detach) {
		rc = pvd_vif_detach(vifs, q->argv[2], force, &devid, err,
				    sizeof(err));
		pthread_mutex_lock(&pvd_lock);
		for (unsigned int i = 0; rc != -ENOENT && rc != -ETIMEDOUT &&
		     rc != -ESRCH && i < pd->spec.nnics; i++)
			if (pd->spec.nics[i].devid == devid) {
				/* the rest keep their order for reboots */
				memmove(&pd->spec.nics[i], &pd->spec.nics[i + 1],
					(--pd->spec.nnics - i) *
					sizeof(pd->spec.nics[0]));
				break;
			}
		pthread_mutex_unlock(&pvd_lock);
	} else if (vifs) {
		rc = pvd_vif_list(vifs, &text);
	}
	if (vifs)
		pvd_vifs_put(vifs);
	pvd_domain_put(pd);
	if (text)
		say(r, "%s", text);
	free(text);
	if (rc && !said)
		say(r, "%s: %s\n", cmd, err[0] ? err : strerror(-rc));
	return rc;
}

void pvd_serve_client(int fd)
{
	struct ucred who;
	socklen_t wholen = sizeof(who);
	struct ctl_request q;
	struct reply r = { 0 };
	bool streamed = false;
	const char *cmd;
	int rc;

	/* A request not whole in time is dropped: its thread is needed. */
	rc = ctl_recv_request(fd, &q, CLIENT_TIMEOUT_MS);
	if (rc) {
		const char *why = rc == -EPROTONOSUPPORT ?
			"protocol version not supported by this pvisord\n" :
			rc == -ETIMEDOUT ? "request not received in time\n" :
			"malformed request\n";

		if (rc != -ECONNRESET)
			ctl_send_reply(fd, rc, why, strlen(why), 0);
		return;
	}
	cmd = q.argv[0];
	/* Admitted already (clients.c): who asks, for what runs as them. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &who, &wholen))
		who = (struct ucred){ .uid = 65534, .gid = 65534 };
	if (!strcmp(cmd, "create"))
		rc = cmd_create(&q, &who, &r);
	else if (!strcmp(cmd, "list"))
		rc = cmd_list(&q, &r);
	else if (!strcmp(cmd, "vcpu-list"))
		rc = cmd_vcpu_list(&q, &r);
	else if (!strcmp(cmd, "info"))
		rc = cmd_info(&q, &r);
	else if (!strcmp(cmd, "dmesg"))
		rc = cmd_dmesg(&q, &r);
	else if (!strcmp(cmd, "mem-set"))
		rc = cmd_mem_set(&q, &r);
	else if (!strncmp(cmd, "block-", 6))
		rc = cmd_block(&q, &who, &r);
	else if (!strncmp(cmd, "network-", 8))
		rc = cmd_network(&q, &who, &r);
	else if (!strcmp(cmd, "destroy") || !strcmp(cmd, "pause") ||
		 !strcmp(cmd, "unpause") || !strcmp(cmd, "console") ||
		 !strcmp(cmd, "shutdown") || !strcmp(cmd, "reboot"))
		rc = cmd_on_domain(&q, &r, fd, &streamed);
	else {
		say(&r, "unknown command '%s'\n", cmd);
		rc = -EOPNOTSUPP;
	}
	if (!streamed)
		ctl_send_reply(fd, rc, r.buf, r.len, CLIENT_TIMEOUT_MS);
	free(r.buf);
	ctl_request_free(&q);
}

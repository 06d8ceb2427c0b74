// SPDX-License-Identifier: MIT
/*
 * The daemon's domains: create from a spec, watch each until it stops,
 * apply its on_poweroff/on_reboot/on_crash action, destroy on request.
 * Domain ids are the hypervisor's; a restart gets a new id, as in Xen.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pvabi/sched.h>

#include "pvisor/loader.h"
#include "pvisor/pv_layout.h"
#include "pvisor/log.h"
#include "pvisor/hvm.h"
#include "pvisord.h"

pthread_mutex_t pvd_lock = PTHREAD_MUTEX_INITIALIZER;
struct pvd_domain *pvd_domains;

static const char *const action_names[] = {
	[PVD_ACTION_DESTROY] = "destroy",
	[PVD_ACTION_RESTART] = "restart",
	[PVD_ACTION_PRESERVE] = "preserve",
};

int pvd_parse_action(const char *s, enum pvd_action *out)
{
	for (unsigned int i = 0; i < 3; i++)
		if (!strcmp(s, action_names[i])) {
			*out = i;
			return 0;
		}
	return -EINVAL;
}

/*
 * A whole file from a descriptor the client opened (never a path: the
 * daemon opens nothing on a client's behalf). Only a regular file opened
 * for reading (not O_PATH, which needs no read permission), no bigger
 * than the domain's memory: a pipe or a socket could stall the daemon,
 * and an image that cannot fit is a typo or a trick.
 */
static void *read_whole(int fd, const char *name, uint64_t max, size_t *len,
			char *err, size_t errlen)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fl;

	if (fd < 0 || fstat(fd, &st) || (fl = fcntl(fd, F_GETFL)) < 0) {
		snprintf(err, errlen, "%s: no open file was passed", name);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || (fl & O_PATH) ||
	    (fl & O_ACCMODE) == O_WRONLY) {
		snprintf(err, errlen, "%s: not a regular file open for reading",
			 name);
		return NULL;
	}
	if ((uint64_t)st.st_size > max) {
		snprintf(err, errlen, "%s: %llu bytes do not fit in the "
			 "domain's memory", name,
			 (unsigned long long)st.st_size);
		return NULL;
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = pread(fd, buf + got, st.st_size - got, got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "cannot read %s: %s", name,
				 n ? strerror(errno) : "file shrank");
			free(buf);
			return NULL;
		}
		got += n;
	}
	*len = got;
	return buf;
}

static void spec_close_files(struct pvd_domain_spec *spec)
{
	if (spec->kernel_fd >= 0)
		close(spec->kernel_fd);
	if (spec->ramdisk_fd >= 0)
		close(spec->ramdisk_fd);
	spec->kernel_fd = spec->ramdisk_fd = -1;
	for (unsigned int i = 0; i < spec->ndisks; i++)
		if (spec->disks[i].fd >= 0)
			close(spec->disks[i].fd);
	spec->ndisks = 0;
}

/*
 * PVH guests and HVM guests that see Xen (hvm_sees_xen) get the
 * toolstack's rings, as PV ones do: their pages and ports are HVM
 * parameters instead of start_info. An HVM guest keeps COM1 as its
 * console, so only its xenstore ring is announced. An HVM guest that
 * cannot see Xen is a plain PC: the backend stays empty but valid.
 */
static int pvd_domain_build_hw(struct pvd_domain *pd, struct domain *d,
			       struct pv_boot_image *img, char *err,
			       size_t errlen)
{
	const char *why = NULL;
	uint64_t store_pfn, console_pfn;
	struct pvh_layout pvh;
	struct hvm_layout hvm;
	int rc;

	if (!d->hvm.sees_xen) {
		memset(&pd->backend, 0, sizeof(pd->backend));
		pd->backend.d = d;
		pd->backend.wake_fd = -1;
		rc = hvm_build(d, img, &hvm, &why);
		if (rc)
			snprintf(err, errlen, "cannot load %s: %s",
				 pd->spec.kernel, why ? why : strerror(-rc));
		return rc;
	}
	rc = pvd_backend_prepare(&pd->backend, d, pd->console);
	if (rc) {
		snprintf(err, errlen, "cannot set up event channels: %s",
			 strerror(-rc));
		return rc;
	}
	img->store_evtchn = pd->backend.store_ch.guest_port;
	if (d->type == DOMAIN_TYPE_PVH) {
		img->console_evtchn = pd->backend.console_ch.guest_port;
		rc = pvh_build(d, img, &pvh, &why);
		store_pfn = pvh.store_pfn;
		console_pfn = pvh.console_pfn;
	} else {
		rc = hvm_build(d, img, &hvm, &why);
		store_pfn = hvm.store_pfn;
		console_pfn = hvm.console_pfn;
	}
	if (rc) {
		snprintf(err, errlen, "cannot load %s: %s", pd->spec.kernel,
			 why ? why : strerror(-rc));
		return rc;
	}
	rc = pvd_backend_start(&pd->backend, store_pfn, console_pfn,
			       pd->spec.name, pd->spec.memory_mb);
	if (rc) {
		snprintf(err, errlen, "cannot start xenstore/console service: %s",
			 strerror(-rc));
		return rc;
	}
	/* The same split-driver backends as for PV: grants are grants. */
	rc = pvd_vbds_start(d, pd->spec.disks, pd->spec.ndisks,
			    &pd->backend.vbds, err, errlen);
	if (!rc)
		rc = pvd_vifs_start(d, pd->spec.nics, pd->spec.nnics,
				    &pd->backend.vifs, err, errlen);
	return rc;
}

/* Build and start the hypervisor domain for pd->spec. */
static int pvd_domain_boot(struct pvd_domain *pd, char *err, size_t errlen)
{
	const struct pvd_domain_spec *spec = &pd->spec;
	struct domain_config cfg = {
		.name = spec->name, .memory_mb = spec->memory_mb,
		.vcpus = spec->vcpus, .console_sink = pvd_console_sink,
		.console_opaque = pd->console, .type = spec->type,
	};
	struct pv_boot_image img = { .cmdline = spec->cmdline };
	struct pv_layout layout;
	const char *why = NULL;
	uint64_t ram = spec->memory_mb << 20;
	struct domain *d;
	int rc;

	img.kernel = read_whole(spec->kernel_fd, spec->kernel, ram,
				&img.kernel_len, err, errlen);
	if (!img.kernel)
		return -ENOENT;
	if (spec->ramdisk[0]) {
		img.ramdisk = read_whole(spec->ramdisk_fd, spec->ramdisk, ram,
					 &img.ramdisk_len, err, errlen);
		if (!img.ramdisk) {
			free((void *)img.kernel);
			return -ENOENT;
		}
	}
	why = pvd_host.available ? hvm_refusal(spec->type, &pvd_host) : NULL;
	if (why) {
		snprintf(err, errlen, "cannot run a %s guest here: %s",
			 domain_type_name(spec->type), why);
		rc = -EOPNOTSUPP;
		goto out;
	}
	why = hvm_config_problem(&cfg);
	if (why) {
		snprintf(err, errlen, "cannot create domain: %s", why);
		rc = -EOPNOTSUPP;
		goto out;
	}
	rc = domain_create(&cfg, &pvd_host, &d);
	if (rc) {
		if (rc == -EUSERS)
			snprintf(err, errlen, "cannot create domain: the limit of "
				 "%d domains is reached (CONFIG_MAX_DOMAINS)",
				 CONFIG_MAX_DOMAINS);
		else if (rc == -ENODEV)
			snprintf(err, errlen, "cannot create domain: KVM "
				 "unavailable: %s", pvd_host.reason);
		else
			snprintf(err, errlen, "cannot create domain: %s",
				 strerror(-rc));
		goto out;
	}
	if (spec->type != DOMAIN_TYPE_PV) {
		rc = pvd_domain_build_hw(pd, d, &img, err, errlen);
		if (rc)
			goto fail;
		goto start;
	}
	rc = pvd_backend_prepare(&pd->backend, d, pd->console);
	if (rc) {
		snprintf(err, errlen, "cannot set up event channels: %s",
			 strerror(-rc));
		goto fail;
	}
	img.store_evtchn = pd->backend.store_ch.guest_port;
	img.console_evtchn = pd->backend.console_ch.guest_port;
	img.layout = &layout;
	rc = pv_build(d, &img, &why);
	if (rc) {
		snprintf(err, errlen, "cannot load %s: %s", spec->kernel,
			 why ? why : strerror(-rc));
		goto fail;
	}
	rc = pvd_backend_start(&pd->backend, layout.xenstore_pfn,
			       layout.console_pfn, spec->name, spec->memory_mb);
	if (rc) {
		snprintf(err, errlen, "cannot start xenstore/console service: %s",
			 strerror(-rc));
		goto fail;
	}
	rc = pvd_vbds_start(d, spec->disks, spec->ndisks, &pd->backend.vbds,
			    err, errlen);
	if (rc)
		goto fail;
	rc = pvd_vifs_start(d, spec->nics, spec->nnics, &pd->backend.vifs,
			    err, errlen);
	if (rc)
		goto fail;
start:
	rc = domain_start(d);
	if (rc) {
		snprintf(err, errlen, "cannot start vCPUs: %s", strerror(-rc));
		goto fail;
	}
	pd->d = d;
	pd->booted_at = time(NULL);
	pr_info("d%u (%s) started: %s %s, %llu MiB, %u vCPU(s)\n", d->id,
		spec->name, domain_type_name(spec->type), spec->kernel,
		(unsigned long long)spec->memory_mb, spec->vcpus);
out:
	free((void *)img.kernel);
	free((void *)img.ramdisk);
	return rc;
fail:
	pvd_backend_stop(&pd->backend);
	domain_destroy(d);
	goto out;
}

static void pvd_free(struct pvd_domain *pd)
{
	pvd_console_free(pd->console);
	spec_close_files(&pd->spec);
	free(pd);
}

void pvd_domain_put(struct pvd_domain *pd)
{
	bool last;

	pthread_mutex_lock(&pvd_lock);
	last = --pd->refs == 0;
	pthread_mutex_unlock(&pvd_lock);
	if (last)
		pvd_free(pd);
}

static void pvd_unlink(struct pvd_domain *pd)
{
	struct pvd_domain **pp;

	pthread_mutex_lock(&pvd_lock);
	for (pp = &pvd_domains; *pp; pp = &(*pp)->next)
		if (*pp == pd) {
			*pp = pd->next;
			pd->refs--;	/* the list's reference */
			break;
		}
	pthread_mutex_unlock(&pvd_lock);
}

/*
 * One thread per domain waits for the guest to stop and applies the
 * configured action. It owns pd->d: only it destroys the domain.
 */
static void *pvd_waiter(void *arg)
{
	struct pvd_domain *pd = arg;

	for (;;) {
		struct domain *d = pd->d;
		enum domain_state st = domain_wait(d);
		enum pvd_action act;

		pvd_backend_guest_stopped(&pd->backend);
		char err[256];
		const char *why;

		if (st == DOMAIN_CRASHED || d->shutdown_reason == SHUTDOWN_crash) {
			act = pd->spec.on_crash;
			why = "crashed";
		} else if (d->shutdown_reason == SHUTDOWN_reboot) {
			act = pd->spec.on_reboot;
			why = "rebooted";
		} else {
			act = pd->spec.on_poweroff;
			why = "powered off";
		}
		if (__atomic_load_n(&pd->destroying, __ATOMIC_ACQUIRE)) {
			act = PVD_ACTION_DESTROY;
			why = "destroyed";
		}
		pr_info("d%u (%s) %s%s%s; action: %s\n", d->id, pd->spec.name, why,
			st == DOMAIN_CRASHED && !pd->destroying ? ": " : "",
			st == DOMAIN_CRASHED && !pd->destroying ? d->crash_msg : "",
			action_names[act]);
		snprintf(pd->state_note, sizeof(pd->state_note), "%s", why);

		if (act == PVD_ACTION_PRESERVE) {
			/* Kept for inspection; `destroy` reaps it from now on. */
			__atomic_store_n(&pd->preserved, true, __ATOMIC_RELEASE);
			break;
		}
		pthread_mutex_lock(&pvd_lock);
		pd->d = NULL;
		pthread_mutex_unlock(&pvd_lock);
		pvd_backend_stop(&pd->backend);
		domain_destroy(d);
		malloc_trim(0);	/* kernel images are large: give them back */
		if (act == PVD_ACTION_DESTROY)
			break;
		/* A guest that reboots at once would spin: back off. */
		if (time(NULL) - pd->booted_at < 1)
			sleep(1);
		if (__atomic_load_n(&pd->destroying, __ATOMIC_ACQUIRE))
			break;
		if (pvd_domain_boot(pd, err, sizeof(err))) {
			pr_err("%s: restart failed: %s\n", pd->spec.name, err);
			break;
		}
		pd->restarts++;
	}
	if (!pd->d) {
		pvd_console_hangup(pd->console);
		pvd_unlink(pd);
	}
	pvd_domain_put(pd);	/* the waiter's reference */
	return NULL;
}

int pvd_domain_create(const struct pvd_domain_spec *spec, char *err,
		      size_t errlen, unsigned int *domid)
{
	struct pvd_domain_spec own = *spec;
	struct pvd_domain *pd, *it;
	int rc;

	pthread_mutex_lock(&pvd_lock);
	for (it = pvd_domains; it; it = it->next)
		if (!strcmp(it->spec.name, spec->name)) {
			pthread_mutex_unlock(&pvd_lock);
			snprintf(err, errlen, "a domain named '%s' already exists",
				 spec->name);
			spec_close_files(&own);
			return -EEXIST;
		}
	pthread_mutex_unlock(&pvd_lock);

	pd = calloc(1, sizeof(*pd));
	if (!pd) {
		spec_close_files(&own);
		return -ENOMEM;
	}
	pd->spec = own;
	pd->console = pvd_console_new(spec->name, spec->console_log_max);
	if (!pd->console) {
		spec_close_files(&pd->spec);
		free(pd);
		return -ENOMEM;
	}
	rc = pvd_domain_boot(pd, err, errlen);
	if (rc) {
		pvd_free(pd);
		return rc;
	}
	*domid = pd->d->id;
	pd->refs = 2;		/* the list and the waiter */
	pthread_mutex_lock(&pvd_lock);
	pd->next = pvd_domains;
	pvd_domains = pd;
	pthread_mutex_unlock(&pvd_lock);
	rc = pthread_create(&pd->waiter, NULL, pvd_waiter, pd);
	if (rc) {
		/* Without a waiter nobody reaps it: tear it down now. */
		domain_crash(pd->d, "pvisord could not watch it");
		domain_wait(pd->d);
		pvd_backend_stop(&pd->backend);
		domain_destroy(pd->d);
		pd->d = NULL;
		pvd_unlink(pd);
		pvd_domain_put(pd);
		snprintf(err, errlen, "cannot start watcher thread");
		return -rc;
	}
	pthread_detach(pd->waiter);
	return 0;
}

struct pvd_domain *pvd_domain_get(const char *id_or_name)
{
	struct pvd_domain *pd;
	char *end;
	unsigned long id = strtoul(id_or_name, &end, 10);
	bool by_id = *id_or_name && !*end;

	pthread_mutex_lock(&pvd_lock);
	for (pd = pvd_domains; pd; pd = pd->next) {
		if (by_id ? (pd->d && pd->d->id == id)
			  : !strcmp(pd->spec.name, id_or_name)) {
			pd->refs++;
			break;
		}
	}
	pthread_mutex_unlock(&pvd_lock);
	return pd;
}

int pvd_domain_destroy(struct pvd_domain *pd)
{
	struct domain *d;

	__atomic_store_n(&pd->destroying, true, __ATOMIC_RELEASE);
	pthread_mutex_lock(&pvd_lock);
	d = pd->d;
	if (d && __atomic_load_n(&pd->preserved, __ATOMIC_ACQUIRE))
		pd->d = NULL;	/* its waiter is gone: reap it here */
	pthread_mutex_unlock(&pvd_lock);
	if (d && !pd->d) {
		pvd_backend_stop(&pd->backend);
		domain_destroy(d);
		d = NULL;
	}
	if (d) {
		domain_kill(d, "destroyed by the operator");
		return 0;	/* the waiter reaps it */
	}
	/* Preserved (or between restarts): nothing runs; drop it. */
	pvd_console_hangup(pd->console);
	pvd_unlink(pd);
	return 0;
}

void pvd_destroy_all(void)
{
	for (;;) {
		struct pvd_domain *pd;

		pthread_mutex_lock(&pvd_lock);
		pd = pvd_domains;
		if (pd)
			pd->refs++;
		pthread_mutex_unlock(&pvd_lock);
		if (!pd)
			return;
		pvd_domain_destroy(pd);
		/* Wait for the waiter to unlink it. */
		for (;;) {
			bool listed = false;

			pthread_mutex_lock(&pvd_lock);
			for (struct pvd_domain *it = pvd_domains; it; it = it->next)
				listed |= it == pd;
			pthread_mutex_unlock(&pvd_lock);
			if (!listed)
				break;
			usleep(10000);
		}
		pvd_domain_put(pd);
	}
}

const char *pvd_domain_state(const struct pvd_domain *pd)
{
	if (!pd->d)
		return pd->state_note[0] ? pd->state_note : "stopped";
	switch (pd->d->state) {
	case DOMAIN_CREATED:
		return "created";
	case DOMAIN_RUNNING:
		return pd->d->paused ? "paused" : "running";
	case DOMAIN_SHUTDOWN:
		return "shutdown";
	case DOMAIN_CRASHED:
		return "crashed";
	}
	return "?";
}

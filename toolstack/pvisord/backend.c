// SPDX-License-Identifier: MIT
/*
 * Per-domain dom0 services: the guest's xenstore connection and its PV
 * console ring. Both rings live in guest memory the guest writes at any
 * time: every index is read once, checked, and never trusted again.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <pvabi/io/console.h>

#include "pvisor/domain.h"
#include "pvisor/frame_state.h"
#include "pvisor/grant_table.h"
#include "pvisor/log.h"
#include "pvisor/console_ring.h"
#include "pvisor/pv_layout.h"
#include "../xenstored/xenstored.h"
#include "backend.h"
#include "pvisord.h"

#define INPUT_MAX	4096

static pthread_mutex_t input_lock = PTHREAD_MUTEX_INITIALIZER;

struct input_buf {
	char data[INPUT_MAX];
	size_t len;
};

/* Console input waiting for ring space, per backend (under input_lock). */
static struct input_buf *input_of(struct pvd_backend *b)
{
	return (struct input_buf *)b->input;
}

static int xs_call(enum xsd_sockmsg_type type, const char *payload,
		   uint32_t len)
{
	char reply[64];
	uint32_t rlen;

	return xs_store_call(pvd_xenstore(), type, payload, len, reply,
			     sizeof(reply), &rlen);
}

static int xs_write(unsigned int domid, const char *rel, const char *val)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "/local/domain/%u/%s", domid, rel);

	if (n < 0 || (size_t)n + 1 + strlen(val) > sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf + n + 1, val, strlen(val));
	return xs_call(XS_WRITE, buf, n + 1 + strlen(val));
}

/* Owner first (default access for others), then ACL entries. */
static int xs_perms(unsigned int domid, const char *rel, const char *owner,
		    const char *acl)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "/local/domain/%u%s%s", domid,
			 rel[0] ? "/" : "", rel);
	size_t o = strlen(owner) + 1, a = acl ? strlen(acl) + 1 : 0;

	if (n < 0 || (size_t)n + 1 + o + a > sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf + n + 1, owner, o);
	if (acl)
		memcpy(buf + n + 1 + o, acl, a);
	return xs_call(XS_SET_PERMS, buf, n + 1 + o + a);
}

/*
 * The nodes a toolstack creates for a PV guest (see the domU contract,
 * xenstore section): the guest reads them, and owns the ones it writes.
 */
static int write_domain_nodes(struct pvd_backend *b, const char *name,
			      uint64_t memory_mb)
{
	struct domain *d = b->d;
	unsigned int id = d->id;
	char num[64], guest[16], key[64];
	int rc = 0;

	/* The directory first: children inherit its permissions. */
	snprintf(guest, sizeof(guest), "r%u", id);
	snprintf(key, sizeof(key), "/local/domain/%u", id);
	rc |= xs_call(XS_MKDIR, key, strlen(key) + 1);
	rc |= xs_perms(id, "", "n0", guest);
	rc |= xs_write(id, "name", name);
	snprintf(num, sizeof(num), "%u", id);
	rc |= xs_write(id, "domid", num);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)memory_mb * 1024);
	rc |= xs_write(id, "memory/target", num);
	rc |= xs_write(id, "memory/static-max", num);
	for (unsigned int i = 0; i < d->nr_vcpus; i++) {
		snprintf(key, sizeof(key), "cpu/%u/availability", i);
		rc |= xs_write(id, key, "online");
	}
	snprintf(num, sizeof(num), "%llu", (unsigned long long)b->console_pfn);
	rc |= xs_write(id, "console/ring-ref", num);
	snprintf(num, sizeof(num), "%u", b->console_ch.guest_port);
	rc |= xs_write(id, "console/port", num);
	rc |= xs_write(id, "console/type", "xenconsoled");
	snprintf(num, sizeof(num), "%llu", (unsigned long long)b->store_pfn);
	rc |= xs_write(id, "store/ring-ref", num);
	snprintf(num, sizeof(num), "%u", b->store_ch.guest_port);
	rc |= xs_write(id, "store/port", num);
	/* Written by the guest: owned by it. */
	static const char *const guest_dirs[] = {
		"control/shutdown", "control/feature-poweroff",
		"control/feature-reboot", "control/feature-suspend",
		"control/sysrq", "data", "device", "drivers", "feature",
		"attr", "error", "messages",
	};
	for (size_t i = 0; i < sizeof(guest_dirs) / sizeof(guest_dirs[0]); i++) {
		snprintf(key, sizeof(key), "%s", guest_dirs[i]);
		rc |= xs_write(id, key, "");
		snprintf(guest, sizeof(guest), "n%u", id);
		rc |= xs_perms(id, key, guest, NULL);
	}
	/* What the toolstack offers, for the guest to read. */
	rc |= xs_write(id, "control/platform-feature-xs_reset_watches", "1");
	return rc ? -EIO : 0;
}

static void store_notify(void *opaque)
{
	struct pvd_backend *b = opaque;

	evtchn_dom0_send(b->store_ch.dom0_port);
}

/* Guest output: copy what it produced, then let it write more. */
static void console_drain(struct pvd_backend *b)
{
	char buf[sizeof(((struct xencons_interface *)0)->out)];
	ssize_t n = console_ring_read(b->console_page, buf, sizeof(buf));

	if (n < 0) {
		dom_log(b->d, LOG_WARN, "console ring indexes invalid: output "
			"dropped\n");
		return;
	}
	if (n) {
		pvd_console_sink(b->d, buf, n, b->console);
		evtchn_dom0_send(b->console_ch.dom0_port);
	}
}

/* Client input: as much as the guest's ring has room for. */
static void console_feed(struct pvd_backend *b)
{
	struct input_buf *in = input_of(b);
	size_t n;

	pthread_mutex_lock(&input_lock);
	n = console_ring_write(b->console_page, in->data, in->len);
	memmove(in->data, in->data + n, in->len - n);
	in->len -= n;
	pthread_mutex_unlock(&input_lock);
	if (n)
		evtchn_dom0_send(b->console_ch.dom0_port);
}

static void *backend_main(void *arg)
{
	struct pvd_backend *b = arg;

	while (!b->stop) {
		struct pollfd p[3] = {
			{ .fd = b->store_ch.notify_fd, .events = POLLIN },
			{ .fd = b->console_ch.notify_fd, .events = POLLIN },
			{ .fd = b->wake_fd, .events = POLLIN },
		};
		uint64_t cnt;
		int more = 0;

		if (poll(p, 3, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents & POLLIN) {
			if (read(p[0].fd, &cnt, 8) < 0)
				cnt = 0;
			/* Bounded work per kick: loop while it asks for more. */
			if (b->ring)
				while ((more = xs_ring_kick(b->ring)) == 1)
					;
			if (more < 0 && b->ring)
				dom_log(b->d, LOG_WARN,
					"xenstore ring broken by the guest\n");
		}
		if (p[1].revents & POLLIN) {
			if (read(p[1].fd, &cnt, 8) < 0)
				cnt = 0;
			console_drain(b);
			console_feed(b);
		}
		if (p[2].revents & POLLIN) {
			if (read(p[2].fd, &cnt, 8) < 0)
				cnt = 0;
			console_feed(b);
		}
	}
	xs_thread_exit();
	return NULL;
}

int pvd_backend_prepare(struct pvd_backend *b, struct domain *d,
			struct pvd_console *console)
{
	int rc;

	memset(b, 0, sizeof(*b));
	b->d = d;
	b->console = console;
	b->wake_fd = -1;
	b->input = calloc(1, sizeof(struct input_buf));
	if (!b->input)
		return -ENOMEM;
	rc = evtchn_dom0_alloc(d, &b->store_ch);
	if (rc)
		return rc;
	b->store_ok = true;
	rc = evtchn_dom0_alloc(d, &b->console_ch);
	if (rc)
		return rc;
	b->console_ok = true;
	b->wake_fd = eventfd(0, EFD_CLOEXEC);
	return b->wake_fd < 0 ? -errno : 0;
}

int pvd_backend_start(struct pvd_backend *b, uint64_t store_pfn,
		      uint64_t console_pfn, const char *name,
		      uint64_t memory_mb)
{
	struct domain *d = b->d;
	int rc;

	b->store_pfn = store_pfn;
	b->console_pfn = console_pfn;
	/*
	 * pvisord writes these pages for as long as the domain lives: a PV
	 * guest's are held writable, so it can never make one a page
	 * table. PVH frames have no PV types: the guest's page tables are
	 * its own, never read by pvisord.
	 */
	if (d->gnttab) {
		if (frame_claim(&d->gnttab->shm.frames, store_pfn, true))
			return -EINVAL;
		b->store_claimed = true;
		if (frame_claim(&d->gnttab->shm.frames, console_pfn, true))
			return -EINVAL;
		b->console_claimed = true;
	}
	b->store_page = gmem_ram_frame(&d->mem, store_pfn);
	b->console_page = gmem_ram_frame(&d->mem, console_pfn);
	if (!b->store_page || !b->console_page)
		return -EINVAL;
	rc = write_domain_nodes(b, name, memory_mb);
	if (rc)
		return rc;
	b->ring = xs_ring_attach(pvd_xenstore(), d->id, b->store_page,
				 store_notify, b);
	if (!b->ring)
		return -errno;
	rc = pthread_create(&b->thread, NULL, backend_main, b);
	if (rc)
		return -rc;
	b->thread_started = true;
	return 0;
}

void pvd_backend_guest_stopped(struct pvd_backend *b)
{
	if (!b->store_ok)	/* never introduced (HVM) */
		return;
	xs_domain_shutdown(pvd_xenstore(), b->d->id);
}

void pvd_backend_stop(struct pvd_backend *b)
{
	uint64_t one = 1;

	/* Device backends first, the last started first: they reach the
	 * guest's memory. */
	pvd_vifs_stop(b->vifs);
	b->vifs = NULL;
	pvd_vbds_stop(b->vbds);
	b->vbds = NULL;
	if (b->thread_started) {
		b->stop = 1;
		if (write(b->wake_fd, &one, 8) < 0)
			pr_err("backend: cannot wake d%u's service thread\n",
			       b->d->id);
		pthread_join(b->thread, NULL);
		b->thread_started = false;
	}
	if (b->d && (b->ring || b->store_ok)) {
		char path[64];

		xs_domain_release(pvd_xenstore(), b->d->id);
		b->ring = NULL;
		/* The toolstack, not xenstored, removes the domain's nodes. */
		snprintf(path, sizeof(path), "/local/domain/%u", b->d->id);
		xs_call(XS_RM, path, strlen(path) + 1);
	}
	if (b->store_claimed)
		frame_release(&b->d->gnttab->shm.frames, b->store_pfn, true);
	if (b->console_claimed)
		frame_release(&b->d->gnttab->shm.frames, b->console_pfn, true);
	b->store_claimed = b->console_claimed = false;
	if (b->store_ok)
		evtchn_dom0_close(b->store_ch.dom0_port);
	if (b->console_ok)
		evtchn_dom0_close(b->console_ch.dom0_port);
	b->store_ok = b->console_ok = false;
	pthread_mutex_lock(&input_lock);
	if (b->wake_fd >= 0)
		close(b->wake_fd);
	b->wake_fd = -1;
	free(b->input);
	b->input = NULL;
	pthread_mutex_unlock(&input_lock);
}

void pvd_backend_console_input(struct pvd_backend *b, const char *buf,
			       size_t len)
{
	struct input_buf *in;
	uint64_t one = 1;
	size_t room;

	pthread_mutex_lock(&input_lock);
	in = input_of(b);
	if (in) {
		/* Typing faster than the guest reads loses the excess. */
		room = sizeof(in->data) - in->len;
		if (len > room)
			len = room;
		memcpy(in->data + in->len, buf, len);
		in->len += len;
		if (write(b->wake_fd, &one, 8) < 0)
			pr_err("backend: console input wake-up failed\n");
	}
	pthread_mutex_unlock(&input_lock);
}

int pvd_backend_request_shutdown(struct pvd_backend *b, const char *what)
{
	return xs_write(b->d->id, "control/shutdown", what);
}

int pvd_backend_set_memory_target(struct pvd_backend *b, uint64_t kib)
{
	char num[32];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)kib);
	return xs_write(b->d->id, "memory/target", num);
}

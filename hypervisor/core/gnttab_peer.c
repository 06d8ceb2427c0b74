// SPDX-License-Identifier: MIT
/*
 * The registry of grant tables other domains map from (pvisor/
 * gnttab_peer.h). One mutex guards the list and every reference count;
 * it is a leaf: nothing else is locked while it is held.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pvisor/domain.h"
#include "pvisor/gnttab_peer.h"
#include "pvisor/grant_table.h"

static pthread_mutex_t peer_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gnttab_peer *peers;

static void peer_free(struct gnttab_peer *p)
{
	if (p->ram != MAP_FAILED)
		munmap(p->ram, p->ram_size);
	if (p->gbase != MAP_FAILED)
		munmap(p->gbase, p->gsize);
	if (p->gnt_fd >= 0)
		close(p->gnt_fd);
	if (p->ram_fd >= 0)
		close(p->ram_fd);
	free(p);
}

int gnttab_peer_register(struct domain *d)
{
	struct gnttab_peer *p, *it;
	struct stat st;
	int rc;

	if (!d->gnttab || d->ram_fd < 0)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->gbase = MAP_FAILED;
	p->ram = MAP_FAILED;
	p->domid = d->id;
	p->refs = 1;			/* the registry's */
	p->ram_fd = fcntl(d->ram_fd, F_DUPFD_CLOEXEC, 0);
	p->gnt_fd = fcntl(gnttab_domain_fd(d), F_DUPFD_CLOEXEC, 0);
	if (p->ram_fd < 0 || p->gnt_fd < 0 || fstat(p->gnt_fd, &st)) {
		rc = -errno;
		goto fail;
	}
	p->gsize = (size_t)st.st_size;
	/* Our own mapping: it outlives the granter's struct gnttab. */
	p->gbase = mmap(NULL, p->gsize, PROT_READ | PROT_WRITE, MAP_SHARED,
			p->gnt_fd, 0);
	if (p->gbase == MAP_FAILED) {
		rc = -errno;
		goto fail;
	}
	rc = gnttab_shm_attach(&p->shm, p->gbase, p->gsize);
	if (rc)
		goto fail;
	/*
	 * All of its RAM, for copies (as a dom0 service maps it): only
	 * address space until a copy touches a page. A grant may name only
	 * frames inside it; frame_claim keeps ballooned ones out.
	 */
	if (fstat(p->ram_fd, &st)) {
		rc = -errno;
		goto fail;
	}
	if (st.st_size <= 0 || st.st_size % PAGE_SIZE) {
		rc = -EINVAL;
		goto fail;
	}
	p->ram_size = (size_t)st.st_size;
	if (p->shm.nr_ram_pages > p->ram_size >> PAGE_SHIFT)
		p->shm.nr_ram_pages = p->ram_size >> PAGE_SHIFT;
	p->ram = mmap(NULL, p->ram_size, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_NORESERVE, p->ram_fd, 0);
	if (p->ram == MAP_FAILED) {
		rc = -errno;
		goto fail;
	}

	pthread_mutex_lock(&peer_lock);
	for (it = peers; it; it = it->next)
		if (it->domid == p->domid)
			break;
	if (!it) {
		p->next = peers;
		peers = p;
	}
	pthread_mutex_unlock(&peer_lock);
	if (it) {
		rc = -EEXIST;
		goto fail;
	}
	d->gnt_peer = p;
	return 0;
fail:
	peer_free(p);
	return rc;
}

void gnttab_peer_unregister(struct domain *d)
{
	struct gnttab_peer *p = d->gnt_peer, **pp;

	if (!p)
		return;
	d->gnt_peer = NULL;
	pthread_mutex_lock(&peer_lock);
	for (pp = &peers; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	pthread_mutex_unlock(&peer_lock);
	gnttab_peer_put(p);		/* the registry's reference */
}

struct gnttab_peer *gnttab_peer_get(domid_t domid)
{
	struct gnttab_peer *p;

	pthread_mutex_lock(&peer_lock);
	for (p = peers; p; p = p->next)
		if (p->domid == domid) {
			p->refs++;
			break;
		}
	pthread_mutex_unlock(&peer_lock);
	return p;
}

void gnttab_peer_put(struct gnttab_peer *p)
{
	bool last;

	if (!p)
		return;
	pthread_mutex_lock(&peer_lock);
	last = --p->refs == 0;
	pthread_mutex_unlock(&peer_lock);
	if (last)
		peer_free(p);
}

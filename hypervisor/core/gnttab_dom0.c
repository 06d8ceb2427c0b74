// SPDX-License-Identifier: MIT
/*
 * The dom0 side of grants (pvisor/gnttab_dom0.h): a service's view of
 * one guest's grant table and RAM, built from two memfds, with map,
 * unmap and copy following the grant-entry protocol of gnttab_shm.c.
 *
 * A mapping is its own mmap of the granted frame, read-only for a
 * read-only grant, and is torn down before the in-use bits are cleared,
 * so a service can neither write a page it may only read nor touch a page
 * after giving it back. Copies go through one mapping of all guest RAM.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pvisor/gnttab_dom0.h"
#include "pvisor/gnttab_shm.h"

#define PAGE_BYTES		4096ull
#define DEFAULT_MAX_MAPS	1024u

struct gnttab_dom0_slot {
	void *addr;			/* NULL once unmapped */
	grant_ref_t ref;
	bool used;			/* the pin is held */
	bool ro;
	uint32_t frame;			/* its writable frame reference */
	uint32_t next_free;
};

struct gnttab_dom0 {
	int ram_fd, gnt_fd;
	uint8_t *ram;
	size_t ram_size;
	void *gbase;
	size_t gsize;
	struct gnttab_shm shm;
	domid_t self;
	pthread_mutex_t lock;		/* slots and the free list */
	unsigned int max_maps;
	uint32_t free_head;		/* max_maps: none free */
	struct gnttab_dom0_slot *slots;
};

int gnttab_dom0_errno(int16_t status)
{
	switch (status) {
	case GNTST_okay:
		return 0;
	case GNTST_bad_gntref:
	case GNTST_bad_copy_arg:
		return -EINVAL;
	case GNTST_general_error:
	case GNTST_permission_denied:
		return -EPERM;
	case GNTST_bad_page:
		return -EFAULT;
	case GNTST_eagain:
		return -EAGAIN;
	case GNTST_no_space:
		return -ENOSPC;
	case GNTST_bad_handle:
		return -EBADF;
	}
	return -EIO;
}

static int fd_size(int fd, size_t *size)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (st.st_size < 0 || (uint64_t)st.st_size % PAGE_BYTES)
		return -EINVAL;
	*size = (size_t)st.st_size;
	return 0;
}

int gnttab_dom0_open(const struct gnttab_dom0_config *cfg,
		     struct gnttab_dom0 **out)
{
	struct gnttab_dom0 *g;
	int rc;

	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->ram = MAP_FAILED;
	g->gbase = MAP_FAILED;
	g->self = cfg->self;
	g->max_maps = cfg->max_maps ? cfg->max_maps : DEFAULT_MAX_MAPS;
	pthread_mutex_init(&g->lock, NULL);
	g->ram_fd = fcntl(cfg->ram_fd, F_DUPFD_CLOEXEC, 0);
	g->gnt_fd = fcntl(cfg->gnttab_fd, F_DUPFD_CLOEXEC, 0);
	if (g->ram_fd < 0 || g->gnt_fd < 0) {
		rc = -errno;
		goto err;
	}

	rc = fd_size(g->gnt_fd, &g->gsize);
	if (rc)
		goto err;
	g->gbase = mmap(NULL, g->gsize, PROT_READ | PROT_WRITE, MAP_SHARED,
			g->gnt_fd, 0);
	if (g->gbase == MAP_FAILED) {
		rc = -errno;
		goto err;
	}
	rc = gnttab_shm_attach(&g->shm, g->gbase, g->gsize);
	if (rc)
		goto err;

	rc = fd_size(g->ram_fd, &g->ram_size);
	if (rc)
		goto err;
	/* Frames a grant may name: what pvisord says, within what we map. */
	if (g->shm.nr_ram_pages > g->ram_size / PAGE_BYTES)
		g->shm.nr_ram_pages = g->ram_size / PAGE_BYTES;
	if (g->ram_size) {
		g->ram = mmap(NULL, g->ram_size, PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_NORESERVE, g->ram_fd, 0);
		if (g->ram == MAP_FAILED) {
			rc = -errno;
			goto err;
		}
	}

	g->slots = calloc(g->max_maps, sizeof(*g->slots));
	if (!g->slots) {
		rc = -ENOMEM;
		goto err;
	}
	for (uint32_t i = 0; i < g->max_maps; i++)
		g->slots[i].next_free = i + 1;
	g->free_head = 0;
	*out = g;
	return 0;
err:
	gnttab_dom0_close(g);
	return rc;
}

void gnttab_dom0_close(struct gnttab_dom0 *g)
{
	if (!g)
		return;
	for (uint32_t i = 0; g->slots && i < g->max_maps; i++)
		if (g->slots[i].used)
			gnttab_dom0_unmap(g, i);
	free(g->slots);
	if (g->ram != MAP_FAILED)
		munmap(g->ram, g->ram_size);
	if (g->gbase != MAP_FAILED)
		munmap(g->gbase, g->gsize);
	if (g->ram_fd >= 0)
		close(g->ram_fd);
	if (g->gnt_fd >= 0)
		close(g->gnt_fd);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

domid_t gnttab_dom0_guest(const struct gnttab_dom0 *g)
{
	return g->shm.ctl->domid;
}

uint32_t gnttab_dom0_nr_entries(const struct gnttab_dom0 *g)
{
	return gnttab_shm_nr_entries(&g->shm);
}

int gnttab_dom0_map(struct gnttab_dom0 *g, grant_ref_t ref, bool writable,
		    void **addr, uint32_t *handle)
{
	struct gnttab_dom0_slot *s;
	uint32_t idx, frame;
	int16_t st;
	void *p;
	int rc;

	pthread_mutex_lock(&g->lock);
	idx = g->free_head;
	if (idx >= g->max_maps) {
		rc = -ENOSPC;
		goto out;
	}
	st = gnttab_pin(&g->shm, ref, g->self,
			GNTPIN_MAP | (writable ? 0 : GNTPIN_READONLY), &frame);
	if (st) {
		/* An overflowing pin count is Xen's general_error too. */
		rc = gnttab_dom0_errno(st);
		goto out;
	}
	/* Held writable for the mapping's life: never a page table. */
	st = frame_claim(&g->shm.frames, frame, writable);
	if (st) {
		gnttab_unpin(&g->shm, ref, g->self, !writable);
		rc = gnttab_dom0_errno(st);
		goto out;
	}
	p = mmap(NULL, PAGE_BYTES, PROT_READ | (writable ? PROT_WRITE : 0),
		 MAP_SHARED, g->ram_fd, (off_t)((uint64_t)frame * PAGE_BYTES));
	if (p == MAP_FAILED) {
		rc = -errno;
		frame_release(&g->shm.frames, frame, writable);
		gnttab_unpin(&g->shm, ref, g->self, !writable);
		goto out;
	}
	s = &g->slots[idx];
	g->free_head = s->next_free;
	*s = (struct gnttab_dom0_slot){
		.addr = p, .ref = ref, .used = true, .ro = !writable,
		.frame = frame,
	};
	*addr = p;
	*handle = idx;
	rc = 0;
out:
	pthread_mutex_unlock(&g->lock);
	return rc;
}

int gnttab_dom0_unmap(struct gnttab_dom0 *g, uint32_t handle)
{
	struct gnttab_dom0_slot *s;
	int16_t st;
	int rc;

	pthread_mutex_lock(&g->lock);
	if (handle >= g->max_maps || !g->slots[handle].used) {
		rc = -EBADF;
		goto out;
	}
	s = &g->slots[handle];
	/* No access after this, so the guest may have the page back. */
	if (s->addr) {
		munmap(s->addr, PAGE_BYTES);
		s->addr = NULL;
		frame_release(&g->shm.frames, s->frame, !s->ro);
	}
	st = gnttab_unpin(&g->shm, s->ref, g->self, s->ro);
	if (st == GNTST_eagain) {
		rc = -EAGAIN;	/* keep the slot: a later call retries */
		goto out;
	}
	s->used = false;
	s->next_free = g->free_head;
	g->free_head = handle;
	rc = gnttab_dom0_errno(st);
out:
	pthread_mutex_unlock(&g->lock);
	return rc;
}

static int dom0_copy(struct gnttab_dom0 *g, grant_ref_t ref, unsigned int off,
		     void *buf, size_t len, bool to_guest)
{
	struct gnttab_pinned pin;
	uint32_t frame;
	uint8_t *page;
	int16_t st;

	if (!len)
		return 0;
	if (off >= PAGE_BYTES || len > PAGE_BYTES - off)
		return -EINVAL;
	st = gnttab_pin_window(&g->shm, ref, g->self,
			       to_guest ? 0 : GNTPIN_READONLY, &pin);
	if (st)
		return gnttab_dom0_errno(st);
	frame = pin.frame;
	/* A v2 sub-page grant: only its window (Xen's copy says so too). */
	if (off < pin.off || off + len > (size_t)pin.off + pin.len) {
		gnttab_unpin(&g->shm, ref, g->self, !to_guest);
		return gnttab_dom0_errno(GNTST_general_error);
	}
	st = frame_claim(&g->shm.frames, frame, to_guest);
	if (st) {
		gnttab_unpin(&g->shm, ref, g->self, !to_guest);
		return gnttab_dom0_errno(st);
	}
	/* frame < nr_ram_pages, which is within our mapping (open). */
	page = g->ram + (uint64_t)frame * PAGE_BYTES;
	if (to_guest)
		memcpy(page + off, buf, len);
	else
		memcpy(buf, page + off, len);
	frame_release(&g->shm.frames, frame, to_guest);
	st = gnttab_unpin(&g->shm, ref, g->self, !to_guest);
	return gnttab_dom0_errno(st);
}

int gnttab_dom0_copy_from(struct gnttab_dom0 *g, grant_ref_t ref,
			  unsigned int off, void *buf, size_t len)
{
	return dom0_copy(g, ref, off, buf, len, false);
}

int gnttab_dom0_copy_to(struct gnttab_dom0 *g, grant_ref_t ref,
			unsigned int off, const void *buf, size_t len)
{
	return dom0_copy(g, ref, off, (void *)buf, len, true);
}

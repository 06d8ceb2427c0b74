// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: grant_table_op (hypercall 20) from a domU, against a
 * domain without a VM built like the unit tests' (gnt_fixture.h), fresh
 * for every input. The input is a program: hypercalls (cmd, uop, count,
 * and the op structs written where uop points), what the guest writes
 * into its own grant entries between them, and what the page-type engine
 * and the balloon do to its frames (frame_protect, frame_set_owned, as
 * pvisord does). Only public entry points are used.
 *
 * Checked after every call: the only pins and writable frame references
 * left are those of the grant maps the domain holds (its maptrack: each
 * part of a map one pin, a writable part one reference; their window
 * slots show the granted frame, free slots their own zero page), no
 * GTF_reading/GTF_writing survives without a pin, frames typed as tables
 * or ballooned out are unchanged, and every op that reports GNTST_okay
 * was allowed (a copy: Xen's domain, grant, frame and bounds rules; with
 * one op, also the bytes it moved). At the end the maps are torn down as
 * at the mapper's death and nothing may remain.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gnt_fixture.h"
#include "pvisor/log.h"

#define NR_DATA		16		/* data frames the program uses */
#define DATA_PFN	0x20ull
#define OPS_PFN		(GF_OPS_PA >> PAGE_SHIFT)	/* 4 pages, then RO */
#define OPS_BYTES	(4 * PAGE_SIZE)
#define NR_REFS		24		/* low refs the guest writes */
#define MAX_ENTRIES	(CONFIG_GNTTAB_MAX_FRAMES * GNTTAB_ENTRIES_PER_FRAME)
#define MAX_LIVE	512
#define MAX_CALLS	64

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Checking loops need no coverage feedback, and it would cost half the time. */
#define NO_COV		__attribute__((no_sanitize("coverage")))

#define F_PROTECTED	1
#define F_BALLOONED	2

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz_gnttab: %s:%d: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

struct in {
	const uint8_t *p;
	size_t n;
};

static struct gnt_fix fix;
static uint8_t fstate[GF_RAM_PAGES];
static uint8_t snap[GF_RAM_PAGES][PAGE_SIZE];	/* frozen frames' bytes */
/* Refs that may hold a nonzero entry; all of them once wild. */
static grant_ref_t live[MAX_LIVE];
static unsigned int nr_live;
static bool wild;

static const grant_ref_t edge_refs[] = {
	511, 512, 513, 1023, 1024, MAX_ENTRIES - 1, MAX_ENTRIES, 0xffffffffu,
};

static uint8_t u8(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint16_t u16(struct in *in)
{
	return u8(in) | (uint16_t)u8(in) << 8;
}

static uint32_t u32(struct in *in)
{
	return u16(in) | (uint32_t)u16(in) << 16;
}

static uint64_t u64(struct in *in)
{
	return u32(in) | (uint64_t)u32(in) << 32;
}

static const struct frame_state *frames(void)
{
	return &fix.d.gnttab->shm.frames;
}

static uint32_t nr_frames(void)
{
	return __atomic_load_n(&fix.d.gnttab->shm.ctl->nr_frames,
			       __ATOMIC_ACQUIRE);
}

static uint32_t nr_entries(void)
{
	return gnttab_shm_nr_entries(&fix.d.gnttab->shm);
}

static uint64_t first_table_pfn(void)
{
	return fix.fm.next_table_pfn;
}

/* ---- what the program names ------------------------------------------ */

static uint64_t pick_frame(struct in *in)
{
	uint8_t s = u8(in);
	unsigned int k = s / 10;

	switch (s % 10) {
	case 0: case 1: case 2: case 3:
		return DATA_PFN + k % NR_DATA;
	case 4:
		return OPS_PFN + k % 5;		/* arguments, the RO page */
	case 5:
		return first_table_pfn() +
		       k % (GF_RAM_PAGES - first_table_pfn());
	case 6:
		return gnttab_frame_mfn(&fix.d,
					k % (CONFIG_GNTTAB_MAX_FRAMES + 2));
	case 7:
		return GF_RAM_PAGES - 1 + k % 3;
	case 8:
		return u64(in);
	default:
		return k;
	}
}

static grant_ref_t pick_ref(struct in *in)
{
	uint8_t s = u8(in);

	switch (s % 8) {
	case 5:
		return edge_refs[s / 8 % ARRAY_SIZE(edge_refs)];
	case 6:
		return u32(in);
	case 7:
		return u16(in);
	default:
		return s / 8 % NR_REFS;
	}
}

static domid_t pick_domid(struct in *in)
{
	uint8_t s = u8(in);

	switch (s % 7) {
	case 0: case 1: case 2:
		return DOMID_SELF;
	case 3: case 4:
		return GF_DOMID;
	case 5:
		return 0;
	default:
		return u16(in);
	}
}

/* An offset or a length: mostly inside a page. */
static uint16_t pick_len(struct in *in, uint16_t max)
{
	uint8_t s = u8(in);

	switch (s % 8) {
	case 0: case 1:
		return 0;
	case 2:
		return max;
	case 3:
		return u16(in);
	default:
		return s / 8 * 131 % max + 1;
	}
}

/* A guest VA for uop or a frame list. */
static uint64_t pick_va(struct in *in)
{
	uint8_t s = u8(in);

	switch (s % 12) {
	case 7:
		return GF_RO_VA + u8(in) * 8;
	case 8:
		return GF_OPS_VA + OPS_BYTES - 1 - u8(in);	/* runs off */
	case 9:
		return u8(in) & 1 ? FM_RESERVED_START + u16(in) : 0x1000;
	case 10:
		return u64(in);
	case 11:
		return GF_OPS_VA + u16(in) % OPS_BYTES;
	default:
		return GF_OPS_VA + (uint64_t)u8(in) * 8;
	}
}

/* Host view of [va, va + len) if the fixture maps all of it, else NULL. */
static uint8_t *guest_ptr(uint64_t va, uint64_t len)
{
	if (va >= GF_OPS_VA && va <= GF_OPS_VA + OPS_BYTES &&
	    len <= GF_OPS_VA + OPS_BYTES - va)
		return gf_ram(&fix, GF_OPS_PA + (va - GF_OPS_VA));
	if (va >= GF_RO_VA && va <= GF_RO_VA + PAGE_SIZE &&
	    len <= GF_RO_VA + PAGE_SIZE - va)
		return gf_ram(&fix, GF_RO_PA + (va - GF_RO_VA));
	return NULL;
}

/* Bytes mapped from va on (0: none), as the fixture's tables say. */
static uint64_t mapped_room(uint64_t va)
{
	if (va >= GF_OPS_VA && va < GF_OPS_VA + OPS_BYTES)
		return GF_OPS_VA + OPS_BYTES - va;
	if (va >= GF_RO_VA && va < GF_RO_VA + PAGE_SIZE)
		return GF_RO_VA + PAGE_SIZE - va;
	return 0;
}

static void add_live(grant_ref_t ref)
{
	if (wild || ref >= MAX_ENTRIES)
		return;
	for (unsigned int i = 0; i < nr_live; i++)
		if (live[i] == ref)
			return;
	if (nr_live == MAX_LIVE)
		wild = true;
	else
		live[nr_live++] = ref;
}

/* ---- guest, engine and balloon ---------------------------------------- */

static void guest_write_entry(struct in *in)
{
	grant_ref_t ref = pick_ref(in) % NR_REFS;
	uint8_t s = u8(in);
	domid_t dom = pick_domid(in);
	uint32_t frame = (uint32_t)pick_frame(in);
	uint16_t flags;

	if (s & 0x80)
		ref = edge_refs[s % 6];		/* those inside the table */
	if (s & 0x40)
		flags = u16(in);
	else
		flags = (s & 1 ? GTF_readonly : 0) |
			(s & 2 ? GTF_sub_page : 0) |
			(s & 4 ? GTF_reading : 0) | (s & 8 ? GTF_writing : 0) |
			(s & 16 ? GTF_accept_transfer : GTF_permit_access);
	if (ref >= nr_entries())
		return;		/* not in a frame the guest has */
	add_live(ref);
	gf_entry(&fix, ref)->domid = dom;
	gf_entry(&fix, ref)->frame = frame;
	__atomic_store_n(&gf_entry(&fix, ref)->flags, flags, __ATOMIC_RELEASE);
}

static void freeze(uint64_t pfn, uint8_t why)
{
	if (!fstate[pfn])
		memcpy(snap[pfn], gf_ram(&fix, pfn << PAGE_SHIFT), PAGE_SIZE);
	fstate[pfn] |= why;
}

static void map_expect(grant_ref_t ref, uint64_t pfn, unsigned int *rd,
		       unsigned int *wr, uint32_t *writers);

static void engine(struct in *in)
{
	uint8_t s = u8(in);
	uint64_t pfn = DATA_PFN + s / 4 % NR_DATA;

	switch (s % 4) {
	case 0: {
		/*
		 * Between calls the only writers are writable grant maps:
		 * typing fails while one holds the frame, else succeeds.
		 */
		unsigned int rd, wr;
		uint32_t xw;

		map_expect(~0u, pfn, &rd, &wr, &xw);
		if (xw) {
			CHECK(!frame_protect(frames(), pfn));
			break;
		}
		CHECK(frame_protect(frames(), pfn));
		freeze(pfn, F_PROTECTED);
		break;
	}
	case 1:
		frame_unprotect(frames(), pfn);
		fstate[pfn] &= ~F_PROTECTED;
		break;
	case 2:
		frame_set_owned(frames(), pfn, false);
		freeze(pfn, F_BALLOONED);
		break;
	default:
		frame_set_owned(frames(), pfn, true);
		fstate[pfn] &= ~F_BALLOONED;
		break;
	}
}

/* ---- grant maps (the domain's maptrack is the model) ------------------ */

static uint64_t window_maddr(uint32_t h)
{
	return h < GF_MAP_SLOTS ? gnttab_map_slot_mfn(&fix.d, h) << PAGE_SHIFT
				: (uint64_t)h << PAGE_SHIFT;
}

/* Pins and writable references the maps held now account for. */
NO_COV static void map_expect(grant_ref_t ref, uint64_t pfn, unsigned int *rd,
			      unsigned int *wr, uint32_t *writers)
{
	const struct gnttab_maptrack *mt = fix.d.maptrack;

	*rd = *wr = 0;
	*writers = 0;
	for (uint32_t h = 0; mt && h < mt->nr; h++) {
		const struct gnttab_map_slot *sl = &mt->slots[h];
		unsigned int n = (unsigned int)__builtin_popcount(sl->held);
		bool ro = sl->flags & GNTMAP_readonly;

		if (!sl->peer)
			continue;
		if (sl->ref == ref)
			*(ro ? rd : wr) += n;
		if (!ro && sl->frame == pfn)
			*writers += n;
	}
}

/* A slot in use shows the granted frame; a free one its zero page. */
NO_COV static void check_window(void)
{
	static const uint8_t zero[PAGE_SIZE];
	const struct gnttab_maptrack *mt = fix.d.maptrack;

	for (uint32_t h = 0; mt && h < mt->nr; h++) {
		const struct gnttab_map_slot *sl = &mt->slots[h];
		const uint8_t *w = hv_page(&fix.d.hv, mt->hv_idx + h);

		if (sl->peer && sl->held)
			CHECK(!memcmp(w, gf_ram(&fix, (uint64_t)sl->frame <<
						    PAGE_SHIFT), PAGE_SIZE));
		else if (!sl->peer)
			CHECK(!memcmp(w, zero, PAGE_SIZE));
		/* Only device maps can succeed here: no page tables. */
		if (sl->peer)
			CHECK(!(sl->live & GNTMAP_host_map));
	}
}

/* ---- one hypercall ---------------------------------------------------- */

/* Structs as the program writes them; uop decides where they go. */
static void build_ops(struct in *in, unsigned int cmd, uint8_t *buf,
		      size_t room)
{
	unsigned int n = 1 + u8(in) % 8, i;
	size_t sz = 0;

	for (i = 0; i < n; i++) {
		union {
			struct gnttab_copy c;
			struct gnttab_map_grant_ref m;
			struct gnttab_setup_table st;
			struct gnttab_query_size q;
			struct gnttab_swap_grant_ref sw;
			struct gnttab_get_status_frames gs;
			struct gnttab_get_version gv;
			struct gnttab_set_version sv;
			uint8_t raw[40];
		} op;

		memset(&op, 0, sizeof(op));
		switch (cmd) {
		case GNTTABOP_copy: {
			uint8_t fl = u8(in);

			sz = sizeof(op.c);
			op.c.flags = fl & 0x80 ? u16(in) : fl & 3;
			op.c.source.domid = pick_domid(in);
			op.c.dest.domid = pick_domid(in);
			if (op.c.flags & GNTCOPY_source_gref)
				op.c.source.u.ref = pick_ref(in);
			else
				op.c.source.u.gmfn = pick_frame(in);
			if (op.c.flags & GNTCOPY_dest_gref)
				op.c.dest.u.ref = pick_ref(in);
			else
				op.c.dest.u.gmfn = pick_frame(in);
			op.c.source.offset = pick_len(in, 4095);
			op.c.dest.offset = pick_len(in, 4095);
			op.c.len = pick_len(in, 4096);
			op.c.status = 99;
			break;
		}
		case GNTTABOP_map_grant_ref:
			sz = sizeof(op.m);
			op.m.flags = u8(in) & 0x1f;
			op.m.ref = pick_ref(in);
			op.m.dom = pick_domid(in);
			op.m.host_addr = pick_va(in);
			op.m.status = 99;
			break;
		case GNTTABOP_setup_table:
			sz = sizeof(op.st);
			op.st.dom = pick_domid(in);
			op.st.nr_frames = u8(in) & 0x80 ? u32(in) : u8(in) % 70;
			op.st.frame_list = pick_va(in);
			op.st.status = 99;
			break;
		case GNTTABOP_query_size:
			sz = sizeof(op.q);
			op.q.dom = pick_domid(in);
			op.q.status = 99;
			break;
		case GNTTABOP_swap_grant_ref:
			sz = sizeof(op.sw);
			op.sw.ref_a = pick_ref(in);
			op.sw.ref_b = pick_ref(in);
			op.sw.status = 99;
			break;
		case GNTTABOP_get_status_frames:
			sz = sizeof(op.gs);
			op.gs.nr_frames = u8(in) & 0x80 ? u32(in) : u8(in) % 3;
			op.gs.dom = pick_domid(in);
			op.gs.frame_list = pick_va(in);
			op.gs.status = 99;
			break;
		case GNTTABOP_get_version:
			sz = sizeof(op.gv);
			op.gv.dom = pick_domid(in);
			break;
		case GNTTABOP_set_version:
			sz = sizeof(op.sv);
			op.sv.version = u8(in) & 0x80 ? u32(in) : u8(in) % 3;
			break;
		case GNTTABOP_unmap_grant_ref:
		case GNTTABOP_unmap_and_replace: {
			/* Mostly handles that exist, with their bus address. */
			uint8_t k = u8(in);
			uint32_t h = k & 0x80 ? u32(in) : k % (GF_MAP_SLOTS + 2);
			uint64_t bus = u8(in) & 1 ? window_maddr(h) : u64(in);

			sz = 24;
			memset(op.raw, 0, sizeof(op.raw));
			if (cmd == GNTTABOP_unmap_grant_ref) {
				struct gnttab_unmap_grant_ref *u = (void *)op.raw;

				u->host_addr = u8(in) & 1 ? 0 : pick_va(in);
				u->dev_bus_addr = u8(in) & 1 ? bus : 0;
				u->handle = h;
				u->status = 99;
			} else {
				struct gnttab_unmap_and_replace *u = (void *)op.raw;

				u->host_addr = pick_va(in);
				u->new_addr = u8(in) & 1 ? 0 : pick_va(in);
				u->handle = h;
				u->status = 99;
			}
			break;
		}
		default:	/* the rest: raw bytes */
			sz = 32;
			for (unsigned int j = 0; j < sz; j += 8) {
				uint64_t v = u8(in) & 1 ? u64(in) : u8(in);

				memcpy(op.raw + j, &v, 8);
			}
			break;
		}
		if ((i + 1) * sz <= room)
			memcpy(buf + i * sz, &op, sz);
	}
}

/* One side of a copy as the program set it up before the call. */
struct side {
	bool ok;		/* may succeed at all */
	uint64_t pfn;		/* RAM frame, or ~0 for a hypervisor frame */
};

static struct side copy_side(const struct gnttab_copy_ptr *p, bool gref,
			     bool dest)
{
	struct side s = { .ok = false, .pfn = ~0ull };

	if (!gref) {
		/* Xen: only DOMID_SELF may be named by frame. */
		if (p->domid != DOMID_SELF)
			return s;
		if (p->u.gmfn >= GF_RAM_PAGES) {
			/* Of the hypervisor's frames, only grant frames. */
			uint64_t mfn = p->u.gmfn;

			s.ok = mfn >= gnttab_frame_mfn(&fix.d, 0) &&
			       mfn < gnttab_frame_mfn(&fix.d, nr_frames());
			return s;
		}
		s.pfn = p->u.gmfn;
	} else {
		const struct grant_entry_v1 *e;
		uint16_t flags;

		if ((p->domid != DOMID_SELF && p->domid != GF_DOMID) ||
		    p->u.ref >= nr_entries())
			return s;
		e = gf_entry(&fix, p->u.ref);
		flags = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);
		if ((flags & GTF_type_mask) != GTF_permit_access ||
		    e->domid != GF_DOMID || (dest && (flags & GTF_readonly)) ||
		    e->frame >= GF_RAM_PAGES)
			return s;
		s.pfn = e->frame;
	}
	s.ok = !(fstate[s.pfn] & F_BALLOONED) &&
	       !(dest && (fstate[s.pfn] & F_PROTECTED));
	return s;
}

/* A copy whose destination can change grant entries or later ops. */
static bool copy_is_wild(const struct gnttab_copy *c)
{
	struct side d = copy_side(&c->dest, c->flags & GNTCOPY_dest_gref, true);

	if (!c->len)
		return false;
	if (!(c->flags & GNTCOPY_dest_gref) && c->dest.u.gmfn >= GF_RAM_PAGES)
		return true;
	if (c->flags & GNTCOPY_dest_gref) {
		/* Whatever it names, where it points now. */
		if (c->dest.u.ref < nr_entries())
			d.pfn = gf_entry(&fix, c->dest.u.ref)->frame;
	}
	return d.pfn >= OPS_PFN && d.pfn <= OPS_PFN + 4;
}

NO_COV static void check_pin(grant_ref_t r)
{
	unsigned int rd, wr, xrd, xwr;
	uint32_t xw;

	gnttab_pins(&fix.d.gnttab->shm, r, &rd, &wr);
	map_expect(r, ~0ull, &xrd, &xwr, &xw);
	CHECK(rd == xrd && wr == xwr);
}

NO_COV static void check_pins(bool all)
{
	if (all || wild) {
		for (grant_ref_t r = 0; r < nr_entries(); r++)
			check_pin(r);
		return;
	}
	for (unsigned int i = 0; i < nr_live; i++)
		check_pin(live[i]);
}

/* Unpinned entries of live refs with GTF_reading / GTF_writing set. */
NO_COV static void count_busy(unsigned int *reading, unsigned int *writing)
{
	uint32_t n = nr_entries();

	*reading = *writing = 0;
	for (unsigned int i = 0; i < nr_live; i++) {
		uint16_t fl;

		unsigned int rd, wr;

		if (live[i] >= n)
			continue;
		/* A map's pin explains its bits. */
		gnttab_pins(&fix.d.gnttab->shm, live[i], &rd, &wr);
		if (rd + wr)
			continue;
		fl = __atomic_load_n(&gf_entry(&fix, live[i])->flags,
				     __ATOMIC_ACQUIRE);
		*reading += !!(fl & GTF_reading);
		*writing += !!(fl & GTF_writing);
	}
}

NO_COV static void check_frames(void)
{
	for (uint64_t pfn = 0; pfn < GF_RAM_PAGES; pfn++) {
		const uint8_t *now = gf_ram(&fix, pfn << PAGE_SHIFT);

		unsigned int rd, wr;
		uint32_t xw;

		map_expect(~0u, pfn, &rd, &wr, &xw);
		CHECK(frame_writers(frames(), pfn) == xw);
		/* Never a writable map of a table-typed frame. */
		if (fstate[pfn] & F_PROTECTED)
			CHECK(xw == 0);
		if (fstate[pfn])
			CHECK(!memcmp(snap[pfn], now, PAGE_SIZE));
	}
}

static int16_t copy_status(const uint8_t *ops, unsigned int i)
{
	int16_t st;

	memcpy(&st, ops + i * sizeof(struct gnttab_copy) +
	       offsetof(struct gnttab_copy, status), sizeof(st));
	return st;
}

/* Field at off of op i (size sz) at uop, after the call; false: unmapped. */
static bool op_field(uint64_t uop, unsigned int i, size_t sz, size_t off,
		     void *val, size_t len)
{
	const uint8_t *p = guest_ptr(uop + (uint64_t)i * sz, sz);

	if (!p)
		return false;
	memcpy(val, p + off, len);
	return true;
}

#define OP_STATUS(uop, i, type, st)					\
	op_field(uop, i, sizeof(struct type),				\
		 offsetof(struct type, status), st, sizeof(*(st)))

union one_op {
	struct gnttab_setup_table st;
	struct gnttab_query_size q;
	struct gnttab_swap_grant_ref sw;
	struct gnttab_get_status_frames gs;
	struct gnttab_get_version gv;
	struct gnttab_set_version sv;
};

static size_t one_op_size(unsigned int cmd)
{
	switch (cmd) {
	case GNTTABOP_setup_table:
		return sizeof(struct gnttab_setup_table);
	case GNTTABOP_query_size:
		return sizeof(struct gnttab_query_size);
	case GNTTABOP_swap_grant_ref:
		return sizeof(struct gnttab_swap_grant_ref);
	case GNTTABOP_get_status_frames:
		return sizeof(struct gnttab_get_status_frames);
	case GNTTABOP_get_version:
		return sizeof(struct gnttab_get_version);
	case GNTTABOP_set_version:
		return sizeof(struct gnttab_set_version);
	default:
		return 1;
	}
}

/* Before the call: the first op, and the entries a lone swap names. */
struct other_pre {
	bool mapped;
	union one_op op;
	uint32_t ea[2], eb[2];
	bool ver_read;		/* set_version: the answer, read at once */
	uint32_t ver_after;
};

static void snap_entry(grant_ref_t r, uint32_t w[2])
{
	w[0] = w[1] = 0;
	if (r < nr_entries())
		memcpy(w, gf_entry(&fix, r), 8);
}

/* Every other op that reports success was allowed and did its job. */
static void check_others(unsigned int cmd, uint64_t uop, unsigned int count,
			 long rc, const struct other_pre *pre)
{
	int16_t st;

	if (cmd == GNTTABOP_set_version) {
		/*
		 * 0: the version asked for is in force (no pins are held
		 * between calls, so nothing makes v1 -> v2 busy); -EINVAL:
		 * no such version (or a negative count: nothing written).
		 */
		CHECK(!rc || rc == -EINVAL || rc == -EFAULT);
		if (!rc && pre->mapped && pre->ver_read)
			CHECK(pre->ver_after == pre->op.sv.version);
		if (rc == -EINVAL && pre->mapped && pre->ver_read &&
		    (int)count >= 0)
			CHECK(pre->ver_after == 1 &&
			      pre->op.sv.version != 1 &&
			      pre->op.sv.version != 2);
		return;
	}
	if (rc)
		return;
	switch (cmd) {
	case GNTTABOP_map_grant_ref:
		/* A map that succeeds holds a slot for what it named. */
		for (unsigned int i = 0; i < count && i < 1024; i++) {
			struct gnttab_map_grant_ref m;
			const uint8_t *p = guest_ptr(uop + (uint64_t)i *
						     sizeof(m), sizeof(m));

			if (!p)
				break;
			memcpy(&m, p, sizeof(m));
			CHECK(m.status <= GNTST_okay &&
			      m.status >= GNTST_no_space);
			if (m.status)
				continue;
			CHECK(m.dom == GF_DOMID && m.handle < GF_MAP_SLOTS &&
			      m.dev_bus_addr == window_maddr(m.handle) &&
			      (m.flags & GNTMAP_device_map) &&
			      !(m.flags & GNTMAP_host_map));
		}
		break;
	case GNTTABOP_unmap_grant_ref:
	case GNTTABOP_unmap_and_replace:
		for (unsigned int i = 0; i < count && i < 1024; i++) {
			if (cmd == GNTTABOP_unmap_grant_ref ?
			    !OP_STATUS(uop, i, gnttab_unmap_grant_ref, &st) :
			    !OP_STATUS(uop, i, gnttab_unmap_and_replace, &st))
				break;
			CHECK(st == GNTST_okay || st == GNTST_bad_handle ||
			      st == GNTST_bad_dev_addr ||
			      st == GNTST_general_error);
		}
		break;
	case GNTTABOP_swap_grant_ref:
		for (unsigned int i = 0; i < count && i < 1024; i++) {
			if (!OP_STATUS(uop, i, gnttab_swap_grant_ref, &st))
				break;
			CHECK(st <= GNTST_okay && st >= GNTST_no_space);
		}
		if (count == 1 && pre->mapped &&
		    OP_STATUS(uop, 0, gnttab_swap_grant_ref, &st) && !st) {
			uint32_t a[2], b[2];

			CHECK(pre->op.sw.ref_a < nr_entries() &&
			      pre->op.sw.ref_b < nr_entries());
			snap_entry(pre->op.sw.ref_a, a);
			snap_entry(pre->op.sw.ref_b, b);
			CHECK(!memcmp(a, pre->eb, 8) && !memcmp(b, pre->ea, 8));
		}
		break;
	case GNTTABOP_setup_table: {
		const struct gnttab_setup_table *o = &pre->op.st;
		uint64_t end = o->frame_list + (uint64_t)o->nr_frames * 8;

		if (!pre->mapped ||
		    !OP_STATUS(uop, 0, gnttab_setup_table, &st) || st)
			break;
		CHECK(o->dom == DOMID_SELF || o->dom == GF_DOMID);
		CHECK(o->nr_frames <= CONFIG_GNTTAB_MAX_FRAMES &&
		      nr_frames() >= o->nr_frames);
		/* The list as written, unless the status landed on it. */
		if (o->nr_frames &&
		    guest_ptr(o->frame_list, end - o->frame_list) &&
		    (end <= uop || o->frame_list >= uop + sizeof(*o))) {
			const uint8_t *l = guest_ptr(o->frame_list, 8);

			for (uint32_t i = 0; i < o->nr_frames; i++) {
				uint64_t mfn;

				memcpy(&mfn, l + i * 8, 8);
				CHECK(mfn == gnttab_frame_mfn(&fix.d, i));
			}
		}
		break;
	}
	case GNTTABOP_query_size: {
		struct gnttab_query_size q;

		if (pre->mapped &&
		    op_field(uop, 0, sizeof(q), 0, &q, sizeof(q)) && !q.status)
			CHECK(q.nr_frames == nr_frames() &&
			      q.max_nr_frames == CONFIG_GNTTAB_MAX_FRAMES);
		break;
	}
	case GNTTABOP_get_status_frames:
		/* v1: there are none to give. */
		if (pre->mapped &&
		    OP_STATUS(uop, 0, gnttab_get_status_frames, &st) && !st)
			CHECK(pre->op.gs.nr_frames == 0);
		break;
	case GNTTABOP_get_version: {
		uint32_t ver;

		if (op_field(uop, 0, sizeof(pre->op.gv),
			     offsetof(struct gnttab_get_version, version), &ver,
			     sizeof(ver)))
			CHECK(ver == 1);
		break;
	}
	}
}

/* The copy ops of a call as they stand before it. */
struct copy_pre {
	struct gnttab_copy c;
	struct side s, d;
};

static struct copy_pre copies[OPS_BYTES / sizeof(struct gnttab_copy)];
static uint8_t src_bytes[PAGE_SIZE];	/* what a lone copy reads */

/* What the hypervisor will read; *wild_call if a copy can change it. */
static unsigned int scan_copies(uint64_t uop, unsigned int count,
				bool *wild_call)
{
	const size_t sz = sizeof(struct gnttab_copy);
	unsigned int n = 0;

	for (; n < count && n < ARRAY_SIZE(copies); n++) {
		struct copy_pre *c = &copies[n];
		const uint8_t *p = guest_ptr(uop + (uint64_t)n * sz, sz);
		bool sg, dg;

		if (!p)
			break;
		memcpy(&c->c, p, sz);
		sg = c->c.flags & GNTCOPY_source_gref;
		dg = c->c.flags & GNTCOPY_dest_gref;
		c->s = copy_side(&c->c.source, sg, false);
		c->d = copy_side(&c->c.dest, dg, true);
		if (sg)
			add_live(c->c.source.u.ref);
		if (dg)
			add_live(c->c.dest.u.ref);
		*wild_call |= copy_is_wild(&c->c);
	}
	if (n == 1 && copies[0].s.ok && copies[0].s.pfn != ~0ull)
		memcpy(src_bytes,
		       gf_ram(&fix, copies[0].s.pfn << PAGE_SHIFT), PAGE_SIZE);
	return n;
}

/* Copies that report success were allowed; a lone one moved the bytes. */
static void check_copies(uint64_t uop, unsigned int n)
{
	const uint8_t *ops = guest_ptr(uop, 1);
	const struct copy_pre *c = &copies[0];

	for (unsigned int i = 0; i < n; i++) {
		const struct copy_pre *o = &copies[i];
		int16_t st = copy_status(ops, i);

		CHECK(st <= 0 && st >= GNTST_no_space);
		if (st != GNTST_okay || !o->c.len)
			continue;
		CHECK(o->s.ok && o->d.ok);
		CHECK(o->c.source.offset + o->c.len <= PAGE_SIZE &&
		      o->c.dest.offset + o->c.len <= PAGE_SIZE);
	}
	if (n != 1 || !c->c.len || c->s.pfn == ~0ull || c->d.pfn == ~0ull ||
	    copy_status(ops, 0) != GNTST_okay)
		return;
	CHECK(!memcmp(gf_ram(&fix, (c->d.pfn << PAGE_SHIFT) + c->c.dest.offset),
		      src_bytes + c->c.source.offset, c->c.len));
}

/* The first op of any other call, and the refs its swaps name. */
static void scan_other(unsigned int cmd, uint64_t uop, unsigned int count,
		       struct other_pre *o)
{
	const size_t sz = one_op_size(cmd);
	const uint8_t *p = guest_ptr(uop, sz);

	memset(o, 0, sizeof(*o));
	o->mapped = p;
	if (p)
		memcpy(&o->op, p, sz);	/* uop need not be aligned */
	if (cmd != GNTTABOP_swap_grant_ref)
		return;
	snap_entry(o->op.sw.ref_a, o->ea);
	snap_entry(o->op.sw.ref_b, o->eb);
	for (unsigned int i = 0; i < count && i < 1024; i++) {
		struct gnttab_swap_grant_ref sw;

		p = guest_ptr(uop + (uint64_t)i * sizeof(sw), sizeof(sw));
		if (!p)
			break;
		memcpy(&sw, p, sizeof(sw));
		add_live(sw.ref_a);
		add_live(sw.ref_b);
	}
}

/*
 * Undo a switch to v2. A reserved entry v1 cannot hold (a v1 entry the
 * program typed transitive comes back so) makes it -ERANGE, as in Xen:
 * the guest's way out is to clear such entries, so do that.
 */
static void back_to_v1(void)
{
	int rc = gnttab_switch_version(&fix.d, 1);

	if (rc == -ERANGE) {
		for (grant_ref_t r = 0; r < GNTTAB_NR_RESERVED_ENTRIES; r++) {
			union grant_entry_v2 *e =
				(union grant_entry_v2 *)fix.d.gnttab->shm.shared + r;

			if ((e->hdr.flags & GTF_type_mask) == GTF_transitive ||
			    e->full_page.frame >> 32)
				e->hdr.flags = 0;
		}
		rc = gnttab_switch_version(&fix.d, 1);
	}
	CHECK(rc == 0);
}

static void hypercall(struct in *in)
{
	static const unsigned int cmds[] = {
		GNTTABOP_copy, GNTTABOP_copy, GNTTABOP_copy, GNTTABOP_copy,
		GNTTABOP_setup_table, GNTTABOP_query_size,
		GNTTABOP_swap_grant_ref, GNTTABOP_swap_grant_ref,
		GNTTABOP_map_grant_ref, GNTTABOP_unmap_grant_ref,
		GNTTABOP_unmap_and_replace, GNTTABOP_set_version,
		GNTTABOP_get_version, GNTTABOP_get_status_frames,
		GNTTABOP_transfer, GNTTABOP_dump_table,
	};
	static uint8_t scratch[OPS_BYTES];
	static struct other_pre other;
	uint8_t s = u8(in);
	unsigned int cmd = cmds[s % 16], count, nr_copies = 0;
	unsigned int rd0, wr0, rd1, wr1;
	bool call_wild = false, plain;
	uint64_t uop, room;
	long rc;

	if (s >= 0xf0)	/* continuation bits, or any number */
		cmd = s & 1 ? u32(in) : (uint32_t)u8(in) << 12 | cmd;
	plain = !(cmd & ~0xfffu);
	uop = pick_va(in);
	s = u8(in);
	count = s < 0xf0 ? s % 9 : s & 1 ? u32(in) : u16(in);
	/* The program's structs go wherever uop points, as far as mapped. */
	room = mapped_room(uop);
	build_ops(in, cmd & 0xfff, room ? guest_ptr(uop, room) : scratch,
		  room ? room : sizeof(scratch));

	if (plain && cmd == GNTTABOP_copy)
		nr_copies = scan_copies(uop, count, &call_wild);
	else if (plain)
		scan_other(cmd, uop, count, &other);
	count_busy(&rd0, &wr0);

	rc = gf_op(&fix, cmd, uop, count);
	CHECK(rc <= 0 && rc > -4096);
	/*
	 * The oracles here model v1 entries: a switch to v2 is undone at
	 * once (unit tests and the grantv2 guest cover v2 itself), after
	 * its answer is read: uop may lie in the grant frames it clears.
	 */
	if (plain && cmd == GNTTABOP_set_version)
		other.ver_read = op_field(uop, 0, sizeof(other.op.sv), 0,
					  &other.ver_after,
					  sizeof(other.ver_after));
	if (gnttab_shm_version(&fix.d.gnttab->shm) == 2)
		back_to_v1();

	if (call_wild)
		wild = true;
	check_pins(false);
	check_frames();
	check_window();
	if (!wild) {
		/* Only pins set these: no new ones without a pin. */
		count_busy(&rd1, &wr1);
		CHECK(rd1 <= rd0 && wr1 <= wr0);
	}
	if (plain && cmd == GNTTABOP_copy && nr_copies && !call_wild && !rc)
		check_copies(uop, nr_copies);
	else if (plain && cmd != GNTTABOP_copy)
		check_others(cmd, uop, count, rc, &other);
}

/* ---- the program ------------------------------------------------------ */

NO_COV static void fixture_up(void)
{
	/* Distinct bytes in every data frame, so copies can be checked. */
	static uint8_t data_bytes[NR_DATA][PAGE_SIZE];

	if (gnt_fix_init(&fix))
		abort();
	memset(fstate, 0, sizeof(fstate));
	nr_live = 0;
	wild = false;
	for (grant_ref_t r = 0; r < NR_REFS; r++)
		add_live(r);
	for (unsigned int i = 0; i < ARRAY_SIZE(edge_refs); i++)
		add_live(edge_refs[i]);
	/* The engine types the fixture's own page tables. */
	for (uint64_t pfn = first_table_pfn(); pfn < GF_RAM_PAGES; pfn++) {
		CHECK(frame_protect(frames(), pfn));
		freeze(pfn, F_PROTECTED);
	}
	if (!data_bytes[0][1]) {
		for (unsigned int i = 0; i < NR_DATA; i++)
			for (unsigned int j = 0; j < PAGE_SIZE; j++)
				data_bytes[i][j] = (uint8_t)(i * 37 + j * 13 +
							     (j >> 8));
	}
	memcpy(gf_ram(&fix, DATA_PFN << PAGE_SHIFT), data_bytes,
	       sizeof(data_bytes));
}

static void discard(enum log_level level, const char *line)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	unsigned int calls = 0;

	pv_log_set_sink(discard);
	fixture_up();
	while (in.n && calls < MAX_CALLS) {
		uint8_t s = u8(&in);

		switch (s % 8) {
		case 0: case 1:
			guest_write_entry(&in);
			break;
		case 2: {
			grant_ref_t r = pick_ref(&in) % NR_REFS;

			if (s & 0x80)
				gf_revoke(&fix, r);
			else	/* by force, pins or not */
				__atomic_store_n(&gf_entry(&fix, r)->flags, 0,
						 __ATOMIC_RELEASE);
			break;
		}
		case 3:
			engine(&in);
			break;
		default:
			hypercall(&in);
			calls++;
			break;
		}
	}
	/* The mapper dies: every map's pin and reference goes. */
	gnttab_map_domain_fini(&fix.d);
	check_pins(true);
	check_frames();
	gnt_fix_fini(&fix);
	return 0;
}

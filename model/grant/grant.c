/*
 * model/grant/grant.c - Xen grant tables (see grant.h).
 *
 * Invariants:
 *  - A domain's shared table is nr_frames frames of GNT_V1/V2_PER_FRAME
 *    entries at frame[i] (machine addresses); v2 adds nr_status status
 *    frames. Their bytes live in physmem only.
 *  - act[ref].pin != 0 exactly while some mapping or copy holds entry REF;
 *    then act[ref].domid is the domain holding it and act_pa[] its frames,
 *    and the entry's GTF_reading (any pin) / GTF_writing (a writable pin)
 *    are set, in the entry (v1) or its status (v2).
 *  - Maptrack: handles below mt_limit (256 per frame); a free entry has
 *    flags 0 and its ref field links the free list mt_head -> ... ->
 *    mt_tail (ref MAPTRACK_TAIL). The list always keeps its last entry.
 * Nothing here allocates on the map/unmap/copy path.
 */
#include "grant.h"

#include <stdlib.h>
#include <string.h>

#define INVALID_HANDLE UINT32_MAX
#define PIN_W_MASK (GNTPIN_hstw_mask | GNTPIN_devw_mask)
#define FRAMES_MAX 16u      /* 4 KB frames in the largest grant (64 KB) */

typedef struct act_entry {      /* struct active_grant_entry */
	uint32_t pin;
	uint16_t domid;             /* the domain holding it (pin != 0) */
	uint16_t start;             /* sub-page grants: the range */
	uint32_t length;
	uint8_t sub_page;
} act_entry;

typedef struct mt_entry {       /* struct grant_mapping (vcpu: one, not kept) */
	uint32_t ref;               /* the grant ref; free: the next free handle */
	uint16_t flags;             /* GNTMAP_*; 0: free */
	uint16_t domid;             /* the granting domain */
} mt_entry;

typedef struct gdom {
	grant_dom_cfg c;
	grant_dom_ops ops;
	unsigned version;
	unsigned nr_frames, nr_status;
	uint64_t *frame;            /* [max_frames] shared frames */
	uint64_t *status;           /* [status frames of max_frames] (v2) */
	act_entry *act;             /* [max_frames * GNT_V1_PER_FRAME] */
	uint64_t *act_pa;           /* [same * frames per grant] */
	mt_entry *mt;               /* [max_maptrack_frames * 256] */
	uint32_t mt_limit, mt_head, mt_tail, mt_used;
} gdom;

struct grant_sys {
	grant_sys_cfg c;
	physmem *mem;
	unsigned fpg;               /* 4 KB frames per grant */
	gdom **dom;
	size_t ndom;
	grant_counters n;
};

/* ---------------------------------------------------------------- bytes */

/* Little-endian fields (x86 and arm64 guests) inside one 64-bit word. A
 * failed write (out of memory) leaves physmem_out_of_memory() set for the
 * caller to see. */
static uint64_t get(const physmem *m, uint64_t pa, unsigned bytes)
{
	uint64_t w = physmem_read64(m, pa & ~UINT64_C(7));
	if (bytes == 8)
		return w;
	return (w >> (8 * (pa & 7))) & ((UINT64_C(1) << (8 * bytes)) - 1);
}

static void put(physmem *m, uint64_t pa, unsigned bytes, uint64_t v)
{
	uint64_t a = pa & ~UINT64_C(7), w = v;
	if (bytes != 8) {
		unsigned sh = 8 * (unsigned)(pa & 7);
		uint64_t mask = ((UINT64_C(1) << (8 * bytes)) - 1) << sh;
		w = (physmem_read64(m, a) & ~mask) | ((v << sh) & mask);
	}
	(void)physmem_write64(m, a, w);
}

/* ---------------------------------------------------------------- domains */

static gdom *find(const grant_sys *s, uint16_t domid)
{
	for (size_t i = 0; i < s->ndom; i++)
		if (s->dom[i]->c.domid == domid)
			return s->dom[i];
	return NULL;
}

/* rcu_lock_domain_by_any_id: DOMID_SELF is the caller. */
static gdom *find_any(const grant_sys *s, gdom *self, uint16_t domid)
{
	return domid == DOMID_SELF ? self : find(s, domid);
}

static unsigned per_frame(const gdom *d)
{
	return d->version == 1 ? GNT_V1_PER_FRAME : GNT_V2_PER_FRAME;
}

static unsigned nr_entries(const gdom *d) { return d->nr_frames * per_frame(d); }

static unsigned status_frames_for(unsigned grant_frames)
{
	return (grant_frames * GNT_V2_PER_FRAME + GNT_STATUS_PER_FRAME - 1) / GNT_STATUS_PER_FRAME;
}

static uint64_t entry_pa(const gdom *d, uint32_t ref)
{
	unsigned pf = per_frame(d);
	return d->frame[ref / pf] + (uint64_t)(ref % pf) * (d->version == 1 ? GNT_V1_ENTRY_BYTES :
							     GNT_V2_ENTRY_BYTES);
}

/* Where GTF_reading / GTF_writing of REF live: the entry's flags (v1) or
 * its status entry (v2). */
static uint64_t status_pa(const gdom *d, uint32_t ref)
{
	if (d->version == 1)
		return entry_pa(d, ref) + GNT_V1_FLAGS_OFF;
	return d->status[ref / GNT_STATUS_PER_FRAME] + (uint64_t)(ref % GNT_STATUS_PER_FRAME) *
	       GNT_STATUS_BYTES;
}

static void clear_flags(grant_sys *s, const gdom *d, uint32_t ref, uint64_t mask)
{
	uint64_t pa = status_pa(d, ref);
	put(s->mem, pa, 2, get(s->mem, pa, 2) & ~mask);
}

/* gnttab_grow_table: frames up to NR (at least the initial count), and v2's
 * status frames. 0, or -1 out of memory. */
static int grow(grant_sys *s, gdom *d, unsigned nr)
{
	if (nr < GNT_INITIAL_NR_FRAMES)
		nr = GNT_INITIAL_NR_FRAMES;
	for (unsigned i = d->nr_frames; i < nr; i++)
		if (s->c.alloc_frame(s->c.alloc_ctx, &d->frame[i]))
			return -1;
	if (d->version == 2) {
		unsigned want = status_frames_for(nr);
		for (unsigned i = d->nr_status; i < want; i++)
			if (s->c.alloc_frame(s->c.alloc_ctx, &d->status[i]))
				return -1;
		if (want > d->nr_status)
			d->nr_status = want;
	}
	if (nr > d->nr_frames)
		d->nr_frames = nr;
	return 0;
}

/* ---------------------------------------------------------------- lifecycle */

int grant_sys_create(grant_sys **out, const grant_sys_cfg *cfg, physmem *mem)
{
	*out = NULL;
	grant_sys *s = calloc(1, sizeof(*s));
	if (!s)
		return -1;
	s->c = *cfg;
	s->mem = mem;
	s->fpg = 1u << (cfg->grant_shift - XEN_PAGE_SHIFT);
	*out = s;
	return 0;
}

static void dom_free(gdom *d)
{
	if (!d)
		return;
	free(d->frame);
	free(d->status);
	free(d->act);
	free(d->act_pa);
	free(d->mt);
	free(d);
}

void grant_sys_destroy(grant_sys *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ndom; i++)
		dom_free(s->dom[i]);
	free(s->dom);
	free(s);
}

int grant_domain_add(grant_sys *s, const grant_dom_cfg *c, const grant_dom_ops *ops)
{
	if (c->domid >= DOMID_FIRST_RESERVED || find(s, c->domid) || c->max_frames == 0)
		return -1;
	gdom *d = calloc(1, sizeof(*d));
	gdom **nd = realloc(s->dom, (s->ndom + 1) * sizeof(*nd));
	if (!d || !nd) {
		free(d);
		return -1;
	}
	s->dom = nd;
	size_t ents = (size_t)c->max_frames * GNT_V1_PER_FRAME;
	d->c = *c;
	d->ops = *ops;
	d->version = 1;
	d->frame = calloc(c->max_frames, sizeof(*d->frame));
	d->status = calloc(status_frames_for(c->max_frames), sizeof(*d->status));
	d->act = calloc(ents, sizeof(*d->act));
	d->act_pa = calloc(ents * s->fpg, sizeof(*d->act_pa));
	d->mt = calloc((size_t)c->max_maptrack_frames * GNT_MAPTRACK_PER_FRAME + 1, sizeof(*d->mt));
	d->mt_head = d->mt_tail = GNT_MAPTRACK_TAIL;
	if (!d->frame || !d->status || !d->act || !d->act_pa || !d->mt || grow(s, d, 0)) {
		dom_free(d);
		return -1;
	}
	s->dom[s->ndom++] = d;
	return 0;
}

/* ---------------------------------------------------------------- maptrack */

/* get_maptrack_handle for a domain mapping from one vCPU: take the head of
 * the free list unless it is the last entry (Xen keeps one), else add a
 * maptrack frame (its first entry is the handle, the rest go to the head of
 * the list) while below the limit. INVALID_HANDLE when full. */
static uint32_t mt_get(gdom *d)
{
	if (d->mt_head != GNT_MAPTRACK_TAIL) {
		uint32_t next = d->mt[d->mt_head].ref;
		if (next != GNT_MAPTRACK_TAIL) {
			uint32_t h = d->mt_head;
			d->mt_head = next;
			d->mt_used++;
			return h;
		}
	}
	if (d->mt_limit / GNT_MAPTRACK_PER_FRAME >= d->c.max_maptrack_frames)
		return INVALID_HANDLE;   /* and no other vCPU to steal from */
	uint32_t h = d->mt_limit;
	for (uint32_t i = 0; i < GNT_MAPTRACK_PER_FRAME; i++)
		d->mt[h + i] = (mt_entry){ .ref = h + i + 1 };
	if (d->mt_tail == GNT_MAPTRACK_TAIL)
		d->mt_tail = h + GNT_MAPTRACK_PER_FRAME - 1;
	d->mt[h + GNT_MAPTRACK_PER_FRAME - 1].ref = d->mt_head;
	d->mt_head = h + 1;
	d->mt_limit += GNT_MAPTRACK_PER_FRAME;
	d->mt_used++;
	return h;
}

/* put_maptrack_handle: to the tail of the free list. */
static void mt_put(gdom *d, uint32_t h)
{
	d->mt[h].ref = GNT_MAPTRACK_TAIL;
	d->mt[h].flags = 0;
	uint32_t prev = d->mt_tail;
	d->mt_tail = h;
	d->mt[prev].ref = h;
	d->mt_used--;
}

/* ---------------------------------------------------------------- pinning */

/* _set_status_v1 / _v2: check the entry may be pinned by LDOMID (type
 * permit_access - or, v2, transitive - and, with MAPFLAG, not sub_page; the
 * right domid; no write pin of a read-only grant) and set GTF_reading [|
 * GTF_writing]. */
static int set_status(grant_sys *s, const gdom *rd, uint32_t ref, const act_entry *act,
		      int readonly, int mapflag, uint16_t ldomid)
{
	uint64_t e = entry_pa(rd, ref);
	uint64_t mask = GTF_type_mask | (mapflag ? GTF_sub_page : 0);
	uint64_t flags = get(s->mem, e + GNT_V1_FLAGS_OFF, 2);
	uint64_t domid = get(s->mem, e + GNT_V1_DOMID_OFF, 2);
	uint64_t type = flags & mask;
	int type_ok = type == GTF_permit_access || (rd->version == 2 && type == GTF_transitive);
	if (!act->pin && (!type_ok || domid != ldomid))
		return GNTST_general_error;   /* "Bad flags or dom": wrong domain, not granted */
	if (!readonly && (flags & GTF_readonly))
		return GNTST_general_error;   /* "Attempt to write-pin a r/o grant entry" */
	uint64_t sp = status_pa(rd, ref);
	put(s->mem, sp, 2, get(s->mem, sp, 2) | GTF_reading | (readonly ? 0 : GTF_writing));
	return GNTST_okay;
}

/* get_paged_frame for every 4 KB frame of a grant at GFN. */
static int paged_frames(const gdom *rd, uint64_t gfn, unsigned n, uint64_t *pa)
{
	if (gfn & (n - 1))
		return GNTST_bad_page;   /* a 64 KB grant is naturally aligned */
	for (unsigned i = 0; i < n; i++)
		if (rd->ops.gfn_to_pa(rd->ops.ctx, gfn + i, &pa[i]))
			return GNTST_bad_page;
	return GNTST_okay;
}

/* The frame field of entry REF (v2: full_page or sub_page, at one offset). */
static uint64_t entry_frame(const grant_sys *s, const gdom *rd, uint32_t ref)
{
	uint64_t e = entry_pa(rd, ref);
	return rd->version == 1 ? get(s->mem, e + GNT_V1_FRAME_OFF, 4)
				: get(s->mem, e + GNT_V2_FULL_FRAME_OFF, 8);
}

/* Drop what a failed pin attempt set (unlock_out_clear). */
static void unpin_flags(grant_sys *s, const gdom *rd, uint32_t ref, const act_entry *act,
			int readonly)
{
	uint64_t clear = 0;
	if (!readonly && !(act->pin & PIN_W_MASK))
		clear |= GTF_writing;
	if (!act->pin)
		clear |= GTF_reading;
	if (clear)
		clear_flags(s, rd, ref, clear);
}

/* ---------------------------------------------------------------- map */

static int map_one(grant_sys *s, gdom *ld, grant_map_op *op)
{
	uint32_t fl = op->flags;
	int ro = (fl & GNTMAP_readonly) != 0;
	if (!(fl & (GNTMAP_device_map | GNTMAP_host_map)))
		return GNTST_bad_gntref;   /* "Bad flags in grant map op" */
	if (ld->c.translated &&
	    (fl & (GNTMAP_device_map | GNTMAP_application_map | GNTMAP_contains_pte)))
		return GNTST_general_error;   /* "No device mapping in HVM domain" */
	gdom *rd = find(s, op->dom);
	if (!rd)
		return GNTST_bad_domain;
	uint32_t handle = mt_get(ld);
	if (handle == INVALID_HANDLE)
		return GNTST_no_space;        /* GNTST_no_device_space before Xen 4.17 */
	int rc = GNTST_okay;
	uint32_t ref = op->ref;
	act_entry *act = NULL;
	uint64_t *pa = NULL;
	if (ref >= nr_entries(rd)) {
		rc = GNTST_bad_gntref;
		goto put_handle;
	}
	act = &rd->act[ref];
	pa = &rd->act_pa[(size_t)ref * s->fpg];
	if (act->pin && (act->domid != ld->c.domid || (act->pin & GNTPIN_OVERFLOW_MASK) ||
			 act->sub_page)) {
		rc = GNTST_general_error;     /* held by another domain, or would overflow */
		goto put_handle;
	}
	if (!act->pin || (!ro && !(act->pin & PIN_W_MASK))) {
		rc = set_status(s, rd, ref, act, ro, 1, ld->c.domid);
		if (rc != GNTST_okay)
			goto put_handle;
		if (!act->pin) {
			rc = paged_frames(rd, entry_frame(s, rd, ref), s->fpg, pa);
			if (rc != GNTST_okay) {
				unpin_flags(s, rd, ref, act, ro);
				goto put_handle;
			}
			act->domid = ld->c.domid;
			act->start = 0;
			act->length = s->fpg * XEN_PAGE_SIZE;
			act->sub_page = 0;
		}
	}
	if (fl & GNTMAP_device_map)
		act->pin += ro ? GNTPIN_devr_inc : GNTPIN_devw_inc;
	if (fl & GNTMAP_host_map)
		act->pin += ro ? GNTPIN_hstr_inc : GNTPIN_hstw_inc;
	if (fl & GNTMAP_host_map) {
		/* xen/arch/arm/mm.c create_grant_host_mapping: a translated
		 * domain maps host_map [| readonly] only. */
		if (ld->c.translated && (fl & ~(uint32_t)GNTMAP_readonly) != GNTMAP_host_map)
			rc = GNTST_general_error;
		else
			rc = ld->ops.host_map(ld->ops.ctx, op->host_addr, pa, s->fpg, fl);
		if (rc != GNTST_okay) {
			/* undo_out */
			if (fl & GNTMAP_device_map)
				act->pin -= ro ? GNTPIN_devr_inc : GNTPIN_devw_inc;
			act->pin -= ro ? GNTPIN_hstr_inc : GNTPIN_hstw_inc;
			unpin_flags(s, rd, ref, act, ro);
			goto put_handle;
		}
	}
	ld->mt[handle] = (mt_entry){ .ref = ref, .flags = (uint16_t)fl, .domid = rd->c.domid };
	op->handle = handle;
	op->dev_bus_addr = pa[0];
	return GNTST_okay;
put_handle:
	mt_put(ld, handle);
	return rc;
}

static void count(grant_sys *s, int st, uint64_t *ok)
{
	if (st == GNTST_okay)
		(*ok)++;
	else if (st < 0 && st > -(int)GNTST_COUNT)
		s->n.errors[-st]++;
}

void grant_map(grant_sys *s, uint16_t caller, grant_map_op *ops, unsigned n)
{
	gdom *ld = find(s, caller);
	s->n.hypercalls++;
	for (unsigned i = 0; i < n; i++) {
		ops[i].handle = INVALID_HANDLE;
		ops[i].dev_bus_addr = 0;
		ops[i].status = (int16_t)(ld ? map_one(s, ld, &ops[i]) : GNTST_bad_domain);
		count(s, ops[i].status, &s->n.maps);
	}
}

/* ---------------------------------------------------------------- unmap */

typedef struct unmap_done {     /* shared between unmap_common and _complete */
	uint32_t done;              /* GNTMAP_host_map / device_map | readonly undone */
	gdom *rd;
	uint32_t ref;
} unmap_done;

static int unmap_common(grant_sys *s, gdom *ld, const grant_unmap_op *op, unmap_done *u)
{
	u->done = 0;
	if (op->handle >= ld->mt_limit || !ld->mt[op->handle].flags)
		return GNTST_bad_handle;
	mt_entry *map = &ld->mt[op->handle];
	gdom *rd = find(s, map->domid);   /* domains never die here */
	if (!rd || map->ref >= nr_entries(rd))
		return GNTST_bad_handle;     /* "Unstable handle" */
	u->rd = rd;
	u->ref = map->ref;
	uint32_t flags = map->flags;
	const uint64_t *pa = &rd->act_pa[(size_t)map->ref * s->fpg];
	if (op->dev_bus_addr && op->dev_bus_addr != pa[0])
		return GNTST_general_error;  /* "Bus address doesn't match gntref" */
	if (op->host_addr && (flags & GNTMAP_host_map)) {
		int rc = ld->ops.host_unmap(ld->ops.ctx, op->host_addr, pa, s->fpg, flags);
		if (rc < 0)
			return rc;
		map->flags &= (uint16_t)~GNTMAP_host_map;
		u->done |= (uint32_t)(GNTMAP_host_map | (flags & GNTMAP_readonly));
	}
	if (op->dev_bus_addr && (flags & GNTMAP_device_map)) {
		map->flags &= (uint16_t)~GNTMAP_device_map;
		u->done |= (uint32_t)(GNTMAP_device_map | (flags & GNTMAP_readonly));
	}
	if (!(map->flags & (GNTMAP_device_map | GNTMAP_host_map)))
		mt_put(ld, op->handle);
	return GNTST_okay;
}

static void unmap_complete(grant_sys *s, const unmap_done *u)
{
	if (!u->done)
		return;
	act_entry *act = &u->rd->act[u->ref];
	int ro = (u->done & GNTMAP_readonly) != 0;
	if (u->done & GNTMAP_device_map)
		act->pin -= ro ? GNTPIN_devr_inc : GNTPIN_devw_inc;
	if (u->done & GNTMAP_host_map)
		act->pin -= ro ? GNTPIN_hstr_inc : GNTPIN_hstw_inc;
	uint64_t clear = 0;
	if (!(act->pin & PIN_W_MASK) && !ro)
		clear |= GTF_writing;
	if (!act->pin)
		clear |= GTF_reading;
	if (clear)
		clear_flags(s, u->rd, u->ref, clear);
}

void grant_unmap(grant_sys *s, uint16_t caller, grant_unmap_op *ops, unsigned n)
{
	gdom *ld = find(s, caller);
	s->n.hypercalls++;
	unmap_done u[GNTTAB_UNMAP_BATCH_SIZE];
	for (unsigned i = 0; i < n; i += GNTTAB_UNMAP_BATCH_SIZE) {
		unsigned c = n - i < GNTTAB_UNMAP_BATCH_SIZE ? n - i : GNTTAB_UNMAP_BATCH_SIZE;
		for (unsigned k = 0; k < c; k++) {
			grant_unmap_op *op = &ops[i + k];
			u[k].done = 0;
			op->status = (int16_t)(ld ? unmap_common(s, ld, op, &u[k]) : GNTST_bad_domain);
			count(s, op->status, &s->n.unmaps);
		}
		/* gnttab_flush_tlb: a translated domain's p2m update did its
		 * own invalidation; a PV domain's TLBs are flushed here, once
		 * per chunk, before the chunk completes. */
		if (ld && !ld->c.translated) {
			s->n.tlb_flushes++;
			if (ld->ops.flush_tlb)
				ld->ops.flush_tlb(ld->ops.ctx);
		}
		for (unsigned k = 0; k < c; k++)
			unmap_complete(s, &u[k]);
		s->n.unmap_chunks++;
	}
}

/* ---------------------------------------------------------------- copy */

typedef struct copy_buf {
	gdom *d;
	int have_grant;
	uint32_t ref;
	int readonly;
	uint32_t start, length;     /* the bytes the grant allows */
	uint64_t pa[FRAMES_MAX];
	unsigned nframes;
} copy_buf;

/* acquire_grant_for_copy (no transitive grants: see grant.h). */
static int acquire_for_copy(grant_sys *s, gdom *rd, uint32_t ref, uint16_t ldom, int ro,
			    copy_buf *b)
{
	if (ref >= nr_entries(rd))
		return GNTST_bad_gntref;
	act_entry *act = &rd->act[ref];
	uint64_t *pa = &rd->act_pa[(size_t)ref * s->fpg];
	if (act->pin && (act->domid != ldom || (act->pin & GNTPIN_OVERFLOW_MASK)))
		return GNTST_general_error;
	uint64_t e = entry_pa(rd, ref);
	uint64_t flags = get(s->mem, e + GNT_V1_FLAGS_OFF, 2);
	if (rd->version == 2 && (flags & GTF_type_mask) == GTF_transitive)
		return GNTST_general_error;   /* DEVIATION: transitive copies not modelled */
	if (!act->pin || (!ro && !(act->pin & PIN_W_MASK))) {
		int rc = set_status(s, rd, ref, act, ro, 0, ldom);
		if (rc != GNTST_okay)
			return rc;
		uint32_t start = 0, length = s->fpg * XEN_PAGE_SIZE;
		int sub = rd->version == 2 && (flags & GTF_sub_page);
		if (sub) {
			start = (uint32_t)get(s->mem, e + GNT_V2_SUB_PAGE_OFF_OFF, 2);
			length = (uint32_t)get(s->mem, e + GNT_V2_SUB_LENGTH_OFF, 2);
		}
		rc = paged_frames(rd, entry_frame(s, rd, ref), s->fpg, pa);
		if (rc != GNTST_okay) {
			unpin_flags(s, rd, ref, act, ro);
			return rc;
		}
		if (!act->pin) {
			act->domid = ldom;
			act->sub_page = (uint8_t)sub;
			act->start = (uint16_t)start;
			act->length = length;
		}
	}
	act->pin += ro ? GNTPIN_hstr_inc : GNTPIN_hstw_inc;
	b->have_grant = 1;
	b->ref = ref;
	b->start = act->start;
	b->length = act->length;
	b->nframes = s->fpg;
	memcpy(b->pa, pa, s->fpg * sizeof(*pa));
	return GNTST_okay;
}

/* release_grant_for_copy. */
static void release_buf(grant_sys *s, copy_buf *b)
{
	if (!b->have_grant)
		return;
	act_entry *act = &b->d->act[b->ref];
	uint64_t clear = 0;
	if (b->readonly) {
		act->pin -= GNTPIN_hstr_inc;
	} else {
		act->pin -= GNTPIN_hstw_inc;
		if (!(act->pin & PIN_W_MASK))
			clear |= GTF_writing;
	}
	if (!act->pin)
		clear |= GTF_reading;
	if (clear)
		clear_flags(s, b->d, b->ref, clear);
	b->have_grant = 0;
}

/* gnttab_copy_lock_domain + gnttab_copy_claim_buf for one side. */
static int claim(grant_sys *s, gdom *ld, const grant_copy_ptr *p, int is_gref, int ro,
		 copy_buf *b)
{
	b->have_grant = 0;
	b->readonly = ro;
	if (p->domid != DOMID_SELF && !is_gref)
		return GNTST_permission_denied;   /* only DOMID_SELF by frame */
	b->d = find_any(s, ld, p->domid);
	if (!b->d)
		return GNTST_bad_domain;
	if (is_gref)
		return acquire_for_copy(s, b->d, (uint32_t)p->ref, ld->c.domid, ro, b);
	b->start = 0;
	b->length = XEN_PAGE_SIZE;
	b->nframes = 1;
	return paged_frames(b->d, p->ref, 1, b->pa);
}

/* gnttab_copy_buf's checks for one side: no copy beyond a 4 KB page
 * (bad_copy_arg), nor outside what the grant allows (general_error). */
static int copy_bounds(const copy_buf *b, uint32_t off, uint32_t len)
{
	uint32_t in_page = off % XEN_PAGE_SIZE;
	if (in_page + len > XEN_PAGE_SIZE || off + len > b->nframes * XEN_PAGE_SIZE)
		return GNTST_bad_copy_arg;
	if (off < b->start || off + len > b->start + b->length)
		return GNTST_general_error;
	return GNTST_okay;
}

static int copy_one(grant_sys *s, gdom *ld, grant_copy_op *op)
{
	copy_buf src, dst;
	memset(&dst, 0, sizeof(dst));
	int rc = claim(s, ld, &op->source, (op->flags & GNTCOPY_source_gref) != 0, 1, &src);
	if (rc == GNTST_okay) {
		rc = claim(s, ld, &op->dest, (op->flags & GNTCOPY_dest_gref) != 0, 0, &dst);
		if (rc == GNTST_okay) {
			rc = copy_bounds(&src, op->source.offset, op->len);
			int dst_rc = copy_bounds(&dst, op->dest.offset, op->len);
			/* both sides' page check comes first (one condition in Xen) */
			if (rc == GNTST_bad_copy_arg || dst_rc == GNTST_bad_copy_arg)
				rc = GNTST_bad_copy_arg;
			else if (rc == GNTST_okay)
				rc = dst_rc;
		}
	}
	if (rc == GNTST_okay) {
		op->src_pa = src.pa[op->source.offset / XEN_PAGE_SIZE] + op->source.offset %
			     XEN_PAGE_SIZE;
		op->dst_pa = dst.pa[op->dest.offset / XEN_PAGE_SIZE] + op->dest.offset %
			     XEN_PAGE_SIZE;
	}
	release_buf(s, &src);
	release_buf(s, &dst);
	return rc;
}

void grant_copy(grant_sys *s, uint16_t caller, grant_copy_op *ops, unsigned n)
{
	gdom *ld = find(s, caller);
	s->n.hypercalls++;
	for (unsigned i = 0; i < n; i++) {
		ops[i].src_pa = ops[i].dst_pa = 0;
		ops[i].status = (int16_t)(ld ? copy_one(s, ld, &ops[i]) : GNTST_bad_domain);
		count(s, ops[i].status, &s->n.copies);
	}
}

/* ---------------------------------------------------------------- table ops */

/* A table op's hypercall, and the domain DOM names for CALLER, with XSM's
 * target rule (itself, or any when privileged). GNTST_okay with *d, or the
 * status. */
static int target(grant_sys *s, uint16_t caller, uint16_t dom, gdom **d)
{
	s->n.hypercalls++;
	gdom *c = find(s, caller);
	*d = c ? find_any(s, c, dom) : NULL;
	if (!*d)
		return GNTST_bad_domain;
	if (*d != c && !c->c.privileged)
		return GNTST_permission_denied;
	return GNTST_okay;
}

int grant_setup_table(grant_sys *s, uint16_t caller, uint16_t dom, unsigned nr_frames,
		      uint64_t *frames)
{
	gdom *d;
	int rc = target(s, caller, dom, &d);
	if (rc != GNTST_okay)
		return rc;
	if (nr_frames > d->c.max_frames)
		return GNTST_general_error;   /* "limited to N grant-table frames" */
	if ((nr_frames > d->nr_frames ||
	     (d->version > 1 && status_frames_for(nr_frames) > d->nr_status)) &&
	    grow(s, d, nr_frames))
		return GNTST_general_error;
	for (unsigned i = 0; frames && i < nr_frames; i++)
		frames[i] = d->frame[i];
	return GNTST_okay;
}

int grant_query_size(grant_sys *s, uint16_t caller, uint16_t dom, unsigned *nr_frames,
		     unsigned *max_frames)
{
	gdom *d;
	int rc = target(s, caller, dom, &d);
	if (rc != GNTST_okay)
		return rc;
	*nr_frames = d->nr_frames;
	*max_frames = d->c.max_frames;
	return GNTST_okay;
}

int grant_get_status_frames(grant_sys *s, uint16_t caller, uint16_t dom, unsigned nr,
			    uint64_t *frames)
{
	gdom *d;
	int rc = target(s, caller, dom, &d);
	if (rc != GNTST_okay)
		return rc;
	if (nr > d->nr_status)
		return GNTST_general_error;
	for (unsigned i = 0; frames && i < nr; i++)
		frames[i] = d->status[i];
	return GNTST_okay;
}

unsigned grant_get_version(const grant_sys *s, uint16_t dom)
{
	const gdom *d = find(s, dom);
	return d ? d->version : 0;
}

int grant_set_version(grant_sys *s, uint16_t caller, unsigned *version)
{
	gdom *d = find(s, caller);
	s->n.hypercalls++;
	if (!d)
		return -GNT_EINVAL;
	unsigned v = *version;
	int rc = 0;
	if (v != 1 && v != 2)
		rc = -GNT_EINVAL;
	else if (v == 2 && s->c.max_version < 2)
		rc = -GNT_ENOSYS;
	if (rc || d->version == v)
		goto out;
	for (unsigned i = GNTTAB_NR_RESERVED_ENTRIES; i < nr_entries(d); i++)
		if (d->act[i].pin) {
			rc = -GNT_EBUSY;
			goto out;
		}
	/* The reserved entries, as v1 {flags | status, domid, frame}. */
	grant_entry keep[GNTTAB_NR_RESERVED_ENTRIES];
	for (uint32_t i = 0; i < GNTTAB_NR_RESERVED_ENTRIES; i++) {
		grant_entry_read(s, d->c.domid, i, &keep[i]);
		uint64_t type = keep[i].flags & GTF_type_mask;
		if (d->version == 2 && (type == GTF_transitive ||
					(type == GTF_permit_access && (keep[i].frame >> 32)))) {
			rc = -GNT_ERANGE;   /* not representable in v1 */
			goto out;
		}
		if (d->version == 2 && type != GTF_permit_access)
			memset(&keep[i], 0, sizeof(keep[i]));
	}
	unsigned frames = d->nr_frames;
	if (v == 2) {
		d->version = 2;
		if (grow(s, d, frames)) {
			d->version = 1;
			rc = -GNT_EINVAL;   /* -ENOMEM in Xen */
			goto out;
		}
	} else {
		d->nr_status = 0;   /* the status frames go back to Xen */
	}
	d->version = v;
	for (unsigned f = 0; f < frames; f++)
		for (unsigned w = 0; w < XEN_PAGE_SIZE; w += 8)
			put(s->mem, d->frame[f] + w, 8, 0);
	for (uint32_t i = 0; i < GNTTAB_NR_RESERVED_ENTRIES; i++) {
		uint64_t e = entry_pa(d, i);
		uint64_t fl = keep[i].flags | (uint64_t)keep[i].status;
		put(s->mem, e + GNT_V1_DOMID_OFF, 2, keep[i].domid);
		if (v == 1) {
			put(s->mem, e + GNT_V1_FRAME_OFF, 4, keep[i].frame);
			put(s->mem, e + GNT_V1_FLAGS_OFF, 2, fl);
		} else {
			put(s->mem, e + GNT_V2_FULL_FRAME_OFF, 8, keep[i].frame);
			put(s->mem, e + GNT_V2_FLAGS_OFF, 2, fl & ~(GTF_reading | GTF_writing));
			put(s->mem, status_pa(d, i), 2, fl & (GTF_reading | GTF_writing));
		}
	}
out:
	*version = d->version;
	return rc;
}

/* ---------------------------------------------------------------- guest side */

static const gdom *entry_dom(const grant_sys *s, uint16_t dom, uint32_t ref)
{
	const gdom *d = find(s, dom);
	return d && ref < nr_entries(d) ? d : NULL;
}

int grant_entry_pa(const grant_sys *s, uint16_t dom, uint32_t ref, uint64_t *pa)
{
	const gdom *d = entry_dom(s, dom, ref);
	if (!d)
		return -1;
	*pa = entry_pa(d, ref);
	return 0;
}

/* The protocol of public/grant_table.h: domid, frame, (WMB), then flags. */
static int gst_write(grant_sys *s, uint16_t dom, uint32_t ref, uint16_t to, uint64_t gfn,
		     uint64_t flags, int sub, uint16_t off, uint16_t len)
{
	const gdom *d = entry_dom(s, dom, ref);
	if (!d || (d->version == 1 && (gfn >> 32)) || (sub && d->version != 2))
		return -1;
	uint64_t e = entry_pa(d, ref);
	put(s->mem, e + GNT_V1_DOMID_OFF, 2, to);
	if (d->version == 1) {
		put(s->mem, e + GNT_V1_FRAME_OFF, 4, gfn);
	} else {
		if (sub) {
			put(s->mem, e + GNT_V2_SUB_PAGE_OFF_OFF, 2, off);
			put(s->mem, e + GNT_V2_SUB_LENGTH_OFF, 2, len);
		} else {
			put(s->mem, e + GNT_V2_FULL_PAD0_OFF, 4, 0);
		}
		put(s->mem, e + GNT_V2_FULL_FRAME_OFF, 8, gfn);
	}
	put(s->mem, e + GNT_V1_FLAGS_OFF, 2, flags);
	return 0;
}

int grant_gst_permit(grant_sys *s, uint16_t dom, uint32_t ref, uint16_t to, uint64_t gfn,
		     int readonly)
{
	return gst_write(s, dom, ref, to, gfn, GTF_permit_access | (readonly ? GTF_readonly : 0),
			 0, 0, 0);
}

int grant_gst_sub_page(grant_sys *s, uint16_t dom, uint32_t ref, uint16_t to, uint64_t gfn,
		       uint16_t off, uint16_t len, int readonly)
{
	return gst_write(s, dom, ref, to, gfn, GTF_permit_access | GTF_sub_page |
			 (readonly ? GTF_readonly : 0), 1, off, len);
}

int grant_gst_end(grant_sys *s, uint16_t dom, uint32_t ref)
{
	const gdom *d = entry_dom(s, dom, ref);
	if (!d)
		return -1;
	if (get(s->mem, status_pa(d, ref), 2) & (GTF_reading | GTF_writing))
		return 1;
	put(s->mem, entry_pa(d, ref) + GNT_V1_FLAGS_OFF, 2, 0);
	return 0;
}

int grant_entry_read(const grant_sys *s, uint16_t dom, uint32_t ref, grant_entry *out)
{
	const gdom *d = entry_dom(s, dom, ref);
	if (!d)
		return -1;
	uint64_t e = entry_pa(d, ref);
	memset(out, 0, sizeof(*out));
	out->flags = (uint16_t)get(s->mem, e + GNT_V1_FLAGS_OFF, 2);
	out->domid = (uint16_t)get(s->mem, e + GNT_V1_DOMID_OFF, 2);
	if (d->version == 1) {
		out->frame = get(s->mem, e + GNT_V1_FRAME_OFF, 4);
		out->status = out->flags;
		return 0;
	}
	out->frame = get(s->mem, e + GNT_V2_FULL_FRAME_OFF, 8);
	out->page_off = (uint16_t)get(s->mem, e + GNT_V2_SUB_PAGE_OFF_OFF, 2);
	out->length = (uint16_t)get(s->mem, e + GNT_V2_SUB_LENGTH_OFF, 2);
	out->trans_domid = (uint16_t)get(s->mem, e + GNT_V2_TRANS_DOMID_OFF, 2);
	out->trans_gref = (uint32_t)get(s->mem, e + GNT_V2_TRANS_GREF_OFF, 4);
	out->status = (uint16_t)get(s->mem, status_pa(d, ref), 2);
	return 0;
}

/* ---------------------------------------------------------------- queries */

unsigned grant_nr_entries(const grant_sys *s, uint16_t dom)
{
	const gdom *d = find(s, dom);
	return d ? nr_entries(d) : 0;
}

unsigned grant_maptrack_limit(const grant_sys *s, uint16_t dom)
{
	const gdom *d = find(s, dom);
	return d ? d->mt_limit : 0;
}

unsigned grant_maptrack_used(const grant_sys *s, uint16_t dom)
{
	const gdom *d = find(s, dom);
	return d ? d->mt_used : 0;
}

uint32_t grant_pin(const grant_sys *s, uint16_t dom, uint32_t ref)
{
	const gdom *d = entry_dom(s, dom, ref);
	return d ? d->act[ref].pin : 0;
}

unsigned grant_bytes(const grant_sys *s) { return s->fpg * XEN_PAGE_SIZE; }
const grant_counters *grant_stats(const grant_sys *s) { return &s->n; }

const char *grant_status_name(int st)
{
	/* GNTTABOP_error_msgs order; the names are the GNTST_ suffixes. */
	static const char *const names[GNTST_COUNT] = {
		"okay", "general_error", "bad_domain", "bad_gntref", "bad_handle",
		"bad_virt_addr", "bad_dev_addr", "no_device_space", "permission_denied",
		"bad_page", "bad_copy_arg", "address_too_big", "eagain", "no_space",
	};
	return st <= 0 && st > -(int)GNTST_COUNT ? names[-st] : NULL;
}

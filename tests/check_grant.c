/*
 * tests/check_grant.c - model/grant alone: the grant-table ABI byte by byte
 * and the rules of each operation with Xen's status codes (xen/include/
 * public/grant_table.h, xen/common/grant_table.c, xen/arch/arm/mm.c;
 * ARCH-FACTS §5). Two domains: a granter (domid 1) whose RAM is GFNs
 * 0x40000.. at machine 0x200000000.., and a mapper (domid 0).
 */
#include "check_util.h"
#include "grant.h"

#define GFN0 UINT64_C(0x40000)
#define RAM_PA UINT64_C(0x200000000)
#define RAM_FRAMES 4096u

typedef struct host_log {
	unsigned maps, unmaps, flushes;
	uint64_t addr[64];
	uint64_t pa[64][16];
	unsigned n[64];
	uint32_t flags[64];
	int fail;                   /* host_map returns this status when non-zero */
} host_log;

typedef struct fixture {
	physmem *mem;
	uint64_t next;              /* the hypervisor's heap */
	grant_sys *s;
	host_log mlog, glog;
} fixture;

static int alloc_frame(void *ctx, uint64_t *pa)
{
	fixture *f = ctx;
	*pa = f->next;
	f->next += 4096;
	return 0;
}

static int ram(void *ctx, uint64_t gfn, uint64_t *pa)
{
	(void)ctx;
	if (gfn < GFN0 || gfn >= GFN0 + RAM_FRAMES)
		return -1;
	*pa = RAM_PA + (gfn - GFN0) * 4096;
	return 0;
}

static int host_map(void *ctx, uint64_t addr, const uint64_t *pa, unsigned n, uint32_t flags)
{
	host_log *l = ctx;
	if (l->fail)
		return l->fail;
	unsigned k = l->maps++ % 64;
	l->addr[k] = addr;
	l->n[k] = n;
	l->flags[k] = flags;
	memcpy(l->pa[k], pa, n * sizeof(*pa));
	return GNTST_okay;
}

static int host_unmap(void *ctx, uint64_t addr, const uint64_t *pa, unsigned n, uint32_t flags)
{
	(void)addr; (void)pa; (void)n; (void)flags;
	((host_log *)ctx)->unmaps++;
	return GNTST_okay;
}

static void flush(void *ctx) { ((host_log *)ctx)->flushes++; }

/* Mapper 0 (TRANSLATED or PV), granter 1 (translated); SHIFT 12 or 16. */
static fixture *setup(int translated, unsigned shift, unsigned max_version,
		      unsigned maptrack_frames)
{
	fixture *f = calloc(1, sizeof(*f));
	f->mem = physmem_create();
	f->next = UINT64_C(0x100000000);
	grant_sys_cfg c = { .max_version = max_version, .grant_shift = shift,
			    .alloc_frame = alloc_frame, .alloc_ctx = f };
	ck_assert_int_eq(grant_sys_create(&f->s, &c, f->mem), 0);
	grant_dom_cfg m = { .domid = 0, .translated = translated, .privileged = 1,
			    .max_frames = 4, .max_maptrack_frames = maptrack_frames };
	grant_dom_ops mo = { ram, host_map, host_unmap, flush, &f->mlog };
	grant_dom_cfg g = { .domid = 1, .translated = 1, .max_frames = 4,
			    .max_maptrack_frames = 1024 };
	grant_dom_ops go = { ram, host_map, host_unmap, flush, &f->glog };
	ck_assert_int_eq(grant_domain_add(f->s, &m, &mo), 0);
	ck_assert_int_eq(grant_domain_add(f->s, &g, &go), 0);
	ck_assert_int_eq(grant_domain_add(f->s, &g, &go), -1);   /* domid taken */
	return f;
}

static void teardown(fixture *f)
{
	grant_sys_destroy(f->s);
	physmem_destroy(f->mem);
	free(f);
}

static grant_map_op map_op(uint32_t ref, uint32_t flags, uint64_t addr)
{
	return (grant_map_op){ .host_addr = addr, .flags = flags, .ref = ref, .dom = 1 };
}

static int map1(fixture *f, uint32_t ref, uint32_t flags, uint32_t *handle)
{
	grant_map_op op = map_op(ref, flags, 0x9000000 + (uint64_t)ref * 4096);
	grant_map(f->s, 0, &op, 1);
	if (handle)
		*handle = op.handle;
	return op.status;
}

static int unmap1(fixture *f, uint32_t handle)
{
	grant_unmap_op op = { .host_addr = 0x9000000, .handle = handle };
	grant_unmap(f->s, 0, &op, 1);
	return op.status;
}

static uint64_t entry_word(fixture *f, uint32_t ref, unsigned word)
{
	uint64_t pa;
	ck_assert_int_eq(grant_entry_pa(f->s, 1, ref, &pa), 0);
	return physmem_read64(f->mem, pa + 8 * word);
}

/* grant_entry_v1: u16 flags @0, domid_t domid @2, u32 frame @4; the guest
 * writes domid and frame, then flags. */
START_TEST(grant_v1_entry_is_flags_domid_frame_in_8_bytes)
{
	fixture *f = setup(1, 12, 2, 1024);
	ck_assert_uint_eq(grant_nr_entries(f->s, 1), 512);   /* 1 frame of 8-byte entries */
	uint64_t pa9, pa10;
	grant_entry_pa(f->s, 1, 9, &pa9);
	grant_entry_pa(f->s, 1, 10, &pa10);
	ck_assert_uint_eq(pa10 - pa9, 8);
	ck_assert_int_eq(grant_gst_permit(f->s, 1, 9, 0x0123, GFN0 + 5, 0), 0);
	ck_assert_uint_eq(entry_word(f, 9, 0),
			  UINT64_C(0x0000000000000001) | UINT64_C(0x0123) << 16 |
			  (GFN0 + 5) << 32);
	ck_assert_int_eq(grant_gst_permit(f->s, 1, 10, 7, 0xfffffffe, 1), 0);
	/* GTF_permit_access | GTF_readonly = 0b101 */
	ck_assert_uint_eq(entry_word(f, 10, 0), UINT64_C(0xfffffffe00070005));
	/* a v1 frame field holds 32 bits: a larger GFN cannot be granted */
	ck_assert_int_eq(grant_gst_permit(f->s, 1, 11, 7, UINT64_C(1) << 32, 0), -1);
	ck_assert_int_eq(grant_gst_permit(f->s, 1, 512, 7, GFN0, 0), -1);   /* beyond */
	/* Mapping sets GTF_reading | GTF_writing (bits 3, 4) in the entry. */
	ck_assert_int_eq(grant_gst_permit(f->s, 1, 12, 0, GFN0 + 6, 0), 0);
	ck_assert_int_eq(map1(f, 12, GNTMAP_host_map, NULL), GNTST_okay);
	ck_assert_uint_eq(entry_word(f, 12, 0), UINT64_C(0x19) | (GFN0 + 6) << 32);
	teardown(f);
}
END_TEST

/* grant_entry_v2: hdr {flags, domid}, full_page {pad0 u32 @4, frame u64 @8},
 * sub_page {page_off @4, length @6, frame @8}; reading/writing live in a
 * separate u16 status frame. */
START_TEST(grant_v2_entry_is_16_bytes_with_separate_status)
{
	fixture *f = setup(1, 12, 2, 1024);
	unsigned v = 2;
	ck_assert_int_eq(grant_set_version(f->s, 1, &v), 0);
	ck_assert_uint_eq(v, 2);
	ck_assert_uint_eq(grant_get_version(f->s, 1), 2);
	ck_assert_uint_eq(grant_nr_entries(f->s, 1), 256);
	uint64_t st[1];
	ck_assert_int_eq(grant_get_status_frames(f->s, 1, 1, 1, st), GNTST_okay);
	ck_assert_int_eq(grant_get_status_frames(f->s, 1, 1, 2, st), GNTST_general_error);
	ck_assert_int_eq(grant_gst_permit(f->s, 1, 20, 0, GFN0 + 1, 0), 0);
	ck_assert_uint_eq(entry_word(f, 20, 0), UINT64_C(0x0000000000000001));
	ck_assert_uint_eq(entry_word(f, 20, 1), GFN0 + 1);
	ck_assert_int_eq(grant_gst_sub_page(f->s, 1, 21, 0, GFN0 + 2, 0x100, 0x80, 1), 0);
	/* flags permit | readonly | sub_page = 0x105; page_off 0x100 @4, len 0x80 @6 */
	ck_assert_uint_eq(entry_word(f, 21, 0), UINT64_C(0x0080010000000105));
	ck_assert_uint_eq(entry_word(f, 21, 1), GFN0 + 2);
	uint32_t h;
	ck_assert_int_eq(map1(f, 20, GNTMAP_host_map | GNTMAP_readonly, &h), GNTST_okay);
	/* flags unchanged; status entry 20 (2 bytes @ 40) has GTF_reading */
	ck_assert_uint_eq(entry_word(f, 20, 0) & 0xffff, 0x1);
	ck_assert_uint_eq((physmem_read64(f->mem, st[0] + 40) & 0xffff), 0x8);
	grant_entry e;
	grant_entry_read(f->s, 1, 20, &e);
	ck_assert_uint_eq(e.status, GTF_reading);
	/* a sub-page grant may be copied, never mapped */
	ck_assert_int_eq(map1(f, 21, GNTMAP_host_map | GNTMAP_readonly, NULL), GNTST_general_error);
	ck_assert_int_eq(unmap1(f, h), GNTST_okay);
	ck_assert_uint_eq((physmem_read64(f->mem, st[0] + 40) & 0xffff), 0);
	teardown(f);
}
END_TEST

/* gnttab_set_version: only 1 or 2; Xen on Arm has GNTTAB_MAX_VERSION 1;
 * not while a non-reserved entry is in use; the 8 reserved entries are
 * kept and the rest cleared. */
START_TEST(grant_set_version_rules_and_reserved_entries_kept)
{
	fixture *arm = setup(1, 12, 1, 1024);
	unsigned v = 2;
	ck_assert_int_eq(grant_set_version(arm->s, 1, &v), -GNT_ENOSYS);
	ck_assert_uint_eq(v, 1);
	teardown(arm);
	fixture *f = setup(1, 12, 2, 1024);
	v = 3;
	ck_assert_int_eq(grant_set_version(f->s, 1, &v), -GNT_EINVAL);
	ck_assert_int_eq(grant_gst_permit(f->s, 1, GNTTAB_RESERVED_XENSTORE, 0, GFN0 + 9, 0), 0);
	ck_assert_int_eq(grant_gst_permit(f->s, 1, 100, 0, GFN0 + 3, 0), 0);
	uint32_t h;
	ck_assert_int_eq(map1(f, 100, GNTMAP_host_map, &h), GNTST_okay);
	v = 2;
	ck_assert_int_eq(grant_set_version(f->s, 1, &v), -GNT_EBUSY);
	ck_assert_uint_eq(v, 1);
	unmap1(f, h);
	v = 2;
	ck_assert_int_eq(grant_set_version(f->s, 1, &v), 0);
	ck_assert_uint_eq(v, 2);
	grant_entry e;
	grant_entry_read(f->s, 1, GNTTAB_RESERVED_XENSTORE, &e);
	ck_assert_uint_eq(e.flags, GTF_permit_access);
	ck_assert_uint_eq(e.frame, GFN0 + 9);
	grant_entry_read(f->s, 1, 100, &e);
	ck_assert_uint_eq(e.flags, 0);   /* cleared */
	v = 1;
	ck_assert_int_eq(grant_set_version(f->s, 1, &v), 0);
	ck_assert_uint_eq(entry_word(f, GNTTAB_RESERVED_XENSTORE, 0), 1 | (GFN0 + 9) << 32);
	teardown(f);
}
END_TEST

/* map_grant_ref's checks, in Xen's order, each with its status. */
START_TEST(grant_map_status_codes)
{
	fixture *f = setup(1, 12, 2, 1024);
	grant_gst_permit(f->s, 1, 8, 0, GFN0, 0);          /* to the mapper, writable */
	grant_gst_permit(f->s, 1, 9, 0, GFN0 + 1, 1);      /* read only */
	grant_gst_permit(f->s, 1, 10, 5, GFN0 + 2, 0);     /* to domain 5 */
	grant_gst_permit(f->s, 1, 11, 0, 0x10, 0);         /* not the granter's RAM */
	/* neither host_map nor device_map */
	ck_assert_int_eq(map1(f, 8, GNTMAP_readonly, NULL), GNTST_bad_gntref);
	/* a translated mapper cannot device_map */
	ck_assert_int_eq(map1(f, 8, GNTMAP_host_map | GNTMAP_device_map, NULL), GNTST_general_error);
	grant_map_op op = map_op(8, GNTMAP_host_map, 0x9000000);
	op.dom = 77;
	grant_map(f->s, 0, &op, 1);
	ck_assert_int_eq(op.status, GNTST_bad_domain);
	ck_assert_int_eq(map1(f, 512, GNTMAP_host_map, NULL), GNTST_bad_gntref);   /* beyond */
	ck_assert_int_eq(map1(f, 12, GNTMAP_host_map, NULL), GNTST_general_error); /* GTF_invalid */
	ck_assert_int_eq(map1(f, 10, GNTMAP_host_map, NULL), GNTST_general_error); /* wrong domain */
	ck_assert_int_eq(map1(f, 9, GNTMAP_host_map, NULL), GNTST_general_error);  /* r/o violated */
	ck_assert_int_eq(map1(f, 11, GNTMAP_host_map, NULL), GNTST_bad_page);
	/* Arm create_grant_host_mapping: host_map [| readonly] only */
	ck_assert_int_eq(map1(f, 8, GNTMAP_host_map | GNTMAP_can_fail, NULL), GNTST_general_error);
	ck_assert_uint_eq(grant_pin(f->s, 1, 8), 0);       /* undone */
	/* a status from the host mapping is passed through */
	f->mlog.fail = GNTST_bad_virt_addr;
	ck_assert_int_eq(map1(f, 8, GNTMAP_host_map, NULL), GNTST_bad_virt_addr);
	f->mlog.fail = 0;
	ck_assert_uint_eq(entry_word(f, 8, 0) & 0xffff, GTF_permit_access);   /* flags undone */
	uint32_t h;
	ck_assert_int_eq(map1(f, 9, GNTMAP_host_map | GNTMAP_readonly, &h), GNTST_okay);
	ck_assert_uint_eq(f->mlog.flags[0], GNTMAP_host_map | GNTMAP_readonly);
	ck_assert_uint_eq(f->mlog.pa[0][0], RAM_PA + 4096);
	ck_assert_uint_eq(grant_pin(f->s, 1, 9), GNTPIN_hstr_inc);
	ck_assert_uint_eq(entry_word(f, 9, 0) & 0xffff, GTF_permit_access | GTF_readonly | GTF_reading);
	/* the seven failures after the handle was taken gave it back to the
	 * tail of the free list: this map gets the eighth from the head */
	ck_assert_uint_eq(h, 7);
	ck_assert_uint_eq(grant_maptrack_used(f->s, 0), 1);
	const grant_counters *c = grant_stats(f->s);
	ck_assert_uint_eq(c->maps, 1);
	ck_assert_uint_eq(c->errors[-GNTST_general_error], 5);
	ck_assert_uint_eq(c->errors[-GNTST_bad_gntref], 2);
	ck_assert_uint_eq(c->errors[-GNTST_bad_domain], 1);
	ck_assert_uint_eq(c->errors[-GNTST_bad_page], 1);
	ck_assert_uint_eq(c->errors[-GNTST_bad_virt_addr], 1);
	teardown(f);
}
END_TEST

/* A grant held by one domain cannot be mapped by another; a writable map
 * and a read-only map of the same grant count separately. */
START_TEST(grant_pins_count_per_kind_and_belong_to_one_domain)
{
	fixture *f = setup(0, 12, 2, 1024);   /* a PV mapper */
	grant_gst_permit(f->s, 1, 8, 0, GFN0, 0);
	uint32_t a, b;
	ck_assert_int_eq(map1(f, 8, GNTMAP_host_map, &a), GNTST_okay);
	ck_assert_int_eq(map1(f, 8, GNTMAP_host_map | GNTMAP_readonly, &b), GNTST_okay);
	ck_assert_uint_eq(grant_pin(f->s, 1, 8), GNTPIN_hstw_inc | GNTPIN_hstr_inc);
	ck_assert_uint_eq(entry_word(f, 8, 0) & 0xffff, 0x19);
	/* a PV mapper may device_map (no host mapping): dev_bus_addr is the frame */
	grant_map_op op = map_op(8, GNTMAP_device_map, 0);
	grant_map(f->s, 0, &op, 1);
	ck_assert_int_eq(op.status, GNTST_okay);
	ck_assert_uint_eq(op.dev_bus_addr, RAM_PA);
	ck_assert_uint_eq(grant_pin(f->s, 1, 8), GNTPIN_hstw_inc | GNTPIN_hstr_inc | GNTPIN_devw_inc);
	ck_assert_int_eq(grant_gst_end(f->s, 1, 8), 1);   /* in use: stays */
	grant_unmap_op u = { .dev_bus_addr = RAM_PA + 4096, .handle = op.handle };
	grant_unmap(f->s, 0, &u, 1);
	ck_assert_int_eq(u.status, GNTST_general_error);  /* bus address mismatch */
	u.dev_bus_addr = RAM_PA;
	grant_unmap(f->s, 0, &u, 1);
	ck_assert_int_eq(u.status, GNTST_okay);
	ck_assert_int_eq(unmap1(f, a), GNTST_okay);
	/* the writable pin is gone: GTF_writing cleared, GTF_reading stays */
	ck_assert_uint_eq(entry_word(f, 8, 0) & 0xffff, 0x9);
	ck_assert_int_eq(unmap1(f, a), GNTST_bad_handle);   /* already unmapped */
	ck_assert_int_eq(unmap1(f, 4000), GNTST_bad_handle);
	ck_assert_int_eq(unmap1(f, b), GNTST_okay);
	ck_assert_uint_eq(entry_word(f, 8, 0) & 0xffff, GTF_permit_access);
	ck_assert_int_eq(grant_gst_end(f->s, 1, 8), 0);
	ck_assert_uint_eq(entry_word(f, 8, 0) & 0xffff, 0);
	teardown(f);
}
END_TEST

/* gnttab_unmap_grant_ref: chunks of 32; a PV mapper's TLB is flushed once
 * per chunk (gnttab_flush_tlb); a translated mapper's p2m removals flush
 * themselves (ARCH-FACTS §5.2, checklist 9). */
START_TEST(grant_unmap_flushes_once_per_chunk_of_32_for_pv_only)
{
	for (int translated = 0; translated <= 1; translated++) {
		fixture *f = setup(translated, 12, 2, 1024);
		enum { N = 70 };
		grant_map_op m[N];
		for (unsigned i = 0; i < N; i++) {
			grant_gst_permit(f->s, 1, 8 + i, 0, GFN0 + i, 0);
			m[i] = map_op(8 + i, GNTMAP_host_map, 0x9000000 + i * 4096);
		}
		grant_map(f->s, 0, m, N);
		grant_unmap_op u[N];
		for (unsigned i = 0; i < N; i++) {
			ck_assert_int_eq(m[i].status, GNTST_okay);
			u[i] = (grant_unmap_op){ .host_addr = m[i].host_addr, .handle = m[i].handle };
		}
		grant_unmap(f->s, 0, u, N);
		const grant_counters *c = grant_stats(f->s);
		ck_assert_uint_eq(c->unmaps, N);
		ck_assert_uint_eq(c->unmap_chunks, 3);            /* 32 + 32 + 6 */
		ck_assert_uint_eq(c->tlb_flushes, translated ? 0 : 3);
		ck_assert_uint_eq(f->mlog.flushes, translated ? 0 : 3);
		ck_assert_uint_eq(f->mlog.unmaps, N);             /* every host mapping removed */
		ck_assert_uint_eq(c->hypercalls, 2);
		ck_assert_uint_eq(grant_maptrack_used(f->s, 0), 0);
		teardown(f);
	}
}
END_TEST

/* An unmap with host_addr 0 leaves the host mapping, so the handle stays. */
START_TEST(grant_unmap_without_host_addr_keeps_the_mapping)
{
	fixture *f = setup(1, 12, 2, 1024);
	grant_gst_permit(f->s, 1, 8, 0, GFN0, 0);
	uint32_t h;
	map1(f, 8, GNTMAP_host_map, &h);
	grant_unmap_op u = { .host_addr = 0, .handle = h };
	grant_unmap(f->s, 0, &u, 1);
	ck_assert_int_eq(u.status, GNTST_okay);
	ck_assert_uint_eq(f->mlog.unmaps, 0);
	ck_assert_uint_eq(grant_maptrack_used(f->s, 0), 1);
	ck_assert_uint_eq(grant_pin(f->s, 1, 8), GNTPIN_hstw_inc);
	ck_assert_int_eq(unmap1(f, h), GNTST_okay);
	ck_assert_uint_eq(grant_pin(f->s, 1, 8), 0);
	teardown(f);
}
END_TEST

/* get_maptrack_handle keeps the last free entry: F frames hold 256 F - 1
 * mappings; the next map is GNTST_no_space. Freed handles go to the tail. */
START_TEST(grant_maptrack_full_is_no_space_after_256f_minus_1)
{
	fixture *f = setup(1, 12, 2, 1);
	for (uint32_t i = 0; i < 300; i++)
		grant_gst_permit(f->s, 1, 8 + i, 0, GFN0 + i, 0);
	uint32_t h = 0;
	for (uint32_t i = 0; i < 255; i++) {
		ck_assert_int_eq(map1(f, 8 + i, GNTMAP_host_map, &h), GNTST_okay);
		ck_assert_uint_eq(h, i);
	}
	ck_assert_uint_eq(grant_maptrack_limit(f->s, 0), 256);
	ck_assert_int_eq(map1(f, 8 + 255, GNTMAP_host_map, NULL), GNTST_no_space);
	ck_assert_int_eq(unmap1(f, 5), GNTST_okay);
	/* the old sentinel (255) is handed out; 5 becomes the sentinel */
	ck_assert_int_eq(map1(f, 8 + 255, GNTMAP_host_map, &h), GNTST_okay);
	ck_assert_uint_eq(h, 255);
	ck_assert_int_eq(map1(f, 8 + 256, GNTMAP_host_map, NULL), GNTST_no_space);
	ck_assert_uint_eq(grant_stats(f->s)->errors[-GNTST_no_space], 2);
	ck_assert_uint_eq(grant_maptrack_used(f->s, 0), 255);
	teardown(f);
	f = setup(1, 12, 2, 2);   /* two maptrack frames: 255 + 256 */
	ck_assert_int_eq(grant_setup_table(f->s, 1, DOMID_SELF, 2, NULL), GNTST_okay);
	unsigned ok = 0;
	for (uint32_t i = 0; i < 600; i++) {
		grant_gst_permit(f->s, 1, 8 + i, 0, GFN0 + i, 0);
		ok += map1(f, 8 + i, GNTMAP_host_map, NULL) == GNTST_okay;
	}
	ck_assert_uint_eq(ok, 511);
	teardown(f);
}
END_TEST

/* GNTTABOP_copy: at most to the end of a 4 KB page on either side
 * (GNTST_bad_copy_arg), only DOMID_SELF by frame, a read-only grant is no
 * destination, sub-page grants bound the range; pins are released. */
START_TEST(grant_copy_status_codes)
{
	fixture *f = setup(1, 12, 2, 1024);
	unsigned v = 2;
	grant_set_version(f->s, 1, &v);
	grant_gst_permit(f->s, 1, 8, 0, GFN0 + 1, 0);
	grant_gst_permit(f->s, 1, 9, 0, GFN0 + 2, 1);
	grant_gst_sub_page(f->s, 1, 10, 0, GFN0 + 3, 512, 1024, 0);
	grant_copy_op op = { .source = { .ref = GFN0 + 7, .domid = DOMID_SELF, .offset = 16 },
			     .dest = { .ref = 8, .domid = 1, .offset = 100 }, .len = 200,
			     .flags = GNTCOPY_dest_gref };
	grant_copy(f->s, 0, &op, 1);
	ck_assert_int_eq(op.status, GNTST_okay);
	ck_assert_uint_eq(op.src_pa, RAM_PA + 7 * 4096 + 16);
	ck_assert_uint_eq(op.dst_pa, RAM_PA + 4096 + 100);
	ck_assert_uint_eq(grant_pin(f->s, 1, 8), 0);          /* released */
	grant_copy_op bad = op;
	bad.dest.offset = 4000;                                /* 4000 + 200 > 4096 */
	grant_copy(f->s, 0, &bad, 1);
	ck_assert_int_eq(bad.status, GNTST_bad_copy_arg);
	bad = op;
	bad.source.offset = 3900;
	grant_copy(f->s, 0, &bad, 1);
	ck_assert_int_eq(bad.status, GNTST_bad_copy_arg);
	bad = op;
	bad.source.domid = 1;                                  /* a frame of another domain */
	grant_copy(f->s, 0, &bad, 1);
	ck_assert_int_eq(bad.status, GNTST_permission_denied);
	bad = op;
	bad.dest.ref = 9;                                      /* read-only grant */
	grant_copy(f->s, 0, &bad, 1);
	ck_assert_int_eq(bad.status, GNTST_general_error);
	bad = op;
	bad.dest.ref = 9000;                                   /* beyond the table */
	grant_copy(f->s, 0, &bad, 1);
	ck_assert_int_eq(bad.status, GNTST_bad_gntref);
	bad = op;
	bad.dest.domid = 42;
	grant_copy(f->s, 0, &bad, 1);
	ck_assert_int_eq(bad.status, GNTST_bad_domain);
	bad = op;
	bad.source.ref = 5;                                    /* not RAM */
	grant_copy(f->s, 0, &bad, 1);
	ck_assert_int_eq(bad.status, GNTST_bad_page);
	/* sub-page grant [512, 1536): inside is fine, outside is general_error */
	bad = op;
	bad.dest.ref = 10;
	bad.dest.offset = 512;
	grant_copy(f->s, 0, &bad, 1);
	ck_assert_int_eq(bad.status, GNTST_okay);
	bad.dest.offset = 1400;
	grant_copy(f->s, 0, &bad, 1);
	ck_assert_int_eq(bad.status, GNTST_general_error);
	/* the read-only grant is a fine source */
	grant_copy_op rd = { .source = { .ref = 9, .domid = 1 },
			     .dest = { .ref = GFN0, .domid = DOMID_SELF }, .len = 4096,
			     .flags = GNTCOPY_source_gref };
	grant_copy(f->s, 0, &rd, 1);
	ck_assert_int_eq(rd.status, GNTST_okay);
	for (uint32_t r = 8; r <= 10; r++) {
		grant_entry e;
		grant_entry_read(f->s, 1, r, &e);
		ck_assert_uint_eq(e.status, 0);                /* nothing left pinned */
	}
	ck_assert_uint_eq(grant_stats(f->s)->copies, 3);
	ck_assert_uint_eq(grant_stats(f->s)->errors[-GNTST_bad_copy_arg], 2);
	teardown(f);
}
END_TEST

/* setup_table / query_size: DOMID_SELF, another domain only when
 * privileged (XSM target rule), no more than max_frames. */
START_TEST(grant_setup_and_query_status_codes)
{
	fixture *f = setup(1, 12, 2, 1024);
	unsigned nr, max;
	ck_assert_int_eq(grant_query_size(f->s, 1, DOMID_SELF, &nr, &max), GNTST_okay);
	ck_assert_uint_eq(nr, GNT_INITIAL_NR_FRAMES);
	ck_assert_uint_eq(max, 4);
	uint64_t fr[4];
	ck_assert_int_eq(grant_setup_table(f->s, 1, DOMID_SELF, 3, fr), GNTST_okay);
	ck_assert_uint_eq(grant_nr_entries(f->s, 1), 3 * 512);
	uint64_t pa;
	grant_entry_pa(f->s, 1, 1024, &pa);
	ck_assert_uint_eq(pa, fr[2]);
	ck_assert_int_eq(grant_setup_table(f->s, 1, DOMID_SELF, 5, NULL), GNTST_general_error);
	ck_assert_int_eq(grant_setup_table(f->s, 1, 0, 1, NULL), GNTST_permission_denied);
	ck_assert_int_eq(grant_setup_table(f->s, 0, 1, 4, NULL), GNTST_okay);   /* privileged */
	ck_assert_int_eq(grant_setup_table(f->s, 0, 9, 1, NULL), GNTST_bad_domain);
	ck_assert_int_eq(grant_query_size(f->s, 1, 0, &nr, &max), GNTST_permission_denied);
	ck_assert_int_eq(grant_query_size(f->s, 0, 1, &nr, &max), GNTST_okay);
	ck_assert_uint_eq(nr, 4);
	ck_assert_str_eq(grant_status_name(GNTST_no_space), "no_space");
	ck_assert_str_eq(grant_status_name(GNTST_bad_copy_arg), "bad_copy_arg");
	ck_assert_ptr_null(grant_status_name(-14));
	teardown(f);
}
END_TEST

/* The 64 KB grant proposal: one grant, sixteen 4 KB frames, naturally
 * aligned; copies still stop at 4 KB boundaries. */
START_TEST(grant_64k_grant_maps_16_frames_in_one_op)
{
	fixture *f = setup(1, 16, 2, 1024);
	ck_assert_uint_eq(grant_bytes(f->s), 65536);
	grant_gst_permit(f->s, 1, 8, 0, GFN0 + 16, 0);
	grant_gst_permit(f->s, 1, 9, 0, GFN0 + 17, 0);      /* not 64 KB aligned */
	ck_assert_int_eq(map1(f, 8, GNTMAP_host_map, NULL), GNTST_okay);
	ck_assert_uint_eq(f->mlog.n[0], 16);
	for (unsigned i = 0; i < 16; i++)
		ck_assert_uint_eq(f->mlog.pa[0][i], RAM_PA + (16 + i) * 4096);
	ck_assert_int_eq(map1(f, 9, GNTMAP_host_map, NULL), GNTST_bad_page);
	grant_copy_op op = { .source = { .ref = 8, .domid = 1, .offset = 5 * 4096 + 8 },
			     .dest = { .ref = GFN0, .domid = DOMID_SELF }, .len = 4000,
			     .flags = GNTCOPY_source_gref };
	grant_copy(f->s, 0, &op, 1);
	ck_assert_int_eq(op.status, GNTST_okay);
	ck_assert_uint_eq(op.src_pa, RAM_PA + 21 * 4096 + 8);
	op.source.offset = 5 * 4096 + 200;                    /* crosses into frame 6 */
	grant_copy(f->s, 0, &op, 1);
	ck_assert_int_eq(op.status, GNTST_bad_copy_arg);
	teardown(f);
}
END_TEST

Suite *grant_suite(void)
{
	Suite *s = suite_create("grant");
	TCase *t = tcase_create("abi");
	tcase_add_test(t, grant_v1_entry_is_flags_domid_frame_in_8_bytes);
	tcase_add_test(t, grant_v2_entry_is_16_bytes_with_separate_status);
	tcase_add_test(t, grant_set_version_rules_and_reserved_entries_kept);
	tcase_add_test(t, grant_map_status_codes);
	tcase_add_test(t, grant_pins_count_per_kind_and_belong_to_one_domain);
	tcase_add_test(t, grant_unmap_flushes_once_per_chunk_of_32_for_pv_only);
	tcase_add_test(t, grant_unmap_without_host_addr_keeps_the_mapping);
	tcase_add_test(t, grant_maptrack_full_is_no_space_after_256f_minus_1);
	tcase_add_test(t, grant_copy_status_codes);
	tcase_add_test(t, grant_setup_and_query_status_codes);
	tcase_add_test(t, grant_64k_grant_maps_16_frames_in_one_op);
	suite_add_tcase(s, t);
	return s;
}

/*
 * model/xenmm/spage.c - Xen's PV superpage rules (see spage.h).
 *
 * Sources: xenmm_hw.h (xen/arch/x86/mm.c of Xen 4.1-4.9, the proposal's
 * code as merged: mark_superpage, unmark_superpage, get_superpage,
 * put_superpage, get_spage_pages).
 *
 * The rules, as that code keeps them:
 *  - get_spage_pages takes get_page_and_type(PGT_writable_page) on each of
 *    the 512 pages, in order; a page that is a page table refuses the
 *    writable type (a type conflict), and the references taken so far are
 *    dropped again. put_spage_pages drops all 512.
 *  - mark (MMUEXT_MARK_SUPER): a marked superpage is refused ("Duplicate
 *    superpage mark attempt", -EINVAL); a dynamic one already holds its
 *    pages' references; an unused one takes them (get_spage_pages; a type
 *    conflict is -EINVAL). Then SGT_mark and count + 1.
 *  - unmark (MMUEXT_UNMARK_SUPER): anything but SGT_mark is refused
 *    ("Attempt to unmark unmarked superpage", -EINVAL); count - 1; at 0 the
 *    pages' references are dropped (SGT_none), else it stays mapped
 *    (SGT_dynamic).
 *  - get_superpage (an L2 superpage mapping): on SGT_none it takes the 512
 *    references (a type conflict is -EINVAL) and becomes SGT_dynamic;
 *    marked or dynamic, it only counts: one reference on the superpage
 *    instead of 512 - why the proposal made hugepage mapping about 50 times
 *    faster. put_superpage: count - 1; a dynamic superpage back at 0 drops
 *    its 512 references.
 *  - While marked or dynamic every page holds a writable type, so none can
 *    become a page table (get_page_type refuses the change): "a marked page
 *    cannot become a page table".
 * The type_info word is kept as Xen lays it out (SGT_TYPE_MASK, count).
 */
#include "spage.h"
#include "u64map.h"

#include <stdlib.h>

struct spage_sys {
	u64map info;     /* superpage number (mfn >> 9) -> type_info; absent: 0 */
	u64map tables;   /* mfn of a page-table page -> 1 */
	spage_counters n;
};

/* ---------------------------------------------------------------- lifecycle */

spage_sys *spage_create(void)
{
	spage_sys *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	if (u64map_init(&s->info) || u64map_init(&s->tables)) {
		spage_destroy(s);
		return NULL;
	}
	return s;
}

void spage_destroy(spage_sys *s)
{
	if (!s)
		return;
	u64map_free(&s->info);
	u64map_free(&s->tables);
	free(s);
}

/* ---------------------------------------------------------------- rules */

static uint64_t spn(uint64_t mfn) { return mfn >> SUPERPAGE_ORDER; }

static uint64_t info_of(const spage_sys *s, uint64_t sp)
{
	const uint64_t *v = u64map_find(&s->info, sp);
	return v ? *v : 0;
}

/* Store type_info TI of superpage SP; 0, or -1 when out of memory. */
static int set_info(spage_sys *s, uint64_t sp, uint64_t ti)
{
	uint64_t *v = u64map_get(&s->info, sp, NULL);
	if (!v)
		return -1;
	*v = ti;
	return 0;
}
static uint64_t type_of(uint64_t ti) { return field_get64(SGT_TYPE_MASK, ti); }
static uint64_t count_of(uint64_t ti) { return ti & SGT_COUNT_MASK; }
static uint64_t ti_make(uint64_t type, uint64_t count)
{
	return field_prep64(SGT_TYPE_MASK, type) | (count & SGT_COUNT_MASK);
}

/* get_spage_pages: 1 if every page took a writable type, else 0 with the
 * references taken so far dropped again (a page table is a conflict). */
static int get_pages(spage_sys *s, uint64_t sp)
{
	uint64_t first = sp << SUPERPAGE_ORDER;
	for (unsigned i = 0; i < SUPERPAGE_PAGES; i++) {
		if (u64map_find(&s->tables, first + i)) {
			s->n.page_refs += 2 * (uint64_t)i;   /* taken, then put back */
			return 0;
		}
	}
	s->n.page_refs += SUPERPAGE_PAGES;
	return 1;
}

static void put_pages(spage_sys *s) { s->n.page_refs += SUPERPAGE_PAGES; }

int spage_mark(spage_sys *s, uint64_t mfn)
{
	uint64_t sp = spn(mfn), ti = info_of(s, sp);
	uint64_t t = type_of(ti);
	if (t == SGT_mark) {
		s->n.mark_dup++;
		return -XEN_EINVAL;
	}
	if (t == SGT_none && !get_pages(s, sp)) {
		s->n.mark_conflict++;
		return -XEN_EINVAL;
	}
	if (set_info(s, sp, ti_make(SGT_mark, count_of(ti) + 1)))
		return -XEN_ENOMEM;
	s->n.spage_refs++;
	s->n.marks++;
	return 0;
}

int spage_unmark(spage_sys *s, uint64_t mfn)
{
	uint64_t sp = spn(mfn), ti = info_of(s, sp);
	if (type_of(ti) != SGT_mark) {
		s->n.unmark_errors++;
		return -XEN_EINVAL;
	}
	uint64_t c = count_of(ti) - 1;
	if (!c)
		put_pages(s);
	if (set_info(s, sp, ti_make(c ? SGT_dynamic : SGT_none, c)))
		return -XEN_ENOMEM;   /* (never: the key is present) */
	s->n.spage_refs++;
	s->n.unmarks++;
	return 0;
}

int spage_get(spage_sys *s, uint64_t mfn)
{
	uint64_t sp = spn(mfn), ti = info_of(s, sp);
	uint64_t t = type_of(ti);
	if (t == SGT_none) {
		if (!get_pages(s, sp)) {
			s->n.get_conflict++;
			return -XEN_EINVAL;
		}
		t = SGT_dynamic;
	}
	if (set_info(s, sp, ti_make(t, count_of(ti) + 1)))
		return -XEN_ENOMEM;
	s->n.spage_refs++;
	s->n.gets++;
	return 0;
}

void spage_put(spage_sys *s, uint64_t mfn)
{
	uint64_t sp = spn(mfn), ti = info_of(s, sp);
	uint64_t t = type_of(ti), c = count_of(ti) - 1;
	if (t == SGT_dynamic && !c) {
		put_pages(s);
		t = SGT_none;
	}
	set_info(s, sp, ti_make(t, c));   /* the key is present: no allocation */
	s->n.spage_refs++;
	s->n.puts++;
}

int spage_make_table(spage_sys *s, uint64_t mfn)
{
	if (type_of(info_of(s, spn(mfn))) != SGT_none) {
		s->n.table_refused++;
		return -XEN_EINVAL;
	}
	uint64_t *v = u64map_get(&s->tables, mfn, NULL);
	if (!v)
		return -XEN_ENOMEM;
	*v = 1;
	return 0;
}

uint64_t spage_type(const spage_sys *s, uint64_t mfn)
{
	return type_of(info_of(s, spn(mfn)));
}

uint64_t spage_count(const spage_sys *s, uint64_t mfn)
{
	return count_of(info_of(s, spn(mfn)));
}

const spage_counters *spage_stats(const spage_sys *s) { return &s->n; }

/*
 * model/xenmm/spage.h - Xen's PV superpage bookkeeping: for every 2 MB
 * superpage of machine frames a type_info word (none, marked or dynamically
 * mapped, and a use count), for every 4 KB frame whether it is a page
 * table, and the rules of the four operations that change them, with the
 * hypervisor's refusals (-XEN_EINVAL), each counted. The rules and their
 * sources are at the top of spage.c.
 *
 * Frames are machine frame numbers (host-physical address >> 12); any frame
 * of a superpage names it (Xen's mfn_to_spage). The caller charges the
 * costs from the reference counts (spage_counters).
 */
#ifndef SLATSIM_SPAGE_H
#define SLATSIM_SPAGE_H

#include "xenmm_hw.h"

#include <stdint.h>

typedef struct spage_sys spage_sys;

typedef struct spage_counters {
	uint64_t marks, unmarks;     /* MMUEXT_[UN]MARK_SUPER that succeeded */
	uint64_t mark_dup;           /* marks of a marked superpage, refused */
	uint64_t mark_conflict;      /* marks refused: a page of it is a page table */
	uint64_t unmark_errors;      /* unmarks of a superpage not marked, refused */
	uint64_t gets, puts;         /* whole-superpage mappings taken and dropped */
	uint64_t get_conflict;       /* mappings refused: a page of it is a page table */
	uint64_t table_refused;      /* frames refused as page tables: their superpage
				      * holds a writable type (marked or mapped whole) */
	uint64_t page_refs;          /* get_page_and_type / put_page_and_type on 4 KB pages */
	uint64_t spage_refs;         /* updates of a superpage's use count */
} spage_counters;

/* An empty system (every superpage SGT_none, no page tables); NULL when out
 * of memory. */
spage_sys *spage_create(void);
void spage_destroy(spage_sys *s);

/* MMUEXT_MARK_SUPER of MFN's superpage (mark_superpage): 0; -XEN_EINVAL if
 * it is marked already (double marking) or a page of it is a page table;
 * -XEN_ENOMEM. */
int spage_mark(spage_sys *s, uint64_t mfn);
/* MMUEXT_UNMARK_SUPER (unmark_superpage): 0, or -XEN_EINVAL if it is not
 * marked. */
int spage_unmark(spage_sys *s, uint64_t mfn);
/* A mapping of the whole superpage (get_superpage, an L2 superpage entry):
 * 0; -XEN_EINVAL if a page of it is a page table; -XEN_ENOMEM. */
int spage_get(spage_sys *s, uint64_t mfn);
/* Its unmapping (put_superpage); the mapping must have been taken. */
void spage_put(spage_sys *s, uint64_t mfn);
/* Frame MFN is to become a page table (get_page_type(PGT_l1..l4_page_table)):
 * 0; -XEN_EINVAL if its superpage is marked or mapped whole, which holds a
 * writable type on every page of it; -XEN_ENOMEM. */
int spage_make_table(spage_sys *s, uint64_t mfn);

/* SGT_none, SGT_mark or SGT_dynamic, and the use count, of MFN's superpage. */
uint64_t spage_type(const spage_sys *s, uint64_t mfn);
uint64_t spage_count(const spage_sys *s, uint64_t mfn);
const spage_counters *spage_stats(const spage_sys *s);

#endif

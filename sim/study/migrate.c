/*
 * sim/study/migrate.c - live-migration pre-copy (see migrate.h).
 *
 * Sources: ../shared/ARCH-FACTS.md §2 (how Xen and KVM harvest the dirty
 * log), §5.3 (privcmd mmap-batch: REMAP_BATCH_SIZE 16 updates per
 * hypercall, one flush per call; foreign frames in an auto-translated
 * domain's own stage 2); Xen's libxc xc_domain_save.c (4.5 and before: a
 * batch is MAX_BATCH_SIZE 1024 pages, at most DEF_MAX_ITERS 29 + 1 rounds, a
 * round that sent fewer than 50 pages is the last); the batched-mapping
 * patch's measurements quoted in issue 13 (the cost defaults, sim/machine/params.c);
 * the PV superpage proposal's rules (model/xenmm/spage.c).
 *
 * Model:
 *  - Time. The guest (domain 0) runs its trace; its clock is its cycles
 *    (cycles.total of the domain, shared among its vCPUs, which run in
 *    parallel) at core.freq_ghz. The sender - the toolstack in the control
 *    domain - works on a clock of its own that starts with the guest's; it
 *    sends a chunk of pages, its clock moves on by what the chunk took, and
 *    the guest then runs until its clock reaches the sender's. A chunk is
 *    one page (migrate.map=per_page) or migrate.map_batch pages (batch,
 *    persistent), in guest-physical order, as xc_domain_save sends a batch.
 *  - A chunk: map its pages into the control domain (one map call, one
 *    hypercall per 16 entries, one entry per 4 KB page or per 2 MB
 *    superpage; persistent maps only what is not mapped yet), read each
 *    page through the control domain's vCPU (one 8-byte access per page:
 *    its TLBs, walk caches and walker, machine_vcpu_access), put it on the
 *    link (4096 bytes at migrate.bandwidth; the sender's own work per page,
 *    migrate.send.cycles - the copy into the socket, the toolstack's
 *    bookkeeping - overlaps the link: the transfer takes the longer of the
 *    two, as a blocking write to a TCP socket returns when the last byte is
 *    in its buffer), then unmap the chunk in one
 *    p2m update: the stage-2 entries go and every cached translation of the
 *    control domain is invalidated once (hyp_unmap_foreign_range: TLBI
 *    VMALLS12E1IS / INVEPT single-context; an IPA-only invalidation would
 *    leave combined stage-1+2 entries, ARCH-FACTS §6 8). persistent unmaps
 *    once, after the migration. The chunk takes the cycles of the calls,
 *    entries, references and flushes (migrate.*.cycles), the control
 *    domain's own cycles for its reads, and the transfer, in sequence (map,
 *    copy, unmap: xc_domain_save does not overlap them).
 *    DEVIATION: the receiver is not modelled: on localhost its own copy and
 *    mapping run on another CPU, as fast as the link it stands for
 *    (migrate.bandwidth).
 *  - What a page holds when it is sent is what it held when the control
 *    domain read it: at the chunk's start, before the guest runs on.
 *  - Rounds. Round 0 sends every 4 KB page of guest RAM the guest's stage
 *    2 maps when the migration starts (the trace's footprint, populated
 *    first as sim.prefault does, and migrate.memory). At the end of each
 *    round the dirty log is harvested (machine_harvest: the rounds of
 *    sim/machine/dirtylog.c, any dirtylog.mode; its cost moves the sender's clock
 *    too) and the next round sends what it reported. When migrate.policy's
 *    rules say the round was the last live one (stop_rule: Xen's
 *    xc_domain_save, xc_sr_save, or the earlier dirtyset rule), the guest
 *    is paused and stop-and-copy sends what that harvest reported: the
 *    downtime is that last harvest and the sending. With policy=legacy a
 *    live round's batches skip the pages written since its harvest (the
 *    ground truth stands for SHADOW_OP_PEEK's bitmap; a page the log
 *    missed is skipped all the same).
 *  - Superpages. A 2 MB region of guest RAM that a 2 MB (or larger) stage-2
 *    leaf backed when the migration started lies in a host superpage. With
 *    batch and persistent the control domain maps it whole - one 2 MB
 *    stage-2 entry and a 2 MB stage-1 block, one TLB entry - when that costs
 *    no more than mapping the chunk's pages of it one by one (entry, unmap
 *    and references against entry, unmap and a 16th of a hypercall each)
 *    and the superpage rules let it (spage_get: refused when a page of it
 *    is a guest page table; then its pages are mapped one by one). per_page
 *    maps 4 KB pages only, and so does every method with
 *    migrate.superpage=off, the default: the batched-mapping patch maps a
 *    list of 4 KB frames (xc_map_foreign_bulk of a pfn array; privcmd
 *    mmapbatch remaps one 4 KB gfn an entry), superpages whole are the PV
 *    superpage proposal's.
 *    migrate.superpage=mark marks every such superpage when the migration
 *    starts (MMUEXT_MARK_SUPER: the guest's, refused when a page table lies
 *    in it), so a mapping takes one reference instead of 512. A guest
 *    table page allocated later in a marked superpage is refused (counted)
 *    and the superpage unmarked before it becomes one. Each mark and
 *    unmark costs a hypercall and its 512 references (migrate.ref.cycles),
 *    in migrate.map_cycles (issue 24: they were counted, never charged);
 *    the marks come before round 0 on the sender's clock.
 *    DEVIATION: the marks are the guest's hypercalls (the proposal's PV
 *    guest marks its superpages), put on the sender's clock; an unmark
 *    during the migration is counted in map_cycles but on no clock.
 *  - Ground truth. The machine adds every 4 KB page the guest writes (its
 *    records and the I/O model's accesses, after translation: what
 *    dirtylog.true_pages counts) to a set the engine empties before each
 *    chunk: those pages were last written in the slice of time that ended
 *    there; the chunk's reads then send them as of that moment. After
 *    stop-and-copy a page last written in a later slice than it was last
 *    read - or written and never read - was lost: the destination holds an
 *    older copy. Pages populated but never sent are unsent (never written:
 *    the destination's zero page is right).
 *  - Guest slowdown: the records the guest ran, replayed on a second
 *    machine with dirty logging off (its control domain idle), cycles over
 *    cycles.
 *  - The trace is replayed from its start when it ends first (migrate.loop),
 *    each time counted; a pass that moved the guest's clock by nothing ends
 *    the replay (the guest then idles, as with migrate.loop=0).
 * DEVIATION: the guest OS model's own page-table writes are not accesses,
 * so the ground truth has only the guest's accesses (as dirtylog.true_pages).
 * A persistent superpage mapping that keeps a later guest table page from
 * being one is counted (table_refused) but the table is used anyway.
 */
#include "migrate.h"
#include "bits.h"
#include "guest.h"
#include "hyp.h"
#include "replay.h"
#include "spage.h"
#include "u64map.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAP_PER_PAGE, MAP_BATCH, MAP_PERSISTENT };
enum { POL_LEGACY, POL_V2, POL_DIRTYSET };   /* migrate.policy, in its order */

/* The policies' own live-pass limits (migrate.max_rounds=0). */
#define DEF_MAX_ITERS       29u  /* xc_domain_save.c: "limit us to 30 times round loop" */
#define V2_MAX_ITERATIONS   5u   /* xc_sr_save.c xc_domain_save2: save.max_iterations */
#define DIRTYSET_MAX_ROUNDS 30u  /* slatsim's earlier default */

#define PAGE                4096u
#define SP_SHIFT            SUPERPAGE_SHIFT
#define SP_BYTES            (UINT64_C(1) << SP_SHIFT)
#define REMAP_BATCH_SIZE    16u          /* updates per mapping hypercall (Linux privcmd) */
#define SP_BY_PAGE          UINT64_MAX   /* a superpage mapped by its 4 KB pages */
#define CTL_VCPU            MACHINE_BACKEND_VCPU
#define READ_BYTES          8u

typedef struct mig_cfg {
	int map;
	unsigned batch;
	int mark;
	int spmap;                     /* a superpage may be mapped whole (refcount, mark) */
	int xlate;                     /* domains.control_mode: translated */
	uint64_t bandwidth;            /* bytes per second */
	uint64_t stop_pages;
	unsigned max_rounds;           /* live passes at most */
	int policy;
	uint64_t max_factor;
	int loop;
	uint64_t memory;
	uint64_t max_records;          /* sim.max_records: guest records at most (0: all) */
	double freq_ghz;
	uint64_t c_call, c_hcall, c_frame, c_unmap, c_flush, c_ref;
	uint64_t c_send;               /* the sender's own cycles per page sent */
} mig_cfg;

/* A page's ground truth: the slice it was last written in, the slice it was
 * last read in to be sent (0: never). Slices are numbered from 1; the
 * writes of slice S come before the reads of slice S. */
typedef struct truth {
	uint64_t written, sent;
} truth;

struct migrate {
	mig_cfg c;
	param_reg *pm, *pb;            /* the guest machine's registry, the baseline's */
	machine *m, *base;
	unsigned ctl;                  /* the control domain */
	guest *g, *cg;
	hyp *h, *ch;
	spage_sys *sp;
	const migrate_source *src;
	char *err;
	size_t errlen;
	/* the guest */
	unsigned nvcpus;
	uint64_t pass_records;         /* records of one pass */
	trace_rec *buf;
	size_t bn, bi, bfed;           /* read, run, fed to the baseline */
	size_t bneed;                  /* the record from which a vCPU may need adding */
	uint64_t records, pass_rec;    /* run in all, in this pass */
	double pass_start_us;
	int idle;
	size_t tables_seen;
	/* ground truth */
	pageset written;               /* the machine's: pages written this slice */
	u64map tmap;                   /* guest page number -> index in tr */
	truth *tr;
	size_t ntr, cap_tr;
	uint64_t slice;
	/* memory */
	u64map spr;                    /* 2 MB GPA region number -> host superpage's mfn */
	uint64_t *pages0;              /* round 0: every populated page number */
	size_t npages0, cap_pages0;
	uint64_t *list;                /* a round's pages */
	size_t nlist, cap_list;
	/* the control domain's windows: 2 MB slots below WIN, 4 KB slots from it */
	uint64_t win_gpa, win_va;
	uint64_t s1_4k, s1_2m;         /* slots whose stage-1 mapping exists */
	u64map chunk_sp;               /* this chunk's superpages: region -> slot + 1 */
	u64map chunk_cnt;              /* this chunk's pages per superpage region */
	u64map pers_sp, pers_4k;       /* persistent: region -> slot + 1, page -> slot + 1 */
	uint64_t n4k, n2m;             /* slots in use (the chunk's, or persistent's) */
	uint64_t *sp_mfn;              /* the superpages those 2 MB slots map */
	size_t cap_sp;
	uint64_t *va;                  /* per page of the chunk */
	uint64_t *chunk;               /* legacy: a batch's pages after the skip */
	uint64_t clean_slice;          /* the last slice before the last harvest */
	uint64_t pa[SUPERPAGE_PAGES];
	/* rounds */
	migrate_round *rounds;
	size_t nrounds, cap_rounds;
	const char *stop;
	double t_us;                   /* the sender's clock */
	/* statistics */
	uint64_t n_rounds, pages_sent, pages_skipped, total_us, downtime_us, unsent, map_cycles;
	uint64_t guest_cycles, base_cycles, lost, loops;
	uint64_t map_calls, hypercalls, frames, sp_maps, unmapped, flushes, read_cycles;
	uint64_t harvest_cycles;
	uint64_t send_cycles;          /* migrate.send.cycles per page sent */
	uint64_t link_bound;           /* chunks whose transfer the link bounded */
	uint64_t mark_cycles;          /* MMUEXT_(UN)MARK_SUPER: hypercalls and references */
};

/* ---------------------------------------------------------------- config */

#define CFGERR(...) do { snprintf(err, errlen, __VA_ARGS__); return TRACE_EFORMAT; } while (0)

/* 1 if KEY or domain.0.KEY was set. */
static int set_anywhere(const param_reg *p, const char *key)
{
	for (size_t i = 0; i < param_count(p); i++)
		if (param_is_set_at(p, i) && strcmp(param_def_at(p, i)->name, key) == 0)
			return 1;
	return 0;
}

static int setp(param_reg *p, const char *kv, char *err, size_t errlen)
{
	return param_set_assignment(p, kv, "migrate", err, errlen) == PARAM_OK ? 0 : -1;
}

/* The effective registries: the guest's (a control domain; dirty logging
 * pml on x86 and wp on arm64 unless set) and the baseline's (no logging).
 * Refusals name the key. */
static int build_params(migrate *x, const param_reg *p, char *err, size_t errlen)
{
	if (param_enum(p, "virt") != 1)
		CFGERR("virt=%s: migration copies a virtual machine's memory, it needs "
		       "virt=nested", param_text(p, "virt"));
	if (param_int(p, "domains") != 1)
		CFGERR("domains=%lld: slatsim migrate migrates the one traced guest (domain 0): "
		       "leave domains=1", (long long)param_int(p, "domains"));
	if (param_enum(p, "arch") == 1 && param_enum(p, "migrate.superpage") == 2)
		CFGERR("migrate.superpage=mark: marking a superpage is an x86 PV MMUEXT op "
		       "(MMUEXT_MARK_SUPER, do_mmuext_op); Xen on Arm has no mmuext_op: use off on "
		       "arch=arm64");
	if (param_enum(p, "arch") == 1 && param_enum(p, "domains.control_mode") == 1)
		CFGERR("domains.control_mode=pv: an arm64 control domain is always auto-translated "
		       "(Xen on Arm has no PV guests): use translated or auto");
	int xlate_cm = param_enum(p, "domains.control_mode") == 2 ||
		       (param_enum(p, "domains.control_mode") == 0 && param_enum(p, "arch") == 1);
	if (xlate_cm && param_enum(p, "migrate.superpage") != 0)
		CFGERR("migrate.superpage=%s: mapping a guest superpage whole is the PV superpage "
		       "proposal's (get_superpage for a PV mapping); a translated control domain "
		       "maps 4 KB frames (xen_for_each_gfn, XENMEM_add_to_physmap_range): use off",
		       param_text(p, "migrate.superpage"));
	if (!(x->pm = param_clone(p)) || !(x->pb = param_clone(p))) {
		snprintf(err, errlen, "out of memory (copying the configuration)");
		return TRACE_ENOMEM;
	}
	int arm = param_enum(p, "arch") == 1;
	if (setp(x->pm, "domains.control=1", err, errlen) ||
	    (!set_anywhere(p, "dirtylog.mode") &&
	     setp(x->pm, arm ? "dirtylog.mode=wp" : "dirtylog.mode=pml", err, errlen)) ||
	    setp(x->pb, "domains.control=1", err, errlen) ||   /* (idle: domain.1.* stays valid) */
	    setp(x->pb, "dirtylog.mode=off", err, errlen) ||
	    setp(x->pb, "domain.0.dirtylog.mode=off", err, errlen))
		return TRACE_EINTERNAL;
	param_reg *d0 = param_scoped(x->pm, 0);
	if (!d0) {
		snprintf(err, errlen, "out of memory (copying the configuration)");
		return TRACE_ENOMEM;
	}
	int rc = 0;
	if (param_enum(d0, "dirtylog.mode") == 0)
		snprintf(err, errlen, "dirtylog.mode=off: every pre-copy round sends what the dirty "
			 "log reports; set wp, pml (x86), dbm or hdbss (arm64)"), rc = TRACE_EFORMAT;
	else if (param_int(d0, "dirtylog.period"))
		snprintf(err, errlen, "dirtylog.period=%s: slatsim migrate ends the dirty-logging "
			 "rounds itself, one harvest per pre-copy round; leave it 0",
			 param_text(d0, "dirtylog.period")), rc = TRACE_EFORMAT;
	else if (param_int(d0, "dirtylog.range_base"))
		snprintf(err, errlen, "dirtylog.range_base=%s: a migration must track all of guest "
			 "RAM; leave it 0", param_text(d0, "dirtylog.range_base")), rc = TRACE_EFORMAT;
	else if (param_int(d0, "dirtylog.range"))
		snprintf(err, errlen, "dirtylog.range=%s: a migration must track all of guest RAM; "
			 "leave it 0", param_text(d0, "dirtylog.range")), rc = TRACE_EFORMAT;
	param_destroy(d0);
	return rc;
}

static void build_cfg(mig_cfg *c, const param_reg *p)
{
	c->map = param_enum(p, "migrate.map");
	c->batch = c->map == MAP_PER_PAGE ? 1 : (unsigned)param_int(p, "migrate.map_batch");
	c->spmap = param_enum(p, "migrate.superpage") != 0;   /* off|refcount|mark */
	int cm = param_enum(p, "domains.control_mode");         /* auto|pv|translated */
	c->xlate = cm == 2 || (cm == 0 && param_enum(p, "arch") == 1);
	c->mark = param_enum(p, "migrate.superpage") == 2;
	c->bandwidth = (uint64_t)param_int(p, "migrate.bandwidth");
	c->stop_pages = (uint64_t)param_int(p, "migrate.stop_pages");
	c->policy = param_enum(p, "migrate.policy");
	c->max_factor = (uint64_t)param_int(p, "migrate.max_factor");
	c->max_rounds = (unsigned)param_int(p, "migrate.max_rounds");
	if (!c->max_rounds)
		c->max_rounds = c->policy == POL_LEGACY ? DEF_MAX_ITERS :
				c->policy == POL_V2 ? V2_MAX_ITERATIONS : DIRTYSET_MAX_ROUNDS;
	c->loop = param_bool(p, "migrate.loop");
	c->memory = (uint64_t)param_int(p, "migrate.memory");
	c->max_records = (uint64_t)param_int(p, "sim.max_records");
	c->freq_ghz = param_float(p, "core.freq_ghz");
	c->c_call = (uint64_t)param_int(p, "migrate.call.cycles");
	c->c_hcall = (uint64_t)param_int(p, "migrate.hypercall.cycles");
	c->c_frame = (uint64_t)param_int(p, "migrate.frame.cycles");
	c->c_unmap = (uint64_t)param_int(p, "migrate.unmap.cycles");
	c->c_flush = (uint64_t)param_int(p, "migrate.flush.cycles");
	c->c_ref = (uint64_t)param_int(p, "migrate.ref.cycles");
	c->c_send = (uint64_t)param_int(p, "migrate.send.cycles");
}

/* ---------------------------------------------------------------- statistics */

static void register_stats(migrate *x)
{
	stats_reg *st = machine_stats(x->m);
	const spage_counters *s = spage_stats(x->sp);
	stats_add(st, "migrate.rounds", &x->n_rounds, "pre-copy rounds, round 0 included (the "
		  "stop-and-copy is not one)");
	stats_add(st, "migrate.pages_sent", &x->pages_sent, "4 KB pages sent, every round and "
		  "the stop-and-copy");
	stats_add(st, "migrate.total_us", &x->total_us, "microseconds from the start to the end "
		  "of the stop-and-copy (core.freq_ghz)");
	stats_add(st, "migrate.downtime_us", &x->downtime_us, "microseconds the guest was "
		  "paused: the last harvest and the stop-and-copy");
	stats_add(st, "migrate.unsent_pages", &x->unsent, "populated guest pages never sent "
		  "(populated after round 0 and never written)");
	stats_add(st, "migrate.map_cycles", &x->map_cycles, "control-domain cycles of mapping and "
		  "unmapping: calls, hypercalls, entries, references, flushes");
	stats_add(st, "migrate.lost_pages", &x->lost, "pages whose last write was never sent "
		  "(ground truth; 0 in a safe configuration)");
	stats_add(st, "migrate.loops", &x->loops, "times the trace was replayed from its start "
		  "(migrate.loop)");
	stats_add(st, "migrate.guest_cycles", &x->guest_cycles, "the guest's cycles.total during "
		  "the migration");
	stats_add(st, "migrate.baseline_cycles", &x->base_cycles, "the same records' cycles "
		  "without dirty logging");
	stats_add_ratio(st, "migrate.guest_slowdown", "migrate.guest_cycles",
			"migrate.baseline_cycles", "guest cycles with migration over without "
			"(same records)");
	stats_add(st, "migrate.pages_skipped", &x->pages_skipped, "pages a live pass did not "
		  "send because they were dirtied again since the pass began (policy=legacy: "
		  "xc_domain_save's skip_this_iter); sent by a later pass");
	stats_add(st, "migrate.map_calls", &x->map_calls, "map calls of the control domain");
	stats_add(st, "migrate.hypercalls", &x->hypercalls, "mapping hypercalls (up to 16 "
		  "entries each, REMAP_BATCH_SIZE)");
	stats_add(st, "migrate.frames_mapped", &x->frames, "4 KB entries mapped");
	stats_add(st, "migrate.superpages_mapped", &x->sp_maps, "2 MB entries mapped (a guest "
		  "superpage whole)");
	stats_add(st, "migrate.entries_unmapped", &x->unmapped, "entries unmapped (4 KB and 2 MB)");
	stats_add(st, "migrate.flushes", &x->flushes, "unmaps that invalidated the control "
		  "domain's translations (one per p2m update)");
	stats_add(st, "migrate.read_cycles", &x->read_cycles, "the control domain's cycles "
		  "reading the pages it sends (its TLBs and walks)");
	stats_add(st, "migrate.send_cycles", &x->send_cycles, "the sender's own cycles putting "
		  "the pages on the link (migrate.send.cycles a page: the copy to the socket and "
		  "the toolstack's per-page work); a chunk's transfer takes the longer of these and "
		  "its time on the link");
	stats_add(st, "migrate.link_bound_chunks", &x->link_bound, "chunks whose transfer the "
		  "link bounded (their time at migrate.bandwidth was longer than their send "
		  "cycles); the others the sender's CPU bounded");
	stats_add(st, "migrate.harvest_cycles", &x->harvest_cycles, "dirty-log harvests at round "
		  "ends (in the guest's cycles.dirtylog, and on the sender's clock)");
	stats_add(st, "migrate.page_refs", &s->page_refs, "page references taken or dropped for "
		  "superpages (512 per refcounted mapping or unmapping, 512 per first mark)");
	stats_add(st, "migrate.superpage_refs", &s->spage_refs, "updates of a superpage's use "
		  "count (one per marked mapping)");
	stats_add(st, "migrate.superpage.marks", &s->marks, "superpages marked "
		  "(MMUEXT_MARK_SUPER)");
	stats_add(st, "migrate.superpage.mark_refused", &s->mark_conflict, "marks refused: a page "
		  "of the superpage is a page table");
	stats_add(st, "migrate.superpage.double_marks", &s->mark_dup, "marks of a marked "
		  "superpage, refused");
	stats_add(st, "migrate.superpage.unmarks", &s->unmarks, "superpages unmarked "
		  "(MMUEXT_UNMARK_SUPER)");
	stats_add(st, "migrate.superpage.mark_cycles", &x->mark_cycles, "cycles of marking and "
		  "unmarking (a hypercall each, migrate.ref.cycles per page reference), in "
		  "migrate.map_cycles; the marks at the start are on the sender's clock");
	stats_add(st, "migrate.superpage.unmark_refused", &s->unmark_errors, "unmarks of a "
		  "superpage not marked, refused");
	stats_add(st, "migrate.superpage.map_refused", &s->get_conflict, "whole-superpage "
		  "mappings refused: a page of it is a page table (mapped by 4 KB instead)");
	stats_add(st, "migrate.superpage.table_refused", &s->table_refused, "guest frames "
		  "refused as page tables: their superpage was marked or mapped whole");
}

/* ---------------------------------------------------------------- lifecycle */

int migrate_create(migrate **out, const param_reg *p, char *err, size_t errlen)
{
	*out = NULL;
	migrate *x = calloc(1, sizeof(*x));
	if (!x) {
		snprintf(err, errlen, "out of memory (creating the migration)");
		return TRACE_ENOMEM;
	}
	int rc = build_params(x, p, err, errlen);
	if (rc) {
		migrate_destroy(x);
		return rc;
	}
	build_cfg(&x->c, x->pm);
	if ((rc = machine_create(&x->m, x->pm, err, errlen)) != TRACE_OK ||
	    (rc = machine_create(&x->base, x->pb, err, errlen)) != TRACE_OK) {
		migrate_destroy(x);
		return rc;
	}
	x->ctl = machine_control_domain(x->m);
	if (machine_rooms(x->m, 0, &x->g, &x->h) || machine_rooms(x->m, x->ctl, &x->cg, &x->ch)) {
		migrate_destroy(x);
		snprintf(err, errlen, "internal: the machine has no control domain");
		return TRACE_EINTERNAL;
	}
	const char *which = guest_s1(x->cg)->gran_shift != 12 ? "guest" :
			    hyp_tables(x->ch)->g->gran_shift != 12 ? "host" : NULL;
	if (which) {
		snprintf(err, errlen, "domain.%u.%s.granule: the control domain maps the guest's "
			 "4 KB frames and 2 MB superpages, its stage %s needs a 4k granule (it "
			 "takes domain 0's unless domain.%u.%s.granule is set)", x->ctl, which,
			 which[0] == 'g' ? "1" : "2", x->ctl, which);
		migrate_destroy(x);
		return TRACE_EFORMAT;
	}
	/* migrate.memory is guest RAM from GUEST_RAM_BASE up: it must fit the
	 * guest's IPA space (beyond it a GPA has no stage-2 entry to hold it). */
	unsigned ipa0 = hyp_tables(x->h)->g->in_bits;
	uint64_t room = (UINT64_C(1) << ipa0) - GUEST_RAM_BASE;
	if (x->c.memory > room) {
		snprintf(err, errlen, "migrate.memory=%s: guest RAM from 0x%llx would end beyond "
			 "the guest-physical space of %u bits (host.ipa_bits): at most %llu bytes",
			 param_text(x->pm, "migrate.memory"), (unsigned long long)GUEST_RAM_BASE,
			 ipa0, (unsigned long long)room);
		migrate_destroy(x);
		return TRACE_EFORMAT;
	}
	x->buf = malloc(REPLAY_BATCH * sizeof(*x->buf));
	x->va = malloc(x->c.batch * sizeof(*x->va));
	x->chunk = malloc(x->c.batch * sizeof(*x->chunk));
	x->sp = spage_create();
	if (!x->buf || !x->va || !x->chunk || !x->sp || pageset_init(&x->written) || u64map_init(&x->tmap) || u64map_init(&x->spr) ||
	    u64map_init(&x->chunk_sp) || u64map_init(&x->chunk_cnt) || u64map_init(&x->pers_sp) || u64map_init(&x->pers_4k)) {
		migrate_destroy(x);
		snprintf(err, errlen, "out of memory (creating the migration)");
		return TRACE_ENOMEM;
	}
	register_stats(x);
	if (stats_failed(machine_stats(x->m))) {
		migrate_destroy(x);
		snprintf(err, errlen, "out of memory (registering statistics)");
		return TRACE_ENOMEM;
	}
	/* The control domain's windows: high in its IPA space and its kernel
	 * half, clear of the I/O model's. */
	unsigned ipa = hyp_tables(x->ch)->g->in_bits, vab = guest_s1(x->cg)->in_bits;
	x->win_gpa = UINT64_C(3) << (ipa - 2);
	x->win_va = (~UINT64_C(0) << (vab - 1)) + (UINT64_C(1) << (vab - 3));
	*out = x;
	return TRACE_OK;
}

void migrate_destroy(migrate *x)
{
	if (!x)
		return;
	machine_destroy(x->m);
	machine_destroy(x->base);
	param_destroy(x->pm);
	param_destroy(x->pb);
	spage_destroy(x->sp);
	free(x->buf);
	free(x->va);
	free(x->chunk);
	free(x->tr);
	free(x->pages0);
	free(x->list);
	free(x->sp_mfn);
	free(x->rounds);
	pageset_free(&x->written);
	u64map_free(&x->tmap);
	u64map_free(&x->spr);
	u64map_free(&x->chunk_sp);
	u64map_free(&x->chunk_cnt);
	u64map_free(&x->pers_sp);
	u64map_free(&x->pers_4k);
	free(x);
}

machine *migrate_machine(migrate *x) { return x->m; }
const param_reg *migrate_params(const migrate *x) { return x->pm; }
const char *migrate_stop_reason(const migrate *x) { return x->stop ? x->stop : ""; }
uint64_t migrate_trace_records(const migrate *x) { return x->pass_records; }
uint64_t migrate_loops(const migrate *x) { return x->loops; }

const migrate_round *migrate_rounds(const migrate *x, size_t *n)
{
	*n = x->nrounds;
	return x->rounds;
}

/* ---------------------------------------------------------------- errors */

static int fail(migrate *x, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The message into the caller's buffer; returns CODE. */
static int fail(migrate *x, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->err, x->errlen, fmt, ap);
	va_end(ap);
	return code;
}

static int oom(migrate *x, const char *what)
{
	return fail(x, TRACE_ENOMEM, "out of memory (%s)", what);
}

/* The machine M failed. */
static int mach_fail(migrate *x, const machine *m)
{
	return fail(x, machine_error_code(m), "%s", machine_error(m));
}

/* ---------------------------------------------------------------- clocks */

static double us_of_cycles(const migrate *x, uint64_t cyc)
{
	return (double)cyc / (x->c.freq_ghz * 1e3);
}

static double guest_us(const migrate *x)
{
	return us_of_cycles(x, machine_domain_cycles(x->m, 0)) / x->nvcpus;
}

/* ---------------------------------------------------------------- ground truth */

static truth *truth_of(migrate *x, uint64_t pfn)
{
	int added;
	uint64_t *v = u64map_get(&x->tmap, pfn, &added);
	if (!v)
		return NULL;
	if (added) {
		if (x->ntr == x->cap_tr) {
			size_t nc = x->cap_tr ? 2 * x->cap_tr : 4096;
			truth *nt = realloc(x->tr, nc * sizeof(*nt));
			if (!nt)
				return NULL;
			x->tr = nt;
			x->cap_tr = nc;
		}
		x->tr[x->ntr] = (truth){ 0, 0 };
		*v = x->ntr++;
	}
	return &x->tr[*v];
}

/* A slice of time ends: the pages the guest wrote in it were last written
 * in it (RAM only: a grant-table frame in its physmap is Xen's). */
static int end_slice(migrate *x)
{
	x->slice++;
	const pageset *w = &x->written;
	if (!pageset_count(w))
		return 0;
	for (size_t i = 0; i <= w->mask; i++)
		if (pageset_slot_used(w, i) && !hyp_foreign(x->h, w->slot[i] << 12)) {
			truth *t = truth_of(x, w->slot[i]);
			if (!t)
				return oom(x, "ground truth");
			t->written = x->slice;
		}
	pageset_clear(&x->written);
	return 0;
}

/* ---------------------------------------------------------------- the guest */

static uint64_t mark_cost(migrate *x, uint64_t refs0);

/* Guest table pages allocated since the last look: a marked superpage
 * refuses to hold one (counted); the guest unmarks it first. */
static int new_tables(migrate *x)
{
	size_t n;
	const uint64_t *t = guest_table_frames(x->g, &n);
	for (; x->tables_seen < n; x->tables_seen++) {
		uint64_t hpa;
		if (hyp_lookup(x->h, t[x->tables_seen], &hpa))
			continue;   /* (always backed: the guest OS asks before using it) */
		int rc = spage_make_table(x->sp, hpa >> 12);
		const spage_counters *s = spage_stats(x->sp);
		uint64_t refs0 = s->page_refs + s->spage_refs;
		if (rc == -XEN_EINVAL && spage_type(x->sp, hpa >> 12) == SGT_mark &&
		    spage_unmark(x->sp, hpa >> 12) == 0) {
			mark_cost(x, refs0);
			rc = spage_make_table(x->sp, hpa >> 12);
		}
		if (rc == -XEN_ENOMEM)
			return oom(x, "superpages");
	}
	return 0;
}

/* The records the guest ran, fed to the baseline machine. */
static int feed_baseline(migrate *x)
{
	size_t failed;
	if (x->bi > x->bfed && replay_batch(x->base, x->buf + x->bfed, x->bi - x->bfed,
					    x->records - (x->bi - x->bfed), NULL, &failed))
		return mach_fail(x, x->base);
	x->bfed = x->bi;
	return 0;
}

/* Refill the buffer: 1 if records came, 0 if the guest idles from now on,
 * or a negative code. */
static int refill(migrate *x)
{
	const migrate_source *s = x->src;
	int rc = feed_baseline(x);
	if (rc)
		return rc;
	x->bn = x->bi = x->bfed = x->bneed = 0;
	long n = s->read(s->ctx, x->buf, REPLAY_BATCH, x->err, x->errlen);
	if (n == 0 && x->c.loop && guest_us(x) > x->pass_start_us) {
		if ((rc = s->rewind(s->ctx, x->err, x->errlen)) != TRACE_OK)
			return rc;
		x->loops++;
		x->pass_rec = 0;
		x->pass_start_us = guest_us(x);
		n = s->read(s->ctx, x->buf, REPLAY_BATCH, x->err, x->errlen);
	}
	if (n < 0)
		return (int)n;
	x->bn = (size_t)n;
	return n > 0;
}

/* Record AT of the pass failed in the guest's machine. */
static int record_fail(migrate *x, uint64_t at)
{
	char e[512];
	snprintf(e, sizeof(e), "%s", machine_error(x->m));
	return fail(x, machine_error_code(x->m), "%s: record %llu: %s", x->src->name,
		    (unsigned long long)at, e);
}

/* The guest runs whole records until its clock reaches the sender's (the
 * record that reaches it is the last), or it idles. 0 or a negative code. */
static int guest_catch_up(migrate *x)
{
	uint64_t limit = (uint64_t)ceil(x->t_us * x->c.freq_ghz * 1e3 * x->nvcpus);
	while (!x->idle && machine_domain_cycles(x->m, 0) < limit) {
		if (x->c.max_records && x->records >= x->c.max_records) {
			x->idle = 1;
			break;
		}
		if (x->bi == x->bn) {
			int rc = refill(x);
			if (rc <= 0) {
				x->idle = rc == 0;
				return rc;
			}
		}
		/* A record whose vCPU is new: added first (machine_add_vcpu); the
		 * records run up to the next such. */
		if (x->bi == x->bneed) {
			size_t k;
			if (replay_vcpus(x->m, x->buf + x->bi, x->bn - x->bi, NULL, &k))
				return record_fail(x, x->pass_rec);
			x->bneed = x->bi + k;
		}
		size_t n = x->bneed - x->bi, done, failed;
		if (x->c.max_records && x->c.max_records - x->records < n)
			n = (size_t)(x->c.max_records - x->records);
		if (machine_run_until(x->m, x->buf + x->bi, n, x->records, 0, limit, &done, &failed))
			return record_fail(x, x->pass_rec + failed);
		x->bi += done;
		x->records += done;
		x->pass_rec += done;
	}
	return new_tables(x);
}

/* ---------------------------------------------------------------- memory */

typedef struct leaf_walk {
	migrate *x;
	const mmu_geom *g;
	int count_only;               /* count unsent pages instead of collecting */
	int failed;
} leaf_walk;

static int push_page0(migrate *x, uint64_t pfn)
{
	if (x->npages0 == x->cap_pages0) {
		size_t nc = x->cap_pages0 ? 2 * x->cap_pages0 : 4096;
		uint64_t *np = realloc(x->pages0, nc * sizeof(*np));
		if (!np)
			return -1;
		x->pages0 = np;
		x->cap_pages0 = nc;
	}
	x->pages0[x->npages0++] = pfn;
	return 0;
}

/* A RAM leaf of the guest's stage 2: its pages into round 0 (and its 2 MB
 * pieces as superpages), or, at the end, the unsent ones counted. */
static uint64_t leaf_cb(void *ctx, uint64_t base, unsigned level, uint64_t pa, uint64_t d)
{
	leaf_walk *w = ctx;
	migrate *x = w->x;
	(void)pa;
	if (hyp_foreign(x->h, base))
		return d;   /* grant-table frames: Xen's, not RAM */
	unsigned shift = w->g->shift[level];
	uint64_t n = UINT64_C(1) << (shift - 12);
	if (w->count_only) {
		for (uint64_t i = 0; i < n; i++) {
			uint64_t *v = u64map_find(&x->tmap, (base >> 12) + i);
			x->unsent += !v || !x->tr[*v].sent;
		}
		return d;
	}
	uint64_t out = mmu_desc_decode(w->g, level, d).addr;
	for (uint64_t off = 0; shift >= SP_SHIFT && off < (UINT64_C(1) << shift); off += SP_BYTES) {
		uint64_t *v = u64map_get(&x->spr, (base + off) >> SP_SHIFT, NULL);
		if (!v) {
			w->failed = 1;
			return d;
		}
		*v = (out + off) >> 12;
	}
	for (uint64_t i = 0; i < n; i++)
		if (push_page0(x, (base >> 12) + i)) {
			w->failed = 1;
			return d;
		}
	return d;
}

static int walk_ram(migrate *x, int count_only)
{
	leaf_walk w = { .x = x, .g = hyp_tables(x->h)->g, .count_only = count_only };
	if (pt_foreach_leaf(hyp_tables(x->h), GUEST_RAM_BASE, UINT64_MAX, leaf_cb, &w) < 0 ||
	    w.failed)
		return oom(x, "guest memory");
	return 0;
}

/* A key for the page of VA in ASID: the page number in bits 51:0, the
 * ASID in 61:52, bit 63 set (never 0, never U64MAP_EMPTY); 0 for an ASID
 * too large to fit (its records are always prefaulted). */
static uint64_t page_key(uint64_t va, uint16_t asid)
{
	return asid < 1024 ? ((va >> 12) & GENMASK64(51, 0)) | ((uint64_t)asid << 52) | BIT64(63)
			   : 0;
}

/* Keep the records of B that touch a page not seen before (machine_prefault
 * maps the pages of both ends of a record; a record of pages already mapped
 * changes nothing, and a software walk per record of a long trace took
 * seconds). Their indexes into IDX; returns how many. */
static size_t new_pages(u64map *seen, const trace_rec *b, size_t n, size_t *idx, int *oom_)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (b[i].kind == TRACE_INV || b[i].kind == TRACE_P)
			continue;   /* (machine_prefault maps nothing for them) */
		uint64_t k0 = page_key(b[i].gva, b[i].asid);
		uint64_t k1 = page_key(b[i].gva + b[i].size - (b[i].size != 0), b[i].asid);
		int a0 = 1, a1 = 1;
		if (k0 && (!u64map_get(seen, k0, &a0) || !u64map_get(seen, k1, &a1))) {
			*oom_ = 1;
			return 0;
		}
		if (a0 || a1)
			idx[k++] = i;
	}
	return k;
}

/* One pass over the trace: populate the footprint (both machines), count
 * the records and the guest's vCPUs; then migrate.memory. */
static int populate(migrate *x)
{
	const migrate_source *s = x->src;
	uint8_t seen[TRACE_MAX_VCPUS] = { 0 };
	uint64_t accesses = 0;
	u64map pages;
	size_t *idx = malloc(REPLAY_BATCH * sizeof(*idx));
	if (!idx || u64map_init(&pages)) {
		free(idx);
		return oom(x, "prefaulting");
	}
	int rc = 0;
	for (;;) {
		long n = s->read(s->ctx, x->buf, REPLAY_BATCH, x->err, x->errlen);
		if (n <= 0) {
			rc = (int)n;
			break;
		}
		int no_mem = 0;
		size_t k = new_pages(&pages, x->buf, (size_t)n, idx, &no_mem);
		if (no_mem) {
			rc = oom(x, "prefaulting");
			break;
		}
		for (size_t j = 0; j < k && !rc; j++) {
			size_t bad;
			const trace_rec *r = &x->buf[idx[j]];
			const machine *m = machine_prefault(x->m, r, 1, &bad) ? x->m :
					   machine_prefault(x->base, r, 1, &bad) ? x->base : NULL;
			if (m) {
				char e[512];
				snprintf(e, sizeof(e), "%s", machine_error(m));
				rc = fail(x, machine_error_code(m), "%s: record %llu: %s", s->name,
					  (unsigned long long)(x->pass_records + idx[j]), e);
			}
		}
		if (rc)
			break;
		for (long i = 0; i < n; i++)
			if (x->buf[i].kind != TRACE_INV) {
				accesses++;
				seen[x->buf[i].vcpu] = 1;
			}
		x->pass_records += (uint64_t)n;
	}
	free(idx);
	u64map_free(&pages);
	if (rc)
		return rc;
	for (unsigned i = 0; i < TRACE_MAX_VCPUS; i++)
		x->nvcpus += seen[i];
	if (!accesses)
		return fail(x, TRACE_EFORMAT, "%s: the trace has no accesses: a guest that runs "
			    "nothing has nothing to migrate", s->name);
	if ((rc = s->rewind(s->ctx, x->err, x->errlen)) != TRACE_OK)
		return rc;
	for (uint64_t off = 0; off < x->c.memory; off += PAGE)
		if (hyp_ensure(x->h, GUEST_RAM_BASE + off) < 0)
			return mach_fail(x, x->m);
	return 0;
}

/* ---------------------------------------------------------------- the control domain */

static uint64_t slot4_gpa(const migrate *x, uint64_t j) { return x->win_gpa + j * PAGE; }
static uint64_t slot4_va(const migrate *x, uint64_t j) { return x->win_va + j * PAGE; }
static uint64_t slot2_gpa(const migrate *x, uint64_t k) { return x->win_gpa - (k + 1) * SP_BYTES; }
static uint64_t slot2_va(const migrate *x, uint64_t k) { return x->win_va - (k + 1) * SP_BYTES; }

/* A 4 KB slot for guest page PFN: stage 2 to its frame, stage 1 (once). */
static int map_4k(migrate *x, uint64_t pfn, uint64_t j)
{
	uint64_t hpa;
	if (hyp_lookup(x->h, pfn << 12, &hpa))
		return fail(x, TRACE_EINTERNAL, "internal: guest page 0x%llx is not backed",
			    (unsigned long long)pfn << 12);
	for (; x->s1_4k <= j; x->s1_4k++)
		if (guest_map_at(x->cg, 0, slot4_va(x, x->s1_4k), slot4_gpa(x, x->s1_4k), MMU_P_R) < 0)
			return mach_fail(x, x->m);
	if (hyp_map_foreign(x->ch, slot4_gpa(x, j), &hpa, 1, MMU_P_R, 0) < 0)
		return fail(x, TRACE_EINTERNAL, "internal: the control domain cannot map guest "
			    "frame 0x%llx", (unsigned long long)hpa);
	x->frames++;
	return 0;
}

/* A 2 MB slot for the host superpage at MFN. */
static int map_2m(migrate *x, uint64_t mfn, uint64_t k)
{
	for (unsigned i = 0; i < SUPERPAGE_PAGES; i++)
		x->pa[i] = (mfn + i) << 12;
	for (; x->s1_2m <= k; x->s1_2m++)
		if (guest_map_block_at(x->cg, 0, slot2_va(x, x->s1_2m), slot2_gpa(x, x->s1_2m), SP_SHIFT,
				       MMU_P_R) < 0)
			return mach_fail(x, x->m);
	if (hyp_map_foreign(x->ch, slot2_gpa(x, k), x->pa, SUPERPAGE_PAGES, MMU_P_R, 0) != 1)
		return fail(x, TRACE_EINTERNAL, "internal: the control domain cannot map guest "
			    "superpage 0x%llx", (unsigned long long)mfn << 12);
	if (k >= x->cap_sp) {
		size_t nc = x->cap_sp ? 2 * x->cap_sp : 64;
		uint64_t *nm = realloc(x->sp_mfn, nc * sizeof(*nm));
		if (!nm)
			return oom(x, "superpages");
		x->sp_mfn = nm;
		x->cap_sp = nc;
	}
	x->sp_mfn[k] = mfn;
	x->sp_maps++;
	return 0;
}

/* 1 if mapping the host superpage at MFN whole costs no more than mapping
 * K of its pages one by one (a hypercall carries 16 entries). */
static int whole_pays(const migrate *x, uint64_t mfn, uint64_t k)
{
	uint64_t refs = spage_type(x->sp, mfn) == SGT_none ? 2 * (SUPERPAGE_PAGES + 1) : 2;
	uint64_t whole = x->c.c_frame + x->c.c_unmap + refs * x->c.c_ref;
	uint64_t each = x->c.c_frame + x->c.c_unmap;
	return REMAP_BATCH_SIZE * whole <= k * (REMAP_BATCH_SIZE * each + x->c.c_hcall);
}

/* Where the control domain reads guest page PFN: mapped now (one more of
 * *ENTRIES) unless this chunk (or, persistent, an earlier one) mapped it,
 * whole with its superpage or alone. */
static int map_page(migrate *x, uint64_t pfn, uint64_t *va, unsigned *entries)
{
	int pers = x->c.map == MAP_PERSISTENT, added, rc;
	uint64_t gpa = pfn << 12;
	const uint64_t *mfn = x->c.map == MAP_PER_PAGE || !x->c.spmap ? NULL :
			      u64map_find(&x->spr, gpa >> SP_SHIFT);
	if (mfn) {
		uint64_t m0 = *mfn;   /* (the pointer dies with the next insertion) */
		uint64_t *slot = u64map_get(pers ? &x->pers_sp : &x->chunk_sp, gpa >> SP_SHIFT,
					    &added);
		if (!slot)
			return oom(x, "superpages");
		if (added) {
			const uint64_t *k = u64map_find(&x->chunk_cnt, gpa >> SP_SHIFT);
			rc = whole_pays(x, m0, *k) ? spage_get(x->sp, m0) : 1;
			if (rc == -XEN_ENOMEM)
				return oom(x, "superpages");
			*slot = SP_BY_PAGE;
			if (rc == 0) {
				if ((rc = map_2m(x, m0, x->n2m)) != 0)
					return rc;
				*slot = ++x->n2m;
				++*entries;
			}
		}
		if (*slot != SP_BY_PAGE) {
			*va = slot2_va(x, *slot - 1) + (gpa & (SP_BYTES - 1));
			return 0;
		}
	}
	uint64_t j = x->n4k;
	if (pers) {
		uint64_t *slot = u64map_get(&x->pers_4k, pfn, &added);
		if (!slot)
			return oom(x, "mappings");
		if (!added) {
			*va = slot4_va(x, *slot - 1);
			return 0;
		}
		*slot = j + 1;
	}
	if ((rc = map_4k(x, pfn, j)) != 0)
		return rc;
	x->n4k++;
	++*entries;
	*va = slot4_va(x, j);
	return 0;
}

/* Unmap every slot in use in one p2m update (one flush); its cycles.
 * IN_CALL: the flush is the one of a map call's (per_page, batch), whose
 * cost the fitted migrate.call/hypercall/frame.cycles already hold: the
 * batched-mapping patch's 5 M cycles per 1,024 pages mapped one by one were
 * measured with its two hypercalls a page, the mmu_update and the TLB
 * flush (privcmd flushes once per call, xen_flush_tlb_all), so that flush
 * of one vCPU is not charged again; only the control domain's other vCPUs
 * are (migrate.flush.cycles each). persistent's last unmap is no map
 * call's: every vCPU's flush is charged. */
static int unmap_all(migrate *x, uint64_t *cyc, int in_call)
{
	uint64_t k = x->n2m, j = x->n4k;
	if (!k && !j)
		return 0;
	if (x->c.xlate) {
		/* A translated control domain: XENMEM_remove_from_physmap per 4 KB
		 * frame (Linux xen_xlate_unmap_gfn_range), each a p2m update that
		 * Xen flushes (every vCPU of the domain, migrate.flush.cycles each);
		 * no map call holds these flushes. */
		for (uint64_t i = 0; i < j; i++) {
			int v = hyp_unmap_foreign_range(x->ch, slot4_gpa(x, i), PAGE);
			if (v < 0)
				return fail(x, TRACE_EINTERNAL, "internal: the control domain's mapping at "
					    "0x%llx is gone", (unsigned long long)slot4_gpa(x, i));
			*cyc += x->c.c_hcall + x->c.c_unmap + (uint64_t)v * x->c.c_flush;
		}
		x->unmapped += j;
		x->flushes += j;
		x->hypercalls += j;
		x->n4k = 0;
		return 0;
	}
	uint64_t lo = k ? slot2_gpa(x, k - 1) : slot4_gpa(x, 0), hi = slot4_gpa(x, j);
	int v = hyp_unmap_foreign_range(x->ch, lo, hi - lo);
	if (v < 0)
		return fail(x, TRACE_EINTERNAL, "internal: the control domain's mappings at "
			    "0x%llx are gone", (unsigned long long)lo);
	const spage_counters *s = spage_stats(x->sp);
	uint64_t refs = s->page_refs + s->spage_refs;
	for (uint64_t i = 0; i < k; i++)
		spage_put(x->sp, x->sp_mfn[i]);
	refs = s->page_refs + s->spage_refs - refs;
	uint64_t charged = in_call && v > 0 ? (uint64_t)v - 1 : (uint64_t)v;
	*cyc += (k + j) * x->c.c_unmap + charged * x->c.c_flush + refs * x->c.c_ref;
	x->unmapped += k + j;
	x->flushes++;
	x->n2m = x->n4k = 0;
	u64map_clear(&x->chunk_sp);
	return 0;
}

/* Send the N pages PFN: map, read, transfer, unmap. Moves the sender's
 * clock; ROUND gets the pages and the mapping cycles. */
static int send_chunk(migrate *x, const uint64_t *pfn, size_t n, migrate_round *round)
{
	const spage_counters *s = spage_stats(x->sp);
	uint64_t refs = s->page_refs + s->spage_refs, cyc = 0;
	unsigned entries = 0;
	u64map_clear(&x->chunk_cnt);
	for (size_t i = 0; x->c.map != MAP_PER_PAGE && x->c.spmap && i < n; i++) {
		uint64_t *k = u64map_find(&x->spr, pfn[i] >> (SP_SHIFT - 12)) ?
			      u64map_get(&x->chunk_cnt, pfn[i] >> (SP_SHIFT - 12), NULL) : NULL;
		if (k)
			++*k;
		else if (u64map_find(&x->spr, pfn[i] >> (SP_SHIFT - 12)))
			return oom(x, "superpages");
	}
	for (size_t i = 0; i < n; i++) {
		int rc = map_page(x, pfn[i], &x->va[i], &entries);
		if (rc)
			return rc;
	}
	if (entries) {
		/* pv: HYPERVISOR_mmu_update, REMAP_BATCH_SIZE updates a hypercall;
		 * translated: XENMEM_add_to_physmap_range per 4 KB frame (a 4 KB
		 * kernel's page is one gfn, xen_xlate_remap_gfn_array). */
		uint64_t calls = x->c.xlate ? entries :
				 (entries + REMAP_BATCH_SIZE - 1) / REMAP_BATCH_SIZE;
		cyc += x->c.c_call + calls * x->c.c_hcall + entries * x->c.c_frame;
		x->map_calls++;
		x->hypercalls += calls;
	}
	cyc += (s->page_refs + s->spage_refs - refs) * x->c.c_ref;
	/* The control domain reads each page: what is sent is what it holds now. */
	int rc = end_slice(x);
	if (rc)
		return rc;
	uint64_t c0 = machine_domain_cycles(x->m, x->ctl);
	for (size_t i = 0; i < n; i++) {
		if (machine_vcpu_access(x->m, CTL_VCPU, TRACE_R, x->va[i], READ_BYTES, 0, NULL))
			return mach_fail(x, x->m);
		truth *t = truth_of(x, pfn[i]);
		if (!t)
			return oom(x, "ground truth");
		t->sent = x->slice;
	}
	uint64_t rd = machine_domain_cycles(x->m, x->ctl) - c0;
	if (x->c.map != MAP_PERSISTENT && (rc = unmap_all(x, &cyc, entries != 0)) != 0)
		return rc;
	x->read_cycles += rd;
	x->map_cycles += cyc;
	x->pages_sent += n;
	round->map_cycles += cyc;
	round->pages_sent += n;
	/* The transfer: the sender copies each page to the socket while the
	 * link drains it (a blocking write returns when the last byte is in the
	 * socket buffer): the longer of the two. */
	double link_us = (double)n * PAGE * 1e6 / (double)x->c.bandwidth;
	double send_us = us_of_cycles(x, n * x->c.c_send);
	x->send_cycles += n * x->c.c_send;
	x->link_bound += link_us >= send_us;
	x->t_us += us_of_cycles(x, cyc + rd) + (link_us >= send_us ? link_us : send_us);
	return 0;
}

/* ---------------------------------------------------------------- rounds */

static migrate_round *new_round(migrate *x, int final)
{
	if (x->nrounds == x->cap_rounds) {
		size_t nc = x->cap_rounds ? 2 * x->cap_rounds : 32;
		migrate_round *nr = realloc(x->rounds, nc * sizeof(*nr));
		if (!nr)
			return NULL;
		x->rounds = nr;
		x->cap_rounds = nc;
	}
	migrate_round *r = &x->rounds[x->nrounds++];
	*r = (migrate_round){ .start_us = x->t_us, .final = final };
	return r;
}

/* 1 if guest page PFN was written since the last harvest (ground truth:
 * what SHADOW_OP_PEEK reports when the log misses nothing). */
static int redirtied(const migrate *x, uint64_t pfn)
{
	const uint64_t *v = u64map_find(&x->tmap, pfn);
	return v && x->tr[*v].written > x->clean_slice;
}

/* policy=legacy, a live pass: xc_domain_save peeks at the dirty bitmap
 * before each batch and leaves out the pages of its list dirtied again
 * since the pass began (counted as skipped: the next pass sends them); a
 * batch is MAX_BATCH_SIZE pages to send (migrate.map_batch), the skipped
 * ones not counted, and a batch of none ends the pass. */
static int send_list_skipping(migrate *x, const uint64_t *pfn, size_t n, migrate_round *r)
{
	size_t i = 0;
	while (i < n) {
		int rc = end_slice(x);   /* the peek sees every write so far */
		if (rc)
			return rc;
		size_t k = 0;
		for (; i < n && k < x->c.batch; i++) {
			if (redirtied(x, pfn[i])) {
				r->pages_skipped++;
				x->pages_skipped++;
			} else {
				x->chunk[k++] = pfn[i];
			}
		}
		if (!k)
			break;
		if ((rc = send_chunk(x, x->chunk, k, r)) != 0 || (rc = guest_catch_up(x)) < 0)
			return rc;
	}
	return 0;
}

/* Send the list, a chunk at a time, the guest running between chunks
 * unless it is paused. */
static int send_list(migrate *x, const uint64_t *pfn, size_t n, migrate_round *r, int paused)
{
	if (!paused && x->c.policy == POL_LEGACY)
		return send_list_skipping(x, pfn, n, r);
	for (size_t i = 0; i < n; i += x->c.batch) {
		size_t k = n - i < x->c.batch ? n - i : x->c.batch;
		int rc = send_chunk(x, pfn + i, k, r);
		if (rc || (!paused && (rc = guest_catch_up(x)) < 0))
			return rc;
	}
	return 0;
}

/* Harvest the guest's dirty log; its pages, in order, into x->list. The
 * harvest's cycles move the sender's clock. */
static int harvest(migrate *x)
{
	/* The slices so far end here: later writes are the next pass's skips. */
	int rc = end_slice(x);
	if (rc)
		return rc;
	x->clean_slice = x->slice;
	uint64_t c0 = machine_domain_cycles(x->m, 0);
	if (machine_harvest(x->m, 0))
		return mach_fail(x, x->m);
	uint64_t hc = machine_domain_cycles(x->m, 0) - c0;
	x->harvest_cycles += hc;
	x->t_us += us_of_cycles(x, hc);
	const pageset *d = machine_last_dirty(x->m, 0);
	if (pageset_count(d) > x->cap_list) {
		uint64_t *nl = realloc(x->list, pageset_count(d) * sizeof(*nl));
		if (!nl)
			return oom(x, "dirty pages");
		x->list = nl;
		x->cap_list = pageset_count(d);
	}
	x->nlist = 0;
	for (size_t i = 0; i <= d->mask; i++)
		if (pageset_slot_used(d, i))
			x->list[x->nlist++] = d->slot[i];
	if (x->nlist > 1)
		qsort(x->list, x->nlist, sizeof(*x->list), cmp_u64);
	return 0;
}

/* The cost of a mark or unmark op that moved the page references from
 * REFS0: one MMUEXT op hypercall (migrate.hypercall.cycles) and
 * migrate.ref.cycles per reference taken or dropped (mark_superpage takes
 * a writable type on each of its 512 pages, unmark drops them). */
static uint64_t mark_cost(migrate *x, uint64_t refs0)
{
	const spage_counters *s = spage_stats(x->sp);
	uint64_t c = x->c.c_hcall + (s->page_refs + s->spage_refs - refs0) * x->c.c_ref;
	x->mark_cycles += c;
	x->map_cycles += c;
	return c;
}

/* Mark every host superpage of guest RAM (migrate.superpage=mark); the
 * marks' cycles into *CYC. */
static int mark_all(migrate *x, uint64_t *cyc)
{
	const spage_counters *s = spage_stats(x->sp);
	for (size_t i = 0; i <= x->spr.mask; i++) {
		if (x->spr.key[i] == U64MAP_EMPTY)
			continue;
		uint64_t refs0 = s->page_refs + s->spage_refs;
		if (spage_mark(x->sp, x->spr.val[i]) == -XEN_ENOMEM)
			return oom(x, "superpages");
		*cyc += mark_cost(x, refs0);
	}
	return 0;
}

/* Why the live pass R (just harvested) is the last one, or NULL.
 *  legacy - xc_domain_save.c (Xen <= 4.5), after pass `iter` (1, 2, ...):
 *    last_iter once iter >= max_iters, sent_this_iter + skip_this_iter < 50,
 *    or total_sent > p2m_size * max_factor; the stop-and-copy then sends
 *    what SHADOW_OP_CLEAN reports, skipping nothing. (Its fourth rule,
 *    sent_this_iter > sent_last_iter at the maximum rate, needs its rate
 *    limiter, not modelled.) The harvest does not enter the decision.
 *  v2 - xc_sr_save.c send_domain_memory_live (Xen 4.6): send_all_pages,
 *    then `for (x = 1; x < max_iterations && dirty_count > dirty_threshold;
 *    ++x)` CLEAN and send the dirty pages, breaking when CLEAN reports none:
 *    a pass whose dirty count (the pages it was sent; the first pass's is
 *    p2m_size) is at most the threshold is the last live one, and at most
 *    max_iterations live passes are made.
 *  dirtyset - slatsim's earlier rule: the harvest's count under stop_pages.
 * DEVIATION: p2m_size is the pages the first pass sends (the guest's RAM
 * populated when the migration starts), not the p2m's span with its holes. */
static const char *stop_rule(const migrate *x, const migrate_round *r)
{
	const char *rounds = "migrate.max_rounds rounds were made";
	const char *small = "the dirty set was under migrate.stop_pages";
	switch (x->c.policy) {
	case POL_LEGACY:
		if (x->n_rounds >= x->c.max_rounds)
			return rounds;
		if (r->pages_sent + r->pages_skipped < x->c.stop_pages)
			return "the last live pass sent and skipped fewer than migrate.stop_pages pages";
		if (x->c.max_factor && x->pages_sent > x->npages0 * x->c.max_factor)
			return "more than migrate.max_factor times the guest's pages were sent";
		return NULL;
	case POL_V2:
		if (x->nlist == 0)
			return "the dirty log reported nothing";
		if (x->n_rounds >= x->c.max_rounds)
			return rounds;
		if (r->pages_sent <= x->c.stop_pages)
			return "the last live pass's dirty count was at most migrate.stop_pages";
		return NULL;
	default:
		if (x->nlist < x->c.stop_pages || x->nlist == 0)
			return small;
		return x->n_rounds >= x->c.max_rounds ? rounds : NULL;
	}
}

/* Round R, just finished, to the source's listener. */
static void round_said(const migrate *x, const migrate_round *r)
{
	if (x->src->round_done)
		x->src->round_done(x->src->ctx, r, (size_t)(r - x->rounds));
}

static int precopy(migrate *x)
{
	const uint64_t *list = x->pages0;
	size_t n = x->npages0;
	for (;;) {
		migrate_round *r = new_round(x, 0);
		if (!r)
			return oom(x, "rounds");
		int rc = send_list(x, list, n, r, 0);
		if (rc)
			return rc;
		x->n_rounds++;
		double end = x->t_us;
		if ((rc = harvest(x)) != 0)
			return rc;
		r = &x->rounds[x->nrounds - 1];
		r->pages_dirtied = x->nlist;
		const char *why = stop_rule(x, r);
		if (why) {
			/* Paused at the end of the round: the last harvest is downtime. */
			r->duration_us = end - r->start_us;
			round_said(x, r);
			x->stop = why;
			migrate_round *f = new_round(x, 1);
			if (!f)
				return oom(x, "rounds");
			f->start_us = end;
			if ((rc = send_list(x, x->list, x->nlist, f, 1)) != 0)
				return rc;
			f->duration_us = x->t_us - f->start_us;
			round_said(x, f);
			return 0;
		}
		r->duration_us = x->t_us - r->start_us;
		round_said(x, r);
		if ((rc = guest_catch_up(x)) < 0)
			return rc;
		list = x->list;
		n = x->nlist;
	}
}

int migrate_run(migrate *x, const migrate_source *src, char *err, size_t errlen)
{
	x->src = src;
	x->err = err;
	x->errlen = errlen;
	int rc = populate(x);
	if (rc)
		return rc;
	/* The guest's table pages so far are page tables (before any mark). */
	if ((rc = new_tables(x)) != 0)
		return rc;
	if (machine_start(x->m))
		return mach_fail(x, x->m);
	machine_watch_writes(x->m, 0, &x->written);
	uint64_t mark_cyc = 0;
	if ((rc = walk_ram(x, 0)) != 0 || (x->c.mark && (rc = mark_all(x, &mark_cyc)) != 0))
		return rc;
	x->t_us = x->pass_start_us = guest_us(x);
	double t0 = x->t_us;
	x->t_us += us_of_cycles(x, mark_cyc);   /* the marks come first */
	if ((rc = precopy(x)) != 0)
		return rc;
	const migrate_round *f = &x->rounds[x->nrounds - 1];
	x->total_us = (uint64_t)llround(x->t_us - t0);
	x->downtime_us = (uint64_t)llround(f->duration_us);
	/* A persistent helper's mappings go after the migration (not downtime). */
	uint64_t cyc = 0;
	if (x->c.map == MAP_PERSISTENT && (rc = unmap_all(x, &cyc, 0)) != 0)
		return rc;
	x->map_cycles += cyc;
	if ((rc = feed_baseline(x)) != 0)
		return rc;
	if (machine_finish(x->m))
		return mach_fail(x, x->m);
	if (machine_finish(x->base))
		return mach_fail(x, x->base);
	int found;
	x->guest_cycles = stats_get(machine_stats(x->m), "cycles.total", &found);
	x->base_cycles = stats_get(machine_stats(x->base), "cycles.total", &found);
	if ((rc = end_slice(x)) != 0)
		return rc;
	for (size_t i = 0; i < x->ntr; i++)
		x->lost += x->tr[i].written > x->tr[i].sent;
	return walk_ram(x, 1);
}

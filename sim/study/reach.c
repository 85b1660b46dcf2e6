/*
 * sim/study/reach.c - see reach.h.
 *
 * A stack is kept in two parts. The newest keys, up to RS_LIST of them,
 * sit in a short list in recency order (list[0] is the top): a reference
 * to one of them is its position, found by a scan of a few words. Below
 * them, the older keys each hold a stamp, and a Fenwick tree has a 1 at
 * every live stamp; owner[stamp] is the hash slot of the key that holds it.
 * A reference to an older key is at distance (list length) + (live stamps
 * newer than its own) + 1. A hash of every live key (open addressing,
 * linear probing, backward-shift deletion) says whether a key is in the
 * tree, and with which stamp, and when it was last used.
 *
 * Invariants: every key in the list is newer than every key in the tree;
 * the list is full whenever the tree is not empty, except after a key was
 * forgotten; stamps are handed out upwards, to the key that falls off the
 * end of the full list - the newest of the tree's keys - so stamp order is
 * recency order. When the stamps run out the live ones are renumbered
 * 0..live-1 and the tree rebuilt, growing the stamp space to at least twice
 * the live keys: each renumbering is paid for by at least as many
 * references as it moves. On the shipped capture 98% of the references at
 * 4K are within distance 8 (the list): reach takes 0.40-0.42 s of CPU with
 * a list of 8, 0.64-0.71 s with a list of 1 (the top key only; 3 runs each).
 *
 * The analysis follows run (sim/machine/machine.c, read for it) under these
 * assumptions:
 *   - the guest OS and hypervisor map a page at the first walk that needs
 *     it and, in the configurations reach takes (no dirty logging, no I/O
 *     model), never unmap one: after each access the mapped pages are the
 *     pages of every access so far, mapped in order of first touch. A
 *     machine of the configuration given exactly those first touches (the
 *     shape, machine_prefault) maps what run's maps and refuses what it
 *     refuses. DEVIATION: run also makes a new ASID's root table on a walk
 *     that touches only global (upper-half) pages, when it misses its TLB -
 *     a size reach does not have; the shape makes it only with a page new
 *     to the stream, so the guest-physical layout, and where a full space
 *     is reported, may differ by that one table frame. No count changes.
 *   - a prefetch is looked up at its first byte only, fills on a miss if
 *     its walk succeeds - the page is mapped - and is dropped otherwise;
 *     a fill or a hit makes the page most recent at every size alike.
 *   - a refill of a page replaces its entry in place (a duplicate would
 *     hold a way). In run a write of another ASID through a clean global
 *     entry - only under dirty logging, which reach refuses - adds a second
 *     entry (model/tlb refreshes in place only for the same ASID).
 */
#include "reach.h"
#include "guest.h"
#include "machine.h"
#include "u64map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- one stack */

#define NO_KEY UINT64_MAX
#define NONE UINT32_MAX
#define IN_LIST (UINT32_MAX - 1)   /* a slot's stamp while its key is in the list */
#define MIN_SLOTS 16u
#define MIN_STAMPS 16u
#define RS_LIST 8u
/* The last use of a key only a quiet touch put in the stack: as far from
 * every time as can be, so its first reference is new to every window. */
#define NO_USE UINT64_MAX

typedef struct rs_slot {
	uint64_t key;      /* NO_KEY: empty */
	uint64_t last;     /* time (reference number) of its last use, while in the tree */
	uint32_t stamp;    /* IN_LIST, or its stamp */
} rs_slot;

struct reach_stack {
	reach_stack_head head;     /* first: the inline fast path reads it */
	uint64_t lkey[RS_LIST];    /* the newest keys, lkey[0] = head.top_key */
	uint64_t llast[RS_LIST];   /* their last use */
	unsigned nlist;
	rs_slot *slot;
	size_t mask, used;         /* slots - 1; live keys (list and tree) */
	uint32_t *tree;            /* Fenwick tree, 1-based: tree[1..cap] */
	uint32_t *owner;           /* stamp -> slot, or NONE */
	uint32_t cap, next;        /* stamp space; next stamp */
	uint64_t t;                /* references so far */
	uint32_t max_dist;
	uint64_t *hist;            /* [0] first uses, [1..max] distance, [max + 1] beyond */
	int64_t ws[65];            /* working-set difference array (see reach_stack_windows) */
};

static inline size_t rs_hash(uint64_t k)
{
	/* The finaliser of MurmurHash3 (Appleby): pages of one region differ
	 * in their low bits only. */
	k ^= k >> 33;
	k *= UINT64_C(0xff51afd7ed558ccd);
	k ^= k >> 33;
	return (size_t)k;
}

reach_stack *reach_stack_create(uint32_t max_dist)
{
	reach_stack *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->slot = malloc(MIN_SLOTS * sizeof(*s->slot));
	s->tree = calloc(MIN_STAMPS + 1, sizeof(*s->tree));
	s->owner = malloc(MIN_STAMPS * sizeof(*s->owner));
	s->hist = calloc((size_t)max_dist + 2, sizeof(*s->hist));
	if (!s->slot || !s->tree || !s->owner || !s->hist) {
		reach_stack_destroy(s);
		return NULL;
	}
	for (size_t i = 0; i < MIN_SLOTS; i++)
		s->slot[i].key = NO_KEY;
	memset(s->owner, 0xff, MIN_STAMPS * sizeof(*s->owner));
	s->mask = MIN_SLOTS - 1;
	s->cap = MIN_STAMPS;
	s->head.top_key = NO_KEY;
	s->max_dist = max_dist;
	return s;
}

void reach_stack_destroy(reach_stack *s)
{
	if (!s)
		return;
	free(s->slot);
	free(s->tree);
	free(s->owner);
	free(s->hist);
	free(s);
}

/* Live stamps at or below STAMP. */
static inline uint64_t fw_prefix(const reach_stack *s, uint32_t stamp)
{
	uint64_t n = 0;
	for (uint32_t i = stamp + 1; i; i &= i - 1)
		n += s->tree[i];
	return n;
}

static inline void fw_add(reach_stack *s, uint32_t stamp, int32_t d)
{
	for (uint32_t i = stamp + 1; i <= s->cap; i += i & -i)
		s->tree[i] = (uint32_t)((int32_t)s->tree[i] + d);
}

/* The slot holding KEY, or the empty slot where it would go. */
static inline size_t rs_find(const reach_stack *s, uint64_t key)
{
	size_t i = rs_hash(key) & s->mask;
	while (s->slot[i].key != key && s->slot[i].key != NO_KEY)
		i = (i + 1) & s->mask;
	return i;
}

/* Double the hash; owner follows the keys in the tree. 0 or -1. */
static int rs_grow_hash(reach_stack *s)
{
	size_t ncap = (s->mask + 1) * 2;
	rs_slot *ns = malloc(ncap * sizeof(*ns));
	if (!ns)
		return -1;
	for (size_t i = 0; i < ncap; i++)
		ns[i].key = NO_KEY;
	for (size_t i = 0; i <= s->mask; i++) {
		const rs_slot *o = &s->slot[i];
		if (o->key == NO_KEY)
			continue;
		size_t j = rs_hash(o->key) & (ncap - 1);
		while (ns[j].key != NO_KEY)
			j = (j + 1) & (ncap - 1);
		ns[j] = *o;
		if (o->stamp != IN_LIST)
			s->owner[o->stamp] = (uint32_t)j;
	}
	free(s->slot);
	s->slot = ns;
	s->mask = ncap - 1;
	return 0;
}

/* Stamps ran out: renumber the live ones 0..live-1 in order (growing the
 * space to twice the live keys when they fill half of it), rebuild the
 * tree. 0 or -1. */
static int rs_compact(reach_stack *s)
{
	uint32_t cap = s->cap;
	while ((uint64_t)cap < 2 * (uint64_t)s->used + 2)
		cap *= 2;
	if (cap != s->cap) {
		uint32_t *no = realloc(s->owner, (size_t)cap * sizeof(*no));
		if (!no)
			return -1;
		s->owner = no;
		uint32_t *nt = realloc(s->tree, ((size_t)cap + 1) * sizeof(*nt));
		if (!nt)
			return -1;
		s->tree = nt;
	}
	uint32_t j = 0;
	for (uint32_t st = 0; st < s->next; st++) {
		uint32_t o = s->owner[st];
		if (o == NONE)
			continue;
		s->owner[j] = o;
		s->slot[o].stamp = j++;
	}
	for (uint32_t st = j; st < cap; st++)
		s->owner[st] = NONE;
	s->next = j;
	s->cap = cap;
	/* Node i covers stamps (i - lowbit(i), i] (1-based); the 1s are 1..j. */
	for (uint32_t i = 1; i <= cap; i++) {
		uint32_t lo = i - (i & -i), hi = i < j ? i : j;
		s->tree[i] = hi > lo ? hi - lo : 0;
	}
	return 0;
}

/* Count a reference at distance D (REACH_COLD: first use) at time T whose
 * previous use was at PREV (T: none), in the histogram and the windows. */
static inline void rs_count(reach_stack *s, uint64_t d, uint64_t t, uint64_t prev)
{
	s->hist[d > s->max_dist ? (size_t)s->max_dist + 1 : d]++;
	/* New to its window of 2^i iff the windows of T and PREV differ at i:
	 * for every i below the highest bit in which T and PREV differ. */
	unsigned h = prev == t ? 64 : 64 - (unsigned)__builtin_clzll(t ^ prev);
	s->ws[0]++;
	s->ws[h]--;
}

/* Account the references to the top key that the inline path counted: each
 * at distance 1, at times T..T+P-1, its previous use the time before - but
 * the first's is the key's last use, which is not T-1 when a quiet touch
 * or a removal put the key on top. */
static void rs_flush(reach_stack *s)
{
	uint64_t p = s->head.pending;
	if (!p)
		return;
	uint64_t a = s->t, b = a + p, prev = s->llast[0];
	s->head.pending = 0;
	s->hist[1] += p;
	s->ws[0] += (int64_t)p;
	if (a == 0 || prev != a - 1) {
		s->ws[64 - (unsigned)__builtin_clzll(a ^ prev)]--;   /* (a ^ prev: never 0) */
		a++;
	}
	/* From here each T in [a, b) follows a use at T-1 (a >= 1). */
	/* A reference at T is new to its window of 2^i for i <= ctz(T): count
	 * the T in [a, b) with each number of trailing zeros. */
	for (unsigned j = 0; j < 64; j++) {
		uint64_t mj = ((b - 1) >> j) - ((a - 1) >> j);
		uint64_t mj1 = j < 63 ? ((b - 1) >> (j + 1)) - ((a - 1) >> (j + 1)) : 0;
		s->ws[j + 1] -= (int64_t)(mj - mj1);
		if (!mj)
			break;
	}
	s->llast[0] = b - 1;
	s->t = b;
}

/* Put KEY (last used at LAST) on top of the list; a key that falls off the
 * end goes into the tree with the next stamp. 0 or -1 (out of memory). */
static inline __attribute__((always_inline)) int rs_push(reach_stack *s, uint64_t key,
							uint64_t last)
{
	if (s->nlist == RS_LIST) {
		uint64_t old = s->lkey[RS_LIST - 1];
		if (s->next == s->cap && rs_compact(s))
			return -1;
		size_t i = rs_find(s, old);
		uint32_t st = s->next++;
		fw_add(s, st, 1);
		s->owner[st] = (uint32_t)i;
		s->slot[i].stamp = st;
		s->slot[i].last = s->llast[RS_LIST - 1];
		s->nlist--;
	}
	for (unsigned q = s->nlist; q > 0; q--) {
		s->lkey[q] = s->lkey[q - 1];
		s->llast[q] = s->llast[q - 1];
	}
	s->lkey[0] = key;
	s->llast[0] = last;
	s->nlist++;
	s->head.top_key = key;
	return 0;
}

static void rs_remove_slot(reach_stack *s, size_t i);

/* Move the list's entry J (KEY) to the top, last used at LAST. */
static inline void rs_list_to_top(reach_stack *s, unsigned j, uint64_t key, uint64_t last)
{
	for (unsigned q = j; q > 0; q--) {
		s->lkey[q] = s->lkey[q - 1];
		s->llast[q] = s->llast[q - 1];
	}
	s->lkey[0] = key;
	s->llast[0] = last;
	s->head.top_key = key;
}

uint64_t reach_stack_touch_slow(reach_stack *s, uint64_t key)
{
	rs_flush(s);
	uint64_t t = s->t, d, prev;
	/* In the list: its position (not the top: the inline path's). */
	for (unsigned j = 1; j < s->nlist; j++)
		if (s->lkey[j] == key) {
			prev = s->llast[j];
			rs_list_to_top(s, j, key, t);
			s->t++;
			rs_count(s, j + 1, t, prev);
			return j + 1;
		}
	size_t i = rs_find(s, key);
	if (s->slot[i].key == key) {
		/* In the tree: the list, then the newer stamps, are above it. */
		uint32_t st = s->slot[i].stamp;
		d = s->nlist + (s->used - s->nlist - fw_prefix(s, st)) + 1;
		prev = s->slot[i].last;
		fw_add(s, st, -1);
		s->owner[st] = NONE;
		s->slot[i].stamp = IN_LIST;
	} else {
		if ((s->used + 1) * 4 > (s->mask + 1) * 3) {
			if (rs_grow_hash(s))
				return REACH_NOMEM;
			i = rs_find(s, key);
		}
		s->slot[i] = (rs_slot){ .key = key, .stamp = IN_LIST };
		s->used++;
		d = REACH_COLD;
		prev = t;
	}
	if (rs_push(s, key, t)) {
		/* Out of memory: the key leaves the stack (the analysis stops). */
		rs_remove_slot(s, rs_find(s, key));
		return REACH_NOMEM;
	}
	s->t++;
	rs_count(s, d, t, prev);
	return d;
}

int reach_stack_touch_quiet(reach_stack *s, uint64_t key)
{
	rs_flush(s);
	for (unsigned j = 0; j < s->nlist; j++)
		if (s->lkey[j] == key) {
			rs_list_to_top(s, j, key, s->llast[j]);
			return 0;
		}
	size_t i = rs_find(s, key);
	uint64_t last = NO_USE;
	if (s->slot[i].key == key) {
		uint32_t st = s->slot[i].stamp;
		last = s->slot[i].last;
		fw_add(s, st, -1);
		s->owner[st] = NONE;
		s->slot[i].stamp = IN_LIST;
	} else {
		if ((s->used + 1) * 4 > (s->mask + 1) * 3) {
			if (rs_grow_hash(s))
				return -1;
			i = rs_find(s, key);
		}
		s->slot[i] = (rs_slot){ .key = key, .stamp = IN_LIST };
		s->used++;
	}
	if (rs_push(s, key, last)) {
		rs_remove_slot(s, rs_find(s, key));
		return -1;
	}
	return 0;
}

int reach_stack_has(const reach_stack *s, uint64_t key)
{
	return s->slot[rs_find(s, key)].key == key;
}

/* Remove the key in slot I from the list or the tree and the hash
 * (backward-shift deletion, Knuth 6.4 Algorithm R). */
static void rs_remove_slot(reach_stack *s, size_t i)
{
	rs_slot *x = &s->slot[i];
	if (x->stamp == IN_LIST) {
		unsigned j = 0;
		while (j < s->nlist && s->lkey[j] != x->key)
			j++;
		if (j < s->nlist) {
			memmove(&s->lkey[j], &s->lkey[j + 1], (s->nlist - j - 1) * sizeof(uint64_t));
			memmove(&s->llast[j], &s->llast[j + 1], (s->nlist - j - 1) * sizeof(uint64_t));
			s->nlist--;
		}
		s->head.top_key = s->nlist ? s->lkey[0] : NO_KEY;
	} else if (x->stamp != NONE) {
		fw_add(s, x->stamp, -1);
		s->owner[x->stamp] = NONE;
	}
	x->key = NO_KEY;
	s->used--;
	size_t j = i;
	for (;;) {
		j = (j + 1) & s->mask;
		rs_slot *y = &s->slot[j];
		if (y->key == NO_KEY)
			return;
		size_t home = rs_hash(y->key) & s->mask;
		/* Y may move to the hole at I unless its home lies in (I, J]. */
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		s->slot[i] = *y;
		if (y->stamp != IN_LIST && y->stamp != NONE)
			s->owner[y->stamp] = (uint32_t)i;
		y->key = NO_KEY;
		i = j;
	}
}

int reach_stack_forget(reach_stack *s, uint64_t key)
{
	rs_flush(s);
	size_t i = rs_find(s, key);
	if (s->slot[i].key != key)
		return 0;
	rs_remove_slot(s, i);
	return 1;
}

uint64_t reach_stack_forget_if(reach_stack *s, int (*match)(uint64_t key, const void *ctx),
			       const void *ctx)
{
	rs_flush(s);
	uint64_t n = 0;
	for (size_t i = 0; i <= s->mask;) {
		uint64_t k = s->slot[i].key;
		if (k != NO_KEY && (!match || match(k, ctx))) {
			rs_remove_slot(s, i);   /* a later key may have moved into I */
			n++;
			continue;
		}
		i++;
	}
	return n;
}

const uint64_t *reach_stack_hist(reach_stack *s, size_t *n)
{
	rs_flush(s);
	*n = (size_t)s->max_dist + 2;
	return s->hist;
}

uint64_t reach_stack_refs(reach_stack *s)
{
	rs_flush(s);
	return s->t;
}

uint64_t reach_stack_keys(const reach_stack *s) { return s->used; }

void reach_stack_windows(reach_stack *s, uint64_t w[64])
{
	rs_flush(s);
	int64_t acc = 0;
	for (unsigned i = 0; i < 64; i++) {
		acc += s->ws[i];
		w[i] = (uint64_t)acc;
	}
}

size_t reach_stack_top(const reach_stack *s, uint64_t *out, size_t max)
{
	size_t n = 0;
	for (unsigned j = 0; j < s->nlist && n < max; j++)
		out[n++] = s->lkey[j];
	for (uint32_t st = s->next; st-- > 0 && n < max;)
		if (s->owner[st] != NONE)
			out[n++] = s->slot[s->owner[st]].key;
	return n;
}

/* ---------------------------------------------------------------- keys */

/* A key: the page (of the 57-bit canonical VA: bits 63:57 repeat bit 56 in
 * every address a machine accepts) in bits 44:0, the code of its size in
 * 47:45, the ASID in 63:48 (0 for the upper, global half). The largest
 * size (code 7) leaves the page field short of all ones, so no key is
 * NO_KEY. */
#define VA57_MASK ((UINT64_C(1) << 57) - 1)
#define KEY_PAGE_BITS 45
#define KEY_CODE_SHIFT 45
#define KEY_ASID_SHIFT 48

/* The entry sizes a combined translation can have: the page and block
 * sizes of the three granules, and the contiguous runs (ARM DDI 0487,
 * D8.6.1: 16 x 4K, 16 x 2M, 128 x 16K, 32 x 32M, 32 x 64K, 32 x 512M). */
static const unsigned code_shift[8] = { 12, 14, 16, 21, 25, 29, 30, 34 };

static int code_of(unsigned shift)
{
	for (int c = 0; c < 8; c++)
		if (code_shift[c] == shift)
			return c;
	return -1;
}

static inline int va_upper(uint64_t va) { return (int)(va >> 63); }

static inline uint64_t make_key(uint64_t page, unsigned code, uint16_t asid, int upper)
{
	return page | (uint64_t)code << KEY_CODE_SHIFT |
	       (upper ? 0 : (uint64_t)asid << KEY_ASID_SHIFT);
}

static inline unsigned key_shift(uint64_t key)
{
	return code_shift[(key >> KEY_CODE_SHIFT) & 7];
}

/* The page's VA bit 56 (the upper half): global, so no ASID. */
static inline int key_upper(uint64_t key)
{
	return (int)(((key & ((UINT64_C(1) << KEY_PAGE_BITS) - 1)) << key_shift(key)) >> 56 & 1);
}

/* ---------------------------------------------------------------- the analysis */

static const unsigned size_shift[REACH_COMBINED] = { 12, 14, 16, 21 };

/* A stream's last 4K page: an access inside the 4K page the stream's
 * previous lookup was in (same ASID) is the top key of every fixed-size
 * stack, and is only counted (REP) until an access that is not. */
typedef struct rrepeat {
	uint64_t page4k;             /* the VA's 4K page number, all 64 bits (NO_KEY: none) */
	uint16_t asid;
	uint64_t rep;                /* such accesses not yet passed to the stacks */
} rrepeat;

typedef struct rvcpu {
	reach_stack *fa[REACH_STREAMS][REACH_SIZES];      /* NULL: combined aliases a size */
	reach_stack **sa[REACH_STREAMS][REACH_SIZES];     /* per set, NULL without sets */
	rrepeat last[REACH_STREAMS];
} rvcpu;

struct reach {
	reach_cfg c;
	reach_info info;
	machine *m;                  /* the combined size varies: says each one */
	/* The combined size is fixed: a machine of the configuration that only
	 * maps what run's maps, in the same order (the pages of each access
	 * new to its vCPU's stream), and so refuses what run refuses (a VA
	 * that is not canonical, a full guest-physical space). */
	machine *shape;
	struct guest *g;             /* its guest OS: which half a VA is in */
	int alias;                   /* the combined size is this fixed size (-1: none) */
	unsigned ccode;              /* code of a fixed combined size */
	int pf_translate;            /* trace.prefetch=translate: a prefetch fills */
	uint64_t limit;              /* sim.max_records (UINT64_MAX: none) */
	uint64_t pre;                /* records the prefault pass took */
	char varies[96];             /* what makes the combined size vary ("" : fixed) */
	/* Keys mapped that may be in no stack (fixed size, translate): what
	 * invalidations removed and what sim.prefault mapped. With the keys
	 * in the stacks of every vCPU they are what run has mapped. */
	u64map mapped[REACH_SIZES];
	uint8_t vdom[TRACE_MAX_VCPUS];
	rvcpu *v[TRACE_MAX_VCPUS];
	uint16_t ids[TRACE_MAX_VCPUS];   /* the vCPUs seen, in order */
	unsigned nids;
	char err[512];
	int code;
	/* results (reach_finish) */
	uint64_t *misses[REACH_STREAMS][REACH_SIZES];
	uint64_t *set_misses[REACH_STREAMS][REACH_SIZES];
	uint64_t *reach_bytes[REACH_STREAMS][REACH_SIZES];
	uint64_t lookups[REACH_STREAMS][REACH_SIZES];
	uint64_t pages[REACH_STREAMS][REACH_SIZES];
	uint64_t windows[REACH_STREAMS][REACH_SIZES][64];
};

static int fail(reach *r, int code, const char *what)
{
	if (!r->code) {
		r->code = code;
		snprintf(r->err, sizeof(r->err), "%s", what);
	}
	return -1;
}

static int nomem(reach *r) { return fail(r, TRACE_ENOMEM, "out of memory (reach stacks)"); }

/* The failure of machine M (the varying size's or the shape). */
static int machine_failed(reach *r, const machine *m)
{
	return fail(r, machine_error_code(m), machine_error(m));
}

/* Pass record X to the machine of a varying size, if there is one, its
 * vCPU added at its first record that needs it; OUT (may be NULL) says
 * what it did. 0 or -1. */
static int to_machine(reach *r, const trace_rec *x, machine_result *out)
{
	if (r->m && ((!machine_vcpu_needed(r->m, x, 1, NULL) && machine_add_vcpu(r->m, x->vcpu)) ||
		     machine_access(r->m, x, out)))
		return machine_failed(r, r->m);
	return 0;
}

/* "KEY=VALUE" of domain N's registry DP, as the user set it: "domain.N.KEY"
 * when that override was given. */
static void key_text(char *b, size_t n, const param_reg *base, const param_reg *dp, unsigned dom,
		     const char *key)
{
	char scoped[96];
	snprintf(scoped, sizeof(scoped), "domain.%u.%s", dom, key);
	if (param_origin(base, scoped))
		snprintf(b, n, "%s=%s", scoped, param_text(dp, key));
	else
		snprintf(b, n, "%s=%s", key, param_text(dp, key));
}

/* The keys under which run does to the TLBs what the trace does not say,
 * which no curve of the trace can follow: refused by name. 0, or a code
 * with ERR. */
static int refuse_keys(const param_reg *p, char *err, size_t errlen)
{
	if (param_enum(p, "io.mode") != 0) {
		snprintf(err, errlen, "io.mode=%s: reach takes io.mode=off: the I/O model's "
			 "accesses go through the front end's TLBs but are not in the trace, so no "
			 "curve of the trace equals run's misses", param_text(p, "io.mode"));
		return TRACE_EFORMAT;
	}
	unsigned nd = (unsigned)param_int(p, "domains");
	for (unsigned n = 0; n < nd; n++) {
		param_reg *dp = param_scoped(p, n);
		if (!dp) {
			snprintf(err, errlen, "out of memory (reach)");
			return TRACE_ENOMEM;
		}
		int on = param_enum(dp, "dirtylog.mode") != 0;
		char kt[128];
		if (on)
			key_text(kt, sizeof(kt), p, dp, n, "dirtylog.mode");
		param_destroy(dp);
		if (on) {
			snprintf(err, errlen, "%s: reach takes dirtylog.mode=off: dirty logging "
				 "invalidates TLB entries as the trace runs (harvest rounds, splits of "
				 "large pages, write-protection faults), which no one-pass curve "
				 "follows, so none would equal run's misses", kt);
			return TRACE_EFORMAT;
		}
	}
	return 0;
}

/* The combined entry size when it is one fixed size for the whole run:
 * min(stage-1 leaf, stage-2 leaf) with one page size at each stage, or a
 * stage-1 leaf no larger than the smallest stage-2 leaf, in the only
 * domain's configuration D0 (its domain.0.* overrides applied). 0: it
 * varies, and WHY says which key makes it vary. (Dirty logging, which may
 * split stage-2 leaves, is refused before.) */
static unsigned fixed_combined_shift(const param_reg *base, const param_reg *d0, char *why,
				     size_t whylen)
{
	static const unsigned gran[] = { 12, 14, 16 };
	static const unsigned fixed[] = { 12, 14, 16, 21, 25, 29, 30 };   /* POLICY_CHOICES */
	if (param_int(base, "domains") != 1) {
		snprintf(why, whylen, "domains=%s", param_text(base, "domains"));
		return 0;
	}
	if (param_bool(d0, "guest.cont")) {
		key_text(why, whylen, base, d0, 0, "guest.cont");
		return 0;
	}
	int gp = param_enum(d0, "guest.page"), hp = param_enum(d0, "host.page");
	unsigned ggran = gran[param_enum(d0, "guest.granule")];
	unsigned hgran = gran[param_enum(d0, "host.granule")];
	unsigned g = gp < 7 ? fixed[gp] : gp == 8 ? ggran : 0;   /* 7: thp */
	if (!g) {
		key_text(why, whylen, base, d0, 0, "guest.page");
		return 0;
	}
	if (param_enum(d0, "virt") == 0 || g <= hgran)
		return g;   /* native, or no stage-2 leaf is smaller */
	unsigned h = hp < 7 ? fixed[hp] : hp == 8 ? hgran : 0;
	if (!h) {
		key_text(why, whylen, base, d0, 0, "host.page");
		return 0;
	}
	if (param_float(d0, "host.backing") != 0) {   /* host.backing mixes sizes */
		key_text(why, whylen, base, d0, 0, "host.backing");
		return 0;
	}
	return g < h ? g : h;
}

int reach_create(reach **out, const reach_cfg *c, char *err, size_t errlen)
{
	*out = NULL;
	if (c->entries < 1 || (c->sets && (c->sets & (c->sets - 1))) || (c->sets && !c->ways)) {
		snprintf(err, errlen, "reach: entries must be at least 1 and sets a power of two "
			 "with at least one way");
		return TRACE_EFORMAT;
	}
	reach *r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "out of memory (reach)");
		return TRACE_ENOMEM;
	}
	r->c = *c;
	/* The machine checks the configuration, naming the key. */
	int rc = machine_create(&r->m, c->params, err, errlen);
	if (rc == TRACE_OK)
		rc = refuse_keys(c->params, err, errlen);
	param_reg *d0 = rc == TRACE_OK ? param_scoped(c->params, 0) : NULL;
	if (rc == TRACE_OK && !d0) {
		snprintf(err, errlen, "out of memory (reach)");
		rc = TRACE_ENOMEM;
	}
	for (unsigned k = 0; rc == TRACE_OK && k < REACH_SIZES; k++)
		if (u64map_init(&r->mapped[k])) {
			snprintf(err, errlen, "out of memory (reach)");
			rc = TRACE_ENOMEM;
		}
	if (rc != TRACE_OK) {
		param_destroy(d0);
		reach_destroy(r);
		return rc;
	}
	unsigned cs = fixed_combined_shift(c->params, d0, r->varies, sizeof(r->varies));
	param_destroy(d0);
	r->alias = -1;
	if (cs) {
		r->shape = r->m;
		r->m = NULL;
		struct hyp *h;
		machine_rooms(r->shape, 0, &r->g, &h);
		for (int k = 0; k < REACH_COMBINED; k++)
			if (size_shift[k] == cs)
				r->alias = k;
		r->ccode = (unsigned)code_of(cs);
	}
	int64_t map[PARAM_LIST_MAX];
	int nmap = param_list(c->params, "vcpu.domain", map, PARAM_LIST_MAX);
	for (int i = 0; i < nmap && i < TRACE_MAX_VCPUS; i++)
		r->vdom[i] = (uint8_t)map[i];
	/* As run: sim.max_records trace records of every kind, 0 all. */
	uint64_t lim = (uint64_t)param_int(c->params, "sim.max_records");
	r->limit = lim ? lim : UINT64_MAX;
	r->pf_translate = param_enum(c->params, "trace.prefetch") == 0;
	r->info = (reach_info){ .combined_shift = cs, .exact = 1, .entries = c->entries,
				.sets = c->sets, .ways = c->sets ? c->ways : 0 };
	*out = r;
	return TRACE_OK;
}

static void rvcpu_destroy(const reach *r, rvcpu *v)
{
	if (!v)
		return;
	for (unsigned s = 0; s < REACH_STREAMS; s++)
		for (unsigned k = 0; k < REACH_SIZES; k++) {
			reach_stack_destroy(v->fa[s][k]);
			if (v->sa[s][k])
				for (uint32_t i = 0; i < r->c.sets; i++)
					reach_stack_destroy(v->sa[s][k][i]);
			free(v->sa[s][k]);
		}
	free(v);
}

void reach_destroy(reach *r)
{
	if (!r)
		return;
	machine_destroy(r->m);
	machine_destroy(r->shape);
	for (unsigned k = 0; k < REACH_SIZES; k++)
		u64map_free(&r->mapped[k]);
	for (unsigned i = 0; i < TRACE_MAX_VCPUS; i++)
		rvcpu_destroy(r, r->v[i]);
	for (unsigned s = 0; s < REACH_STREAMS; s++)
		for (unsigned k = 0; k < REACH_SIZES; k++) {
			free(r->misses[s][k]);
			free(r->set_misses[s][k]);
			free(r->reach_bytes[s][k]);
		}
	free(r);
}

uint64_t reach_limit(const reach *r) { return r->limit; }

static rvcpu *rvcpu_make(reach *r, unsigned id)
{
	rvcpu *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	r->v[id] = v;
	r->ids[r->nids++] = (uint16_t)id;
	for (unsigned s = 0; s < REACH_STREAMS; s++)
		v->last[s].page4k = NO_KEY;
	for (unsigned s = 0; s < REACH_STREAMS; s++)
		for (unsigned k = 0; k < REACH_SIZES; k++) {
			if (k == REACH_COMBINED && r->alias >= 0)
				continue;
			if (!(v->fa[s][k] = reach_stack_create(r->c.entries)))
				return NULL;
			if (!r->c.sets)
				continue;
			if (!(v->sa[s][k] = calloc(r->c.sets, sizeof(reach_stack *))))
				return NULL;
			for (uint32_t i = 0; i < r->c.sets; i++)
				if (!(v->sa[s][k][i] = reach_stack_create(r->c.ways)))
					return NULL;
		}
	return v;
}

static inline rvcpu *vcpu_of(reach *r, unsigned id)
{
	rvcpu *v = r->v[id];
	return v ? v : rvcpu_make(r, id);
}

/* One lookup of PAGE (of size code CODE) in stream S, size K: 1 if it was
 * a first use in the stream, 0 if not, -1 out of memory. */
static inline int lookup(reach *r, rvcpu *v, unsigned s, unsigned k, uint64_t page,
			 unsigned code, const trace_rec *x, int upper)
{
	uint64_t key = make_key(page, code, x->asid, upper);
	uint64_t d = reach_stack_touch(v->fa[s][k], key);
	if (d == REACH_NOMEM)
		return nomem(r);
	if (r->c.sets &&
	    reach_stack_touch(v->sa[s][k][page & (r->c.sets - 1)], key) == REACH_NOMEM)
		return nomem(r);
	return d == REACH_COLD;
}

/* The lookups of access X, whose last byte is at LAST, at the fixed size K
 * (shift SHIFT, code CODE): the page of its first byte, then the page of
 * its last if that is another. How many were first uses, or -1. */
static inline __attribute__((always_inline)) int lookups_fixed(reach *r, rvcpu *v, unsigned s,
							      unsigned k, unsigned shift,
							      unsigned code, const trace_rec *x,
							      uint64_t last)
{
	int upper = va_upper(x->gva);
	uint64_t lo = (x->gva & VA57_MASK) >> shift;
	uint64_t hi = (last & VA57_MASK) >> shift;
	int a = lookup(r, v, s, k, lo, code, x, upper), b = 0;
	if (a >= 0 && hi != lo)
		b = lookup(r, v, s, k, hi, code, x, upper);
	return a < 0 || b < 0 ? -1 : a + b;
}

/* Pass stream S's repeated accesses to its fixed-size stacks (and the
 * combined one when its size is fixed): each a reference to the top key. */
static void flush_repeats(const reach *r, rvcpu *v, unsigned s)
{
	rrepeat *l = &v->last[s];
	if (!l->rep)
		return;
	unsigned nk = r->m ? REACH_COMBINED : REACH_SIZES;
	for (unsigned k = 0; k < nk; k++) {
		if (!v->fa[s][k])
			continue;
		((reach_stack_head *)v->fa[s][k])->pending += l->rep;
		if (r->c.sets) {
			unsigned sh = k < REACH_COMBINED ? size_shift[k] : code_shift[r->ccode];
			uint64_t set = (l->page4k >> (sh - 12)) & (r->c.sets - 1);
			((reach_stack_head *)v->sa[s][k][set])->pending += l->rep;
		}
	}
	l->rep = 0;
}

/* The size code of the fixed-size stack K (the combined one's when fixed). */
static inline unsigned code_of_stack(const reach *r, unsigned k)
{
	return k < REACH_COMBINED ? (unsigned)code_of(size_shift[k]) : r->ccode;
}

/* ---- invalidation */

typedef struct inv_ctx {
	uint16_t asid;
	int by_asid;        /* only that ASID's keys (not the global half's) */
	u64map *keep;       /* NULL, or where a removed key is remembered as mapped */
	int *nomem;
} inv_ctx;

static int match_inv(uint64_t key, const void *ctx)
{
	const inv_ctx *c = ctx;
	if (c->by_asid && (key_upper(key) || (uint16_t)(key >> KEY_ASID_SHIFT) != c->asid))
		return 0;
	if (c->keep && !u64map_get(c->keep, key, NULL))
		*c->nomem = 1;
	return 1;
}

/* Remove what invalidation X covers from stack ST (sizes: the codes a key
 * of it may have), remembering each removed key in KEEP (may be NULL): the
 * page stays mapped. Returns the keys removed; *NOMEM set if KEEP could
 * not grow. */
static uint64_t inv_stack(reach_stack *st, const trace_rec *x, const unsigned *codes,
			  unsigned ncodes, u64map *keep, int *nomem)
{
	unsigned op = x->op & TRACE_INV_OP_MASK;
	if (op == TRACE_INV_ALL || op == TRACE_INV_ASID) {
		inv_ctx c = { .asid = x->asid, .by_asid = op == TRACE_INV_ASID, .keep = keep,
			      .nomem = nomem };
		return reach_stack_forget_if(st, op == TRACE_INV_ALL && !keep ? NULL : match_inv, &c);
	}
	uint64_t n = 0;
	int upper = va_upper(x->gva);
	for (unsigned i = 0; i < ncodes; i++) {
		uint64_t page = (x->gva & VA57_MASK) >> code_shift[codes[i]];
		uint64_t key = make_key(page, codes[i], x->asid, upper);
		if (reach_stack_forget(st, key)) {
			n++;
			if (keep && !u64map_get(keep, key, NULL))
				*nomem = 1;
		}
	}
	return n;
}

static int invalidate(reach *r, const trace_rec *x)
{
	static const unsigned all_codes[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	unsigned lo = x->vcpu, hi = x->vcpu + 1u;
	if (x->op & TRACE_INV_BCAST)
		lo = 0, hi = TRACE_MAX_VCPUS;
	uint64_t removed = 0;
	int oom = 0;
	for (unsigned id = lo; id < hi; id++) {
		rvcpu *v = r->v[id];
		if (!v || r->vdom[id] != r->vdom[x->vcpu])
			continue;
		for (unsigned s = 0; s < REACH_STREAMS; s++) {
			flush_repeats(r, v, s);
			v->last[s].page4k = NO_KEY;
		}
		for (unsigned s = 0; s < REACH_STREAMS; s++)
			for (unsigned k = 0; k < REACH_SIZES; k++) {
				if (!v->fa[s][k])
					continue;
				unsigned one = code_of_stack(r, k);
				const unsigned *codes = &one;
				unsigned nc = 1;
				if (k == REACH_COMBINED && r->m)
					codes = all_codes, nc = 8;
				/* (the fixed sizes' pages stay mapped: a prefetch
				 * still fills them) */
				u64map *keep = !r->m && r->pf_translate ? &r->mapped[k] : NULL;
				removed += inv_stack(v->fa[s][k], x, codes, nc, keep, &oom);
				for (uint32_t i = 0; v->sa[s][k] && i < r->c.sets; i++)
					inv_stack(v->sa[s][k][i], x, codes, nc, NULL, &oom);
			}
	}
	if (removed)
		r->info.exact = 0;
	return oom ? nomem(r) : 0;
}

/* ---- prefetches */

/* Is KEY (of the fixed-size stack K) mapped: looked up by a program access
 * of any vCPU (all are in the one domain) or remembered in r->mapped? */
static int mapped(const reach *r, unsigned k, uint64_t key)
{
	if (u64map_find(&r->mapped[k], key))
		return 1;
	for (unsigned i = 0; i < r->nids; i++) {
		const rvcpu *v = r->v[r->ids[i]];
		for (unsigned s = 0; s < REACH_STREAMS; s++)
			if (v->fa[s][k] && reach_stack_has(v->fa[s][k], key))
				return 1;
	}
	return 0;
}

/* A prefetch record. run (sim/machine/machine.c, prefetch_one) with
 * trace.prefetch=translate looks the page of its first byte up in the L1
 * of its stream (the instruction L1 for an instruction prefetch) and, on a
 * miss, walks and fills - not counting it as the program's lookup - or, if
 * the walk faults (the page is not mapped: no program access touched it
 * yet, as the guest OS and hypervisor map on first touch), drops it. A
 * fill or a hit makes the page the most recent at every TLB size alike,
 * so the stacks stay LRU stacks: a quiet touch at every size whose page is
 * mapped. With skip it is counted only. */
static int prefetch(reach *r, const trace_rec *x)
{
	r->info.prefetches++;
	if (r->m) {
		if (r->pf_translate) {
			char msg[400];
			snprintf(msg, sizeof(msg), "a prefetch record under trace.prefetch=translate, "
				 "and the size of the entry it would fill varies in this "
				 "configuration (%s): reach cannot learn it without mapping the page, "
				 "which a prefetch does not do; set trace.prefetch=skip, or page sizes "
				 "that do not vary", r->varies);
			return fail(r, TRACE_EFORMAT, msg);
		}
		return to_machine(r, x, NULL);
	}
	if (!r->pf_translate)
		return 0;
	int half = guest_va_half(r->g, x->gva);
	if (half < 0)
		return 0;   /* not canonical: the walk faults, the prefetch is dropped */
	/* run's walk takes the ASID's root first, making it if the ASID is
	 * new; for an upper-half prefetch only when it misses its TLB, which
	 * reach cannot know (the DEVIATION at the top). */
	uint64_t root;
	if (!half && guest_root(r->g, x->asid, &root))
		return machine_failed(r, r->shape);
	rvcpu *v = vcpu_of(r, x->vcpu);
	if (!v)
		return nomem(r);
	unsigned s = x->op == TRACE_PF_INSTR ? REACH_I : REACH_D;
	flush_repeats(r, v, s);
	v->last[s].page4k = NO_KEY;   /* the top key may change */
	for (unsigned k = 0; k < REACH_SIZES; k++) {
		if (!v->fa[s][k])
			continue;
		unsigned code = code_of_stack(r, k);
		uint64_t page = (x->gva & VA57_MASK) >> code_shift[code];
		uint64_t key = make_key(page, code, x->asid, half);
		if (!mapped(r, k, key))
			continue;
		if (reach_stack_touch_quiet(v->fa[s][k], key) ||
		    (r->c.sets &&
		     reach_stack_touch_quiet(v->sa[s][k][page & (r->c.sets - 1)], key)))
			return nomem(r);
	}
	return 0;
}

/* ---- records */


/* Map the pages of access X (last byte at LAST) in the shape as run's walks
 * map them on their faults: the page of its first byte, then the next
 * (which a crossing access enters at a 4K boundary, the only page boundary
 * inside 4096 bytes); a refusal names the VA run's would. 0 or -1. */
static int map_pages(reach *r, const trace_rec *x, uint64_t last)
{
	trace_rec y = *x;
	size_t bad;
	y.size = 0;   /* one page: the page of its address */
	if (machine_prefault(r->shape, &y, 1, &bad))
		return machine_failed(r, r->shape);
	y.gva = last & ~UINT64_C(0xfff);
	if ((y.gva >> 12) != (x->gva >> 12) && machine_prefault(r->shape, &y, 1, &bad))
		return machine_failed(r, r->shape);
	return 0;
}

static int record(reach *r, const trace_rec *x)
{
	r->info.records++;
	if (x->kind == TRACE_INV) {
		r->info.invalidations++;
		if (invalidate(r, x))
			return -1;
		return to_machine(r, x, NULL);
	}
	if (x->kind == TRACE_P)   /* a prefetch: not the program's lookup */
		return prefetch(r, x);
	rvcpu *v = vcpu_of(r, x->vcpu);
	if (!v)
		return nomem(r);
	unsigned s = x->kind == TRACE_X ? REACH_I : REACH_D;
	r->info.accesses[s]++;
	r->info.instructions += x->icount;
	rrepeat *l = &v->last[s];
	/* A zero-size access is one lookup, of the page of its address (as
	 * run, and FORMAT.md): its "last byte" is its first. */
	uint64_t last = x->gva + x->size - (x->size != 0);
	uint64_t p4 = x->gva >> 12, e4 = last >> 12;
	if (p4 == l->page4k && e4 == p4 && x->asid == l->asid) {
		l->rep++;   /* the top key of every fixed-size stack */
	} else {
		flush_repeats(r, v, s);
		l->page4k = e4;   /* the last lookup's page: the top from now */
		l->asid = x->asid;
		int cold = lookups_fixed(r, v, s, REACH_4K, 12, (unsigned)code_of(12), x, last);
		if (cold < 0)
			return -1;
		for (unsigned k = REACH_4K + 1; k < REACH_COMBINED; k++)
			if (lookups_fixed(r, v, s, k, size_shift[k], (unsigned)code_of(size_shift[k]),
					  x, last) < 0)
				return -1;
		if (r->alias < 0 && !r->m &&
		    lookups_fixed(r, v, s, REACH_COMBINED, code_shift[r->ccode], r->ccode, x,
				  last) < 0)
			return -1;
		/* A 4K page new to this vCPU's stream may be new to the domain:
		 * the shape maps it as run's walks would, or refuses it. (One
		 * the stream used before was mapped then.) */
		if (cold && r->shape && map_pages(r, x, last))
			return -1;
	}
	if (!r->m)
		return 0;
	/* The size varies: the machine says what each translation covered. */
	machine_result res;
	if (to_machine(r, x, &res))
		return -1;
	uint64_t va = x->gva;
	int upper = va_upper(x->gva);
	for (unsigned p = 0; p < res.npages; p++) {
		int code = code_of(res.shift[p]);
		if (code < 0)
			return fail(r, TRACE_EINTERNAL, "internal: a translation size reach has no "
				    "key for");
		uint64_t page = (va & VA57_MASK) >> res.shift[p];
		if (lookup(r, v, s, REACH_COMBINED, page, (unsigned)code, x, upper) < 0)
			return -1;
		va = ((va >> res.shift[p]) + 1) << res.shift[p];
	}
	return 0;
}

int reach_feed(reach *r, const trace_rec *b, size_t n, size_t *failed)
{
	*failed = 0;
	if (r->limit - r->info.records < n)
		n = (size_t)(r->limit - r->info.records);   /* sim.max_records */
	for (size_t i = 0; i < n; i++)
		if (record(r, &b[i])) {
			*failed = i;
			return -1;
		}
	return 0;
}

int reach_prefault(reach *r, const trace_rec *b, size_t n, size_t *failed)
{
	*failed = 0;
	machine *m = r->m ? r->m : r->shape;
	for (size_t i = 0; i < n && r->pre < r->limit; i++) {
		const trace_rec *x = &b[i];
		size_t bad;
		r->pre++;
		if (x->kind == TRACE_INV || x->kind == TRACE_P)
			continue;   /* not a program access: nothing to map */
		if (machine_prefault(m, x, 1, &bad)) {
			*failed = i;
			return machine_failed(r, m);
		}
		if (r->m || !r->pf_translate)
			continue;
		/* Mapped from the start: a prefetch fills these pages. */
		uint64_t last = x->gva + x->size - (x->size != 0);
		int upper = va_upper(x->gva);
		for (unsigned k = 0; k < REACH_SIZES; k++) {
			if (k == REACH_COMBINED && r->alias >= 0)
				continue;
			unsigned code = code_of_stack(r, k);
			uint64_t lo = (x->gva & VA57_MASK) >> code_shift[code];
			uint64_t hi = (last & VA57_MASK) >> code_shift[code];
			if (!u64map_get(&r->mapped[k], make_key(lo, code, x->asid, upper), NULL) ||
			    !u64map_get(&r->mapped[k], make_key(hi, code, x->asid, upper), NULL)) {
				*failed = i;
				return nomem(r);
			}
		}
	}
	return 0;
}

/* ---- results */

/* OUT[k-1] += misses of a k-entry LRU (k = 1..N) from histogram H (n = N + 2). */
static void add_misses(uint64_t *out, const uint64_t *h, size_t n, uint64_t refs)
{
	uint64_t hits = 0;
	for (size_t k = 1; k + 1 < n; k++) {
		hits += h[k];
		out[k - 1] += refs - hits;
	}
}

int reach_finish(reach *r)
{
	if (r->m && machine_finish(r->m))
		return fail(r, machine_error_code(r->m), machine_error(r->m));
	for (unsigned id = 0; id < TRACE_MAX_VCPUS; id++)
		for (unsigned s = 0; r->v[id] && s < REACH_STREAMS; s++)
			flush_repeats(r, r->v[id], s);
	uint32_t n = r->c.entries;
	uint64_t *top = malloc((size_t)n * sizeof(*top));
	if (!top)
		return nomem(r);
	for (unsigned s = 0; s < REACH_STREAMS; s++)
		for (unsigned k = 0; k < REACH_SIZES; k++) {
			if (k == REACH_COMBINED && r->alias >= 0)
				continue;
			r->misses[s][k] = calloc(n, sizeof(uint64_t));
			r->reach_bytes[s][k] = calloc(n, sizeof(uint64_t));
			if (r->c.sets)
				r->set_misses[s][k] = calloc(r->c.ways, sizeof(uint64_t));
			if (!r->misses[s][k] || !r->reach_bytes[s][k] ||
			    (r->c.sets && !r->set_misses[s][k])) {
				free(top);
				return nomem(r);
			}
			for (unsigned id = 0; id < TRACE_MAX_VCPUS; id++) {
				rvcpu *v = r->v[id];
				if (!v)
					continue;
				reach_stack *st = v->fa[s][k];
				size_t hn;
				const uint64_t *h = reach_stack_hist(st, &hn);
				uint64_t refs = reach_stack_refs(st);
				add_misses(r->misses[s][k], h, hn, refs);
				r->lookups[s][k] += refs;
				r->pages[s][k] += h[0];
				uint64_t w[64];
				reach_stack_windows(st, w);
				for (unsigned i = 0; i < 64; i++)
					r->windows[s][k][i] += w[i];
				/* Reach: the bytes of the k most recent entries. */
				size_t nt = reach_stack_top(st, top, n);
				uint64_t bytes = 0;
				for (uint32_t e = 0; e < n; e++) {
					if (e < nt)
						bytes += UINT64_C(1) << key_shift(top[e]);
					r->reach_bytes[s][k][e] += bytes;
				}
				for (uint32_t i = 0; r->c.sets && i < r->c.sets; i++) {
					h = reach_stack_hist(v->sa[s][k][i], &hn);
					add_misses(r->set_misses[s][k], h, hn,
						   reach_stack_refs(v->sa[s][k][i]));
				}
			}
		}
	free(top);
	return 0;
}

const char *reach_error(const reach *r) { return r->err; }
int reach_error_code(const reach *r) { return r->code ? r->code : TRACE_EINTERNAL; }
const reach_info *reach_get_info(const reach *r) { return &r->info; }

void reach_get_curve(const reach *r, unsigned stream, unsigned size, reach_curve *out)
{
	unsigned k = size == REACH_COMBINED && r->alias >= 0 ? (unsigned)r->alias : size;
	*out = (reach_curve){ .lookups = r->lookups[stream][k], .pages = r->pages[stream][k],
			      .misses = r->misses[stream][k],
			      .set_misses = r->set_misses[stream][k],
			      .reach_bytes = r->reach_bytes[stream][k],
			      .shift = k < REACH_COMBINED ? size_shift[k] : r->info.combined_shift };
	memcpy(out->windows, r->windows[stream][k], sizeof(out->windows));
}

const char *reach_size_name(unsigned size)
{
	static const char *const names[REACH_SIZES] = { "4k", "16k", "64k", "2m", "combined" };
	return names[size];
}

const char *reach_stream_name(unsigned stream) { return stream == REACH_I ? "i" : "d"; }

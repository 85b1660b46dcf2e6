/*
 * model/mmu/geom.c - table geometry and descriptor encoding per format.
 *
 * Arm: a level indexes `stride` = granule_shift - 3 bits; stage 1 uses as
 * many levels as the VA needs; stage 2 may resolve up to 4 extra bits at its
 * initial level by concatenating up to 16 tables, so it uses
 * ceil((IPA - 4 - granule_shift) / stride) levels (Linux stage2_pgtable.h,
 * ARM64_HW_PGTABLE_LEVELS(ipa - 4)), subject to the start levels VTCR_EL2.SL0
 * can encode (QEMU check_s2_mmu_setup; ARCH-FACTS §3.4). x86 paging and EPT:
 * 4 KB tables of 512 entries, 4 or 5 levels.
 */
#include "mmu.h"
#include "vmsa_hw.h"
#include "x86_hw.h"

#include <stdio.h>
#include <string.h>

static int is_arm(mmu_fmt f) { return f == MMU_FMT_ARM_S1 || f == MMU_FMT_ARM_S2; }

/* Block (non-page) leaf sizes the architecture allows, without FEAT_LPA/LPA2:
 * 4K granule: 1 GB (L1), 2 MB (L2); 16K: 32 MB (L2); 64K: 512 MB (L2)
 * (ARCH-FACTS §3.1). x86 paging and EPT: 2 MB and 1 GB. */
static int block_shift_ok(mmu_fmt fmt, unsigned gran, unsigned shift)
{
	if (!is_arm(fmt))
		return shift == 21 || shift == 30;
	switch (gran) {
	case 12: return shift == 21 || shift == 30;
	case 14: return shift == 25;
	case 16: return shift == 29;
	}
	return 0;
}

int mmu_geom_init(mmu_geom *g, mmu_fmt fmt, unsigned gran, unsigned in_bits, char *err,
		  size_t errlen)
{
	memset(g, 0, sizeof(*g));
	g->fmt = fmt;
	g->gran_shift = gran;
	g->stride = gran - 3;
	g->in_bits = in_bits;
	unsigned levels;
	if (!is_arm(fmt)) {
		if (gran != 12) {
			snprintf(err, errlen, "x86 paging and EPT use 4 KB tables only");
			return -1;
		}
		if (in_bits != 48 && in_bits != 57) {
			snprintf(err, errlen, "x86 %s input is 48 bits (4-level) or 57 bits "
				 "(5-level), not %u", fmt == MMU_FMT_EPT ? "EPT" : "paging", in_bits);
			return -1;
		}
		levels = in_bits == 48 ? 4 : 5;
	} else {
		if (gran != 12 && gran != 14 && gran != 16) {
			snprintf(err, errlen, "Arm granules are 4K, 16K or 64K");
			return -1;
		}
		if (in_bits < 25 || in_bits > 48) {
			snprintf(err, errlen, "%s size %u bits outside 25..48 (52-bit needs "
				 "FEAT_LPA/LPA2, not modelled)", fmt == MMU_FMT_ARM_S1 ? "VA" : "IPA",
				 in_bits);
			return -1;
		}
		unsigned extra = fmt == MMU_FMT_ARM_S2 ? VMSA_S2_MAX_CONCAT_BITS : 0;
		unsigned need = in_bits - extra > gran ? in_bits - extra - gran : 1;
		levels = (need + g->stride - 1) / g->stride;
		if (levels < 1)
			levels = 1;
		/* Stage-2 start levels SL0 cannot encode: 4K L3 needs FEAT_TTST;
		 * 16K L0 needs DS; 64K L0 does not exist (ARCH-FACTS §3.4 table).
		 * Stage 1 starts wherever the VA size puts it (16K, 48 bits: L0
		 * with 2 entries, ARCH-FACTS §3.1). */
		int start = 4 - (int)levels;
		if (fmt == MMU_FMT_ARM_S2 && gran == 12 && start == 3)
			levels++;
		start = 4 - (int)levels;
		if (start < 0 || (fmt == MMU_FMT_ARM_S2 && gran != 12 && start < 1)) {
			snprintf(err, errlen, "%u-bit %s with a %uK granule needs a start level "
				 "the architecture cannot encode without FEAT_LPA2", in_bits,
				 fmt == MMU_FMT_ARM_S1 ? "VA" : "IPA", 1u << (gran - 10));
			return -1;
		}
	}
	g->levels = levels;
	for (unsigned i = 0; i < levels; i++) {
		g->shift[i] = gran + g->stride * (levels - 1 - i);
		g->bits[i] = g->stride;
		g->arch_level[i] = is_arm(fmt) ? (int)(4 - levels + i) : (int)(levels - i);
		if (i == levels - 1 || block_shift_ok(fmt, gran, g->shift[i]))
			g->leaf_ok |= 1u << i;
		if (is_arm(fmt) && (g->leaf_ok & (1u << i)) && g->arch_level[i] >= 2)
			g->cont_bits[i] = g->arch_level[i] == 3
				? (gran == 12 ? VMSA_CONT_PTE_SHIFT_4K : gran == 14 ?
				   VMSA_CONT_PTE_SHIFT_16K : VMSA_CONT_PTE_SHIFT_64K)
				: (gran == 12 ? VMSA_CONT_PMD_SHIFT_4K : gran == 14 ?
				   VMSA_CONT_PMD_SHIFT_16K : VMSA_CONT_PMD_SHIFT_64K);
	}
	unsigned root_bits = in_bits - g->shift[0];
	if (root_bits < 1 || root_bits > g->stride + (fmt == MMU_FMT_ARM_S2 ? 4u : 0u)) {
		snprintf(err, errlen, "%u input bits leave %u index bits at the root", in_bits,
			 root_bits);
		return -1;
	}
	g->bits[0] = root_bits;
	g->root_tables = root_bits > g->stride ? 1u << (root_bits - g->stride) : 1;
	g->root_bytes = (UINT64_C(8) << root_bits) > (UINT64_C(1) << gran)
		      ? (UINT64_C(8) << root_bits) : (UINT64_C(1) << gran);
	if (fmt == MMU_FMT_ARM_S2) {
		int start = g->arch_level[0];
		g->vtcr_t0sz = 64 - in_bits;
		g->vtcr_tg0 = gran == 12 ? VTCR_TG0_4K : gran == 14 ? VTCR_TG0_16K : VTCR_TG0_64K;
		g->vtcr_sl0 = (unsigned)((gran == 12 ? VTCR_SL0_BASE_4K : VTCR_SL0_BASE_16K_64K) -
					 start);
	}
	return 0;
}

int mmu_geom_level_for_shift(const mmu_geom *g, unsigned shift)
{
	for (unsigned i = 0; i < g->levels; i++)
		if (g->shift[i] == shift && (g->leaf_ok & (1u << i)))
			return (int)i;
	return -1;
}

int mmu_geom_va_half(const mmu_geom *g, uint64_t va)
{
	unsigned from = g->fmt == MMU_FMT_X86 ? g->in_bits - 1 : g->in_bits;
	if (from >= 64)
		return 0;
	uint64_t top = va >> from;
	uint64_t ones = UINT64_MAX >> from;
	if (top == 0)
		return 0;
	if (top == ones && (g->fmt == MMU_FMT_X86 || g->fmt == MMU_FMT_ARM_S1))
		return 1;
	return -1;
}

/* ---------------------------------------------------------------- encode */

uint64_t mmu_desc_table(const mmu_geom *g, uint64_t next)
{
	switch (g->fmt) {
	case MMU_FMT_ARM_S1:
	case MMU_FMT_ARM_S2:
		return (next & VMSA_DESC_ADDR_MASK) | VMSA_DESC_TYPE_TABLE;
	case MMU_FMT_X86:
		/* Upper levels grant everything; the leaf decides. */
		return (next & X86_PTE_ADDR_MASK) | X86_PTE_P | X86_PTE_RW | X86_PTE_US;
	case MMU_FMT_EPT:
		return (next & EPT_ADDR_MASK) | EPT_R | EPT_W | EPT_X;
	}
	return 0;
}

uint64_t mmu_desc_leaf(const mmu_geom *g, unsigned level, uint64_t out, unsigned perm)
{
	int last = level == g->levels - 1;
	uint64_t d;
	switch (g->fmt) {
	case MMU_FMT_ARM_S1:
		d = (out & VMSA_DESC_ADDR_MASK) | (last ? VMSA_DESC_TYPE_TABLE : VMSA_DESC_TYPE_BLOCK) |
		    VMSA_S1_AF | VMSA_S1_AP_EL0 | field_prep64(VMSA_S1_SH_MASK, VMSA_SH_INNER) |
		    VMSA_S1_PXN;
		if (!(perm & MMU_P_G))
			d |= VMSA_S1_NG;
		if (!(perm & MMU_P_W))
			d |= VMSA_S1_AP_RDONLY;
		if (!(perm & MMU_P_X))
			d |= VMSA_S1_UXN;
		return d;
	case MMU_FMT_ARM_S2:
		d = (out & VMSA_DESC_ADDR_MASK) | (last ? VMSA_DESC_TYPE_TABLE : VMSA_DESC_TYPE_BLOCK) |
		    VMSA_S2_AF | field_prep64(VMSA_S2_MEMATTR_MASK, VMSA_S2_MEMATTR_NORMAL_WB) |
		    field_prep64(VMSA_S2_SH_MASK, VMSA_SH_INNER);
		if (perm & MMU_P_R)
			d |= VMSA_S2_AP_R;
		if (perm & MMU_P_W)
			d |= VMSA_S2_AP_W;
		if (!(perm & MMU_P_X))
			d |= field_prep64(VMSA_S2_XN_MASK, 2);
		return d;
	case MMU_FMT_X86:
		d = (out & X86_PTE_ADDR_MASK) | X86_PTE_P | X86_PTE_US;
		if (!last)
			d |= X86_PTE_PS;
		if (perm & MMU_P_W)
			d |= X86_PTE_RW;
		if (!(perm & MMU_P_X))
			d |= X86_PTE_XD;
		if (perm & MMU_P_G)
			d |= X86_PTE_G;
		return d;
	case MMU_FMT_EPT:
		d = (out & EPT_ADDR_MASK) | field_prep64(EPT_MT_MASK, EPT_MT_WB);
		if (!last)
			d |= EPT_LEAF;
		if (perm & MMU_P_R)
			d |= EPT_R;
		if (perm & MMU_P_W)
			d |= EPT_W;
		if (perm & MMU_P_X)
			d |= EPT_X;
		return d;
	}
	return 0;
}

/* ---------------------------------------------------------------- decode */

uint64_t mmu_desc_set_cont(const mmu_geom *g, unsigned level, uint64_t d)
{
	return is_arm(g->fmt) && g->cont_bits[level] ? d | VMSA_S1_CONT : d;
}

mmu_desc mmu_desc_decode(const mmu_geom *g, unsigned level, uint64_t d)
{
	mmu_desc r = { MMU_DESC_INVALID, 0, 0, 0 };
	int last = level == g->levels - 1;
	int leaf_ok = (g->leaf_ok >> level) & 1;
	uint64_t lowmask = (UINT64_C(1) << g->shift[level]) - 1;
	switch (g->fmt) {
	case MMU_FMT_ARM_S1:
	case MMU_FMT_ARM_S2: {
		/* D8.3: bit 0 valid; bit 1 table (L0-L2) / page (L3); a block
		 * where none is allowed, or type 01 at L3, is a translation fault. */
		if (!(d & VMSA_DESC_VALID))
			return r;
		uint64_t type = d & VMSA_DESC_TYPE_MASK;
		uint64_t gmask = (UINT64_C(1) << g->gran_shift) - 1;
		if (!last && type == VMSA_DESC_TYPE_TABLE) {
			r.kind = MMU_DESC_TABLE;
			r.addr = d & VMSA_DESC_ADDR_MASK & ~gmask;
			return r;
		}
		if (last ? type != VMSA_DESC_TYPE_TABLE : !leaf_ok)
			return r;
		r.addr = d & VMSA_DESC_ADDR_MASK & ~lowmask;
		if (!(d & VMSA_S1_AF)) {   /* AF is bit 10 at both stages */
			r.kind = MMU_DESC_NOACCESS;
			return r;
		}
		r.kind = MMU_DESC_LEAF;
		r.cont = (d & VMSA_S1_CONT) && g->cont_bits[level];
		if (g->fmt == MMU_FMT_ARM_S1) {
			r.perm = MMU_P_R | ((d & VMSA_S1_AP_RDONLY) ? 0 : MMU_P_W) |
				 ((d & VMSA_S1_UXN) ? 0 : MMU_P_X) | ((d & VMSA_S1_NG) ? 0 : MMU_P_G);
		} else {
			r.perm = ((d & VMSA_S2_AP_R) ? MMU_P_R : 0) | ((d & VMSA_S2_AP_W) ? MMU_P_W : 0) |
				 (field_get64(VMSA_S2_XN_MASK, d) ? 0 : MMU_P_X);
		}
		return r;
	}
	case MMU_FMT_X86:
		if (!(d & X86_PTE_P))
			return r;
		if (!last && !(d & X86_PTE_PS)) {
			r.kind = MMU_DESC_TABLE;
			r.addr = d & X86_PTE_ADDR_MASK;
			return r;
		}
		if (!last && !leaf_ok) {   /* PS in a PML4E/PML5E is reserved */
			r.kind = MMU_DESC_MISCONFIG;
			return r;
		}
		r.kind = MMU_DESC_LEAF;
		r.addr = d & X86_PTE_ADDR_MASK & ~lowmask;
		r.perm = MMU_P_R | ((d & X86_PTE_RW) ? MMU_P_W : 0) | ((d & X86_PTE_XD) ? 0 : MMU_P_X) |
			 ((d & X86_PTE_G) ? MMU_P_G : 0);
		return r;
	case MMU_FMT_EPT: {
		/* SDM-2016 §28.2.3.1: RWX = 000 not present; W without R is a
		 * misconfiguration; bit 7 in a PML4E/PML5E is a misconfiguration;
		 * leaf memory types 2, 3, 7 are reserved. */
		uint64_t rwx = d & EPT_RWX_MASK;
		if (rwx == 0)
			return r;
		if ((d & EPT_W) && !(d & EPT_R)) {
			r.kind = MMU_DESC_MISCONFIG;
			return r;
		}
		if (!last && !(d & EPT_LEAF)) {
			r.kind = MMU_DESC_TABLE;
			r.addr = d & EPT_ADDR_MASK;
			return r;
		}
		uint64_t mt = field_get64(EPT_MT_MASK, d);
		if ((!last && !leaf_ok) || mt == 2 || mt == 3 || mt == 7 ||
		    ((d & EPT_ADDR_MASK) & lowmask)) {
			r.kind = MMU_DESC_MISCONFIG;
			return r;
		}
		r.kind = MMU_DESC_LEAF;
		r.addr = d & EPT_ADDR_MASK;
		r.perm = ((d & EPT_R) ? MMU_P_R : 0) | ((d & EPT_W) ? MMU_P_W : 0) |
			 ((d & EPT_X) ? MMU_P_X : 0);
		return r;
	}
	}
	return r;
}

void mmu_desc_describe(const mmu_geom *g, unsigned level, uint64_t d, char *buf, size_t len)
{
	mmu_desc x = mmu_desc_decode(g, level, d);
	/* An Arm leaf with AF = 0 is a page or block all the same (hardware
	 * sets AF with TCR_ELx.HA; else the access takes an Access flag fault). */
	int leaf = x.kind == MMU_DESC_LEAF || x.kind == MMU_DESC_NOACCESS;
	const char *k = x.kind == MMU_DESC_TABLE ? "table" : leaf
			? (level == g->levels - 1 ? "page" : "block")
			: x.kind == MMU_DESC_INVALID ? "invalid" : "misconfig";
	int n = snprintf(buf, len, "%s", k);
	if (x.kind == MMU_DESC_TABLE || leaf)
		n += snprintf(buf + n, len - (size_t)n, " addr=0x%llx", (unsigned long long)x.addr);
	switch (g->fmt) {
	case MMU_FMT_ARM_S1:
		if (leaf)
			snprintf(buf + n, len - (size_t)n, " AF=%d AP[2:1]=%llu nG=%d UXN=%d DBM=%d Cont=%d",
				 !!(d & VMSA_S1_AF), (unsigned long long)((d >> 6) & 3), !!(d & VMSA_S1_NG),
				 !!(d & VMSA_S1_UXN), !!(d & VMSA_S1_DBM), !!(d & VMSA_S1_CONT));
		break;
	case MMU_FMT_ARM_S2:
		if (leaf)
			snprintf(buf + n, len - (size_t)n, " AF=%d S2AP=%c%c MemAttr=0x%llx XN=%llu DBM=%d Cont=%d",
				 !!(d & VMSA_S2_AF), (d & VMSA_S2_AP_R) ? 'R' : '-',
				 (d & VMSA_S2_AP_W) ? 'W' : '-',
				 (unsigned long long)field_get64(VMSA_S2_MEMATTR_MASK, d),
				 (unsigned long long)field_get64(VMSA_S2_XN_MASK, d),
				 !!(d & VMSA_S2_DBM), !!(d & VMSA_S2_CONT));
		break;
	case MMU_FMT_X86:
		snprintf(buf + n, len - (size_t)n, " P=%d RW=%d US=%d A=%d D=%d PS=%d XD=%d",
			 !!(d & X86_PTE_P), !!(d & X86_PTE_RW), !!(d & X86_PTE_US), !!(d & X86_PTE_A),
			 !!(d & X86_PTE_D), !!(d & X86_PTE_PS), !!(d & X86_PTE_XD));
		break;
	case MMU_FMT_EPT:
		snprintf(buf + n, len - (size_t)n, " R=%d W=%d X=%d MT=%llu leaf(7)=%d A=%d D=%d",
			 !!(d & EPT_R), !!(d & EPT_W), !!(d & EPT_X),
			 (unsigned long long)field_get64(EPT_MT_MASK, d), !!(d & EPT_LEAF),
			 !!(d & EPT_A), !!(d & EPT_D));
		break;
	}
}

/* The value of field KEY ("A") in a mmu_desc_describe text, or NULL. */
static const char *field_of(const char *text, const char *key, size_t *vlen)
{
	size_t klen = strlen(key);
	for (const char *p = text; *p;) {
		const char *end = strchr(p, ' ');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n > klen && p[klen] == '=' && strncmp(p, key, klen) == 0) {
			*vlen = n - klen - 1;
			return p + klen + 1;
		}
		p += n + (end != NULL);
	}
	return NULL;
}

void mmu_desc_describe_change(const mmu_geom *g, unsigned level, uint64_t prev, uint64_t d,
			      char *buf, size_t len)
{
	char a[200], b[200];
	mmu_desc_describe(g, level, prev, a, sizeof(a));
	mmu_desc_describe(g, level, d, b, sizeof(b));
	size_t n = 0;
	buf[0] = '\0';
	/* Every KEY=VALUE of the new text whose value was different. */
	for (const char *p = b; *p && n < len;) {
		const char *end = strchr(p, ' ');
		size_t tl = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', tl);
		if (eq && strncmp(p, "addr=", 5) != 0) {
			char key[32];
			size_t kl = (size_t)(eq - p), ol = 0;
			if (kl < sizeof(key)) {
				memcpy(key, p, kl);
				key[kl] = '\0';
				const char *old = field_of(a, key, &ol);
				size_t nl = tl - kl - 1;
				/* "A 0->1", "S2AP R- -> RW" */
				const char *arrow = memchr(eq + 1, '-', nl) || (old && memchr(old, '-', ol))
						    ? " -> " : "->";
				if (!old || ol != nl || strncmp(old, eq + 1, nl) != 0)
					n += (size_t)snprintf(buf + n, len - n, "%s%s %.*s%s%.*s",
							      n ? ", " : "", key, (int)(old ? ol : 1),
							      old ? old : "?", arrow, (int)nl, eq + 1);
			}
		}
		p += tl + (end != NULL);
	}
	if (n < len && mmu_desc_dbm(g, d) && !mmu_desc_dirty(g, prev) && mmu_desc_dirty(g, d))
		snprintf(buf + n, len - n, "%swritable-clean -> writable-dirty", n ? ", " : "");
}

/* ---------------------------------------------------------------- dirty state */

uint64_t mmu_desc_hw_update(const mmu_geom *g, unsigned level, uint64_t d, int write)
{
	mmu_desc x = mmu_desc_decode(g, level, d);
	int leaf = x.kind == MMU_DESC_LEAF || x.kind == MMU_DESC_NOACCESS;
	if (!leaf && x.kind != MMU_DESC_TABLE)
		return d;
	switch (g->fmt) {
	case MMU_FMT_EPT:
		d |= EPT_A;
		if (leaf && write)
			d |= EPT_D;
		return d;
	case MMU_FMT_X86:
		d |= X86_PTE_A;
		if (leaf && write)
			d |= X86_PTE_D;
		return d;
	case MMU_FMT_ARM_S1:
		if (!leaf)
			return d;
		d |= VMSA_S1_AF;
		if (write && (d & VMSA_S1_DBM))
			d &= ~VMSA_S1_AP_RDONLY;   /* writable-clean -> writable-dirty */
		return d;
	case MMU_FMT_ARM_S2:
		if (!leaf)
			return d;
		d |= VMSA_S2_AF;
		if (write && (d & VMSA_S2_DBM))
			d |= VMSA_S2_AP_W;         /* writable-clean -> writable-dirty */
		return d;
	}
	return d;
}

uint64_t mmu_desc_s1_update(const mmu_geom *g, mmu_desc_kind kind, uint64_t d, int write,
			    unsigned hw, unsigned *changed)
{
	int leaf = kind == MMU_DESC_LEAF || kind == MMU_DESC_NOACCESS;
	uint64_t nd = d;
	if (changed)
		*changed = 0;
	if (!leaf && kind != MMU_DESC_TABLE)
		return d;
	switch (g->fmt) {
	case MMU_FMT_X86:
		/* SDM Vol. 3A §4.8: A in each entry used, D in the entry that
		 * maps the page on a write. */
		if (hw & MMU_S1_HW_ACCESS)
			nd |= X86_PTE_A;
		if (leaf && write && (hw & MMU_S1_HW_DIRTY))
			nd |= X86_PTE_D;
		if (changed)
			*changed = (!(d & X86_PTE_A) && (nd & X86_PTE_A) ? MMU_S1_HW_ACCESS : 0u) |
				   (!(d & X86_PTE_D) && (nd & X86_PTE_D) ? MMU_S1_HW_DIRTY : 0u);
		return nd;
	case MMU_FMT_ARM_S1:
		/* D8.5.1.2: AF of Block and Page descriptors; D8.5.2.1: a write
		 * through a writable-clean descriptor makes it writable-dirty. */
		if (!leaf || !(hw & MMU_S1_HW_ACCESS))
			return d;
		nd |= VMSA_S1_AF;
		if (write && (hw & MMU_S1_HW_DIRTY) && (nd & VMSA_S1_DBM))
			nd &= ~VMSA_S1_AP_RDONLY;
		if (changed)
			*changed = (!(d & VMSA_S1_AF) ? MMU_S1_HW_ACCESS : 0u) |
				   ((d & VMSA_S1_AP_RDONLY) && !(nd & VMSA_S1_AP_RDONLY) ? MMU_S1_HW_DIRTY
				    : 0u);
		return nd;
	default:
		return d;
	}
}

uint64_t mmu_desc_s1_initial(const mmu_geom *g, unsigned level, uint64_t d, unsigned hw)
{
	mmu_desc x = mmu_desc_decode(g, level, d);
	switch (g->fmt) {
	case MMU_FMT_X86:
		if (x.kind != MMU_DESC_TABLE && x.kind != MMU_DESC_LEAF)
			return d;
		if (!(hw & MMU_S1_HW_ACCESS))
			d |= X86_PTE_A;
		if (x.kind == MMU_DESC_LEAF && !(hw & MMU_S1_HW_DIRTY) && (d & X86_PTE_RW))
			d |= X86_PTE_D;
		return d;
	case MMU_FMT_ARM_S1:
		if (x.kind != MMU_DESC_LEAF || !(hw & MMU_S1_HW_ACCESS))
			return d;
		d &= ~VMSA_S1_AF;
		if ((hw & MMU_S1_HW_DIRTY) && !(d & VMSA_S1_AP_RDONLY))
			d |= VMSA_S1_DBM | VMSA_S1_AP_RDONLY;   /* writable-clean */
		return d;
	default:
		return d;
	}
}

int mmu_desc_dirty(const mmu_geom *g, uint64_t d)
{
	switch (g->fmt) {
	case MMU_FMT_EPT:    return (d & EPT_D) != 0;
	case MMU_FMT_X86:    return (d & X86_PTE_D) != 0;
	case MMU_FMT_ARM_S1: return (d & VMSA_S1_DBM) && !(d & VMSA_S1_AP_RDONLY);
	case MMU_FMT_ARM_S2: return (d & VMSA_S2_DBM) && (d & VMSA_S2_AP_W);
	}
	return 0;
}

int mmu_desc_dbm(const mmu_geom *g, uint64_t d)
{
	return (g->fmt == MMU_FMT_ARM_S1 || g->fmt == MMU_FMT_ARM_S2) && (d & VMSA_S2_DBM);
}

uint64_t mmu_desc_clean(const mmu_geom *g, uint64_t d)
{
	switch (g->fmt) {
	case MMU_FMT_EPT:    return d & ~EPT_D;
	case MMU_FMT_X86:    return d & ~X86_PTE_D;
	case MMU_FMT_ARM_S1: return (d & VMSA_S1_DBM) ? d | VMSA_S1_AP_RDONLY : d;
	case MMU_FMT_ARM_S2: return (d & VMSA_S2_DBM) ? d & ~VMSA_S2_AP_W : d;
	}
	return d;
}

uint64_t mmu_desc_set_write(const mmu_geom *g, uint64_t d, int w)
{
	switch (g->fmt) {
	case MMU_FMT_EPT:    return w ? d | EPT_W : d & ~EPT_W;
	case MMU_FMT_X86:    return w ? d | X86_PTE_RW : d & ~X86_PTE_RW;
	case MMU_FMT_ARM_S1: return w ? d & ~VMSA_S1_AP_RDONLY : d | VMSA_S1_AP_RDONLY;
	case MMU_FMT_ARM_S2: return w ? d | VMSA_S2_AP_W : d & ~VMSA_S2_AP_W;
	}
	return d;
}

uint64_t mmu_desc_set_dbm(const mmu_geom *g, uint64_t d, int dbm)
{
	if (g->fmt != MMU_FMT_ARM_S1 && g->fmt != MMU_FMT_ARM_S2)
		return d;
	return dbm ? d | VMSA_S2_DBM : d & ~VMSA_S2_DBM;
}

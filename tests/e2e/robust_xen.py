# Robust-tier cases for issue 24 (Xen as Xen does it), run by run_robust.py
# in its namespace (run, path, write, one_line, eq, Fail, ...).
#
# migrate.policy through the command line, worked out by hand from Xen's
# constants: legacy = tools/libxc/xc_domain_save.c (DEF_MAX_ITERS 29,
# DEF_MAX_FACTOR 3, "sent_this_iter+skip_this_iter < 50", a batch skips the
# pages SHADOW_OP_PEEK finds dirtied again), v2 = xc_sr_save.c
# (max_iterations 5, dirty_threshold 50, dirty_count starting at p2m_size).
# The guest writes one page A in every record (1000 instructions: 1 us on
# the quiet machine below), replayed over and over; the link sends a page
# per us, one page a batch. Its N populated pages are its stage-1 tables
# and A, A last; N is what v2's send_all_pages sends (p2m_size), the one
# figure taken from a run, every other derived from it.

from run_migrate import QUIET  # noqa: E402 (run_migrate's quiet machine)

XEN_QUIET = QUIET + ["core.cpi=1", "migrate.loop=1", "dirtylog.mode=wp", "guest.hw_accessed=0",
                     "guest.hw_dirty=0", "migrate.map_batch=1"]


def xen_migrate(*kv):
    t = write("xen-one-page.txt", "0 W 10000000 8 0 1000\n")
    out = path("xen-m.json")
    args = []
    for s in XEN_QUIET + list(kv):
        args += ["--set", s]
    run("migrate", "--quiet", "--json", out, *(args + [t]), expect_rc=0)
    with open(out) as f:
        return json.load(f)


def xen_passes(d):
    return [(r["pages_sent"], r["pages_skipped"], r["stop_and_copy"])
            for r in d["migrate"]["rounds"]]


@case
def xen_policy_bad_value_is_refused_by_name():
    t = write("xen-one-page.txt", "0 W 10000000 8 0 1000\n")
    for kv in ("migrate.policy=xl", "migrate.max_factor=-1", "migrate.max_rounds=-1"):
        rc, out, err = run("migrate", "--set", kv, t)
        if rc == 0:
            raise Fail("%s accepted" % kv)
        one_line(err, re.escape(kv.split("=")[0]), kv)


@case
def xen_precopy_policies_by_hand():
    v2 = xen_migrate("migrate.policy=v2", "migrate.stop_pages=0")
    n = v2["migrate"]["rounds"][0]["pages_sent"]
    if n < 2:
        raise Fail("v2 pass 1 sent %d pages: the guest has tables and A" % n)
    # v2, threshold 0: send_all_pages (N), passes x = 1..4 (A each), then the last (A).
    eq(xen_passes(v2), [(n, 0, False)] + [(1, 0, False)] * 4 + [(1, 0, True)], "v2 passes")
    # v2's own threshold 50: dirty_count = p2m_size = N <= 50, no live iteration more.
    eq(xen_passes(xen_migrate("migrate.policy=v2")), [(n, 0, False), (1, 0, True)],
       "v2 under its threshold")
    # legacy, stop_pages=1: pass 1 sends the N-1 tables and skips A (dirtied in
    # the first us); each later pass sends A; the first pass k whose total
    # (N-1) + (k-1) exceeds 3 N is the last live one: k = 2 N + 3; then A.
    d = xen_migrate("migrate.policy=legacy", "migrate.stop_pages=1")
    k = 2 * n + 3
    eq(xen_passes(d), [(n - 1, 1, False)] + [(1, 0, False)] * (k - 1) + [(1, 0, True)],
       "legacy passes")
    st = d["stats"]
    eq((st["migrate.rounds"], st["migrate.pages_sent"], st["migrate.pages_skipped"],
        st["migrate.lost_pages"]), (k, 3 * n + 2, 1, 0), "legacy totals")
    eq(d["migrate"]["stop"], "more than migrate.max_factor times the guest's pages were sent",
       "legacy stop")
    # legacy without the factor: DEF_MAX_ITERS 29 live passes and the last, 30 in all.
    d = xen_migrate("migrate.policy=legacy", "migrate.stop_pages=1", "migrate.max_factor=0")
    eq(len(d["migrate"]["rounds"]), 30, "legacy passes in all")
    eq(d["stats"]["migrate.pages_sent"], (n - 1) + 28 + 1, "legacy pages without the factor")
    # legacy's own 50: pass 1 sent N-1 and skipped 1, N < 50: the next is the last.
    eq(xen_passes(xen_migrate("migrate.policy=legacy")), [(n - 1, 1, False), (1, 0, True)],
       "legacy under 50")


@case
def xen_blkif_ring_holds_32_requests():
    # io/ring.h __CONST_RING_SIZE: (4096 - 64) / 112-byte blkif requests = 36,
    # rounded down to 32; netif's 12-byte slots: 336 -> 256.
    t = write("xen-ring.txt", "0 R 7f0000001000 8 1 20000\n")
    for r in (64, 256):
        rc, out, err = run("run", "--set", "io.mode=blk", "--set", "io.ring=%d" % r, t)
        if rc == 0:
            raise Fail("io.ring=%d accepted for a blkif ring" % r)
        one_line(err, r"io\.ring=%d.*32 requests" % r, "io.ring=%d" % r)
    run("run", "--quiet", "--set", "io.mode=blk", "--set", "io.ring=32", t, expect_rc=0)
    run("run", "--quiet", "--set", "io.mode=net", "--set", "io.ring=256", t, expect_rc=0)


def xen_true_pages(t, *kv):
    out = path("xen-range.json")
    args = []
    for s in ["virt=nested", "dirtylog.mode=wp", "guest.hw_accessed=0", "guest.hw_dirty=0",
              "host.page=base", "guest.page=base"] + list(kv):
        args += ["--set", s]
    run("run", "--quiet", "--json", out, *(args + [t]), expect_rc=0)
    with open(out) as f:
        return json.load(f)["stats"]["dirtylog.true_pages"]


@case
def xen_dirtylog_range_base_moves_the_window():
    # Eight pages written, one record each: every one is a 4 KB page of
    # guest RAM at or above its bottom (tables first, then the data). A
    # window [base, base + range) holds those of them in it: [0, 32K) and
    # [32K, top) split the eight between them, [1G, top) holds none.
    t = write("xen-range.txt", "".join("0 W %x 8 1 1000\n" % (0x10000000 + 4096 * i)
                                       for i in range(8)))
    every = xen_true_pages(t)
    eq(every, 8, "all of RAM")
    low = xen_true_pages(t, "dirtylog.range=32K")
    high = xen_true_pages(t, "dirtylog.range_base=32K")
    eq(low + high, every, "[0, 32K) and [32K, top) split the pages")
    if low == 0 or high == 0:
        raise Fail("the split at 32K should leave pages on both sides: %d / %d" % (low, high))
    eq(xen_true_pages(t, "dirtylog.range_base=1G"), 0, "a window above the footprint")
    rc, out, err = run("run", "--set", "virt=nested", "--set", "dirtylog.mode=wp",
                       "--set", "dirtylog.range_base=6K", t)
    if rc == 0:
        raise Fail("dirtylog.range_base=6K accepted")
    one_line(err, r"dirtylog\.range_base=6144.*4 KB", "range_base=6K")
    rc, out, err = run("migrate", "--set", "dirtylog.range_base=4K", t)
    if rc == 0:
        raise Fail("migrate accepted dirtylog.range_base")
    one_line(err, r"dirtylog\.range_base", "migrate range_base")


def xen_io_stats(t, *kv):
    out = path("xen-io.json")
    args = []
    for s in kv:
        args += ["--set", s]
    run("run", "--quiet", "--json", out, *(args + [t]), expect_rc=0)
    with open(out) as f:
        return json.load(f)["stats"]


@case
def xen_blkif_indirect_requests_through_the_command_line():
    # blkif, worked out from xen/include/public/io/blkif.h and Linux's
    # drivers: BLKIF_MAX_SEGMENTS_PER_REQUEST 11, 512 segment entries a 4 KB
    # indirect page, blkfront's max_indirect_segments 32 and blkback's
    # MAX_INDIRECT_SEGMENTS 256 (negotiated: 32). Ten front-end records of
    # 1000 instructions and io.period=1000: R = 10 requests of one 64 KB
    # buffer of an arm64 guest with 64 KB pages, 16 grants each.
    #  - defaults: each request one BLKIF_OP_INDIRECT with one indirect page:
    #    17 grants; hypercalls: the table's 2, the ring's map, per request the
    #    indirect page's map and unmap, the data's maps 11 a call (2) and its
    #    unmap: 2 + 1 + 5 R; unmaps (one flush each) 17 R.
    #  - a back end without indirect descriptors: blkfront's extra request,
    #    11 + 5: 2 R ring requests, R split, 16 grants, 2 + 1 + 4 R.
    #  - qdisk (io.grant_mode=copy) offers none whatever the key: the same
    #    split, one GNTTABOP_copy a ring request: 2 + 1 + 2 R.
    #  - a front end allowing 12 segments is refused: a page's 16 grants
    #    would not fit, both keys named.
    r = 10
    t = write("xen-io.txt", "0 R 400000 8 0 1000\n" * r)
    base = ["arch=arm64", "guest.granule=64k", "io.mode=blk", "io.period=1000"]
    st = xen_io_stats(t, *base)
    eq((st["io.requests"], st["io.ring_requests"], st["io.indirect_requests"],
        st["io.indirect_grants"], st["io.grants"], st["grant.hypercalls"], st["grant.unmaps"],
        st["grant.tlb_flushes"]), (r, r, r, r, 17 * r, 2 + 1 + 5 * r, 17 * r, 17 * r),
       "indirect requests")
    st = xen_io_stats(t, *(base + ["io.blk.feature_max_indirect_segments=0"]))
    eq((st["io.ring_requests"], st["io.split_requests"], st["io.indirect_requests"],
        st["io.grants"], st["grant.hypercalls"]), (2 * r, r, 0, 16 * r, 2 + 1 + 4 * r),
       "no indirect descriptors: 11 + 5")
    st = xen_io_stats(t, *(base + ["io.grant_mode=copy"]))
    eq((st["io.ring_requests"], st["io.split_requests"], st["grant.hypercalls"],
        st["grant.copies"]), (2 * r, r, 2 + 1 + 2 * r, 16 * r), "qdisk: no indirect, copies")
    args = []
    for s in base + ["io.blk.max_indirect_segments=12"]:
        args += ["--set", s]
    _, _, err = run("run", *(args + [t]), expect_rc=2)
    one_line(err, r"io\.blk\.max_indirect_segments and io\.blk\.feature_max_indirect_segments:"
             r" the smaller, 12, is under the 16 grants", "a maximum under a page's grants")

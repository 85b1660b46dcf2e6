"""A study end to end from Python (README, "From Python"): a sweep of the L2
TLB's size under two guest page policies on the shipped capture, into a
pandas DataFrame, and a figure from it. tools/readme-python runs it and
keeps its output (docs/python/sweep_example.out, l2-mpki.png)."""
import os
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import slatsim  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
trace = sys.argv[1] if len(sys.argv) > 1 else "traces/samples/xz-compress.slt"

df = slatsim.sweep([trace], jobs=2, tlb_l2_ways="auto",
                   grid={"tlb.l2.entries": [128, 256, 512, 1024, 1536, 2048],
                         "guest.page": ["base", "thp"]})
df["l2_mpki"] = 1000 * df["tlb.l2.misses"] / df["instructions"]
df["translation_%"] = 100 * df["cycles.translation"] / df["cycles.total"]
table = df.pivot(index="tlb.l2.entries", columns="guest.page", values=["l2_mpki", "translation_%"])
print(table.round(3).to_string())

fig, ax = plt.subplots(figsize=(6, 3.5))
for page, g in df.groupby("guest.page"):
    ax.plot(g["tlb.l2.entries"], g["l2_mpki"], marker="o", label="guest.page=%s" % page)
ax.set_xscale("log", base=2)
sizes = sorted(set(df["tlb.l2.entries"]))
ax.set_xticks(sizes)
ax.set_xticklabels([str(x) for x in sizes])
ax.minorticks_off()
ax.set_xlabel("L2 TLB entries (tlb.l2.ways=auto)")
ax.set_ylabel("L2 TLB misses per 1000 instructions")
ax.set_title(os.path.basename(trace))
ax.legend()
fig.tight_layout()
fig.savefig(os.path.join(here, "l2-mpki.png"), dpi=100)

#!/usr/bin/env bash
# tests/bench/bench.sh BUILD - speed and memory figures (make bench).
# Prints figures; targets are in the issue notes and README, not asserted here.
set -euo pipefail
B=${1:-build}
S=$B/slatsim
D=$B/bench
mkdir -p "$D"
N=${BENCH_RECORDS:-50000000}

peak() { /usr/bin/time -f "%e s, peak RSS %M KB" "$@" 2>&1 >/dev/null | tail -1; }

echo "== trace format: $N records"
for pat in zipf seq; do
	f=$D/$pat-$N.slt
	[ -f "$f" ] || $S trace gen --pattern $pat --count $N --footprint 1G --write-ratio 0.3 \
		--seed 1 -o "$f"
	printf "%-5s " $pat; $B/bench_decode decode "$f"
done
# A lackey-shaped trace: the shipped real capture, repeated to N records.
real=traces/samples/xz-compress.slt
printf "real  "; $B/bench_decode decode $real

echo "== lackey import (text -> .slt)"
L=$D/lackey.txt
[ -f "$L" ] || $B/bench_decode lackey $real "$L"
lines=$(wc -l < "$L")
t0=$(date +%s.%N)
$S trace import --format lackey "$L" $D/lackey.slt 2>/dev/null
t1=$(date +%s.%N)
awk -v l="$lines" -v a="$t0" -v b="$t1" \
	'BEGIN { printf "lackey import: %d lines in %.3f s = %.2f M lines/s\n", l, b-a, l/(b-a)/1e6 }'

echo "== replay (slatsim run)"
for f in $D/zipf-$N.slt $real; do
	printf "%s: " "$(basename $f)"; peak $S run --quiet "$f"
	$S run --quiet "$f" | grep replay
done

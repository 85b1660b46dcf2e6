#!/usr/bin/env bash
# tests/chase_smoke.sh BUILD - tools/chase.c built with ASan+UBSan (BUILD/chase)
# on a few tiny points: the table's shape, the JSON, the trace it writes read
# back by BUILD/slatsim record for record, and bad options refused with
# status 2. Timings are not checked (they are the host's).
set -euo pipefail
B=$1
C=$B/chase
S=$B/slatsim
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail() { echo "chase smoke: $*" >&2; exit 1; }

$C --pages 8,64 --reps 3 --accesses 4096 > "$t/out.tsv"
grep -q '^# chase: cpu ' "$t/out.tsv" || fail "no header comment"
grep -qE '^# loadavg before: [0-9.]+ [0-9.]+ [0-9.]+$' "$t/out.tsv" || fail "no load average before"
grep -qE '^# loadavg after: [0-9.]+ [0-9.]+ [0-9.]+$' "$t/out.tsv" || fail "no load average after"
# the measuring machine's caches, one line each sysfs gives (none without sysfs)
if [ -r /sys/devices/system/cpu/cpu0/cache/index0/number_of_sets ]; then
	grep -qE '^# cache: level [0-9]+ (Data|Instruction|Unified) sets [0-9]+ ways [0-9]+ line [0-9]+ \(sysfs /sys/devices/system/cpu/cpu[0-9]+/cache/index[0-9]+\)$' "$t/out.tsv" ||
		fail "no '# cache:' line"
fi
rows=$(grep -cE '^(4k|2m|packed|s8|s512)	(8|64)	4096	[0-9.]+	[0-9.]+	[0-9.]+	-?[0-9]+$' "$t/out.tsv")
[ "$rows" = 10 ] || fail "want 10 rows (5 modes x 2 sizes), got $rows"
# --lines: the packed control's own points (past 65536), the page modes' --pages
$C --modes packed,4k --pages 8 --lines 16,70000 --reps 1 --accesses 100 > "$t/lines.tsv"
[ "$(grep -cE '^packed	(16|70000)	' "$t/lines.tsv")" = 2 ] || fail "--lines: packed rows"
[ "$(grep -cE '^4k	8	' "$t/lines.tsv")" = 1 ] || fail "--lines: the 4k row"
grep -qE '^packed	70000	560000	' "$t/lines.tsv" || fail "--lines: 8 N loads a run"

$C --modes packed,4k --pages 16 --reps 1 --accesses 100 --json > "$t/out.json"
python3 - "$t/out.json" <<'P' || fail "bad JSON"
import json, sys
d = json.load(open(sys.argv[1]))
assert [(p["mode"], p["pages"]) for p in d["points"]] == [("4k", 16), ("packed", 16)], d
assert all(p["accesses"] == 128 and p["ns_median"] > 0 for p in d["points"]), d
P

# the trace: 3 laps of one cycle over 64 distinct pages, one line each
$C --trace "$t/t.txt" --modes 4k --pages 64 --laps 3
[ "$(grep -vc '^#' "$t/t.txt")" = 192 ] || fail "want 192 records"
[ "$(grep -v '^#' "$t/t.txt" | sort -u | wc -l)" = 64 ] || fail "want 64 distinct addresses"
[ "$(grep -v '^#' "$t/t.txt" | head -64)" = "$(grep -v '^#' "$t/t.txt" | tail -64)" ] ||
	fail "laps differ"
grep -v '^#' "$t/t.txt" | awk '{ print $3 }' |
	python3 -c "import sys; assert all(a % 4096 == (a // 4096 % 64) * 64 for a in (int(x, 16) for x in sys.stdin))" ||
	fail "a load is not in line (page mod 64) of its page"
$S run --quiet --json "$t/r.json" "$t/t.txt" > /dev/null
python3 -c "import json,sys; s=json.load(open(sys.argv[1]))['stats']; assert s['records'] == 192 and s['reads'] == 192, s" "$t/r.json" || fail "slatsim did not read 192 loads"
$C --trace - --modes packed --pages 8 --laps 1 | grep -v '^#' | awk '{ print $3 }' |
	python3 -c "import sys; a=sorted(int(x,16) for x in sys.stdin); assert [x-a[0] for x in a] == [64*i for i in range(8)], a" ||
	fail "packed lines are not consecutive"
# the walk-heavy patterns: page e at e x S pages, line e mod 64 of it
for s in 8 512; do
	$C --trace - --modes s$s --pages 100 --laps 1 | grep -v '^#' | awk '{ print $3 }' |
		python3 -c "import sys; S=$s; a=sorted(int(x,16) for x in sys.stdin); b=a[0]; assert [x-b for x in a] == [e*S*4096 + e%64*64 for e in range(100)], a[:4]" ||
		fail "s$s: a load is not at page e x $s, line e mod 64"
done
# --records: the first R records of the laps; packed past 65536 by --lines
[ "$($C --trace - --modes packed --lines 100000 --laps 2 --records 150000 | grep -vc '^#')" = 150000 ] ||
	fail "--records"

# --frames: per curve a summary line, then runs of frames that cover its
# pages (packed: its lines' pages), or why they are unknown (not root)
$C --modes 4k,packed,s512 --pages 8,100 --lines 8,1000 --reps 1 --accesses 100 --frames > "$t/f.tsv"
python3 - "$t/f.tsv" <<'P' || fail "--frames: bad frames lines"
import re, sys
want = {"4k": 100, "packed": 16, "s512": 100}   # packed: 1000 lines of 64 bytes in 16 pages
seen = {}
for l in open(sys.argv[1]):
    m = re.match(r"# frames (\S+): (\d+) pages, page k at k x (\d+) x 4 KB ", l)
    if m:
        seen[m[1]] = [int(m[2]), 0]
        assert int(m[2]) == want[m[1]] and int(m[3]) == (512 if m[1] == "s512" else 1), l
        continue
    m = re.match(r"# frames (\S+): unknown: \S", l)
    if m:
        seen[m[1]] = None
        continue
    m = re.match(r"# frames (\S+) @(\d+):((?: [0-9a-f]+(?:\+\d+)?)+)$", l)
    if m:
        s = seen[m[1]]
        assert int(m[2]) == s[1], l
        s[1] += sum(int(r.split("+")[1]) if "+" in r else 1 for r in m[3].split())
assert set(seen) == set(want), seen
assert all(s is None or s[0] == s[1] for s in seen.values()), seen
P
grep -q '^# frames' "$t/out.tsv" && fail "frames without --frames"

for bad in "--modes 4m" "--pages 1" "--pages 65537" "--lines 8388609" "--reps 0" \
	   "--trace x --pages 8,16 --modes 4k" "--trace x --pages 8" "--trace x --modes 4k --lines 8" \
	   "--records 5" "--clock x" "stray" "--frames --json" "--trace x --modes 4k --pages 8 --frames"; do
	set +e; $C $bad > /dev/null 2> "$t/err"; rc=$?; set -e
	[ $rc = 2 ] && [ -s "$t/err" ] || fail "'$bad' gave status $rc"
done
echo "chase smoke: ok"

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
rows=$(grep -cE '^(4k|2m|packed)	(8|64)	4096	[0-9.]+	[0-9.]+	[0-9.]+	-?[0-9]+$' "$t/out.tsv")
[ "$rows" = 6 ] || fail "want 6 rows (3 modes x 2 sizes), got $rows"

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

for bad in "--modes 4m" "--pages 1" "--pages 65537" "--reps 0" "--trace x --pages 8,16 --modes 4k" \
	   "--trace x --pages 8" "--clock x" "stray"; do
	set +e; $C $bad > /dev/null 2> "$t/err"; rc=$?; set -e
	[ $rc = 2 ] && [ -s "$t/err" ] || fail "'$bad' gave status $rc"
done
echo "chase smoke: ok"

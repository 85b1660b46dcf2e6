#!/bin/sh
# tests/lsan_retry.sh CMD [ARG...] - run an ASan test once more when, and
# only when, LeakSanitizer's own tracer crashed: its stop-the-world thread
# ("Tracer caught signal 11 ... LeakSanitizer has encountered a fatal
# error") died reading a thread of a SystemC process, twice in CI under
# load (sessions 8, 9), each time passing alone. A leak report ("detected
# memory leaks") or any other failure is the test's and fails at once.
err=$(mktemp) || exit 1
trap 'rm -f "$err"' EXIT
"$@" 2> "$err"
rc=$?
cat "$err" >&2
if [ $rc -ne 0 ] && grep -q 'LeakSanitizer has encountered a fatal error' "$err" &&
	grep -q '^Tracer caught signal' "$err" && ! grep -q 'detected memory leaks' "$err"; then
	echo "lsan_retry: LeakSanitizer's tracer crashed (not a leak): running $1 once more" >&2
	"$@"
	exit $?
fi
exit $rc

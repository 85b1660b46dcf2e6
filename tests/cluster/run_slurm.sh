#!/bin/sh
# tests/cluster/run_slurm.sh SLATSIM - make check-cluster: the Slurm path
# of `slatsim sweep` for real. Starts a single-node Slurm (Debian 12's
# slurm-wlm: slurmctld + slurmd, auth/none, on free ports, state in a
# temporary directory, MaxArraySize=3), runs a sweep's grouped array
# tasks through sbatch - the default grouping, and --per-task 3 over more
# tasks than an array may hold (split, submitted by submit.sh) with
# --sbatch options - and checks that --collect gives every point file and
# the table of a local sweep, byte for byte. Tears down the daemons it
# started (by their pid files) and the directory, whatever happens. Not
# part of make check.
set -eu
S=$(realpath "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/slatsim-slurm-XXXXXX)
stop() {
	for d in slurmd slurmctld; do
		[ -f "$T/$d.pid" ] && kill "$(cat "$T/$d.pid")" 2>/dev/null || true
	done
	sleep 1
	rm -rf "$T"
}
trap stop EXIT INT TERM
fail() { echo "check-cluster: FAIL: $*" >&2; [ -f "$T/slurmd.log" ] && tail -20 "$T/slurmd.log" >&2; exit 1; }

H=$(hostname -s)
ports=$(python3 -c 'import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')
set -- $ports
mkdir -p "$T/state" "$T/spool"
cat > "$T/slurm.conf" <<CONF
ClusterName=slatsim-check
SlurmctldHost=$H
AuthType=auth/none
CredType=cred/none
SlurmUser=$(id -un)
SlurmctldPort=$1
SlurmdPort=$2
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
SwitchType=switch/none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
ReturnToService=2
NodeName=$H CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=check Nodes=ALL Default=YES MaxTime=INFINITE State=UP
MaxArraySize=3
CONF
export SLURM_CONF="$T/slurm.conf"
slurmctld -f "$SLURM_CONF" || fail "slurmctld did not start"
slurmd -f "$SLURM_CONF" || fail "slurmd did not start"
i=0
until sinfo -h -o %t 2>/dev/null | grep -q idle; do
	i=$((i + 1)); [ $i -gt 60 ] && fail "the node never became idle"; sleep 0.5
done
echo "check-cluster: single-node Slurm up ($(sinfo -V)), node $H idle"

cd "$ROOT"
grid="--grid tlb.l2.entries=768,1536 --grid guest.page=4k,2m"
traces="tests/data/lackey-ls.txt.gz traces/samples/xz-compress.slt"
# shellcheck disable=SC2086
"$S" sweep --quiet $grid --out "$T/local" $traces
# The directory's name holds what sbatch's #SBATCH parser and the shell
# would otherwise split or run (issue 21): blanks, both quotes, a '#', a
# command substitution. The script quotes it for each.
C="$T/cluster o'q \"x\" #y \$(touch canary)"
# shellcheck disable=SC2086
"$S" sweep $grid --emit slurm --out "$C" $traces
same_as_local() {   # DIR: every point file and the tables equal the local sweep's
	for f in results.csv results.json sweep.json; do
		cmp "$T/local/$f" "$1/$f" || fail "$1/$f differs from the local sweep's"
	done
	for f in "$T"/local/points/*.json; do
		cmp "$f" "$1/points/$(basename "$f")" || fail "$1/points/$(basename "$f") differs"
	done
	[ "$(ls "$1/points" | wc -l)" = 8 ] || fail "$1: $(ls "$1/points" | wc -l) point files"
}
# The default grouping: 8 points are one task (a local batch), one decode
# of each trace.
grep -q '^#SBATCH --array=0-0$' "$C/sweep.sbatch" || fail "not one task of 8 points"
sbatch --wait "$C/sweep.sbatch" || fail "sbatch --wait"
"$S" sweep --collect "$C" || fail "collect"
same_as_local "$C"
n=$(ls "$C"/slurm-*.out | wc -l)
[ "$n" = 1 ] || fail "$n task logs in the --out directory, expected 1"
echo "check-cluster: 8 points in 1 array task through sbatch; every point file and the table = local sweep"
# An array larger than MaxArraySize is what sbatch refuses...
if printf '#!/bin/sh\n#SBATCH --array=0-3\ntrue\n' | sbatch --output=/dev/null >/dev/null 2>&1; then
	fail "sbatch took an array of 4 tasks with MaxArraySize=3"
fi
# ...so 3-point tasks (3 of them) with --max-array-size 2 are two arrays
# (tasks 0-1, then 2), each with the --sbatch lines; submit.sh sends both.
G="$C-split"
# shellcheck disable=SC2086
"$S" sweep $grid --emit slurm --per-task 3 --max-array-size 2 --sbatch '--time=10' \
	--sbatch "--error=$T/err-%A-%a.txt" --out "$G" $traces >/dev/null
[ -f "$G/sweep-0.sbatch" ] && [ -f "$G/sweep-1.sbatch" ] && [ ! -e "$G/sweep.sbatch" ] ||
	fail "not two arrays"
grep -q '^#SBATCH --array=0-1$' "$G/sweep-0.sbatch" || fail "array 0 is not tasks 0-1"
grep -q '^#SBATCH --array=0-0$' "$G/sweep-1.sbatch" || fail "array 1 is not task 2"
sh "$G/submit.sh" --wait || fail "sh submit.sh --wait"
"$S" sweep --collect "$G" || fail "collect (split)"
same_as_local "$G"
e=$(ls "$T"/err-*.txt | wc -l)
[ "$e" = 3 ] || fail "$e --error files of the --sbatch option, expected 3 (one per task)"
[ -z "$(find "$T" "$ROOT" -maxdepth 2 -name canary)" ] || fail "a command in the name ran"
echo "check-cluster: 3 tasks of 3 points as 2 arrays (MaxArraySize=3, --max-array-size 2) with --sbatch lines; every point file and the table = local sweep (byte for byte)"

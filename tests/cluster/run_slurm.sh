#!/bin/sh
# tests/cluster/run_slurm.sh SLATSIM - make check-cluster: the Slurm path
# of `slatsim sweep` for real. Starts a single-node Slurm (Debian 12's
# slurm-wlm: slurmctld + slurmd, auth/none, on free ports, state in a
# temporary directory), runs a sweep as an array job through sbatch, and
# checks that --collect gives the same table and point files as a local
# sweep. Tears down the daemons it started (by their pid files) and the
# directory, whatever happens. Not part of make check.
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
grep -q '^#SBATCH --array=0-7$' "$C/sweep.sbatch" || fail "no array of 8 tasks"
sbatch --wait "$C/sweep.sbatch" || fail "sbatch --wait"
"$S" sweep --collect "$C" || fail "collect"
for f in results.csv results.json sweep.json points/0.json points/7.json; do
	cmp "$T/local/$f" "$C/$f" || fail "$f differs from the local sweep's"
done
n=$(ls "$C"/slurm-*.out | wc -l)
[ "$n" = 8 ] || fail "$n task logs in the --out directory, expected 8"
[ -z "$(find "$T" "$ROOT" -maxdepth 2 -name canary)" ] || fail "a command in the name ran"
echo "check-cluster: 8 array tasks through sbatch; collected table = local sweep (byte for byte)"

#!/usr/bin/env bash
# Exercises the Slurm recipe of docs/cluster.md for real, on this machine:
#   1. installs Debian's slurm-wlm and munge (apt-get; needs root),
#   2. starts a one-node cluster (munged as the munge user, then slurmctld and slurmd; no
#      systemd) with its state, spool, logs and sockets in a temporary folder,
#   3. submits a sweep as an array job (one shard per array task) and waits for it,
#   4. merges the shards and compares every output file, byte for byte (cmp), with an
#      unsharded run of the same experiment.
# Every wait is bounded (timeout); the daemons are stopped by their pid files on exit.
# Usage: scripts/slurm-check.sh [EXPERIMENT] [SHARDS]   (from a checkout, as root)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
EXPERIMENT=${1:-experiments/sweep-keepalive.json}
SHARDS=${2:-4}

say() { echo "slurm-check: $*"; }
fail() { echo "slurm-check: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "needs root (it installs packages and starts daemons)"

say "installing slurm-wlm and munge"
export DEBIAN_FRONTEND=noninteractive
timeout 600 apt-get update -qq
timeout 900 apt-get install -y -qq slurm-wlm munge > /dev/null

say "building faassim"
timeout 1200 cargo build --release --quiet
BIN=$ROOT/target/release/faassim

T=$(mktemp -d /tmp/faassim-slurm.XXXXXX)
chmod 755 "$T"
stop() {
    # Stop what this script started, by pid file, newest first.
    for pidfile in "$T/slurmd.pid" "$T/slurmctld.pid" "$T/munge/munged.pid"; do
        if [ -s "$pidfile" ]; then
            kill "$(cat "$pidfile")" 2> /dev/null || true
        fi
    done
    sleep 1
    if [ "${PASSED:-0}" = 1 ]; then
        rm -rf "$T"
    else
        echo "slurm-check: kept $T (logs, configuration) for inspection" >&2
    fi
}
trap stop EXIT

say "starting munged (key and socket in $T/munge)"
mkdir -p "$T/munge"
dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 status=none
chown -R munge:munge "$T/munge"
chmod 755 "$T/munge"  # munged insists that all may reach its socket
chmod 400 "$T/munge/munge.key"
runuser -u munge -- munged \
    --key-file="$T/munge/munge.key" \
    --socket="$T/munge/munge.socket" \
    --pid-file="$T/munge/munged.pid" \
    --log-file="$T/munge/munged.log" \
    --seed-file="$T/munge/munged.seed"
timeout 20 bash -c "until [ -S '$T/munge/munge.socket' ]; do sleep 0.2; done" \
    || fail "munged did not start: $(cat "$T/munge/munged.log" 2> /dev/null)"
echo ok | munge --socket="$T/munge/munge.socket" | unmunge --socket="$T/munge/munge.socket" > /dev/null \
    || fail "munge round trip"

HOST=$(hostname -s)
MEM_MB=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 9 / 10 ))
mkdir -p "$T/state" "$T/spool" "$T/logs"
cat > "$T/slurm.conf" << CONF
ClusterName=faassim-check
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
AuthInfo=socket=$T/munge/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$MEM_MB State=UNKNOWN
PartitionName=check Nodes=$HOST Default=YES MaxTime=30 State=UP
CONF
export SLURM_CONF=$T/slurm.conf

say "starting slurmctld and slurmd (node $HOST, $(nproc) CPUs, ${MEM_MB} MB)"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
timeout 60 bash -c 'until sinfo -h -o %T 2> /dev/null | grep -qx idle; do sleep 1; done' \
    || fail "node not idle: $(sinfo 2>&1); slurmctld log: $(tail -5 "$T/slurmctld.log"); slurmd log: $(tail -5 "$T/slurmd.log")"
sinfo

# The recipe of docs/cluster.md: one array task per shard.
cat > "$T/sweep.sbatch" << JOB
#!/bin/bash
#SBATCH --job-name=faassim-sweep
#SBATCH --cpus-per-task=1
#SBATCH --output=$T/logs/%A_%a.out
set -e
"$BIN" sweep "$ROOT/$EXPERIMENT" --shard "\$SLURM_ARRAY_TASK_ID/\$SLURM_ARRAY_TASK_COUNT" \\
    --out "$T/shards/\$SLURM_ARRAY_TASK_ID" --threads "\$SLURM_CPUS_PER_TASK" --resume -q
JOB

say "submitting $EXPERIMENT as an array job of $SHARDS shards (sbatch --wait --array=0-$((SHARDS - 1)))"
timeout 600 sbatch --wait --array=0-$((SHARDS - 1)) "$T/sweep.sbatch" \
    || fail "array job failed: $(cat "$T"/logs/* 2> /dev/null)"

say "merging the shards"
shard_dirs=()
for i in $(seq 0 $((SHARDS - 1))); do shard_dirs+=("$T/shards/$i"); done
"$BIN" merge --out "$T/merged" "${shard_dirs[@]}"

say "running the same experiment unsharded on this machine"
timeout 600 "$BIN" sweep "$EXPERIMENT" --out "$T/unsharded" -q

for f in results.jsonl results.csv summary.csv; do
    cmp "$T/unsharded/$f" "$T/merged/$f" || fail "$f differs between the merged array job and the unsharded run"
    say "$f: merged Slurm array job == unsharded run ($(wc -l < "$T/merged/$f") lines, byte for byte)"
done
say "OK: $SHARDS Slurm array tasks, merged, reproduce the unsharded sweep exactly"
PASSED=1

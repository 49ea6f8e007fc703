#!/usr/bin/env bash
# A real single-node Slurm (Debian's slurmctld + slurmd + munge) on loopback, for the sweep tests.
# Follows ../shared/docs/slurm.md: no systemd, no cgroups, no accounting.
#
#   bash .ci/slurm-setup.sh install   # apt-get the packages (only if sbatch/slurmctld are missing)
#   bash .ci/slurm-setup.sh start     # install if needed, then start munged, slurmctld, slurmd; wait idle
#   bash .ci/slurm-setup.sh stop      # stop the daemons this script started (by their pid files)
#   bash .ci/slurm-setup.sh status    # exit 0 when the node is up and idle
#
# Every command is idempotent: start on a running cluster and stop on a stopped one do nothing.
# State, logs and pid files live in $NNVIZ_SLURM_DIR (default /tmp/nnviz-slurm). Needs root (or sudo).
set -euo pipefail

STATE_DIR="${NNVIZ_SLURM_DIR:-/tmp/nnviz-slurm}"
MUNGE_PID=/run/munge/munged.pid
CONF=/etc/slurm/slurm.conf

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo -n"; fi

log() { echo "slurm-setup: $*" >&2; }

# A pid counts as running only if the process exists and is not a zombie (PID 1 here does not reap).
running() {
    local pidfile=$1 pid state
    [ -s "$pidfile" ] || return 1
    pid=$(cat "$pidfile" 2>/dev/null) || return 1
    [ -r "/proc/$pid/status" ] || return 1
    state=$(awk '/^State:/{print $2}' "/proc/$pid/status" 2>/dev/null)
    [ -n "$state" ] && [ "$state" != Z ]
}

do_install() {
    if command -v sbatch >/dev/null && command -v slurmctld >/dev/null && command -v slurmd >/dev/null \
        && command -v munged >/dev/null; then
        return 0
    fi
    log "installing slurmctld slurmd slurm-client munge"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
}

start_munge() {
    if running "$MUNGE_PID"; then return 0; fi
    if [ ! -s /etc/munge/munge.key ]; then $SUDO runuser -u munge -- mungekey --create; fi
    $SUDO install -d -o munge -g munge -m 755 /run/munge
    $SUDO rm -f /run/munge/munge.socket.2 /run/munge/munge.socket.2.lock "$MUNGE_PID"
    $SUDO runuser -u munge -- /usr/sbin/munged
    for _ in $(seq 40); do
        if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return 0; fi
        sleep 0.25
    done
    log "munged did not answer"; return 1
}

write_conf() {
    local host mem
    host=$(hostname -s)
    grep -qw "$host" /etc/hosts || echo "127.0.0.1 $host" | $SUDO tee -a /etc/hosts >/dev/null
    mem=$(( $(free -m | awk '/^Mem:/{print $2}') - 1024 ))
    $SUDO mkdir -p "$STATE_DIR/state" "$STATE_DIR/spool" /etc/slurm
    $SUDO tee "$CONF" >/dev/null <<EOC
# Written by nnviz .ci/slurm-setup.sh: a single-node test cluster on loopback.
ClusterName=ci
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
ReturnToService=2
MpiDefault=none
MinJobAge=600
StateSaveLocation=$STATE_DIR/state
SlurmdSpoolDir=$STATE_DIR/spool
SlurmctldPidFile=$STATE_DIR/slurmctld.pid
SlurmdPidFile=$STATE_DIR/slurmd.pid
SlurmctldLogFile=$STATE_DIR/slurmctld.log
SlurmdLogFile=$STATE_DIR/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOC
}

node_state() { sinfo -h -o %t 2>/dev/null | head -n1; }

do_start() {
    do_install
    start_munge
    if running "$STATE_DIR/slurmctld.pid" && running "$STATE_DIR/slurmd.pid"; then
        if [ "$(node_state)" = idle ] || [ "$(node_state)" = mix ] || [ "$(node_state)" = alloc ]; then
            return 0
        fi
    fi
    if ! running "$STATE_DIR/slurmctld.pid"; then
        write_conf
        # -c: a clean start, no jobs left over from an earlier cluster in this state folder.
        $SUDO slurmctld -c
    fi
    if ! running "$STATE_DIR/slurmd.pid"; then $SUDO slurmd; fi
    for _ in $(seq 120); do
        case "$(node_state)" in idle|mix|alloc) log "node up ($(node_state))"; return 0;; esac
        sleep 0.25
    done
    log "the node did not become idle; see $STATE_DIR/slurmctld.log and slurmd.log"
    sinfo >&2 || true
    return 1
}

stop_pidfile() {
    local pidfile=$1
    if running "$pidfile"; then
        $SUDO kill "$(cat "$pidfile")" || true
        for _ in $(seq 40); do running "$pidfile" || break; sleep 0.1; done
    fi
}

do_stop() {
    stop_pidfile "$STATE_DIR/slurmd.pid"
    stop_pidfile "$STATE_DIR/slurmctld.pid"
    stop_pidfile "$MUNGE_PID"
}

do_status() {
    running "$STATE_DIR/slurmctld.pid" && running "$STATE_DIR/slurmd.pid" || return 1
    case "$(node_state)" in idle|mix|alloc) return 0;; *) return 1;; esac
}

case "${1:-start}" in
    install) do_install ;;
    start) do_start ;;
    stop) do_stop ;;
    status) do_status ;;
    *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# slurm/local/stop.sh - stop the cluster started by slurm/local/start.sh (by PID file only).
# --purge additionally deletes config/state/logs (next start is a cold start).
set -uo pipefail
D=${SLURM_LOCAL_DIR:-${TMPDIR:-/tmp}/slurm-local}
export SLURM_CONF=$D/etc/slurm.conf

log() { echo "[slurm/local/stop.sh] $*"; }
stop_pidfile() {  # name pidfile
  local name=$1 pf=$2 pid
  [[ -f $pf ]] || { log "$name: no pid file"; return 0; }
  pid=$(cat "$pf")
  if ! kill -0 "$pid" 2>/dev/null; then log "$name: not running"; rm -f "$pf"; return 0; fi
  kill -TERM "$pid"
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  if kill -0 "$pid" 2>/dev/null; then log "$name: still alive after 10 s, SIGKILL"; kill -KILL "$pid"; fi
  rm -f "$pf"; log "$name (pid $pid) stopped"
}

if [[ -f $SLURM_CONF ]] && command -v scancel >/dev/null; then
  # cancel remaining jobs so that no slurmstepd / job processes outlive the daemons
  scancel --full --quiet --user=root 2>/dev/null || true
  sleep 1
fi
stop_pidfile slurmd    "$D/run/slurmd.pid"
stop_pidfile slurmctld "$D/run/slurmctld.pid"
stop_pidfile munged    "$D/munge/munged.pid"

if [[ "${1:-}" == "--purge" ]]; then rm -rf "$D"; log "purged $D"; fi

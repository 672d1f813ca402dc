#!/usr/bin/env bash
# slurm/submit.sh EXPERIMENT.json [sbatch options...]
#
# Validates the experiment (`amnl run --check`: keys, values, data files, an existing run dir's
# experiment) before anything is queued, sizes the allocation, submits slurm/amnl.sbatch, then
# queues a report job that runs `amnl report RUN_DIR` once the run job has ended for good
# (--dependency=afterany; a requeue does not end it). Prints both job ids and where the report
# and the job output will be.
#
# Sizing: workers = min(jobs, AMNL_WORKERS or AMNL_MAX_WORKERS), tasks = workers + 1 (rank 0
# coordinates). Your own --ntasks/-n, or --nodes with --ntasks-per-node, win over that.
# --cpus-per-task defaults to the experiment's threads_per_rank when the file sets it; otherwise
# amnl.sbatch's default (4) applies and becomes the thread count (see amnl.sbatch).
# Any other sbatch option (--partition, --account, --time, --signal, --gpus-per-node, ...) goes
# to the run job; --partition, --account, --qos and --reservation also go to the report job.
#
# Environment: AMNL_BIN (amnl executable; default: build/app/amnl next to this script's
# folder, then PATH), AMNL_WORKERS, AMNL_MAX_WORKERS (default 64), AMNL_NO_REPORT=1 (no
# report job), and what amnl.sbatch reads (AMNL_MAX_REQUEUES, AMNL_MPIRUN_ARGS, AMNL_RUN_ARGS),
# which sbatch passes on to the job.
# Exit status: 0 submitted, 2 refused (nothing queued), 1 sbatch failed.
set -euo pipefail

usage() { echo "usage: slurm/submit.sh EXPERIMENT.json [sbatch options...]" >&2; exit 2; }
say() { echo "submit.sh: $*"; }
die() { echo "submit.sh: $2" >&2; exit "$1"; }

[ $# -ge 1 ] || usage
case $1 in -h|--help) sed -n '2,22p' "$0"; exit 0 ;; -*) usage ;; esac
exp=$1
shift
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

bin=${AMNL_BIN:-$here/../build/app/amnl}
if [ ! -x "$bin" ]; then bin=$(command -v amnl || true); fi
if [ -z "$bin" ] || [ ! -x "$bin" ]; then die 2 "no amnl executable: build it (scripts/build.sh) or set AMNL_BIN"; fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
export AMNL_BIN=$bin  # the jobs run copies of the scripts from Slurm's spool: tell them where amnl is
command -v sbatch >/dev/null || die 2 "sbatch not found: run this on a Slurm submit host"

# 1. Validate before anything is queued.
if ! check=$("$bin" run --check "$exp" 2>&1); then
  echo "$check" >&2
  die 2 "$exp refused: nothing was queued"
fi
field() { sed -n "s/^$1: //p" <<<"$check"; }
exp=$(field experiment)
jobs=$(field jobs)
jobs=${jobs%% *}
run_dir=$(field run_dir)
threads=$(field threads_per_rank)

# 2. Size the allocation, unless the caller did.
user_ntasks="" user_nodes="" user_tpn="" user_cpus="" user_output="" user_time="" user_signal=""
report_opts=()
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  a=${args[i]}
  next=${args[i + 1]:-}
  case $a in
    -n|--ntasks) user_ntasks=$next ;;
    --ntasks=*) user_ntasks=${a#*=} ;;
    -n*) user_ntasks=${a#-n} ;;
    -N|--nodes) user_nodes=$next ;;
    --nodes=*) user_nodes=${a#*=} ;;
    --ntasks-per-node) user_tpn=$next ;;
    --ntasks-per-node=*) user_tpn=${a#*=} ;;
    -c|--cpus-per-task) user_cpus=$next ;;
    --cpus-per-task=*) user_cpus=${a#*=} ;;
    -t|--time) user_time=$next ;;
    --time=*) user_time=${a#*=} ;;
    --signal|--signal=*) user_signal=yes ;;
    -o|--output) user_output=$next ;;
    --output=*) user_output=${a#*=} ;;
    -p|--partition|-A|--account|--qos|--reservation) report_opts+=("$a" "$next") ;;
    --partition=*|--account=*|--qos=*|--reservation=*) report_opts+=("$a") ;;
  esac
done
run_opts=()
max_workers=${AMNL_MAX_WORKERS:-64}
want=${AMNL_WORKERS:-$max_workers}
[[ $want =~ ^[1-9][0-9]*$ ]] || die 2 "AMNL_WORKERS/AMNL_MAX_WORKERS must be a positive integer, got '$want'"
if [ -n "$user_ntasks" ]; then
  ntasks=$user_ntasks
  sizing="--ntasks $ntasks as given"
elif [ -n "$user_tpn" ] && [ -n "$user_nodes" ] && [[ $user_nodes =~ ^[0-9]+$ ]]; then
  ntasks=$((user_nodes * user_tpn))
  run_opts+=("--ntasks=$ntasks")
  sizing="$user_nodes nodes x $user_tpn tasks as given"
else
  workers=$((jobs < want ? jobs : want))
  ntasks=$((workers + 1))
  run_opts+=("--ntasks=$ntasks")
  sizing="min($jobs jobs, ${AMNL_WORKERS:+AMNL_WORKERS=}${AMNL_WORKERS:-cap $max_workers}) workers + 1 coordinator"
fi
if ! [[ $ntasks =~ ^[0-9]+$ ]] || [ "$ntasks" -lt 2 ]; then
  die 2 "need at least 2 tasks (1 coordinator + workers), got '$ntasks'"
fi
if [ $((ntasks - 1)) -gt "$jobs" ]; then
  say "warning: $((ntasks - 1)) workers for $jobs jobs: $((ntasks - 1 - jobs)) will stay idle"
fi
if [ -z "$user_cpus" ] && [[ $threads == *"(set)" ]]; then
  run_opts+=("--cpus-per-task=${threads%% *}")
fi

# The early signal must come well before the time limit, and not at once: amnl.sbatch asks for
# USR1 300 s ahead, which a --time of 10 minutes or less would turn into "stop now" (and, after
# the requeue, again). Scale it down for short jobs unless --signal was given.
time_s() {  # Slurm's time formats: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S -> seconds
  local t=$1 d=0 a b c
  if [[ $t == *-* ]]; then d=${t%%-*}; t=${t#*-}
    IFS=: read -r a b c <<<"$t"; echo $(( d * 86400 + 10#${a:-0} * 3600 + 10#${b:-0} * 60 + 10#${c:-0} )); return
  fi
  IFS=: read -r a b c <<<"$t"
  if [ -n "$c" ]; then echo $(( 10#$a * 3600 + 10#$b * 60 + 10#$c ))
  elif [ -n "$b" ]; then echo $(( 10#$a * 60 + 10#$b ))
  else echo $(( 10#$a * 60 )); fi
}
if [ -n "$user_time" ] && [ -z "$user_signal" ] && [[ $user_time =~ ^[0-9:-]+$ ]]; then
  limit=$(time_s "$user_time")
  if [ "$limit" -le 1200 ]; then
    lead=$((limit / 3))
    run_opts+=("--signal=B:USR1@$lead")
    say "--time $user_time is short: checkpoint signal $lead s before it (--signal=B:USR1@$lead)"
  fi
fi

# 3. Job output next to the run: <run_dir>/slurm/ (the run dir is created now so that Slurm can
# open the files; amnl run takes an empty one).
mkdir -p "$run_dir/slurm"
[ -n "$user_output" ] || run_opts+=("--output=$run_dir/slurm/amnl-%j.out")

run_id=$(sbatch --parsable "${run_opts[@]}" "$@" "$here/amnl.sbatch" "$exp") || die 1 "sbatch failed for the run job"
run_id=${run_id%%;*}
say "run job $run_id: $jobs jobs on $ntasks tasks ($sizing), threads_per_rank $threads"
say "  output: ${user_output:-$run_dir/slurm/amnl-$run_id.out}"
say "  watch:  amnl status $run_dir;  squeue -j $run_id;  scontrol show job $run_id (Restarts=...)"

if [ "${AMNL_NO_REPORT:-0}" = 1 ]; then
  say "no report job (AMNL_NO_REPORT=1): run amnl report $run_dir when it is done"
  exit 0
fi
report_id=$(sbatch --parsable --dependency="afterany:$run_id" --kill-on-invalid-dep=yes \
  --job-name=amnl-report --ntasks=1 --cpus-per-task=1 --time=1:00:00 --open-mode=append \
  --output="$run_dir/slurm/report-%j.out" "${report_opts[@]}" "$here/amnl-report.sbatch" "$run_dir") ||
  die 1 "sbatch failed for the report job (the run job $run_id is queued: scancel it or run amnl report $run_dir later)"
report_id=${report_id%%;*}
say "report job $report_id: runs after $run_id ends (afterany): amnl report $run_dir -> $run_dir/results/"
say "  output: $run_dir/slurm/report-$report_id.out"
echo "run_job=$run_id report_job=$report_id run_dir=$run_dir results=$run_dir/results"

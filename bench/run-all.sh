#!/usr/bin/env bash
# Every benchmark, then bench/RESULTS.md (figures, machine, date, commit, command). Raw output in
# bench/results/*.log. About 25 minutes on a 2-core machine. Never part of ctest.
#   bench/run-all.sh        env: AMNL_BUILD_DIR (build-bench), ROUNDS (2), DATA_DIR (../shared/cmapss)
set -euo pipefail
cd "$(dirname "$0")/.."
command="bench/run-all.sh${*:+ $*} (AMNL_BUILD_DIR=${AMNL_BUILD_DIR:-build-bench} ROUNDS=${ROUNDS:-2})"
build=${AMNL_BUILD_DIR:-build-bench}
rounds=${ROUNDS:-2}
data=${DATA_DIR:-../shared/cmapss}
start=$(date +%s)
# The PyTorch reference is benchmark-only: installed here, never by the test or demo setup.
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "run-all: installing python3-torch (Debian) for the PyTorch reference"
  ${SUDO:-$( [ "$(id -u)" -ne 0 ] && echo sudo)} apt-get install -y -q --no-install-recommends python3-torch
fi
[ -f "$build/build.ninja" ] || cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$build" -j "${AMNL_BUILD_JOBS:-2}" --target amnl bench_vs_reference bench_checkpoint \
  bench_schedule_sim bench_coordinator bench_prepare
work=$(mktemp -d "${TMPDIR:-/tmp}/amnl-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
logs=bench/results
mkdir -p "$logs"
b=$build/bench

# Cheap in-process figures first, each twice (shared machine).
for i in 1 2; do "$b/bench_prepare" "$data" FD004 5; done | tee "$logs/prepare.log"
"$b/bench_schedule_sim" 5 | tee "$logs/schedule.log"
for i in 1 2; do "$b/bench_coordinator" "$work"; done | tee "$logs/coordinator.log"
for i in 1 2; do for p in quick paper; do "$b/bench_checkpoint" "$p" "$work" 5; done; done | tee "$logs/checkpoint.log"
bench/train_vs_reference.sh "$build" "$work/train" "$rounds" "$data" | tee "$logs/train.log"
/usr/bin/python3 bench/mpi/ranks_vs_threads.py "$build/app/amnl" "$work/ranks" 2 2 quick 1 | tee "$logs/ranks.log"
/usr/bin/python3 bench/mpi/failure_cost.py "$build/app/amnl" "$work/failure" 2 10 | tee "$logs/failure.log"

/usr/bin/python3 bench/summarize.py "$logs" "$command" "$(($(date +%s) - start))" > bench/RESULTS.md
echo "run-all: wrote bench/RESULTS.md in $(($(date +%s) - start)) s"

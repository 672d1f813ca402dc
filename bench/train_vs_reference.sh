#!/usr/bin/env bash
# Training speed of amnl against the PyTorch reference (bench/reference/amnl_reference.py) and
# the distance to the machine's limit. Both sides train on the same FD001 windows (exported from
# amnl's pipeline), 1 thread, same batch; every configuration runs ROUNDS times, alternating
# which side goes first, because the machine is shared and its load drifts. Prints RESULT lines.
#   bench/train_vs_reference.sh BUILD_DIR WORK_DIR [ROUNDS=2] [DATA_DIR=../shared/cmapss]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$1/bench/bench_vs_reference
work=$2
rounds=${3:-2}
data=${4:-../shared/cmapss}
ref=(/usr/bin/python3 bench/reference/amnl_reference.py)
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
mkdir -p "$work"
"$bin" export "$data" FD001 "$work/windows"
"$bin" flops quick
"$bin" flops paper
# preset batch steps (timed steps after one warm-up step)
configs=("quick 32 40" "quick 256 8" "paper 32 6" "paper 256 2")
# preset batch windows (0: the whole FD001 training split); paper takes minutes per epoch on one
# core, so its "epoch" is the first 2048 shuffled windows (same loop, fewer batches).
epochs=("quick 256 0" "quick 32 0" "paper 256 2048")
# Both programs on the same arguments, in alternating order from round to round, so neither is
# always the one that runs on a warm cache.
both() {
  if ((r % 2 == 0)); then
    "$bin" "$@"
    "${ref[@]}" "$@"
  else
    "${ref[@]}" "$@"
    "$bin" "$@"
  fi
}
for ((r = 0; r < rounds; r++)); do
  "$bin" peak 2
  for c in "${configs[@]}"; do
    read -r preset batch steps <<<"$c"
    both step "$work/windows" "$preset" "$batch" "$steps"
  done
  for c in "${epochs[@]}"; do
    read -r preset batch n <<<"$c"
    both epoch "$work/windows" "$preset" "$batch" "$n"
  done
done
"$bin" peak 2

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
for ((r = 0; r < rounds; r++)); do
  "$bin" peak 2
  for c in "${configs[@]}"; do
    read -r preset batch steps <<<"$c"
    if ((r % 2 == 0)); then
      "$bin" step "$work/windows" "$preset" "$batch" "$steps"
      "${ref[@]}" step "$work/windows" "$preset" "$batch" "$steps"
    else
      "${ref[@]}" step "$work/windows" "$preset" "$batch" "$steps"
      "$bin" step "$work/windows" "$preset" "$batch" "$steps"
    fi
  done
  for c in "${epochs[@]}"; do
    read -r preset batch n <<<"$c"
    if ((r % 2 == 0)); then
      "$bin" epoch "$work/windows" "$preset" "$batch" "$n"
      "${ref[@]}" epoch "$work/windows" "$preset" "$batch" "$n"
    else
      "${ref[@]}" epoch "$work/windows" "$preset" "$batch" "$n"
      "$bin" epoch "$work/windows" "$preset" "$batch" "$n"
    fi
  done
done
"$bin" peak 2

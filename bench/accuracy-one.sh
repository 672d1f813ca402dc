#!/usr/bin/env bash
# One-job accuracy check: trains the "quick" preset on NASA C-MAPSS FD001 (one seed) and prints the
# test last-cycle RMSE, the NASA score and the wall time. Builds nothing.
#
#   bench/accuracy-one.sh [AMNL_BIN] [CMAPSS_DIR] [OUT_DIR]
#     AMNL_BIN    default build/app/amnl
#     CMAPSS_DIR  default ../shared/cmapss (relative to the repository root)
#     OUT_DIR     default a fresh temporary directory (kept, its path is printed)
#   Environment: SEED (42), DATASET (FD001), PRESET (quick), THREADS (1), RESUME=1 to continue.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/app/amnl}
data=${2:-../shared/cmapss}
out=${3:-$(mktemp -d "${TMPDIR:-/tmp}/amnl-accuracy-XXXXXX")}
seed=${SEED:-42}
dataset=${DATASET:-FD001}
preset=${PRESET:-quick}

[[ -x $bin ]] || { echo "accuracy-one.sh: no amnl binary at $bin (build it first)" >&2; exit 2; }
[[ -f $data/train_$dataset.txt ]] || { echo "accuracy-one.sh: no $data/train_$dataset.txt" >&2; exit 2; }

args=(train --dataset "$dataset" --seed "$seed" --data-dir "$data" --out "$out/job" --preset "$preset")
# One intra-op thread by default: this model's ops are too small for threads to pay off, and on a
# shared machine OpenMP threads spin against other processes (measured: 53 s vs 18 s per epoch).
args+=(--threads "${THREADS:-1}")
[[ ${RESUME:-0} == 1 ]] && args+=(--resume)

echo "accuracy-one.sh: $bin ${args[*]}" >&2
start=$(date +%s.%N)
"$bin" "${args[@]}" > "$out/metrics.stdout"
end=$(date +%s.%N)

m=$out/job/metrics.json
printf 'dataset        %s (seed %s, preset %s, %s)\n' "$dataset" "$seed" "$preset" "$(jq -r .selection "$m")-selected"
printf 'test RMSE      %.3f   (last cycle of each test unit; published %s: 10.43 +- 1.94 on GPUs)\n' \
  "$(jq .test_rmse "$m")" "$dataset"
printf 'NASA score     %.1f\n' "$(jq .nasa_score "$m")"
printf 'test MAE       %.3f\n' "$(jq .test_mae "$m")"
printf 'health acc/F1  %.3f / %.3f\n' "$(jq .health_accuracy "$m")" "$(jq .health_macro_f1 "$m")"
printf 'val RMSE       %.3f\n' "$(jq .val_rmse "$m")"
printf 'epochs         %s (best %s)\n' "$(jq .epochs_run "$m")" "$(jq .best_epoch "$m")"
printf 'wall time      %.0f s (process %.0f s, %s threads)\n' "$(jq .run.wall_seconds "$m")" \
  "$(echo "$end - $start" | bc)" "$(jq .run.threads "$m")"
printf 'output         %s\n' "$out"

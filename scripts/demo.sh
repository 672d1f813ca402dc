#!/usr/bin/env bash
# The main job: installs, builds, generates two synthetic C-MAPSS-format data sets and trains
# every (dataset, seed) of examples/demo.json (2 data sets x 3 seeds, tiny preset) across two
# MPI worker ranks with the fault-tolerant orchestrator. A few minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
bin=${AMNL_BUILD_DIR:-build}/app/amnl
demo=demo-run            # examples/demo.json points here (paths relative to the example file)
start=$(date +%s)

mkdir -p "$demo"
"$bin" synth --out "$demo/data" --dataset-name SYN1 --units 40 --seed 1 --conditions 1
"$bin" synth --out "$demo/data" --dataset-name SYN6 --units 40 --seed 2 --conditions 6 --fault-modes 2
rm -rf "$demo/run"       # a fresh run each time (rerunning on the same run dir would resume)

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Rank 0 coordinates, ranks 1-2 train. --enable-recovery keeps the run going if a rank dies;
# mpirun then always exits 0, so the run's own exit status is in outcome.json.
mpirun --allow-run-as-root --oversubscribe --enable-recovery -np 3 "$bin" run examples/demo.json

run="$demo/run"
code=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['exit_code'])" "$run/outcome.json")
echo
echo "demo: finished in $(( $(date +%s) - start )) s; run dir $run (outcome.json, ledger.jsonl, logs/, jobs/)"
echo
# The results report: per-dataset table (mean, std, 95% interval, constant baseline) on stdout,
# results.json, per_seed.csv, report.md, plots/ and a self-contained report.html in $run/results.
"$bin" report "$run"
exit "$code"

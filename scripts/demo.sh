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
python3 - "$run" <<'PY'
import json, sys, glob, os
run = sys.argv[1]
o = json.load(open(os.path.join(run, "outcome.json")))
print(f"\noutcome: {o['outcome']} ({o['jobs']['done']}/{o['jobs']['total']} done, {o['jobs']['failed']} failed)")
print(f"{'job':<10} {'test RMSE':>10} {'MAE':>8} {'NASA':>9} {'health F1':>9} {'epochs':>6}")
for m in sorted(glob.glob(os.path.join(run, "jobs", "*", "seed_*", "metrics.json"))):
    j = json.load(open(m))
    print(f"{j['dataset'] + '-s' + str(j['seed']):<10} {j['test_rmse']:>10.3f} {j['test_mae']:>8.3f} "
          f"{j['nasa_score']:>9.1f} {j['health_macro_f1']:>9.3f} {j['epochs_run']:>6}")
for f in o.get("failed_jobs", []):
    print(f"FAILED {f['job']}: {f['reason']}")
PY
echo
echo "demo: finished in $(( $(date +%s) - start )) s"
echo "demo: results in $run: outcome.json, ledger.jsonl (every event), logs/rank<N>.log,"
echo "      jobs/<dataset>/seed_<seed>/{metrics.json, <dataset>_v7_seed<seed>.pt, checkpoints/}"
code=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['exit_code'])" "$run/outcome.json")
exit "$code"

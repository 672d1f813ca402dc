#!/usr/bin/env bash
# Accuracy benchmark on the real data through the real orchestrator: runs an experiment
# (default examples/cmapss-quick.json: FD001..FD004 x 5 seeds, quick preset, leak-free
# selection, 1 thread per rank) with `mpirun --enable-recovery`, builds the results report and
# writes bench/ACCURACY.md (per dataset mean +- std against the published figures, the
# constant baseline, per-seed rows, wall time, commit, machine). With 3 seeds it took 79 and 103 min on 2 cores (a CI run beside it for the first 35 and 70 min); 5 seeds take about 5/3 of that, so run it in sittings: it resumes.
# A benchmark, not a ctest test. Builds nothing.
#
#   bench/accuracy.sh [EXPERIMENT]
#   Relative paths (EXPERIMENT and every variable below) are relative to the directory it is
#   called from; the defaults are in the project tree.
#   Environment:
#     AMNL_BIN   amnl binary (default build/app/amnl)
#     RANKS      worker ranks (default: the number of cores)
#     RUN_DIR    run dir (default runs/accuracy-<commit>); rerunning with the same RUN_DIR resumes
#     DATA_DIR   C-MAPSS directory (default: the experiment's data_dir, ../shared/cmapss)
#     OUT        the Markdown written (default bench/ACCURACY.md)
#     NOTES      hand-written caveats appended to OUT when the file exists (default
#                bench/ACCURACY-notes.md): what the generated tables cannot know, such as which
#                seeds were used to choose the preset and what seeds never used to choose it give
set -euo pipefail
caller=$PWD
root=$(cd "$(dirname "$0")/.." && pwd)
# A path the user gave, made absolute against the caller's directory (the script works from the
# project root below, where a relative run dir would otherwise land somewhere else).
given() { if [[ $1 == /* ]]; then printf '%s' "$1"; else printf '%s' "$caller/$1"; fi; }
cd "$root"
experiment=$root/examples/cmapss-quick.json
[[ -n ${1:-} ]] && experiment=$(given "$1")
bin=$root/build/app/amnl
[[ -n ${AMNL_BIN:-} ]] && bin=$(given "$AMNL_BIN")
ranks=${RANKS:-$(nproc)}
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"
run_dir=$root/runs/accuracy-${commit%% *}
[[ -n ${RUN_DIR:-} ]] && run_dir=$(given "$RUN_DIR")
out=$root/bench/ACCURACY.md
[[ -n ${OUT:-} ]] && out=$(given "$OUT")
notes=$root/bench/ACCURACY-notes.md
[[ -n ${NOTES:-} ]] && notes=$(given "$NOTES")
data_dir=
[[ -n ${DATA_DIR:-} ]] && data_dir=$(given "$DATA_DIR")

[[ -x $bin ]] || { echo "accuracy.sh: no amnl binary at $bin (build it first: scripts/build.sh)" >&2; exit 2; }
[[ -f $experiment ]] || { echo "accuracy.sh: no experiment file $experiment" >&2; exit 2; }
command -v mpirun >/dev/null || { echo "accuracy.sh: mpirun not found (scripts/install-deps.sh)" >&2; exit 2; }

# The experiment with this run's run dir (and data dir, if given), as absolute paths; relative
# paths of the original resolve against its own directory, as `amnl run` would.
mkdir -p "$run_dir"
exp_dir=$(cd "$(dirname "$experiment")" && pwd)
resolved=$run_dir.experiment.json
python3 - "$experiment" "$exp_dir" "$run_dir" "$data_dir" > "$resolved" <<'PY'
import json, os, sys
path, exp_dir, run_dir, data_dir = sys.argv[1:5]
e = json.load(open(path))
e["run_dir"] = run_dir
e["data_dir"] = data_dir if data_dir else os.path.normpath(os.path.join(exp_dir, e["data_dir"]))
print(json.dumps(e, indent=2))
PY
"$bin" run --check "$resolved"

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
start=$(date +%s)
echo "accuracy.sh: $(date -u +%FT%TZ) mpirun -np $((ranks + 1)) $bin run $resolved" >&2
# --enable-recovery: a dead rank does not end the run (mpirun then exits 0 whatever happens,
# so the run's own status is read from outcome.json).
mpirun --allow-run-as-root --oversubscribe --enable-recovery -np $((ranks + 1)) \
  "$bin" run "$resolved" || true
wall=$(( $(date +%s) - start ))
"$bin" report "$run_dir" > "$run_dir.report.txt" || true
[[ -f $run_dir/results/results.json ]] || { echo "accuracy.sh: no report in $run_dir/results" >&2; exit 1; }

python3 - "$run_dir" "$wall" "$commit" "$ranks" "${experiment#"$root"/}" > "$out" <<'PY'
import csv, json, os, platform, subprocess, sys
run_dir, wall, commit, ranks, experiment = sys.argv[1:6]
res = json.load(open(f"{run_dir}/results/results.json"))
outcome = json.load(open(f"{run_dir}/outcome.json"))
rows = list(csv.DictReader(open(f"{run_dir}/results/per_seed.csv")))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
def f(x, d=2): return "-" if x is None else f"{x:.{d}f}"
print("# Accuracy on the real C-MAPSS data through the orchestrator\n")
print(f"Written by `bench/accuracy.sh {experiment}`: commit {commit}, "
      f"{res['preset']} preset, {res['selection']} selection, {ranks} worker ranks under "
      f"`mpirun --enable-recovery` on {os.cpu_count()} cores ({cpu}). Run outcome: "
      f"**{outcome['outcome']}** ({outcome['jobs']['done']} of {outcome['jobs']['total']} jobs done), "
      f"wall time of this session {int(wall) // 60} min {int(wall) % 60} s.\n")
print("Test RMSE: last cycle of each test unit, capped at R_max. Published: GPUs, 5 seeds, up to 500 "
      "epochs, selection on the test set (leaks). Baseline: a constant predictor (mean capped "
      "training RUL).\n")
print("| dataset | seeds done | test RMSE mean +- sd | 95 % interval | min - max | ensemble RMSE | published | baseline |")
print("|---|---|---|---|---|---|---|---|")
for d in res["datasets"]:
    t, ref, base = d["test_rmse"], d.get("reference"), d.get("baseline") or {}
    ens = d.get("ensemble") or {}
    ci = t.get("ci95")
    # The ensemble: the mean of the done seeds' per-unit predictions (results.json, `ensemble`).
    ens_cell = f"{f(ens.get('test_rmse'))} ({ens.get('n', 0)} seeds)" if ens.get("available") else "-"
    print(f"| {d['dataset']} | {d['done']} of {d['planned']} | {f(t.get('mean'))} +- {f(t.get('sd'))} | "
          f"{'-' if not ci else f(ci[0]) + ' - ' + f(ci[1])} | {f(t.get('min'))} - {f(t.get('max'))} | {ens_cell} | "
          f"{'-' if not ref else f(ref['mean']) + ' +- ' + f(ref['sd'])} | {f(base.get('test_rmse'))} |")
print("\n## Per seed\n")
print("| dataset | seed | state | test RMSE | MAE | NASA score | val RMSE | epochs (best) | job wall s | attempts |")
print("|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    g = lambda k, d=2: "-" if not r.get(k) else f"{float(r[k]):.{d}f}"
    print(f"| {r['dataset']} | {r['seed']} | {r['state']} | {g('test_rmse')} | {g('test_mae')} | "
          f"{g('nasa_score', 1)} | {g('val_rmse')} | {r.get('epochs_run') or '-'} ({r.get('best_epoch') or '-'}) | "
          f"{g('wall_seconds', 0)} | {r.get('attempts') or '-'} |")
print(f"\nThe full report (plots, report.html) is in `{run_dir}/results/`. Results are bit-identical "
      "only on the same thread count and the same CPU kernel path (see README, Reproducibility).")
PY
if [[ -f $notes ]]; then
  printf '\n## Notes (from %s, written by hand)\n\n' "${notes#"$root"/}" >> "$out"
  cat "$notes" >> "$out"
fi
echo "accuracy.sh: wrote $out (run dir $run_dir, $wall s)" >&2
cat "$out"

#!/usr/bin/python3
"""Ranks x threads on 2 cores: jobs per hour of `2 worker ranks x 1 thread` against `1 worker rank
x 2 threads`, real `mpirun --enable-recovery` runs (plus the coordinator, rank 0) pinned to CPUs
0-1 with taskset, on synthetic data, alternating the two layouts ROUNDS times with fresh run dirs.
Prints RESULT lines; the ratio is jobs/h(2x1) / jobs/h(1x2).
  ranks_vs_threads.py AMNL_BINARY WORK_DIR [ROUNDS=2] [JOBS=4] [PRESET=quick] [EPOCHS=3]"""
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpirun_util as mu


def main():
    amnl, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    jobs = int(sys.argv[4]) if len(sys.argv) > 4 else 4
    preset = sys.argv[5] if len(sys.argv) > 5 else "quick"
    epochs = int(sys.argv[6]) if len(sys.argv) > 6 else 3
    os.makedirs(work, exist_ok=True)
    data = os.path.join(work, "data")
    mu.synth(amnl, data, "SYNA", 40, 1)
    rates = {}
    for r in range(rounds):
        # Alternate which layout goes first: load from other users drifts over minutes.
        layouts = [(2, 1), (1, 2)] if r % 2 == 0 else [(1, 2), (2, 1)]
        for ranks, threads in layouts:
            name = f"r{r}_{ranks}x{threads}"
            run_dir = os.path.join(work, name)
            shutil.rmtree(run_dir, ignore_errors=True)
            exp = os.path.join(work, name + ".json")
            mu.experiment(exp, run_dir, data, ["SYNA"], list(range(1, jobs + 1)), preset,
                          {"max_epochs": epochs}, threads)
            t0 = time.monotonic()
            rc = mu.finish(mu.start(amnl, exp, ranks + 1, os.path.join(work, name + ".log"), cpus="0,1"), 1200)
            wall = time.monotonic() - t0
            done = sum(1 for rec in mu.ledger(run_dir) if rec.get("event") == "done")
            jph = done * 3600 / wall
            rates.setdefault((ranks, threads), []).append(jph)
            print(f"RESULT ranks round={r} layout={ranks}x{threads} preset={preset} epochs={epochs} jobs={done} "
                  f"wall_s={wall:.1f} jobs_per_h={jph:.1f} rc={rc}", flush=True)
    med = lambda v: sorted(v)[len(v) // 2]
    a, b = med(rates[(2, 1)]), med(rates[(1, 2)])
    print(f"RESULT ranks summary jobs_per_h_2x1={a:.1f} jobs_per_h_1x2={b:.1f} ratio_2x1_over_1x2={a / b:.3f}")


if __name__ == "__main__":
    main()

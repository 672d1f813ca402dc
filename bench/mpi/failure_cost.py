#!/usr/bin/python3
"""Failure cost: one job (tiny preset, synthetic data) under real `mpirun --enable-recovery -np 3`
(coordinator + 2 workers). A baseline run, then runs in which the worker training the job is
SIGKILLed at a random moment (seeded) between 25% and 75% of the baseline's wall time; the other
worker resumes the job from its newest checkpoint. Per kill: extra wall time against the
baseline, epochs trained twice (epochs completed at the kill minus the epoch resumed from, plus
the part of the running epoch lost), the detection time (kill -> worker_dead in the ledger) and
the reassignment time (kill -> attempt 2 assigned), against the checkpoint interval.
  failure_cost.py AMNL_BINARY WORK_DIR [KILLS=2] [EPOCHS=16]"""
import os
import random
import shutil
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpirun_util as mu

EVERY = 2  # checkpoint.every_epochs


def run(amnl, work, name, data, epochs, kill_at=None):
    run_dir = os.path.join(work, name)
    shutil.rmtree(run_dir, ignore_errors=True)
    exp = os.path.join(work, name + ".json")
    mu.experiment(exp, run_dir, data, ["SYNF"], [1], "tiny",
                  {"max_epochs": epochs, "early_stop_patience": epochs}, 1,
                  checkpoint={"every_epochs": EVERY, "keep_last": 2},
                  fault={"heartbeat_interval_s": 0.25, "worker_timeout_s": 3, "progress_timeout_s": 120,
                         "max_attempts": 3, "coordinator_timeout_s": 30})
    t0 = time.monotonic()
    proc = mu.start(amnl, exp, 3, os.path.join(work, name + ".log"))
    killed_wall = None
    if kill_at is not None:
        while time.monotonic() - t0 < kill_at and proc.poll() is None:
            time.sleep(0.01)
        rank = next((r["rank"] for r in reversed(mu.ledger(run_dir)) if r.get("event") == "assigned"), None)
        pid = mu.rank_pid(run_dir, rank) if rank else None
        if pid:
            os.kill(pid, signal.SIGKILL)
            killed_wall = time.time()
    rc = mu.finish(proc, 600)
    return time.monotonic() - t0, rc, mu.ledger(run_dir), killed_wall


def main():
    amnl, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    kills = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    epochs = int(sys.argv[4]) if len(sys.argv) > 4 else 16
    os.makedirs(work, exist_ok=True)
    data = os.path.join(work, "data")
    mu.synth(amnl, data, "SYNF", 40, 3)
    base, rc, recs, _ = run(amnl, work, "baseline", data, epochs)
    ep_s = [r["epoch_seconds"] for r in recs if r.get("event") == "progress" and r.get("epoch_seconds", 0) > 0]
    epoch_s = sorted(ep_s)[len(ep_s) // 2] if ep_s else float("nan")
    print(f"RESULT fail baseline wall_s={base:.2f} epochs={epochs} epoch_s={epoch_s:.3f} "
          f"checkpoint_every={EVERY} rc={rc}", flush=True)
    rng = random.Random(2024)
    for k in range(kills):
        at = base * rng.uniform(0.25, 0.75)
        wall, rc, recs, killed = run(amnl, work, f"kill{k}", data, epochs, kill_at=at)
        if killed is None:
            print(f"RESULT fail kill={k} at_s={at:.2f} not_killed=1 rc={rc}")
            continue
        a1 = [r for r in recs if r.get("attempt") == 1]
        done_at_kill = max([r["epoch"] for r in a1 if r.get("event") == "progress"
                            and mu.iso_seconds(r["time"]) <= killed] or [0])
        last_end = max([mu.iso_seconds(r["time"]) for r in a1 if r.get("event") == "progress"
                        and r.get("epoch") == done_at_kill and r.get("epoch_seconds", 0) > 0] or [killed])
        done = next((r for r in recs if r.get("event") == "done"), {})
        resumed = done.get("resumed_from_epoch", -1)
        redone = done_at_kill - max(resumed, 0) + min(1.0, (killed - last_end) / epoch_s)
        dead = next((mu.iso_seconds(r["time"]) for r in recs if r.get("event") == "worker_dead"), float("nan"))
        again = next((mu.iso_seconds(r["time"]) for r in recs if r.get("event") == "assigned"
                      and r.get("attempt") == 2), float("nan"))
        print(f"RESULT fail kill={k} at_s={at:.2f} wall_s={wall:.2f} extra_s={wall - base:.2f} "
              f"epochs_done_at_kill={done_at_kill} resumed_from={resumed} epochs_redone={redone:.2f} "
              f"detect_s={dead - killed:.2f} reassign_s={again - killed:.2f} checkpoint_every={EVERY} "
              f"extra_over_epoch={(wall - base) / epoch_s:.2f} "
              # Wall-time differences drown in a shared machine's noise; the work lost is steadier:
              f"lost_s_est={redone * epoch_s + again - killed:.2f} rc={rc}", flush=True)


if __name__ == "__main__":
    main()

"""Helpers of the real-mpirun benchmarks (ranks_vs_threads.py, failure_cost.py): synthetic data,
experiment files, an `mpirun --enable-recovery` run in its own process group, ledger records."""
import json
import os
import signal
import subprocess
import time

MPI_ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")


def synth(amnl, out, name, units, seed):
    subprocess.run([amnl, "synth", "--out", out, "--dataset-name", name, "--units", str(units),
                    "--seed", str(seed)], check=True, stdout=subprocess.DEVNULL)


def experiment(path, run_dir, data_dir, datasets, seeds, preset, recipe, threads, checkpoint=None, fault=None):
    exp = {"run_dir": run_dir, "data_dir": data_dir, "datasets": datasets, "seeds": seeds, "preset": preset,
           "recipe": recipe, "threads_per_rank": threads,
           "fault": fault or {"heartbeat_interval_s": 0.5, "worker_timeout_s": 10, "progress_timeout_s": 300,
                              "max_attempts": 3, "coordinator_timeout_s": 30}}
    if checkpoint:
        exp["checkpoint"] = checkpoint
    with open(path, "w") as f:
        json.dump(exp, f)


def start(amnl, exp, ranks, log, cpus=None):
    # --bind-to none: Open MPI binds each rank to one core when np <= 2, which would squeeze a
    # 2-thread worker onto a single core; the kernel places threads instead, as on a laptop.
    cmd = ["mpirun", "--allow-run-as-root", "--oversubscribe", "--enable-recovery", "--bind-to", "none",
           "-np", str(ranks), amnl, "run", exp]
    if cpus:
        cmd = ["taskset", "-c", cpus] + cmd
    return subprocess.Popen(cmd, stdout=open(log, "w"), stderr=subprocess.STDOUT, env=MPI_ENV,
                            start_new_session=True)


def finish(proc, timeout):
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return None


def ledger(run_dir):
    out = []
    try:
        with open(os.path.join(run_dir, "ledger.jsonl")) as f:
            for line in f:
                try:
                    out.append(json.loads(line[9:]))
                except ValueError:
                    pass
    except FileNotFoundError:
        pass
    return out


def rank_pid(run_dir, rank):
    try:
        with open(os.path.join(run_dir, "ranks", f"rank{rank}.json")) as f:
            return json.load(f).get("pid")
    except (FileNotFoundError, ValueError):
        return None


def iso_seconds(stamp):
    """Seconds since the epoch of a ledger time stamp (UTC, ISO 8601 with milliseconds)."""
    import datetime
    return datetime.datetime.strptime(stamp.replace("Z", ""), "%Y-%m-%dT%H:%M:%S.%f").replace(
        tzinfo=datetime.timezone.utc).timestamp()

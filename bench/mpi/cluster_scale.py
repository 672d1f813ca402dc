#!/usr/bin/python3
"""Scale across namespace nodes (issue 23, item 6): NODES network-namespace "nodes" on this
machine (recipe: shared/spec/mpi-slurm.md, "Several nodes on one machine"; root needed), then
for each rank count `mpirun --enable-recovery -np R amnl run --fake-trainer` over JOBS short jobs
(fake trainer: no libtorch work, so what is measured is the orchestration). Per rank count:
  - startup_s (mpirun launch to rank 0's session_started: process start and MPI_Init of every
    rank) and run_s (from there to the final outcome), wall_s both;
  - assignments/s: `assigned` records over the span from the first to the last one;
  - rank 0's CPU seconds (utime+stime of its process, sampled until it exits) per wall second;
  - bytes per second per rank on the nodes' links (every veth's rx+tx, both directions counted
    once at the bridge side): heartbeats, pings and job messages together (the fake trainer
    writes its checkpoints to shared storage, not over the network);
  - with --kill: the last node loses power (partition + SIGKILL) once half the jobs are done;
    time from then to the last of its running jobs being assigned elsewhere (detection =
    worker_timeout_s + reassignment).
Never run by ctest.
  cluster_scale.py AMNL_BINARY WORK_DIR [--nodes 4] [--ranks 8,16,32,64] [--jobs 1000]
                   [--epoch-s 0.05] [--epochs 2] [--kill]
WORK_DIR must not be under /tmp (each node has a private /tmp)."""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpirun_util as mu

# Names carry this process's pid, so that a run never touches another benchmark's namespaces.
NET = f"10.233.{os.getpid() % 250 + 1}"
PREFIX = f"amsc{os.getpid()}"


def sh(*cmd, check=True):
    return subprocess.run(cmd, check=check, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout


def node(i):
    return f"{PREFIX}n{i}"


def veth(i):
    return f"{PREFIX}v{i}"


def cluster_up(n, work):
    sh("ip", "link", "add", PREFIX + "b", "type", "bridge")
    sh("ip", "link", "set", PREFIX + "b", "up")
    hosts = "127.0.0.1 localhost\n" + "".join(f"{NET}.{i} {node(i)}\n" for i in range(1, n + 1))
    for i in range(1, n + 1):
        sh("ip", "netns", "add", node(i))
        sh("ip", "link", "add", veth(i), "type", "veth", "peer", "name", "eth0", "netns", node(i))
        sh("ip", "link", "set", veth(i), "master", PREFIX + "b", "up")
        sh("ip", "-n", node(i), "addr", "add", f"{NET}.{i}/24", "dev", "eth0")
        sh("ip", "-n", node(i), "link", "set", "eth0", "up")
        sh("ip", "-n", node(i), "link", "set", "lo", "up")
        os.makedirs(f"/etc/netns/{node(i)}", exist_ok=True)
        with open(f"/etc/netns/{node(i)}/hosts", "w") as f:
            f.write(hosts)
    agent = os.path.join(work, "agent.sh")
    with open(agent, "w") as f:
        f.write('#!/bin/sh\nh=$1; shift\nexec ip netns exec "$h" unshare --uts --mount --propagation private '
                'sh -c "hostname $h && mount -t tmpfs tmpfs /tmp && mount -t tmpfs tmpfs /dev/shm && exec $*"\n')
    os.chmod(agent, 0o755)
    return agent


def kill_node(i):
    for _ in range(40):
        pids = [w for w in sh("ip", "netns", "pids", node(i), check=False).split() if w.isdigit()]
        if not pids:
            return
        for p in pids:
            try:
                os.kill(int(p), 9)
            except ProcessLookupError:
                pass
        time.sleep(0.05)


def cluster_down(n):
    for i in range(1, n + 1):
        kill_node(i)
    for i in range(1, n + 1):
        sh("ip", "link", "del", veth(i), check=False)
        sh("ip", "netns", "del", node(i), check=False)
        shutil.rmtree(f"/etc/netns/{node(i)}", ignore_errors=True)
    sh("ip", "link", "del", PREFIX + "b", check=False)


def link_bytes(n):
    total = 0
    for i in range(1, n + 1):
        st = json.loads(sh("ip", "-s", "-j", "link", "show", veth(i)))[0]["stats64"]
        total += st["rx"]["bytes"] + st["tx"]["bytes"]
    return total // 2  # a frame between two nodes crosses two veths


def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def mpirun_cmd(n, agent, work, ranks, program):
    hostfile = os.path.join(work, "hostfile")
    with open(hostfile, "w") as f:
        f.write("".join(f"{node(i)} slots={ranks}\n" for i in range(1, n + 1)))
    mca = {"plm_rsh_agent": agent, "plm_rsh_no_tree_spawn": "1", "routed": "direct", "pml": "ob1",
           "btl": "tcp,self", "btl_tcp_if_include": f"{NET}.0/24", "oob_tcp_if_include": f"{NET}.0/24"}
    cmd = ["mpirun", "--allow-run-as-root", "--enable-recovery", "--hostfile", hostfile, "--map-by", "node",
           "-np", str(ranks), "--bind-to", "none"]
    for k, v in mca.items():
        cmd += ["--mca", k, v]
    shell = (f"hostname {node(1)} && mount -t tmpfs tmpfs /tmp && mount -t tmpfs tmpfs /dev/shm && "
             'exec "$@"')
    return ["ip", "netns", "exec", node(1), "unshare", "--uts", "--mount", "--propagation", "private",
            "sh", "-c", shell, "node-shell"] + cmd + program


def host_ranks(run_dir, host):
    out = set()
    for name in os.listdir(os.path.join(run_dir, "ranks")):
        with open(os.path.join(run_dir, "ranks", name)) as f:
            if json.load(f).get("host") == host:
                out.add(int(name[4:-5]))
    return out


def failover_seconds(records, kill_time, jobs, dead_ranks):
    last = 0.0
    for job in jobs:
        times = [mu.iso_seconds(r["time"]) for r in records if r.get("event") == "assigned" and
                 r["job"] == job and r["rank"] not in dead_ranks and mu.iso_seconds(r["time"]) >= kill_time]
        if not times:
            return None
        last = max(last, min(times) - kill_time)
    return last


def one_run(a, agent, ranks):
    work = os.path.join(a.work, f"r{ranks}")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    if not os.path.exists(os.path.join(a.work, "data", "train_A.txt")):
        mu.synth(a.amnl, os.path.join(a.work, "data"), "A", 12, 1)
    run_dir = os.path.join(work, "run")
    exp = os.path.join(work, "exp.json")
    mu.experiment(exp, run_dir, os.path.join(a.work, "data"), ["A"], list(range(1, a.jobs + 1)), "tiny",
                  {"max_epochs": a.epochs}, 1, checkpoint={"every_epochs": 1, "keep_last": 1},
                  fault={"heartbeat_interval_s": 1, "worker_timeout_s": 10, "progress_timeout_s": 300,
                         "max_attempts": 3, "coordinator_timeout_s": 30})
    program = [a.amnl, "run", exp, "--fake-trainer", str(a.epoch_s), "--log-level", "warn"]
    bytes0, t0 = link_bytes(a.nodes), time.time()
    proc = subprocess.Popen(mpirun_cmd(a.nodes, agent, work, ranks, program), stdout=open(work + "/mpirun.log", "w"),
                            stderr=subprocess.STDOUT, env=mu.MPI_ENV, start_new_session=True)
    cpu, pid, kill_time, dead = None, None, None, set()
    while True:
        time.sleep(0.2)
        pid = pid or mu.rank_pid(run_dir, 0)
        c = cpu_seconds(pid) if pid else None
        cpu = c if c is not None else cpu
        recs = mu.ledger(run_dir)
        done = sum(1 for r in recs if r.get("event") == "done")
        if a.kill and kill_time is None and done >= a.jobs // 2:
            dead = host_ranks(run_dir, node(a.nodes))
            sh("bridge", "link", "set", "dev", veth(a.nodes), "state", "0")
            kill_node(a.nodes)
            kill_time = time.time()
            with open(os.path.join(work, "kill_time"), "w") as f:
                f.write(f"{kill_time:.3f}\n")
        try:
            with open(os.path.join(run_dir, "outcome.json")) as f:
                outcome = json.load(f)
        except (FileNotFoundError, ValueError):
            outcome = {}
        if outcome.get("outcome", "running") != "running" or time.time() - t0 > 1800:
            break
    wall = time.time() - t0
    exited = mu.finish(proc, 10) is not None  # killed after 10 s if it lingers (issue 23)
    sh("bridge", "link", "set", "dev", veth(a.nodes), "state", "3")
    for i in range(1, a.nodes + 1):
        kill_node(i)
    recs = mu.ledger(run_dir)
    # The jobs the node took with it: those its ranks were declared dead with (a job seen
    # running at the kill may have finished just before it).
    victims = {r["job"] for r in recs if r.get("event") == "worker_dead" and r.get("rank") in dead and r.get("job")}
    assigned = sorted(mu.iso_seconds(r["time"]) for r in recs if r.get("event") == "assigned")
    span = assigned[-1] - assigned[0] if len(assigned) > 1 else float("nan")
    started = [mu.iso_seconds(r["time"]) for r in recs if r.get("event") == "session_started"]
    startup = started[0] - t0 if started else float("nan")  # launch + MPI_Init of every rank
    return {"ranks": ranks, "jobs": a.jobs, "outcome": outcome.get("outcome"), "wall_s": round(wall, 1),
            "startup_s": round(startup, 1), "run_s": round(wall - startup, 1),
            "assignments_per_s": round((len(assigned) - 1) / span, 1) if span == span and span > 0 else None,
            "rank0_cpu_per_wall_s": round(cpu / wall, 3) if cpu else None,
            "bytes_per_s_per_rank": round((link_bytes(a.nodes) - bytes0) / wall / ranks),
            "failover_s": round(failover_seconds(recs, kill_time, victims, dead), 1)
            if kill_time and victims and failover_seconds(recs, kill_time, victims, dead) is not None else None,
            "jobs_lost_with_node": len(victims), "mpirun_exited_by_itself": exited}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("amnl")
    p.add_argument("work")
    p.add_argument("--nodes", type=int, default=4)
    p.add_argument("--ranks", default="8,16,32,64")
    p.add_argument("--jobs", type=int, default=1000)
    p.add_argument("--epoch-s", type=float, default=0.05)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--kill", action="store_true")
    a = p.parse_args()
    a.work = os.path.abspath(a.work)
    if a.work.startswith("/tmp"):
        sys.exit("WORK_DIR must not be under /tmp: each node has a private /tmp")
    os.makedirs(a.work, exist_ok=True)
    agent = cluster_up(a.nodes, a.work)
    try:
        for r in [int(x) for x in a.ranks.split(",")]:
            print(json.dumps(one_run(a, agent, r)), flush=True)
    finally:
        cluster_down(a.nodes)


if __name__ == "__main__":
    main()

// Scheduling overhead and failover time. Never run by ctest.
//   bench_scheduler policy                       policy cost per job (no MPI), with and without
//                                                the fsynced ledger
//   mpirun -np 2 bench_scheduler mpi             ask-for-work -> assignment round trip over MPI
//   bench_scheduler failover AMNL_BINARY          death of a worker -> its job assigned again,
//                                                real mpirun + `amnl run --fake-trainer`
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <mpi.h>
#include <nlohmann/json.hpp>

#include "bench/bench_timing.h"
#include "bench/scheduler_drive.h"
#include "common/storage.h"
#include "orchestrator/rundir/ledger.h"
#include "orchestrator/mpi/mpi_transport.h"
#include "orchestrator/policy/scheduler.h"

using namespace amnl;
using namespace amnl::orch;
using nlohmann::json;
namespace bench = amnl::bench;

namespace {

// Every job: ready -> dispatch -> heartbeat -> progress -> result, through the policy.
double policy_us_per_job(int jobs, int workers, const LedgerSink& sink) {
  return bench::drive_every_job(jobs, workers, sink) * 1e6 / jobs;
}

int bench_policy() {
  for (auto [jobs, workers] : {std::pair{1000, 200}, std::pair{20000, 500}}) {
    size_t records = 0;
    const double us = policy_us_per_job(jobs, workers, [&](const json&) { ++records; });
    std::printf("policy: %d jobs, %d workers: %.2f us per job (%zu ledger records, not written)\n", jobs, workers, us,
                records);
  }
  const std::string dir = std::filesystem::temp_directory_path() / ("bench-ledger-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  Ledger ledger(make_posix_storage(), dir + "/ledger.jsonl");
  const double us = policy_us_per_job(300, 50, [&](const json& r) { (void)ledger.append(r); });
  std::printf("policy + ledger (fsync per record, %s): 300 jobs, 50 workers: %.0f us per job\n", dir.c_str(), us);
  std::filesystem::remove_all(dir);
  return 0;
}

// Rank 1 asks (kReady), rank 0 answers with a full-size assignment (the resolved recipe).
int bench_mpi() {
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  {
    MpiTransport t;
    const int rounds = 2000;
    AssignMsg assign;
    assign.job = "FD001-s42";
    assign.dataset = "FD001";
    assign.seed = 42;
    assign.data_dir = "/shared/data";
    assign.job_dir = "/shared/run/jobs/FD001/seed_42";
    assign.threads = 4;
    for (int i = 0; i < 60; ++i) assign.recipe["k" + std::to_string(i)] = 0.123456789 * i;
    if (t.rank() == 0) {
      for (int i = 0; i < rounds;) {
        if (auto m = t.poll(); m && m->kind == MsgKind::kReady) {
          send_msg(t, m->peer, assign);
          ++i;
        }
      }
      while (t.pending_sends()) t.progress();
    } else if (t.rank() == 1) {
      std::vector<double> us;
      for (int i = 0; i < rounds; ++i) {
        const auto t0 = bench::Clock::now();
        send_msg(t, 0, ReadyMsg{});
        while (true) {
          auto m = t.poll();
          if (m && m->kind == MsgKind::kAssign) break;
        }
        us.push_back(bench::seconds_since(t0) * 1e6);
      }
      std::sort(us.begin(), us.end());
      std::printf("mpi: ready -> assignment round trip (%zu-byte assignment), %d rounds: median %.1f us, p99 %.1f us\n",
                  assign.encode().dump().size(), rounds, us[us.size() / 2], us[us.size() * 99 / 100]);
    }
  }
  MPI_Finalize();
  return 0;
}

std::vector<json> ledger_records(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::vector<json> out;
  while (std::getline(in, line))
    if (line.size() > 9) {
      auto j = json::parse(line.substr(9), nullptr, false);
      if (!j.is_discarded()) out.push_back(j);
    }
  return out;
}

// Kills (or stops) the rank running FAKE-s1 and measures until attempt 2 of it is assigned.
double failover_once(const std::string& amnl, int sig, double worker_timeout) {
  const std::string dir = std::filesystem::temp_directory_path() / ("bench-failover-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir + "/data");
  for (const char* kind : {"train_", "test_", "RUL_"}) std::ofstream(dir + "/data/" + kind + "FAKE.txt") << "1 1\n";
  json exp{{"run_dir", "run"}, {"data_dir", "data"}, {"datasets", {"FAKE"}}, {"seeds", {1}}, {"preset", "tiny"},
           {"recipe", {{"max_epochs", 30}}},
           {"fault", {{"heartbeat_interval_s", 0.25}, {"worker_timeout_s", worker_timeout}, {"progress_timeout_s", 60},
                      {"coordinator_timeout_s", 30}}}};
  std::ofstream(dir + "/exp.json") << exp.dump();
  std::fflush(nullptr);  // or the child repeats our buffered output
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::freopen((dir + "/mpirun.log").c_str(), "w", stdout);
    ::freopen((dir + "/mpirun.log").c_str(), "a", stderr);
    ::execlp("mpirun", "mpirun", "--allow-run-as-root", "--oversubscribe", "--enable-recovery", "-np", "3",
             amnl.c_str(), "run", (dir + "/exp.json").c_str(), "--fake-trainer", "0.5", (char*)nullptr);
    ::_exit(127);
  }
  const std::string ledger = dir + "/run/ledger.jsonl";
  int victim = -1;
  for (int i = 0; i < 600 && victim < 0; ++i) {
    for (const json& r : ledger_records(ledger))
      if (r.value("event", "") == "checkpoint") victim = r["rank"];
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::ifstream rank_file(dir + "/run/ranks/rank" + std::to_string(victim) + ".json");
  json info = json::parse(rank_file, nullptr, false);
  const pid_t vpid = info.value("pid", -1);
  const auto t0 = bench::Clock::now();
  ::kill(vpid, sig);
  double took = -1;
  while (bench::seconds_since(t0) < 60 && took < 0) {
    for (const json& r : ledger_records(ledger))
      if (r.value("event", "") == "assigned" && r.value("attempt", 0) == 2) took = bench::seconds_since(t0);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (sig == SIGSTOP) ::kill(vpid, SIGCONT);
  ::kill(vpid, SIGKILL);
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  for (int r = 0; r < 3; ++r) {
    std::ifstream f(dir + "/run/ranks/rank" + std::to_string(r) + ".json");
    json j = json::parse(f, nullptr, false);
    if (j.is_object()) ::kill(j.value("pid", -1), SIGKILL);
  }
  std::filesystem::remove_all(dir);
  return took;
}

int bench_failover(const std::string& amnl) {
  const double kill_s = failover_once(amnl, SIGKILL, 3);
  std::printf("failover: SIGKILL (same host, kill(pid,0) every 0.2 s) -> job assigned again: %.3f s\n", kill_s);
  const double stop_s = failover_once(amnl, SIGSTOP, 3);
  std::printf("failover: SIGSTOP (worker_timeout_s 3, heartbeat 0.25 s) -> job assigned again: %.3f s\n", stop_s);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "policy";
  if (mode == "policy") return bench_policy();
  if (mode == "mpi") return bench_mpi();
  if (mode == "failover" && argc > 2) return bench_failover(argv[2]);
  std::fprintf(stderr, "usage: bench_scheduler policy | mpi (under mpirun -np 2) | failover AMNL_BINARY\n");
  return 2;
}

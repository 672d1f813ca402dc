#include "orchestrator/mpi/run_command.h"

#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <mpi.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

#include "common/exit_codes.h"
#include "common/logging.h"
#include "orchestrator/ranks/coordinator.h"
#include "orchestrator/rundir/experiment.h"
#include "orchestrator/ranks/fake_job_runner.h"
#include "orchestrator/mpi/mpi_transport.h"
#include "orchestrator/report/report.h"
#include "orchestrator/rundir/run_check.h"
#include "orchestrator/rundir/run_dir.h"
#include "orchestrator/rundir/run_lock.h"
#include "orchestrator/status/status_server.h"
#include "orchestrator/ranks/worker_loop.h"

namespace amnl::orch {

namespace {

// The results report at the end of a session; a report problem is logged, never the run's.
void write_report_logged(Storage& storage, const std::string& run_dir) {
  const std::string report_dir = default_report_dir(run_dir);
  if (auto r = write_report(storage, run_dir, report_dir); !r.ok())
    spdlog::warn("results report not written: {}", r.message());
  else
    spdlog::info("results report: {}/report.html", report_dir);
}

}  // namespace
namespace {

struct RunArgs {
  std::string experiment;
  std::string log_level = "info";
  double fake_epoch_s = -1;  // >= 0: use the fake trainer (tests, benchmarks)
  double finalize_timeout_s = 15;
  bool retry_failed = false;
  double ledger_failure_grace_s = 10;
  bool check = false;               // --check: validate only, no MPI
  bool treat_ranks_remote = false;  // testing: never use kill(pid, 0) on workers (as if on other hosts)
};

WorkerSignals g_signals;

extern "C" void on_preempt_signal(int sig) { g_signals.preempt_signal.store(sig); }
extern "C" void on_term_signal(int sig) { g_signals.term_signal.store(sig); }

void install_worker_signal_handlers() {
  struct sigaction sa {};
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sa.sa_handler = on_preempt_signal;
  sigaction(SIGUSR1, &sa, nullptr);
  sigaction(SIGUSR2, &sa, nullptr);
  sa.sa_handler = on_term_signal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
}

[[noreturn]] void quick_exit_flushed(int code) {
  if (auto l = spdlog::default_logger()) l->flush();
  std::fflush(nullptr);
  ::_exit(code);
}

// MPI_Finalize waits for every rank that is still alive; a rank that hangs (SIGSTOPped, stuck in
// a driver) would keep us here forever, so a watchdog ends the process with the right code.
[[noreturn]] void finalize_and_exit(int code, double timeout_s) {
  std::thread([code, timeout_s] {
    std::this_thread::sleep_for(std::chrono::duration<double>(timeout_s));
    spdlog::warn("MPI_Finalize did not return within {} s: exiting without it", timeout_s);
    quick_exit_flushed(code);
  }).detach();
  MPI_Finalize();
  quick_exit_flushed(code);
}

// The command name of process `pid` (/proc/PID/comm), "" if unreadable.
std::string process_name(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(in, name);
  return name;
}

// The session lost a rank and spans several hosts. Measured with Open MPI 4.1 across namespace
// nodes (bench/RESULTS-notes.md, "How a multi-node run ends"): mpirun then never exits by
// itself, MPI_Finalize and MPI_Abort hang or leave it running (18 of 18), SIGTERM to mpirun hangs
// when a node is silent; SIGKILL to mpirun ended it every time, in < 0.5 s, and the remote orteds
// (and any rank still there) left ~2 s later when their lifeline dropped. Rank 0 is mpirun's child
// on the first node. The outcome is durable and every live worker has said goodbye
// (Coordinator::finish), so nothing is lost. mpirun's exit status is then 137; outcome.json
// holds the run's (slurm/amnl.sbatch exits with it).
[[noreturn]] void end_mpirun_after_lost_ranks(int code, int lost) {
  const pid_t parent = ::getppid();
  const std::string name = process_name(parent);
  if (name != "mpirun" && name != "mpiexec" && name != "orterun") {
    spdlog::warn("{} rank(s) lost across hosts: the MPI job cannot end by itself, and rank 0's parent is '{}' "
                 "(pid {}), not mpirun: end it by hand (slurm/amnl.sbatch does); outcome.json is final",
                 lost, name, parent);
    quick_exit_flushed(code);
  }
  spdlog::info("{} rank(s) lost across hosts: ending mpirun (pid {}) with SIGKILL, since no MPI call ends a job "
               "that lost a rank; its exit status will be 137, the run's is {} (outcome.json)",
               lost, parent, code);
  if (auto l = spdlog::default_logger()) l->flush();
  ::kill(parent, SIGKILL);
  quick_exit_flushed(code);
}

// A worker that gave up on its coordinator (rank 0 or its node lost) on a node other than
// mpirun's: its parent orted would stay for ever, since nothing tells it the silent node is gone
// (measured: tests/cluster, rank 0's node lost). It has checkpointed and said goodbye; the orted
// has nothing left to do, so it is ended. Siblings on the node give up the same way (an orted's
// death does not kill them). Under mpirun on the same node (one node) nothing is done: mpirun
// ends once its ranks have exited.
void end_orphaned_daemon() {
  const pid_t parent = ::getppid();
  if (process_name(parent) != "orted") return;
  spdlog::warn("coordinator lost: ending this node's orted (pid {}), which would otherwise wait for it for ever",
               parent);
  if (auto l = spdlog::default_logger()) l->flush();
  ::kill(parent, SIGKILL);
}

struct Rank0End {
  int code = kExitFailed;
  int lost_ranks = 0;
  bool end_mpirun = false;
};

std::atomic<int> g_early_signal{0};
extern "C" void on_early_signal(int sig) { g_early_signal.store(sig); }

Rank0End run_rank0(const RunArgs& args, int thread_level) {
  // mpirun forwards SIGUSR1/2 at any time; until the coordinator's event loop owns them, a
  // plain handler keeps one from killing rank 0 and remembers it.
  struct sigaction sa {};
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = on_early_signal;
  for (int sig : {SIGUSR1, SIGUSR2, SIGTERM, SIGINT}) sigaction(sig, &sa, nullptr);
  init_logging("rank0");
  MpiTransport transport;
  if (transport.size() < 2) {
    spdlog::error("amnl run needs at least one worker rank: mpirun --enable-recovery -np N amnl run {} (N >= 2)",
                  args.experiment);
    return {kExitUsage, 0};
  }
  auto storage = make_posix_storage();
  auto exp = load_experiment(*storage, args.experiment);
  if (!exp) {
    spdlog::error("{}", exp.message());
    abort_workers(transport, exp.message());
    return {kExitUsage, 0};
  }
  // The run dir belongs to one live session: take it before writing anything (a log line
  // included), so that a second `amnl run` on it refuses and leaves the first one's files alone.
  auto lock = RunDirLock::acquire(exp->run_dir, new_session_id());
  if (!lock) {
    spdlog::error("{}", lock.message());
    abort_workers(transport, lock.message());
    return {kExitUsage, 0};
  }
  if (Status links = check_run_dir_entries(exp->run_dir); !links.ok()) {
    spdlog::error("{}", links.message());
    abort_workers(transport, links.message());
    return {kExitUsage, 0};
  }
  Status st = storage->make_dirs(exp->run_dir + "/logs");
  if (!st.ok()) {
    spdlog::error("run_dir {}: {}", exp->run_dir, st.message());
    abort_workers(transport, st.message());
    return {kExitUsage, 0};
  }
  init_logging("rank0", rank_log_path(exp->run_dir, 0));
  spdlog::set_level(spdlog::level::from_str(args.log_level));
  spdlog::info("amnl run {} on {} ranks (session {}, log {}, MPI thread level {})", exp->file, transport.size(),
               lock->session_id(), rank_log_path(exp->run_dir, 0), thread_level);
  CoordinatorOptions options;
  options.early_signal = &g_early_signal;
  options.session_id = lock->session_id();
  options.retry_failed = args.retry_failed;
  options.ledger_failure_grace_s = args.ledger_failure_grace_s;
  options.treat_ranks_remote = args.treat_ranks_remote;
  options.clock = std::make_shared<SteadyClock>();
  options.start_observer = [storage](const Experiment& e, const std::vector<nlohmann::json>& replayed) {
    return std::unique_ptr<RunObserver>(LiveStatus::start_for(e, storage, replayed));
  };
  options.at_end = [storage](const Experiment& e) { write_report_logged(*storage, e.run_dir); };
  Coordinator coordinator(transport, std::move(*exp), storage, options);
  const int code = coordinator.run();
  return {code, coordinator.lost_ranks(), coordinator.must_end_mpirun()};
}

void run_main(const RunArgs& args, const JobRunnerFn& real_runner) {
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) {
    // Only this thread calls MPI; the trainer's threads never do, so FUNNELED is enough.
    if (provided < MPI_THREAD_FUNNELED) std::fprintf(stderr, "warning: MPI gives thread level %d < FUNNELED\n", provided);
    const Rank0End end = run_rank0(args, provided);
    if (end.end_mpirun) end_mpirun_after_lost_ranks(end.code, end.lost_ranks);
    finalize_and_exit(end.code, args.finalize_timeout_s);
  }
  install_worker_signal_handlers();
  init_logging("rank" + std::to_string(rank));
  spdlog::set_level(spdlog::level::from_str(args.log_level));
  const JobRunnerFn runner = args.fake_epoch_s >= 0 ? make_fake_job_runner(args.fake_epoch_s) : real_runner;
  WorkerExit how;
  {
    MpiTransport transport;
    how = run_worker(transport, runner, g_signals);
  }
  switch (how) {
    case WorkerExit::kShutdown:
    case WorkerExit::kAborted:
      finalize_and_exit(kExitOk, args.finalize_timeout_s);
    case WorkerExit::kEnded:
      quick_exit_flushed(kExitOk);
    case WorkerExit::kCoordinatorLost:
      end_orphaned_daemon();
      [[fallthrough]];
    case WorkerExit::kLeft:
      // The coordinator will not finalize with us (it is gone, or it keeps running without us):
      // MPI_Finalize would block, so leave without it.
      quick_exit_flushed(kExitPreempted);
  }
  quick_exit_flushed(kExitFailed);
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code, JobRunnerFn runner) {
  auto args = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand(
      "run",
      "Train every (dataset, seed) of an experiment file across MPI ranks: "
      "mpirun --enable-recovery -np N amnl run EXPERIMENT.json (rank 0 coordinates). "
      "Exit status: 0 all done, 1 some jobs failed, 2 bad experiment file, 75 preempted/incomplete "
      "(rerun the same command to resume); see <run_dir>/outcome.json.");
  cmd->add_option("experiment", args->experiment, "experiment file (JSON)")->required();
  cmd->add_option("--log-level", args->log_level, "trace|debug|info|warn|error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  cmd->add_flag("--retry-failed", args->retry_failed,
                "Give jobs that failed for good (max_attempts used up, in any earlier session) a fresh retry "
                "budget, e.g. after fixing their data; without it a rerun leaves them failed");
  cmd->add_flag("--check", args->check,
                "Validate the experiment file (and its run dir, if it exists) as rank 0 would, without MPI; "
                "print the job count, run dir and threads, exit 0 (valid) or 2 (naming the bad key). "
                "Used by slurm/submit.sh before anything is queued");
  cmd->add_flag("--treat-ranks-remote", args->treat_ranks_remote,
                "testing: treat every worker as on another host (no PID checks; only heartbeats detect a death)")
      ->group("");
  cmd->add_option("--ledger-failure-grace", args->ledger_failure_grace_s,
                  "seconds an unwritable ledger is tolerated before the run stops cleanly")
      ->group("");
  cmd->add_option("--fake-trainer", args->fake_epoch_s, "testing: fake trainer, seconds per epoch")->group("");
  cmd->add_option("--finalize-timeout", args->finalize_timeout_s, "testing: MPI_Finalize watchdog (s)")->group("");
  cmd->callback([args, runner, &exit_code] {
    if (args->check) {
      exit_code = run_check(args->experiment, std::cout, std::cerr);
      return;
    }
    run_main(*args, runner);
    exit_code = kExitFailed;  // not reached: run_main exits the process
  });
}

}  // namespace amnl::orch

#pragma once
// Helpers for the MPI integration tests: synthetic data, experiment files, an mpirun process
// that can be signalled and is always cleaned up, ledger reading, reference jobs trained alone.
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace amnl::test {

// Writes synthetic data sets (12 units each) into `dir`: "A" (1 condition), "B" (6 conditions).
void make_orch_data(const std::string& dir);

// The inputs of a short `amnl train` job: a synthetic data set SYN of `units` units in
// DIR/data and DIR/short.json, a recipe of 2 epochs with a checkpoint every epoch.
void make_short_syn_job_inputs(const TempDir& dir, int units, int seed);
// `amnl train` of SYN seed 1 (tiny preset, short.json, 1 thread) from DIR/data into DIR/job.
CommandResult train_short_syn_job(const TempDir& dir);

// An experiment over `datasets` x `seeds` with the tiny preset, 5 epochs, a checkpoint every
// epoch, short timeouts; `patch` (merge-patched) adjusts it. Returns the file's path.
std::string write_orch_experiment(const TempDir& dir, const std::vector<std::string>& datasets,
                                  const std::vector<int>& seeds, const nlohmann::json& patch = {});

// A child process in its own process group, output appended to a file; killed (the whole
// group) when the object dies while it still runs.
class Spawned {
 public:
  Spawned(const std::vector<std::string>& argv, const std::string& log_file);
  ~Spawned() { stop(); }
  Spawned(const Spawned&) = delete;
  Spawned& operator=(const Spawned&) = delete;
  pid_t pid() const { return pid_; }
  bool running();
  int wait(double timeout_s);  // exit status, -signal, or -1000 on timeout
  void stop();                 // SIGKILL to the group if still running, and reap

 private:
  pid_t pid_ = -1;
  int status_ = -1000;
};

// `mpirun -np 3 amnl run EXPERIMENT` in its own process group, output to a file.
class MpiRun {
 public:
  // `run_args` follow `amnl run EXPERIMENT` (e.g. {"--fake-trainer", "0.2"}).
  MpiRun(const std::string& experiment, bool enable_recovery, const std::string& log_file, int np = 3,
         const std::vector<std::string>& run_args = {});
  ~MpiRun();  // kills whatever is left (mpirun's group and every rank pid recorded in run_dir)
  pid_t pid() const { return proc_.pid(); }
  // Waits for mpirun to exit; returns its exit status (-signal when killed), or -1000 on timeout.
  int wait(double timeout_s) { return proc_.wait(timeout_s); }
  bool running() { return proc_.running(); }
  std::string output() const;
  void set_run_dir(const std::string& run_dir) { run_dir_ = run_dir; }

 private:
  Spawned proc_;
  std::string log_file_, run_dir_;
};

// Runs to completion (timeout 300 s); returns mpirun's status. Output appended to `log_file`.
int run_orch(const std::string& experiment, bool enable_recovery, const std::string& log_file,
             const std::vector<std::string>& run_args = {}, int np = 3);

// The records of <run_dir>/ledger.jsonl (the valid prefix).
std::vector<nlohmann::json> read_ledger(const std::string& run_dir);
std::vector<nlohmann::json> ledger_events(const std::string& run_dir, const std::string& event,
                                          const std::string& job = "");
nlohmann::json read_json(const std::string& path);
// <run_dir>/ranks/rank<N>.json's pid, or -1.
pid_t rank_pid(const std::string& run_dir, int rank);
bool process_alive(pid_t pid);
// The process runs an amnl binary (rank files of earlier sessions may name recycled pids).
bool is_amnl_process(pid_t pid);

// No job is done yet and each of `jobs` jobs has written a checkpoint: the moment to interrupt.
bool all_running_with_checkpoint(const std::string& run_dir, size_t jobs);

// Polls `pred` every 50 ms until true or timeout; returns its last value.
bool wait_until(const std::function<bool()>& pred, double timeout_s);

// The job's metrics.json without the per-run "run" section (attempt, wall time): what must be
// equal bit for bit between a job trained by the orchestrator and the same job trained alone.
nlohmann::json job_metrics(const std::string& run_dir, const std::string& dataset, int seed);
// The same job trained alone by `amnl train` with the experiment's resolved recipe and threads.
nlohmann::json train_alone(const std::string& run_dir, const std::string& dataset, int seed,
                           const std::string& out_dir);

}  // namespace amnl::test

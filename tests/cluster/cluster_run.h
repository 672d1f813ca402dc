#pragma once
// `amnl run` under mpirun across namespace nodes, and the checks every multi-node test makes:
// every job done once, metrics equal to the job trained alone, a truthful outcome and exit
// status, mpirun gone soon after rank 0 wrote the final outcome, nothing left on any node.
// The checks are plain functions returning "" or what is wrong, so a test can state each
// assertion on its own line (and the bound of each is a parameter, not buried here).
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cluster/netns_cluster.h"
#include "integration/orch_helpers.h"

namespace amnl::test {

// An experiment dir under the cluster's shared dir (each node's /tmp is private): data "A" and
// "B" (make_orch_data), the experiment file from write_orch_experiment.
std::string write_cluster_experiment(const NetnsCluster& cluster, const std::string& name,
                                     const std::vector<std::string>& datasets, const std::vector<int>& seeds,
                                     const nlohmann::json& patch = {});

class ClusterRun {
 public:
  // mpirun -np NP amnl run EXPERIMENT RUN_ARGS..., launched in node order[0] (see
  // NetnsCluster::mpirun_argv); output to <experiment dir>/mpirun-<n>.log.
  ClusterRun(const NetnsCluster& cluster, const std::string& experiment, int np, std::vector<int> order = {},
             const std::vector<std::string>& run_args = {});
  ~ClusterRun() = default;  // Spawned kills mpirun's group; the cluster kills the rest
  ClusterRun(const ClusterRun&) = delete;
  ClusterRun& operator=(const ClusterRun&) = delete;

  const std::string& run_dir() const { return run_dir_; }
  pid_t mpirun_pid() const { return proc_.pid(); }
  bool running() { return proc_.running(); }
  int wait(double timeout_s) { return proc_.wait(timeout_s); }  // status, -signal, -1000 on timeout
  void kill_mpirun() { proc_.stop(); }
  std::string output() const;

  // outcome.json once it is final (anything but "running"), waiting up to timeout_s; else null.
  nlohmann::json wait_final_outcome(double timeout_s);
  // Seconds from rank 0's final write of outcome.json (its mtime) to mpirun's exit, waiting up
  // to `bound_s` past that write; nullopt when mpirun still ran then (or no final outcome came
  // within `outcome_timeout_s`).
  std::optional<double> exit_after_outcome(double bound_s, double outcome_timeout_s = 240);

  int rank_node(int rank) const;  // the node ranks/rank<N>.json names, 0 if unknown
  std::vector<int> ranks_on_node(int node) const;

 private:
  const NetnsCluster& cluster_;
  std::string run_dir_, log_;
  Spawned proc_;
};

// Every job of the run dir's experiment ids ("A-s1", ...).
std::vector<std::string> experiment_jobs(const std::string& run_dir);
// "" when every job of the experiment has exactly one `done` record, else which do not.
std::string jobs_not_done_once(const std::string& run_dir);

// The current attempt of every job that is assigned and not done, with its newest checkpoint.
struct RunningJob {
  std::string job;
  int rank = -1, attempt = 0, checkpoint_epoch = 0;
};
std::vector<RunningJob> running_jobs(const std::string& run_dir);
// The job `rank` runs among `running`; one with an empty name when it runs none.
RunningJob job_of_rank(const std::vector<RunningJob>& running, int rank);
// Waits until `want` jobs run at once, each with a checkpoint at >= min_epoch: the moment to
// inject a fault mid-run. Returns them, or an empty vector on timeout.
std::vector<RunningJob> wait_running_with_checkpoints(const std::string& run_dir, size_t want, int min_epoch,
                                                      double timeout_s);

// "" when <job>'s metrics equal the same job trained alone (amnl train, same recipe), else both.
std::string metrics_differ_from_alone(const std::string& run_dir, const std::string& job,
                                      const std::string& out_dir);
// "" when every ledger record a worker writes about `job` (progress, checkpoint, done,
// preempted) after its first `worker_dead` names the attempt of its `done` record, and the
// job's lease names that attempt too: the stale attempt wrote nothing. Else what was found.
std::string stale_attempt_wrote(const std::string& run_dir, const std::string& job);

// Whether `rank` was assigned a job after it was first declared dead (readmitted, new work).
bool assigned_after_death(const std::string& run_dir, int rank);

// Waits until no process is left in any node; "" then, else what is left after timeout_s.
std::string processes_left_after(const NetnsCluster& cluster, double timeout_s);

}  // namespace amnl::test

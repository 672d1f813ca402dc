#include "cluster/cluster_run.h"

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <map>

namespace amnl::test {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The next free mpirun-<n>.log in `dir`: a rerun keeps the first run's output.
std::string next_log(const std::string& dir) {
  for (int n = 1;; ++n) {
    const std::string path = dir + "/mpirun-" + std::to_string(n) + ".log";
    if (!fs::exists(path)) return path;
  }
}

// seconds since `path` was last written (system clock), or -1 when it does not exist.
double seconds_since_write(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  const auto written = std::chrono::system_clock::time_point(std::chrono::seconds(st.st_mtim.tv_sec) +
                                                             std::chrono::nanoseconds(st.st_mtim.tv_nsec));
  return std::chrono::duration<double>(std::chrono::system_clock::now() - written).count();
}

}  // namespace

std::string write_cluster_experiment(const NetnsCluster& cluster, const std::string& name,
                                     const std::vector<std::string>& datasets, const std::vector<int>& seeds,
                                     const json& patch) {
  const std::string dir = cluster.shared_dir() + "/" + name;
  fs::create_directories(dir + "/data");
  make_orch_data(dir + "/data");
  // write_orch_experiment wants a TempDir for the place; the file itself is all it writes.
  const std::string path = dir + "/experiment.json";
  TempDir scratch;
  write_file(path, read_file(write_orch_experiment(scratch, datasets, seeds, patch)));
  return path;
}

ClusterRun::ClusterRun(const NetnsCluster& cluster, const std::string& experiment, int np, std::vector<int> order,
                       const std::vector<std::string>& run_args)
    : cluster_(cluster),
      run_dir_((fs::path(experiment).parent_path() / "run").string()),
      log_(next_log(fs::path(experiment).parent_path().string())),
      proc_([&] {
        std::vector<std::string> program{cluster.visible_on_nodes(amnl_binary()), "run", experiment};
        program.insert(program.end(), run_args.begin(), run_args.end());
        return cluster.mpirun_argv(np, program, std::move(order));
      }(), log_) {}

std::string ClusterRun::output() const { return read_file(log_); }

json ClusterRun::wait_final_outcome(double timeout_s) {
  json outcome;
  const std::string path = run_dir_ + "/outcome.json";
  wait_until([&] {
    outcome = read_json(path);
    return outcome.is_object() && outcome.value("outcome", "running") != "running";
  }, timeout_s);
  return outcome.is_object() && outcome.value("outcome", "running") != "running" ? outcome : json();
}

std::optional<double> ClusterRun::exit_after_outcome(double bound_s, double outcome_timeout_s) {
  if (wait_final_outcome(outcome_timeout_s).is_null()) return std::nullopt;
  const std::string path = run_dir_ + "/outcome.json";
  // Rank 0 may rewrite the final outcome (the report's summary); the last write counts.
  wait_until([&] { return !running() || seconds_since_write(path) > bound_s; }, bound_s + 1);
  if (running()) return std::nullopt;
  return seconds_since_write(path);
}

int ClusterRun::rank_node(int rank) const {
  const json j = read_json(run_dir_ + "/ranks/rank" + std::to_string(rank) + ".json");
  return j.is_object() ? cluster_.node_of_host(j.value("host", "")) : 0;
}

std::vector<int> ClusterRun::ranks_on_node(int node) const {
  std::vector<int> out;
  for (int r = 0; fs::exists(run_dir_ + "/ranks/rank" + std::to_string(r) + ".json"); ++r)
    if (rank_node(r) == node) out.push_back(r);
  return out;
}

std::vector<std::string> experiment_jobs(const std::string& run_dir) {
  const json exp = read_json(run_dir + "/experiment.json");
  std::vector<std::string> out;
  if (!exp.is_object()) return out;
  for (const auto& ds : exp["datasets"])
    for (const auto& seed : exp["seeds"]) out.push_back(ds.get<std::string>() + "-s" + std::to_string(seed.get<int>()));
  return out;
}

std::string jobs_not_done_once(const std::string& run_dir) {
  const auto jobs = experiment_jobs(run_dir);
  if (jobs.empty()) return "no experiment.json in " + run_dir;
  std::string wrong;
  for (const std::string& job : jobs) {
    const size_t n = ledger_events(run_dir, "done", job).size();
    if (n != 1) wrong += job + " done " + std::to_string(n) + " times; ";
  }
  return wrong;
}

std::vector<RunningJob> running_jobs(const std::string& run_dir) {
  std::map<std::string, RunningJob> current;
  for (const json& r : read_ledger(run_dir)) {
    const std::string ev = r.value("event", ""), job = r.value("job", "");
    if (ev == "assigned") current[job] = RunningJob{job, r.value("rank", -1), r.value("attempt", 0), 0};
    if (ev == "checkpoint" && current.count(job) && r.value("attempt", 0) == current[job].attempt)
      current[job].checkpoint_epoch = r.value("epoch", 0);
    // Any ending of the attempt: done, failed, requeued after a death or a preemption.
    if (ev == "done" || ev == "failed" || ev == "attempt_failed" || ev == "preempted" || ev == "worker_dead")
      current.erase(job);
  }
  std::vector<RunningJob> out;
  for (auto& [job, run] : current) out.push_back(run);
  return out;
}

RunningJob job_of_rank(const std::vector<RunningJob>& running, int rank) {
  for (const RunningJob& j : running)
    if (j.rank == rank) return j;
  return {};
}

std::vector<RunningJob> wait_running_with_checkpoints(const std::string& run_dir, size_t want, int min_epoch,
                                                      double timeout_s) {
  std::vector<RunningJob> found;
  const bool ok = wait_until([&] {
    found.clear();
    for (const RunningJob& j : running_jobs(run_dir))
      if (j.checkpoint_epoch >= min_epoch) found.push_back(j);
    return found.size() >= want;
  }, timeout_s);
  return ok ? found : std::vector<RunningJob>{};
}

std::string metrics_differ_from_alone(const std::string& run_dir, const std::string& job, const std::string& out_dir) {
  const auto dash = job.rfind("-s");
  const std::string dataset = job.substr(0, dash);
  const int seed = std::stoi(job.substr(dash + 2));
  const json ran = job_metrics(run_dir, dataset, seed), alone = train_alone(run_dir, dataset, seed, out_dir);
  if (!ran.is_null() && ran == alone) return "";
  return job + ": in the run " + ran.dump() + "\nalone " + alone.dump();
}

std::string stale_attempt_wrote(const std::string& run_dir, const std::string& job) {
  const auto done = ledger_events(run_dir, "done", job);
  if (done.size() != 1) return job + " has " + std::to_string(done.size()) + " done records";
  const int final_attempt = done[0].value("attempt", 0);
  std::string wrong;
  bool after_death = false;
  for (const json& r : read_ledger(run_dir)) {
    const std::string ev = r.value("event", "");
    if (ev == "worker_dead" && r.value("job", "") == job) after_death = true;
    const bool from_worker = ev == "progress" || ev == "checkpoint" || ev == "done" || ev == "preempted";
    if (after_death && from_worker && r.value("job", "") == job && r.value("attempt", 0) != final_attempt)
      wrong += "stale record " + r.dump() + "; ";
  }
  const json lease = read_json(run_dir + "/jobs/" + job.substr(0, job.rfind("-s")) + "/seed_" +
                               job.substr(job.rfind("-s") + 2) + "/lease.json");
  if (!lease.is_object() || lease.value("attempt", 0) != final_attempt)
    wrong += "lease " + lease.dump() + " does not name the done attempt " + std::to_string(final_attempt);
  return wrong;
}

bool assigned_after_death(const std::string& run_dir, int rank) {
  bool dead = false;
  for (const json& r : read_ledger(run_dir)) {
    const std::string ev = r.value("event", "");
    if (ev == "worker_dead" && r.value("rank", -1) == rank) dead = true;
    if (dead && ev == "assigned" && r.value("rank", -1) == rank) return true;
  }
  return false;
}

std::string processes_left_after(const NetnsCluster& cluster, double timeout_s) {
  wait_until([&] { return cluster.processes().empty(); }, timeout_s);
  return cluster.describe_processes();
}

}  // namespace amnl::test

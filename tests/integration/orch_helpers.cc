#include "integration/orch_helpers.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fcntl.h>
#include <filesystem>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace amnl::test {

namespace fs = std::filesystem;
using nlohmann::json;

void make_orch_data(const std::string& dir) {
  auto a = run_command({amnl_binary(), "synth", "--out", dir, "--dataset-name", "A", "--units", "12", "--seed", "1"});
  if (a.exit_code != 0) throw std::runtime_error("synth A failed: " + a.output);
  auto b = run_command({amnl_binary(), "synth", "--out", dir, "--dataset-name", "B", "--units", "12", "--seed", "2",
                        "--conditions", "6"});
  if (b.exit_code != 0) throw std::runtime_error("synth B failed: " + b.output);
}

std::string write_orch_experiment(const TempDir& dir, const std::vector<std::string>& datasets,
                                  const std::vector<int>& seeds, const json& patch) {
  json j{{"run_dir", "run"},
         {"data_dir", "data"},
         {"datasets", datasets},
         {"seeds", seeds},
         {"preset", "tiny"},
         {"recipe", {{"max_epochs", 5}}},
         {"checkpoint", {{"every_epochs", 1}, {"keep_last", 2}}},
         {"fault", {{"heartbeat_interval_s", 0.25}, {"worker_timeout_s", 3}, {"progress_timeout_s", 60},
                    {"max_attempts", 3}, {"coordinator_timeout_s", 4}}},
         {"threads_per_rank", 1}};
  if (!patch.is_null()) j.merge_patch(patch);
  const std::string path = dir / "experiment.json";
  write_file(path, j.dump(2));
  return path;
}

void make_short_syn_job_inputs(const TempDir& dir, int units, int seed) {
  auto synth = run_command({amnl_binary(), "synth", "--out", dir / "data", "--dataset-name", "SYN", "--units",
                            std::to_string(units), "--seed", std::to_string(seed)});
  ASSERT_EQ(synth.exit_code, 0) << synth.output;
  write_file(dir / "short.json", R"({"max_epochs": 2, "checkpoint": {"every_epochs": 1}})");
}

CommandResult train_short_syn_job(const TempDir& dir) {
  return run_command({amnl_binary(), "train", "--dataset", "SYN", "--seed", "1", "--data-dir", dir / "data", "--out",
                      dir / "job", "--preset", "tiny", "--config", dir / "short.json", "--threads", "1"});
}

Spawned::Spawned(const std::vector<std::string>& argv, const std::string& log_file) {
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::setpgid(0, 0);
    int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    std::_Exit(127);
  }
  ::setpgid(pid_, pid_);
}

bool Spawned::running() {
  if (status_ != -1000) return false;
  int st = 0;
  if (::waitpid(pid_, &st, WNOHANG) == pid_) {
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
    return false;
  }
  return true;
}

int Spawned::wait(double timeout_s) {
  wait_until([this] { return !running(); }, timeout_s);
  return status_;
}

void Spawned::stop() {
  if (!running()) return;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  int st = 0;
  ::waitpid(pid_, &st, 0);
  status_ = -SIGKILL;
}

namespace {
std::vector<std::string> mpirun_argv(const std::string& experiment, bool enable_recovery, int np,
                                     const std::vector<std::string>& run_args) {
  std::vector<std::string> argv{"mpirun", "--allow-run-as-root", "--oversubscribe"};
  if (enable_recovery) argv.push_back("--enable-recovery");
  for (const std::string& a : {std::string("-np"), std::to_string(np), amnl_binary(), std::string("run"), experiment})
    argv.push_back(a);
  argv.insert(argv.end(), run_args.begin(), run_args.end());
  return argv;
}
}  // namespace

MpiRun::MpiRun(const std::string& experiment, bool enable_recovery, const std::string& log_file, int np,
               const std::vector<std::string>& run_args)
    : proc_(mpirun_argv(experiment, enable_recovery, np, run_args), log_file),
      log_file_(log_file),
      run_dir_((fs::path(experiment).parent_path() / "run").string()) {}

MpiRun::~MpiRun() {
  proc_.stop();
  for (int r = 0; r < 8; ++r) {
    const pid_t p = rank_pid(run_dir_, r);
    if (p > 0 && process_alive(p) && is_amnl_process(p)) {  // never a recycled pid
      ::kill(p, SIGCONT);
      ::kill(p, SIGKILL);
    }
  }
}

std::string MpiRun::output() const { return read_file(log_file_); }

int run_orch(const std::string& experiment, bool enable_recovery, const std::string& log_file,
             const std::vector<std::string>& run_args, int np) {
  MpiRun run(experiment, enable_recovery, log_file, np, run_args);
  return run.wait(300);
}

std::vector<json> read_ledger(const std::string& run_dir) {
  std::vector<json> out;
  std::istringstream in(read_file(run_dir + "/ledger.jsonl"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() < 10) continue;  // damaged lines cost only themselves (the ledger's rule)
    auto j = json::parse(line.substr(9), nullptr, false);
    if (j.is_discarded()) continue;
    out.push_back(j);
  }
  return out;
}

std::vector<json> ledger_events(const std::string& run_dir, const std::string& event, const std::string& job) {
  std::vector<json> out;
  for (auto& r : read_ledger(run_dir))
    if (r.value("event", "") == event && (job.empty() || r.value("job", "") == job)) out.push_back(r);
  return out;
}

json read_json(const std::string& path) {
  auto j = json::parse(read_file(path), nullptr, false);
  return j.is_discarded() ? json() : j;
}

pid_t rank_pid(const std::string& run_dir, int rank) {
  json j = read_json(run_dir + "/ranks/rank" + std::to_string(rank) + ".json");
  return j.is_object() ? j.value("pid", -1) : -1;
}

bool all_running_with_checkpoint(const std::string& run_dir, size_t jobs) {
  if (!ledger_events(run_dir, "done").empty()) return false;
  std::set<std::string> with;
  for (const json& c : ledger_events(run_dir, "checkpoint")) with.insert(c["job"]);
  return with.size() == jobs;
}

bool is_amnl_process(pid_t pid) {
  const std::string cmdline = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  return cmdline.find("amnl") != std::string::npos;
}

bool process_alive(pid_t pid) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  // A zombie (exited, not yet reaped) is not alive.
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() || stat[close + 2] != 'Z';
}

bool wait_until(const std::function<bool()>& pred, double timeout_s) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

json job_metrics(const std::string& run_dir, const std::string& dataset, int seed) {
  json m = read_json(run_dir + "/jobs/" + dataset + "/seed_" + std::to_string(seed) + "/metrics.json");
  if (m.is_object()) m.erase("run");
  return m;
}

json train_alone(const std::string& run_dir, const std::string& dataset, int seed, const std::string& out_dir) {
  const json exp = read_json(run_dir + "/experiment.json");
  const std::string cfg = out_dir + ".recipe.json";
  write_file(cfg, exp["recipe"].dump());
  auto r = run_command({amnl_binary(), "train", "--dataset", dataset, "--seed", std::to_string(seed), "--data-dir",
                        exp["data_dir"].get<std::string>(), "--out", out_dir, "--config", cfg, "--threads",
                        std::to_string(exp["threads_per_rank"].get<int>())});
  if (r.exit_code != 0) throw std::runtime_error("amnl train failed: " + r.output);
  json m = read_json(out_dir + "/metrics.json");
  if (m.is_object()) m.erase("run");
  return m;
}

}  // namespace amnl::test

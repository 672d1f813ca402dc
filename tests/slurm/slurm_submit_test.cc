// slurm/submit.sh and slurm/amnl.sbatch against a real Slurm (slurmctld + slurmd + munged started
// by each test on a private directory and ports, stopped even when the test fails): submit and
// report, preemption and requeue, a worker killed inside the job, the time limit, a bad file.
#include <signal.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>

#include "integration/orch_helpers.h"
#include "slurm/slurm_harness.h"

namespace amnl::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class SlurmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = LocalSlurm::unavailable_reason();
    if (!why.empty()) GTEST_SKIP() << "Slurm tests skipped: " << why;
    slurm_ = std::make_unique<LocalSlurm>();
    make_orch_data(dir_ / "data");
    ::unsetenv("AMNL_NO_REPORT");
    ::setenv("AMNL_MAX_WORKERS", "2", 1);  // 2 cores here
  }
  void TearDown() override {
    if (HasFailure() && slurm_) {
      std::cerr << "--- job output ---\n" << job_output() << "\n--- slurm logs ---\n" << slurm_->log_tail();
    }
    slurm_.reset();  // cancels every job, stops the daemons
  }

  std::string run_dir() const { return dir_ / "run"; }
  std::string job_output() const {
    std::string out;
    std::error_code ec;
    if (fs::is_directory(run_dir() + "/slurm", ec))
      for (auto& e : fs::directory_iterator(run_dir() + "/slurm")) out += "== " + e.path().string() + "\n" + read_file(e.path());
    return out;
  }

  struct Submitted {
    CommandResult result;
    std::string run_job, report_job;
  };
  Submitted submit(const std::string& experiment, std::vector<std::string> sbatch_opts) {
    std::vector<std::string> argv{source_dir() + "/slurm/submit.sh", experiment};
    argv.insert(argv.end(), sbatch_opts.begin(), sbatch_opts.end());
    Submitted s;
    s.result = run_command(argv);
    std::smatch m;
    if (std::regex_search(s.result.output, m, std::regex("run_job=([0-9]+)"))) s.run_job = m[1];
    if (std::regex_search(s.result.output, m, std::regex("report_job=([0-9]+)"))) s.report_job = m[1];
    if (s.run_job.empty() && std::regex_search(s.result.output, m, std::regex("run job ([0-9]+)"))) s.run_job = m[1];
    return s;
  }

  // Every job done, bit for bit equal to the same job trained alone.
  void expect_all_done(const std::vector<std::string>& datasets, const std::vector<int>& seeds) {
    const json outcome = read_json(run_dir() + "/outcome.json");
    EXPECT_EQ(outcome.value("outcome", ""), "complete") << outcome.dump();
    EXPECT_EQ(outcome["jobs"].value("done", 0), static_cast<int>(datasets.size() * seeds.size())) << outcome.dump();
    for (const auto& ds : datasets)
      for (int s : seeds)
        EXPECT_TRUE(job_metrics(run_dir(), ds, s).is_object()) << ds << " seed " << s << ": no metrics.json";
  }

  TempDir dir_;
  std::unique_ptr<LocalSlurm> slurm_;
};

// Whether this amnl has `amnl report` (another part of the project; it may not exist yet).
bool has_report_command() {
  auto r = run_command({amnl_binary(), "--help"});
  return r.output.find("\n  report ") != std::string::npos;
}

// Every (dataset, seed) is listed by the report: a line naming both, or a JSON object with both.
std::string missing_from_report(const std::string& results_dir, const std::vector<std::string>& datasets,
                                const std::vector<int>& seeds) {
  std::string text;
  std::error_code ec;
  for (auto& e : fs::recursive_directory_iterator(results_dir, ec))
    if (e.is_regular_file() && e.file_size() < (8u << 20)) text += read_file(e.path()) + "\n";
  auto tokens = [](const std::string& line) {
    std::set<std::string> t;
    std::string cur;
    for (char c : line + " ") {
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.') cur += c;
      else if (!cur.empty()) t.insert(cur), cur.clear();
    }
    return t;
  };
  std::string missing;
  for (const auto& ds : datasets)
    for (int s : seeds) {
      bool found = false;
      std::istringstream in(text);
      std::string line;
      while (!found && std::getline(in, line)) {
        auto t = tokens(line);
        found = (t.count(ds) && (t.count(std::to_string(s)) || t.count("s" + std::to_string(s)) ||
                                 t.count("seed" + std::to_string(s)))) ||
                t.count(ds + "_v7_seed" + std::to_string(s)) || line.find(ds + "-s" + std::to_string(s)) != std::string::npos;
      }
      if (!found) missing += ds + " seed " + std::to_string(s) + "; ";
    }
  return missing;
}

TEST_F(SlurmTest, SubmitRunsEverySeedThenTheReportJob) {
  const std::vector<std::string> datasets{"A", "B"};
  const std::vector<int> seeds{1, 2, 3};
  const std::string exp = write_orch_experiment(dir_, datasets, seeds, {{"recipe", {{"max_epochs", 3}}}});
  auto sub = submit(exp, {"--time=10", "--cpus-per-task=1"});
  ASSERT_EQ(sub.result.exit_code, 0) << sub.result.output;
  ASSERT_FALSE(sub.run_job.empty()) << sub.result.output;
  ASSERT_FALSE(sub.report_job.empty()) << sub.result.output;
  // Sized as min(6 jobs, cap 2) workers + 1 coordinator.
  EXPECT_NE(sub.result.output.find("on 3 tasks"), std::string::npos) << sub.result.output;
  EXPECT_NE(sub.result.output.find(run_dir() + "/results"), std::string::npos) << sub.result.output;
  EXPECT_EQ(slurm_->job_field(sub.report_job, "JobState"), "PENDING");

  ASSERT_TRUE(slurm_->wait_gone(sub.run_job, 300)) << "run job still queued";
  EXPECT_EQ(slurm_->job_field(sub.run_job, "JobState"), "COMPLETED");
  EXPECT_EQ(slurm_->job_field(sub.run_job, "ExitCode"), "0:0");
  expect_all_done(datasets, seeds);

  ASSERT_TRUE(slurm_->wait_gone(sub.report_job, 120)) << "report job still queued";
  const std::string report_out = read_file(run_dir() + "/slurm/report-" + sub.report_job + ".out");
  if (!has_report_command()) {
    std::cout << "NOTE: this amnl has no `report` command yet: only checked that the report job ran after the run job\n";
    EXPECT_NE(report_out.find("run outcome: complete"), std::string::npos) << report_out;
    return;
  }
  EXPECT_EQ(slurm_->job_field(sub.report_job, "JobState"), "COMPLETED") << report_out;
  ASSERT_TRUE(fs::is_directory(run_dir() + "/results")) << report_out;
  EXPECT_EQ(missing_from_report(run_dir() + "/results", datasets, seeds), "") << report_out;
}

TEST_F(SlurmTest, BadExperimentIsRefusedBeforeAnythingIsQueued) {
  const std::string exp = write_orch_experiment(dir_, {"A"}, {1}, {{"fault", {{"worker_timeout", 3}}}});
  auto sub = submit(exp, {"--time=10"});
  EXPECT_EQ(sub.result.exit_code, 2) << sub.result.output;
  EXPECT_NE(sub.result.output.find("fault.worker_timeout"), std::string::npos) << sub.result.output;
  EXPECT_NE(sub.result.output.find("nothing was queued"), std::string::npos) << sub.result.output;
  EXPECT_TRUE(slurm_->queued_jobs().empty());
  // A missing data set too, named by its key.
  const std::string exp2 = write_orch_experiment(dir_, {"A", "Z"}, {1});
  auto sub2 = submit(exp2, {});
  EXPECT_EQ(sub2.result.exit_code, 2) << sub2.result.output;
  EXPECT_NE(sub2.result.output.find("datasets[1]"), std::string::npos) << sub2.result.output;
  EXPECT_TRUE(slurm_->queued_jobs().empty());
}

TEST_F(SlurmTest, PreemptedJobIsRequeuedAndResumesBitForBit) {
  ::setenv("AMNL_NO_REPORT", "1", 1);
  const std::vector<int> seeds{1, 2};
  const std::string exp = write_orch_experiment(dir_, {"A"}, seeds, {{"recipe", {{"max_epochs", 6}}}});
  auto sub = submit(exp, {"--time=10"});
  ASSERT_EQ(sub.result.exit_code, 0) << sub.result.output;
  // Mid-run: once a job has a periodic checkpoint, preempt the way Slurm does (USR1 to the script).
  ASSERT_TRUE(wait_until([&] { return !ledger_events(run_dir(), "checkpoint").empty(); }, 120)) << job_output();
  auto sc = slurm_->run({"scancel", "--batch", "--signal=USR1", sub.run_job});
  ASSERT_EQ(sc.exit_code, 0) << sc.output;
  ASSERT_TRUE(slurm_->wait_gone(sub.run_job, 300)) << "job never finished";
  EXPECT_EQ(slurm_->job_field(sub.run_job, "JobState"), "COMPLETED");
  EXPECT_EQ(slurm_->job_field(sub.run_job, "ExitCode"), "0:0");
  EXPECT_GE(std::stoi("0" + slurm_->job_field(sub.run_job, "Restarts")), 1);
  const std::string out = job_output();
  EXPECT_NE(out.find("USR1 received"), std::string::npos) << out;
  EXPECT_NE(out.find("requeueing job " + sub.run_job), std::string::npos) << out;
  EXPECT_FALSE(ledger_events(run_dir(), "preempted").empty()) << "no job was preempted mid-run";
  expect_all_done({"A"}, seeds);
  // Every final result equals an uninterrupted run's, bit for bit.
  for (int s : seeds)
    EXPECT_EQ(job_metrics(run_dir(), "A", s), train_alone(run_dir(), "A", s, dir_ / ("alone" + std::to_string(s))))
        << "seed " << s;
}

TEST_F(SlurmTest, WorkerKilledInsideTheJobStillCompletesEverySeed) {
  ::setenv("AMNL_NO_REPORT", "1", 1);
  const std::vector<std::string> datasets{"A", "B"};
  const std::vector<int> seeds{1, 2};
  const std::string exp = write_orch_experiment(dir_, datasets, seeds, {{"recipe", {{"max_epochs", 4}}}});
  auto sub = submit(exp, {"--time=10"});
  ASSERT_EQ(sub.result.exit_code, 0) << sub.result.output;
  ASSERT_TRUE(wait_until([&] { return !ledger_events(run_dir(), "checkpoint").empty(); }, 120)) << job_output();
  const pid_t victim = rank_pid(run_dir(), 1);
  ASSERT_GT(victim, 0);
  ASSERT_EQ(::kill(victim, SIGKILL), 0);
  ASSERT_TRUE(slurm_->wait_gone(sub.run_job, 300)) << "job never finished";
  EXPECT_EQ(slurm_->job_field(sub.run_job, "JobState"), "COMPLETED");
  EXPECT_EQ(slurm_->job_field(sub.run_job, "Restarts"), "0");
  EXPECT_FALSE(ledger_events(run_dir(), "worker_dead").empty()) << "rank 1's death was not noticed";
  expect_all_done(datasets, seeds);
}

TEST_F(SlurmTest, TimeLimitSavesTheWorkAndTheRequeuedJobFinishesIt) {
  ::setenv("AMNL_NO_REPORT", "1", 1);
  const std::vector<int> seeds{1, 2};
  const int every = 2;
  // 72 s of training whatever the machine's speed (the fake trainer: 4 s per epoch), longer than
  // the early signal (10-40 s into a 1-minute limit: Slurm checks limits every 30 s). With the
  // real tiny trainer a quiet machine finished before the signal and nothing was tested.
  ::setenv("AMNL_RUN_ARGS", "--fake-trainer 4", 1);
  const std::string exp = write_orch_experiment(
      dir_, {"A"}, seeds, {{"recipe", {{"max_epochs", 18}}}, {"checkpoint", {{"every_epochs", every}}}});
  auto sub = submit(exp, {"--time=1", "--signal=B:USR1@50"});
  ASSERT_EQ(sub.result.exit_code, 0) << sub.result.output;
  ASSERT_TRUE(slurm_->wait_gone(sub.run_job, 420)) << "job never finished";
  const std::string out = job_output();
  EXPECT_EQ(slurm_->job_field(sub.run_job, "JobState"), "COMPLETED") << out;
  EXPECT_GE(std::stoi("0" + slurm_->job_field(sub.run_job, "Restarts")), 1) << out;
  EXPECT_NE(out.find("USR1 received"), std::string::npos) << out;
  EXPECT_EQ(out.find("DUE TO TIME LIMIT"), std::string::npos) << out;
  EXPECT_FALSE(ledger_events(run_dir(), "preempted").empty()) << "no work was interrupted by the early signal";
  expect_all_done({"A"}, seeds);
  // Nothing trained twice beyond the checkpoint interval: epochs completed across every session
  // (progress records) exceed the job's epochs by at most `every`.
  for (int s : seeds) {
    const std::string job = "A-s" + std::to_string(s);
    std::map<int, int> times;
    // An attempt's first progress record restates where it starts (epoch_seconds 0): not training.
    for (const auto& r : ledger_events(run_dir(), "progress", job))
      if (r.value("epoch", 0) >= 1 && r.value("epoch_seconds", 0.0) > 0) ++times[r.value("epoch", 0)];
    const auto done = ledger_events(run_dir(), "done", job);
    ASSERT_EQ(done.size(), 1u) << job;
    const int epochs = done[0].value("epochs_run", 0);
    int trained = 0;
    for (auto& [e, n] : times) trained += n;
    EXPECT_LE(trained, epochs + every) << job << " trained " << trained << " epochs for " << epochs;
  }
}

}  // namespace
}  // namespace amnl::test

// Names and paths from the command line and the job directory: refused before any file is
// touched, and a symbolic link inside a job directory that leads outside it is never written
// through (RUN_DIR/jobs/FD001/seed_1/checkpoints -> /tmp/elsewhere).
#include <gtest/gtest.h>

#include <filesystem>

#include "common/exit_codes.h"
#include "support/test_support.h"
#include "worker/job_runner.h"

namespace amnl {
namespace {

namespace fs = std::filesystem;

bool empty_dir(const std::string& dir) { return fs::is_empty(dir); }

TEST(HostilePaths, TrainerRefusesACheckpointsLinkLeadingOutside) {
  for (const char* sub : {"checkpoints", "logs"}) {
    test::TempDir job, elsewhere;
    fs::create_directory_symlink(elsewhere.path(), job / sub);
    JobRequest req;
    req.dataset = "FD001";
    req.seed = 1;
    req.data_dir = job / "no-data";
    req.job_dir = job.path();
    const JobResult r = run_training_job(req, JobCallbacks{});
    EXPECT_EQ(r.end, JobEnd::kFailed) << sub;
    EXPECT_NE(r.reason.find(job / sub), std::string::npos) << r.reason;
    EXPECT_NE(r.reason.find("symbolic link"), std::string::npos) << r.reason;
    EXPECT_TRUE(empty_dir(elsewhere.path())) << sub << ": something was written through the link";
  }
}

TEST(HostilePaths, TrainerRefusesHostileDatasetNamesBeforeWriting) {
  for (const std::string& name : std::vector<std::string>{"../x", "/etc/x", "a/b", std::string(4096, 'a'), std::string("a\x01"),
                                 std::string("\xff\xfe")}) {
    test::TempDir job;
    JobRequest req;
    req.dataset = name;
    req.job_dir = job / "out";
    const JobResult r = run_training_job(req, JobCallbacks{});
    EXPECT_EQ(r.end, JobEnd::kFailed);
    EXPECT_NE(r.reason.find("dataset name"), std::string::npos) << r.reason;
    EXPECT_FALSE(fs::exists(job / "out")) << "job dir created for dataset name " << name;
  }
}

// `amnl train --fresh` deletes earlier training files named after the dataset: with
// --dataset ../victim it deleted <out>/../victim_v7_seed42.pt, outside the job directory, before
// any check of the name.
TEST(HostilePaths, TrainCommandRefusesATraversalDatasetBeforeDeletingAnything) {
  test::TempDir dir;
  fs::create_directories(dir / "out/checkpoints");
  test::write_file(dir / "victim_v7_seed42.pt", "precious");
  test::write_file(dir / "victim_v7_seed42_history.json", "precious");
  test::write_file(dir / "out/checkpoints/epoch_1.pt", "x");
  const auto r = test::run_command({test::amnl_binary(), "train", "--dataset", "../victim", "--seed", "42",
                                    "--data-dir", dir.path(), "--out", dir / "out", "--fresh", "--preset", "tiny"});
  EXPECT_EQ(r.exit_code, kExitUsage) << r.output;
  EXPECT_NE(r.output.find("dataset name"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(dir / "victim_v7_seed42.pt"));
  EXPECT_TRUE(fs::exists(dir / "victim_v7_seed42_history.json"));
  EXPECT_TRUE(fs::exists(dir / "out/checkpoints/epoch_1.pt")) << "--fresh ran before the name was checked";
}

TEST(HostilePaths, SynthRefusesHostileDatasetNamesWritingNothing) {
  for (const std::string& name : std::vector<std::string>{"../x", "/tmp/x", "a/b", std::string(4096, 'a'), std::string("a\x01")}) {
    test::TempDir dir;
    const auto r = test::run_command({test::amnl_binary(), "synth", "--out", dir / "data", "--dataset-name", name,
                                      "--units", "2", "--seed", "1"});
    EXPECT_EQ(r.exit_code, kExitUsage) << r.output;
    EXPECT_NE(r.output.find("dataset name"), std::string::npos) << r.output;
    EXPECT_LT(r.output.size(), 2000u) << "the 4 KB name is echoed whole";
    EXPECT_FALSE(fs::exists(dir / "data"));
  }
}

}  // namespace
}  // namespace amnl

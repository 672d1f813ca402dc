// bench/accuracy.sh end to end on synthetic data (tiny preset, 1 dataset x 2 seeds, real mpirun):
// the benchmark script users run for hours must put the run where they asked and write the
// summary with its hand-written notes.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "integration/orch_helpers.h"

namespace amnl::test {
namespace {

using nlohmann::json;

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// Regression: a relative RUN_DIR with a directory in it (runs/x) used to be resolved twice, by
// the script against the project root and by `amnl run` against the directory of the experiment
// file the script writes beside the run dir, so the run trained in runs/runs/x and the report
// step looked in runs/x and failed ("no report") after the whole run.
TEST(AccuracyScript, RelativePathsAreTheCallersAndTheNotesAreAppended) {
  TempDir dir;
  make_orch_data(dir / "data");
  write_orch_experiment(dir, {"A"}, {1, 2});  // run_dir "run", data_dir "data": relative
  const std::string caller = dir / "caller";
  ASSERT_EQ(::mkdir(caller.c_str(), 0755), 0);
  write_file(caller + "/notes.md", "Seeds 1-2 chose nothing here.\n");

  const std::string script = source_dir() + "/bench/accuracy.sh";
  const auto r = run_command({"sh", "-c",
                              "cd '" + caller + "' && RANKS=2 AMNL_BIN='" + amnl_binary() +
                                  "' RUN_DIR=runs/acc-run OUT=acc.md NOTES=notes.md bash '" + script +
                                  "' ../experiment.json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;

  // The run and its report are under the caller's directory, nowhere else.
  const json outcome = read_json(caller + "/runs/acc-run/outcome.json");
  EXPECT_EQ(outcome["outcome"], "complete") << outcome.dump();
  EXPECT_TRUE(exists(caller + "/runs/acc-run/results/results.json"));
  EXPECT_FALSE(exists(caller + "/runs/runs")) << "run dir resolved against the experiment's directory";
  EXPECT_FALSE(exists(source_dir() + "/runs/acc-run")) << "run dir resolved against the project root";
  EXPECT_FALSE(exists(source_dir() + "/acc.md"));

  const std::string md = read_file(caller + "/acc.md");
  EXPECT_NE(md.find("Run outcome: **complete** (2 of 2 jobs done)"), std::string::npos) << md;
  EXPECT_NE(md.find("| A | 2 of 2 |"), std::string::npos) << md;
  // The ensemble of the two seeds, as results.json has it.
  const json results = read_json(caller + "/runs/acc-run/results/results.json");
  ASSERT_TRUE(results["datasets"][0]["ensemble"]["available"].get<bool>()) << results.dump();
  char cell[64];
  std::snprintf(cell, sizeof cell, "| %.2f (2 seeds) |", results["datasets"][0]["ensemble"]["test_rmse"].get<double>());
  EXPECT_NE(md.find(cell), std::string::npos) << cell << "\n" << md;
  EXPECT_NE(md.find("| ensemble RMSE |"), std::string::npos) << md;
  EXPECT_NE(md.find("| A | 1 | done |"), std::string::npos) << md;
  EXPECT_NE(md.find("| A | 2 | done |"), std::string::npos) << md;
  EXPECT_NE(md.find("## Notes (from " + caller + "/notes.md, written by hand)\n\nSeeds 1-2 chose nothing here.\n"),
            std::string::npos)
      << md;
}

}  // namespace
}  // namespace amnl::test

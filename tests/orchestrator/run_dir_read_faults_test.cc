// Reads of a run dir that fail (EIO, a stale NFS handle) while `amnl status` or the report is
// built (FaultInjectingStorage::fail_reads_of): each is reported naming its file, never a crash
// and never a silent skip. Every read goes through the storage seam, so these faults reach them.
#include <gtest/gtest.h>

#include "common/fault_injecting_storage.h"
#include "orchestrator/report/report.h"
#include "orchestrator/report/report_collect.h"
#include "orchestrator/status/status_load.h"
#include "report_fixture.h"

namespace amnl::orch {
namespace {

using nlohmann::json;

class RunDirReadFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    r.experiment({"FD001"}, {1, 2});
    r.data_files("FD001");
    r.done_job("FD001", 1, 11.0);
    r.done_job("FD001", 2, 12.0);
    test::run_command({"mkdir", "-p", r.run_dir + "/ranks"});
    test::write_file(r.run_dir + "/ranks/rank0.json", json{{"rank", 0}, {"pid", 1}, {"host", "head"}}.dump());
    test::write_file(r.run_dir + "/ranks/rank1.json", json{{"rank", 1}, {"pid", 2}, {"host", "node-a"}}.dump());
  }
  // `amnl status` with every read of a path containing `path_part` failing; its warnings joined.
  json status_with_failing_reads(const std::string& path_part, std::string& warnings) {
    storage.fail_reads_of(path_part);
    auto doc = load_run_status(storage, r.run_dir, 1714564800.0);
    EXPECT_TRUE(doc.ok()) << doc.message();
    if (!doc.ok()) return json::object();
    for (const json& w : (*doc)["warnings"]) warnings += w.get<std::string>() + "\n";
    return *doc;
  }
  test::ReportRunDir r;
  FaultInjectingStorage storage{make_posix_storage()};
};

// A rank file that cannot be read was skipped without a word: the rank's host just vanished.
TEST_F(RunDirReadFaults, StatusNamesARankFileItCannotRead) {
  std::string warnings;
  const json doc = status_with_failing_reads("ranks/rank1.json", warnings);
  EXPECT_NE(warnings.find(r.run_dir + "/ranks/rank1.json: injected read failure"), std::string::npos) << warnings;
  EXPECT_EQ(warnings.find("rank0.json"), std::string::npos) << warnings;
  EXPECT_EQ(doc["coordinator"]["host"], "head");  // the readable ones still count
}

// experiment.json unreadable: the warning says why (the read's error), not only "unreadable".
TEST_F(RunDirReadFaults, StatusSaysWhyExperimentJsonCannotBeRead) {
  std::string warnings;
  const json doc = status_with_failing_reads("experiment.json", warnings);
  EXPECT_NE(warnings.find(r.run_dir + "/experiment.json: injected read failure"), std::string::npos) << warnings;
  EXPECT_EQ(doc["jobs"].size(), 2u);  // taken from the ledger
}

TEST_F(RunDirReadFaults, StatusNamesAnOutcomeItCannotRead) {
  test::write_file(r.run_dir + "/outcome.json", json{{"outcome", "complete"}, {"exit_code", 0}}.dump());
  std::string warnings;
  const json doc = status_with_failing_reads("outcome.json", warnings);
  EXPECT_NE(warnings.find(r.run_dir + "/outcome.json: injected read failure"), std::string::npos) << warnings;
  EXPECT_TRUE(doc["outcome"].is_null());
}

// An unlistable run dir is refused through the storage seam, naming it (it used to be checked
// on the real file system, past the seam).
TEST_F(RunDirReadFaults, AnUnlistableRunDirIsRefusedNamingIt) {
  storage.fail_reads_of(r.run_dir);
  auto doc = load_run_status(storage, r.run_dir, 1714564800.0);
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.message().find("run dir " + r.run_dir), std::string::npos) << doc.message();
  EXPECT_NE(doc.message().find("injected read failure"), std::string::npos) << doc.message();
  auto run = collect_run_results(storage, r.run_dir, false);
  ASSERT_FALSE(run.ok());
  EXPECT_NE(run.message().find("injected read failure"), std::string::npos) << run.message();
}

// Each job file the report cannot read is a problem of its seed that names the file; the seed
// falls back to the ledger's metrics, and the report is still written.
TEST_F(RunDirReadFaults, TheReportNamesEachJobFileItCannotRead) {
  const std::string dir = r.job_dir("FD001", 1);
  storage.fail_reads_of(dir + "/");
  auto run = collect_run_results(storage, r.run_dir, false);
  ASSERT_TRUE(run.ok()) << run.message();
  const SeedResult& s1 = run->seeds_results[0];
  std::string problems;
  for (const std::string& p : s1.problems) problems += p + "\n";
  for (const char* file : {"/metrics.json: injected", "/FD001_v7_seed1_history.json: injected",
                           "/test_predictions.csv: injected"})
    EXPECT_NE(problems.find(dir + file), std::string::npos) << file << " in\n" << problems;
  EXPECT_EQ(s1.metrics_source, "ledger done record");
  EXPECT_TRUE(run->seeds_results[1].problems.empty());
  auto summary = write_report(storage, r.run_dir, r.dir / "out", {"/nonexistent/gnuplot", ""});
  ASSERT_TRUE(summary.ok()) << summary.message();
  EXPECT_NE(test::read_file(r.dir / "out/report.md").find(dir + "/metrics.json: injected"), std::string::npos);
}

TEST_F(RunDirReadFaults, TheReportNamesALedgerItCannotRead) {
  storage.fail_reads_of("ledger.jsonl");
  auto run = collect_run_results(storage, r.run_dir, false);
  ASSERT_TRUE(run.ok()) << run.message();
  std::string warnings;
  for (const std::string& w : run->warnings) warnings += w + "\n";
  EXPECT_NE(warnings.find(r.run_dir + "/ledger.jsonl: injected read failure"), std::string::npos) << warnings;
}

}  // namespace
}  // namespace amnl::orch

// The results report on hand-made run dirs with known answers: aggregates recomputed here
// independently (mean, sample std, t-interval from table quantiles), failed/running/pending/
// missing seeds listed with reasons, damaged files named, the CSV parsed back, --compare.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numeric>

#include "common/storage.h"
#include "orchestrator/report/report.h"
#include "orchestrator/report/report_collect.h"
#include "report_fixture.h"

namespace amnl::orch {
namespace {

using nlohmann::json;
using test::read_file;
using test::dataset_of;
using test::ReportRunDir;
using test::seed_of;

// t(0.975, df) from printed tables, so the test does not share the code under test.
const std::map<int, double> kT975 = {{1, 12.7062047}, {2, 4.3026527}, {4, 2.7764451}};

struct Expected {
  double mean, sd, lo, hi;
};
Expected expected_of(const std::vector<double>& v) {
  const double n = static_cast<double>(v.size());
  const double mean = std::accumulate(v.begin(), v.end(), 0.0) / n;
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  const double sd = std::sqrt(ss / (n - 1));
  const double half = kT975.at(static_cast<int>(v.size()) - 1) * sd / std::sqrt(n);
  return {mean, sd, mean - half, mean + half};
}

// RFC 4180 rows (quoted fields may hold commas and doubled quotes).
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') field += '"', ++i;
      else if (c == '"') quoted = false;
      else field += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(field);
      field.clear();
    } else if (c == '\n') {
      row.push_back(field);
      field.clear();
      rows.push_back(row);
      row.clear();
    } else {
      field += c;
    }
  }
  return rows;
}


class ReportTest : public ::testing::Test {
 protected:
  // FD001: 5 done (8..12); FD002: 3 done (10, 11, 12), s4 failed, s5 missing;
  // SYN: 2 done (10, 12), s3 running, s4 pending after a failed attempt, s5 done with a broken
  // metrics.json; ONE: 1 done (9.5), the rest missing.
  void SetUp() override {
    r.experiment({"FD001", "FD002", "SYN", "ONE"}, {1, 2, 3, 4, 5});
    r.data_files("FD001");
    r.record({{"event", "session_started"}, {"session", "a"}, {"ranks", 3}});
    for (int s = 1; s <= 5; ++s) r.done_job("FD001", s, 7.0 + s, s == 2 || s == 3 ? 2 : 1, s == 2 ? 3 : -1);
    for (int s = 1; s <= 3; ++s) r.done_job("FD002", s, 9.0 + s);
    r.record({{"event", "assigned"}, {"job", "FD002-s4"}, {"attempt", 3}, {"rank", 2}});
    r.record({{"event", "failed"}, {"job", "FD002-s4"}, {"attempt", 3}, {"failures", 3}, {"reason", "NaN loss at epoch 2"}});
    r.done_job("SYN", 1, 10.0);
    r.done_job("SYN", 2, 12.0);
    r.record({{"event", "assigned"}, {"job", "SYN-s4"}, {"attempt", 1}, {"rank", 2}});
    r.record({{"event", "attempt_failed"}, {"job", "SYN-s4"}, {"attempt", 1}, {"failures", 1}, {"max_attempts", 3},
              {"reason", "disk hiccup"}});
    r.done_job("SYN", 5, 99.0, 1, -1, /*metrics_in_ledger=*/false);
    test::write_file(r.job_dir("SYN", 5) + "/metrics.json", "{\"test_rmse\": 1");  // torn
    r.done_job("ONE", 1, 9.5);
    r.record({{"event", "assigned"}, {"job", "SYN-s3"}, {"attempt", 1}, {"rank", 1}});
    r.record({{"event", "progress"}, {"job", "SYN-s3"}, {"attempt", 1}, {"rank", 1}, {"epoch", 2}, {"max_epochs", 6},
              {"val_rmse", 20.0}, {"best_val_rmse", 20.0}, {"epoch_seconds", 1.0}});
  }

  json write(const ReportOptions& options = {}) {
    auto summary = write_report(*storage, r.run_dir, out(), options);
    EXPECT_TRUE(summary.ok()) << summary.message();
    if (summary.ok()) last = *summary;
    return json::parse(read_file(out() + "/results.json"));
  }
  std::string out() const { return r.run_dir + "/results"; }

  ReportRunDir r;
  std::shared_ptr<Storage> storage = make_posix_storage();
  ReportSummary last;
  ReportOptions no_plots{"/nonexistent/gnuplot", ""};
};

TEST_F(ReportTest, AggregatesMatchAnIndependentComputation) {
  const json results = write(no_plots);
  struct Case {
    const char* dataset;
    std::vector<double> values;
  };
  for (const Case& c : {Case{"FD001", {8, 9, 10, 11, 12}}, Case{"FD002", {10, 11, 12}}, Case{"SYN", {10, 12}}}) {
    SCOPED_TRACE(c.dataset);
    const Expected e = expected_of(c.values);
    const json& d = dataset_of(results, c.dataset)["test_rmse"];
    EXPECT_EQ(d["n"], c.values.size());
    EXPECT_NEAR(d["mean"].get<double>(), e.mean, 1e-9);
    EXPECT_NEAR(d["sd"].get<double>(), e.sd, 1e-9);
    EXPECT_NEAR(d["ci95"][0].get<double>(), e.lo, 1e-6);
    EXPECT_NEAR(d["ci95"][1].get<double>(), e.hi, 1e-6);
    EXPECT_EQ(d["min"], *std::min_element(c.values.begin(), c.values.end()));
    EXPECT_EQ(d["max"], *std::max_element(c.values.begin(), c.values.end()));
  }
  // n = 1: a mean, no interval, and the report says so.
  const json& one = dataset_of(results, "ONE");
  EXPECT_EQ(one["test_rmse"]["n"], 1);
  EXPECT_EQ(one["test_rmse"]["mean"], 9.5);
  EXPECT_TRUE(one["test_rmse"]["ci95"].is_null());
  EXPECT_EQ(one["test_rmse"]["interval_note"], "n=1: no interval");
  EXPECT_NE(read_file(out() + "/report.md").find("n=1: no interval"), std::string::npos);
  EXPECT_NE(last.per_dataset_table.find("n=1: no interval"), std::string::npos);
}

TEST_F(ReportTest, PublishedReferenceAndConstantBaselineSitBesideTheMean) {
  const json results = write(no_plots);
  const json& fd1 = dataset_of(results, "FD001");
  EXPECT_EQ(fd1["reference"]["mean"], 10.43);
  EXPECT_EQ(fd1["reference"]["sd"], 1.94);
  EXPECT_NEAR(fd1["reference"]["difference"].get<double>(), 10.0 - 10.43, 1e-9);
  EXPECT_EQ(dataset_of(results, "FD002")["reference"]["mean"], 6.74);
  EXPECT_TRUE(dataset_of(results, "SYN")["reference"].is_null());  // only FD001..FD004 have one
  // Constant 9/7 (mean training RUL) against true RUL 10 and min(200, 125).
  const double c = 9.0 / 7.0;
  const double expected = std::sqrt(((c - 10) * (c - 10) + (c - 125) * (c - 125)) / 2);
  EXPECT_NEAR(fd1["baseline"]["test_rmse"].get<double>(), expected, 1e-9);
  EXPECT_NEAR(fd1["baseline"]["predicted_rul"].get<double>(), c, 1e-12);
  // FD002 has no data files here: the report says why instead of a number.
  EXPECT_TRUE(dataset_of(results, "FD002")["baseline"]["test_rmse"].is_null());
  EXPECT_NE(dataset_of(results, "FD002")["baseline"]["why_not"].get<std::string>().find("train_FD002.txt"),
            std::string::npos);
  const std::string md = read_file(out() + "/report.md");
  // 3.162: the ensemble RMSE, sqrt(80 / 8) from the fixture's (identical) per-seed predictions.
  EXPECT_NE(md.find("| FD001 | 5 / 5 | 10.000 | 1.581 | [8.037, 11.963] | 8.000 | 12.000 | 3.162 | 10.43 ± 1.94 | -0.43 | "),
            std::string::npos) << md;
}

TEST_F(ReportTest, SeedsNotDoneAreListedWithTheirReason) {
  const json results = write(no_plots);
  EXPECT_EQ(seed_of(results, "FD002-s4")["state"], "failed");
  EXPECT_NE(seed_of(results, "FD002-s4")["reason"].get<std::string>().find("NaN loss at epoch 2"), std::string::npos);
  EXPECT_EQ(seed_of(results, "FD002-s5")["state"], "missing");
  EXPECT_EQ(seed_of(results, "SYN-s3")["state"], "running");
  EXPECT_NE(seed_of(results, "SYN-s3")["reason"].get<std::string>().find("epoch 2 of at most 6"), std::string::npos);
  EXPECT_EQ(seed_of(results, "SYN-s4")["state"], "pending");
  EXPECT_NE(seed_of(results, "SYN-s4")["reason"].get<std::string>().find("disk hiccup"), std::string::npos);
  // Done, but its metrics.json is torn and the done record has none: named, left out, listed.
  const json& s5 = seed_of(results, "SYN-s5");
  EXPECT_EQ(s5["state"], "done");
  EXPECT_NE(s5["problems"].dump().find("seed_5/metrics.json: not valid JSON"), std::string::npos) << s5.dump();
  EXPECT_TRUE(s5["test_rmse"].is_null());
  EXPECT_NE(dataset_of(results, "SYN")["not_done"].dump().find("SYN-s5: done but without readable metrics"),
            std::string::npos);
  const json& fd2 = dataset_of(results, "FD002");
  EXPECT_EQ(fd2["done"], 3);
  EXPECT_EQ(fd2["planned"], 5);
  const std::string not_done = fd2["not_done"].dump();
  EXPECT_NE(not_done.find("FD002-s4: failed"), std::string::npos);
  EXPECT_NE(not_done.find("FD002-s5: missing"), std::string::npos);
  EXPECT_EQ(dataset_of(results, "ONE")["not_done"].size(), 4u);
  const std::string md = read_file(out() + "/report.md");
  for (const char* s : {"FD002-s4: failed", "FD002-s5: missing", "SYN-s3: running", "SYN-s4: pending", "ONE-s5: missing"})
    EXPECT_NE(md.find(s), std::string::npos) << s;
}

TEST_F(ReportTest, ResumesCountRealResumesNotAttempts) {
  const json results = write(no_plots);
  EXPECT_EQ(seed_of(results, "FD001-s2")["attempts"], 2);
  EXPECT_EQ(seed_of(results, "FD001-s2")["resumes"], 1);
  EXPECT_EQ(seed_of(results, "FD001-s2")["resumed_from_epoch"], 3);
  EXPECT_EQ(seed_of(results, "FD001-s3")["attempts"], 2);  // retried from scratch
  EXPECT_EQ(seed_of(results, "FD001-s3")["resumes"], 0);
  EXPECT_EQ(seed_of(results, "FD001-s1")["protocol"], "validation selection");
  EXPECT_EQ(seed_of(results, "FD001-s1")["best_epoch"], 4);
  EXPECT_EQ(seed_of(results, "FD001-s1")["wall_seconds"], 12.5);
}

TEST_F(ReportTest, CsvParsesBackWithOneRowPerPlannedSeed) {
  write(no_plots);
  const auto rows = parse_csv(read_file(out() + "/per_seed.csv"));
  ASSERT_EQ(rows.size(), 1u + 20u);
  const auto& header = rows[0];
  for (const auto& row : rows) ASSERT_EQ(row.size(), header.size());
  auto col = [&](const std::string& name) {
    return static_cast<size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  ASSERT_LT(col("test_rmse"), header.size());
  ASSERT_LT(col("reason"), header.size());
  std::map<std::string, std::vector<std::string>> by_job;
  for (size_t i = 1; i < rows.size(); ++i) by_job[rows[i][col("job")]] = rows[i];
  EXPECT_DOUBLE_EQ(std::stod(by_job["FD001-s3"][col("test_rmse")]), 10.0);
  EXPECT_EQ(by_job["FD001-s2"][col("resumes")], "1");
  EXPECT_EQ(by_job["FD002-s4"][col("state")], "failed");
  EXPECT_EQ(by_job["FD002-s4"][col("test_rmse")], "");  // pandas: NaN
  EXPECT_NE(by_job["FD002-s4"][col("reason")].find("NaN loss"), std::string::npos);
  EXPECT_NE(by_job["SYN-s5"][col("problems")].find("not valid JSON"), std::string::npos);
}

TEST_F(ReportTest, WithoutGnuplotTheReportSaysSoAndWritesEverythingElse) {
  const json results = write(no_plots);
  EXPECT_FALSE(results["plots"]["rendered"]);
  EXPECT_NE(results["plots"]["why_not"].get<std::string>().find("/nonexistent/gnuplot"), std::string::npos);
  EXPECT_NE(read_file(out() + "/report.md").find("Plots not rendered: gnuplot not available"), std::string::npos);
  EXPECT_NE(read_file(out() + "/report.html").find("Plots not rendered"), std::string::npos);
  EXPECT_FALSE(last.plots);
  EXPECT_FALSE(test::run_command({"test", "-e", out() + "/plots/seed_rmse.png"}).exit_code == 0);
}

TEST_F(ReportTest, ReadingChangesNothingInTheRunDir) {
  const std::string ledger = read_file(r.run_dir + "/ledger.jsonl");
  const std::string metrics = read_file(r.job_dir("FD001", 1) + "/metrics.json");
  write(no_plots);
  EXPECT_EQ(read_file(r.run_dir + "/ledger.jsonl"), ledger);
  EXPECT_EQ(read_file(r.job_dir("FD001", 1) + "/metrics.json"), metrics);
}

TEST_F(ReportTest, ATornLedgerIsNamedAndTheValidRecordsStillCount) {
  r.raw_ledger_bytes("deadbeef {\"event\":\"done\",\"job\":\"ONE-s2\"");  // torn, no newline
  const json results = write(no_plots);
  EXPECT_NE(results["warnings"].dump().find("ledger.jsonl: 1 damaged line"), std::string::npos) << results["warnings"];
  EXPECT_EQ(dataset_of(results, "FD001")["test_rmse"]["n"], 5);
  EXPECT_EQ(seed_of(results, "ONE-s2")["state"], "missing");
}

TEST_F(ReportTest, ATornMetricsFileFallsBackToTheLedgerDoneRecord) {
  test::write_file(r.job_dir("FD001", 1) + "/metrics.json", "{\"test_rmse\": 8");
  const json results = write(no_plots);
  const json& s1 = seed_of(results, "FD001-s1");
  EXPECT_NE(s1["problems"].dump().find("seed_1/metrics.json: not valid JSON"), std::string::npos) << s1.dump();
  EXPECT_EQ(s1["metrics_source"], "ledger done record");
  EXPECT_EQ(s1["test_rmse"], 8.0);
  EXPECT_EQ(dataset_of(results, "FD001")["test_rmse"]["n"], 5);
}

TEST_F(ReportTest, MetricsWithoutALedgerRecordStillCountButAreFlagged) {
  r.job_file("ONE", 2, "metrics.json", r.metrics("ONE", 2, 11.5).dump());
  const json results = write(no_plots);
  EXPECT_EQ(seed_of(results, "ONE-s2")["state"], "done");
  EXPECT_NE(seed_of(results, "ONE-s2")["problems"].dump().find("no done record"), std::string::npos);
  EXPECT_EQ(dataset_of(results, "ONE")["test_rmse"]["n"], 2);
}

TEST_F(ReportTest, AMetricsFileWithAMistypedFieldIsNamed) {
  json m = r.metrics("ONE", 3, 1.0);
  m["test_mae"] = "big";
  r.job_file("ONE", 3, "metrics.json", m.dump());
  const json results = write(no_plots);
  EXPECT_NE(seed_of(results, "ONE-s3")["problems"].dump().find("field 'test_mae' is missing or not a finite number"),
            std::string::npos);
  EXPECT_EQ(dataset_of(results, "ONE")["test_rmse"]["n"], 1);  // left out of the statistics
}

TEST_F(ReportTest, SelectionOnTestIsLabelledAsLeaking) {
  ReportRunDir leak;
  leak.experiment({"FD003"}, {1}, "test");
  leak.done_job("FD003", 1, 9.0);
  json m = leak.metrics("FD003", 1, 9.0);
  m["selection"] = "test";
  test::write_file(leak.job_dir("FD003", 1) + "/metrics.json", m.dump());
  auto s = write_report(*storage, leak.run_dir, leak.run_dir + "/results", no_plots);
  ASSERT_TRUE(s.ok()) << s.message();
  const json results = json::parse(read_file(leak.run_dir + "/results/results.json"));
  EXPECT_EQ(seed_of(results, "FD003-s1")["protocol"], "selected on test: leaks");
  EXPECT_EQ(dataset_of(results, "FD003")["protocol"], "selected on test: leaks");
  EXPECT_NE(read_file(leak.run_dir + "/results/report.md").find("Selected on test: leaks"), std::string::npos);
}

// The data files changed during the run (seed 3 trained after they were regenerated): the
// dataset's mean would mix two data sets. The report says which seeds trained on which files;
// seeds on the same files, or without the field (older runs), raise nothing.
TEST_F(ReportTest, SeedsTrainedOnDifferentDataFilesAreFlagged) {
  ReportRunDir d;
  d.experiment({"FD001", "FD003"}, {1, 2, 3});
  for (const char* ds : {"FD001", "FD003"})
    for (int s = 1; s <= 3; ++s) {
      d.done_job(ds, s, 13.0 + s);
      json m = json::parse(test::read_file(d.job_dir(ds, s) + "/metrics.json"));
      if (std::string(ds) == "FD001") m["data_crc32"] = s < 3 ? "0a1b2c3d" : "99887766";
      if (std::string(ds) == "FD003" && s < 3) m["data_crc32"] = "12345678";  // s3: not recorded
      test::write_file(d.job_dir(ds, s) + "/metrics.json", m.dump());
    }
  auto run = collect_run_results(*storage, d.run_dir, /*with_baseline=*/false);
  ASSERT_TRUE(run.ok()) << run.message();
  ASSERT_EQ(run->warnings.size(), 1u) << json(run->warnings).dump();
  EXPECT_NE(run->warnings[0].find("FD001: its seeds trained on different data files (s1, s2 on data files crc32 "
                                  "0a1b2c3d; s3 on data files crc32 99887766)"),
            std::string::npos)
      << run->warnings[0];
  EXPECT_EQ(run->dataset_results[0].mixed_data.empty(), false);
  EXPECT_EQ(run->dataset_results[1].mixed_data, "");
  EXPECT_EQ(run->seeds_results[0].data_crc32, "0a1b2c3d");
  ASSERT_TRUE(write_report(*storage, d.run_dir, d.run_dir + "/results", {"/nonexistent/gnuplot", ""}).ok());
  EXPECT_NE(test::read_file(d.run_dir + "/results/report.md").find("> Warning: FD001: its seeds trained on different"),
            std::string::npos);
  const json results = json::parse(test::read_file(d.run_dir + "/results/results.json"));
  EXPECT_EQ(results["seeds"][2]["data_crc32"], "99887766") << results["seeds"][2].dump();
}

// max_attempts is a field decode_ledger does not type-check. Read with json::value(), a string
// there threw part-way through the attempt_failed record: the seed was left "pending" with the
// reason of a job never started, and a warning called the record unusable; a number beyond
// int range was converted with undefined behaviour. Such a field reads as if it were absent.
TEST_F(ReportTest, AMistypedFieldTheLedgerDoesNotCheckIsReadAsAbsent) {
  ReportRunDir d;
  d.experiment({"FD001"}, {1, 2, 3});
  const std::vector<json> max_attempts = {"3", 1e300, nullptr};  // null: the field left out
  for (int s = 1; s <= 3; ++s) {
    d.record({{"event", "assigned"}, {"job", d.job("FD001", s)}, {"attempt", 1}, {"rank", 1}});
    json failed = {{"event", "attempt_failed"}, {"job", d.job("FD001", s)}, {"attempt", 1}, {"failures", 1},
                   {"reason", "out of memory"}};
    if (!max_attempts[s - 1].is_null()) failed["max_attempts"] = max_attempts[s - 1];
    d.record(failed);
  }
  auto run = collect_run_results(*storage, d.run_dir, /*with_baseline=*/false);
  ASSERT_TRUE(run.ok()) << run.message();
  EXPECT_TRUE(run->warnings.empty()) << json(run->warnings).dump();
  ASSERT_EQ(run->seeds_results.size(), 3u);
  const std::string absent = run->seeds_results[2].reason;
  EXPECT_NE(absent.find("attempt 1 failed"), std::string::npos) << absent;
  EXPECT_NE(absent.find("out of memory"), std::string::npos) << absent;
  EXPECT_EQ(absent.find("of 0 allowed"), std::string::npos) << absent;  // no made-up limit
  for (const SeedResult& s : run->seeds_results) {
    EXPECT_EQ(s.state, "pending") << s.job;
    EXPECT_EQ(s.reason, absent) << s.job;
  }
}

TEST_F(ReportTest, NotARunDirIsAClearError) {
  test::TempDir empty;
  auto s = write_report(*storage, empty.path(), empty / "out", no_plots);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("is not an amnl run dir"), std::string::npos) << s.message();
  auto missing = write_report(*storage, empty / "nope", empty / "out", no_plots);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("does not exist"), std::string::npos);
}

TEST_F(ReportTest, CompareGivesWelchAndPairedTests) {
  ReportRunDir b;
  b.experiment({"FD001"}, {1, 2, 3, 4, 5});
  const std::vector<double> shift = {1.0, 1.5, 0.5, 1.2, 0.8};
  for (int s = 1; s <= 4; ++s) b.done_job("FD001", s, 7.0 + s + shift[s - 1]);  // s5 not done in B
  ReportOptions options = no_plots;
  options.compare_run_dir = b.run_dir;
  write(options);
  const json c = json::parse(read_file(out() + "/comparison.json"));
  const json& d = c["datasets"][0];
  EXPECT_EQ(d["dataset"], "FD001");
  EXPECT_EQ(d["a"]["n"], 5);
  EXPECT_EQ(d["b"]["n"], 4);
  EXPECT_TRUE(d["welch"]["valid"]);
  EXPECT_NEAR(d["welch"]["difference"].get<double>(), 10.0 - (9 + 10.5 + 10.5 + 12.2) / 4, 1e-9);
  EXPECT_EQ(d["paired_seeds"], json::array({1, 2, 3, 4}));
  // Paired differences A - B over seeds 1..4: -1, -1.5, -0.5, -1.2.
  const std::vector<double> diff = {-1.0, -1.5, -0.5, -1.2};
  const double mean = (-1.0 - 1.5 - 0.5 - 1.2) / 4;
  double ss = 0;
  for (double x : diff) ss += (x - mean) * (x - mean);
  EXPECT_NEAR(d["paired"]["difference"].get<double>(), mean, 1e-9);
  EXPECT_NEAR(d["paired"]["t"].get<double>(), mean / (std::sqrt(ss / 3) / 2), 1e-9);
  EXPECT_EQ(d["paired"]["df"], 3);
  EXPECT_LT(d["paired"]["p_two_sided"].get<double>(), 0.05);
  EXPECT_NE(last.comparison_table.find("FD001"), std::string::npos);
  EXPECT_NE(read_file(out() + "/report.md").find("## Comparison"), std::string::npos);
  EXPECT_TRUE(d["different_data"].is_null()) << d.dump();  // no fingerprints recorded: nothing said
}

// Two runs trained on different data files: the comparison says so (its difference is not the
// recipes' alone); the same files, or one run without fingerprints, raise nothing.
TEST_F(ReportTest, CompareWarnsWhenTheRunsTrainedOnDifferentDataFiles) {
  ReportRunDir b;
  b.experiment({"FD001"}, {1, 2, 3, 4, 5});
  for (int s = 1; s <= 5; ++s) b.done_job("FD001", s, 9.0 + s);
  auto fingerprint = [](const ReportRunDir& run, const std::string& crc) {
    for (int s = 1; s <= 5; ++s) {
      json m = json::parse(read_file(run.job_dir("FD001", s) + "/metrics.json"));
      m["data_crc32"] = crc;
      test::write_file(run.job_dir("FD001", s) + "/metrics.json", m.dump());
    }
  };
  fingerprint(r, "aaaa0001");
  fingerprint(b, "bbbb0002");
  ReportOptions options = no_plots;
  options.compare_run_dir = b.run_dir;
  write(options);
  json d = json::parse(read_file(out() + "/comparison.json"))["datasets"][0];
  ASSERT_EQ(d["dataset"], "FD001");
  ASSERT_TRUE(d["different_data"].is_string()) << d.dump();
  EXPECT_NE(d["different_data"].get<std::string>().find("crc32 A: aaaa0001; B: bbbb0002"), std::string::npos);
  EXPECT_NE(last.comparison_table.find("warning: FD001: A and B trained on different data files"), std::string::npos)
      << last.comparison_table;
  EXPECT_NE(read_file(out() + "/report.md").find("> Warning: FD001: A and B trained on different data files"),
            std::string::npos);
  fingerprint(b, "aaaa0001");
  write(options);
  d = json::parse(read_file(out() + "/comparison.json"))["datasets"][0];
  EXPECT_TRUE(d["different_data"].is_null()) << d.dump();
}

}  // namespace
}  // namespace amnl::orch

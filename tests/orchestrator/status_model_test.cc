// StatusModel folds hand-made ledger records into per-job and per-rank state; load_run_status
// reads a run dir (torn tail, damaged lines, missing files) without changing it.
#include <gtest/gtest.h>

#include <filesystem>

#include "orchestrator/rundir/ledger.h"
#include "orchestrator/status/status_format.h"
#include "orchestrator/status/status_load.h"
#include "orchestrator/status/status_model.h"
#include "support/test_support.h"

namespace amnl::orch {
namespace {

using nlohmann::json;

// Records one second apart from 2024-05-01T12:00:00Z.
class Records {
 public:
  json at(double t, json r) {
    r["time"] = format_utc_iso(kStart + t);
    return r;
  }
  static constexpr double kStart = 1714564800.0;  // 2024-05-01T12:00:00Z
};

const json* find_job(const json& doc, const std::string& id) {
  for (const json& j : doc["jobs"])
    if (j["job"] == id) return &j;
  return nullptr;
}

// `amnl status`'s table of `doc` holds each of `parts`.
void expect_table_shows(const json& doc, std::initializer_list<const char*> parts) {
  const std::string table = format_status_table(doc);
  for (const char* part : parts) EXPECT_NE(table.find(part), std::string::npos) << part << " in\n" << table;
}

std::vector<json> two_job_run(Records& rec) {
  return {
      rec.at(0, {{"event", "session_started"}, {"session", "s1"}, {"ranks", 3}}),
      rec.at(0, {{"event", "queued"}, {"job", "A-s1"}, {"attempts_so_far", 0}}),
      rec.at(0, {{"event", "queued"}, {"job", "B-s1"}, {"attempts_so_far", 0}}),
      rec.at(1, {{"event", "assigned"}, {"job", "A-s1"}, {"attempt", 1}, {"rank", 1}}),
      rec.at(1, {{"event", "assigned"}, {"job", "B-s1"}, {"attempt", 1}, {"rank", 2}}),
      rec.at(3, {{"event", "progress"}, {"job", "A-s1"}, {"attempt", 1}, {"rank", 1}, {"epoch", 1},
                 {"max_epochs", 4}, {"val_rmse", 20.5}, {"best_val_rmse", 20.5}, {"epoch_seconds", 2.0}}),
      rec.at(3, {{"event", "checkpoint"}, {"job", "A-s1"}, {"attempt", 1}, {"rank", 1}, {"epoch", 1}}),
      rec.at(5, {{"event", "progress"}, {"job", "A-s1"}, {"attempt", 1}, {"rank", 1}, {"epoch", 2},
                 {"max_epochs", 4}, {"val_rmse", 21.0}, {"best_val_rmse", 20.5}, {"epoch_seconds", 2.0}}),
  };
}

TEST(StatusParseTime, RoundTripsLedgerTimestampsAndRejectsOthers) {
  EXPECT_DOUBLE_EQ(parse_utc_iso("2024-05-01T12:00:00.000Z"), Records::kStart);
  EXPECT_NEAR(parse_utc_iso("2024-05-01T12:00:01.250Z"), Records::kStart + 1.25, 1e-6);
  EXPECT_EQ(format_utc_iso(Records::kStart + 61.5), "2024-05-01T12:01:01.500Z");
  EXPECT_TRUE(std::isnan(parse_utc_iso("")));
  EXPECT_TRUE(std::isnan(parse_utc_iso("yesterday")));
  EXPECT_TRUE(std::isnan(parse_utc_iso("2024-13-01T12:00:00Z")));
  EXPECT_TRUE(std::isnan(parse_utc_iso("2024-05-01T12:00:00")));  // no zone: not ours
}

TEST(StatusModel, RunningJobsShowRankEpochBestRmseElapsedAndEta) {
  Records rec;
  StatusModel m;
  for (const json& r : two_job_run(rec)) m.apply(r);
  m.set_rank_info(1, {111, "node-a"});
  const json doc = m.snapshot(Records::kStart + 6);
  EXPECT_EQ(doc["state"], "running");
  const json* a = find_job(doc, "A-s1");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ((*a)["state"], "running");
  EXPECT_EQ((*a)["attempt"], 1);
  EXPECT_EQ((*a)["rank"], 1);
  EXPECT_EQ((*a)["host"], "node-a");
  EXPECT_EQ((*a)["epoch"], 2);
  EXPECT_EQ((*a)["max_epochs"], 4);
  EXPECT_DOUBLE_EQ((*a)["best_val_rmse"].get<double>(), 20.5);
  EXPECT_DOUBLE_EQ((*a)["val_rmse"].get<double>(), 21.0);
  EXPECT_DOUBLE_EQ((*a)["elapsed_s"].get<double>(), 5.0);   // assigned at 1, now 6
  EXPECT_DOUBLE_EQ((*a)["eta_s"].get<double>(), 4.0);       // 2 epochs left at 2 s each
  EXPECT_EQ((*a)["checkpoint_epoch"], 1);
  const json* b = find_job(doc, "B-s1");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ((*b)["rank"], 2);
  EXPECT_TRUE((*b)["host"].is_null());     // no ranks/rank2.json
  EXPECT_TRUE((*b)["eta_s"].is_null());    // no epoch yet
  EXPECT_TRUE((*b)["best_val_rmse"].is_null());
  EXPECT_EQ(doc["totals"]["running"], 2);
  EXPECT_EQ(doc["totals"]["workers_alive"], 2);
  EXPECT_EQ(doc["totals"]["epochs_completed"], 2);
  EXPECT_EQ(doc["totals"]["checkpoints"], 1);
  EXPECT_EQ(doc["totals"]["assignments"], 2);
  EXPECT_DOUBLE_EQ(doc["elapsed_s"].get<double>(), 6.0);
  EXPECT_TRUE(doc["eta_s"].is_number());
  // The table names every job and its numbers.
  expect_table_shows(doc, {"A-s1", "2/4", "20.500", "node-a"});
}

// Issue 26: beside the selecting (last-window) validation RMSE, status shows the latest epoch's
// RMSE over every held-out window, the second curve; a run from before it shows "-".
TEST(StatusModel, TheAllWindowsValidationRmseIsShownBesideTheBest) {
  Records rec;
  StatusModel m;
  std::vector<json> records = two_job_run(rec);
  records.push_back(rec.at(7, {{"event", "progress"}, {"job", "A-s1"}, {"attempt", 1}, {"rank", 1}, {"epoch", 3},
                               {"max_epochs", 4}, {"val_rmse", 19.0}, {"best_val_rmse", 19.0},
                               {"val_all_windows_rmse", 23.25}, {"epoch_seconds", 2.0}}));
  for (const json& r : records) m.apply(r);
  const json doc = m.snapshot(Records::kStart + 8);
  EXPECT_DOUBLE_EQ((*find_job(doc, "A-s1"))["val_all_windows_rmse"].get<double>(), 23.25);
  EXPECT_TRUE((*find_job(doc, "B-s1"))["val_all_windows_rmse"].is_null());
  expect_table_shows(doc, {"VAL_ALL", "23.250"});
}

TEST(StatusModel, DeathRetryDoneAndFailureAreFollowed) {
  Records rec;
  StatusModel m;
  for (const json& r : two_job_run(rec)) m.apply(r);
  m.apply(rec.at(10, {{"event", "worker_dead"}, {"rank", 1}, {"reason", "no message for 3.0 s"}, {"job", "A-s1"},
                      {"attempt", 1}}));
  m.apply(rec.at(10, {{"event", "attempt_failed"}, {"job", "A-s1"}, {"attempt", 1}, {"failures", 1},
                      {"reason", "worker rank 1 lost"}}));
  json doc = m.snapshot(Records::kStart + 10);
  EXPECT_EQ((*find_job(doc, "A-s1"))["state"], "queued");
  EXPECT_EQ((*find_job(doc, "A-s1"))["failures"], 1);
  EXPECT_EQ(doc["dead_ranks"], json::array({1}));
  EXPECT_EQ(doc["totals"]["workers_dead"], 1);
  EXPECT_EQ(doc["totals"]["workers_alive"], 1);
  m.apply(rec.at(12, {{"event", "done"}, {"job", "B-s1"}, {"attempt", 1}, {"rank", 2}, {"epochs_run", 4},
                      {"seconds", 11.0}, {"metrics", {{"test_rmse", 17.25}}}}));
  m.apply(rec.at(12, {{"event", "assigned"}, {"job", "A-s1"}, {"attempt", 2}, {"rank", 2}}));
  doc = m.snapshot(Records::kStart + 13);
  const json& b = *find_job(doc, "B-s1");
  EXPECT_EQ(b["state"], "done");
  EXPECT_DOUBLE_EQ(b["elapsed_s"].get<double>(), 11.0);
  EXPECT_DOUBLE_EQ(b["test_rmse"].get<double>(), 17.25);
  EXPECT_TRUE(b["rank"].is_null());
  const json& a = *find_job(doc, "A-s1");
  EXPECT_EQ(a["state"], "running");
  EXPECT_EQ(a["attempt"], 2);
  EXPECT_EQ(a["rank"], 2);
  EXPECT_DOUBLE_EQ(a["elapsed_s"].get<double>(), 1.0);
  // The ranks table: 1 dead with its reason, 2 busy with A-s1's second attempt.
  for (const json& r : doc["ranks"]) {
    if (r["rank"] == 1) { EXPECT_EQ(r["state"], "dead"); }
    if (r["rank"] == 2) {
      EXPECT_EQ(r["state"], "busy");
      EXPECT_EQ(r["job"], "A-s1");
    }
  }
  m.apply(rec.at(14, {{"event", "failed"}, {"job", "A-s1"}, {"attempt", 2}, {"failures", 3}, {"reason", "NaN loss"}}));
  m.apply(rec.at(15, {{"event", "session_ended"}, {"outcome", "failed"}, {"reason", "1 job(s) failed"}}));
  doc = m.snapshot(Records::kStart + 100);
  EXPECT_EQ(doc["state"], "ended");
  EXPECT_EQ(doc["session"]["outcome"], "failed");
  EXPECT_DOUBLE_EQ(doc["elapsed_s"].get<double>(), 15.0);  // frozen at the session's end
  EXPECT_EQ((*find_job(doc, "A-s1"))["state"], "failed");
  EXPECT_EQ((*find_job(doc, "A-s1"))["reason"], "NaN loss");
  EXPECT_EQ(doc["totals"]["failed"], 1);
  EXPECT_EQ(doc["totals"]["done"], 1);
  EXPECT_EQ(doc["eta_s"], 0);
  expect_table_shows(doc, {"NaN loss", "dead (rank 1)"});
}

// A rank the scheduler excluded (RankHealth) is alive but takes no work: the table says which
// and why, the ETA leaves it out, and a new session (ranks numbered anew) forgets it.
TEST(StatusModel, AnExcludedRankIsShownWithItsReasonAndLeftOutOfTheEta) {
  Records rec;
  StatusModel m;
  for (const json& r : two_job_run(rec)) m.apply(r);
  m.apply(rec.at(6, {{"event", "worker_excluded"}, {"rank", 2}, {"reason", "failed 3 jobs in a row"}}));
  m.set_rank_info(2, RankInfo{42, "node-b"});
  json doc = m.snapshot(Records::kStart + 7);
  EXPECT_EQ(doc["totals"]["workers_alive"], 2);
  EXPECT_EQ(doc["totals"]["workers_excluded"], 1);
  json rank2;
  for (const json& r : doc["ranks"])
    if (r["rank"] == 2) rank2 = r;
  EXPECT_EQ(rank2["excluded"], true);
  EXPECT_EQ(rank2["reason"], "failed 3 jobs in a row");
  expect_table_shows(doc, {"workers: 2 alive (1 excluded)",
                           "rank 2 on node-b excluded (busy): failed 3 jobs in a row"});
  // With the only other rank excluded too, nothing can run the queue: no ETA.
  m.apply(rec.at(6, {{"event", "worker_excluded"}, {"rank", 1}, {"reason", "x"}}));
  EXPECT_TRUE(m.snapshot(Records::kStart + 7)["eta_s"].is_null());
  m.apply(rec.at(20, {{"event", "session_started"}, {"session", "s2"}, {"ranks", 3}}));
  EXPECT_EQ(m.snapshot(Records::kStart + 21)["totals"]["workers_excluded"], 0);
}

TEST(StatusModel, PreemptionAndANewSessionRenumberRanks) {
  Records rec;
  StatusModel m;
  for (const json& r : two_job_run(rec)) m.apply(r);
  m.apply(rec.at(6, {{"event", "draining"}, {"reason", "SIGUSR1"}}));
  EXPECT_EQ(m.snapshot(Records::kStart + 6)["session"]["draining"], "SIGUSR1");
  m.apply(rec.at(7, {{"event", "preempted"}, {"job", "A-s1"}, {"attempt", 1}, {"rank", 1}, {"reason", "SIGUSR1"}}));
  m.apply(rec.at(7, {{"event", "worker_dead"}, {"rank", 2}, {"reason", "gone"}, {"job", "B-s1"}, {"attempt", 1}}));
  m.apply(rec.at(7, {{"event", "attempt_failed"}, {"job", "B-s1"}, {"attempt", 1}, {"failures", 1}, {"reason", "x"}}));
  m.apply(rec.at(8, {{"event", "session_ended"}, {"outcome", "preempted"}}));
  json doc = m.snapshot(Records::kStart + 9);
  EXPECT_EQ((*find_job(doc, "A-s1"))["state"], "preempted");
  EXPECT_EQ(doc["totals"]["preempted"], 1);
  // A rerun: ranks are numbered afresh, the old dead rank is history, attempts continue.
  m.apply(rec.at(20, {{"event", "session_started"}, {"session", "s2"}, {"ranks", 2}}));
  m.apply(rec.at(20, {{"event", "queued"}, {"job", "B-s1"}, {"attempts_so_far", 1}, {"failures_so_far", 1}}));
  m.apply(rec.at(21, {{"event", "assigned"}, {"job", "A-s1"}, {"attempt", 2}, {"rank", 1}}));
  doc = m.snapshot(Records::kStart + 22);
  EXPECT_EQ(doc["session"]["id"], "s2");
  EXPECT_EQ(doc["session"]["number"], 2);
  EXPECT_EQ(doc["state"], "running");
  EXPECT_TRUE(doc["dead_ranks"].empty());
  EXPECT_EQ(doc["ranks"].size(), 1u);
  EXPECT_EQ((*find_job(doc, "A-s1"))["attempt"], 2);
  EXPECT_EQ((*find_job(doc, "B-s1"))["state"], "queued");
  EXPECT_EQ((*find_job(doc, "B-s1"))["failures"], 1);
  EXPECT_DOUBLE_EQ(doc["elapsed_s"].get<double>(), 2.0);
}

TEST(StatusModel, StartReportsAreNotCompletedEpochs) {
  // Workers report once when training starts (epoch 0, or a resumed attempt's first epoch, with
  // zeros for validation): neither is an epoch done nor a validation result.
  Records rec;
  StatusModel m;
  m.apply(rec.at(0, {{"event", "session_started"}, {"session", "s1"}, {"ranks", 2}}));
  m.apply(rec.at(1, {{"event", "assigned"}, {"job", "A-s1"}, {"attempt", 2}, {"rank", 1}}));
  m.apply(rec.at(2, {{"event", "progress"}, {"job", "A-s1"}, {"attempt", 2}, {"rank", 1}, {"epoch", 3},
                     {"max_epochs", 6}, {"val_rmse", 0.0}, {"best_val_rmse", 0.0}, {"epoch_seconds", 0.0}}));
  json doc = m.snapshot(Records::kStart + 2);
  EXPECT_EQ(doc["jobs"][0]["epoch"], 3);
  EXPECT_TRUE(doc["jobs"][0]["best_val_rmse"].is_null());
  EXPECT_TRUE(doc["jobs"][0]["eta_s"].is_null());
  EXPECT_EQ(doc["totals"]["epochs_completed"], 0);
  m.apply(rec.at(4, {{"event", "progress"}, {"job", "A-s1"}, {"attempt", 2}, {"rank", 1}, {"epoch", 4},
                     {"max_epochs", 6}, {"val_rmse", 9.0}, {"best_val_rmse", 8.0}, {"epoch_seconds", 0.0}}));
  m.apply(rec.at(4, {{"event", "progress"}, {"job", "A-s1"}, {"attempt", 2}, {"rank", 1}, {"epoch", 4},
                     {"max_epochs", 6}, {"val_rmse", 9.0}, {"best_val_rmse", 8.0}}));  // a checkpoint report
  doc = m.snapshot(Records::kStart + 4);
  EXPECT_EQ(doc["totals"]["epochs_completed"], 1);
  EXPECT_DOUBLE_EQ(doc["jobs"][0]["best_val_rmse"].get<double>(), 8.0);
  EXPECT_DOUBLE_EQ(doc["jobs"][0]["eta_s"].get<double>(), 6.0);  // 2 epochs left at 3 s (assigned at 1)
}

// A job that early stopping will end before max_epochs: its ETA counts to that epoch, not to
// max_epochs (which made a quick-preset run of about 80 min show an ETA of almost 7 hours).
// A ledger without the field (older runs) keeps the max_epochs estimate.
TEST(StatusModel, EtaCountsToTheEarlyStopEpochWhenTheTrainerReportsIt) {
  auto doc_after = [](const json& extra) {
    Records rec;
    StatusModel m;
    m.apply(rec.at(0, {{"event", "session_started"}, {"session", "s1"}, {"ranks", 2}}));
    m.apply(rec.at(0, {{"event", "assigned"}, {"job", "A-s1"}, {"attempt", 1}, {"rank", 1}}));
    json progress{{"event", "progress"}, {"job", "A-s1"}, {"attempt", 1}, {"rank", 1}, {"epoch", 1},
                  {"max_epochs", 45}, {"val_rmse", 13.1}, {"best_val_rmse", 13.1}, {"epoch_seconds", 10.0}};
    progress.update(extra);
    m.apply(rec.at(10, progress));  // one epoch in 10 s
    return m.snapshot(Records::kStart + 10);
  };
  const json with = doc_after({{"early_stop_epoch", 16}});
  EXPECT_DOUBLE_EQ(with["jobs"][0]["eta_s"].get<double>(), 150.0);  // 15 epochs left at 10 s
  EXPECT_EQ(with["jobs"][0]["early_stop_epoch"], 16);
  EXPECT_DOUBLE_EQ(with["eta_s"].get<double>(), 150.0);
  const json without = doc_after(json::object());
  EXPECT_DOUBLE_EQ(without["jobs"][0]["eta_s"].get<double>(), 440.0);  // 44 epochs to max_epochs
  EXPECT_TRUE(without["jobs"][0]["early_stop_epoch"].is_null());
  // Never past max_epochs, whatever a record says.
  EXPECT_DOUBLE_EQ(doc_after({{"early_stop_epoch", 90}})["jobs"][0]["eta_s"].get<double>(), 440.0);
}

TEST(StatusModel, UnknownEventsAndWrongTypesAreIgnored) {
  Records rec;
  StatusModel m;
  m.add_job("A-s1");
  m.apply(rec.at(0, {{"event", "session_started"}, {"session", "s1"}, {"ranks", 2}}));
  m.apply(rec.at(1, {{"event", "teleported"}, {"job", "A-s1"}}));
  m.apply(rec.at(1, {{"event", "assigned"}, {"job", "A-s1"}, {"attempt", "one"}, {"rank", json::array()}}));
  m.apply(rec.at(2, {{"event", "progress"}, {"job", "A-s1"}, {"epoch", "x"}, {"best_val_rmse", nullptr}}));
  m.apply(json{{"event", "progress"}});  // no job, no time
  m.apply(json("not an object"));
  m.apply(json{{"event", 5}, {"job", 7}});
  const json doc = m.snapshot(Records::kStart + 3);
  ASSERT_EQ(doc["jobs"].size(), 1u);
  EXPECT_EQ(doc["jobs"][0]["state"], "running");
  EXPECT_EQ(doc["jobs"][0]["attempt"], 0);
  EXPECT_TRUE(doc["jobs"][0]["rank"].is_null());
  EXPECT_TRUE(doc["jobs"][0]["best_val_rmse"].is_null());
  // It still renders and serialises.
  EXPECT_FALSE(format_status_table(doc).empty());
  EXPECT_FALSE(dump_status_json(doc).empty());
}

// ranks, attempts_so_far and failures_so_far are fields decode_ledger does not type-check. Out
// of int range they were converted with wrap-around (2^32 + 3 ranks showed 2 idle workers,
// 2^32 + 2 attempts showed 2) or, for a double, undefined behaviour. They read as absent, as a
// wrong type does.
TEST(StatusModel, NumbersBeyondIntRangeAreIgnoredNotWrapped) {
  Records rec;
  StatusModel m;
  m.apply(rec.at(0, {{"event", "session_started"}, {"session", "s1"}, {"ranks", 4294967299LL}}));
  m.apply(rec.at(0, {{"event", "queued"}, {"job", "A-s1"}, {"attempts_so_far", 4294967298LL},
                     {"failures_so_far", 1e300}}));
  m.apply(rec.at(1, {{"event", "queued"}, {"job", "B-s1"}, {"attempts_so_far", -4294967294LL},
                     {"failures_so_far", -1e300}}));
  const json doc = m.snapshot(Records::kStart + 2);
  EXPECT_EQ(doc["ranks"].size(), 0u) << doc["ranks"].dump();
  EXPECT_EQ(doc["totals"]["workers_alive"], 0);
  for (const char* id : {"A-s1", "B-s1"}) {
    const json* j = find_job(doc, id);
    ASSERT_NE(j, nullptr) << id;
    EXPECT_EQ((*j)["attempt"], 0) << id;
    EXPECT_EQ((*j)["failures"], 0) << id;
  }
}

TEST(StatusModel, HeartbeatAgesOnlyForLiveRanksOfALiveSession) {
  Records rec;
  StatusModel m;
  for (const json& r : two_job_run(rec)) m.apply(r);
  m.set_last_heard(1, Records::kStart + 5.5);
  m.set_last_heard(2, Records::kStart + 2);
  m.apply(rec.at(6, {{"event", "worker_dead"}, {"rank", 2}, {"reason", "r"}}));
  const json doc = m.snapshot(Records::kStart + 6);
  for (const json& r : doc["ranks"]) {
    if (r["rank"] == 1) { EXPECT_DOUBLE_EQ(r["heartbeat_age_s"].get<double>(), 0.5); }
    if (r["rank"] == 2) { EXPECT_TRUE(r["heartbeat_age_s"].is_null()); }
  }
}

// --- reading a run dir -----------------------------------------------------------------------

class StatusLoadTest : public ::testing::Test {
 protected:
  void write_ledger(const std::vector<json>& records, const std::string& tail = "") {
    std::string bytes;
    for (const json& r : records) bytes += encode_ledger_record(r);
    test::write_file(dir_ / "ledger.jsonl", bytes + tail);
  }
  test::TempDir dir_;
  std::shared_ptr<Storage> storage_ = make_posix_storage();
};

TEST_F(StatusLoadTest, ReadsLedgerRanksOutcomeAndExperimentWithoutChangingThem) {
  Records rec;
  std::filesystem::create_directories(dir_ / "ranks");
  test::write_file(dir_ / "experiment.json", json{{"datasets", {"A", "B"}}, {"seeds", {1, 2}}}.dump());
  test::write_file(dir_ / "ranks/rank0.json", json{{"rank", 0}, {"pid", 1}, {"host", "head"}}.dump());
  test::write_file(dir_ / "ranks/rank1.json", json{{"rank", 1}, {"pid", 42}, {"host", "node-a"}}.dump());
  test::write_file(dir_ / "ranks/rank2.json", "{torn");
  test::write_file(dir_ / "outcome.json", json{{"outcome", "running"}, {"exit_code", 75}}.dump());
  // A torn last record (a crash mid-append) is left out, the others count.
  write_ledger(two_job_run(rec), "5d41402a {\"event\":\"done\",\"jo");
  const std::string before = test::read_file(dir_ / "ledger.jsonl");
  auto doc = load_run_status(*storage_, dir_.path(), Records::kStart + 6);
  ASSERT_TRUE(doc.ok()) << doc.message();
  EXPECT_EQ(test::read_file(dir_ / "ledger.jsonl"), before);
  EXPECT_EQ((*doc)["run_dir"], dir_.path());
  EXPECT_EQ((*doc)["jobs"].size(), 4u);  // A-s2 and B-s2 from experiment.json, not yet queued
  EXPECT_EQ((*doc)["ledger"]["records"], 8);
  EXPECT_EQ((*doc)["ledger"]["damaged_lines"], 1);
  EXPECT_EQ((*find_job(*doc, "A-s1"))["host"], "node-a");
  EXPECT_EQ((*find_job(*doc, "A-s1"))["state"], "running");
  EXPECT_EQ((*doc)["outcome"]["outcome"], "running");
  EXPECT_EQ((*doc)["coordinator"]["host"], "head");
  expect_table_shows(*doc, {"damaged line", "outcome.json: running"});
}

// A refused resubmission replaces outcome.json; the table still says how the run itself ended.
TEST_F(StatusLoadTest, ARefusedOutcomeShowsTheRunsLastSession) {
  Records rec;
  write_ledger(two_job_run(rec));
  test::write_file(dir_ / "outcome.json",
                   json{{"outcome", "refused"}, {"exit_code", 2}, {"reason", "they differ at 'seeds'"},
                        {"last_session", {{"outcome", "complete"}, {"exit_code", 0}, {"updated", "2026-12-07T05:03:43Z"}}}}
                       .dump());
  auto doc = load_run_status(*storage_, dir_.path(), Records::kStart + 6);
  ASSERT_TRUE(doc.ok()) << doc.message();
  expect_table_shows(*doc, {"outcome.json: refused (exit 2): they differ at 'seeds'",
                            "last session before that: complete (exit 0, 2026-12-07T05:03:43Z)"});
}

TEST_F(StatusLoadTest, GarbageLedgerAndBadOutcomeAreReportedNotFatal) {
  test::write_file(dir_ / "ledger.jsonl", std::string("\x00\xff garbage\nmore garbage", 24));
  test::write_file(dir_ / "outcome.json", "not json");
  auto doc = load_run_status(*storage_, dir_.path(), Records::kStart);
  ASSERT_TRUE(doc.ok()) << doc.message();
  EXPECT_EQ((*doc)["state"], "not started");
  EXPECT_EQ((*doc)["ledger"]["records"], 0);
  EXPECT_GT((*doc)["ledger"]["damaged_lines"].get<int>(), 0);
  ASSERT_EQ((*doc)["warnings"].size(), 1u);
  EXPECT_NE((*doc)["warnings"][0].get<std::string>().find("outcome.json"), std::string::npos);
  EXPECT_FALSE(dump_status_json(*doc).empty());
}

TEST_F(StatusLoadTest, MissingOrForeignDirectoryIsAClearError) {
  auto missing = load_run_status(*storage_, dir_ / "nope", Records::kStart);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find(dir_ / "nope"), std::string::npos) << missing.message();
  EXPECT_NE(missing.message().find("does not exist"), std::string::npos) << missing.message();
  auto foreign = load_run_status(*storage_, dir_.path(), Records::kStart);
  ASSERT_FALSE(foreign.ok());
  EXPECT_NE(foreign.message().find("not an amnl run dir"), std::string::npos) << foreign.message();
}

}  // namespace
}  // namespace amnl::orch

// Hostile bytes that reach the coordinator (rank 0): worker messages, ledger records of earlier
// sessions, job ids, strings that are not UTF-8. Each case was found by bench/fuzz or by review;
// none may throw, hit undefined behaviour or crash the coordinator.
#include <gtest/gtest.h>

#include <filesystem>
#include <limits>
#include <sstream>

#include "support/test_support.h"

#include "common/fault_injecting_storage.h"
#include "orchestrator/rundir/experiment.h"
#include "orchestrator/rundir/job_id.h"
#include "orchestrator/rundir/ledger.h"
#include "orchestrator/protocol/messages.h"
#include "orchestrator/rundir/run_check.h"
#include "orchestrator/policy/run_outcome.h"
#include "orchestrator/policy/scheduler.h"

namespace amnl::orch {
namespace {

using nlohmann::json;

// fuzz_messages: a field of the wrong type made json::value() throw type_error inside the
// coordinator's receive loop. The typed decoder refuses such a body (the receiver drops it).
TEST(HostileMessages, ResultWithWrongTypesIsRefusedWithoutThrowing) {
  const json body = json::parse(R"({"job": "FD001-s1", "attempt": 1, "end": 5, "reason": ["x"],
      "metrics": 3, "epochs_run": "ten", "resumed_from_epoch": {}, "final_model": 7})");
  std::optional<ResultMsg> r;
  ASSERT_NO_THROW(r = ResultMsg::decode(body));
  EXPECT_FALSE(r);
}

TEST(HostileMessages, ResultWithAnUnknownEndIsAFailureSayingSo) {
  const auto r = ResultMsg::decode(json::parse(R"({"job": "FD001-s1", "attempt": 1, "end": "sure"})"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result.end, JobEnd::kFailed);
  EXPECT_NE(r->result.reason.find("end"), std::string::npos) << r->result.reason;  // says what was wrong
}

TEST(HostileMessages, ProgressWithWrongTypesOrHugeNumbersIsRefused) {
  for (const char* bad : {R"({"epoch": "3"})", R"({"max_epochs": 1e300})", R"({"val_rmse": "x"})",
                          R"({"batches_done": -1e300})", R"({"batches_done": 18446744073709551615})",
                          R"({"checkpoint": false})", R"({"attempt": 4294967296})"}) {
    std::optional<ProgressMsg> p;
    ASSERT_NO_THROW(p = ProgressMsg::decode(json::parse(bad))) << bad;
    EXPECT_FALSE(p) << bad;  // 1e300 is no int: never converted (undefined behaviour)
  }
  const auto p = ProgressMsg::decode(json::parse(R"({"epoch": 3, "epoch_seconds": null})"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->progress.epoch, 3);
  EXPECT_EQ(p->progress.epoch_seconds, 0.0);
}

TEST(HostileMessages, DoneWithoutMetricsKeepsReading) {
  const auto r = ResultMsg::decode(json::parse(R"({"end": "done", "epochs_run": 4, "resumed_from_epoch": 2})"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result.end, JobEnd::kDone);
  EXPECT_EQ(r->result.epochs_run, 4);
  EXPECT_EQ(r->result.resumed_from_epoch, 2);
  EXPECT_EQ(r->result.metrics, json::object());
}

// The coordinator reads job, attempt, counter, pid, host and reason of every body itself with
// json::value(): a mistyped field threw out of its receive loop and killed rank 0. Such a body
// is now dropped at decode time, like any corrupt message (a truncated or non-object body too).
TEST(HostileMessages, BodiesWithMistypedKnownFieldsAreDropped) {
  for (const char* bad : {R"({"job": 5})", R"({"job": null})", R"({"attempt": "1"})", R"({"attempt": 1e300})",
                          R"({"attempt": 4294967296})", R"({"counter": 1.5})", R"({"pid": "x"})",
                          R"({"host": 1})", R"({"reason": {}})", R"({"metrics": [1]})",
                          R"({"val_rmse": "x"})", R"({"epoch": -1e300})", "[1,2]", R"({"a":)", ""}) {
    EXPECT_FALSE(decode_body(bad).has_value()) << bad;
  }
  for (const char* good : {R"({"job": "FD001-s1", "attempt": 2, "counter": -1})", R"({"pid": 123, "host": "n1"})",
                           R"({"val_rmse": null, "epoch": 3})", R"({})"}) {
    EXPECT_TRUE(decode_body(good).has_value()) << good;
  }
}

TEST(HostileLedger, MistypedRecordIsDamageAndTheOthersAreKept) {
  const std::string bytes = encode_ledger_record(json{{"event", "queued"}, {"job", "FD001-s1"}}) +
                            encode_ledger_record(json{{"event", "assigned"}, {"job", 42}, {"attempt", 1}}) +
                            encode_ledger_record(json{{"event", "done"}, {"job", "FD001-s1"}, {"attempt", 1}});
  const LedgerReplay r = decode_ledger(bytes);
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[1]["event"], "done");
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(r.damaged_lines, 1);
  EXPECT_NE(r.problem.find("line 2"), std::string::npos) << r.problem;
  EXPECT_NE(r.problem.find("'job'"), std::string::npos) << r.problem;
}

// fuzz_ledger: a record of an earlier session with a wrong-typed field threw from the
// Scheduler's constructor, so one bad (but checksummed) record stopped every rerun.
TEST(HostileLedger, ReplayIgnoresWrongTypedFields) {
  const std::vector<json> replayed = {
      json{{"event", "assigned"}, {"job", 5}, {"attempt", 1}},
      json{{"event", 7}, {"job", "FD001-s1"}},
      json{{"event", "assigned"}, {"job", "FD001-s1"}, {"attempt", "two"}},
      json{{"event", "assigned"}, {"job", "FD001-s1"}, {"attempt", 1e300}},
      json{{"event", "failed"}, {"job", "FD001-s2"}, {"failures", -1e300}, {"reason", 3}},
      json{{"event", "done"}, {"job", "FD002-s1"}, {"attempt", 2}, {"metrics", "x"}, {"epochs_run", 1e20}},
  };
  std::vector<JobSpec> jobs{{JobKey{"FD001", 1}, 1}, {JobKey{"FD001", 2}, 1}, {JobKey{"FD002", 1}, 1}};
  std::vector<json> emitted;
  std::unique_ptr<Scheduler> s;
  ASSERT_NO_THROW(s = std::make_unique<Scheduler>(jobs, SchedulerConfig{}, [&](const json& r) { emitted.push_back(r); },
                                                  replayed));
  const auto& st = s->jobs();
  EXPECT_EQ(st.at("FD001-s1").attempt, 0);  // no record carried a usable attempt number
  EXPECT_EQ(st.at("FD001-s2").state, JobState::kFailed);
  EXPECT_EQ(st.at("FD002-s1").state, JobState::kDone);
  EXPECT_EQ(st.at("FD002-s1").attempt, 2);
  EXPECT_TRUE(st.at("FD002-s1").metrics.is_object());
}

// Not UTF-8: nlohmann::json::dump() throws type_error 316 on such strings. A reason or path
// holding them (a data file's bytes quoted in an error, a non-UTF-8 file name) must still be
// journalled and sent, with the bad bytes replaced, never throw out of the coordinator.
TEST(HostileUtf8, LedgerRecordWithInvalidUtf8IsEncodedAndReadBack) {
  const json record{{"event", "failed"}, {"job", "FD001-s1"}, {"reason", std::string("bad byte \xff\xfe here")}};
  std::string line;
  ASSERT_NO_THROW(line = encode_ledger_record(record));
  const LedgerReplay r = decode_ledger(line);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_FALSE(r.truncated);
  const std::string reason = r.records[0]["reason"];
  EXPECT_EQ(reason.rfind("bad byte ", 0), 0u) << reason;
  EXPECT_NE(reason.find(" here"), std::string::npos);
}

TEST(HostileUtf8, MessageBodyWithInvalidUtf8IsEncodable) {
  JobResult jr;
  jr.reason = "train_X.txt:1: non-numeric value '\xc3('";  // a truncated 2-byte sequence
  std::string bytes;
  ASSERT_NO_THROW(bytes = encode_body(ResultMsg::of("FD001-s1", 1, jr).encode()));
  auto decoded = decode_body(bytes);
  ASSERT_TRUE(decoded.has_value()) << bytes;
  const auto r = ResultMsg::decode(*decoded);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result.end, JobEnd::kFailed);
}

// Job ids name directories and ledger records: only the canonical spelling job_id() writes is
// accepted, so two spellings can never denote one job (or a seed with spaces or signs).
TEST(HostileJobIds, NonCanonicalOrHostileIdsAreRefused) {
  for (const std::string& id : std::vector<std::string>{"FD001-s 5", "FD001-s+5", "FD001-s007", "FD001-s5 ", "FD001-s5\n", "../x-s1",
                               "a/b-s1", "/abs-s1", "FD001-s99999999999999999999", std::string("FD\x01-s1"),
                               std::string("FD\xff-s1"), std::string(4096, 'a') + "-s1"}) {
    auto key = parse_job_id(id);
    EXPECT_FALSE(key.ok()) << id;
    if (!key.ok()) {
      EXPECT_NE(key.message().find("job id"), std::string::npos) << key.message();
      // The message quotes the id safely: no raw control or non-ASCII bytes, bounded length.
      for (char c : key.message()) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << key.message();
      EXPECT_LT(key.message().size(), 400u);
    }
  }
  for (const char* id : {"FD001-s5", "FD001-s0", "my-set-s42", "FD001--s3"}) {
    auto key = parse_job_id(id);
    ASSERT_TRUE(key.ok()) << id << ": " << key.message();
    EXPECT_EQ(job_id(*key), id);
  }
}

// An experiment file in a directory whose name is not UTF-8 (or a run_dir with a control
// character): the resolved run_dir went into experiment.json, whose dump() threw on rank 0.
// Refused while parsing, before any file is touched.
TEST(HostileExperiment, RunAndDataDirsMustBePrintableUtf8) {
  const json base = json::parse(R"({"run_dir": "run", "data_dir": "/data", "datasets": ["FD001"], "seeds": [1]})");
  auto e = parse_experiment(base, std::string("/tmp/amnl-\xff-dir"), /*check_files=*/false);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.message().rfind("run_dir: ", 0), 0u) << e.message();
  EXPECT_NE(e.message().find("UTF-8"), std::string::npos) << e.message();
  json j = base;
  j["data_dir"] = "/data\u0001x";
  e = parse_experiment(j, "/tmp", false);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.message().rfind("data_dir: ", 0), 0u) << e.message();
  j = base;
  j["run_dir"] = "/" + std::string(5000, 'r');
  EXPECT_FALSE(parse_experiment(j, "/tmp", false).ok());
  for (const json& ds : {json("../x"), json("/abs"), json("a/b"), json(std::string(4096, 'a')), json("a\u0001"),
                         json(".."), json("\u00e9t\u00e9")}) {
    j = base;
    j["datasets"] = json::array({ds});
    e = parse_experiment(j, "/tmp", false);
    ASSERT_FALSE(e.ok()) << ds.dump();
    EXPECT_EQ(e.message().rfind("datasets[0]: dataset name", 0), 0u) << e.message();
    EXPECT_LT(e.message().size(), 300u);
  }
  EXPECT_TRUE(parse_experiment(base, "/tmp", false).ok());
}

// The outcome file of a refused run carries the reason, which may quote a non-UTF-8 path from
// the command line: written with the bad bytes replaced, never a throw out of rank 0.
TEST(HostileUtf8, OutcomeWithInvalidUtf8ReasonIsWritten) {
  test::TempDir dir;
  auto storage = make_posix_storage();
  const json outcome = make_refused_outcome(dir.path(), std::string("experiment file /x/\xff.json: cannot open"));
  Status st = Status::Error("not run");
  ASSERT_NO_THROW(st = write_outcome(*storage, dir.path(), outcome));
  ASSERT_TRUE(st.ok()) << st.message();
  const auto back = json::parse(test::read_file(dir / "outcome.json"));
  EXPECT_EQ(back["outcome"], "refused");
}

// RUN_DIR/jobs/FD001 -> /tmp/elsewhere: the coordinator computes every job dir through job_dir()
// before writing the lease; a link leading outside the run dir is refused there, naming it.
TEST(HostilePaths, JobDirThroughASymlinkOutsideTheRunDirIsRefused) {
  namespace fs = std::filesystem;
  test::TempDir run, elsewhere;
  fs::create_directories(run / "jobs");
  fs::create_directory_symlink(elsewhere.path(), run / "jobs/FD001");
  auto dir = job_dir(run.path(), JobKey{"FD001", 1});
  ASSERT_FALSE(dir.ok()) << *dir;
  EXPECT_NE(dir.message().find(run / "jobs/FD001"), std::string::npos) << dir.message();
  EXPECT_NE(dir.message().find("symbolic link"), std::string::npos) << dir.message();
  // The seed level too.
  fs::create_directories(run / "jobs/FD002");
  fs::create_directory_symlink(elsewhere.path(), run / "jobs/FD002/seed_3");
  EXPECT_FALSE(job_dir(run.path(), JobKey{"FD002", 3}).ok());
  auto fine = job_dir(run.path(), JobKey{"FD003", 3});
  ASSERT_TRUE(fine.ok()) << fine.message();
  EXPECT_EQ(*fine, run / "jobs/FD003/seed_3");
  EXPECT_TRUE(fs::is_empty(elsewhere.path()));
}

// Experiment files that JSON's parser or the path rules let through, each refused by
// `amnl run --check` (run_check: rank 0's own loading, load_experiment) with the file, the
// place or key, and what is wrong, before any directory is made.
class HostileExperimentFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_ / "data");
    for (const char* kind : {"train_", "test_", "RUL_"})
      test::write_file(dir_ / (std::string("data/") + kind + "FD001.txt"), "1 1 0 0 0\n1 2 0 0 0\n");
  }
  // A valid experiment file's text with these paths.
  static std::string text(const std::string& run_dir, const std::string& data_dir = "data") {
    return "{\"run_dir\": \"" + run_dir + "\", \"data_dir\": \"" + data_dir +
           "\", \"datasets\": [\"FD001\"], \"seeds\": [1], \"preset\": \"tiny\"}";
  }
  // Writes `content` to exp.json and checks it: stderr when refused (exit 2), "" when accepted.
  std::string check(const std::string& content) {
    test::write_file(file(), content);
    std::ostringstream out, err;
    const int rc = run_check(file(), out, err);
    out_ = out.str();
    EXPECT_EQ(rc == 0 ? "" : err.str(), err.str()) << "exit " << rc;
    EXPECT_TRUE(rc == 0 || rc == 2) << rc;
    return rc == 0 ? "" : err.str();
  }
  std::string file() const { return dir_ / "exp.json"; }
  std::string canonical(const std::string& name) const {
    return std::filesystem::weakly_canonical(dir_ / name).string();
  }
  test::TempDir dir_;
  std::string out_;
};

// "seeds": [1] then "seeds": [2] trained seed 2 alone: nlohmann::json keeps the last key.
TEST_F(HostileExperimentFile, AKeyWrittenTwiceIsRefusedAtAnyDepthNamingBothLines) {
  const std::string twice = "{\n  \"run_dir\": \"run\",\n  \"data_dir\": \"data\",\n  \"datasets\": [\"FD001\"],\n"
                            "  \"seeds\": [1],\n  \"preset\": \"tiny\",\n  \"seeds\": [2]\n}\n";
  EXPECT_EQ(check(twice), "error: " + file() +
                              ":7:3: key 'seeds' is written twice (first at line 5); JSON would keep only the last\n");
  // Spelled differently, the same key.
  std::string escaped = text("run");
  escaped.insert(1, "\"se\\u0065ds\": [2], ");
  EXPECT_EQ(check(escaped).find("error: " + file() + ":1:"), 0u) << check(escaped);
  EXPECT_NE(check(escaped).find("key 'seeds' is written twice (first at line 1)"), std::string::npos);
  std::string in_recipe = text("run");
  in_recipe.insert(in_recipe.size() - 1, ",\n \"recipe\": {\"max_epochs\": 2,\n   \"max_epochs\": 3}");
  EXPECT_EQ(check(in_recipe), "error: " + file() + ":3:4: key 'recipe.max_epochs' is written twice (first at line 2); "
                                                  "JSON would keep only the last\n");
  std::string in_fault = text("run");
  in_fault.insert(in_fault.size() - 1, ", \"fault\": {\"max_attempts\": 2, \"max_attempts\": 5}");
  EXPECT_NE(check(in_fault).find("key 'fault.max_attempts' is written twice"), std::string::npos) << check(in_fault);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "run"));
  // The same key in two objects is no duplicate.
  std::string apart = text("run");
  apart.insert(apart.size() - 1, ", \"recipe\": {\"optimizer\": {\"lr\": 0.01}, \"model\": {}}, "
                                 "\"fault\": {\"max_attempts\": 2}, \"checkpoint\": {\"keep_last\": 2}");
  EXPECT_EQ(check(apart), "");
}

TEST_F(HostileExperimentFile, TextThatIsNotJsonIsRefusedWithItsLineAndColumn) {
  const std::string head = "{\"run_dir\": \"run\", \"data_dir\": \"data\", \"datasets\": [\"FD001\"],\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {head + "  \"seeds\": NaN}", ":2:12: not valid JSON: syntax error while parsing value - invalid literal"},
      {head + "  \"seeds\": [Infinity]}", ":2:13: not valid JSON: syntax error while parsing value - invalid literal"},
      {head + "  \"seeds\": [-Infinity]}", ":2:14: not valid JSON: syntax error while parsing value - invalid number"},
      {head + "  \"seeds\": [1], \"recipe\": {\"max_epochs\": 1e999}}",
       ":2:42: recipe.max_epochs: 1e999 is not a finite number"},
      {head + "  \"seeds\": [1, -1e400]}", ":2:16: seeds[1]: -1e400 is not a finite number"},
      {head + "  \"seeds\": [1", ":2:14: not valid JSON: syntax error while parsing array - unexpected end of input"},
      {text("run") + "\n}", ":2:1: not valid JSON: syntax error while parsing value - unexpected '}'; expected end of input"},
      {text("run") + " x", ":1:"},
      {"", ":1:1: not valid JSON: syntax error while parsing value - unexpected end of input"},
  };
  for (const auto& [content, expected] : cases) {
    const std::string err = check(content);
    EXPECT_EQ(err.find("error: " + file() + expected), 0u) << content << "\ngot: " << err;
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "run"));
}

// The run writes jobs/, logs/ and results/ under run_dir: into the data directory, whatever
// path leads there ("..", a symbolic link).
TEST_F(HostileExperimentFile, ARunDirAtOrInsideTheDataDirIsRefused) {
  const std::string data = canonical("data");
  const std::string suffix = ": a run must not write into its data\n";
  EXPECT_EQ(check(text("data")), "error: experiment file " + file() + ": run_dir " + data + " is data_dir" + suffix);
  EXPECT_EQ(check(text("data/../data/./x/..")), "error: experiment file " + file() + ": run_dir " + data +
                                                   "/ is data_dir" + suffix);
  EXPECT_EQ(check(text("data/run")), "error: experiment file " + file() + ": run_dir " + data +
                                         "/run is inside data_dir " + data + suffix);
  std::filesystem::create_directory_symlink(dir_ / "data", dir_ / "link");
  EXPECT_EQ(check(text("link/run/")), "error: experiment file " + file() + ": run_dir " + data +
                                          "/run/ is inside data_dir " + data + suffix);
  EXPECT_EQ(check(text(dir_ / "run", "link")), "");  // the data through a link, the run elsewhere
  EXPECT_FALSE(std::filesystem::exists(dir_ / "data/run"));
  // The data inside the run dir: a clean-up of the run would take the data along.
  std::filesystem::create_directories(dir_ / "run");
  std::filesystem::rename(dir_ / "data", dir_ / "run/data");
  EXPECT_NE(check(text("run", "run/data")).find(": data_dir " + canonical("run/data") + " is inside run_dir " +
                                                  canonical("run") + ": keep the data outside the run dir"),
            std::string::npos)
      << check(text("run", "run/data"));
  // A name that only starts like the data dir's is beside it.
  std::filesystem::rename(dir_ / "run/data", dir_ / "data");
  EXPECT_EQ(check(text("database")), "");
}

// A run dir inside another run's (or one of its job dirs) mixes its files into that run, and
// the outer run's report or clean-up takes it along. The markers: ledger.jsonl, lease.json, the
// experiment.json a run stores.
TEST_F(HostileExperimentFile, ARunDirInsideAnotherRunOrJobDirIsRefused) {
  namespace fs = std::filesystem;
  const std::string tail = ": choose a directory outside other runs\n";
  fs::create_directories(dir_ / "outer/jobs/FD001/seed_1");
  test::write_file(dir_ / "outer/ledger.jsonl", "");
  const std::string outer = canonical("outer");
  EXPECT_EQ(check(text("outer/inner")), "error: experiment file " + file() + ": run_dir " + outer +
                                            "/inner is inside the run dir " + outer + " (it has ledger.jsonl)" + tail);
  EXPECT_NE(check(text("outer/a/b/c")).find("is inside the run dir " + outer + " (it has ledger.jsonl)"),
            std::string::npos);
  test::write_file(dir_ / "outer/jobs/FD001/seed_1/lease.json", "{}");
  EXPECT_EQ(check(text("outer/jobs/FD001/seed_1/x")),
            "error: experiment file " + file() + ": run_dir " + outer + "/jobs/FD001/seed_1/x is inside the job dir " +
                outer + "/jobs/FD001/seed_1 (it has lease.json)" + tail);
  fs::create_directories(dir_ / "stored");
  test::write_file(dir_ / "stored/experiment.json", R"({"source_file": "/x/exp.json", "seeds": [1]})");
  EXPECT_NE(check(text("stored/r")).find("is inside the run dir " + canonical("stored") +
                                         " (it has a run's experiment.json)"),
            std::string::npos);
  fs::create_directory_symlink(dir_ / "outer", dir_ / "to_outer");  // whatever path leads there
  EXPECT_NE(check(text("to_outer/inner")).find("is inside the run dir " + outer + " (it has ledger.jsonl)"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "outer/inner"));
  EXPECT_FALSE(fs::exists(dir_ / "stored/r"));
  // Resuming: the run dir itself is a run dir; only the directories above it count.
  EXPECT_EQ(check(text("outer")), "");
  EXPECT_NE(out_.find("run_dir_state: new"), std::string::npos) << out_;
  EXPECT_NE(out_.find("threads_per_rank: 1 (default)"), std::string::npos) << out_;
  // The usual layout: the experiment file, named experiment.json, beside its run dir.
  test::write_file(dir_ / "experiment.json", text("run"));
  std::ostringstream out, err;
  EXPECT_EQ(run_check(dir_ / "experiment.json", out, err), 0) << err.str();
}

}  // namespace
}  // namespace amnl::orch

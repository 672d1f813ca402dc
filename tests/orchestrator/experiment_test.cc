#include <gtest/gtest.h>

#include <filesystem>

#include "bench/fuzz/memory_storage.h"
#include "common/strict_json.h"
#include "orchestrator/rundir/experiment.h"
#include "orchestrator/policy/scheduler.h"
#include "orchestrator/rundir/run_dir.h"
#include "support/test_support.h"

namespace amnl::orch {
namespace {

using nlohmann::json;

class ExperimentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_ / "data");
    for (const char* ds : {"FD001", "SYN6"})
      for (const char* kind : {"train_", "test_", "RUL_"})
        test::write_file(dir_ / (std::string("data/") + kind + ds + ".txt"), "1 1 0 0 0\n1 2 0 0 0\n");
  }
  json valid() const {
    return json{{"run_dir", "run"},
                {"data_dir", "data"},
                {"datasets", {"FD001", "SYN6"}},
                {"seeds", {1, 2}},
                {"preset", "tiny"},
                {"recipe", {{"max_epochs", 3}}},
                {"checkpoint", {{"every_epochs", 1}, {"keep_last", 2}}},
                {"fault", {{"heartbeat_interval_s", 0.5}, {"worker_timeout_s", 5}, {"progress_timeout_s", 60},
                           {"max_attempts", 2}, {"coordinator_timeout_s", 10}, {"stop_grace_s", 7}}},
                {"threads_per_rank", 1}};
  }
  // The error message of parsing `j`; "" when it parses.
  std::string error_of(const json& j) {
    auto e = parse_experiment(j, dir_.path());
    return e.ok() ? "" : e.message();
  }
  test::TempDir dir_;
};

TEST_F(ExperimentTest, ParsesAValidFileAndResolvesPathsAgainstItsDirectory) {
  auto e = parse_experiment(valid(), dir_.path());
  ASSERT_TRUE(e.ok()) << e.message();
  EXPECT_EQ(e->run_dir, std::filesystem::weakly_canonical(dir_ / "run").string());
  EXPECT_EQ(e->data_dir, std::filesystem::weakly_canonical(dir_ / "data").string());
  EXPECT_EQ(e->recipe["max_epochs"], 3);
  EXPECT_EQ(e->recipe["checkpoint"]["every_epochs"], 1);
  EXPECT_EQ(e->fault.max_attempts, 2);
  EXPECT_EQ(e->fault.stop_grace_s, 7);
  json bad = valid();
  bad["fault"]["stop_grace_s"] = -1;
  EXPECT_NE(error_of(bad).find("fault.stop_grace_s"), std::string::npos) << error_of(bad);
  EXPECT_EQ(e->dataset_rows, (std::vector<int64_t>{2, 2}));
}

TEST_F(ExperimentTest, LoadNamesTheFileInErrors) {
  test::write_file(dir_ / "bad.json", "{ not json");
  auto e = load_experiment(*make_posix_storage(), dir_ / "bad.json");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.message().find("bad.json"), std::string::npos) << e.message();
}

struct Rejection {
  const char* name;
  std::function<void(json&)> edit;
  const char* expected;  // a part of the message: the key path and the problem
};

TEST_F(ExperimentTest, RejectsEveryClassOfMistakeWithTheKeyPath) {
  const std::vector<Rejection> cases = {
      {"unknown top-level key", [](json& j) { j["sedes"] = {1}; }, "sedes: unknown key"},
      {"missing run_dir", [](json& j) { j.erase("run_dir"); }, "run_dir: missing"},
      {"wrong type run_dir", [](json& j) { j["run_dir"] = 3; }, "run_dir: must be a non-empty string"},
      {"datasets not array", [](json& j) { j["datasets"] = "FD001"; }, "datasets: must be a non-empty array"},
      {"dataset path", [](json& j) { j["datasets"][1] = "../etc"; }, "datasets[1]"},
      {"dataset separator", [](json& j) { j["datasets"][0] = "a/b"; }, "datasets[0]"},
      {"unknown dataset", [](json& j) { j["datasets"][1] = "FD009"; }, "datasets[1]: unknown dataset 'FD009'"},
      {"duplicate dataset", [](json& j) { j["datasets"][1] = "FD001"; }, "datasets[1]: duplicate"},
      {"seed type", [](json& j) { j["seeds"][0] = "1"; }, "seeds[0]: must be an integer"},
      {"negative seed", [](json& j) { j["seeds"][1] = -4; }, "seeds[1]: must be >= 0"},
      {"duplicate seed", [](json& j) { j["seeds"][1] = 1; }, "seeds[1]: duplicate seed"},
      {"unknown preset", [](json& j) { j["preset"] = "huge"; }, "unknown preset"},
      {"recipe unknown key", [](json& j) { j["recipe"]["model"] = {{"lstm_hiden", 4}}; }, "recipe.model.lstm_hiden"},
      {"recipe out of range", [](json& j) { j["recipe"]["max_epochs"] = 0; }, "recipe.max_epochs"},
      {"recipe null", [](json& j) { j["recipe"]["optimizer"] = {{"lr", nullptr}}; }, "recipe.optimizer.lr: must not be null"},
      {"checkpoint type", [](json& j) { j["checkpoint"]["every_epochs"] = 1.5; }, "checkpoint.every_epochs: must be an integer"},
      {"checkpoint range", [](json& j) { j["checkpoint"]["keep_last"] = 0; }, "checkpoint.keep_last: must be in"},
      {"checkpoint unknown", [](json& j) { j["checkpoint"]["every"] = 1; }, "checkpoint.every: unknown key"},
      {"fault unknown", [](json& j) { j["fault"]["timeout"] = 1; }, "fault.timeout: unknown key"},
      {"fault negative", [](json& j) { j["fault"]["heartbeat_interval_s"] = -1; }, "fault.heartbeat_interval_s: must be > 0"},
      {"fault type", [](json& j) { j["fault"]["worker_timeout_s"] = "5"; }, "fault.worker_timeout_s: must be a number"},
      {"fault attempts", [](json& j) { j["fault"]["max_attempts"] = 0; }, "fault.max_attempts: must be in 1..100"},
      {"timeout vs heartbeat", [](json& j) { j["fault"]["worker_timeout_s"] = 0.6; }, "fault.worker_timeout_s: must be >= 2 x"},
      {"threads", [](json& j) { j["threads_per_rank"] = 0; }, "threads_per_rank: must be in 1..1024"},
      {"not an object", [](json& j) { j = json::array(); }, "top level: must be a JSON object"},
      {"run_dir is data_dir", [](json& j) { j["run_dir"] = "data/"; }, "/data is data_dir: a run must not write into its data"},
      {"run_dir in data_dir", [](json& j) { j["run_dir"] = "data/../data/r"; }, "/data/r is inside data_dir "},
      {"data_dir in run_dir", [](json& j) { j["run_dir"] = "."; }, "/data is inside run_dir "},
  };
  ASSERT_EQ(error_of(valid()), "");
  for (const auto& c : cases) {
    json j = valid();
    c.edit(j);
    const std::string msg = error_of(j);
    EXPECT_NE(msg.find(c.expected), std::string::npos) << c.name << ": got '" << msg << "'";
  }
}

TEST_F(ExperimentTest, RunDirRefusesADifferentExperiment) {
  auto storage = make_posix_storage();
  auto a = parse_experiment(valid(), dir_.path());
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(prepare_run_dir(*storage, *a).ok());
  // Same experiment (fault policy changed only): accepted.
  json j = valid();
  j["fault"]["worker_timeout_s"] = 9;
  auto same = parse_experiment(j, dir_.path());
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(prepare_run_dir(*storage, *same).ok());
  // Other seeds: refused, naming the key.
  j["seeds"] = {1, 3};
  auto other = parse_experiment(j, dir_.path());
  ASSERT_TRUE(other.ok());
  Status st = prepare_run_dir(*storage, *other);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("different experiment"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("seeds"), std::string::npos) << st.message();
}

// The experiment file's reader (parse_strict_json): what nlohmann::json accepts silently (a key
// written twice) or reports without a place (an offset, a number overflow), with line:column.
TEST(StrictJson, NamesTheLineAndColumnOfWhatJsonCannotHold) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{\"a\": 1,\n \"b\": {\"c\": 1, \"c\": 2}}",
       "F:2:16: key 'b.c' is written twice (first at line 2); JSON would keep only the last"},
      {"[{\"x\": [0, {\"y\": 1,\n\n \"y\": 2}]}]",
       "F:3:2: key '[0].x[1].y' is written twice (first at line 1); JSON would keep only the last"},
      {"{\"k\\u00e9\": 1, \"k\xc3\xa9\": 2}", "F:1:16: key 'k\\xc3\\xa9' is written twice (first at line 1)"},
      {"\xEF\xBB\xBF{\"a\": 1, \"a\": 1}", "F:1:13: key 'a' is written twice (first at line 1)"},
      {"{\"a\": [1, 2, 1e400]}", "F:1:14: a[2]: 1e400 is not a finite number"},
      {"-1e999", "F:1:1: top level: -1e999 is not a finite number"},
      {"{\"a\": 1" + std::string(400, '0') + "}", "F:1:7: a: 1" + std::string(39, '0') + "... is not a finite number"},
      {"{\"a\": nan}", "F:1:8: not valid JSON: syntax error while parsing value - invalid literal; last read: '\"a\": na'"},
      {"{\"a\":\n\"x", "F:2:3: not valid JSON: syntax error while parsing value - invalid string: missing closing quote"},
      {"{\"a\": 1}}", "F:1:9: not valid JSON: syntax error while parsing value - unexpected '}'; expected end of input"},
      {"{\"a\": \"" + std::string(1000, 'z') + "\xff\"}", "F:1:1008: not valid JSON: syntax error while parsing value"},
  };
  for (const auto& [text, expected] : cases) {
    auto j = parse_strict_json(text, "F");
    ASSERT_FALSE(j.ok()) << text;
    EXPECT_EQ(j.message().substr(0, expected.size()), expected) << text << "\ngot: " << j.message();
    EXPECT_LT(j.message().size(), 400u) << j.message();  // what it last read is cut short
    for (char c : j.message()) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << j.message();
  }
}

TEST(StrictJson, AcceptsWhatJsonAcceptsOnce) {
  for (const std::string text : {"{\"a\": {\"x\": 1}, \"b\": {\"x\": 1}, \"x\": [{\"x\": 1}, {\"x\": 2}]}",
                                 "{\"a\": 1e-999, \"b\": 123456789012345678901234567890, \"c\": \"\\\"}\\\"\"}",
                                 "\xEF\xBB\xBF []", " 3 ", "{\"\": 1, \"a\": -0.0, \"s\": \"{[,\"}"}) {
    auto j = parse_strict_json(text, "F");
    ASSERT_TRUE(j.ok()) << text << ": " << j.message();
    EXPECT_EQ(*j, json::parse(text)) << text;
  }
  // Nesting far deeper than any file: refused or accepted, but no stack overflow.
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  EXPECT_TRUE(parse_strict_json(deep, "F").ok());
}

// The experiment file and the run markers above run_dir are read through the Storage given:
// here one held in memory, with nothing of it on disk.
TEST_F(ExperimentTest, LoadReadsTheFileAndTheRunMarkersThroughItsStorage) {
  fuzz::MemoryStorage storage;
  const std::string file = dir_ / "in_memory.json";
  json j = valid();
  j["run_dir"] = "outer/run";
  ASSERT_TRUE(storage.write_atomic(file, j.dump()).ok());
  auto e = load_experiment(storage, file);
  ASSERT_TRUE(e.ok()) << e.message();
  EXPECT_EQ(e->file, file);
  EXPECT_TRUE(e->threads_per_rank_set);
  ASSERT_TRUE(storage.write_atomic(dir_ / "outer/ledger.jsonl", "").ok());
  e = load_experiment(storage, file);
  ASSERT_FALSE(e.ok());
  const auto canonical = [&](const std::string& name) { return std::filesystem::weakly_canonical(dir_ / name).string(); };
  EXPECT_EQ(e.message(), "experiment file " + file + ": run_dir " + canonical("outer/run") + " is inside the run dir " +
                             canonical("outer") + " (it has ledger.jsonl): choose a directory outside other runs");
  EXPECT_FALSE(load_experiment(storage, dir_ / "absent.json").ok());
  ASSERT_TRUE(storage.write_atomic(file, "{\"seeds\": [1],\n\"seeds\": [2]}").ok());
  EXPECT_EQ(load_experiment(storage, file).message(),
            file + ":2:1: key 'seeds' is written twice (first at line 1); JSON would keep only the last");
}

// The scheduler takes its timeouts and attempt limit from the experiment's fault policy through
// one conversion: every field must arrive.
TEST(SchedulerConfigTest, EveryFieldOfTheFaultPolicyArrives) {
  FaultPolicy f;
  f.worker_timeout_s = 17;
  f.progress_timeout_s = 1234;
  f.max_attempts = 9;
  const SchedulerConfig c = scheduler_config(f);
  EXPECT_EQ(c.worker_timeout_s, 17);
  EXPECT_EQ(c.progress_timeout_s, 1234);
  EXPECT_EQ(c.max_attempts, 9);
}

}  // namespace
}  // namespace amnl::orch

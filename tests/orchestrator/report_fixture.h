#pragma once
// A hand-made run dir for the report tests: experiment.json, ledger records, and job files
// (metrics.json, history, test_predictions.csv) with values chosen by the test, plus tiny
// C-MAPSS-format data files whose constant baseline is known in closed form.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "orchestrator/rundir/ledger.h"
#include "support/test_support.h"

namespace amnl::test {

class ReportRunDir {
 public:
  ReportRunDir() : run_dir(dir / "run"), data_dir(dir / "data") {
    run_command({"mkdir", "-p", run_dir, data_dir});
  }

  void experiment(const std::vector<std::string>& datasets, const std::vector<int>& seeds,
                  const std::string& selection = "validation") {
    nlohmann::json e = {{"run_dir", run_dir}, {"data_dir", data_dir}, {"datasets", datasets}, {"seeds", seeds},
                        {"preset", "tiny"},
                        {"recipe", {{"data", {{"r_max", 125.0}, {"selection", selection}}}}}};
    write_file(run_dir + "/experiment.json", e.dump(1));
  }

  void record(nlohmann::json r) {
    r["time"] = "2024-05-01T12:00:00.000Z";
    ledger_ += orch::encode_ledger_record(r);
    write_file(run_dir + "/ledger.jsonl", ledger_);
  }
  void raw_ledger_bytes(const std::string& bytes) {
    ledger_ += bytes;
    write_file(run_dir + "/ledger.jsonl", ledger_);
  }

  std::string job_dir(const std::string& ds, int seed) const {
    return run_dir + "/jobs/" + ds + "/seed_" + std::to_string(seed);
  }
  void job_file(const std::string& ds, int seed, const std::string& name, const std::string& content) {
    run_command({"mkdir", "-p", job_dir(ds, seed)});
    write_file(job_dir(ds, seed) + "/" + name, content);
  }
  std::string job(const std::string& ds, int seed) const { return ds + "-s" + std::to_string(seed); }

  nlohmann::json metrics(const std::string& ds, int seed, double rmse, int resumes = 0, int attempt = 1) const {
    return {{"dataset", ds},         {"seed", seed},           {"selection", "validation"},
            {"test_rmse", rmse},     {"test_mae", rmse * 0.8}, {"nasa_score", rmse * 30},
            {"health_accuracy", 0.8}, {"health_macro_f1", 0.7}, {"val_rmse", rmse + 1},
            {"best_epoch", 4},       {"epochs_run", 6},
            {"run", {{"wall_seconds", 12.5}, {"attempt", attempt}, {"resumes", resumes}}}};
  }

  // A job done on attempt `attempt`: ledger records, metrics.json, history and predictions.
  // `metrics_in_ledger` false: a done record without metrics (as from an old coordinator).
  void done_job(const std::string& ds, int seed, double rmse, int attempt = 1, int resumed_from_epoch = -1,
                bool metrics_in_ledger = true) {
    const std::string id = job(ds, seed);
    const std::string dir = job_dir(ds, seed);
    run_command({"mkdir", "-p", dir});
    const int resumes = resumed_from_epoch >= 0 ? 1 : 0;
    const nlohmann::json m = metrics(ds, seed, rmse, resumes, attempt);
    write_file(dir + "/metrics.json", m.dump(1));
    nlohmann::json history = nlohmann::json::array();
    for (int e = 1; e <= 6; ++e) history.push_back({{"epoch", e}, {"val_rmse", rmse + 30.0 / e}, {"lr", 1e-3}});
    write_file(dir + "/" + ds + "_v7_seed" + std::to_string(seed) + "_history.json", history.dump());
    std::string csv = "unit,true_rul,predicted_rul,health_true,health_predicted\n";
    for (int u = 1; u <= 8; ++u)
      csv += std::to_string(u) + "," + std::to_string(u * 14) + "," + std::to_string(u * 14 + (u % 3) * 4 - 4) +
             "," + std::to_string(u * 14 > 80 ? 0 : u * 14 > 30 ? 1 : 2) + ",1\n";
    write_file(dir + "/test_predictions.csv", csv);
    for (int a = 1; a <= attempt; ++a) {
      record({{"event", "assigned"}, {"job", id}, {"attempt", a}, {"rank", 1}});
      record({{"event", "progress"}, {"job", id}, {"attempt", a}, {"rank", 1}, {"epoch", 1}, {"max_epochs", 6},
              {"val_rmse", rmse + 30}, {"best_val_rmse", rmse + 30}, {"epoch_seconds", 1.0}});
      if (a < attempt)
        record({{"event", "attempt_failed"}, {"job", id}, {"attempt", a}, {"failures", a}, {"max_attempts", 3},
                {"reason", "worker rank 1 lost"}});
    }
    record({{"event", "done"}, {"job", id}, {"attempt", attempt}, {"rank", 1}, {"epochs_run", 6},
            {"resumed_from_epoch", resumed_from_epoch}, {"final_model", dir + "/m.pt"}, {"seconds", 3.0},
            {"metrics", metrics_in_ledger ? m : nlohmann::json::object()}});
  }

  // Train: unit 1 cycles 1..4 (RUL 3,2,1,0), unit 2 cycles 1..3 (RUL 2,1,0): mean 9/7.
  // Test: 2 units, true RUL 10 and 200 (capped to 125).
  void data_files(const std::string& ds) {
    auto row = [](int unit, int cycle) {
      std::string r = std::to_string(unit) + " " + std::to_string(cycle);
      for (int c = 0; c < 24; ++c) r += " " + std::to_string(0.5 + c + cycle * 0.01);
      return r + "\n";
    };
    std::string train, test;
    for (int c = 1; c <= 4; ++c) train += row(1, c);
    for (int c = 1; c <= 3; ++c) train += row(2, c);
    for (int c = 1; c <= 2; ++c) test += row(1, c);
    for (int c = 1; c <= 3; ++c) test += row(2, c);
    write_file(data_dir + "/train_" + ds + ".txt", train);
    write_file(data_dir + "/test_" + ds + ".txt", test);
    write_file(data_dir + "/RUL_" + ds + ".txt", "10\n200\n");
  }

  TempDir dir;
  std::string run_dir, data_dir;

 private:
  std::string ledger_;
};

// The entry of results.json's `list` ("datasets" or "seeds") whose `key` is `name`; a test
// failure (and null) when there is none.
inline const nlohmann::json& entry_of(const nlohmann::json& results, const char* list, const char* key,
                                      const std::string& name) {
  for (const nlohmann::json& e : results[list])
    if (e[key] == name) return e;
  static const nlohmann::json kNone;
  ADD_FAILURE() << "no " << key << " " << name << " in results." << list;
  return kNone;
}
inline const nlohmann::json& dataset_of(const nlohmann::json& results, const std::string& name) {
  return entry_of(results, "datasets", "dataset", name);
}
inline const nlohmann::json& seed_of(const nlohmann::json& results, const std::string& job) {
  return entry_of(results, "seeds", "job", job);
}

}  // namespace amnl::test

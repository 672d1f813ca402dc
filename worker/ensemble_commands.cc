#include "worker/ensemble_commands.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "common/ensemble.h"
#include "common/exit_codes.h"
#include "common/safe_path.h"
#include "worker/final_model.h"
#include "worker/metrics.h"
#include "worker/trainer.h"

namespace amnl::worker {

using nlohmann::json;
namespace fs = std::filesystem;

Result<std::vector<std::string>> run_final_models(const std::string& run_dir, const std::string& dataset) {
  using R = Result<std::vector<std::string>>;
  if (Status s = check_plain_name(dataset, "--dataset"); !s.ok()) return s;
  const fs::path dir = fs::path(run_dir) / "jobs" / dataset;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return R::Error(dir.string() + ": no such directory (no job of " + dataset + " in this run dir?)");
  std::vector<std::pair<int64_t, std::string>> found;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("seed_", 0) != 0) continue;
    char* end = nullptr;
    const long long seed = std::strtoll(name.c_str() + 5, &end, 10);
    if (*end != '\0' || end == name.c_str() + 5) continue;
    const fs::path model = entry.path() / final_model_name(dataset, seed);
    if (fs::is_regular_file(model, ec)) found.emplace_back(seed, model.string());
  }
  if (found.empty()) return R::Error(dir.string() + ": no seed has a final model (" + final_model_name(dataset, 0) + " style): no seed done yet?");
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (const auto& [seed, path] : found) out.push_back(path);
  return out;
}

Status default_data_files(EnsembleCommand& c) {
  if (c.run_dir.empty() || (!c.data.empty() && (!c.evaluate || !c.rul.empty()))) return Status::Ok();
  const std::string path = c.run_dir + "/experiment.json";
  std::ifstream in(path);
  const json e = in ? json::parse(in, nullptr, false) : json();
  if (!e.is_object() || !e.contains("data_dir") || !e["data_dir"].is_string())
    return Status::Error(path + ": cannot read its data_dir; give --data" + std::string(c.evaluate ? " and --rul" : ""));
  const std::string dir = e["data_dir"].get<std::string>();
  if (c.data.empty()) c.data = dir + "/test_" + c.dataset + ".txt";
  if (c.evaluate && c.rul.empty()) c.rul = dir + "/RUL_" + c.dataset + ".txt";
  return Status::Ok();
}

namespace {

int fail(const std::string& message, int code) {
  std::cerr << "amnl: " << message << "\n";
  return code;
}

json model_metrics(const std::string& model, const UnitPredictions& p) {
  return {{"model", model},
          {"seed", p.model_meta.value("seed", json())},
          {"test_rmse", rmse(p.rul, p.true_rul)},
          {"test_mae", mae(p.rul, p.true_rul)},
          {"nasa_score", nasa_score(p.rul, p.true_rul)},
          {"health_accuracy", accuracy(p.health, p.true_health)},
          {"health_macro_f1", macro_f1(p.health, p.true_health, 3)}};
}

// Ensemble lines: "# unit ensemble_rul spread <model 1> .. <model n>", then one line per unit.
void print_ensemble_predictions(const std::vector<std::string>& models, const std::vector<UnitPredictions>& p,
                                const EnsembleScores& e) {
  std::printf("# unit ensemble_rul spread");
  for (const auto& m : models) std::printf(" %s", fs::path(m).filename().string().c_str());
  std::printf("\n");
  for (size_t u = 0; u < p[0].units.size(); ++u) {
    std::printf("%d %.6f %.6f", p[0].units[u], e.mean[u], e.spread[u]);
    for (const auto& one : p) std::printf(" %.6f", one.rul[u]);
    std::printf("\n");
  }
}

json evaluation_json(const EnsembleCommand& c, const std::vector<UnitPredictions>& p, const EnsembleScores& e) {
  json per_model = json::array();
  std::vector<double> rmses;
  for (size_t i = 0; i < p.size(); ++i) {
    per_model.push_back(model_metrics(c.models[i], p[i]));
    rmses.push_back(rmse(p[i].rul, p[i].true_rul));
  }
  double mean = 0, ss = 0;
  for (double r : rmses) mean += r / static_cast<double>(rmses.size());
  for (double r : rmses) ss += (r - mean) * (r - mean);
  json units = json::array();
  for (size_t u = 0; u < e.mean.size(); ++u)
    units.push_back({{"unit", p[0].units[u]}, {"true_rul", p[0].true_rul[u]}, {"ensemble", e.mean[u]}, {"spread", e.spread[u]}});
  return {{"data", c.data},
          {"rul", c.rul},
          {"units", p[0].units.size()},
          {"models", per_model},
          {"single_models", {{"n", p.size()}, {"mean_rmse", mean},
                             {"sd_rmse", p.size() > 1 ? json(std::sqrt(ss / static_cast<double>(p.size() - 1))) : json()}}},
          {"ensemble", {{"n", p.size()}, {"test_rmse", e.rmse}, {"test_mae", e.mae}, {"nasa_score", e.nasa_score},
                        {"mean_spread", e.mean_spread}, {"per_unit", units}}}};
}

}  // namespace

int run_ensemble_command(EnsembleCommand c) {
  if (!c.run_dir.empty()) {
    if (!c.models.empty()) return fail("give either --model files or --run RUN_DIR --dataset D, not both", kExitUsage);
    if (c.dataset.empty()) return fail("--run needs --dataset", kExitUsage);
    auto models = run_final_models(c.run_dir, c.dataset);
    if (!models.ok()) return fail(models.message(), kExitFailed);
    c.models = *models;
    if (Status s = default_data_files(c); !s.ok()) return fail(s.message(), kExitUsage);
  }
  if (c.models.empty()) return fail("give --model (one or more) or --run RUN_DIR --dataset D", kExitUsage);
  if (c.data.empty()) return fail("--data is required", kExitUsage);
  if (c.evaluate && c.rul.empty()) return fail("--rul is required", kExitUsage);
  std::vector<UnitPredictions> p;
  for (const std::string& m : c.models) {
    auto one = predict_with_model_file(m, c.data, c.evaluate ? c.rul : "", c.threads);
    if (!one.ok()) return fail(one.message(), kExitFailed);
    if (!p.empty() && one->units != p[0].units)
      return fail(m + ": predicted other units than " + c.models[0] + " on " + c.data, kExitFailed);
    p.push_back(std::move(*one));
  }
  std::vector<std::vector<double>> preds;
  for (const auto& one : p) preds.push_back(one.rul);
  const EnsembleScores e = ensemble_scores(preds, c.evaluate ? p[0].true_rul : std::vector<double>{});
  if (c.evaluate) std::cout << evaluation_json(c, p, e).dump(1) << "\n";
  else print_ensemble_predictions(c.models, p, e);
  return kExitOk;
}

}  // namespace amnl::worker

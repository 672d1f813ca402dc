#include "orchestrator/report/report_ensemble.h"

#include <cmath>

#include "orchestrator/report/report_collect.h"

namespace amnl::orch {
namespace {

// "" when `s` covers exactly the units (same order, same true RUL) of `first`, else why not.
std::string differs_from(const SeedResult& s, const SeedResult& first) {
  if (s.predictions.size() != first.predictions.size())
    return std::to_string(s.predictions.size()) + " test units in test_predictions.csv, but " + first.job + " has " +
           std::to_string(first.predictions.size());
  for (size_t u = 0; u < s.predictions.size(); ++u) {
    const TestPrediction& a = s.predictions[u];
    const TestPrediction& b = first.predictions[u];
    if (a.unit != b.unit || std::fabs(a.true_rul - b.true_rul) > 1e-9)
      return "test unit " + std::to_string(a.unit) + " (row " + std::to_string(u + 1) + ") differs from " + first.job +
             "'s (other test data?)";
  }
  return "";
}

// The seeds that enter, or the reason each other one does not.
std::vector<const SeedResult*> members(const std::vector<SeedResult>& seeds, const std::string& ds,
                                       std::vector<std::string>& left_out) {
  std::vector<const SeedResult*> in;
  for (const SeedResult& s : seeds) {
    if (s.dataset != ds) continue;
    std::string why;
    if (s.state != "done") why = s.state + (s.reason.empty() ? "" : ": " + s.reason);
    else if (!s.has_metrics) why = "done but without readable metrics";
    else if (s.predictions.empty()) why = "no readable test_predictions.csv";
    else if (!in.empty()) why = differs_from(s, *in.front());
    if (why.empty()) in.push_back(&s);
    else left_out.push_back(s.job + ": " + why);
  }
  return in;
}

}  // namespace

EnsembleResult dataset_ensemble(const std::vector<SeedResult>& seeds, const std::string& ds) {
  EnsembleResult e;
  const std::vector<const SeedResult*> in = members(seeds, ds, e.left_out);
  if (in.empty()) {
    e.why_not = "no done seed with test predictions";
    return e;
  }
  std::vector<std::vector<double>> p;
  for (const SeedResult* s : in) {
    e.seeds.push_back(s->seed);
    std::vector<double> row;
    for (const TestPrediction& t : s->predictions) row.push_back(t.predicted_rul);
    p.push_back(std::move(row));
  }
  std::vector<double> truth;
  for (const TestPrediction& t : in.front()->predictions) truth.push_back(t.true_rul);
  const EnsembleScores sc = ensemble_scores(p, truth);
  for (size_t u = 0; u < truth.size(); ++u) {
    EnsembleUnit eu;
    eu.unit = in.front()->predictions[u].unit;
    eu.true_rul = truth[u];
    for (const auto& model : p) eu.predictions.push_back(model[u]);
    eu.ensemble = sc.mean[u];
    eu.spread = sc.spread[u];
    e.units.push_back(std::move(eu));
  }
  e.rmse = sc.rmse;
  e.mae = sc.mae;
  e.nasa_score = sc.nasa_score;
  e.mean_spread = sc.mean_spread;
  e.gain = ensemble_gain(p, truth);
  e.available = true;
  return e;
}

}  // namespace amnl::orch

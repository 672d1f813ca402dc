#include "orchestrator/report/report_compare.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "orchestrator/report/report_format.h"

namespace amnl::orch {

using nlohmann::json;

namespace {

std::map<int64_t, double> done_rmse_by_seed(const RunResults& run, const std::string& ds) {
  std::map<int64_t, double> out;
  for (const SeedResult& s : run.seeds_results)
    if (s.dataset == ds && s.state == "done" && s.has_metrics) out[s.seed] = s.test_rmse;
  return out;
}

// The data fingerprints of a dataset's done seeds, "" left out; joined for a message.
std::string data_files_of(const RunResults& run, const std::string& ds) {
  std::set<std::string> crcs;
  for (const SeedResult& s : run.seeds_results)
    if (s.dataset == ds && s.state == "done" && s.has_metrics && !s.data_crc32.empty()) crcs.insert(s.data_crc32);
  std::string out;
  for (const std::string& c : crcs) out += (out.empty() ? "" : ", ") + c;
  return out;
}

json test_json(const TTestResult& t) {
  json j = {{"valid", t.valid}, {"difference", t.difference}, {"n_a", t.n_a}, {"n_b", t.n_b}};
  if (t.valid) {
    j["t"] = t.t;
    j["df"] = t.df;
    j["p_two_sided"] = t.p_two_sided;
  } else {
    j["why_not"] = t.why_not;
  }
  return j;
}

json summary_json(const SampleSummary& s) {
  json j = {{"n", s.n}};
  if (s.n) j["mean"] = s.mean;
  j["sd"] = s.n > 1 ? json(s.sd) : json();
  return j;
}

const EnsembleResult* ensemble_of(const RunResults& run, const std::string& ds) {
  for (const DatasetResult& d : run.dataset_results)
    if (d.dataset == ds) return &d.ensemble;
  return nullptr;
}

// The two ensembles' RMSE and the paired t-test over units of their squared errors.
void compare_ensembles(const EnsembleResult* a, const EnsembleResult* b, DatasetComparison& d) {
  if (a && a->available) d.ensemble_n_a = static_cast<int>(a->seeds.size()), d.ensemble_rmse_a = a->rmse;
  if (b && b->available) d.ensemble_n_b = static_cast<int>(b->seeds.size()), d.ensemble_rmse_b = b->rmse;
  if (!d.ensemble_n_a || !d.ensemble_n_b) {
    d.ensemble_test.why_not = "no ensemble in " + std::string(!d.ensemble_n_a ? "A" : "B");
    return;
  }
  if (a->units.size() != b->units.size()) {
    d.ensemble_test.why_not = "A and B have different test units";
    return;
  }
  std::vector<double> ea, eb;
  for (size_t u = 0; u < a->units.size(); ++u) {
    if (a->units[u].unit != b->units[u].unit || a->units[u].true_rul != b->units[u].true_rul) {
      d.ensemble_test.why_not = "A and B have different test units";
      return;
    }
    ea.push_back(std::pow(a->units[u].ensemble - a->units[u].true_rul, 2));
    eb.push_back(std::pow(b->units[u].ensemble - b->units[u].true_rul, 2));
  }
  d.ensemble_test = paired_t_test(ea, eb);
}

std::string ensemble_cell(int n, double rmse) { return n ? format_number(rmse, 3) + " (" + std::to_string(n) + ")" : "–"; }

}  // namespace

RunComparison compare_runs(const RunResults& a, const RunResults& b) {
  RunComparison c;
  c.run_a = a.run_dir;
  c.run_b = b.run_dir;
  std::vector<std::string> names = a.datasets;
  for (const std::string& ds : b.datasets)
    if (std::find(names.begin(), names.end(), ds) == names.end()) names.push_back(ds);
  for (const std::string& ds : names) {
    DatasetComparison d;
    d.dataset = ds;
    const auto ra = done_rmse_by_seed(a, ds), rb = done_rmse_by_seed(b, ds);
    std::vector<double> va, vb, pa, pb;
    for (const auto& [seed, v] : ra) va.push_back(v);
    for (const auto& [seed, v] : rb) vb.push_back(v);
    for (const auto& [seed, v] : ra) {
      auto it = rb.find(seed);
      if (it == rb.end()) continue;
      d.paired_seeds.push_back(seed);
      pa.push_back(v);
      pb.push_back(it->second);
    }
    d.a = summarize(va);
    d.b = summarize(vb);
    d.welch = welch_t_test(va, vb);
    d.paired = paired_t_test(pa, pb);
    if (d.paired_seeds.empty()) d.paired.why_not = "no seed done in both runs";
    const std::string files_a = data_files_of(a, ds), files_b = data_files_of(b, ds);
    if (!files_a.empty() && !files_b.empty() && files_a != files_b)
      d.different_data = "A and B trained on different data files (crc32 A: " + files_a + "; B: " + files_b +
                         "): the difference is not the recipes' alone";
    compare_ensembles(ensemble_of(a, ds), ensemble_of(b, ds), d);
    c.datasets.push_back(std::move(d));
  }
  return c;
}

json comparison_json(const RunComparison& c) {
  json j = {{"run_a", c.run_a}, {"run_b", c.run_b}, {"metric", "test_rmse"}, {"difference", "A - B"}};
  j["datasets"] = json::array();
  for (const DatasetComparison& d : c.datasets)
    j["datasets"].push_back({{"dataset", d.dataset}, {"a", summary_json(d.a)}, {"b", summary_json(d.b)},
                             {"welch", test_json(d.welch)}, {"paired", test_json(d.paired)},
                             {"paired_seeds", d.paired_seeds},
                             {"ensemble",
                              {{"n_a", d.ensemble_n_a}, {"n_b", d.ensemble_n_b},
                               {"rmse_a", d.ensemble_n_a ? json(d.ensemble_rmse_a) : json()},
                               {"rmse_b", d.ensemble_n_b ? json(d.ensemble_rmse_b) : json()},
                               {"difference", d.ensemble_n_a && d.ensemble_n_b ? json(d.ensemble_rmse_a - d.ensemble_rmse_b) : json()},
                               {"paired_units_squared_error", test_json(d.ensemble_test)}}},
                             {"different_data", d.different_data.empty() ? json() : json(d.different_data)}});
  return j;
}

std::string comparison_markdown(const RunComparison& c) {
  std::string md = "## Comparison: A = " + c.run_a + ", B = " + c.run_b + "\n\n";
  md += "Test RMSE, difference A − B (negative: A is better). Welch's t-test on the means; paired t-test over the "
        "seeds done in both runs. p-values are two-sided.\n\n";
  md += "| dataset | n A | mean A | n B | mean B | A − B | Welch t | df | Welch p | paired n | paired mean diff | paired p |\n";
  md += "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const DatasetComparison& d : c.datasets) {
    auto p3 = [](double v) { return format_number(v, 3); };
    md += "| " + d.dataset + " | " + std::to_string(d.a.n) + " | " + (d.a.n ? p3(d.a.mean) : "–") + " | " +
          std::to_string(d.b.n) + " | " + (d.b.n ? p3(d.b.mean) : "–") + " | " +
          (d.a.n && d.b.n ? p3(d.a.mean - d.b.mean) : "–") + " | " + (d.welch.valid ? p3(d.welch.t) : "–") + " | " +
          (d.welch.valid ? format_number(d.welch.df, 2) : "–") + " | " +
          (d.welch.valid ? format_number(d.welch.p_two_sided, 4) : d.welch.why_not) + " | " +
          std::to_string(d.paired_seeds.size()) + " | " + (d.paired.n_a > 0 ? p3(d.paired.difference) : "–") +
          " | " + (d.paired.valid ? format_number(d.paired.p_two_sided, 4) : d.paired.why_not) + " |\n";
  }
 md += "\nEnsembles of the seeds (mean prediction per test unit; seeds in brackets): RMSE A and B, and a paired "
        "t-test over the test units of the squared errors (A − B).\n\n";
  md += "| dataset | ensemble A | ensemble B | A − B | units | mean squared-error diff | paired p |\n|---|---|---|---|---|---|---|\n";
  for (const DatasetComparison& d : c.datasets) {
    const TTestResult& t = d.ensemble_test;
    md += "| " + d.dataset + " | " + ensemble_cell(d.ensemble_n_a, d.ensemble_rmse_a) + " | " +
          ensemble_cell(d.ensemble_n_b, d.ensemble_rmse_b) + " | " +
          (d.ensemble_n_a && d.ensemble_n_b ? format_number(d.ensemble_rmse_a - d.ensemble_rmse_b, 3) : "–") + " | " +
          (t.n_a ? std::to_string(t.n_a) : "–") + " | " + (t.n_a ? format_number(t.difference, 2) : "–") + " | " +
          (t.valid ? format_number(t.p_two_sided, 4) : t.why_not) + " |\n";
  }
  for (const DatasetComparison& d : c.datasets)
    if (!d.different_data.empty()) md += "\n> Warning: " + d.dataset + ": " + d.different_data + ".\n";
  return md;
}

std::string comparison_text(const RunComparison& c) {
  std::string out = "compare: A = " + c.run_a + "\n         B = " + c.run_b + "\n";
  char line[400];
  std::snprintf(line, sizeof line, "%-10s %5s %8s %5s %8s %8s %9s %9s %7s %9s\n", "dataset", "n A", "mean A", "n B",
                "mean B", "A - B", "Welch p", "paired n", "diff", "paired p");
  out += line;
  for (const DatasetComparison& d : c.datasets) {
    std::snprintf(line, sizeof line, "%-10s %5d %8s %5d %8s %8s %9s %9zu %7s %9s\n", d.dataset.c_str(), d.a.n,
                  d.a.n ? format_number(d.a.mean, 3).c_str() : "-", d.b.n,
                  d.b.n ? format_number(d.b.mean, 3).c_str() : "-",
                  d.a.n && d.b.n ? format_number(d.a.mean - d.b.mean, 3).c_str() : "-",
                  d.welch.valid ? format_number(d.welch.p_two_sided, 4).c_str() : "n/a", d.paired_seeds.size(),
                  d.paired.n_a > 0 ? format_number(d.paired.difference, 3).c_str() : "-",
                  d.paired.valid ? format_number(d.paired.p_two_sided, 4).c_str() : "n/a");
    out += line;
  }
  std::snprintf(line, sizeof line, "%-10s %14s %14s %8s %9s\n", "ensemble", "A (seeds)", "B (seeds)", "A - B",
                "paired p");
  out += line;
  for (const DatasetComparison& d : c.datasets) {
    std::snprintf(line, sizeof line, "%-10s %14s %14s %8s %9s\n", d.dataset.c_str(),
                  ensemble_cell(d.ensemble_n_a, d.ensemble_rmse_a).c_str(),
                  ensemble_cell(d.ensemble_n_b, d.ensemble_rmse_b).c_str(),
                  d.ensemble_n_a && d.ensemble_n_b ? format_number(d.ensemble_rmse_a - d.ensemble_rmse_b, 3).c_str() : "-",
                  d.ensemble_test.valid ? format_number(d.ensemble_test.p_two_sided, 4).c_str() : "n/a");
    out += line;
  }
  for (const DatasetComparison& d : c.datasets)
    if (!d.different_data.empty()) out += "warning: " + d.dataset + ": " + d.different_data + "\n";
  return out;
}

}  // namespace amnl::orch

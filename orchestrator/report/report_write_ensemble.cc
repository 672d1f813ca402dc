// The ensemble of the seeds in results.json, report.md and report.html (report_ensemble.h).
#include <cmath>

#include "orchestrator/report/report_format.h"

namespace amnl::orch {

using nlohmann::json;

namespace {

json finite_or_null(double v) { return std::isfinite(v) ? json(v) : json(); }

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

std::string single_text(const SampleSummary& s) {
  if (s.n == 0) return "";
  return format_number(s.mean, 3) + (s.n > 1 ? " ± " + format_number(s.sd, 3) : "");
}

// One row per dataset: seeds in it, single seeds' mean ± std, ensemble RMSE / MAE / NASA, spread.
std::vector<std::vector<std::string>> ensemble_rows(const RunResults& run) {
  std::vector<std::vector<std::string>> rows;
  for (const DatasetResult& d : run.dataset_results) {
    const EnsembleResult& e = d.ensemble;
    std::string left;
    for (const std::string& l : e.left_out) left += (left.empty() ? "" : "; ") + l;
    if (!e.available) {
      rows.push_back({d.dataset, "0", single_text(d.rmse), "", "", "", "", e.why_not + (left.empty() ? "" : "; " + left)});
      continue;
    }
    rows.push_back({d.dataset, std::to_string(e.seeds.size()) + " / " + std::to_string(d.planned),
                    single_text(d.rmse), format_number(e.rmse, 3), format_number(e.mae, 3),
                    format_number(e.nasa_score, 1), format_number(e.mean_spread, 2), left});
  }
  return rows;
}

const std::vector<std::string> kEnsembleHeader = {
    "dataset", "seeds in ensemble", "single seeds: RMSE mean ± std", "ensemble RMSE", "ensemble MAE",
    "ensemble NASA score", "mean spread (std across seeds)", "left out"};

// dataset, k, subsets, mean RMSE, min - max, change against k = 1.
std::vector<std::vector<std::string>> gain_rows(const RunResults& run) {
  std::vector<std::vector<std::string>> rows;
  for (const DatasetResult& d : run.dataset_results) {
    const EnsembleResult& e = d.ensemble;
    for (const EnsembleGain& g : e.gain) {
      const double change = g.mean_rmse - e.gain.front().mean_rmse;
      rows.push_back({d.dataset, std::to_string(g.k),
                      std::to_string(g.subsets) + (g.sampled ? " (sampled)" : ""), format_number(g.mean_rmse, 3),
                      format_number(g.min_rmse, 3) + " – " + format_number(g.max_rmse, 3),
                      g.k == 1 ? "" : (change >= 0 ? "+" : "") + format_number(change, 3)});
    }
  }
  return rows;
}

const std::vector<std::string> kGainHeader = {"dataset", "k seeds", "subsets", "ensemble RMSE (mean over subsets)",
                                              "min – max", "vs k = 1"};

std::string md_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  auto cell = [](const std::string& s) {
    std::string out;
    for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c == '\n' ? ' ' : c);
    return out.empty() ? std::string("–") : out;
  };
  std::string md = "|", rule = "|";
  for (const auto& h : header) md += " " + h + " |", rule += "---|";
  md += "\n" + rule + "\n";
  for (const auto& r : rows) {
    md += "|";
    for (const auto& c : r) md += " " + cell(c) + " |";
    md += "\n";
  }
  return md;
}

std::string html_table(const char* id, const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows) {
  std::string h = std::string("<div class=\"wide\"><table id=\"") + id + "\">\n<tr>";
  for (const auto& c : header) h += "<th>" + html_escape(c) + "</th>";
  h += "</tr>\n";
  for (const auto& r : rows) {
    h += "<tr>";
    for (size_t i = 0; i < r.size(); ++i)
      h += std::string(i == 0 || i + 1 == r.size() ? "<td class=\"l\">" : "<td>") +
           (r[i].empty() ? "–" : html_escape(r[i])) + "</td>";
    h += "</tr>\n";
  }
  return h + "</table></div>\n";
}

const char* kEnsembleIntro =
    "The ensemble predicts each test unit as the mean of the done seeds' predictions "
    "(test_predictions.csv); its RMSE is against the same capped true RUL as the single seeds'. "
    "The spread is the sample std across seeds per unit, averaged over units.";
const char* kGainIntro =
    "How much the ensemble gains with the number of seeds: for each k, the ensemble RMSE averaged over "
    "subsets of k of the done seeds (k = 1 is the single seeds' mean RMSE).";

}  // namespace

json ensemble_json(const EnsembleResult& e, const SampleSummary& single) {
  json j = {{"available", e.available}, {"n", e.seeds.size()}, {"seeds", e.seeds}, {"left_out", e.left_out}};
  j["single_seeds"] = {{"n", single.n},
                       {"mean_rmse", single.n ? json(single.mean) : json()},
                       {"sd_rmse", single.n > 1 ? json(single.sd) : json()}};
  if (!e.available) {
    j["why_not"] = e.why_not;
    return j;
  }
  j["test_rmse"] = finite_or_null(e.rmse);
  j["test_mae"] = finite_or_null(e.mae);
  j["nasa_score"] = finite_or_null(e.nasa_score);
  j["mean_spread"] = finite_or_null(e.mean_spread);
  json gain = json::array();
  for (const EnsembleGain& g : e.gain)
    gain.push_back({{"k", g.k}, {"subsets", g.subsets}, {"sampled", g.sampled}, {"mean_rmse", finite_or_null(g.mean_rmse)},
                    {"min_rmse", finite_or_null(g.min_rmse)}, {"max_rmse", finite_or_null(g.max_rmse)}});
  j["gain"] = gain;
  json units = json::array();
  for (const EnsembleUnit& u : e.units) {
    json per_seed = json::object();
    for (size_t i = 0; i < e.seeds.size() && i < u.predictions.size(); ++i)
      per_seed[std::to_string(e.seeds[i])] = u.predictions[i];
    units.push_back({{"unit", u.unit}, {"true_rul", u.true_rul}, {"predictions", per_seed},
                     {"ensemble", u.ensemble}, {"spread", u.spread}});
  }
  j["units"] = units;
  return j;
}

std::string ensemble_markdown(const RunResults& run) {
  std::string md = "\n## Ensemble of the seeds\n\n" + std::string(kEnsembleIntro) + "\n\n";
  md += md_table(kEnsembleHeader, ensemble_rows(run));
  const auto gains = gain_rows(run);
  if (!gains.empty()) md += "\n### Gain with the number of seeds\n\n" + std::string(kGainIntro) + "\n\n" + md_table(kGainHeader, gains);
  return md;
}

std::string ensemble_html(const RunResults& run) {
  std::string h = "<h2>Ensemble of the seeds</h2>\n<p>" + html_escape(kEnsembleIntro) + "</p>\n";
  h += html_table("ensemble", kEnsembleHeader, ensemble_rows(run));
  const auto gains = gain_rows(run);
  if (!gains.empty())
    h += "<h3>Gain with the number of seeds</h3>\n<p>" + html_escape(kGainIntro) + "</p>\n" +
         html_table("ensemble-gain", kGainHeader, gains);
  return h;
}

}  // namespace amnl::orch

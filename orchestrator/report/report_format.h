#pragma once
// The report's output formats, each a pure function of the collected results (report_collect.h),
// the rendered plots and an optional comparison, so each is tested on hand-made results.
#include <string>

#include <nlohmann/json.hpp>

#include "orchestrator/report/report_collect.h"
#include "orchestrator/report/report_compare.h"
#include "orchestrator/report/report_plots.h"

namespace amnl::orch {

// "12.345" with `decimals` digits; "" for NaN.
std::string format_number(double v, int decimals);
// The interval of a summary as "[lo, hi]", or the reason there is none ("n=1: no interval").
std::string interval_text(const SampleSummary& s, int decimals);

// results.json: the whole report for machines (schema "amnl.results/1").
nlohmann::json results_json(const RunResults& run, const PlotSet& plots);
// per_seed.csv: one row per seed, header first; the columns are documented in per_seed_columns().
std::string per_seed_csv(const RunResults& run);
// (name, meaning) of each per_seed.csv column, in order.
const std::vector<std::pair<std::string, std::string>>& per_seed_columns();
// report.md: for people; images referenced as plots/<file>.
std::string report_markdown(const RunResults& run, const PlotSet& plots, const RunComparison* compare);
// report.html: one self-contained page (inline CSS, images as base64 data URIs).
std::string report_html(const RunResults& run, const PlotSet& plots, const RunComparison* compare);
// The per-dataset table as fixed-width text, for the terminal.
std::string per_dataset_text(const RunResults& run);

std::string base64_encode(const std::string& bytes);

// The ensemble parts (report_write_ensemble.cc): results.json's per-dataset "ensemble" (beside
// the single seeds' `single` summary), and the ensemble and gain tables of report.md / .html.
nlohmann::json ensemble_json(const EnsembleResult& e, const SampleSummary& single);
std::string ensemble_markdown(const RunResults& run);
std::string ensemble_html(const RunResults& run);

}  // namespace amnl::orch

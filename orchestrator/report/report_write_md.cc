// report.md and the terminal table: the report for people.
#include <cmath>

#include "orchestrator/report/report_format.h"

namespace amnl::orch {
namespace {

// Markdown table cells must not contain '|' or line breaks.
std::string cell(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out.empty() ? "–" : out;
}

std::string signed_number(double v, int decimals) { return (v >= 0 ? "+" : "") + format_number(v, decimals); }

std::string reference_text(const DatasetResult& d) {
  if (!d.reference) return "–";
  return format_number(d.reference->mean, 2) + " ± " + format_number(d.reference->sd, 2);
}

std::string difference_text(const DatasetResult& d) {
  if (!d.reference || d.rmse.n == 0) return "–";
  return signed_number(d.rmse.mean - d.reference->mean, 2);
}

std::string baseline_text(const DatasetResult& d) {
  return d.baseline.available ? format_number(d.baseline.test_rmse, 2) : "n/a";
}

std::string optional_int(int v) { return v >= 0 ? std::to_string(v) : "–"; }

std::string ensemble_rmse_text(const DatasetResult& d) {
  return d.ensemble.available ? format_number(d.ensemble.rmse, 3) : "";
}

}  // namespace

std::string per_dataset_text(const RunResults& run) {
  char line[512];
  std::string out;
  std::snprintf(line, sizeof line, "%-10s %9s %8s %7s %18s %7s %7s %9s %14s %8s %9s\n", "dataset", "done", "mean",
                "std", "95% interval", "min", "max", "ensemble", "published", "diff", "baseline");
  out += line;
  for (const DatasetResult& d : run.dataset_results) {
    const SampleSummary& r = d.rmse;
    const std::string done = std::to_string(d.done) + "/" + std::to_string(d.planned);
    const std::string ensemble = ensemble_rmse_text(d);
    std::snprintf(line, sizeof line, "%-10s %9s %8s %7s %18s %7s %7s %9s %14s %8s %9s\n", d.dataset.c_str(),
                  done.c_str(), r.n ? format_number(r.mean, 3).c_str() : "-",
                  r.n > 1 ? format_number(r.sd, 3).c_str() : "-", interval_text(r, 2).c_str(),
                  r.n ? format_number(r.min, 3).c_str() : "-", r.n ? format_number(r.max, 3).c_str() : "-",
                  ensemble.empty() ? "-" : ensemble.c_str(), d.reference ? reference_text(d).c_str() : "-", difference_text(d) == "–" ? "-" : difference_text(d).c_str(),
                  d.baseline.available ? format_number(d.baseline.test_rmse, 2).c_str() : "n/a");
    out += line;
  }
  for (const DatasetResult& d : run.dataset_results)
    for (const std::string& n : d.not_done) out += "  not done: " + n + "\n";
  return out;
}

namespace {

// Title, run state and recipe facts, the leak warning under selection on test, run warnings.
std::string md_heading(const RunResults& run) {
  std::string md;
  md += "# Results report: " + run.run_dir + "\n\n";
  md += "Generated " + run.generated + " from the run dir (read only). Run state: **" + run.run_state + "**";
  if (run.run_state == "running") md += " (a live run: this is a snapshot)";
  md += ". Preset `" + cell(run.preset) + "`, model selection `" + cell(run.selection) + "`, r_max " +
        format_number(run.r_max, 0) + ", data `" + cell(run.data_dir) + "`.\n\n";
  if (run.selection == "test")
    md += "> **Selected on test: leaks.** Models were selected on the test set (the published protocol), so the "
          "test RMSE below is optimistic.\n\n";
  for (const std::string& w : run.warnings) md += "> Warning: " + w + "\n>\n";
  if (!run.warnings.empty()) md += "\n";
  return md;
}

std::string md_dataset_row(const DatasetResult& d) {
  const SampleSummary& r = d.rmse;
  return "| " + cell(d.dataset) + " | " + std::to_string(d.done) + " / " + std::to_string(d.planned) + " | " +
         cell(r.n ? format_number(r.mean, 3) : "") + " | " + cell(r.n > 1 ? format_number(r.sd, 3) : "") + " | " +
         cell(interval_text(r, 3)) + " | " + cell(r.n ? format_number(r.min, 3) : "") + " | " +
         cell(r.n ? format_number(r.max, 3) : "") + " | " + cell(ensemble_rmse_text(d)) + " | " + reference_text(d) + " | " + difference_text(d) + " | " +
         baseline_text(d) + " | " + cell(d.protocol) + " |\n";
}

// The per-dataset table, then the seeds left out of its statistics and the baselines not computed.
std::string md_per_dataset(const RunResults& run) {
  std::string md = "## Per dataset: test last-cycle RMSE over seeds\n\n";
  md += "| dataset | done / planned | mean | sample std | 95% t-interval | min | max | ensemble RMSE | "
        "published (mean ± std) | mean − published | constant baseline | protocol |\n";
  md += "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const DatasetResult& d : run.dataset_results) md += md_dataset_row(d);
  md += "\n";
  for (const DatasetResult& d : run.dataset_results)
    if (!d.validation.empty()) md += "- " + d.dataset + " validation: " + cell(d.validation) + "\n";
  md += "\n";
  bool any_not_done = false;
  for (const DatasetResult& d : run.dataset_results) any_not_done |= !d.not_done.empty();
  if (any_not_done) {
    md += "### Seeds not in the statistics\n\n";
    for (const DatasetResult& d : run.dataset_results)
      for (const std::string& n : d.not_done) md += "- " + cell(n) + "\n";
    md += "\n";
  }
  for (const DatasetResult& d : run.dataset_results)
    if (!d.baseline.available) md += "- " + d.dataset + " baseline not computed: " + cell(d.baseline.why_not) + "\n";
  return md;
}

std::string md_seed_row(const SeedResult& s) {
  const bool m = s.has_metrics;
  std::string note = s.reason;
  for (const std::string& p : s.problems) note += (note.empty() ? "" : "; ") + p;
  std::string resumes = std::to_string(s.resumes);
  if (s.resumed_from_epoch >= 0) resumes += " (last from epoch " + std::to_string(s.resumed_from_epoch) + ")";
  return "| " + cell(s.job) + " | " + s.state + " | " + cell(m ? format_number(s.test_rmse, 3) : "") + " | " +
         cell(m ? format_number(s.test_mae, 3) : "") + " | " + cell(m ? format_number(s.nasa_score, 1) : "") +
         " | " + cell(m ? format_number(s.health_accuracy, 3) : "") + " | " +
         cell(m ? format_number(s.health_macro_f1, 3) : "") + " | " + optional_int(s.best_epoch) + " | " +
         optional_int(s.epochs_run) + " | " + cell(s.wall_seconds ? format_number(*s.wall_seconds, 1) : "") +
         " | " + std::to_string(s.attempts) + " | " + resumes + " | " + cell(s.protocol) + " | " + cell(note) +
         " |\n";
}

std::string md_per_seed(const RunResults& run) {
  std::string md = "\n## Per seed\n\n";
  md += "| job | state | test RMSE | MAE | NASA score | health acc | health F1 | best epoch | epochs run | wall s | "
        "attempts | resumes | protocol | reason / problems |\n";
  md += "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const SeedResult& s : run.seeds_results) md += md_seed_row(s);
  return md;
}

// The images (as plots/<file>), or why they are missing.
std::string md_plots(const PlotSet& plots) {
  std::string md = "\n## Plots\n\n";
  if (!plots.rendered && plots.images.empty()) md += "Plots not rendered: " + plots.why_not + "\n";
  for (const PlotImage& p : plots.images) md += "### " + p.title + "\n\n![" + p.title + "](plots/" + p.file + ")\n\n";
  if (plots.rendered && !plots.why_not.empty()) md += "Some plots are missing: " + plots.why_not + "\n";
  return md;
}

std::string md_how_to_read() {
  std::string md =
      "\n## How to read this\n\n"
      "- **RMSE** is on the last cycle of each test unit, true RUL capped at r_max. The interval is "
      "mean ± t(0.975, n−1)·s/√n over done seeds; one seed gives no interval.\n"
      "- **Constant baseline**: every test unit predicted as the mean capped RUL of all training rows "
      "(computed from the data files). A model near it has learnt little.\n"
      "- **Published** figures (5 seeds, GPU, up to 500 epochs, selected on test) exist for FD001–FD004 only.\n"
      "- **Resumes** count real resumes from a checkpoint, not attempts; failed, running, pending and "
      "missing seeds are listed with their reason and left out of the statistics.\n"
      "- Machine-readable: `results.json`, `per_seed.csv` (columns: ";
  bool first = true;
  for (const auto& [name, meaning] : per_seed_columns()) {
    md += (first ? "" : ", ") + std::string("`") + name + "`";
    first = false;
  }
  md += ").\n";
  return md;
}

}  // namespace

std::string report_markdown(const RunResults& run, const PlotSet& plots, const RunComparison* compare) {
  std::string md = md_heading(run) + md_per_dataset(run) + ensemble_markdown(run) + md_per_seed(run) + md_plots(plots);
  if (compare) md += "\n" + comparison_markdown(*compare);
  return md + md_how_to_read();
}

}  // namespace amnl::orch

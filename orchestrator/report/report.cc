#include "orchestrator/report/report.h"

#include <cstdlib>

#include "orchestrator/report/report_collect.h"
#include "orchestrator/report/report_compare.h"
#include "orchestrator/report/report_format.h"
#include "orchestrator/report/report_plots.h"

namespace amnl::orch {

std::string default_report_dir(const std::string& run_dir) { return run_dir + "/results"; }

namespace {

std::string gnuplot_executable(const ReportOptions& options) {
  if (!options.gnuplot.empty()) return options.gnuplot;
  const char* env = std::getenv("AMNL_GNUPLOT");
  return env && *env ? env : "gnuplot";
}

}  // namespace

Result<ReportSummary> write_report(Storage& storage, const std::string& run_dir, const std::string& out_dir,
                                   const ReportOptions& options) {
  auto run = collect_run_results(storage, run_dir);
  if (!run) return run.status();
  std::optional<RunComparison> comparison;
  if (!options.compare_run_dir.empty()) {
    auto other = collect_run_results(storage, options.compare_run_dir, /*with_baseline=*/false);
    if (!other) return Result<ReportSummary>::Error("--compare: " + other.message());
    comparison = compare_runs(*run, *other);
    for (const std::string& w : other->warnings) run->warnings.push_back("compared run: " + w);
  }

  ReportSummary summary;
  summary.out_dir = out_dir;
  if (auto made = storage.make_dirs(out_dir + "/plots"); !made)
    return Result<ReportSummary>::Error("cannot create " + out_dir + "/plots: " + made.message());

  // gnuplot works in a private scratch dir outside the run dir; the PNGs reach plots/ through the
  // storage seam by atomic writes, so a reader of a live report never sees half an image.
  PlotSet plots;
  if (auto scratch = new_plot_scratch_dir(); scratch.ok())
    plots = render_plots(*run, gnuplot_executable(options), *scratch);
  else
    plots.why_not = scratch.message() + "; plots not rendered";
  summary.plots = plots.rendered;
  if (!plots.why_not.empty()) summary.warnings.push_back("plots: " + plots.why_not);

  auto put = [&](const std::string& name, const std::string& bytes) -> Status {
    const std::string path = out_dir + "/" + name;
    if (auto ok = storage.write_atomic(path, bytes); !ok) return Status::Error("writing " + path + ": " + ok.message());
    summary.files.push_back(path);
    return Status::Ok();
  };
  for (const PlotImage& p : plots.images) AMNL_RETURN_IF_ERROR(put("plots/" + p.file, p.png));
  const RunComparison* cmp = comparison ? &*comparison : nullptr;
  AMNL_RETURN_IF_ERROR(put("results.json", results_json(*run, plots).dump(1) + "\n"));
  AMNL_RETURN_IF_ERROR(put("per_seed.csv", per_seed_csv(*run)));
  AMNL_RETURN_IF_ERROR(put("report.md", report_markdown(*run, plots, cmp)));
  AMNL_RETURN_IF_ERROR(put("report.html", report_html(*run, plots, cmp)));
  if (cmp) {
    AMNL_RETURN_IF_ERROR(put("comparison.json", comparison_json(*cmp).dump(1) + "\n"));
    AMNL_RETURN_IF_ERROR(put("comparison.md", comparison_markdown(*cmp)));
    summary.comparison_table = comparison_text(*cmp);
  }
  for (const std::string& w : run->warnings) summary.warnings.push_back(w);
  summary.per_dataset_table = per_dataset_text(*run);
  return summary;
}

}  // namespace amnl::orch

// report.html: one self-contained page (inline CSS, PNGs as data URIs), readable offline.
#include "orchestrator/report/report_format.h"

namespace amnl::orch {
namespace {

std::string esc(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string td(const std::string& s, const char* cls = nullptr) {
  return std::string("<td") + (cls ? std::string(" class=\"") + cls + "\"" : "") + ">" + (s.empty() ? "–" : esc(s)) + "</td>";
}

std::string th_row(const std::vector<std::string>& headers) {
  std::string r = "<tr>";
  for (const std::string& h : headers) r += "<th>" + esc(h) + "</th>";
  return r + "</tr>\n";
}

const char* kStyle = R"(
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px auto; max-width: 1500px;
       padding: 0 16px; color: #1a1a1a; background: #fff; line-height: 1.4; }
/* Tables fit a 1400-px window: headers and text cells wrap, numbers stay on one line; a table
   that still cannot fit (very long names) scrolls inside its box instead of cutting the page. */
.wide { max-width: 100%; overflow-x: auto; }
h1 { font-size: 1.5em; margin-bottom: 4px; } h2 { margin-top: 28px; border-bottom: 1px solid #ddd; }
.meta { color: #555; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: right; vertical-align: top; white-space: nowrap; }
th { white-space: normal; min-width: 3.5em; }
td.l { white-space: normal; } td:first-child { white-space: nowrap; } td:last-child { white-space: normal; min-width: 10em; overflow-wrap: anywhere; }
th { background: #f0f3f7; } td.l, th.l { text-align: left; }
tr:nth-child(even) td { background: #fafafa; }
.state-done { color: #1b7f2a; font-weight: 600; } .state-failed { color: #b00020; font-weight: 700; }
.state-running, .state-pending { color: #a05a00; font-weight: 600; } .state-missing { color: #b00020; }
.warn { background: #fff4e5; border-left: 4px solid #f0a020; padding: 6px 10px; margin: 6px 0; }
.leak { background: #fdecea; border-left: 4px solid #d32f2f; padding: 6px 10px; margin: 6px 0; font-weight: 600; }
figure { margin: 12px 0 24px; } figcaption { color: #333; font-weight: 600; margin-bottom: 6px; }
img { max-width: 100%; border: 1px solid #ddd; }
)";

// The per-dataset table, the validation protocol of each dataset and the seeds left out.
std::string html_per_dataset(const RunResults& run) {
  std::string h;
  h += "<h2>Per dataset: test last-cycle RMSE over seeds</h2>\n<div class=\"wide\"><table id=\"per-dataset\">\n";
  h += th_row({"dataset", "done / planned", "mean", "sample std", "95% t-interval", "min", "max", "ensemble RMSE",
               "published (mean ± std)", "mean − published", "constant baseline", "protocol"});
  for (const DatasetResult& d : run.dataset_results) {
    const SampleSummary& r = d.rmse;
    h += "<tr>" + td(d.dataset, "l") + td(std::to_string(d.done) + " / " + std::to_string(d.planned)) +
         td(r.n ? format_number(r.mean, 3) : "") + td(r.n > 1 ? format_number(r.sd, 3) : "") +
         td(interval_text(r, 3)) + td(r.n ? format_number(r.min, 3) : "") + td(r.n ? format_number(r.max, 3) : "") +
         td(d.ensemble.available ? format_number(d.ensemble.rmse, 3) : "") + td(d.reference ? format_number(d.reference->mean, 2) + " ± " + format_number(d.reference->sd, 2) : "") +
         td(d.reference && r.n ? (r.mean >= d.reference->mean ? "+" : "") + format_number(r.mean - d.reference->mean, 2) : "") +
         td(d.baseline.available ? format_number(d.baseline.test_rmse, 2) : "n/a") + td(d.protocol, "l") + "</tr>\n";
  }
  h += "</table></div>\n";
  std::string validation;
  for (const DatasetResult& d : run.dataset_results)
    if (!d.validation.empty()) validation += "<li>" + esc(d.dataset) + " validation: " + esc(d.validation) + "</li>\n";
  if (!validation.empty()) h += "<ul id=\"validation\">\n" + validation + "</ul>\n";
  std::string not_done;
  for (const DatasetResult& d : run.dataset_results)
    for (const std::string& n : d.not_done) not_done += "<li>" + esc(n) + "</li>\n";
  if (!not_done.empty()) h += "<h3>Seeds not in the statistics</h3>\n<ul id=\"not-done\">\n" + not_done + "</ul>\n";
  return h;
}

std::string html_per_seed(const RunResults& run) {
  std::string h;
  h += "<h2>Per seed</h2>\n<div class=\"wide\"><table id=\"per-seed\">\n";
  h += th_row({"job", "state", "test RMSE", "MAE", "NASA score", "health acc", "health F1", "best epoch", "epochs run",
               "wall s", "attempts", "resumes", "protocol", "reason / problems"});
  for (const SeedResult& s : run.seeds_results) {
    const bool m = s.has_metrics;
    std::string note = s.reason;
    for (const std::string& p : s.problems) note += (note.empty() ? "" : "; ") + p;
    const std::string state_class = "l state-" + s.state;
    h += "<tr>" + td(s.job, "l") + td(s.state, state_class.c_str()) + td(m ? format_number(s.test_rmse, 3) : "") +
         td(m ? format_number(s.test_mae, 3) : "") + td(m ? format_number(s.nasa_score, 1) : "") +
         td(m ? format_number(s.health_accuracy, 3) : "") + td(m ? format_number(s.health_macro_f1, 3) : "") +
         td(s.best_epoch >= 0 ? std::to_string(s.best_epoch) : "") +
         td(s.epochs_run >= 0 ? std::to_string(s.epochs_run) : "") +
         td(s.wall_seconds ? format_number(*s.wall_seconds, 1) : "") + td(std::to_string(s.attempts)) +
         td(std::to_string(s.resumes)) + td(s.protocol, "l") + td(note, "l") + "</tr>\n";
  }
  h += "</table></div>\n";
  return h;
}

// The per-seed-mean t-tests, then the ensembles' comparison.
std::string html_comparison(const RunComparison* compare) {
  std::string h;
  if (!compare) return h;
  h += "<h2>Comparison with " + esc(compare->run_b) + "</h2>\n<table id=\"comparison\">\n";
  h += th_row({"dataset", "n A", "mean A", "n B", "mean B", "A − B", "Welch t", "Welch df", "Welch p (two-sided)",
               "paired n", "paired mean diff", "paired p"});
  for (const DatasetComparison& d : compare->datasets) {
    const auto p3 = [](double v) { return format_number(v, 3); };
    h += "<tr>" + td(d.dataset, "l") + td(std::to_string(d.a.n)) + td(d.a.n ? p3(d.a.mean) : "") +
         td(std::to_string(d.b.n)) + td(d.b.n ? p3(d.b.mean) : "") +
         td(d.a.n && d.b.n ? p3(d.a.mean - d.b.mean) : "") + td(d.welch.valid ? p3(d.welch.t) : d.welch.why_not) +
         td(d.welch.valid ? format_number(d.welch.df, 2) : "") + td(d.welch.valid ? format_number(d.welch.p_two_sided, 4) : "") +
         td(std::to_string(d.paired_seeds.size())) + td(d.paired.n_a > 0 ? p3(d.paired.difference) : "") +
         td(d.paired.valid ? format_number(d.paired.p_two_sided, 4) : d.paired.why_not) + "</tr>\n";
  }
  h += "</table>\n<table id=\"comparison-ensemble\">\n";
  h += th_row({"dataset", "ensemble A RMSE", "seeds A", "ensemble B RMSE", "seeds B", "A − B",
               "paired p over units (squared errors)"});
  for (const DatasetComparison& d : compare->datasets) {
    const bool both = d.ensemble_n_a && d.ensemble_n_b;
    h += "<tr>" + td(d.dataset, "l") + td(d.ensemble_n_a ? format_number(d.ensemble_rmse_a, 3) : "") +
         td(std::to_string(d.ensemble_n_a)) + td(d.ensemble_n_b ? format_number(d.ensemble_rmse_b, 3) : "") +
         td(std::to_string(d.ensemble_n_b)) + td(both ? format_number(d.ensemble_rmse_a - d.ensemble_rmse_b, 3) : "") +
         td(d.ensemble_test.valid ? format_number(d.ensemble_test.p_two_sided, 4) : d.ensemble_test.why_not) +
         "</tr>\n";
  }
  h += "</table>\n";
  return h;
}

std::string html_plots(const PlotSet& plots) {
  std::string h;
  h += "<h2>Plots</h2>\n";
  if (plots.images.empty()) h += "<div class=\"warn\">Plots not rendered: " + esc(plots.why_not) + "</div>\n";
  else if (!plots.why_not.empty()) h += "<div class=\"warn\">Some plots are missing: " + esc(plots.why_not) + "</div>\n";
  for (const PlotImage& p : plots.images)
    h += "<figure><figcaption>" + esc(p.title) + "</figcaption><img alt=\"" + esc(p.title) +
         "\" src=\"data:image/png;base64," + base64_encode(p.png) + "\"></figure>\n";
  return h;
}

// The page's head and its opening: the run, its state and protocol, and every warning.
std::string html_head(const RunResults& run) {
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>amnl results: " +
                  esc(run.run_dir) + "</title>\n<style>" + kStyle + "</style></head><body>\n";
  h += "<h1>Results report</h1>\n<p class=\"meta\">Run <code>" + esc(run.run_dir) + "</code>, state <b>" +
       esc(run.run_state) + "</b>" + (run.run_state == "running" ? " (live run: a snapshot)" : "") + ". Generated " +
       esc(run.generated) + ". Preset <code>" + esc(run.preset) + "</code>, selection <code>" + esc(run.selection) +
       "</code>, data <code>" + esc(run.data_dir) + "</code>.</p>\n";
  if (run.selection == "test")
    h += "<div class=\"leak\">Selected on test: leaks. Models were selected on the test set (published protocol); "
         "test RMSE is optimistic.</div>\n";
  for (const std::string& w : run.warnings) h += "<div class=\"warn\">" + esc(w) + "</div>\n";
  return h;
}

// What the figures mean, and the end of the page.
const char* const kHowToRead =
    "<h2>How to read this</h2>\n<ul>\n"
    "<li>RMSE is on the last cycle of each test unit, true RUL capped at r_max; the interval is mean ± "
    "t(0.975, n−1)·s/√n over done seeds (one seed: no interval).</li>\n"
    "<li>Constant baseline: every test unit predicted as the mean capped RUL of all training rows. A model near it "
    "has learnt little.</li>\n"
    "<li>Published figures (5 seeds, GPU, up to 500 epochs, selected on test) exist for FD001–FD004 only.</li>\n"
    "<li>Resumes count real resumes from a checkpoint. Failed, running, pending and missing seeds are listed with "
    "their reason and left out of the statistics.</li>\n"
    "<li>Machine-readable: results.json and per_seed.csv next to this page.</li>\n</ul>\n</body></html>\n";

}  // namespace

std::string report_html(const RunResults& run, const PlotSet& plots, const RunComparison* compare) {
  return html_head(run) + html_per_dataset(run) + ensemble_html(run) + html_per_seed(run) + html_comparison(compare) +
         html_plots(plots) + kHowToRead;
}

}  // namespace amnl::orch

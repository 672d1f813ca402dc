#pragma once
// The report's PNG plots, drawn by gnuplot run as a subprocess on a script file (no library
// dependency, and a missing gnuplot only costs the plots):
//   learning_curves.png  selection RMSE per epoch, a line per seed, a panel per dataset
//   seed_rmse.png        test RMSE per seed (strip), mean with 95% interval, published figure, baseline
//   predictions.png      predicted vs true RUL per test unit of each dataset's median seed
#include <string>
#include <vector>

#include "common/status.h"
#include "orchestrator/report/report_collect.h"

namespace amnl::orch {

struct PlotImage {
  std::string file;   // "learning_curves.png" (under plots/)
  std::string title;  // caption for the report
  std::string png;    // the image bytes
};

struct PlotSet {
  bool rendered = false;
  std::string why_not;  // when not rendered (or some plot failed): gnuplot missing, its error
  std::vector<PlotImage> images;
};

// Renders in `work_dir` (created, then removed); `gnuplot` is the executable (name or path).
// gnuplot is a separate process that reads its scripts and data and writes its PNGs as files, so
// `work_dir` is plain local file system, never a run dir: the caller stores the PNG bytes.
PlotSet render_plots(const RunResults& run, const std::string& gnuplot, const std::string& work_dir);

// A new, private scratch directory for render_plots, outside every run dir: under $TMPDIR, else
// /tmp (node-local on a cluster).
Result<std::string> new_plot_scratch_dir();

// Whether `bytes` start like a PNG (signature and an IHDR chunk); width and height when so.
bool png_dimensions(const std::string& bytes, int* width, int* height);

}  // namespace amnl::orch

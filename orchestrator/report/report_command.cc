#include "orchestrator/report/report_command.h"

#include <cstdio>
#include <filesystem>
#include <memory>

#include "common/exit_codes.h"
#include "common/storage.h"
#include "orchestrator/report/report.h"

namespace amnl::orch {
namespace {

struct ReportArgs {
  std::string run_dir, out_dir, compare, gnuplot;
};

}  // namespace

void add_report_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ReportArgs>();
  auto* cmd = app.add_subcommand(
      "report",
      "Write the results report of a run: per seed and per dataset test RMSE (mean, std, 95% t-interval, "
      "published figure, constant baseline), plots, results.json, per_seed.csv, report.md and a self-contained "
      "report.html, into RUN_DIR/results/ unless --out says otherwise. Reads the run dir without changing it; works "
      "while the run is live.");
  cmd->add_option("run_dir", args->run_dir, "the run dir (the experiment's run_dir)")->required();
  cmd->add_option("--out", args->out_dir, "where to write the report (default RUN_DIR/results)");
  cmd->add_option("--compare", args->compare,
                  "another run dir: per dataset difference of mean RMSE with Welch and paired t-tests");
  cmd->add_option("--gnuplot", args->gnuplot, "the gnuplot executable (default $AMNL_GNUPLOT, else gnuplot)");
  cmd->callback([args, &exit_code] {
    auto storage = make_posix_storage();
    std::error_code ec;
    const std::string run_dir = std::filesystem::absolute(args->run_dir, ec).lexically_normal().string();
    const std::string out = args->out_dir.empty() ? default_report_dir(run_dir) : args->out_dir;
    ReportOptions options;
    options.gnuplot = args->gnuplot;
    options.compare_run_dir = args->compare;
    auto summary = write_report(*storage, run_dir, out, options);
    if (!summary) {
      std::fprintf(stderr, "amnl report: %s\n", summary.message().c_str());
      exit_code = kExitUsage;
      return;
    }
    std::string text = summary->per_dataset_table;
    if (!summary->comparison_table.empty()) text += "\n" + summary->comparison_table;
    for (const std::string& w : summary->warnings) text += "warning: " + w + "\n";
    text += "\nreport: " + out + "/report.html (also report.md, results.json, per_seed.csv" +
            std::string(summary->plots ? ", plots/" : "") + ")\n";
    std::fwrite(text.data(), 1, text.size(), stdout);
    exit_code = kExitOk;
  });
}

}  // namespace amnl::orch

#include "orchestrator/report/report_plots.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace amnl::orch {
namespace {

namespace fs = std::filesystem;

// A gnuplot single-quoted string: only the quote itself needs escaping (doubled).
std::string gp_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "''";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out + "'";
}

std::string num(double v) {
  std::ostringstream o;
  o.precision(10);
  o << v;
  return o.str();
}

// gnuplot's scratch directory: its data files and scripts. A write that fails is remembered, so
// the plots are not drawn from a truncated file (and the report says why). Plain file streams,
// not the Storage seam: the directory is outside the run dir (new_plot_scratch_dir), and gnuplot,
// another process, reads these files.
struct ScratchDir {
  std::string path;
  std::string failure;  // the first write that failed ("" when none)
  void write(const std::string& file, const std::string& text) {
    std::ofstream f(file, std::ios::binary | std::ios::trunc);
    f << text;
    f.close();
    if (!f && failure.empty()) failure = "cannot write " + file + " (gnuplot's scratch file)";
  }
};

// A file gnuplot wrote into the scratch directory (outside the run dir, see ScratchDir).
std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream o;
  o << f.rdbuf();
  return o.str();
}

struct GnuplotRun {
  bool started = false;  // false: the executable was not found or could not be run
  int exit_code = -1;
  std::string output;
};

// Runs `gnuplot script` with stdin from /dev/null and stdout+stderr into a log; never blocks
// longer than `timeout_s` (a wedged gnuplot is killed, so a report never hangs on it).
GnuplotRun run_gnuplot(const std::string& gnuplot, const std::string& script, const std::string& log,
                       double timeout_s = 120) {
  GnuplotRun r;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::vector<char*> argv = {const_cast<char*>(gnuplot.c_str()), const_cast<char*>(script.c_str()), nullptr};
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, gnuplot.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    r.output = std::strerror(rc);
    return r;
  }
  r.started = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  int status = 0;
  for (;;) {
    const pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      r.output = "gnuplot did not finish within " + num(timeout_s) + " s and was killed";
      return r;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.output = read_all(log);
  // posix_spawnp reports a missing program as exit 127 of the child on some libcs.
  if (r.exit_code == 127 && r.output.empty()) {
    r.started = false;
    r.output = "not found";
  }
  return r;
}

// Common settings: readable fonts, no enhanced text (dataset names may hold '_' and '^').
std::string preamble(const std::string& terminal, int width, int height, const std::string& png) {
  return "set terminal " + terminal + " size " + std::to_string(width) + "," + std::to_string(height) +
         (terminal == "pngcairo" ? " font 'sans,12'" : "") + "\nset termoption noenhanced\nset output " +
         gp_quote(png) + "\nset grid lc rgb '#dddddd'\nset border lc rgb '#555555'\n" +
         // Okabe-Ito colours (colour-blind safe, no pale yellow early) for up to 8 seeds, then cycling.
         "set linetype 1 lc rgb '#0072B2'\nset linetype 2 lc rgb '#D55E00'\nset linetype 3 lc rgb '#009E73'\n"
         "set linetype 4 lc rgb '#CC79A7'\nset linetype 5 lc rgb '#E69F00'\nset linetype 6 lc rgb '#56B4E9'\n"
         "set linetype 7 lc rgb '#000000'\nset linetype 8 lc rgb '#999933'\nset linetype cycle 8\n"
         "set key inside top right box opaque\n";
}

struct Layout {
  int rows = 1, cols = 1;
};
Layout layout_for(size_t panels) {
  Layout l;
  l.cols = panels <= 1 ? 1 : 2;
  l.rows = static_cast<int>((panels + l.cols - 1) / l.cols);
  return l;
}

std::vector<const SeedResult*> seeds_of(const RunResults& run, const std::string& ds) {
  std::vector<const SeedResult*> out;
  for (const SeedResult& s : run.seeds_results)
    if (s.dataset == ds) out.push_back(&s);
  return out;
}

std::string selection_label(const RunResults& run) {
  return run.selection == "test" ? "test RMSE per epoch (selection on test: leaks)" : "validation RMSE";
}

// Script for learning_curves.png, or "" when no dataset has an epoch yet.
std::string learning_curves_script(const RunResults& run, ScratchDir& scratch, const std::string& terminal,
                                   const std::string& png) {
  std::vector<std::string> panels;
  for (size_t di = 0; di < run.dataset_results.size(); ++di) {
    const std::string& ds = run.dataset_results[di].dataset;
    std::string data, plot;
    int block = 0;
    for (const SeedResult* s : seeds_of(run, ds)) {
      if (s->history.empty()) continue;
      bool second = false;  // the all-windows curve, when the history has it (gnuplot skips NaN)
      for (const EpochPoint& p : s->history) {
        second |= std::isfinite(p.val_all_windows_rmse);
        data += std::to_string(p.epoch) + " " + num(p.val_rmse) + " " +
                (std::isfinite(p.val_all_windows_rmse) ? num(p.val_all_windows_rmse) : "NaN") + "\n";
      }
      data += "\n\n";
      const std::string file = scratch.path + "/lc_" + std::to_string(di) + ".dat";
      std::string title = "seed " + std::to_string(s->seed);
      if (s->state != "done") title += " (" + s->state + ")";
      plot += std::string(plot.empty() ? "plot " : ", \\\n     ") + gp_quote(file) + " index " +
              std::to_string(block) + " using 1:2 with linespoints lt " + std::to_string(block + 1) +
              " pt 7 ps 0.5 lw 2 title " + gp_quote(title);
      if (second)
        plot += ", \\\n     " + gp_quote(file) + " index " + std::to_string(block) + " using 1:3 with lines lt " +
                std::to_string(block + 1) + " dt 2 lw 1 title " + gp_quote(title + ", all windows (dashed)");
      ++block;
    }
    if (block == 0) continue;
    scratch.write(scratch.path + "/lc_" + std::to_string(di) + ".dat", data);
    panels.push_back("set title " + gp_quote(ds + ": " + selection_label(run) + " per epoch") +
                     "\nset xlabel 'epoch'\nset ylabel " + gp_quote(run.selection == "test" ? "test RMSE (cycles)" : "validation RMSE (cycles)") +
                     // Curves fill the whole panel (they fall, rise and cross): the legend goes
                     // beside it, where it can never hide a line.
                     "\nset key outside right top vertical\n" + plot + "\n");
  }
  if (panels.empty()) return "";
  const Layout l = layout_for(panels.size());
  std::string s = preamble(terminal, 900 * l.cols, 450 * l.rows + 40, png);
  s += "set multiplot layout " + std::to_string(l.rows) + "," + std::to_string(l.cols) + " title " +
       gp_quote("Learning curves: " + selection_label(run) + ", one line per seed") + "\n";
  for (const std::string& p : panels) s += p;
  return s + "unset multiplot\n";
}

// Script for seed_rmse.png, or "" when no seed is done.
std::string strip_script(const RunResults& run, ScratchDir& scratch, const std::string& terminal,
                         const std::string& png) {
  std::string seeds, means, refs, bases, xtics;
  int x = 0;
  bool any = false;
  for (const DatasetResult& d : run.dataset_results) {
    ++x;
    xtics += std::string(xtics.empty() ? "" : ", ") +
             gp_quote(d.dataset + " (" + std::to_string(d.done) + "/" + std::to_string(d.planned) + " done)") +
             " " + std::to_string(x);
    int k = 0;
    for (const SeedResult* s : seeds_of(run, d.dataset)) {
      if (s->state != "done" || !s->has_metrics) continue;
      // A small deterministic horizontal spread so that equal RMSEs stay visible.
      const double jitter = ((k++ % 5) - 2) * 0.035;
      seeds += num(x - 0.12 + jitter) + " " + num(s->test_rmse) + "\n";
      any = true;
    }
    const SampleSummary& r = d.rmse;
    if (r.n > 0)
      means += num(x + 0.12) + " " + num(r.mean) + " " + num(r.has_interval ? r.ci_low : r.mean) + " " +
               num(r.has_interval ? r.ci_high : r.mean) + "\n";
    if (d.reference) refs += num(x - 0.35) + " " + num(d.reference->mean) + " 0.7 0\n";
    if (d.baseline.available) bases += num(x - 0.35) + " " + num(d.baseline.test_rmse) + " 0.7 0\n";
  }
  if (!any) return "";
  scratch.write(scratch.path + "/strip_seeds.dat", seeds);
  scratch.write(scratch.path + "/strip_means.dat", means);
  std::string plot = "plot " + gp_quote(scratch.path + "/strip_seeds.dat") +
                     " using 1:2 with points pt 7 ps 1.4 lc rgb '#1f77b4' title 'one seed (test RMSE)', \\\n     " +
                     gp_quote(scratch.path + "/strip_means.dat") +
                     " using 1:2:3:4 with yerrorbars pt 5 ps 1.3 lw 2 lc rgb 'black' title 'mean, 95% t-interval'";
  if (!refs.empty()) {
    scratch.write(scratch.path + "/strip_refs.dat", refs);
    plot += ", \\\n     " + gp_quote(scratch.path + "/strip_refs.dat") +
            " using 1:2:3:4 with vectors nohead lw 3 dt 2 lc rgb '#d62728' title 'published mean (5 seeds)'";
  }
  if (!bases.empty()) {
    scratch.write(scratch.path + "/strip_bases.dat", bases);
    plot += ", \\\n     " + gp_quote(scratch.path + "/strip_bases.dat") +
            " using 1:2:3:4 with vectors nohead lw 2 dt 3 lc rgb '#7f7f7f' title 'constant baseline'";
  }
  std::string s = preamble(terminal, 1100, 650, png);
  s += "set title " + gp_quote("Test last-cycle RMSE per seed" + std::string(run.selection == "test" ? " (selected on test: leaks)" : "")) + "\n";
  s += "set ylabel 'test RMSE (cycles)'\nset xlabel 'dataset (done / planned seeds)'\nset yrange [0:*]\n";
  s += "set xtics (" + xtics + ")\nset xrange [0.4:" + num(x + 0.6) + "]\n";
  // The legend goes under the x label in a margin kept for it: gnuplot's "key outside bottom"
  // drew its opaque box over the x label once the entries wrapped to two rows.
  s += "set bmargin 7\nset key at screen 0.5, screen 0.015 center bottom horizontal\n";
  return s + plot + "\n";
}

// The ensemble's band for one predictions panel (ensemble mean -/+ the spread across seeds, units
// sorted by true RUL as the median seed's points are), or "" with fewer than two seeds.
std::string ensemble_band(const DatasetResult& d, ScratchDir& scratch, const std::string& file) {
  const EnsembleResult& e = d.ensemble;
  if (!e.available || e.seeds.size() < 2) return "";
  std::vector<EnsembleUnit> units = e.units;
  std::stable_sort(units.begin(), units.end(),
                   [](const EnsembleUnit& a, const EnsembleUnit& b) { return a.true_rul < b.true_rul; });
  std::string data;
  for (size_t i = 0; i < units.size(); ++i)
    data += std::to_string(i + 1) + " " + num(units[i].ensemble) + " " + num(units[i].ensemble - units[i].spread) +
            " " + num(units[i].ensemble + units[i].spread) + "\n";
  scratch.write(file, data);
  const std::string n = std::to_string(e.seeds.size());
  return gp_quote(file) + " using 1:3:4 with filledcurves fc rgb '#9ecae1' fs transparent solid 0.5 noborder title " +
         gp_quote("ensemble of " + n + " seeds +- std across seeds") + ", \\\n     " + gp_quote(file) +
         " using 1:2 with lines lw 2 lc rgb '#1f77b4' title " + gp_quote("ensemble mean (RMSE " +
         num(std::round(e.rmse * 100) / 100) + ")") + ", \\\n     ";
}

// Script for predictions.png, or "" when no dataset has a median seed with predictions.
std::string predictions_script(const RunResults& run, ScratchDir& scratch, const std::string& terminal,
                               const std::string& png, std::string& missing) {
  std::vector<std::string> panels;
  for (size_t di = 0; di < run.dataset_results.size(); ++di) {
    const std::string& ds = run.dataset_results[di].dataset;
    const SeedResult* m = median_seed(run, ds);
    if (!m) continue;
    if (m->predictions.empty()) {
      missing += (missing.empty() ? "" : "; ") + m->job + " has no test_predictions.csv";
      continue;
    }
    std::vector<TestPrediction> rows = m->predictions;
    std::stable_sort(rows.begin(), rows.end(),
                     [](const TestPrediction& a, const TestPrediction& b) { return a.true_rul < b.true_rul; });
    std::string data;
    for (size_t i = 0; i < rows.size(); ++i)
      data += std::to_string(i + 1) + " " + num(rows[i].true_rul) + " " + num(rows[i].predicted_rul) + " " +
              std::to_string(rows[i].unit) + "\n";
    const std::string file = scratch.path + "/pred_" + std::to_string(di) + ".dat";
    scratch.write(file, data);
    const std::string band = ensemble_band(run.dataset_results[di], scratch, scratch.path + "/ens_" + std::to_string(di) + ".dat");
    // The legend sits in headroom above the data (offsets): inside the data it hid the first
    // units and the RUL cap line, and beside the panel it squeezed the plot.
    panels.push_back("set title " + gp_quote(ds + ": median seed " + std::to_string(m->seed) + " (test RMSE " +
                                           num(std::round(m->test_rmse * 100) / 100) + ")") +
                     "\nset xlabel 'test units, sorted by true RUL'\nset ylabel 'RUL (cycles)'\nset key inside top left\nset offsets 0, 0, graph 0.5, 0\nplot " + band + gp_quote(file) +
                     " using 1:2 with lines lw 3 lc rgb 'black' title 'true RUL (capped)', \\\n     " + gp_quote(file) +
                     " using 1:3 with points pt 7 ps 0.8 lc rgb '#ff7f0e' title 'predicted RUL'\n");
  }
  if (panels.empty()) return "";
  const Layout l = layout_for(panels.size());
  std::string s = preamble(terminal, 700 * l.cols, 450 * l.rows + 40, png);
  s += "set multiplot layout " + std::to_string(l.rows) + "," + std::to_string(l.cols) +
       " title 'Predicted vs true RUL per test unit (median seed of each dataset; the ensemble of the seeds as a band)'\n";
  for (const std::string& p : panels) s += p;
  return s + "unset multiplot\n";
}

}  // namespace

Result<std::string> new_plot_scratch_dir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/amnl-plots-XXXXXX";
  if (!::mkdtemp(pattern.data()))
    return Result<std::string>::Error("cannot create a scratch directory " + pattern + " for gnuplot: " +
                                      std::strerror(errno));
  return pattern;
}

bool png_dimensions(const std::string& bytes, int* width, int* height) {
  static const unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (bytes.size() < 33 || std::memcmp(bytes.data(), kSignature, 8) != 0) return false;
  if (bytes.compare(12, 4, "IHDR") != 0) return false;
  auto be32 = [&](size_t at) {
    return (uint32_t(uint8_t(bytes[at])) << 24) | (uint32_t(uint8_t(bytes[at + 1])) << 16) |
           (uint32_t(uint8_t(bytes[at + 2])) << 8) | uint32_t(uint8_t(bytes[at + 3]));
  };
  if (width) *width = static_cast<int>(be32(16));
  if (height) *height = static_cast<int>(be32(20));
  return true;
}

PlotSet render_plots(const RunResults& run, const std::string& gnuplot, const std::string& work_dir) {
  PlotSet set;
  std::error_code ec;
  fs::create_directories(work_dir, ec);
  if (ec) {
    set.why_not = "cannot create " + work_dir + ": " + ec.message();
    return set;
  }
  struct Spec {
    std::string file, title, script;
  };
  std::vector<Spec> specs;
  std::vector<std::string> notes;
  ScratchDir scratch{work_dir, ""};
  // pngcairo draws anti-aliased text; the libgd "png" terminal is the fallback.
  for (const std::string terminal : {"pngcairo", "png"}) {
    specs.clear();
    notes.clear();
    std::string missing;
    const std::string lc = learning_curves_script(run, scratch, terminal, work_dir + "/learning_curves.png");
    if (lc.empty()) notes.push_back("learning curves: no epoch finished yet");
    else specs.push_back({"learning_curves.png", "Learning curves (selection RMSE per epoch, one line per seed)", lc});
    const std::string st = strip_script(run, scratch, terminal, work_dir + "/seed_rmse.png");
    if (st.empty()) notes.push_back("per-seed RMSE: no seed done yet");
    else specs.push_back({"seed_rmse.png", "Test RMSE per seed, mean with 95% interval, published figure and constant baseline", st});
    const std::string pr = predictions_script(run, scratch, terminal, work_dir + "/predictions.png", missing);
    if (pr.empty()) notes.push_back("predictions: " + (missing.empty() ? std::string("no seed done yet") : missing));
    else specs.push_back({"predictions.png", "Predicted vs true RUL per test unit (median seed)", pr});
    if (!missing.empty() && !pr.empty()) notes.push_back("predictions: " + missing);

    bool terminal_failed = false;
    set.images.clear();
    for (const Spec& spec : specs) {
      const std::string script = work_dir + "/" + spec.file + ".gp";
      scratch.write(script, spec.script);
      if (!scratch.failure.empty()) {
        set.why_not = scratch.failure + "; plots not rendered";
        set.images.clear();
        fs::remove_all(work_dir, ec);
        return set;
      }
      const GnuplotRun r = run_gnuplot(gnuplot, script, work_dir + "/gnuplot.log");
      if (!r.started) {
        set.why_not = "gnuplot not available ('" + gnuplot + "': " + r.output + "); plots not rendered";
        fs::remove_all(work_dir, ec);
        return set;
      }
      const std::string png = read_all(work_dir + "/" + spec.file);
      int w = 0, h = 0;
      if (r.exit_code != 0 || !png_dimensions(png, &w, &h)) {
        if (r.output.find("unknown or ambiguous terminal") != std::string::npos) {
          terminal_failed = true;
          break;
        }
        notes.push_back(spec.file + ": gnuplot failed (exit " + std::to_string(r.exit_code) + "): " +
                        r.output.substr(0, 300));
        continue;
      }
      set.images.push_back({spec.file, spec.title, png});
    }
    if (!terminal_failed) break;
  }
  set.rendered = !set.images.empty();
  for (const std::string& n : notes) set.why_not += (set.why_not.empty() ? "" : "; ") + n;
  fs::remove_all(work_dir, ec);
  return set;
}

}  // namespace amnl::orch

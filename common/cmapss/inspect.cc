// The text of `amnl data inspect`: what a user checks before spending hours training on a set.
#include <array>
#include <cstdio>
#include <string>

#include "common/cmapss/dataset.h"

namespace amnl::data {
namespace {

std::string format(const char* fmt, double a, double b = 0, double c = 0) {
  char buf[256];
  std::snprintf(buf, sizeof buf, fmt, a, b, c);
  return buf;
}

std::string split_line(const char* name, const WindowSet& w, size_t units) {
  std::array<size_t, 3> counts{};
  for (int64_t h : w.health) ++counts[static_cast<size_t>(h)];
  const double n = w.size() ? static_cast<double>(w.size()) : 1.0;
  std::string line = "  " + std::string(name) + ": " + std::to_string(units) + " units, " + std::to_string(w.size()) +
                     " windows; health normal " + std::to_string(counts[0]) + format(" (%.1f%%)", 100 * counts[0] / n) +
                     ", degrading " + std::to_string(counts[1]) + format(" (%.1f%%)", 100 * counts[1] / n) +
                     ", critical " + std::to_string(counts[2]) + format(" (%.1f%%)", 100 * counts[2] / n) + "\n";
  return line;
}

}  // namespace

std::string inspection_report(const PreparedData& d, const DataOptions& o) {
  const ScalerParams& s = d.scaler;
  std::string out = "dataset " + d.dataset + "\n";
  out += "  train: " + std::to_string(d.train_file_units) + " units, " + std::to_string(d.train_file_rows) + " rows\n";
  out += "  test:  " + std::to_string(d.test_file_units) + " units, " + std::to_string(d.test_file_rows) + " rows\n";
  if (o.normalisation != "global")
    out += "operating settings: k-means (k=" + std::to_string(o.conditions) + ") leaves " +
           format("%.3g", d.settings_within_share) + " of their variance within clusters (auto: per_condition below " +
           format("%g", kAutoWithinShareThreshold) + ")\n";
  out += "normalisation: " + std::string(s.per_condition ? "per_condition" : "global") + " (requested " + o.normalisation +
         "), fitted on " + std::to_string(d.train_units.size()) + " training units\n";
  out += "conditions found: " + std::to_string(s.per_condition ? s.centroids.size() : 1) + "\n";
  if (s.per_condition) {
    out += "  #   op1        op2      op3      train rows  test rows\n";
    for (size_t c = 0; c < s.centroids.size(); ++c) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "  %-3zu %-10.4f %-8.4f %-8.2f %-11d %d\n", c, s.centroids[c][0], s.centroids[c][1],
                    s.centroids[c][2], d.condition_rows[c], d.test_condition_rows[c]);
      out += buf;
    }
  }
  out += "windows (length " + std::to_string(s.window) + ", stride 1, RUL capped at " + format("%g", s.r_max) +
         "; health normal > " + format("%g", o.normal_above) + ", critical <= " + format("%g", o.critical_at_or_below) +
         "), split seed " + std::to_string(o.split_seed) + ", val fraction " + format("%g", o.val_fraction) + ":\n";
  out += split_line("train", d.train, d.train_units.size());
  out += split_line("val", d.val, d.val_units.size());
  out += split_line("test", d.test, static_cast<size_t>(d.test_file_units));
  return out;
}

}  // namespace amnl::data

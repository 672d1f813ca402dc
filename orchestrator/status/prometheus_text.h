#pragma once
// Writes the Prometheus text exposition format (version 0.0.4): a "# HELP" and "# TYPE" line per
// metric family, then its samples, label values and help text escaped as the format requires.
#include <string>
#include <utility>
#include <vector>

namespace amnl::orch {

using PrometheusLabels = std::vector<std::pair<std::string, std::string>>;

class PrometheusText {
 public:
  // type: "gauge" or "counter" (counters are named *_total).
  void family(const std::string& name, const std::string& type, const std::string& help);
  // A sample of the family opened last; NaN and infinities are written as Prometheus spells them.
  void sample(const std::string& name, const PrometheusLabels& labels, double value);
  void sample(const std::string& name, double value) { sample(name, {}, value); }
  const std::string& str() const { return out_; }

 private:
  std::string out_;
};

}  // namespace amnl::orch

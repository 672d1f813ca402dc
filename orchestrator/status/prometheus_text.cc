#include "orchestrator/status/prometheus_text.h"

#include <cmath>
#include <cstdio>

namespace amnl::orch {

namespace {

std::string escape(const std::string& s, bool quote) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (quote && c == '"') out += "\\\"";
    else out += c;
  }
  return out;
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) std::snprintf(buf, sizeof buf, "%.0f", v);
  else std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

void PrometheusText::family(const std::string& name, const std::string& type, const std::string& help) {
  out_ += "# HELP " + name + " " + escape(help, false) + "\n";
  out_ += "# TYPE " + name + " " + type + "\n";
}

void PrometheusText::sample(const std::string& name, const PrometheusLabels& labels, double value) {
  out_ += name;
  if (!labels.empty()) {
    out_ += "{";
    for (size_t i = 0; i < labels.size(); ++i)
      out_ += (i ? "," : "") + labels[i].first + "=\"" + escape(labels[i].second, true) + "\"";
    out_ += "}";
  }
  out_ += " " + number(value) + "\n";
}

}  // namespace amnl::orch

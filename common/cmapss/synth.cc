// The synthetic degradation model. Each unit has a lifetime L (128..350 cycles) and a hidden
// damage d(t) = (exp(b t / L) - 1) / (exp(b) - 1), b in [3, 6]: ~0 early, accelerating, exactly 1
// at failure (t = L), the exponential shape of the PHM08 simulation. The 14 informative sensors
// move monotonically with d (per fault mode, a sensor-specific direction and size) plus Gaussian
// noise at ~1/8 of the total drift, so RUL is learnable; the 7 sensors the model drops stay
// constant per operating condition, as in the real files. With 6 conditions each cycle runs at one
// of FD002's six operating points (altitude, Mach, TRA) and every sensor's level depends on it.
#include "common/cmapss/synth.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <vector>

#include "common/cmapss/random.h"
#include "common/safe_path.h"
#include "common/storage.h"

namespace amnl::data {
namespace {

constexpr int kSensors = 21;

// Decimals of op1..op3 and s1..s21 in the NASA files.
constexpr std::array<int, 24> kDecimals = {4, 4, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 4, 2, 0, 0, 2, 2, 4};

// FD002's six operating points (altitude kft, Mach, throttle resolver angle).
constexpr std::array<std::array<double, 3>, 6> kOperatingPoints = {{
    {0.0, 0.0, 100.0}, {10.0, 0.25, 100.0}, {20.0, 0.70, 100.0}, {25.0, 0.62, 60.0}, {35.0, 0.84, 100.0}, {42.0, 0.84, 100.0}}};

// Sea-level levels of s1..s21 (FD001's first rows).
constexpr std::array<double, kSensors> kBase = {518.67, 641.82, 1589.70, 1400.60, 14.62, 21.61, 554.36,
                                                2388.06, 9046.19, 1.30,   47.47,   521.66, 2388.02, 8138.62,
                                                8.4195, 0.03,   392.0,   2388.0,  100.00,  39.06,   23.4190};
// Level of every sensor at operating point c, relative to sea level: lower pressure and
// temperature at altitude scale all readings down (TRA 60 most of all).
constexpr std::array<double, 6> kConditionScale = {1.0, 0.93, 0.86, 0.78, 0.83, 0.80};

// Total drift from new to failed, per fault mode (0 = the sensor is dropped by the model and
// stays constant). Mode 2 differs in direction or size on s7, s8, s9, s12, s13, s14.
constexpr std::array<std::array<double, kSensors>, 2> kDrift = {{
    {0, 1.6, 22, 34, 0, 0, -4.0, 0.25, 45, 0, 1.2, -3.6, 0.25, 40, 0.16, 0, 6, 0, 0, -1.2, -0.7},
    {0, 1.4, 20, 30, 0, 0, 3.5, 0.60, -35, 0, 1.0, 3.2, 0.60, -30, 0.14, 0, 5, 0, 0, -1.0, -0.6}}};

struct Unit {
  int life = 0;        // cycle of failure
  int observed = 0;    // cycles written (life for training units)
  double shape = 0;    // b of d(t)
  int mode = 0;
  std::array<double, kSensors> offset{};  // unit-to-unit manufacturing variation
};

double damage(const Unit& u, int cycle) {
  return std::expm1(u.shape * cycle / u.life) / std::expm1(u.shape);
}

void append_value(std::string& out, double v, int decimals) {
  char buf[64];
  const int n = std::snprintf(buf, sizeof buf, " %.*f", decimals, v);
  out.append(buf, static_cast<size_t>(n));
}

Unit draw_unit(DeterministicRng& rng, const SynthOptions& o, bool test) {
  Unit u;
  u.life = 128 + static_cast<int>(rng.below(223));  // 128..350
  u.shape = rng.uniform(3.0, 6.0);
  u.mode = o.fault_modes == 2 ? static_cast<int>(rng.below(2)) : 0;
  for (int s = 0; s < kSensors; ++s) u.offset[s] = kDrift[u.mode][s] == 0 ? 0.0 : rng.normal(0.0, 0.05 * std::fabs(kDrift[u.mode][s]));
  // Test units stop between 10% and 95% of their life: some shorter than a 30-cycle window,
  // RUL after the last observed cycle spread from a handful of cycles to above R_max.
  u.observed = test ? std::max(5, static_cast<int>(std::lround(u.life * rng.uniform(0.10, 0.95)))) : u.life;
  return u;
}

// Appends the rows of unit `id`; returns the number of rows.
size_t write_unit(std::string& out, int id, const Unit& u, const SynthOptions& o, DeterministicRng& rng) {
  for (int cycle = 1; cycle <= u.observed; ++cycle) {
    const int c = o.conditions == 6 ? static_cast<int>(rng.below(6)) : 0;
    out += std::to_string(id);
    out += ' ';
    out += std::to_string(cycle);
    // Settings: the operating point plus the small jitter seen in the real files.
    const std::array<double, 3> op = {kOperatingPoints[c][0] + rng.normal(0.0, 0.0022),
                                      kOperatingPoints[c][1] + rng.normal(0.0, 0.0003), kOperatingPoints[c][2]};
    for (int j = 0; j < 3; ++j) append_value(out, op[j], kDecimals[j]);
    const double d = damage(u, cycle);
    for (int s = 0; s < kSensors; ++s) {
      const double drift = kDrift[u.mode][s];
      double v = kBase[s] * kConditionScale[c];
      if (drift != 0) v += u.offset[s] + drift * d + rng.normal(0.0, std::fabs(kDrift[0][s]) / 8.0);
      append_value(out, v, kDecimals[3 + s]);
    }
    out += "  \n";
  }
  return static_cast<size_t>(u.observed);
}

}  // namespace

Status check_synth_options(const SynthOptions& o) {
  AMNL_RETURN_IF_ERROR(check_plain_name(o.dataset_name, "dataset name"));
  if (o.units < 1 || o.units > 100000) return Status::Error("--units must be in 1..100000, got " + std::to_string(o.units));
  if (o.test_units != -1 && (o.test_units < 1 || o.test_units > 100000))
    return Status::Error("--test-units must be in 1..100000, got " + std::to_string(o.test_units));
  if (o.conditions != 1 && o.conditions != 6) return Status::Error("--conditions must be 1 or 6, got " + std::to_string(o.conditions));
  if (o.fault_modes != 1 && o.fault_modes != 2)
    return Status::Error("--fault-modes must be 1 or 2, got " + std::to_string(o.fault_modes));
  return Status::Ok();
}

SynthText synthesize(const SynthOptions& o) {
  DeterministicRng rng(o.seed);
  SynthText text;
  for (int id = 1; id <= o.units; ++id) text.train_rows += write_unit(text.train, id, draw_unit(rng, o, false), o, rng);
  const int test_units = o.test_units == -1 ? o.units : o.test_units;
  for (int id = 1; id <= test_units; ++id) {
    const Unit u = draw_unit(rng, o, true);
    text.test_rows += write_unit(text.test, id, u, o, rng);
    text.rul += std::to_string(u.life - u.observed) + " \n";  // the real RUL files' trailing space
  }
  return text;
}

Result<SynthFiles> write_synthetic_dataset(const std::string& out_dir, const SynthOptions& o) {
  AMNL_RETURN_IF_ERROR(check_synth_options(o));
  if (out_dir.empty()) return Result<SynthFiles>::Error("output directory is empty");
  const SynthText text = synthesize(o);
  std::shared_ptr<Storage> storage = make_posix_storage();
  AMNL_RETURN_IF_ERROR(storage->make_dirs(out_dir));
  SynthFiles files;
  files.train_path = out_dir + "/train_" + o.dataset_name + ".txt";
  files.test_path = out_dir + "/test_" + o.dataset_name + ".txt";
  files.rul_path = out_dir + "/RUL_" + o.dataset_name + ".txt";
  files.train_rows = text.train_rows;
  files.test_rows = text.test_rows;
  AMNL_RETURN_IF_ERROR(storage->write_atomic(files.train_path, text.train));
  AMNL_RETURN_IF_ERROR(storage->write_atomic(files.test_path, text.test));
  AMNL_RETURN_IF_ERROR(storage->write_atomic(files.rul_path, text.rul));
  return files;
}

}  // namespace amnl::data

#pragma once
// Synthetic C-MAPSS-format data for tests, demos and smoke runs without the NASA files: run-to-
// failure units driven by a hidden health index, written as train_/test_/RUL_<name>.txt in exactly
// the real files' layout (26 columns, the same decimals per column, two trailing spaces).
// Deterministic for a seed on every platform (DeterministicRng, no std distributions).
#include <cstdint>
#include <string>

#include "common/status.h"

namespace amnl::data {

struct SynthOptions {
  std::string dataset_name = "SYN001";
  int units = 100;       // training (run-to-failure) units
  int test_units = -1;   // test units, cut before failure; -1: same as `units`
  uint64_t seed = 1;
  int conditions = 1;    // 1 (like FD001/FD003) or 6 operating points (like FD002/FD004)
  int fault_modes = 1;   // 1 or 2 sensor response patterns (2 like FD003/FD004)
};

Status check_synth_options(const SynthOptions& options);

// The three files' contents.
struct SynthText {
  std::string train, test, rul;
  size_t train_rows = 0, test_rows = 0;
};
SynthText synthesize(const SynthOptions& options);

struct SynthFiles {
  std::string train_path, test_path, rul_path;
  size_t train_rows = 0, test_rows = 0;
};
// Writes <out_dir>/{train,test,RUL}_<name>.txt (atomically; out_dir is created if absent).
Result<SynthFiles> write_synthetic_dataset(const std::string& out_dir, const SynthOptions& options);

}  // namespace amnl::data

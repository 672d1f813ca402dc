// Fuzz target: the C-MAPSS text parsers and what runs on a table that parsed (scaler fit in both
// normalisation modes, last windows). Bad bytes must give an error naming the line, never a crash,
// a hang or an unbounded allocation.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/cmapss/dataset.h"
#include "common/cmapss/parse.h"

using namespace amnl::data;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // The RUL parser on the same bytes, with a unit count taken from the input.
  (void)parse_rul_text(text, "RUL_FUZZ.txt", size ? data[0] % 8 : 0);

  auto table = parse_cmapss_table(text, "train_FUZZ.txt");
  if (!table.ok()) return 0;
  const auto units = table->unit_ranges();
  for (const char* mode : {"global", "per_condition", "auto"}) {
    DataOptions options;
    options.window = 1 + static_cast<int>(size % 7);
    options.normalisation = mode;
    options.conditions = 1 + static_cast<int>(size % 3);
    options.kmeans_restarts = 1;
    auto scaler = fit_scaler(*table, units, options);
    if (!scaler.ok()) continue;
    if (!scaler->validate().ok()) __builtin_trap();  // a fitted scaler must always be usable
    (void)ScalerParams::from_json(scaler->to_json());
    (void)last_windows(*table, *scaler, options, nullptr);
  }
  return 0;
}

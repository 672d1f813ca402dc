// Fuzz target: the experiment file (JSON text -> parse_strict_json -> parse_experiment, as
// `amnl run` reads it, without the data-file check). Whatever the bytes, the answer is an Experiment or an error
// naming a key; an accepted one must serialise (to_json().dump()) without throwing.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/recipe_config.h"
#include "common/strict_json.h"
#include "orchestrator/rundir/experiment.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto j = amnl::parse_strict_json(text, "fuzz.json");
  if (!j.ok()) {
    if (j.message().empty()) __builtin_trap();
    return 0;
  }
  auto e = amnl::orch::parse_experiment(*j, "/nonexistent/amnl-fuzz", /*check_files=*/false);
  if (!e.ok()) {
    if (e.message().empty()) __builtin_trap();
    return 0;
  }
  const std::string dumped = e->to_json().dump();
  // The stored experiment is read back on a rerun: the round trip must give the same identity.
  const auto again = nlohmann::json::parse(dumped);
  if (amnl::first_json_difference(again["recipe"], e->recipe, "").has_value()) __builtin_trap();
  return 0;
}

#include "orchestrator/protocol/record_fields.h"

#include <cmath>
#include <cstdint>
#include <limits>

namespace amnl::orch {
namespace {

using nlohmann::json;

bool integer_within(const json& v, int64_t lo, int64_t hi) {
  if (!v.is_number_integer()) return false;
  if (v.is_number_unsigned()) return v.get<uint64_t>() <= static_cast<uint64_t>(hi);
  const int64_t x = v.get<int64_t>();
  return x >= lo && x <= hi;
}

}  // namespace

std::string mistyped_field(const json& j) {
  if (!j.is_object()) return "not a JSON object";
  static const char* const kStrings[] = {"job",         "event",   "reason",  "host",    "dataset", "end",
                                         "checkpoint",  "final_model", "run_dir", "data_dir", "job_dir", "session"};
  static const char* const kInts[] = {"attempt",    "rank",     "epoch",   "max_epochs", "early_stop_epoch",
                                      "epochs_run", "resumed_from_epoch", "failures", "threads"};
  static const char* const kInt64s[] = {"counter", "seed", "pid", "batches_done"};
  // Reals may be null: a NaN (a diverged epoch) is written as null by dump().
  static const char* const kReals[] = {"val_rmse", "best_val_rmse", "val_all_windows_rmse", "epoch_seconds", "heartbeat_interval_s",
                                       "coordinator_timeout_s", "stop_grace_s"};
  for (const char* k : kStrings)
    if (auto it = j.find(k); it != j.end() && !it->is_string()) return std::string("field '") + k + "' must be a string";
  for (const char* k : kInts)
    if (auto it = j.find(k); it != j.end() &&
                             !integer_within(*it, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()))
      return std::string("field '") + k + "' must be an integer in int range";
  for (const char* k : kInt64s)
    if (auto it = j.find(k); it != j.end() && !integer_within(*it, std::numeric_limits<int64_t>::min(),
                                                              std::numeric_limits<int64_t>::max()))
      return std::string("field '") + k + "' must be a 64-bit integer";
  for (const char* k : kReals)
    if (auto it = j.find(k);
        it != j.end() && !it->is_null() && !(it->is_number() && std::isfinite(it->get<double>())))
      return std::string("field '") + k + "' must be a finite number";
  if (auto it = j.find("metrics"); it != j.end() && !it->is_object()) return "field 'metrics' must be an object";
  return "";
}

}  // namespace amnl::orch

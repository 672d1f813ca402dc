#pragma once
// The fields that worker messages and ledger records share, with the JSON type each must have.
// The coordinator reads them with json::value(key, default), which throws type_error when a
// field exists with another type, and converts 1e300 into an int with undefined behaviour
// (found by bench/fuzz/fuzz_messages and fuzz_ledger). decode_body and decode_ledger therefore
// refuse any body or record whose known fields are mistyped, before anything reads them.
#include <string>

#include <nlohmann/json.hpp>

namespace amnl::orch {

// "" when every known field of the object `j` has its type (strings; integers within int or
// int64 range; finite numbers or null for the real-valued ones; an object for metrics);
// otherwise "field 'attempt' must be an integer in int range" for the first one that does not.
std::string mistyped_field(const nlohmann::json& j);

}  // namespace amnl::orch

#pragma once
// Names that become paths (dataset names, run names) must be plain names: no "..", no absolute
// paths, no separators. Every path built from them stays inside its root directory.
#include <string>
#include <string_view>

#include "common/status.h"

namespace amnl {

// Ok when `name` is 1..64 characters of [A-Za-z0-9_.-], not starting with '.' ("..", ".x").
// `what` names the thing in the message, e.g. "dataset name".
Status check_plain_name(std::string_view name, std::string_view what);

// root / plain_name, after check_plain_name.
Result<std::string> child_path(const std::string& root, std::string_view plain_name,
                               std::string_view what);

}  // namespace amnl

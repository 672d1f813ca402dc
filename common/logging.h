#pragma once
// spdlog set-up: one line per event that matters, to the console and (when given) to a per-rank
// file in the run directory.
#include <memory>
#include <string>

namespace spdlog { class logger; }

namespace amnl {

// Makes the default logger write to stderr and, if `file` is non-empty, also to `file`
// (appended). `name` appears in each line, e.g. "rank1". Safe to call again to re-point it.
void init_logging(const std::string& name, const std::string& file = "", bool console = true);

}  // namespace amnl

#pragma once
// Names that become paths (dataset names, run names) must be plain names: no "..", no absolute
// paths, no separators. Every path built from them stays inside its root directory, and nothing
// is written through a symbolic link that leads out of it.
#include <string>
#include <string_view>

#include "common/status.h"

namespace amnl {

// Ok when `name` is 1..64 characters of [A-Za-z0-9_.-], not starting with '.' ("..", ".x").
// `what` names the thing in the message, e.g. "dataset name". The message quotes the name with
// printable(): a hostile name cannot flood a log or make a JSON record unencodable.
Status check_plain_name(std::string_view name, std::string_view what);

// root / plain_name, after check_plain_name.
Result<std::string> child_path(const std::string& root, std::string_view plain_name,
                               std::string_view what);

// `s` quoted for a message: at most `max` bytes of it, control bytes, '\' and every byte >= 0x7f
// as \xNN (so the text is printable ASCII, hence valid UTF-8 for nlohmann::json::dump()), and the
// length when cut: 'abc...' (4096 bytes).
std::string printable(std::string_view s, size_t max = 40);

// Ok when `path` is `root` or lies inside it (lexically, after making both absolute) and no
// existing component of it below `root` is a symbolic link leading outside `root` (dangling links
// included). Components that do not exist yet are fine: they will be created as real
// directories. Call before writing under `path`; the error names the link and its target.
Status check_stays_inside(const std::string& root, const std::string& path);

// Ok when `path` (a directory or file path from a file, the command line or the environment) is
// 1..4096 bytes of valid UTF-8 without control characters. Paths go into JSON (experiment.json,
// outcome.json, ledger records), whose dump() throws on invalid UTF-8, and into logs.
Status check_path_text(std::string_view path, std::string_view what);
bool is_valid_utf8(std::string_view s);

}  // namespace amnl

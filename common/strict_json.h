#pragma once
// JSON text written by people (the experiment file), read strictly: nlohmann::json accepts a key
// written twice in one object and keeps only the last ("seeds": [1] then "seeds": [2] trained
// seed 2 alone), and reports a syntax error as a byte offset and a number beyond a double
// ("number overflow") without any place. Here each is an error naming the line and column.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace amnl {

// Parses `text`; `name` (the file) starts every error, which then gives the place:
//   NAME:LINE:COL: not valid JSON: <the parser's words>            (NaN, a cut file, garbage after)
//   NAME:LINE:COL: key 'recipe.lr' is written twice (first at line L); JSON would keep only the last
//   NAME:LINE:COL: recipe.lr: 1e999 is not a finite number
// Lines and columns count from 1, columns in bytes.
Result<nlohmann::json> parse_strict_json(std::string_view text, const std::string& name);

}  // namespace amnl

#pragma once
// The C-MAPSS parsers on text already in memory: read_cmapss_table / read_rul_file read the
// file and call these. Separate so that the fuzz targets (bench/fuzz) and tests can feed bytes
// without a file; `path` only names the source in messages.
#include <string>
#include <vector>

#include "common/cmapss/dataset.h"
#include "common/status.h"

namespace amnl::data {

Result<CmapssTable> parse_cmapss_table(const std::string& text, const std::string& path);
Result<std::vector<double>> parse_rul_text(const std::string& text, const std::string& path, int expected_units);

}  // namespace amnl::data

// Parsing of the C-MAPSS text files: train_/test_ tables and RUL_ files.
// The whole file is read into one buffer and fields are converted with std::from_chars: iostream
// extraction is ~10x slower and its failure states make precise line-level messages awkward.
// Every problem comes back as a Status naming the file, the 1-based line and what is wrong.
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_set>

#include "common/cmapss/dataset.h"
#include "common/cmapss/parse.h"

namespace amnl::data {
namespace {

Result<std::string> read_whole_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Result<std::string>::Error("cannot open " + path + ": " + std::strerror(errno));
  std::string buffer;
  char chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) buffer.append(chunk, n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return Result<std::string>::Error("cannot read " + path);
  return buffer;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

// Splits one line into whitespace-separated fields; returns the count (fields beyond `max` are
// counted but not stored).
size_t split_fields(std::string_view line, std::string_view* fields, size_t max) {
  size_t count = 0, i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    if (i == line.size()) break;
    const size_t start = i;
    while (i < line.size() && !is_space(line[i])) ++i;
    if (count < max) fields[count] = line.substr(start, i - start);
    ++count;
  }
  return count;
}

std::string where(const std::string& path, size_t line) { return path + ":" + std::to_string(line) + ": "; }

// The field as shown in a message: at most 40 characters, control bytes and every byte >= 0x7f
// as '?' so that a binary file cannot garble the terminal or the log, and the message stays
// valid UTF-8: the worker sends it as its failure reason in JSON, whose dump() throws on
// anything else (found by bench/fuzz/fuzz_cmapss).
std::string quoted(std::string_view s) {
  constexpr size_t kMax = 40;
  std::string shown(s.substr(0, kMax));
  for (char& c : shown)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  return "'" + shown + (s.size() > kMax ? "...'" : "'");
}

// A finite real number, or an error text (empty on success).
std::string parse_real(std::string_view field, double& out) {
  const char* first = field.data();
  const char* last = first + field.size();
  if (first != last && *first == '+') ++first;  // from_chars rejects a leading '+'
  const auto [ptr, ec] = std::from_chars(first, last, out);
  if (ec == std::errc::result_out_of_range) return "value " + quoted(field) + " is out of range (infinite)";
  if (ec != std::errc() || ptr != last) return "non-numeric value " + quoted(field);
  if (std::isnan(out)) return "NaN value " + quoted(field);
  if (std::isinf(out)) return "infinite value " + quoted(field);
  return {};
}

// A whole number in int range (C-MAPSS writes unit and cycle as integers), or an error text.
std::string parse_int(std::string_view field, const char* what, int& out) {
  const auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), out);
  if (ec == std::errc() && ptr == field.data() + field.size()) return {};
  double real = 0;
  const std::string real_error = parse_real(field, real);
  if (!real_error.empty()) return real_error + " for the " + what;
  return std::string(what) + " " + quoted(field) + " is not a whole number in range";
}

// Calls on_line(line_number, line) for every line that is not blank; stops at the first error.
template <typename F>
Status for_each_line(const std::string& buffer, F on_line) {
  size_t line_number = 0, pos = 0;
  while (pos < buffer.size()) {
    size_t end = buffer.find('\n', pos);
    if (end == std::string::npos) end = buffer.size();
    ++line_number;
    const std::string_view line(buffer.data() + pos, end - pos);
    pos = end + 1;
    bool blank = true;
    for (char c : line) blank = blank && is_space(c);
    if (blank) continue;  // a trailing newline or stray blank line carries no data
    Status st = on_line(line_number, line);
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

}  // namespace

int CmapssTable::num_units() const {
  int count = 0;
  for (size_t r = 0; r < unit.size(); ++r) count += (r == 0 || unit[r] != unit[r - 1]) ? 1 : 0;
  return count;
}

std::vector<UnitRange> CmapssTable::unit_ranges() const {
  std::vector<UnitRange> ranges;
  for (size_t r = 0; r < unit.size(); ++r) {
    if (r == 0 || unit[r] != unit[r - 1]) ranges.push_back(UnitRange{unit[r], r, r});
    ranges.back().end = r + 1;
  }
  return ranges;
}

Result<CmapssTable> read_cmapss_table(const std::string& path) {
  Result<std::string> buffer = read_whole_file(path);
  if (!buffer.ok()) return buffer.status();
  return parse_cmapss_table(*buffer, path);
}

Result<CmapssTable> parse_cmapss_table(const std::string& text, const std::string& path) {
  CmapssTable table;
  table.path = path;
  // A real row is ~160 bytes; reserving avoids repeated growth on 60k-row files.
  const size_t estimate = text.size() / 120 + 1;
  table.unit.reserve(estimate);
  table.cycle.reserve(estimate);
  table.values.reserve(estimate * kValueColumns);

  std::unordered_set<int> finished_units;  // units whose rows have ended: may not come back
  Status st = for_each_line(text, [&](size_t line_number, std::string_view line) -> Status {
    std::string_view fields[kFileColumns];
    const size_t count = split_fields(line, fields, kFileColumns);
    if (count != static_cast<size_t>(kFileColumns))
      return Status::Error(where(path, line_number) + "expected " + std::to_string(kFileColumns) +
                           " columns (unit, cycle, 3 settings, 21 sensors), found " + std::to_string(count));
    int unit = 0, cycle = 0;
    std::string error = parse_int(fields[0], "unit id", unit);
    if (error.empty()) error = parse_int(fields[1], "cycle", cycle);
    if (!error.empty()) return Status::Error(where(path, line_number) + error);
    for (int c = 0; c < kValueColumns; ++c) {
      double v = 0;
      error = parse_real(fields[c + 2], v);
      if (error.empty() && !std::isfinite(static_cast<float>(v)))
        error = "value " + quoted(fields[c + 2]) + " is out of range (infinite as a float)";
      if (!error.empty())
        return Status::Error(where(path, line_number) + error + " in column " + std::to_string(c + 3));
      table.values.push_back(static_cast<float>(v));
    }
    const bool new_unit = table.unit.empty() || unit != table.unit.back();
    if (new_unit) {
      if (!table.unit.empty()) finished_units.insert(table.unit.back());
      if (finished_units.count(unit))
        return Status::Error(where(path, line_number) + "unit " + std::to_string(unit) +
                             " appears again after other units (the rows of a unit must be contiguous)");
      if (cycle != 1)
        return Status::Error(where(path, line_number) + "unit " + std::to_string(unit) + " starts at cycle " +
                             std::to_string(cycle) + ", expected 1");
    } else if (static_cast<int64_t>(cycle) != static_cast<int64_t>(table.cycle.back()) + 1) {  // no int overflow
      return Status::Error(where(path, line_number) + "unit " + std::to_string(unit) + " cycle " +
                           std::to_string(cycle) + " follows cycle " + std::to_string(table.cycle.back()) +
                           " (cycles must increase by one)");
    }
    table.unit.push_back(unit);
    table.cycle.push_back(cycle);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (table.rows() == 0) return Result<CmapssTable>::Error(path + ": file is empty (no data rows)");
  return table;
}

Result<std::vector<double>> read_rul_file(const std::string& path, int expected_units) {
  Result<std::string> buffer = read_whole_file(path);
  if (!buffer.ok()) return buffer.status();
  return parse_rul_text(*buffer, path, expected_units);
}

Result<std::vector<double>> parse_rul_text(const std::string& text, const std::string& path, int expected_units) {
  std::vector<double> rul;
  std::vector<size_t> lines;  // line of each value, to point at the first extra one
  Status st = for_each_line(text, [&](size_t line_number, std::string_view line) -> Status {
    std::string_view fields[1];
    const size_t count = split_fields(line, fields, 1);
    if (count != 1)
      return Status::Error(where(path, line_number) + "expected 1 column (the true RUL), found " +
                           std::to_string(count));
    double v = 0;
    const std::string error = parse_real(fields[0], v);
    if (!error.empty()) return Status::Error(where(path, line_number) + error);
    if (v < 0) return Status::Error(where(path, line_number) + "negative RUL " + quoted(fields[0]));
    rul.push_back(v);
    lines.push_back(line_number);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (rul.empty()) return Result<std::vector<double>>::Error(path + ": file is empty (no RUL values)");
  if (static_cast<int>(rul.size()) != expected_units) {
    const size_t n = static_cast<size_t>(std::max(expected_units, 0));
    const std::string detail =
        rul.size() > n ? "line " + std::to_string(lines[n]) + " is beyond the last test unit"
                       : "values missing from line " + std::to_string(lines.back() + 1);
    return Result<std::vector<double>>::Error(path + ": has " + std::to_string(rul.size()) +
                                              " RUL values but the test file has " +
                                              std::to_string(expected_units) + " units (" + detail + ")");
  }
  return rul;
}

}  // namespace amnl::data

#pragma once
// The strict half of reading JSON: files a person wrote (the experiment file, a recipe) whose
// every mistake must be refused by name. A JsonSection reads one object's fields into C++ values
// with their ranges (common/value_range.h); a wrong type, a value out of range or an unknown key
// is an InvalidArgument Status "<key.path>: <what is wrong>, got <value>", and the first error
// wins (later reads leave their defaults).
//
// Which to use: JsonSection for input a person wrote, where a mistake must stop the run with
// the key named; the lenient accessors of common/json_fields.h (int_or, string_or, ...) for
// records other processes wrote (worker messages, ledger lines, manifests), where a damaged or
// newer record must be read as far as it goes and never stop anything.
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/value_range.h"

namespace amnl {

class JsonSection {
 public:
  // The root object `obj` at `path` ("recipe"; "" names keys alone, "run_dir"). A null `obj` is
  // an absent section: every field keeps its default. `obj` must outlive the section.
  JsonSection(const nlohmann::json* obj, std::string path);

  // The object at `key` (absent: an empty section), sharing this section's first error.
  JsonSection section(const char* key);

  void integer(const char* key, int& v, IntRange range);
  void integer(const char* key, int64_t& v, IntRange range);
  void number(const char* key, double& v, NumberRange range);
  template <size_t N>
  void choice(const char* key, std::string& v, const Choices<N>& allowed) {
    const nlohmann::json* f = field(key);
    if (!f) return;
    if (!f->is_string()) return fail(key, "must be a string, got " + dump(*f));
    if (!allowed.contains(f->get<std::string>())) return fail(key, allowed.requirement() + ", got " + dump(*f));
    v = f->get<std::string>();
  }
  // A non-empty string; "missing (required)" when `required` and absent.
  void string(const char* key, std::string& v, bool required);
  // An array of `length` entries each in `each`: "conv_channels[2]: must be >= 1, got 0".
  void int_list(const char* key, std::vector<int>& v, IntRange length, IntRange each);

  // Fields declared once with their key, default and range (value_range.h).
  template <typename T>
  void read(const IntField<T>& f, T& v) { integer(f.key, v, f.range); }
  void read(const NumberField& f, double& v) { number(f.key, v, f.range); }
  template <size_t N>
  void read(const ChoiceField<N>& f, std::string& v) { choice(f.key, v, f.choices); }

  // The raw value at `key` for checks of its own (declares the key); null when absent or after
  // an error.
  const nlohmann::json* field(const char* key);
  // Declares keys read elsewhere, so that reject_unknown() knows them.
  void declare(std::initializer_list<const char*> keys);
  // Any key not declared so far is an error: "modle: unknown key (known: data, model, ...)".
  void reject_unknown();

  // Records "<path>.<sub_path>: <what>" unless an error came first; `sub_path` is a key or a key
  // with an index ("seeds[1]").
  void fail(const std::string& sub_path, const std::string& what);
  bool failed() const { return !first_error_->ok(); }
  const Status& status() const { return *first_error_; }
  // The full path of `key` in this section.
  std::string path_of(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  // dump() that never throws (invalid UTF-8 in a hostile file).
  static std::string dump(const nlohmann::json& j);

 private:
  JsonSection(const nlohmann::json* obj, std::string path, std::shared_ptr<Status> first_error);
  void declare(const char* key);
  // Whether `f` is an integer in `range`; records the error otherwise.
  bool check_integer(const std::string& key, const nlohmann::json& f, IntRange range);

  const nlohmann::json* obj_;
  std::string path_;
  std::shared_ptr<Status> first_error_;
  std::set<std::string> known_;
  std::vector<std::string> order_;
};

}  // namespace amnl

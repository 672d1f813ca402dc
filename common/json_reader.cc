#include "common/json_reader.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "common/json_fields.h"

namespace amnl {

using nlohmann::json;

JsonSection::JsonSection(const json* obj, std::string path)
    : JsonSection(obj, std::move(path), std::make_shared<Status>()) {}

JsonSection::JsonSection(const json* obj, std::string path, std::shared_ptr<Status> first_error)
    : obj_(obj), path_(std::move(path)), first_error_(std::move(first_error)) {}

std::string JsonSection::dump(const json& j) { return dump_lossy(j); }

JsonSection JsonSection::section(const char* key) {
  const json* f = field(key);
  if (f && !f->is_object()) {
    fail(key, "must be an object, got " + dump(*f));
    f = nullptr;
  }
  return JsonSection(f, path_of(key), first_error_);
}

bool JsonSection::check_integer(const std::string& key, const json& f, IntRange range) {
  if (!f.is_number_integer()) {
    fail(key, "must be an integer, got " + dump(f));
    return false;
  }
  // Above INT64_MAX: get<int64_t>() would wrap it to a negative number.
  const bool huge = f.is_number_unsigned() && f.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX);
  const std::string wrong = huge ? range.requirement(true) : range.violation(f.get<int64_t>());
  if (!wrong.empty()) fail(key, wrong + ", got " + dump(f));
  return wrong.empty();
}

void JsonSection::integer(const char* key, int64_t& v, IntRange range) {
  const json* f = field(key);
  if (f && check_integer(key, *f, range)) v = f->get<int64_t>();
}

void JsonSection::integer(const char* key, int& v, IntRange range) {
  // An int field can hold no more than an int, whatever the range says.
  range.lo = std::max<int64_t>(range.lo, std::numeric_limits<int>::min());
  range.hi = std::min<int64_t>(range.hi, std::numeric_limits<int>::max());
  int64_t wide = v;
  integer(key, wide, range);
  v = static_cast<int>(wide);
}

void JsonSection::number(const char* key, double& v, NumberRange range) {
  const json* f = field(key);
  if (!f) return;
  if (!f->is_number()) return fail(key, "must be a number, got " + dump(*f));
  const double x = f->get<double>();
  if (const std::string wrong = range.violation(x); !wrong.empty()) return fail(key, wrong + ", got " + dump(*f));
  v = x;
}

void JsonSection::string(const char* key, std::string& v, bool required) {
  const json* f = field(key);
  if (!f) {
    if (required) fail(key, "missing (required)");
    return;
  }
  if (!f->is_string() || f->get<std::string>().empty())
    return fail(key, "must be a non-empty string, got " + dump(*f));
  v = f->get<std::string>();
}

void JsonSection::int_list(const char* key, std::vector<int>& v, IntRange length, IntRange each) {
  const json* f = field(key);
  if (!f) return;
  if (!f->is_array()) return fail(key, "must be an array of integers, got " + dump(*f));
  if (!length.contains(static_cast<int64_t>(f->size())))
    return fail(key, "must have " + std::to_string(length.lo) + ".." + std::to_string(length.hi) +
                         " entries, got " + std::to_string(f->size()));
  std::vector<int> out;
  for (size_t i = 0; i < f->size(); ++i) {
    const json& e = (*f)[i];
    if (!check_integer(std::string(key) + "[" + std::to_string(i) + "]", e, each)) return;
    out.push_back(static_cast<int>(e.get<int64_t>()));
  }
  v = out;
}

const json* JsonSection::field(const char* key) {
  declare(key);
  if (!obj_ || failed()) return nullptr;
  const auto it = obj_->find(key);
  return it == obj_->end() ? nullptr : &*it;
}

void JsonSection::declare(const char* key) {
  if (known_.insert(key).second) order_.push_back(key);
}

void JsonSection::declare(std::initializer_list<const char*> keys) {
  for (const char* key : keys) declare(key);
}

void JsonSection::reject_unknown() {
  if (!obj_ || failed()) return;
  for (auto it = obj_->begin(); it != obj_->end(); ++it)
    if (!known_.count(it.key())) {
      std::string list;
      for (const auto& k : order_) list += (list.empty() ? "" : ", ") + k;
      return fail(it.key(), "unknown key (known: " + list + ")");
    }
}

void JsonSection::fail(const std::string& sub_path, const std::string& what) {
  if (!failed()) *first_error_ = Status::InvalidArgument(path_of(sub_path) + ": " + what);
}

}  // namespace amnl

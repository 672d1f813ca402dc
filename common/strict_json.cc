#include "common/strict_json.h"

#include <cstdio>
#include <map>
#include <vector>

namespace amnl {
namespace {

using nlohmann::json;

// `s` for a message: printable ASCII (other bytes as \xNN), at most `max` bytes of it. A parser
// message quotes what it last read, which may be the rest of a large file or bytes that are not
// UTF-8 (the message goes into outcome.json and logs).
std::string readable(std::string_view s, size_t max = 160) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return s.size() > max ? out + "..." : out;
}

size_t line_of(std::string_view text, size_t offset) {
  size_t line = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) line += text[i] == '\n';
  return line;
}

// "LINE:COL" of the byte at `offset` (the end of the text when beyond it).
std::string place(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  const size_t newline = offset == 0 ? std::string_view::npos : text.rfind('\n', offset - 1);
  const size_t column = newline == std::string_view::npos ? offset + 1 : offset - newline;
  return std::to_string(line_of(text, offset)) + ":" + std::to_string(column);
}

// nlohmann's message without its id and its own place ("[json.exception.parse_error.101] parse
// error at line 1, column 7: "), which counts differently (column 0 after a newline).
std::string parser_words(const std::string& what) {
  const size_t column = what.find(", column ");
  const size_t words = column == std::string::npos ? std::string::npos : what.find(": ", column);
  if (words != std::string::npos) return readable(std::string_view(what).substr(words + 2));
  const size_t id_end = what.find("] ");
  return readable(id_end == std::string::npos ? what : what.substr(id_end + 2));
}

// What the DOM cannot show, found by walking text that the parser accepted (or accepted up to an
// overflowing number, where it stopped): a key written twice in one object, and a number that
// is not finite as a double. Iterative, so that deep nesting cannot overflow the stack.
class TextWalk {
 public:
  explicit TextWalk(std::string_view text) : text_(text) {}
  // "LINE:COL: what" of the first problem, "" when there is none.
  std::string first_problem();

 private:
  struct Open {
    bool object = false;
    bool expect_key = false;  // the next string is a key
    std::string key;          // the member being read (objects)
    size_t index = 0;         // the element being read (arrays)
    std::map<std::string, size_t> first_offset;  // of each key (objects)
  };
  size_t string_end(size_t begin) const;
  size_t number_end(size_t begin) const;
  std::string key(size_t begin, size_t end);
  std::string number(size_t begin, size_t end) const;
  std::string path() const;

  std::string_view text_;
  std::vector<Open> open_;
};

std::string TextWalk::first_problem() {
  size_t i = text_.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;  // the parser skips a UTF-8 byte order mark
  while (i < text_.size()) {
    const char c = text_[i];
    std::string problem;
    size_t next = i + 1;  // whitespace, ':', the letters of true, false and null
    if (c == '{' || c == '[') {
      open_.push_back(Open{c == '{', c == '{', "", 0, {}});
    } else if ((c == '}' || c == ']') && !open_.empty()) {
      open_.pop_back();
    } else if (c == ',' && !open_.empty()) {
      open_.back().expect_key = open_.back().object;
      ++open_.back().index;
    } else if (c == '"') {
      next = string_end(i);
      if (!open_.empty() && open_.back().expect_key) problem = key(i, next);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      next = number_end(i);
      problem = number(i, next);
    }
    if (!problem.empty()) return problem;
    i = next;
  }
  return "";
}

size_t TextWalk::string_end(size_t begin) const {
  size_t i = begin + 1;
  while (i < text_.size() && text_[i] != '"') i += text_[i] == '\\' ? 2 : 1;
  return std::min(i + 1, text_.size());
}

size_t TextWalk::number_end(size_t begin) const {
  size_t i = begin;
  auto in_number = [](char c) {
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
  };
  while (i < text_.size() && in_number(text_[i])) ++i;
  return i;
}

std::string TextWalk::key(size_t begin, size_t end) {
  // The parser accepted this string: decoding it cannot fail ("se\u0065ds" is "seeds").
  const json decoded = json::parse(text_.substr(begin, end - begin), nullptr, /*allow_exceptions=*/false);
  Open& object = open_.back();
  object.expect_key = false;
  object.key = decoded.is_string() ? decoded.get<std::string>() : std::string(text_.substr(begin, end - begin));
  const auto [first, inserted] = object.first_offset.emplace(object.key, begin);
  if (inserted) return "";
  return place(text_, begin) + ": key '" + readable(path()) + "' is written twice (first at line " +
         std::to_string(line_of(text_, first->second)) + "); JSON would keep only the last";
}

std::string TextWalk::number(size_t begin, size_t end) const {
  // The parser's own judgement of the number alone: it refuses one that overflows a double.
  const std::string_view token = text_.substr(begin, end - begin);
  if (!json::parse(token, nullptr, /*allow_exceptions=*/false).is_discarded()) return "";
  const std::string where = path().empty() ? "top level" : readable(path());
  return place(text_, begin) + ": " + where + ": " + readable(token, 40) + " is not a finite number";
}

// The key path of the value being read: recipe.optimizer.lr, seeds[1].
std::string TextWalk::path() const {
  std::string p;
  for (const Open& o : open_) {
    if (o.object) p += (p.empty() ? "" : ".") + o.key;
    else p += "[" + std::to_string(o.index) + "]";
  }
  return p;
}

}  // namespace

Result<json> parse_strict_json(std::string_view text, const std::string& name) {
  // nlohmann reports through exceptions only with allow_exceptions; none leaves this function.
  json j;
  std::string parser_refusal;  // not a syntax error (a number overflow): the walk finds its place
  try {
    j = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    return Result<json>::Error(name + ":" + place(text, e.byte > 0 ? e.byte - 1 : 0) +
                               ": not valid JSON: " + parser_words(e.what()));
  } catch (const json::exception& e) {
    parser_refusal = e.what();
  }
  if (const std::string problem = TextWalk(text).first_problem(); !problem.empty())
    return Result<json>::Error(name + ":" + problem);
  if (!parser_refusal.empty()) return Result<json>::Error(name + ": not valid JSON: " + parser_words(parser_refusal));
  return j;
}

}  // namespace amnl

#include "worker/torch_pickle.h"

#include <caffe2/serialize/in_memory_adapter.h>
#include <caffe2/serialize/inline_container.h>

#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>
#include <unordered_map>

namespace amnl::worker {
namespace {

using c10::IValue;

// A global (module.name, which REDUCE calls or a persistent id names) travels on the stack as a
// string with this prefix, which no text in a checkpoint starts with.
constexpr const char* kGlobalTag = "\x01pickle-global:";
bool is_global(const IValue& v) { return v.isString() && v.toStringRef().rfind(kGlobalTag, 0) == 0; }
std::string global_name(const IValue& v) { return v.toStringRef().substr(std::strlen(kGlobalTag)); }

struct PickleError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

c10::ScalarType storage_dtype(const std::string& global) {
  static const std::map<std::string, c10::ScalarType> kTypes = {
      {"torch.FloatStorage", c10::kFloat},   {"torch.DoubleStorage", c10::kDouble},
      {"torch.HalfStorage", c10::kHalf},     {"torch.BFloat16Storage", c10::kBFloat16},
      {"torch.LongStorage", c10::kLong},     {"torch.IntStorage", c10::kInt},
      {"torch.ShortStorage", c10::kShort},   {"torch.CharStorage", c10::kChar},
      {"torch.ByteStorage", c10::kByte},     {"torch.BoolStorage", c10::kBool},
      {"torch.UntypedStorage", c10::kByte}};
  auto it = kTypes.find(global);
  if (it == kTypes.end()) throw PickleError("unsupported storage type " + global);
  return it->second;
}

std::vector<int64_t> int_list(const IValue& v, const char* what) {
  std::vector<int64_t> out;
  if (!v.isTuple() && !v.isList()) throw PickleError(std::string("tensor ") + what + " is not a tuple");
  const auto items = v.isTuple() ? v.toTupleRef().elements().vec() : v.toListRef().vec();
  for (const auto& e : items) {
    if (!e.isInt()) throw PickleError(std::string("tensor ") + what + " holds a non-integer");
    out.push_back(e.toInt());
  }
  return out;
}

// The pickle machine: the opcodes of protocols 2 to 4 that torch.save and torch::pickle_save
// write, and the globals that rebuild their tensors and ordered dicts. Anything else is refused.
class Unpickler {
 public:
  Unpickler(const std::string& pickle, caffe2::serialize::PyTorchStreamReader& zip) : p_(pickle), zip_(zip) {}
  IValue run();

 private:
  uint8_t byte() { return static_cast<uint8_t>(take(1)[0]); }
  const char* take(size_t n) {
    if (pos_ + n > p_.size()) throw PickleError("data.pkl ends inside an instruction");
    const char* s = p_.data() + pos_;
    pos_ += n;
    return s;
  }
  uint64_t little(size_t n) {
    const char* s = take(n);
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(s[i])) << (8 * i);
    return v;
  }
  std::string text(size_t n) { return std::string(take(n), n); }
  std::string line() {
    const size_t end = p_.find('\n', pos_);
    if (end == std::string::npos) throw PickleError("data.pkl ends inside a GLOBAL");
    std::string s = p_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }
  IValue pop_value() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) throw PickleError("stack underflow");
    IValue v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  std::vector<IValue> pop_to_mark();
  void push(IValue v) { stack_.push_back(std::move(v)); }
  IValue& top() {
    if (stack_.empty()) throw PickleError("no value on the stack");
    return stack_.back();
  }
  long long signed_little(size_t n);

  bool scalar_op(uint8_t op);
  bool container_op(uint8_t op);
  bool object_op(uint8_t op);
  IValue call(const std::string& global, const std::vector<IValue>& args);
  IValue persistent_load(const IValue& pid);

  const std::string& p_;
  caffe2::serialize::PyTorchStreamReader& zip_;
  size_t pos_ = 0;
  std::vector<IValue> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, IValue> memo_;
  std::unordered_map<std::string, at::Tensor> storages_;
};

long long Unpickler::signed_little(size_t n) {
  if (n > 8) throw PickleError("integer wider than 64 bits");
  uint64_t v = little(n);
  if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);  // sign-extend
  return static_cast<long long>(v);
}

std::vector<IValue> Unpickler::pop_to_mark() {
  if (marks_.empty()) throw PickleError("no MARK");
  const size_t m = marks_.back();
  marks_.pop_back();
  std::vector<IValue> items;
  if (m > stack_.size()) throw PickleError("MARK above the stack");
  for (size_t i = m; i < stack_.size(); ++i) items.push_back(std::move(stack_[i]));
  stack_.resize(m);
  return items;
}

// Numbers, strings, constants.
bool Unpickler::scalar_op(uint8_t op) {
  switch (op) {
    case 'N': push(IValue()); return true;
    case 0x88: push(IValue(true)); return true;
    case 0x89: push(IValue(false)); return true;
    case 'K': push(IValue(static_cast<int64_t>(little(1)))); return true;
    case 'M': push(IValue(static_cast<int64_t>(little(2)))); return true;
    case 'J': push(IValue(static_cast<int64_t>(static_cast<int32_t>(little(4))))); return true;
    case 0x8a: push(IValue(static_cast<int64_t>(signed_little(little(1))))); return true;
    case 0x8b: push(IValue(static_cast<int64_t>(signed_little(little(4))))); return true;
    case 'G': {
      uint64_t bits = 0;
      const char* s = take(8);
      for (int i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<uint8_t>(s[i]);  // big-endian
      double d;
      std::memcpy(&d, &bits, sizeof d);
      push(IValue(d));
      return true;
    }
    case 'X': case 'T': case 'B': push(IValue(text(little(4)))); return true;
    case 0x8c: case 'U': case 'C': push(IValue(text(little(1)))); return true;
    case 0x8d: case 0x8e: push(IValue(text(little(8)))); return true;
    default: return false;
  }
}

// Tuples, lists, dicts and the memo.
bool Unpickler::container_op(uint8_t op) {
  switch (op) {
    case '(': marks_.push_back(stack_.size()); return true;
    case ')': push(c10::ivalue::Tuple::create({})); return true;
    case 't': push(c10::ivalue::Tuple::create(pop_to_mark())); return true;
    case 0x85: case 0x86: case 0x87: {
      std::vector<IValue> items(op - 0x84);
      for (size_t i = items.size(); i-- > 0;) items[i] = pop_value();
      push(c10::ivalue::Tuple::create(std::move(items)));
      return true;
    }
    case ']': push(c10::impl::GenericList(c10::AnyType::get())); return true;
    case '}': push(c10::impl::GenericDict(c10::AnyType::get(), c10::AnyType::get())); return true;
    case 'l': case 'e': case 'a': {
      std::vector<IValue> items = op == 'a' ? std::vector<IValue>{pop_value()} : pop_to_mark();
      if (op == 'l') push(c10::impl::GenericList(c10::AnyType::get()));
      if (!top().isList()) throw PickleError("APPEND to a non-list");
      auto list = top().toList();
      for (auto& v : items) list.push_back(std::move(v));
      return true;
    }
    case 'd': case 'u': case 's': {
      std::vector<IValue> items = op == 's' ? std::vector<IValue>{} : pop_to_mark();
      if (op == 's') {
        IValue v = pop_value();
        items = {pop_value(), v};
      }
      if (op == 'd') push(c10::impl::GenericDict(c10::AnyType::get(), c10::AnyType::get()));
      if (!top().isGenericDict() || items.size() % 2) throw PickleError("SETITEMS on a non-dict");
      auto dict = top().toGenericDict();
      for (size_t i = 0; i + 1 < items.size(); i += 2) dict.insert_or_assign(items[i], items[i + 1]);
      return true;
    }
    case 'q': memo_[little(1)] = stack_.at(stack_.size() - 1); return true;
    case 'r': memo_[little(4)] = stack_.at(stack_.size() - 1); return true;
    case 0x94: memo_[memo_.size()] = stack_.at(stack_.size() - 1); return true;
    case 'h': case 'j': {
      auto it = memo_.find(little(op == 'h' ? 1 : 4));
      if (it == memo_.end()) throw PickleError("GET of an unknown memo entry");
      stack_.push_back(it->second);
      return true;
    }
    case '0': pop_value(); return true;
    default: return false;
  }
}

// Globals, calls and tensors.
bool Unpickler::object_op(uint8_t op) {
  switch (op) {
    case 'c': {
      std::string module = line();
      push(IValue(kGlobalTag + module + "." + line()));
      return true;
    }
    case 0x93: {
      const std::string name = pop_value().toStringRef();
      push(IValue(kGlobalTag + pop_value().toStringRef() + "." + name));
      return true;
    }
    case 'R': case 0x81: {
      IValue args = pop_value();
      IValue fn = pop_value();
      if (!is_global(fn) || !args.isTuple()) throw PickleError("REDUCE of a non-global");
      push(call(global_name(fn), args.toTupleRef().elements().vec()));
      return true;
    }
    case 'b': pop_value(); return true;  // BUILD: attributes (a state_dict's _metadata) are not kept
    case 'Q': push(persistent_load(pop_value())); return true;
    default: return false;
  }
}

IValue Unpickler::call(const std::string& global, const std::vector<IValue>& args) {
  if (global == "collections.OrderedDict") return c10::impl::GenericDict(c10::AnyType::get(), c10::AnyType::get());
  if (global == "torch._utils._rebuild_tensor_v2") {
    if (args.size() < 4 || !args[0].isTensor() || !args[1].isInt()) throw PickleError("malformed tensor");
    return args[0].toTensor().as_strided(int_list(args[2], "size"), int_list(args[3], "stride"), args[1].toInt());
  }
  if (global == "torch._utils._rebuild_parameter" || global == "torch._utils._rebuild_parameter_with_state" ||
      global == "torch.jit._pickle.restore_type_tag" || global.rfind("torch.jit._pickle.build_", 0) == 0 ||
      global == "torch.Size") {
    if (args.empty()) throw PickleError("malformed " + global);
    return args[0];
  }
  if (global == "torch.device" && !args.empty()) return args[0];
  throw PickleError("unsupported object " + global);
}

// ('storage', <storage type>, key, location, numel): the record data/<key>.
IValue Unpickler::persistent_load(const IValue& pid) {
  if (!pid.isTuple() || pid.toTupleRef().elements().size() < 5) throw PickleError("malformed persistent id");
  const auto& e = pid.toTupleRef().elements();
  if (!is_global(e[1]) || !e[2].isString() || !e[4].isInt() || e[4].toInt() < 0)
    throw PickleError("malformed storage reference");
  const std::string key = e[2].toStringRef();
  if (auto it = storages_.find(key); it != storages_.end()) return it->second;
  const std::string record = "data/" + key;
  if (!zip_.hasRecord(record)) throw PickleError("no record " + record + " for a tensor");
  auto [data, size] = zip_.getRecord(record);
  at::Tensor storage = torch::empty({e[4].toInt()}, torch::TensorOptions(storage_dtype(global_name(e[1]))));
  const size_t need = storage.numel() * storage.element_size();
  if (size < need) throw PickleError("record " + record + " holds fewer bytes than its tensor");
  if (need > 0) std::memcpy(storage.data_ptr(), data.get(), need);
  storages_[key] = storage;
  return storage;
}

IValue Unpickler::run() {
  for (;;) {
    const uint8_t op = byte();
    if (op == '.') break;
    if (op == 0x80) {
      byte();
      continue;
    }
    if (op == 0x95) {
      take(8);
      continue;
    }
    if (!scalar_op(op) && !container_op(op) && !object_op(op))
      throw PickleError("unsupported pickle opcode 0x" + c10::guts::to_string(static_cast<int>(op)));
  }
  if (stack_.size() != 1 || is_global(stack_.back()))
    throw PickleError("data.pkl does not end with exactly one value");
  return pop_value();
}

}  // namespace

std::string save_torch_pickle(const c10::IValue& value) {
  const std::vector<char> bytes = torch::pickle_save(value);
  return std::string(bytes.begin(), bytes.end());
}

Result<c10::IValue> load_torch_pickle(const std::string& bytes, const std::string& label) {
  try {
    caffe2::serialize::PyTorchStreamReader zip(
        std::make_shared<caffe2::serialize::MemoryReadAdapter>(bytes.data(), static_cast<off_t>(bytes.size())));
    if (!zip.hasRecord("data.pkl")) return Result<c10::IValue>::Error(label + ": not a torch.save file (no data.pkl)");
    auto [data, size] = zip.getRecord("data.pkl");
    const std::string pickle(static_cast<const char*>(data.get()), size);
    return Unpickler(pickle, zip).run();
  } catch (const PickleError& e) {
    return Result<c10::IValue>::Error(label + ": unreadable torch.save file: " + e.what());
  } catch (const std::exception& e) {
    std::string what = e.what();
    return Result<c10::IValue>::Error(label + ": not a torch.save file: " + what.substr(0, what.find('\n')));
  }
}

bool is_torchscript_archive(const std::string& bytes) {
  try {
    caffe2::serialize::PyTorchStreamReader zip(
        std::make_shared<caffe2::serialize::MemoryReadAdapter>(bytes.data(), static_cast<off_t>(bytes.size())));
    return zip.hasRecord("constants.pkl");
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace amnl::worker

#include "worker/pytorch_dict.h"

#include <map>
#include <sstream>

namespace amnl::worker {
namespace {

using nlohmann::json;
using c10::IValue;

c10::impl::GenericDict str_dict() { return c10::impl::GenericDict(c10::StringType::get(), c10::AnyType::get()); }

std::string shape_of(const torch::Tensor& t) {
  std::ostringstream ss;
  ss << t.sizes();
  return ss.str();
}

// A copy that owns exactly its elements: pickling a view would write its whole storage.
torch::Tensor compact(const torch::Tensor& t) {
  auto c = t.detach().to(torch::kCPU).contiguous();
  if (c.storage_offset() != 0 || c.storage().nbytes() != static_cast<size_t>(c.numel()) * c.element_size())
    c = c.clone();
  return c;
}

const torch::optim::AdamWOptions& adamw_options(const torch::optim::OptimizerParamGroup& g) {
  const auto* o = dynamic_cast<const torch::optim::AdamWOptions*>(&g.options());
  if (!o) throw std::invalid_argument("the optimizer is not AdamW");
  return *o;
}

std::string param_key(const torch::Tensor& p) { return c10::guts::to_string(p.unsafeGetTensorImpl()); }

bool number(const IValue* v, double& out) {
  if (!v || !(v->isDouble() || v->isInt())) return false;
  out = v->isDouble() ? v->toDouble() : static_cast<double>(v->toInt());
  return true;
}

const IValue* int_key(const c10::impl::GenericDict& d, int64_t key) {
  for (auto it = d.begin(); it != d.end(); ++it)
    if (it->key().isInt() && it->key().toInt() == key) return &it->value();
  return nullptr;
}

// One parameter's AdamW state from {"step", "exp_avg", "exp_avg_sq"[, "max_exp_avg_sq"]}, checked
// against the parameter's shape.
Result<std::unique_ptr<torch::optim::AdamWParamState>> param_state(const IValue& entry, const torch::Tensor& p,
                                                                   const std::string& what) {
  using R = Result<std::unique_ptr<torch::optim::AdamWParamState>>;
  const IValue* step = dict_get(entry, "step");
  double steps = 0;
  if (step && step->isTensor() && step->toTensor().numel() == 1) steps = step->toTensor().item<double>();
  else if (!number(step, steps)) return R::Error(what + " has no step");
  auto s = std::make_unique<torch::optim::AdamWParamState>();
  s->step(static_cast<int64_t>(std::llround(steps)));
  for (const char* key : {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}) {
    const IValue* t = dict_get(entry, key);
    if (!t && std::string(key) == "max_exp_avg_sq") continue;
    if (!t || !t->isTensor()) return R::Error(what + " has no tensor " + key);
    if (!t->toTensor().sizes().equals(p.sizes()))
      return R::Error(what + "['" + key + "'] has shape " + shape_of(t->toTensor()) + ", its parameter's is " + shape_of(p));
    auto copy = t->toTensor().to(p.options()).clone();
    if (std::string(key) == "exp_avg") s->exp_avg(copy);
    else if (std::string(key) == "exp_avg_sq") s->exp_avg_sq(copy);
    else s->max_exp_avg_sq(copy);
  }
  return s;
}

// A param group's options from its dict: lr, betas, eps, weight_decay, amsgrad.
Result<torch::optim::AdamWOptions> group_options(const IValue& g, const std::string& what) {
  torch::optim::AdamWOptions o;
  double lr, eps, wd, b1, b2;
  const IValue* betas = dict_get(g, "betas");
  if (!number(dict_get(g, "lr"), lr) || !number(dict_get(g, "eps"), eps) || !number(dict_get(g, "weight_decay"), wd) ||
      !betas || !(betas->isTuple() || betas->isList()))
    return Result<torch::optim::AdamWOptions>::Error(what + " lacks lr, betas, eps or weight_decay");
  const auto b = betas->isTuple() ? betas->toTupleRef().elements().vec() : betas->toListRef().vec();
  if (b.size() != 2 || !number(&b[0], b1) || !number(&b[1], b2))
    return Result<torch::optim::AdamWOptions>::Error(what + "['betas'] is not two numbers");
  const IValue* ams = dict_get(g, "amsgrad");
  o.lr(lr).eps(eps).weight_decay(wd).betas({b1, b2}).amsgrad(ams && ams->isBool() && ams->toBool());
  return o;
}

}  // namespace

IValue json_to_ivalue(const json& j) {
  switch (j.type()) {
    case json::value_t::object: {
      auto d = str_dict();
      for (auto it = j.begin(); it != j.end(); ++it) d.insert(it.key(), json_to_ivalue(it.value()));
      return d;
    }
    case json::value_t::array: {
      c10::impl::GenericList l(c10::AnyType::get());
      for (const auto& e : j) l.push_back(json_to_ivalue(e));
      return l;
    }
    case json::value_t::string: return IValue(j.get<std::string>());
    case json::value_t::boolean: return IValue(j.get<bool>());
    case json::value_t::number_integer: return IValue(j.get<int64_t>());
    case json::value_t::number_unsigned: return IValue(static_cast<int64_t>(j.get<uint64_t>()));
    case json::value_t::number_float: return IValue(j.get<double>());
    default: return IValue();
  }
}

Result<json> ivalue_to_json(const IValue& v, const std::string& what) {
  if (v.isNone()) return json();
  if (v.isBool()) return json(v.toBool());
  if (v.isInt()) return json(v.toInt());
  if (v.isDouble()) return json(v.toDouble());
  if (v.isString()) return json(v.toStringRef());
  if (v.isList() || v.isTuple()) {
    json a = json::array();
    const auto items = v.isList() ? v.toListRef().vec() : v.toTupleRef().elements().vec();
    for (size_t i = 0; i < items.size(); ++i) {
      auto e = ivalue_to_json(items[i], what + "[" + std::to_string(i) + "]");
      if (!e.ok()) return e;
      a.push_back(std::move(*e));
    }
    return a;
  }
  if (v.isGenericDict()) {
    json o = json::object();
    for (const auto& kv : v.toGenericDict()) {
      if (!kv.key().isString() && !kv.key().isInt()) return Result<json>::Error(what + " has a key that is no str or int");
      const std::string key = kv.key().isString() ? kv.key().toStringRef() : std::to_string(kv.key().toInt());
      auto e = ivalue_to_json(kv.value(), what + "." + key);
      if (!e.ok()) return e;
      o[key] = std::move(*e);
    }
    return o;
  }
  return Result<json>::Error(what + " is a " + v.tagKind() + ", expected plain values (dicts, lists, numbers, str)");
}

const IValue* dict_get(const IValue& dict, const std::string& key) {
  if (!dict.isGenericDict()) return nullptr;
  const auto d = dict.toGenericDict();
  for (auto it = d.begin(); it != d.end(); ++it)
    if (it->key().isString() && it->key().toStringRef() == key) return &it->value();
  return nullptr;
}

IValue state_dict_of(const NamedTensors& nt) {
  auto d = str_dict();
  for (size_t i = 0; i < nt.names.size(); ++i) d.insert(nt.names[i], compact(nt.tensors[i]));
  return d;
}

Result<NamedTensors> named_tensors_of(const IValue& dict, const std::string& what) {
  if (!dict.isGenericDict()) return Result<NamedTensors>::Error(what + " is a " + dict.tagKind() + ", not a dict");
  NamedTensors nt;
  for (const auto& kv : dict.toGenericDict()) {
    if (!kv.key().isString()) return Result<NamedTensors>::Error(what + " has a key that is no str");
    if (!kv.value().isTensor())
      return Result<NamedTensors>::Error(what + "['" + kv.key().toStringRef() + "'] is a " + kv.value().tagKind() +
                                         ", not a tensor");
    nt.names.push_back(kv.key().toStringRef());
    nt.tensors.push_back(kv.value().toTensor());
  }
  return nt;
}

Status assign_by_name(const NamedTensors& from, NamedTensors& to, const std::string& what) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < from.names.size(); ++i) index[from.names[i]] = i;
  std::vector<size_t> source(to.names.size());
  for (size_t i = 0; i < to.names.size(); ++i) {
    auto it = index.find(to.names[i]);
    if (it == index.end()) return Status::Error(what + " lacks the key '" + to.names[i] + "' (missing key)");
    const auto& t = from.tensors[it->second];
    if (!t.sizes().equals(to.tensors[i].sizes()))
      return Status::Error(what + "['" + to.names[i] + "'] has shape " + shape_of(t) + ", the model's is " +
                           shape_of(to.tensors[i]));
    if (t.is_floating_point() != to.tensors[i].is_floating_point())
      return Status::Error(what + "['" + to.names[i] + "'] has dtype " + std::string(c10::toString(t.scalar_type())) +
                           ", the model's is " + c10::toString(to.tensors[i].scalar_type()));
    source[i] = it->second;
    index.erase(it);
  }
  if (!index.empty()) return Status::Error(what + " has the key '" + index.begin()->first + "' that the model lacks (unexpected key)");
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < to.tensors.size(); ++i) to.tensors[i].copy_(from.tensors[source[i]]);
  return Status::Ok();
}

IValue adamw_state_dict(const torch::optim::Optimizer& optimizer) {
  auto state = c10::impl::GenericDict(c10::IntType::get(), c10::AnyType::get());
  c10::impl::GenericList groups(c10::AnyType::get());
  int64_t index = 0;
  for (const auto& g : optimizer.param_groups()) {
    const auto& o = adamw_options(g);
    c10::impl::GenericList params(c10::AnyType::get());
    for (const auto& p : g.params()) {
      auto it = optimizer.state().find(param_key(p));
      if (it != optimizer.state().end()) {
        const auto& s = static_cast<const torch::optim::AdamWParamState&>(*it->second);
        auto entry = str_dict();
        // PyTorch keeps the step count as a float tensor; exact for any count below 2^24.
        entry.insert("step", torch::tensor(static_cast<double>(s.step()), torch::kFloat32));
        entry.insert("exp_avg", compact(s.exp_avg()));
        entry.insert("exp_avg_sq", compact(s.exp_avg_sq()));
        if (s.max_exp_avg_sq().defined()) entry.insert("max_exp_avg_sq", compact(s.max_exp_avg_sq()));
        state.insert(index, entry);
      }
      params.push_back(IValue(index++));
    }
    auto group = str_dict();
    group.insert("lr", o.lr());
    group.insert("betas", c10::ivalue::Tuple::create({std::get<0>(o.betas()), std::get<1>(o.betas())}));
    group.insert("eps", o.eps());
    group.insert("weight_decay", o.weight_decay());
    group.insert("amsgrad", o.amsgrad());
    group.insert("foreach", IValue());
    group.insert("maximize", false);
    group.insert("capturable", false);
    group.insert("params", params);
    groups.push_back(group);
  }
  auto d = str_dict();
  d.insert("state", state);
  d.insert("param_groups", groups);
  return d;
}

Status load_adamw_state_dict(const IValue& dict, torch::optim::Optimizer& optimizer, const std::string& what) {
  const IValue* state = dict_get(dict, "state");
  const IValue* groups = dict_get(dict, "param_groups");
  if (!state || !state->isGenericDict() || !groups || !groups->isList())
    return Status::Error(what + " lacks 'state' or 'param_groups'");
  auto& pgs = optimizer.param_groups();
  if (groups->toListRef().size() != pgs.size())
    return Status::Error(what + " has " + std::to_string(groups->toListRef().size()) + " param groups, the optimizer " +
                         std::to_string(pgs.size()));
  // Everything is checked and built before any of it replaces the optimizer's state.
  std::vector<torch::optim::AdamWOptions> options;
  std::vector<std::pair<std::string, std::unique_ptr<torch::optim::AdamWParamState>>> states;
  int64_t index = 0;
  for (size_t gi = 0; gi < pgs.size(); ++gi) {
    const std::string gwhat = what + "['param_groups'][" + std::to_string(gi) + "]";
    const IValue& g = groups->toListRef()[gi];
    auto o = group_options(g, gwhat);
    if (!o.ok()) return o.status();
    options.push_back(*o);
    const IValue* params = dict_get(g, "params");
    if (!params || !params->isList() || params->toListRef().size() != pgs[gi].params().size())
      return Status::Error(gwhat + " does not list the model's " + std::to_string(pgs[gi].params().size()) + " parameters");
    for (const auto& p : pgs[gi].params()) {
      const IValue* entry = int_key(state->toGenericDict(), index);
      if (entry) {
        auto s = param_state(*entry, p, what + "['state'][" + std::to_string(index) + "]");
        if (!s.ok()) return s.status();
        states.emplace_back(param_key(p), std::move(*s));
      }
      ++index;
    }
  }
  for (size_t gi = 0; gi < pgs.size(); ++gi) static_cast<torch::optim::AdamWOptions&>(pgs[gi].options()) = options[gi];
  optimizer.state().clear();
  for (auto& [key, s] : states) optimizer.state()[key] = std::move(s);
  return Status::Ok();
}

IValue history_columns(const json& history) {
  auto d = str_dict();
  if (!history.is_array() || history.empty() || !history[0].is_object()) return d;
  for (auto it = history[0].begin(); it != history[0].end(); ++it) {
    c10::impl::GenericList column(c10::AnyType::get());
    for (const auto& e : history) column.push_back(e.contains(it.key()) ? json_to_ivalue(e[it.key()]) : IValue());
    d.insert(it.key(), column);
  }
  return d;
}

IValue model_config_of(const json& recipe, int64_t num_features, int epochs_trained, int64_t seed) {
  const json empty = json::object();
  auto section = [&](const char* k) -> const json& { return recipe.contains(k) ? recipe.at(k) : empty; };
  const json& sched = section("schedule");
  const json& loss = section("loss");
  json config = {
      {"version", "V7"},
      {"input_size", num_features},
      {"sequence_length", section("data").value("window", 30)},
      {"hidden_size", section("model").value("lstm_hidden", 0)},
      {"epochs_trained", epochs_trained},
      {"batch_size", section("optimizer").value("batch_size", 0)},
      {"learning_rate", section("optimizer").value("lr", 0.0)},
      {"random_seed", seed},
      {"amnl_config",
       {{"loss", "failure-biased weighted MSE + cross-entropy (rul_scale " + loss.value("rul_scale", std::string()) + ")"},
        {"task_weights", {{"rul", loss.value("rul_weight", 0.5)}, {"health", loss.value("health_weight", 0.5)}}},
        {"scheduler",
         {{"type", "ReduceLROnPlateau"},
          {"factor", sched.value("plateau_factor", 0.5)},
          {"patience", sched.value("plateau_patience", 0)},
          {"min_lr", sched.value("min_lr", 0.0)}}},
        {"warmup", {{"epochs", sched.value("warmup_epochs", 0)}, {"start_factor", sched.value("warmup_start_factor", 0.1)}}},
        {"early_stopping", {{"patience", recipe.value("early_stop_patience", 0)}}}}},
      {"amnl_recipe", recipe}};
  return json_to_ivalue(config);
}

}  // namespace amnl::worker

#include "worker/checkpoint_dict.h"

#include <cmath>

#include "worker/pytorch_dict.h"
#include "worker/torch_pickle.h"

namespace amnl::worker {
namespace {

using nlohmann::json;
using c10::IValue;

c10::impl::GenericDict str_dict() { return c10::impl::GenericDict(c10::StringType::get(), c10::AnyType::get()); }

// The feature count is the first convolution's input channels: (out, features, kernel).
int64_t features_of(const NamedTensors& weights) {
  for (size_t i = 0; i < weights.names.size(); ++i)
    if (weights.names[i] == "conv.0.weight" && weights.tensors[i].dim() == 3) return weights.tensors[i].size(1);
  return -1;
}

std::string amnl_format(const IValue& dict) {
  const IValue* amnl = dict_get(dict, "amnl");
  const IValue* format = amnl ? dict_get(*amnl, "format") : nullptr;
  return format && format->isString() ? format->toStringRef() : std::string();
}

// An optional entry as JSON: null when absent or not plain values.
json optional_json(const IValue& dict, const std::string& key) {
  const IValue* v = dict_get(dict, key);
  if (!v) return json();
  auto j = ivalue_to_json(*v, key);
  return j.ok() ? *j : json();
}

Result<json> json_at(const IValue& dict, const std::string& key, const std::string& label) {
  const IValue* v = dict_get(dict, key);
  if (!v) return Result<json>::Error(label + ": no '" + key + "'");
  return ivalue_to_json(*v, label + ": " + key);
}

}  // namespace

std::string serialize_checkpoint_dict(const TrainState& state, const CheckpointTensors& t,
                                      const torch::optim::Optimizer& optimizer) {
  auto resume = str_dict();
  resume.insert("format", std::string(kCheckpointDictFormat));
  resume.insert("state", state.to_json().dump());
  resume.insert("best_ema_state_dict", t.best_ema.names.empty() ? IValue() : state_dict_of(t.best_ema));
  resume.insert("torch_rng", t.torch_rng.detach().cpu().clone());

  auto d = str_dict();
  d.insert("model_state_dict", state_dict_of(t.model));
  d.insert("optimizer_state_dict", adamw_state_dict(optimizer));
  d.insert("scheduler_state_dict", json_to_ivalue(state.schedule));
  d.insert("ema_shadow", state_dict_of(t.ema));
  d.insert("dataset", state.dataset);
  d.insert("epoch", static_cast<int64_t>(state.epochs_done));
  d.insert("best_epoch", static_cast<int64_t>(state.best_epoch));
  d.insert("best_rmse", std::isfinite(state.best_metric) ? IValue(state.best_metric) : IValue());
  d.insert("final_metrics", IValue());
  d.insert("training_history", history_columns(state.history));
  d.insert("model_config", model_config_of(state.recipe, features_of(t.model), state.epochs_done, state.seed));
  d.insert("scaler_params", json_to_ivalue(state.scaler));
  d.insert("amnl", resume);
  return save_torch_pickle(d);
}

Result<LoadedCheckpoint> parse_checkpoint_dict(const IValue& dict, const std::string& label) {
  using R = Result<LoadedCheckpoint>;
  if (amnl_format(dict) != kCheckpointDictFormat)
    return R::Error(label + ": not an amnl checkpoint (no amnl.format " + std::string(kCheckpointDictFormat) + ")");
  const IValue& amnl = *dict_get(dict, "amnl");
  const IValue* state = dict_get(amnl, "state");
  if (!state || !state->isString()) return R::Error(label + ": no training state (amnl.state)");
  LoadedCheckpoint c;
  try {
    auto s = TrainState::from_json(json::parse(state->toStringRef()));
    if (!s.ok()) return R::Error(label + ": " + s.message());
    c.state = std::move(*s);
  } catch (const std::exception& e) {
    return R::Error(label + ": training state unreadable: " + e.what());
  }
  for (auto [key, section, target] : {std::tuple<const char*, const IValue*, NamedTensors*>{
                                          "model_state_dict", &dict, &c.tensors.model},
                                      {"ema_shadow", &dict, &c.tensors.ema},
                                      {"best_ema_state_dict", &amnl, &c.tensors.best_ema}}) {
    const IValue* v = dict_get(*section, key);
    if (!v) return R::Error(label + ": no '" + key + "'");
    if (v->isNone() && target == &c.tensors.best_ema) continue;  // before the first evaluation
    auto nt = named_tensors_of(*v, label + ": " + key);
    if (!nt.ok()) return nt.status();
    *target = std::move(*nt);
  }
  const IValue* rng = dict_get(amnl, "torch_rng");
  if (!rng || !rng->isTensor()) return R::Error(label + ": no torch generator state (amnl.torch_rng)");
  c.tensors.torch_rng = rng->toTensor();
  const IValue* optimizer = dict_get(dict, "optimizer_state_dict");
  if (!optimizer || !optimizer->isGenericDict()) return R::Error(label + ": no optimizer_state_dict");
  c.optimizer_state = *optimizer;
  return c;
}

std::string serialize_model_dict(const json& meta, const NamedTensors& weights, const json& history,
                                 const torch::optim::Optimizer* optimizer) {
  auto amnl = str_dict();
  amnl.insert("format", std::string(kModelDictFormat));
  const json recipe = meta.value(model_meta_key::kRecipe, json::object());
  auto d = str_dict();
  d.insert("model_state_dict", state_dict_of(weights));
  d.insert("optimizer_state_dict", optimizer ? adamw_state_dict(*optimizer) : IValue());
  d.insert("dataset", meta.value(model_meta_key::kDataset, std::string()));
  d.insert("final_metrics", json_to_ivalue(meta.value("metrics", json())));
  d.insert("training_history", history_columns(history));
  d.insert("best_epoch", meta.value(model_meta_key::kBestEpoch, int64_t{0}));
  d.insert("model_config", model_config_of(recipe, meta.value(model_meta_key::kNumFeatures, features_of(weights)),
                                           static_cast<int>(history.is_array() ? history.size() : 0),
                                           meta.value(model_meta_key::kSeed, int64_t{0})));
  d.insert("scaler_params", json_to_ivalue(meta.value(model_meta_key::kScaler, json())));
  d.insert("amnl", amnl);
  return save_torch_pickle(d);
}

Result<ModelFile> parse_model_dict(const IValue& dict, const std::string& label) {
  using R = Result<ModelFile>;
  if (!dict.isGenericDict()) return R::Error(label + ": holds a " + dict.tagKind() + ", not a dict");
  if (amnl_format(dict) == kCheckpointDictFormat) return R::Error(label + ": a training checkpoint, not a model");
  const IValue* sd = dict_get(dict, "model_state_dict");
  if (!sd)
    return R::Error(label + ": no 'model_state_dict' (amnl reads a dict with model_state_dict, model_config and "
                            "scaler_params, as the final model holds them)");
  auto weights = named_tensors_of(*sd, label + ": model_state_dict");
  if (!weights.ok()) return weights.status();
  auto config = json_at(dict, "model_config", label);
  if (!config.ok()) return config.status();
  if (!config->is_object() || !config->contains("amnl_recipe"))
    return R::Error(label + ": model_config has no 'amnl_recipe' (the recipe the weights were trained with)");
  auto scaler = json_at(dict, "scaler_params", label);
  if (!scaler.ok()) return scaler.status();
  ModelFile m;
  m.weights = std::move(*weights);
  const int64_t features = features_of(m.weights);
  m.meta = {{model_meta_key::kDataset, optional_json(dict, "dataset")},
            {model_meta_key::kSeed, config->value("random_seed", json())},
            {model_meta_key::kRecipe, config->at("amnl_recipe")},
            {model_meta_key::kScaler, *scaler},
            {model_meta_key::kNumFeatures, features > 0 ? json(features) : config->value("input_size", json())},
            {model_meta_key::kWeights, "model_state_dict"},
            {model_meta_key::kBestEpoch, optional_json(dict, "best_epoch")},
            {"metrics", optional_json(dict, "final_metrics")}};
  return m;
}

}  // namespace amnl::worker

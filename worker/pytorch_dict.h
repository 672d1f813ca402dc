#pragma once
// The pieces of the dict a PyTorch user knows (shared/spec/amnl.md, "The files as a PyTorch user
// knows them"), converted from and to amnl's values: JSON as nested dicts and lists, weights as a
// state_dict keyed by the module paths of the plain PyTorch model (examples/pytorch/amnl_model.py),
// AdamW's state as torch.optim.AdamW.state_dict() lays it out. checkpoint_dict.h assembles them.
// Internal to the worker: includes torch.
#include <string>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "common/status.h"
#include "worker/checkpoint_format.h"

namespace amnl::worker {

// JSON as Python values: objects become dicts with str keys, arrays lists, null None.
c10::IValue json_to_ivalue(const nlohmann::json& j);
// Back (dict keys that are ints become strings). A tensor or other non-JSON value is an error
// naming `what`.
Result<nlohmann::json> ivalue_to_json(const c10::IValue& v, const std::string& what);

// The value at `key` of a dict with str keys, or nullptr when `dict` is no dict or lacks the key.
const c10::IValue* dict_get(const c10::IValue& dict, const std::string& key);

// {name: tensor}, in the order of `nt` (CPU tensors that own exactly their bytes).
c10::IValue state_dict_of(const NamedTensors& nt);
// The tensors of a state_dict, in the dict's order. `what` ("x.pth: model_state_dict") starts errors.
Result<NamedTensors> named_tensors_of(const c10::IValue& dict, const std::string& what);
// Copies `from` into `to` by name, as load_state_dict(strict=True) does, after checking all of it:
// the error names the first of `to`'s names that `from` lacks or holds with another shape, or
// the first name of `from` that `to` lacks. Floating dtypes convert (a model saved in float64).
Status assign_by_name(const NamedTensors& from, NamedTensors& to, const std::string& what);

// torch.optim.AdamW.state_dict(): {"state": {i: {"step", "exp_avg", "exp_avg_sq"}}, "param_groups":
// [{"lr", "betas", "eps", "weight_decay", "amsgrad", ..., "params": [0..n-1]}]}, parameters
// numbered in the order of model.parameters(). `optimizer` must be a torch::optim::AdamW.
c10::IValue adamw_state_dict(const torch::optim::Optimizer& optimizer);
// Restores every parameter's step and moments and each group's options; checks the parameter
// count and every moment's shape first, so that a failure changes nothing.
Status load_adamw_state_dict(const c10::IValue& dict, torch::optim::Optimizer& optimizer, const std::string& what);

// amnl's history (a list of per-epoch objects) as the recipe's dict of lists: {"epoch": [1, 2],
// "loss": [...], ...}, columns in the order of the first epoch's keys.
c10::IValue history_columns(const nlohmann::json& history);

// The recipe's model_config: version "V7", input_size, sequence_length, hidden_size,
// epochs_trained, batch_size, learning_rate, random_seed, amnl_config {loss, task_weights,
// scheduler, warmup, early_stopping}, plus amnl_recipe: the whole recipe (RecipeConfig::to_json),
// from which amnl rebuilds the model.
c10::IValue model_config_of(const nlohmann::json& recipe, int64_t num_features, int epochs_trained, int64_t seed);

}  // namespace amnl::worker

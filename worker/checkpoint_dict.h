#pragma once
// amnl's checkpoints and final model as the dict a PyTorch user opens with torch.load(path)
// (shared/spec/amnl.md, "The files as a PyTorch user knows them"); checkpoint_format.h chooses
// between this format and the TorchScript archives of earlier amnl versions.
//
// A training checkpoint (epoch_N.pt, best_epoch_N.pt, interrupted.pt):
//   model_state_dict      the live training weights and buffers ({"conv.0.weight": tensor, ...})
//   optimizer_state_dict  torch.optim.AdamW's state_dict over model.parameters()
//   scheduler_state_dict  amnl's warm-up + plateau schedule (LrSchedule::to_json)
//   ema_shadow            the EMA of the weights, same keys (the weights amnl evaluates)
//   dataset, epoch, best_epoch, best_rmse (None before the first evaluation), final_metrics (None),
//   training_history (dict of lists), model_config (pytorch_dict.h), scaler_params
//   amnl                  exact resume: {"format": kCheckpointDictFormat, "state": TrainState as
//                         JSON text, "best_ema_state_dict": EMA at the best epoch or None,
//                         "torch_rng": the CPU generator state}
// The final model (<DATASET>_v7_seed<SEED>.pt):
//   model_state_dict (the EMA weights of the best epoch: the model to deploy), optimizer_state_dict
//   (at the end of training), dataset, final_metrics, training_history, best_epoch, model_config,
//   scaler_params, amnl {"format": kModelDictFormat, "meta": the model metadata as JSON text}.
// Reading a model dict needs only model_state_dict, model_config.amnl_recipe and scaler_params,
// so a dict saved by torch.save from Python (examples/pytorch/amnl_model.py) deploys too.
#include <string>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "common/status.h"
#include "worker/checkpoint_format.h"

namespace amnl::worker {

inline constexpr const char* kCheckpointDictFormat = "amnl-checkpoint-dict-1";
inline constexpr const char* kModelDictFormat = "amnl-model-dict-1";

std::string serialize_checkpoint_dict(const TrainState& state, const CheckpointTensors& tensors,
                                      const torch::optim::Optimizer& optimizer);
// `dict` is what load_torch_pickle returned; a dict that is not an amnl training checkpoint is
// an error (the caller may read it as a model).
Result<LoadedCheckpoint> parse_checkpoint_dict(const c10::IValue& dict, const std::string& label);

// `history` is TrainState::history; `optimizer` may be null (no optimizer_state_dict then).
std::string serialize_model_dict(const nlohmann::json& meta, const NamedTensors& weights, const nlohmann::json& history,
                                 const torch::optim::Optimizer* optimizer);
// A final model, or any dict with model_state_dict, model_config (with amnl_recipe) and
// scaler_params; not an amnl training checkpoint (read_deployable takes its best EMA instead).
Result<ModelFile> parse_model_dict(const c10::IValue& dict, const std::string& label);

}  // namespace amnl::worker

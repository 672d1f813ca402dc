#pragma once
// What is inside a training checkpoint and a deployment model, and their (de)serialisation to
// bytes (torch archives). Bytes go to disk only through CheckpointStore / Storage.
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "common/status.h"

namespace amnl::worker {

// Everything of a job's progress that is not a tensor (amnl.md, "Checkpoint contents").
struct TrainState {
  // Identity: a checkpoint of another recipe, dataset, seed or scaler is refused.
  nlohmann::json recipe;  // RecipeConfig::to_json()
  nlohmann::json scaler;  // ScalerParams::to_json()
  std::string dataset;
  int64_t seed = 0;

  // Position: `epochs_done` complete epochs plus `batch_in_epoch` batches of the next one.
  int epochs_done = 0;
  int64_t batch_in_epoch = 0;
  std::string shuffle_state;  // the shuffling generator at the start of epoch epochs_done + 1
  int64_t batches_done = 0;   // over the whole job

  // Partial sums of the current epoch (an emergency checkpoint lands mid-epoch).
  double epoch_loss_sum = 0, epoch_rul_sum = 0, epoch_health_sum = 0;
  int64_t epoch_samples = 0;
  double epoch_seconds = 0;

  // Selection and early stopping.
  double best_metric = std::numeric_limits<double>::infinity();
  int best_epoch = 0;
  int bad_epochs = 0;
  nlohmann::json schedule;  // LrSchedule::to_json()
  nlohmann::json history = nlohmann::json::array();

  // Bookkeeping (not part of the deterministic result).
  int attempt = 1;
  int resumes = 0;
  int threads = 0;  // intra-op threads of the writer: bit-exact resume needs the same count
  double train_seconds = 0;

  nlohmann::json to_json() const;
  static Result<TrainState> from_json(const nlohmann::json& j);
};

struct NamedTensors {
  std::vector<std::string> names;
  std::vector<torch::Tensor> tensors;
};

// A checkpoint's tensors besides the optimizer's.
struct CheckpointTensors {
  NamedTensors model;     // live training weights and buffers
  NamedTensors ema;       // EMA shadow (same names)
  NamedTensors best_ema;  // EMA shadow at the best epoch; empty before the first evaluation
  torch::Tensor torch_rng;  // the default CPU generator's state (dropout)
};

std::string serialize_checkpoint(const TrainState& state, const CheckpointTensors& tensors,
                                 torch::optim::Optimizer& optimizer);

// A parsed checkpoint, not yet applied to anything: a candidate can be rejected without side
// effects. The optimizer state stays in `archive` until apply time.
struct LoadedCheckpoint {
  TrainState state;
  CheckpointTensors tensors;
  torch::serialize::InputArchive archive;
};
// `label` names the file in errors. Tensors are not checked against a model here: the caller
// first compares recipes (to name the differing key), then shapes with check_tensors_like.
Result<LoadedCheckpoint> parse_checkpoint(const std::string& bytes, const std::string& label);
// Names, shapes and dtypes of `got` equal `expected`'s; `what` starts the error message.
Status check_tensors_like(const NamedTensors& got, const NamedTensors& expected, const std::string& what);
Status load_optimizer(LoadedCheckpoint& checkpoint, torch::optim::Optimizer& optimizer, const std::string& label);

// The deployment model: weights (EMA at the best epoch) plus `meta` (recipe, scaler, dataset,
// seed, num_features, metrics): all that inference needs.
std::string serialize_model_file(const nlohmann::json& meta, const NamedTensors& weights);
struct ModelFile {
  nlohmann::json meta;
  NamedTensors weights;
};
Result<ModelFile> parse_model_file(const std::string& bytes, const std::string& label);

// CRC-32 over the raw bytes of the tensors, in order: equal weights, equal hash.
std::string tensors_crc32(const std::vector<torch::Tensor>& tensors);

// Copies `from` into `to` after checking names, shapes and dtypes.
Status assign_tensors(const NamedTensors& from, NamedTensors& to, const std::string& label);

}  // namespace amnl::worker

#pragma once
// The checkpoint format in one place: what a job's checkpoints/ directory holds, what is inside a
// training checkpoint and a deployment model, and when a checkpoint is refused. Both are written
// as the dict a PyTorch user opens with torch.load (checkpoint_dict.h has the keys); the
// TorchScript archives of earlier amnl versions (the archive_key layout below) are still read.
// Bytes go to disk only through CheckpointStore (checkpoint_store.h) / Storage; this file only
// (de)serialises.
//
// Files of <job_dir>/checkpoints/ (names from checkpoint_file_name):
//   epoch_<N>.pt          periodic, after N epochs; the newest `keep_last` are kept
//   best_epoch_<N>.pt     after epoch N, the best by the selection metric; only the newest is kept
//   interrupted.pt        emergency, mid-epoch, written on a stop request (preemption)
//   MANIFEST.json         {"checkpoints": [entry, ...]}, rewritten atomically after every put
//   MANIFEST.prev.json    the manifest before the last put: read when MANIFEST.json is unreadable
// A fenced attempt (one the coordinator leased) keeps the bytes under "<file>.<tag>", its
// manifests as MANIFEST.<tag>.json / MANIFEST.<tag>.prev.json, and the names above as hard links
// to its own files (the protocol: checkpoint_store.h).
// A manifest entry has the fields of manifest_key (checkpoint_store.h, which has no torch):
// file, kind ("periodic" | "best" | "emergency"), epoch, batch (inside epoch + 1), attempt,
// size (bytes) and crc32 (8 hex digits).
// The deployment model (final_model.h) lives in the job directory, not here.
//
// Choosing a checkpoint to resume from (Trainer::resume): the manifest's entries, newest first
// (highest epoch, batch, then attempt). A candidate is SKIPPED (warning, try the next older) when:
//   - its file is missing, its size or CRC-32 differs from the manifest (truncated, corrupt);
//   - it does not parse: neither a dict of format kCheckpointDictFormat (checkpoint_dict.h) nor
//     an archive of format kCheckpointFormat, a key missing or unreadable;
//   - its tensors' names, shapes or dtypes differ from the model's; the optimizer, schedule,
//     shuffler or torch generator state cannot be loaded.
// The job is REFUSED (fails; nothing older is tried, since it is a different job, not damage) when
// a verified checkpoint:
//   - was written by another recipe (RecipeConfig::identity_json differs; the "checkpoint"
//     section, which only says how often to write, is ignored);
//   - belongs to another dataset or seed;
//   - holds scaler params other than those fitted on the data now in data_dir.
// A checkpoint written with another thread count is used, with a warning: the result is then not
// bit-identical to an uninterrupted run.
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "common/status.h"

namespace amnl::worker {

// The keys of the torch archives. A training checkpoint holds kFormat (== kCheckpointFormat),
// kState (TrainState::to_json, dumped), the named-tensor sections kModel, kEma, kBestEma, the
// tensor kTorchRng and the optimizer's own archive kOptimizer. A named-tensor section holds
// kNames (a JSON list, dumped) and tensors "t0", "t1", ... (named_tensor_key). A deployment model
// holds kFormat (== kModelFormat), kMeta (JSON, dumped) and the named-tensor section kWeights.
namespace archive_key {
inline constexpr const char* kFormat = "format";
inline constexpr const char* kState = "state";
inline constexpr const char* kModel = "model";
inline constexpr const char* kEma = "ema";
inline constexpr const char* kBestEma = "best_ema";
inline constexpr const char* kTorchRng = "torch_rng";
inline constexpr const char* kOptimizer = "optimizer";
inline constexpr const char* kMeta = "meta";
inline constexpr const char* kWeights = "weights";
inline constexpr const char* kNames = "names";
inline std::string named_tensor_key(size_t i) { return "t" + std::to_string(i); }
}  // namespace archive_key

// The fields of a deployment model's kMeta JSON (final_model.h writes and reads them).
namespace model_meta_key {
inline constexpr const char* kDataset = "dataset";
inline constexpr const char* kSeed = "seed";
inline constexpr const char* kRecipe = "recipe";
inline constexpr const char* kScaler = "scaler";
inline constexpr const char* kNumFeatures = "num_features";
inline constexpr const char* kWeights = "weights";  // which weights: "ema_best"
inline constexpr const char* kBestEpoch = "best_epoch";
}  // namespace model_meta_key

inline constexpr const char* kCheckpointFormat = "amnl-checkpoint-1";
inline constexpr const char* kModelFormat = "amnl-model-1";


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

// The dict format (checkpoint_dict.h). The _archive variants write the format of earlier amnl
// versions, which only tests and conversions need.
std::string serialize_checkpoint(const TrainState& state, const CheckpointTensors& tensors,
                                 torch::optim::Optimizer& optimizer);
std::string serialize_checkpoint_archive(const TrainState& state, const CheckpointTensors& tensors,
                                         torch::optim::Optimizer& optimizer);

// A parsed checkpoint, not yet applied to anything: a candidate can be rejected without side
// effects. The optimizer state stays in `archive` until apply time.
struct LoadedCheckpoint {
  TrainState state;
  CheckpointTensors tensors;
  torch::serialize::InputArchive archive;  // an archive checkpoint's optimizer state
  c10::IValue optimizer_state;             // a dict checkpoint's optimizer_state_dict (else None)
};
// `label` names the file in errors. Tensors are not checked against a model here: the caller
// first compares recipes (to name the differing key), then shapes with check_tensors_like.
// Reads both formats.
Result<LoadedCheckpoint> parse_checkpoint(const std::string& bytes, const std::string& label);
// Names, shapes and dtypes of `got` equal `expected`'s; `what` starts the error message.
Status check_tensors_like(const NamedTensors& got, const NamedTensors& expected, const std::string& what);
Status load_optimizer(LoadedCheckpoint& checkpoint, torch::optim::Optimizer& optimizer, const std::string& label);

// The deployment model: weights (EMA at the best epoch) plus `meta` (recipe, scaler, dataset,
// seed, num_features, metrics): all that inference needs. The dict also holds the training
// `history` and, when given, the optimizer's state.
std::string serialize_model_file(const nlohmann::json& meta, const NamedTensors& weights,
                                 const nlohmann::json& history = nlohmann::json::array(),
                                 const torch::optim::Optimizer* optimizer = nullptr);
std::string serialize_model_archive(const nlohmann::json& meta, const NamedTensors& weights);
struct ModelFile {
  nlohmann::json meta;
  NamedTensors weights;
};
// Reads both formats; a dict saved by torch.save in Python with the final model's keys too.
Result<ModelFile> parse_model_file(const std::string& bytes, const std::string& label);

// CRC-32 over the raw bytes of the tensors, in order: equal weights, equal hash.
std::string tensors_crc32(const std::vector<torch::Tensor>& tensors);

// Copies `from` into `to` after checking names, shapes and dtypes.
Status assign_tensors(const NamedTensors& from, NamedTensors& to, const std::string& label);

}  // namespace amnl::worker

#include "worker/final_model.h"

#include <torch/torch.h>

#include "common/cmapss/dataset.h"
#include "common/recipe_config.h"
#include "common/storage.h"
#include "worker/batching.h"
#include "worker/checkpoint_format.h"
#include "worker/model.h"
#include "worker/pytorch_dict.h"

namespace amnl::worker {
namespace {

// A deployment model file, or a training checkpoint read as one: its best EMA weights (in
// checkpoints/best_epoch_N.pt, the EMA of epoch N, the model the job selected then) with its
// recipe and scaler params. So `amnl predict --model checkpoints/best_epoch_N.pt` deploys what
// the name says, as amnl.md's "saved best model uses the EMA weights" asks.
Result<ModelFile> read_deployable(const std::string& bytes, const std::string& label) {
  auto file = parse_model_file(bytes, label);
  if (file.ok()) return file;
  auto ck = parse_checkpoint(bytes, label);
  if (!ck.ok()) return file.status();  // neither: the model file's error names what was expected
  if (ck->tensors.best_ema.names.empty())
    return Result<ModelFile>::Error(label + ": a checkpoint written before any evaluation holds no selected model");
  const auto& names = ck->tensors.best_ema.names;
  const auto& tensors = ck->tensors.best_ema.tensors;
  // The first convolution's weight is (out, features, kernel): the checkpoint does not store the
  // feature count itself.
  int64_t features = -1;
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == "conv.0.weight" && tensors[i].dim() == 3) features = tensors[i].size(1);
  if (features < 1) return Result<ModelFile>::Error(label + ": no conv.0.weight to tell the feature count");
  ModelFile m;
  m.meta = {{model_meta_key::kDataset, ck->state.dataset},
            {model_meta_key::kSeed, ck->state.seed},
            {model_meta_key::kRecipe, ck->state.recipe},
            {model_meta_key::kScaler, ck->state.scaler},
            {model_meta_key::kNumFeatures, features},
            {model_meta_key::kWeights, "ema_best"},
            {model_meta_key::kBestEpoch, ck->state.best_epoch}};
  m.weights = ck->tensors.best_ema;
  return m;
}

// What a deployment file's metadata says inference needs: its recipe and its scaler params.
struct DeployedRecipe {
  RecipeConfig recipe;
  data::ScalerParams scaler;
};

Result<DeployedRecipe> deployed_recipe(const nlohmann::json& meta, const std::string& model_path) {
  using R = Result<DeployedRecipe>;
  if (!meta.contains(model_meta_key::kRecipe) || !meta.contains(model_meta_key::kScaler) ||
      !meta.contains(model_meta_key::kNumFeatures))
    return R::Error(model_path + ": model metadata lacks recipe, scaler or num_features");
  auto recipe = RecipeConfig::from_json(meta.at(model_meta_key::kRecipe), "recipe");
  if (!recipe.ok()) return R::Error(model_path + ": " + recipe.message());
  auto scaler = data::ScalerParams::from_json(meta.at(model_meta_key::kScaler));
  if (!scaler.ok()) return R::Error(model_path + ": scaler params: " + scaler.message());
  return DeployedRecipe{std::move(*recipe), std::move(*scaler)};
}

// The last window of each unit of the test file, normalised by the model's scaler; with the
// true RUL when `rul_path` names the RUL file.
Result<data::WindowSet> test_windows(const DeployedRecipe& d, const std::string& data_path,
                                     const std::string& rul_path) {
  auto table = data::read_cmapss_table(data_path);
  if (!table.ok()) return table.status();
  std::vector<double> truth;
  if (!rul_path.empty()) {
    auto r = data::read_rul_file(rul_path, table->num_units());
    if (!r.ok()) return r.status();
    truth = *r;
  }
  return data::last_windows(*table, d.scaler, d.recipe.data_options(0), rul_path.empty() ? nullptr : &truth);
}

}  // namespace

Result<UnitPredictions> predict_with_model_file(const std::string& model_path, const std::string& data_path,
                                                const std::string& rul_path, int threads) {
  using R = Result<UnitPredictions>;
  auto bytes = make_posix_storage()->read(model_path);
  if (!bytes.ok()) return bytes.status();
  auto file = read_deployable(*bytes, model_path);
  if (!file.ok()) return file.status();
  auto d = deployed_recipe(file->meta, model_path);
  if (!d.ok()) return d.status();
  if (threads > 0) torch::set_num_threads(threads);

  try {
    DualTaskModel model(d->recipe.model, file->meta.at(model_meta_key::kNumFeatures).get<int64_t>());
    NamedTensors live;
    for (auto& [name, t] : state_tensors(*model)) {
      live.names.push_back(name);
      live.tensors.push_back(t);
    }
    // By name, as load_state_dict(strict=True): a dict saved from Python orders its keys by module.
    AMNL_RETURN_IF_ERROR(assign_by_name(file->weights, live, model_path + ": model_state_dict"));
    auto windows = test_windows(*d, data_path, rul_path);
    if (!windows.ok()) return windows.status();
    const torch::Device cpu(torch::kCPU);
    const auto wt = make_window_tensors(*windows, d->recipe.data.r_max, cpu);
    auto p = predict_windows(model, wt.size(), [&](const torch::Tensor& i) { return wt.gather(i); },
                             d->recipe.data.r_max, cpu);
    UnitPredictions out;
    out.units = windows->unit;
    out.rul = std::move(p.rul);
    out.health = std::move(p.health);
    if (!rul_path.empty()) {
      out.true_rul.assign(windows->rul.begin(), windows->rul.end());
      out.true_health = windows->health;
    }
    out.model_meta = file->meta;
    out.model_meta.erase(model_meta_key::kScaler);
    return out;
  } catch (const std::exception& e) {
    std::string what = e.what();
    return R::Error(model_path + ": " + what.substr(0, what.find('\n')));
  }
}

}  // namespace amnl::worker

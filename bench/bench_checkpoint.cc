// Cost of one checkpoint as Trainer::write_checkpoint pays it: serialize_checkpoint (model,
// optimizer state, EMA shadow, best EMA, RNG, state JSON) then CheckpointStore::put (atomic write,
// fsync, manifest, retention), median of several, and the file's bytes against the parameter
// bytes (fp32). bench/run-all.sh divides the time by the epoch time measured by
// train_vs_reference.sh to get the share of training time. Never run by ctest.
//   bench_checkpoint PRESET DIR [REPEATS=5] [archive]   (DIR: a scratch directory on the disk to measure;
//   "archive": the TorchScript archive format of earlier amnl versions, for comparison)
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "common/recipe_config.h"
#include "common/storage.h"
#include "worker/checkpoint_format.h"
#include "worker/checkpoint_store.h"
#include "worker/train_step.h"

using namespace amnl;
using namespace amnl::worker;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_checkpoint PRESET DIR [REPEATS=5]\n");
    return 2;
  }
  torch::set_num_threads(1);
  const std::string preset = argv[1];
  const std::string dir = std::string(argv[2]) + "/bench-ckpt-" + std::to_string(::getpid());
  const int repeats = argc > 3 ? std::max(1, std::atoi(argv[3])) : 5;
  const bool archive = argc > 4 && std::string(argv[4]) == "archive";
  const RecipeConfig cfg = *RecipeConfig::preset(preset);
  torch::manual_seed(1);
  DualTaskModel model(cfg.model, 17);
  torch::optim::AdamW opt(model->parameters(), torch::optim::AdamWOptions(cfg.optimizer.lr));
  Ema ema(*model, cfg.ema_decay);
  // Two small steps: the optimizer then holds its moments, as in any real checkpoint.
  for (int i = 0; i < 2; ++i)
    train_step(model, opt, ema, torch::randn({8, cfg.data.window, 17}), torch::rand({8}),
               torch::randint(0, 3, {8}, torch::kInt64), cfg);

  TrainState st;
  st.recipe = cfg.to_json();
  st.dataset = "FD001";
  st.seed = 1;
  st.epochs_done = cfg.checkpoint.every_epochs;
  for (int e = 0; e < st.epochs_done; ++e)  // a history as long as at the first periodic write
    st.history.push_back({{"epoch", e + 1}, {"loss", 0.1}, {"rul_loss", 0.1}, {"health_loss", 0.1},
                          {"val_rmse", 15.0}, {"lr", 1e-3}, {"seconds", 10.0}});
  CheckpointTensors t;
  std::vector<std::string> names;
  for (auto& [name, tensor] : state_tensors(*model)) {
    names.push_back(name);
    t.model.names.push_back(name);
    t.model.tensors.push_back(tensor);
  }
  t.ema = {names, ema.shadow()};
  t.best_ema = {names, clone_tensors(ema.shadow())};  // held from the first evaluation on
  t.torch_rng = at::detail::getDefaultCPUGenerator().get_state();

  std::filesystem::create_directories(dir);
  CheckpointStore store(make_posix_storage(), dir);
  std::vector<double> ms;
  size_t bytes = 0;
  for (int i = 0; i < repeats; ++i) {
    const auto t0 = Clock::now();
    const std::string data = archive ? serialize_checkpoint_archive(st, t, opt) : serialize_checkpoint(st, t, opt);
    CheckpointInfo info;
    info.file = checkpoint_file_name(CheckpointKind::kPeriodic, st.epochs_done + i);
    info.epoch = st.epochs_done + i;
    const Status ok = store.put(info, data, cfg.checkpoint.keep_last);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    if (!ok.ok()) std::fprintf(stderr, "bench_checkpoint: %s\n", ok.message().c_str());
    bytes = data.size();
  }
  std::filesystem::remove_all(dir);
  std::sort(ms.begin(), ms.end());
  const double param_bytes = 4.0 * static_cast<double>(count_parameters(*model));
  std::printf("RESULT ckpt format=%s preset=%s every_epochs=%d median_ms=%.1f bytes=%zu param_bytes=%.0f bytes_over_params=%.2f\n",
              archive ? "archive" : "dict", preset.c_str(), cfg.checkpoint.every_epochs, ms[ms.size() / 2], bytes, param_bytes, bytes / param_bytes);
  return 0;
}

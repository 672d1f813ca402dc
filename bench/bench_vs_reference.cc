// amnl's side of the training-speed comparison with the PyTorch reference
// (bench/reference/amnl_reference.py, driven by bench/train_vs_reference.sh), the FLOP count and
// the matmul peak of "distance to the limit". Both sides train on the same windows, exported
// here from the real data pipeline as raw arrays, with the same batch and thread count.
//   bench_vs_reference export DATA_DIR DATASET OUT     windows + recipes of every preset -> OUT
//   bench_vs_reference step OUT PRESET BATCH STEPS      median ms of one step (gather, forward,
//                                                       loss, backward, clip, AdamW, EMA, items)
//   bench_vs_reference epoch OUT PRESET BATCH [N]       seconds of one shuffled epoch over the
//                                                       first N windows (default all), as trainer.cc
//   bench_vs_reference peak [SECONDS=2]                 sustained fp32 matmul GFLOP/s (1 thread)
//   bench_vs_reference flops PRESET                     training FLOPs per sample (bench/flops.h)
// Each prints one "RESULT key=value ..." line. Always 1 thread. Never run by ctest.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "bench/flops.h"
#include "common/cmapss/dataset.h"
#include "common/recipe_config.h"
#include "worker/allocator.h"
#include "worker/batching.h"
#include "worker/train_step.h"

namespace {

using Clock = std::chrono::steady_clock;
using amnl::RecipeConfig;
using namespace amnl::worker;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void write_raw(const std::string& path, const torch::Tensor& t) {
  const auto c = t.contiguous();
  std::ofstream(path, std::ios::binary).write(static_cast<const char*>(c.data_ptr()), c.nbytes());
}

torch::Tensor read_raw(const std::string& path, torch::ScalarType type, std::vector<int64_t> shape) {
  auto t = torch::empty(shape, type);
  std::ifstream(path, std::ios::binary).read(static_cast<char*>(t.data_ptr()), t.nbytes());
  return t;
}

int do_export(const std::string& data_dir, const std::string& dataset, const std::string& out) {
  const RecipeConfig cfg = *RecipeConfig::preset("quick");  // data options are equal in all presets
  auto prepared = amnl::data::prepare_dataset(data_dir, dataset, cfg.data_options(42));
  if (!prepared.ok()) {
    std::fprintf(stderr, "bench_vs_reference: %s\n", prepared.message().c_str());
    return 1;
  }
  std::filesystem::create_directories(out);
  const auto t = make_window_tensors(prepared->train, cfg.data.r_max, torch::kCPU);
  write_raw(out + "/features.f32", t.features);
  write_raw(out + "/rows.i64", t.rows);
  write_raw(out + "/rul.f32", t.rul);
  write_raw(out + "/health.i64", t.health);
  nlohmann::json meta{{"dataset", dataset}, {"windows", t.size()}, {"rows", t.features.size(0)},
                      {"features", t.features.size(1)}, {"window", t.rows.size(1)}};
  for (const auto& p : RecipeConfig::preset_names()) meta["recipes"][p] = RecipeConfig::preset(p)->to_json();
  std::ofstream(out + "/meta.json") << meta.dump(1);
  std::printf("RESULT export windows=%lld rows=%lld\n", static_cast<long long>(t.size()),
              static_cast<long long>(t.features.size(0)));
  return 0;
}

WindowTensors load(const std::string& dir, nlohmann::json* meta) {
  *meta = nlohmann::json::parse(std::ifstream(dir + "/meta.json"));
  const int64_t n = (*meta)["windows"], rows = (*meta)["rows"], f = (*meta)["features"], w = (*meta)["window"];
  WindowTensors t;
  t.features = read_raw(dir + "/features.f32", torch::kFloat32, {rows, f});
  t.rows = read_raw(dir + "/rows.i64", torch::kInt64, {n, w});
  t.rul = read_raw(dir + "/rul.f32", torch::kFloat32, {n});
  t.health = read_raw(dir + "/health.i64", torch::kInt64, {n});
  return t;
}

struct Setup {
  RecipeConfig cfg;
  WindowTensors data;
  DualTaskModel model{nullptr};
  std::unique_ptr<torch::optim::AdamW> opt;
  std::unique_ptr<Ema> ema;
};

// As Trainer::build_fresh, with the batch size of the configuration measured.
void build(Setup& s, const std::string& dir, const std::string& preset, int64_t batch) {
  nlohmann::json meta;
  s.data = load(dir, &meta);
  s.cfg = *RecipeConfig::from_json(meta["recipes"][preset]);
  s.cfg.optimizer.batch_size = static_cast<int>(batch);
  torch::manual_seed(1);
  s.model = DualTaskModel(s.cfg.model, s.data.features.size(1));
  const auto& o = s.cfg.optimizer;
  s.opt = std::make_unique<torch::optim::AdamW>(
      s.model->parameters(),
      torch::optim::AdamWOptions(o.lr).betas({o.beta1, o.beta2}).eps(o.eps).weight_decay(o.weight_decay));
  s.ema = std::make_unique<Ema>(*s.model, s.cfg.ema_decay);
  s.model->train();
}

// The body of Trainer::run's batch loop, without progress callbacks.
double one_batch(Setup& s, const torch::Tensor& ids) {
  const auto x = s.data.gather(ids);
  const auto y = s.data.rul.index_select(0, ids);
  const auto h = s.data.health.index_select(0, ids);
  const StepResult r = train_step(s.model, *s.opt, *s.ema, x, y, h, s.cfg);
  if (!r.stepped) std::abort();
  return r.total * ids.size(0) + r.loss.rul.item<double>() + r.loss.health.item<double>();
}

int do_step(const std::string& dir, const std::string& preset, int64_t batch, int steps) {
  Setup s;
  build(s, dir, preset, batch);
  const int64_t n = s.data.size();
  std::vector<double> ms;
  for (int i = 0; i < steps + 1; ++i) {  // one warm-up step (allocator, optimizer state)
    const int64_t start = (i * batch) % (n - batch);
    const auto ids = torch::arange(start, start + batch, torch::kInt64);
    const auto t0 = Clock::now();
    one_batch(s, ids);
    if (i >= 1) ms.push_back(seconds_since(t0) * 1e3);
  }
  std::sort(ms.begin(), ms.end());
  std::printf("RESULT step impl=amnl preset=%s batch=%lld median_ms=%.3f min_ms=%.3f\n", preset.c_str(),
              static_cast<long long>(batch), ms[ms.size() / 2], ms.front());
  return 0;
}

int do_epoch(const std::string& dir, const std::string& preset, int64_t batch, int64_t limit) {
  Setup s;
  build(s, dir, preset, batch);
  const int64_t n = limit > 0 ? std::min(limit, s.data.size()) : s.data.size();
  Shuffler rng(7);
  const auto perm = torch::tensor(rng.permutation(n), torch::kInt64);
  one_batch(s, perm.slice(0, 0, batch));  // warm-up, as the reference
  const auto t0 = Clock::now();
  double sum = 0;
  for (int64_t b = 0; b < n; b += batch) sum += one_batch(s, perm.slice(0, b, std::min(n, b + batch)));
  const double sec = seconds_since(t0);
  std::printf("RESULT epoch impl=amnl preset=%s batch=%lld windows=%lld seconds=%.3f samples_per_s=%.1f check=%.3g\n",
              preset.c_str(), static_cast<long long>(batch), static_cast<long long>(n), sec, n / sec, sum);
  return 0;
}

int do_peak(double seconds) {
  // A square product large enough to run at the kernel's sustained rate, small enough for cache
  // blocking to matter as it does in the model's products; the best of several repetitions.
  double best = 0;
  for (int64_t size : {256, 512, 1024}) {
    const auto a = torch::randn({size, size}), b = torch::randn({size, size});
    auto c = torch::mm(a, b);
    const auto t0 = Clock::now();
    while (seconds_since(t0) < seconds / 3) {
      const auto t1 = Clock::now();
      torch::mm_out(c, a, b);
      best = std::max(best, 2.0 * size * size * size / seconds_since(t1) / 1e9);
    }
  }
  std::printf("RESULT peak gflops=%.2f\n", best);
  return 0;
}

int do_flops(const std::string& preset, int64_t features) {
  const RecipeConfig cfg = *RecipeConfig::preset(preset);
  torch::manual_seed(1);
  DualTaskModel model(cfg.model, features);
  std::printf("RESULT flops preset=%s train_mflop_per_sample=%.3f params=%lld\n", preset.c_str(),
              amnl::bench::training_flops_per_sample(cfg, features) / 1e6,
              static_cast<long long>(count_parameters(*model)));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  torch::set_num_threads(1);
  // As Trainer::run; AMNL_BENCH_DEFAULT_MALLOC=1 measures glibc's defaults (the "before").
  if (!std::getenv("AMNL_BENCH_DEFAULT_MALLOC")) tune_allocator_for_training();
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "export" && argc == 5) return do_export(argv[2], argv[3], argv[4]);
  if (mode == "step" && argc == 6) return do_step(argv[2], argv[3], std::atoll(argv[4]), std::atoi(argv[5]));
  if (mode == "epoch" && argc >= 5) return do_epoch(argv[2], argv[3], std::atoll(argv[4]), argc > 5 ? std::atoll(argv[5]) : 0);
  if (mode == "peak") return do_peak(argc > 2 ? std::atof(argv[2]) : 2.0);
  if (mode == "flops" && argc == 3) return do_flops(argv[2], 17);
  std::fprintf(stderr,
               "usage: bench_vs_reference export DATA_DIR DATASET OUT | step OUT PRESET BATCH STEPS |\n"
               "       epoch OUT PRESET BATCH [N] | peak [SECONDS] | flops PRESET\n");
  return 2;
}

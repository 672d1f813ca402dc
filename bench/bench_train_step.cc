// Times one training step (gather, forward, loss, backward, clip, AdamW, EMA) and inference of the
// DualTaskModel per recipe preset, as medians over several steps on random windows; prints the
// parameter count and the projected seconds per FD001 epoch (~14,200 training windows).
// Usage: bench_train_step [PRESET=all|paper|quick|tiny] [THREADS=1] [STEPS=10]. Never run by ctest.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "bench/bench_args.h"
#include "bench/bench_timing.h"
#include "common/recipe_config.h"
#include "worker/ema.h"
#include "worker/loss.h"
#include "worker/model.h"

namespace {

using amnl::bench::Clock;
using amnl::bench::median;
using amnl::bench::ms_since;

void bench(const std::string& preset, int steps) {
  const amnl::RecipeConfig cfg = *amnl::RecipeConfig::preset(preset);
  torch::manual_seed(1);
  amnl::worker::DualTaskModel model(cfg.model, 17);
  torch::optim::AdamW opt(model->parameters(), torch::optim::AdamWOptions(cfg.optimizer.lr));
  amnl::worker::Ema ema(*model, cfg.ema_decay);
  const int64_t b = cfg.optimizer.batch_size, w = cfg.data.window;
  const auto x = torch::randn({b, w, 17});
  const auto y = torch::rand({b});
  const auto h = torch::randint(0, 3, {b}, torch::kInt64);
  std::vector<double> train_ms, eval_ms;
  for (int i = 0; i < steps + 1; ++i) {  // the first step warms up allocators and is dropped
    const auto t0 = Clock::now();
    model->train();
    opt.zero_grad();
    const auto out = model->forward(x);
    const auto loss = amnl::worker::amnl_loss(out.rul, y, out.logits, h, 0.5, 0.5);
    loss.total.backward();
    torch::nn::utils::clip_grad_norm_(model->parameters(), cfg.grad_clip);
    opt.step();
    ema.update();
    if (i) train_ms.push_back(ms_since(t0));
    const auto t1 = Clock::now();
    {
      torch::NoGradGuard g;
      model->eval();
      (void)model->forward(x);
    }
    if (i) eval_ms.push_back(ms_since(t1));
  }
  const double per_epoch = median(train_ms) * (14200.0 / b) / 1000.0;
  std::printf("%-6s params %9lld  batch %4lld  train step %8.1f ms  eval batch %7.1f ms  ~%6.1f s per FD001 epoch\n",
              preset.c_str(), static_cast<long long>(amnl::worker::count_parameters(*model)),
              static_cast<long long>(b), median(train_ms), median(eval_ms), per_epoch);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace amnl::bench;
  if (asked_for_help(argc, argv, "[PRESET=all|paper|quick|tiny] [THREADS=1] [STEPS=10]")) return 0;
  const std::string preset = arg_or(argc, argv, 1, "all");
  const int threads = count_arg_or(argc, argv, 2, 1);
  const int steps = count_arg_or(argc, argv, 3, 10);
  torch::set_num_threads(threads);
  std::printf("threads %d, %d steps each\n", std::max(1, threads), steps);
  for (const auto& p : amnl::RecipeConfig::preset_names())
    if (preset == "all" || preset == p) bench(p, steps);
  return 0;
}

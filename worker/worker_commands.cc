#include "worker/worker_commands.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "common/safe_path.h"
#include "common/exit_codes.h"
#include "common/logging.h"
#include "common/recipe_config.h"
#include "worker/ensemble_commands.h"
#include "worker/export_command.h"
#include "worker/final_model.h"
#include "worker/job_dir_contents.h"
#include "worker/job_runner.h"
#include "worker/metrics.h"

namespace amnl {
namespace {

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");

extern "C" void on_stop_signal(int) { g_stop.store(true); }

// SIGTERM (scheduler), SIGINT (Ctrl-C), SIGUSR1/SIGUSR2 (Slurm's warning ahead of the end): all
// mean "finish the batch, write an emergency checkpoint, exit 75".
void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : {SIGTERM, SIGINT, SIGUSR1, SIGUSR2}) sigaction(sig, &sa, nullptr);
}

int fail(const std::string& message, int code) {
  std::cerr << "amnl: " << message << "\n";
  return code;
}

// The recipe a `train` command asks for: a preset, then the config file's keys over it (the
// same resolution as `amnl run`'s experiment recipe).
Result<RecipeConfig> load_recipe(const std::string& preset, const std::string& config_path) {
  if (config_path.empty()) return RecipeConfig::preset(preset);
  std::ifstream in(config_path);
  if (!in) return Result<RecipeConfig>::Error(config_path + ": cannot open");
  nlohmann::json overrides;
  try {
    overrides = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    return Result<RecipeConfig>::Error(config_path + ": not valid JSON: " + e.what());
  }
  if (overrides.is_null()) return Result<RecipeConfig>::Error(config_path + ": must be a JSON object, got null");
  auto r = RecipeConfig::resolve(preset, overrides, "recipe");
  if (!r.ok()) return Result<RecipeConfig>::Error(config_path + ": " + r.message());
  return r;
}

struct TrainArgs {
  std::string dataset, data_dir, out, config, preset = "paper";
  int64_t seed = 0;
  int threads = 0;
  int attempt = 1;
  bool resume = false;
  bool fresh = false;
};

// A fresh start on a job dir with earlier training would lose it: only on explicit request
// (--fresh), which deletes that training first. The exit status when the command must stop.
std::optional<int> clear_for_a_fresh_start(const TrainArgs& a) {
  const auto earlier = worker::earlier_training_files(a.out, a.dataset, a.seed);
  if (earlier.empty()) return std::nullopt;
  std::string list;
  for (const auto& f : earlier) list += (list.empty() ? "" : ", ") + f;
  if (!a.fresh)
    return fail(a.out + " already holds training of this job (" + list +
                    "); nothing was changed. Use --resume to continue from its newest valid checkpoint, "
                    "or --fresh to delete these files and start over.",
                kExitUsage);
  std::cerr << "amnl train --fresh: deleting " << list << " in " << a.out << "\n";
  Status st = worker::delete_earlier_training_files(a.out, earlier);
  if (!st.ok()) return fail(st.message(), kExitFailed);
  return std::nullopt;
}

int run_train(const TrainArgs& a) {
  // Before anything touches a file: --fresh deletes files named after the dataset.
  if (Status s = check_plain_name(a.dataset, "dataset name"); !s.ok()) return fail("--dataset: " + s.message(), kExitUsage);
  auto recipe = load_recipe(a.preset, a.config);
  if (!recipe.ok()) return fail(recipe.message(), kExitUsage);
  if (!a.resume)
    if (auto refused = clear_for_a_fresh_start(a)) return *refused;
  init_logging("train");
  install_stop_handlers();
  JobRequest req;
  req.dataset = a.dataset;
  req.seed = a.seed;
  req.data_dir = a.data_dir;
  req.job_dir = a.out;
  req.attempt = a.attempt;
  req.threads = a.threads;
  req.resume = a.resume;
  JobCallbacks cb;
  cb.stop_requested = &g_stop;
  // The recipe resolved above is the job's: not encoded into req.recipe to be decoded again.
  const JobResult r = run_training_job(req, *recipe, cb, make_posix_storage());
  switch (r.end) {
    case JobEnd::kDone:
      std::cout << r.metrics.dump(1) << "\n";
      return kExitOk;
    case JobEnd::kPreempted:
      std::cerr << "amnl: preempted: " << r.reason << "\n";
      return kExitPreempted;
    case JobEnd::kFenced:
      return fail(r.reason, kExitFenced);
    case JobEnd::kFailed:
    case JobEnd::kStorageFailed:
      break;
  }
  return fail(r.reason, kExitFailed);
}

void print_predictions(const worker::UnitPredictions& p) {
  for (size_t i = 0; i < p.units.size(); ++i) std::printf("%d %.6f\n", p.units[i], p.rul[i]);
}

// One --model with its --data (and, to evaluate, --rul): that model's own figures. Anything else
// (several models, --run, files to take from the run) is the ensemble's (ensemble_commands.h).
bool is_single_model(const worker::EnsembleCommand& c) {
  return c.models.size() == 1 && c.run_dir.empty() && !c.data.empty() && (!c.evaluate || !c.rul.empty());
}

int run_predict(const worker::EnsembleCommand& c) {
  if (!is_single_model(c)) return worker::run_ensemble_command(c);
  auto p = worker::predict_with_model_file(c.models[0], c.data, "", c.threads);
  if (!p.ok()) return fail(p.message(), kExitFailed);
  print_predictions(*p);
  return kExitOk;
}

int run_evaluate(const worker::EnsembleCommand& c) {
  if (!is_single_model(c)) return worker::run_ensemble_command(c);
  const std::string& model = c.models[0];
  auto p = worker::predict_with_model_file(model, c.data, c.rul, c.threads);
  if (!p.ok()) return fail(p.message(), kExitFailed);
  const int classes = 3;
  nlohmann::json m = {{"model", model},
                      {"data", c.data},
                      {"units", p->units.size()},
                      {"test_rmse", worker::rmse(p->rul, p->true_rul)},
                      {"test_mae", worker::mae(p->rul, p->true_rul)},
                      {"nasa_score", worker::nasa_score(p->rul, p->true_rul)},
                      {"health_accuracy", worker::accuracy(p->health, p->true_health)},
                      {"health_macro_f1", worker::macro_f1(p->health, p->true_health, classes)}};
  std::cout << m.dump(1) << "\n";
  return kExitOk;
}

void add_train_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<TrainArgs>();
  auto* train = app.add_subcommand("train", "Train one (dataset, seed) job with the AMNL recipe");
  train->add_option("--dataset", args->dataset, "Dataset name: files <data-dir>/{train,test,RUL}_<name>.txt")->required();
  train->add_option("--seed", args->seed, "The job's seed (validation split, initialisation, shuffling)")->required();
  train->add_option("--data-dir", args->data_dir, "Directory with the C-MAPSS files")->required();
  train->add_option("--out", args->out, "The job directory (checkpoints/, logs/, final model, metrics.json)")->required();
  train->add_option("--config", args->config, "Recipe JSON; its keys override the preset's");
  train->add_option("--preset", args->preset, "Recipe preset: paper (default), quick, tiny")
      ->check(CLI::IsMember(RecipeConfig::preset_names()));
  train->add_option("--threads", args->threads, "Intra-op threads (default: SLURM_CPUS_PER_TASK, OMP_NUM_THREADS, cores)")
      ->check(CLI::Range(1, 4096));
  train->add_option("--attempt", args->attempt, "Attempt number stored in checkpoints")->check(CLI::Range(1, 1 << 20));
  auto* resume = train->add_flag("--resume", args->resume, "Continue from the newest valid checkpoint in --out");
  train->add_flag("--fresh", args->fresh,
                  "Start over: delete the checkpoints, final model, history and metrics already in --out "
                  "(without --resume or --fresh, a job dir holding them is refused)")
      ->excludes(resume);
  train->footer("Exit status: 0 done, 1 failed, 2 bad arguments or recipe, 75 preempted (emergency checkpoint written), "
                "76 fenced. SIGTERM, SIGINT, SIGUSR1 and SIGUSR2 stop after the current batch.");
  train->callback([args, &exit_code] { exit_code = run_train(*args); });
}

// `predict` and `evaluate`: several --model files, or --run RUN_DIR --dataset D, are the ensemble.
void add_model_command(CLI::App& app, int& exit_code, bool evaluate) {
  auto c = std::make_shared<worker::EnsembleCommand>();
  c->evaluate = evaluate;
  auto* cmd = evaluate
                  ? app.add_subcommand("evaluate", "Metrics of a final model on a test file and its RUL file (JSON)")
                  : app.add_subcommand("predict", "Print the predicted RUL of each unit's last window (\"unit rul\")");
  cmd->add_option("--model", c->models,
                  "A final model file (<DATASET>_v7_seed<SEED>.pt); several: their ensemble, with the spread");
  cmd->add_option("--data", c->data, "A C-MAPSS test file");
  if (evaluate) cmd->add_option("--rul", c->rul, "The true RUL of each unit (RUL_<DATASET>.txt)");
  cmd->add_option("--threads", c->threads, "Intra-op threads")->check(CLI::Range(1, 4096));
  cmd->add_option("--run", c->run_dir, "A run dir: the ensemble of the final models of --dataset's done seeds");
  cmd->add_option("--dataset", c->dataset, "With --run: the dataset (--data, --rul default to its files)");
  cmd->callback([c, &exit_code] { exit_code = c->evaluate ? run_evaluate(*c) : run_predict(*c); });
}

}  // namespace

void add_worker_commands(CLI::App& app, int& exit_code) {
  add_train_command(app, exit_code);
  add_model_command(app, exit_code, /*evaluate=*/false);
  add_model_command(app, exit_code, /*evaluate=*/true);
  add_export_command(app, exit_code);
}

}  // namespace amnl

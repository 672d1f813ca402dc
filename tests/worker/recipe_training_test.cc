// The recipe of amnl.md ("Optimisation"), piece by piece, inside the real trainer: tiny jobs on
// synthetic data, checked against their own checkpoints. EMA evaluation and selection, the
// deployable best checkpoint, best-model restore, early stopping, warm-up and plateau as the
// optimizer really ran them, the published "test" selection protocol, and the loss scale key.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>

#include "common/cmapss/dataset.h"
#include "common/recipe_config.h"
#include "common/storage.h"
#include "common/cmapss/synth.h"
#include "support/test_support.h"
#include "worker/batching.h"
#include "worker/checkpoint_format.h"
#include "worker/final_model.h"
#include "worker/job_runner.h"
#include "worker/lr_schedule.h"
#include "worker/metrics.h"
#include "worker/model.h"
#include "worker/pytorch_dict.h"

namespace amnl {
namespace {

using nlohmann::json;
using worker::NamedTensors;
namespace fs = std::filesystem;

constexpr int64_t kSeed = 11;

// Whether two weight sets are bit-identical.
bool same_tensors(const NamedTensors& a, const NamedTensors& b) {
  if (a.names != b.names) return false;
  for (size_t i = 0; i < a.tensors.size(); ++i)
    if (!torch::equal(a.tensors[i], b.tensors[i])) return false;
  return true;
}

class RecipeTraining : public ::testing::Test {
 protected:
  struct Run {
    std::string dir;
    JobResult result;
    json history, metrics;
    std::vector<JobProgress> progress;  // every report the trainer made, in order
  };

  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    data::SynthOptions o;
    o.dataset_name = "SYN";
    o.units = 20;
    o.seed = 5;
    auto files = data::write_synthetic_dataset(data_dir(), o);
    ASSERT_TRUE(files.ok()) << files.message();
    runs_ = new std::map<std::string, Run>();
  }
  static void TearDownTestSuite() {
    delete runs_;
    runs_ = nullptr;
    delete dir_;
  }
  static std::string data_dir() { return *dir_ / "data"; }

  // The tiny preset with a checkpoint after every epoch, all kept: each epoch's state can be read.
  static json tiny() {
    json r = RecipeConfig::preset("tiny")->to_json();
    r["checkpoint"]["every_epochs"] = 1;
    r["checkpoint"]["keep_last"] = 50;
    return r;
  }
  // A run whose model is wrecked after its first epoch: one epoch at a sane rate (the tiny
  // preset's 5e-3), then a warm-up end at 100 times that. Its best epoch is early, and the
  // plateau scheduler and early stopping both have to act.
  static json regressing() {
    json r = tiny();
    r["optimizer"]["lr"] = 0.5;
    r["schedule"]["warmup_epochs"] = 1;
    r["schedule"]["warmup_start_factor"] = 0.01;
    r["schedule"]["plateau_patience"] = 0;
    r["max_epochs"] = 12;
    r["early_stop_patience"] = 3;
    return r;
  }
  // A run that improves on most epochs, with a short warm-up: the plateau scheduler acts only if
  // the selection metric stalls.
  static json scheduled() {
    json r = tiny();
    r["max_epochs"] = 5;
    r["schedule"]["warmup_epochs"] = 2;
    r["schedule"]["plateau_patience"] = 0;
    return r;
  }
  static json on_test(json r) {
    r["data"]["selection"] = "test";
    return r;
  }

  static JobRequest request(const std::string& job_dir, const json& recipe) {
    JobRequest r;
    r.dataset = "SYN";
    r.seed = kSeed;
    r.data_dir = data_dir();
    r.job_dir = job_dir;
    r.recipe = recipe;
    r.threads = 1;
    r.resume = true;
    return r;
  }
  // Each named run trains once per test process (ctest runs each test alone; gtest_filter runs
  // several in one process).
  static const Run& run(const std::string& name, const json& recipe) {
    auto it = runs_->find(name);
    if (it != runs_->end()) return it->second;
    Run r;
    r.dir = *dir_ / name;
    JobCallbacks cb;
    cb.on_progress = [&r](const JobProgress& p) { r.progress.push_back(p); };
    r.result = run_training_job(request(r.dir, recipe), cb);
    if (r.result.end == JobEnd::kDone) {
      r.history = json::parse(test::read_file(r.dir + "/SYN_v7_seed11_history.json"));
      r.metrics = json::parse(test::read_file(r.dir + "/metrics.json"));
    }
    return runs_->emplace(name, std::move(r)).first->second;
  }

  static worker::LoadedCheckpoint checkpoint(const Run& r, const std::string& file) {
    const std::string path = r.dir + "/checkpoints/" + file;
    auto bytes = make_posix_storage()->read(path);
    EXPECT_TRUE(bytes.ok()) << bytes.message();
    auto ck = worker::parse_checkpoint(bytes.ok() ? *bytes : std::string(), path);
    EXPECT_TRUE(ck.ok()) << ck.message();
    return std::move(*ck);
  }
  static NamedTensors final_weights(const Run& r) {
    const std::string path = r.dir + "/SYN_v7_seed11.pt";
    auto bytes = make_posix_storage()->read(path);
    EXPECT_TRUE(bytes.ok()) << bytes.message();
    auto m = worker::parse_model_file(*bytes, path);
    EXPECT_TRUE(m.ok()) << m.message();
    return m->weights;
  }

  // The data exactly as the job prepared it.
  static data::PreparedData prepared(const json& recipe) {
    auto c = RecipeConfig::from_json(recipe);
    EXPECT_TRUE(c.ok()) << c.message();
    auto d = data::prepare_dataset(data_dir(), "SYN", c->data_options(kSeed));
    EXPECT_TRUE(d.ok()) << d.message();
    return std::move(*d);
  }
  // RMSE (cycles) over every window of `set` of a tiny model holding `weights`.
  static double rmse_with(const NamedTensors& weights, const json& recipe, const data::WindowSet& set) {
    auto c = RecipeConfig::from_json(recipe);
    worker::DualTaskModel model(c->model, set.num_features);
    NamedTensors live;
    for (auto& [name, t] : worker::state_tensors(*model)) {
      live.names.push_back(name);
      live.tensors.push_back(t);
    }
    Status s = worker::assign_tensors(weights, live, "test weights");
    EXPECT_TRUE(s.ok()) << s.message();
    const torch::Device cpu(torch::kCPU);
    const auto wt = worker::make_window_tensors(set, c->data.r_max, cpu);
    const auto p = worker::predict_windows(model, wt.size(), [&](const torch::Tensor& i) { return wt.gather(i); },
                                           c->data.r_max, cpu);
    return worker::rmse(p.rul, std::vector<double>(set.rul.begin(), set.rul.end()));
  }

  // The learning rate in the optimizer's own saved parameter-group options: the rate its steps
  // read. (Read from the file, not from a loaded optimizer: libtorch 1.13's Optimizer::load does
  // not apply saved options; the trainer sets the rate before every epoch, resumed ones included.)
  // A dict checkpoint holds it in optimizer_state_dict["param_groups"][0]["lr"].
  static double lr_in_optimizer(worker::LoadedCheckpoint& ck) {
    if (!ck.optimizer_state.isNone()) {
      const auto* groups = worker::dict_get(ck.optimizer_state, "param_groups");
      EXPECT_TRUE(groups && groups->isList());
      return groups ? worker::dict_get(groups->toListRef()[0], "lr")->toDouble() : std::nan("");
    }
    torch::serialize::InputArchive opt, groups, group, options;
    ck.archive.read("optimizer", opt);
    opt.read("param_groups", groups);
    groups.read("param_groups/0", group);
    group.read("options", options);
    torch::optim::AdamWOptions o(0);
    o.serialize(options);
    return o.lr();
  }

  static test::TempDir* dir_;
  static std::map<std::string, Run>* runs_;
};
test::TempDir* RecipeTraining::dir_ = nullptr;
std::map<std::string, RecipeTraining::Run>* RecipeTraining::runs_ = nullptr;

TEST_F(RecipeTraining, EvaluationAndSelectionUseTheEmaWeights) {
  const Run& r = run("scheduled", scheduled());
  ASSERT_EQ(r.result.end, JobEnd::kDone) << r.result.reason;
  const auto data = prepared(scheduled());
  for (int epoch = 1; epoch <= r.metrics["epochs_run"].get<int>(); ++epoch) {
    auto ck = checkpoint(r, "epoch_" + std::to_string(epoch) + ".pt");
    ASSERT_FALSE(same_tensors(ck.tensors.ema, ck.tensors.model)) << "EMA and live weights must differ here";
    // The selection RMSE is the last-window (cut-point) validation's, the default since issue 26;
    // every held-out window's is recorded beside it.
    const double recorded = r.history[epoch - 1]["val_rmse"].get<double>();
    const double ema = rmse_with(ck.tensors.ema, scheduled(), data.val_cuts);
    const double live = rmse_with(ck.tensors.model, scheduled(), data.val_cuts);
    EXPECT_DOUBLE_EQ(recorded, ema) << "epoch " << epoch;
    EXPECT_DOUBLE_EQ(r.history[epoch - 1]["val_last_window_rmse"].get<double>(), ema) << "epoch " << epoch;
    EXPECT_DOUBLE_EQ(r.history[epoch - 1]["val_all_windows_rmse"].get<double>(),
                     rmse_with(ck.tensors.ema, scheduled(), data.val))
        << "epoch " << epoch;
    EXPECT_GT(std::fabs(recorded - live), 1e-6) << "epoch " << epoch << ": the live weights give it too";
  }
  // Selection: the best epoch is the one with the lowest EMA validation RMSE.
  int best = 0;
  double best_rmse = INFINITY;
  for (const auto& h : r.history)
    if (h["val_rmse"].get<double>() < best_rmse) best_rmse = h["val_rmse"].get<double>(), best = h["epoch"].get<int>();
  EXPECT_EQ(r.metrics["best_epoch"], best);
  EXPECT_DOUBLE_EQ(r.metrics["best_selection_rmse"].get<double>(), best_rmse);
}

// Issue 26: recipe data.validation names the RMSE that selects; both are recorded every epoch,
// and the metrics state the protocol (kind, units held out, cut points, cap, window).
TEST_F(RecipeTraining, TheValidationKindDecidesWhichRmseSelectsAndBothAreRecorded) {
  json all_windows = scheduled();
  all_windows["data"]["validation"] = "all_windows";
  const Run& last = run("scheduled", scheduled());
  const Run& all = run("all_windows", all_windows);
  ASSERT_EQ(last.result.end, JobEnd::kDone) << last.result.reason;
  ASSERT_EQ(all.result.end, JobEnd::kDone) << all.result.reason;
  for (const auto* r : {&last, &all}) {
    const bool by_last = r == &last;
    const char* selecting = by_last ? "val_last_window_rmse" : "val_all_windows_rmse";
    int best = 0;
    double best_rmse = INFINITY;
    for (const auto& h : r->history) {
      EXPECT_DOUBLE_EQ(h["val_rmse"].get<double>(), h[selecting].get<double>()) << selecting;
      EXPECT_NE(h["val_last_window_rmse"].get<double>(), h["val_all_windows_rmse"].get<double>());
      if (h[selecting].get<double>() < best_rmse) best_rmse = h[selecting].get<double>(), best = h["epoch"].get<int>();
    }
    EXPECT_EQ(r->metrics["best_epoch"], best) << selecting;
    EXPECT_DOUBLE_EQ(r->metrics["val_rmse"].get<double>(), r->metrics[selecting].get<double>());
    const json& v = r->metrics["validation"];
    EXPECT_EQ(v["kind"], by_last ? "last_window" : "all_windows");
    const auto data = prepared(scheduled());
    EXPECT_EQ(v["units_held_out"].get<size_t>(), data.val_units.size());
    EXPECT_EQ(v["cut_windows"].get<size_t>(), data.val_cuts.size());
    EXPECT_EQ(v["cuts_per_unit"], 8);
    EXPECT_EQ(v["cut_rul_range"], json({6.0, 145.0}));
    EXPECT_EQ(v["r_max"], 125.0);
    EXPECT_EQ(v["window"], 30);
  }
  // The same data and seed, so the same all-windows curve until the selections part ways: at
  // epoch 1 (nothing selected yet) both runs are the same model.
  EXPECT_DOUBLE_EQ(last.history[0]["val_all_windows_rmse"].get<double>(),
                   all.history[0]["val_all_windows_rmse"].get<double>());
  // The history CSV carries both curves.
  const std::string csv = test::read_file(last.dir + "/SYN_v7_seed11_history.csv");
  EXPECT_EQ(csv.rfind("epoch,loss,rul_loss,health_loss,val_rmse,lr,improved,seconds,val_last_window_rmse,"
                      "val_all_windows_rmse\n", 0), 0u) << csv.substr(0, 200);
}

TEST_F(RecipeTraining, BestCheckpointHoldsTheDeployableEmaOfItsEpoch) {
  const Run& r = run("scheduled", scheduled());
  ASSERT_EQ(r.result.end, JobEnd::kDone) << r.result.reason;
  const int best = r.metrics["best_epoch"].get<int>();
  const std::string best_file = "best_epoch_" + std::to_string(best) + ".pt";
  auto ck = checkpoint(r, best_file);
  auto periodic = checkpoint(r, "epoch_" + std::to_string(best) + ".pt");
  // Written at the improvement: its selected model is that epoch's EMA.
  EXPECT_TRUE(same_tensors(ck.tensors.best_ema, periodic.tensors.ema));
  // Deployable alone: `amnl predict` on it gives the final model's predictions (final = best).
  const std::string test_file = data_dir() + "/test_SYN.txt", rul_file = data_dir() + "/RUL_SYN.txt";
  auto from_best = worker::predict_with_model_file(r.dir + "/checkpoints/" + best_file, test_file, rul_file, 1);
  auto from_final = worker::predict_with_model_file(r.result.final_model, test_file, rul_file, 1);
  ASSERT_TRUE(from_best.ok()) << from_best.message();
  ASSERT_TRUE(from_final.ok()) << from_final.message();
  EXPECT_EQ(from_best->rul, from_final->rul);
  EXPECT_EQ(from_best->model_meta["best_epoch"], best);
  EXPECT_NEAR(worker::rmse(from_best->rul, from_best->true_rul), r.metrics["test_rmse"].get<double>(), 1e-9);
}

TEST_F(RecipeTraining, FinalModelIsTheBestEpochsEmaWhenTrainingWentOnPastIt) {
  const Run& r = run("regressing", regressing());
  ASSERT_EQ(r.result.end, JobEnd::kDone) << r.result.reason;
  const int best = r.metrics["best_epoch"].get<int>();
  const int last = r.metrics["epochs_run"].get<int>();
  ASSERT_LT(best, last) << "precondition: training went on past the best epoch";
  const NamedTensors final_w = final_weights(r);
  auto at_best = checkpoint(r, "epoch_" + std::to_string(best) + ".pt");
  auto at_last = checkpoint(r, "epoch_" + std::to_string(last) + ".pt");
  EXPECT_TRUE(same_tensors(final_w, at_best.tensors.ema));
  EXPECT_FALSE(same_tensors(final_w, at_last.tensors.ema));
  EXPECT_EQ(r.metrics["weights_crc32"], worker::tensors_crc32(at_best.tensors.ema.tensors));
  // And the metrics are that model's: the validation RMSE of the best epoch's history entry.
  EXPECT_DOUBLE_EQ(r.metrics["val_rmse"].get<double>(), r.history[best - 1]["val_rmse"].get<double>());
}

TEST_F(RecipeTraining, EarlyStoppingFiresAfterPatienceEpochsWithoutImprovement) {
  const Run& r = run("regressing", regressing());
  ASSERT_EQ(r.result.end, JobEnd::kDone) << r.result.reason;
  const int patience = regressing()["early_stop_patience"].get<int>();
  const int best = r.metrics["best_epoch"].get<int>();
  const int run_epochs = r.metrics["epochs_run"].get<int>();
  EXPECT_TRUE(r.metrics["early_stopped"].get<bool>());
  EXPECT_LT(run_epochs, regressing()["max_epochs"].get<int>());
  EXPECT_EQ(run_epochs, best + patience);
  ASSERT_EQ(r.history.size(), static_cast<size_t>(run_epochs));
  EXPECT_TRUE(r.history[best - 1]["improved"].get<bool>());
  for (int e = best + 1; e <= run_epochs; ++e) EXPECT_FALSE(r.history[e - 1]["improved"].get<bool>()) << e;
  // Every progress report from the best epoch on names the epoch the job then really stopped at
  // (what `amnl status` counts its ETA to).
  int reports = 0;
  for (const JobProgress& p : r.progress) {
    EXPECT_LE(p.early_stop_epoch, regressing()["max_epochs"].get<int>()) << p.epoch;
    EXPECT_GE(p.early_stop_epoch, p.epoch) << p.epoch;
    if (p.epoch < best) continue;
    EXPECT_EQ(p.early_stop_epoch, run_epochs) << "reported at epoch " << p.epoch;
    ++reports;
  }
  EXPECT_GT(reports, 0);
}

// Replays LrSchedule on the run's own selection metric: the history's lr column must be that
// schedule, and each epoch's checkpoint must show the optimizer holding that very rate.
void expect_lr_follows_schedule(const json& recipe, const json& history, const std::string& metric_key,
                                const std::function<double(int)>& optimizer_lr_after_epoch, int* reductions) {
  auto c = RecipeConfig::from_json(recipe);
  worker::LrScheduleOptions o;
  o.base_lr = c->optimizer.lr;
  o.warmup_epochs = c->schedule.warmup_epochs;
  o.warmup_start_factor = c->schedule.warmup_start_factor;
  o.factor = c->schedule.plateau_factor;
  o.patience = c->schedule.plateau_patience;
  o.min_lr = c->schedule.min_lr;
  worker::LrSchedule schedule(o);
  for (size_t e = 0; e < history.size(); ++e) {
    const double expected = schedule.lr_for_epoch(static_cast<int>(e));
    EXPECT_DOUBLE_EQ(history[e]["lr"].get<double>(), expected) << "epoch " << e + 1;
    EXPECT_DOUBLE_EQ(optimizer_lr_after_epoch(static_cast<int>(e) + 1), expected) << "epoch " << e + 1;
    schedule.end_epoch(static_cast<int>(e), history[e][metric_key].get<double>());
  }
  *reductions = schedule.reductions();
}

TEST_F(RecipeTraining, WarmupAndPlateauDriveTheOptimizersRate) {
  const Run& r = run("regressing", regressing());
  ASSERT_EQ(r.result.end, JobEnd::kDone) << r.result.reason;
  int reductions = 0;
  expect_lr_follows_schedule(
      regressing(), r.history, "val_rmse",
      [&](int epoch) {
        auto ck = checkpoint(r, "epoch_" + std::to_string(epoch) + ".pt");
        return lr_in_optimizer(ck);
      },
      &reductions);
  EXPECT_GE(reductions, 1) << "the plateau scheduler never reduced: the test would not see it";
  // Warm-up: epoch 1 ran at start factor x base rate, epoch 2 at the base rate.
  EXPECT_DOUBLE_EQ(r.history[0]["lr"].get<double>(), 0.5 * 0.01);
  EXPECT_DOUBLE_EQ(r.history[1]["lr"].get<double>(), 0.5);
}

TEST_F(RecipeTraining, ValidationSelectionHoldsOutUnitsAndNeverLooksAtTheTestSet) {
  const Run& r = run("scheduled", scheduled());
  ASSERT_EQ(r.result.end, JobEnd::kDone) << r.result.reason;
  const auto data = prepared(scheduled());
  EXPECT_GT(data.val_units.size(), 0u);
  for (int u : data.val_units)
    EXPECT_EQ(std::count(data.train_units.begin(), data.train_units.end(), u), 0) << "unit " << u;
  EXPECT_EQ(r.metrics["selection"], "validation");
  EXPECT_FALSE(r.metrics.contains("selection_note"));
  EXPECT_EQ(r.metrics["val_windows"].get<size_t>(), data.val.size());
  for (const auto& h : r.history) EXPECT_FALSE(h.contains("test_rmse"));
}

TEST_F(RecipeTraining, TestSelectionTrainsOnEveryUnitAndFollowsTestRmseEverywhere) {
  const json recipe = on_test(scheduled());
  const Run& r = run("on_test", recipe);
  ASSERT_EQ(r.result.end, JobEnd::kDone) << r.result.reason;
  // Every training unit trains: as many windows as the validation protocol's train + val.
  const auto all = prepared(recipe);
  const auto split = prepared(scheduled());
  EXPECT_EQ(all.train.size(), split.train.size() + split.val.size());
  EXPECT_TRUE(all.val_units.empty());
  EXPECT_EQ(r.metrics["val_windows"], 0);
  EXPECT_TRUE(r.metrics["val_rmse"].is_null()) << "no validation set: no validation RMSE";
  // Labelled as leaking.
  EXPECT_EQ(r.metrics["selection"], "test");
  EXPECT_NE(r.metrics.value("selection_note", "").find("leaks"), std::string::npos) << r.metrics.dump();
  // Selection: the best epoch has the lowest test RMSE, which is the final model's test RMSE.
  int best = 0;
  double best_rmse = INFINITY;
  for (const auto& h : r.history) {
    ASSERT_TRUE(h.contains("test_rmse")) << h.dump();
    EXPECT_TRUE(h["val_rmse"].is_null()) << "no validation set: no validation RMSE, " << h.dump();
    if (h["test_rmse"].get<double>() < best_rmse) best_rmse = h["test_rmse"].get<double>(), best = h["epoch"].get<int>();
  }
  EXPECT_EQ(r.metrics["best_epoch"], best);
  EXPECT_DOUBLE_EQ(r.metrics["best_selection_rmse"].get<double>(), best_rmse);
  EXPECT_NEAR(r.metrics["test_rmse"].get<double>(), best_rmse, 1e-9);
  // The plateau scheduler follows the test RMSE too.
  int reductions = 0;
  expect_lr_follows_schedule(
      recipe, r.history, "test_rmse",
      [&](int epoch) {
        auto ck = checkpoint(r, "epoch_" + std::to_string(epoch) + ".pt");
        return lr_in_optimizer(ck);
      },
      &reductions);
}

TEST_F(RecipeTraining, TestSelectionEarlyStopsOnTestRmseAndResumesIdentically) {
  const json recipe = on_test(regressing());
  const Run& r = run("on_test_regressing", recipe);
  ASSERT_EQ(r.result.end, JobEnd::kDone) << r.result.reason;
  const int best = r.metrics["best_epoch"].get<int>();
  EXPECT_EQ(r.metrics["epochs_run"].get<int>(), best + recipe["early_stop_patience"].get<int>());
  for (size_t e = best; e < r.history.size(); ++e)
    EXPECT_GE(r.history[e]["test_rmse"].get<double>(), r.history[best - 1]["test_rmse"].get<double>());

  // Stopped mid-run and resumed (the history's null val_rmse goes through a checkpoint): the same.
  test::TempDir job;
  std::atomic<bool> stop{false};
  JobCallbacks cb;
  cb.stop_requested = &stop;
  cb.on_progress = [&](const JobProgress& p) { stop = p.epoch >= 2 && p.batches_done % 7 == 3; };
  ASSERT_EQ(run_training_job(request(job.path(), recipe), cb).end, JobEnd::kPreempted);
  JobResult second = run_training_job(request(job.path(), recipe), JobCallbacks{});
  ASSERT_EQ(second.end, JobEnd::kDone) << second.reason;
  json a = json::parse(test::read_file(job / "SYN_v7_seed11_history.json"));
  json b = r.history;
  for (json* h : {&a, &b})
    for (auto& e : *h) e.erase("seconds");
  EXPECT_EQ(a, b);
  EXPECT_EQ(second.metrics["weights_crc32"], r.metrics["weights_crc32"]);
}

// Each report is the validation RMSE of the epoch it names (or unmeasured) and never a 0.0 that
// reads as perfect. Regression: the reports made before an attempt's first evaluation (epoch 0,
// the batches of the first epoch, and those of a resumed attempt) carried 0.0, which drew a
// perfect point into the report's learning curve of a running job and overwrote the real value
// of the epoch a resumed attempt started from.
TEST_F(RecipeTraining, ProgressNeverReportsAnUnmeasuredValidationRmseAsANumber) {
  auto expect_each_report_measured_or_nan = [](const std::vector<JobProgress>& reports, const json& history) {
    ASSERT_FALSE(reports.empty());
    for (const JobProgress& p : reports) {
      if (std::isnan(p.val_rmse)) continue;
      ASSERT_GT(p.epoch, 0) << "a validation RMSE before any epoch: " << p.val_rmse;
      EXPECT_DOUBLE_EQ(p.val_rmse, history[p.epoch - 1]["val_rmse"].get<double>()) << "epoch " << p.epoch;
    }
  };
  const Run& fresh = run("regressing", regressing());
  ASSERT_EQ(fresh.result.end, JobEnd::kDone) << fresh.result.reason;
  EXPECT_TRUE(std::isnan(fresh.progress.front().val_rmse));
  expect_each_report_measured_or_nan(fresh.progress, fresh.history);

  // Stopped in its second epoch, then resumed: the resumed attempt's first reports, made before
  // it evaluated anything, are unmeasured too.
  test::TempDir job;
  std::atomic<bool> stop{false};
  JobCallbacks first;
  first.stop_requested = &stop;
  first.on_progress = [&](const JobProgress& p) { stop = p.epoch >= 1; };
  ASSERT_EQ(run_training_job(request(job.path(), tiny()), first).end, JobEnd::kPreempted);
  std::vector<JobProgress> resumed;
  JobCallbacks second;
  second.on_progress = [&](const JobProgress& p) { resumed.push_back(p); };
  const JobResult r = run_training_job(request(job.path(), tiny()), second);
  ASSERT_EQ(r.end, JobEnd::kDone) << r.reason;
  ASSERT_EQ(r.resumed_from_epoch, 1);
  EXPECT_TRUE(std::isnan(resumed.front().val_rmse)) << resumed.front().val_rmse;
  expect_each_report_measured_or_nan(resumed, json::parse(test::read_file(job / "SYN_v7_seed11_history.json")));
}

TEST_F(RecipeTraining, LossScaleIsPartOfTheRecipeAndItsCheckpoints) {
  test::TempDir job;
  std::atomic<bool> stop{false};
  JobCallbacks cb;
  cb.stop_requested = &stop;
  cb.on_progress = [&](const JobProgress& p) { stop = p.batches_done >= 3; };
  ASSERT_EQ(run_training_job(request(job.path(), tiny()), cb).end, JobEnd::kPreempted);
  json cycles = tiny();
  cycles["loss"]["rul_scale"] = "cycles";
  JobResult r = run_training_job(request(job.path(), cycles), JobCallbacks{});
  ASSERT_EQ(r.end, JobEnd::kFailed);
  EXPECT_NE(r.reason.find("recipe.loss.rul_scale is \"normalised\" there but \"cycles\" here"), std::string::npos)
      << r.reason;
}

TEST_F(RecipeTraining, CyclesScaleTrainsOnARulTermRmaxSquaredLarger) {
  json normalised = tiny(), cycles = tiny();
  normalised["max_epochs"] = cycles["max_epochs"] = 1;
  cycles["loss"]["rul_scale"] = "cycles";
  const Run& n = run("one_epoch_normalised", normalised);
  const Run& c = run("one_epoch_cycles", cycles);
  ASSERT_EQ(n.result.end, JobEnd::kDone) << n.result.reason;
  ASSERT_EQ(c.result.end, JobEnd::kDone) << c.result.reason;
  // One epoch's mean RUL term: normalised is at most ~w * 1^2 = 2; on cycles the same errors
  // weigh R_max^2 = 15,625 times more (training differs, so only the order is checked here;
  // train_step's test checks the exact factor).
  const double rn = n.history[0]["rul_loss"].get<double>(), rc = c.history[0]["rul_loss"].get<double>();
  EXPECT_LT(rn, 2.0);
  EXPECT_GT(rc, 100 * rn) << "normalised " << rn << ", cycles " << rc;
}

}  // namespace
}  // namespace amnl

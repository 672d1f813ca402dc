#include "orchestrator/ranks/fake_job_runner.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include "common/checksum.h"
#include "common/fence.h"
#include "common/job_dir_files.h"
#include "common/recipe_config.h"
#include "common/storage.h"

namespace amnl::orch {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// One attempt of the fake trainer: what a trainer keeps between epochs (the epoch count, the
// pseudo-random "weights" state_, the best validation RMSE) and the result being built.
class FakeTraining {
 public:
  FakeTraining(const JobRequest& req, const JobCallbacks& cb, double seconds_per_epoch, int batches_per_epoch)
      : req_(req), cb_(cb), seconds_per_epoch_(seconds_per_epoch), batches_per_epoch_(batches_per_epoch),
        storage_(make_posix_storage()), ckdir_(req.job_dir + "/checkpoints") {}

  JobResult run() {
    // The recipe as the real trainer reads it (its defaults, its refusals), before the data.
    auto recipe = RecipeConfig::from_json(req_.recipe.is_null() ? json::object() : req_.recipe);
    if (!recipe.ok()) return ended(JobEnd::kFailed, recipe.message());
    if (!data_file_ok()) return ended(JobEnd::kFailed, "bad data file " + data_file());
    max_epochs_ = recipe->max_epochs;
    every_ = recipe->checkpoint.every_epochs;
    storage_->make_dirs(ckdir_);
    state_ = crc32(req_.dataset + "/" + std::to_string(req_.seed));
    if (req_.resume) resume_from_newest_checkpoint();
    while (epoch_ < max_epochs_)
      if (auto end = train_epoch()) return *end;
    return finish();
  }

 private:
  std::string data_file() const { return req_.data_dir + "/train_" + req_.dataset + ".txt"; }

  // The dataset's train file must start with a number, as a real one does. One that starts
  // with "HANG" makes attempt 1 hang for good, as a trainer stuck in a driver call or on a dead
  // NFS server would: alive, no progress, deaf to stop requests. Later attempts train
  // normally, so the retry elsewhere can finish.
  bool data_file_ok() const {
    std::ifstream data(data_file());
    std::string head(4, '\0');
    data.read(head.data(), 4);
    if (head == "HANG" && req_.attempt == 1)
      for (;;) ::sleep(1);
    if (head == "HANG") head = "0";
    data.clear();
    data.seekg(0);
    const int c = head == "0" ? '0' : data.peek();
    return data && (std::isdigit(c) || c == '-' || c == ' ');
  }

  // Resume from the newest checkpoint (periodic or emergency).
  void resume_from_newest_checkpoint() {
    auto files = storage_->list_files(ckdir_);
    if (files)
      for (const auto& f : *files) {
        if (fence_token_in_name(f)) continue;  // an attempt's staged copy, not a committed file
        auto bytes = storage_->read(ckdir_ + "/" + f);
        auto j = bytes ? json::parse(*bytes, nullptr, false) : json();
        if (j.is_object() && j.value("epoch", 0) > epoch_) {
          epoch_ = j["epoch"].get<int>();
          state_ = j["state"].get<uint32_t>();
        }
      }
    if (epoch_ > 0) res_.resumed_from_epoch = epoch_;
  }

  // One epoch: its batches (each reported, as a liveness signal), then its validation and,
  // every `every_` epochs but the last, a checkpoint. The result when the attempt ends in it.
  std::optional<JobResult> train_epoch() {
    for (int b = 0; b < batches_per_epoch_; ++b) {
      if (cb_.stop_requested && cb_.stop_requested->load()) return stop();
      ::usleep(static_cast<useconds_t>(seconds_per_epoch_ * 1e6 / batches_per_epoch_));
      ++batches_;
      report(progress());
    }
    ++epoch_;
    state_ = crc32(std::to_string(state_) + "/" + std::to_string(epoch_));
    JobProgress p = progress();
    p.val_rmse = (state_ % 1000) / 10.0;
    best_val_ = std::min(best_val_, p.val_rmse);
    p.best_val_rmse = best_val_;
    if (epoch_ % every_ == 0 && epoch_ < max_epochs_) {
      const std::string name = "epoch_" + std::to_string(epoch_) + ".json";
      if (!checkpoint(name)) return fenced();
      if (!write_error_.ok()) return storage_failed();
      p.checkpoint = ckdir_ + "/" + name;
    }
    report(p);
    return std::nullopt;
  }

  // A stop request (preemption): an emergency checkpoint of the current epoch, then stop.
  JobResult stop() {
    if (!checkpoint("interrupted.json")) return fenced();
    if (!write_error_.ok()) return storage_failed();
    return ended(JobEnd::kPreempted, "stop requested at epoch " + std::to_string(epoch_));
  }

  // All epochs trained: metrics.json, a pure function of (dataset, seed, epochs), is the model.
  JobResult finish() {
    if (!owner()) return fenced();
    res_.metrics = {{"dataset", req_.dataset}, {"seed", req_.seed}, {"test_rmse", (state_ % 10000) / 100.0},
                    {"state", state_}, {"epochs", epoch_}, {"epochs_run", epoch_}};
    const CommitResult c = commit_file(*storage_, req_.job_dir + "/" + job_files::kMetrics, res_.metrics.dump(), req_.fence,
                                       cb_.still_owner);
    if (c.fenced) return fenced();
    write_error_ = c.status;
    if (!write_error_.ok()) return storage_failed();
    res_.end = JobEnd::kDone;
    res_.epochs_run = epoch_;
    res_.final_model = req_.job_dir + "/" + job_files::kMetrics;
    return res_;
  }

  // Writes checkpoints/<name> unless the lease is lost, before or at the commit (false); a write
  // error is left in write_error_. Fenced as the real trainer's files are (common/fence.h).
  bool checkpoint(const std::string& name) {
    if (!owner()) return false;
    const CommitResult c =
        commit_file(*storage_, ckdir_ + "/" + name,
                    json{{"epoch", epoch_}, {"state", state_}, {"attempt", req_.attempt}}.dump(), req_.fence,
                    cb_.still_owner);
    write_error_ = c.status;
    return !c.fenced;
  }

  bool owner() const { return !cb_.still_owner || cb_.still_owner(); }

  JobProgress progress() const {
    JobProgress p;
    p.epoch = epoch_;
    p.max_epochs = max_epochs_;
    p.batches_done = batches_;
    return p;
  }
  void report(const JobProgress& p) const {
    if (cb_.on_progress) cb_.on_progress(p);
  }

  JobResult ended(JobEnd end, std::string reason) {
    res_.end = end;
    res_.reason = std::move(reason);
    return res_;
  }
  JobResult fenced() { return ended(JobEnd::kFenced, "lease lost"); }
  JobResult storage_failed() { return ended(JobEnd::kStorageFailed, write_error_.message()); }

  const JobRequest& req_;
  const JobCallbacks& cb_;
  const double seconds_per_epoch_;
  const int batches_per_epoch_;
  std::shared_ptr<Storage> storage_;
  const std::string ckdir_;
  int max_epochs_ = 0, every_ = 1;
  int epoch_ = 0;
  uint32_t state_ = 0;
  int64_t batches_ = 0;
  double best_val_ = 1e300;  // since this attempt started (enough for a fake)
  Status write_error_;
  JobResult res_;
};

}  // namespace

JobRunnerFn make_fake_job_runner(double seconds_per_epoch, int batches_per_epoch) {
  return [seconds_per_epoch, batches_per_epoch](const JobRequest& req, const JobCallbacks& cb) {
    return FakeTraining(req, cb, seconds_per_epoch, batches_per_epoch).run();
  };
}

}  // namespace amnl::orch

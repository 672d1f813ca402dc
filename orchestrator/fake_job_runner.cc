#include "orchestrator/fake_job_runner.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

#include "common/checksum.h"
#include "common/storage.h"

namespace amnl::orch {

namespace fs = std::filesystem;
using nlohmann::json;

JobRunnerFn make_fake_job_runner(double seconds_per_epoch, int batches_per_epoch) {
  return [seconds_per_epoch, batches_per_epoch](const JobRequest& req, const JobCallbacks& cb) {
    JobResult res;
    auto storage = make_posix_storage();
    auto owner = [&] { return !cb.still_owner || cb.still_owner(); };
    std::ifstream data(req.data_dir + "/train_" + req.dataset + ".txt");
    std::string head(4, '\0');
    data.read(head.data(), 4);
    if (head == "HANG" && req.attempt == 1) {
      // A trainer stuck for good (a driver call, a dead NFS server): alive, no progress, deaf to
      // stop requests. Only the first attempt hangs, so the retry elsewhere can finish.
      for (;;) ::sleep(1);
    }
    if (head == "HANG") head = "0";
    data.clear();
    data.seekg(0);
    const int c = head == "0" ? '0' : data.peek();
    if (!data || !(std::isdigit(c) || c == '-' || c == ' ')) {
      res.reason = "bad data file " + req.data_dir + "/train_" + req.dataset + ".txt";
      return res;
    }
    const int max_epochs = req.recipe.value("max_epochs", 5);
    const int every = req.recipe.contains("checkpoint") ? req.recipe["checkpoint"].value("every_epochs", 1) : 1;
    const std::string ckdir = req.job_dir + "/checkpoints";
    storage->make_dirs(ckdir);
    // Resume from the newest checkpoint (periodic or emergency).
    int epoch = 0;
    uint32_t state = crc32(req.dataset + "/" + std::to_string(req.seed));
    if (req.resume) {
      auto files = storage->list_files(ckdir);
      if (files)
        for (const auto& f : *files) {
          auto bytes = storage->read(ckdir + "/" + f);
          auto j = bytes ? json::parse(*bytes, nullptr, false) : json();
          if (j.is_object() && j.value("epoch", 0) > epoch) {
            epoch = j["epoch"].get<int>();
            state = j["state"].get<uint32_t>();
          }
        }
      if (epoch > 0) res.resumed_from_epoch = epoch;
    }
    int64_t batches = 0;
    double best_val = 1e300;  // since this attempt started (enough for a fake)
    Status write_error;
    auto checkpoint = [&](const std::string& name) -> bool {
      if (!owner()) return false;
      write_error = storage->write_atomic(ckdir + "/" + name,
                                          json{{"epoch", epoch}, {"state", state}, {"attempt", req.attempt}}.dump());
      return true;
    };
    auto storage_failed = [&] {
      res.end = JobEnd::kStorageFailed;
      res.reason = write_error.message();
      return res;
    };
    while (epoch < max_epochs) {
      for (int b = 0; b < batches_per_epoch; ++b) {
        if (cb.stop_requested && cb.stop_requested->load()) {
          if (!checkpoint("interrupted.json")) {
            res.end = JobEnd::kFenced;
            res.reason = "lease lost";
            return res;
          }
          if (!write_error.ok()) return storage_failed();
          res.end = JobEnd::kPreempted;
          res.reason = "stop requested at epoch " + std::to_string(epoch);
          return res;
        }
        ::usleep(static_cast<useconds_t>(seconds_per_epoch * 1e6 / batches_per_epoch));
        ++batches;
        if (cb.on_progress) {
          JobProgress p;
          p.epoch = epoch;
          p.max_epochs = max_epochs;
          p.batches_done = batches;
          cb.on_progress(p);
        }
      }
      ++epoch;
      state = crc32(std::to_string(state) + "/" + std::to_string(epoch));
      JobProgress p;
      p.epoch = epoch;
      p.max_epochs = max_epochs;
      p.batches_done = batches;
      p.val_rmse = (state % 1000) / 10.0;
      best_val = std::min(best_val, p.val_rmse);
      p.best_val_rmse = best_val;
      if (epoch % every == 0 && epoch < max_epochs) {
        if (!checkpoint("epoch_" + std::to_string(epoch) + ".json")) {
          res.end = JobEnd::kFenced;
          res.reason = "lease lost";
          return res;
        }
        if (!write_error.ok()) return storage_failed();
        p.checkpoint = ckdir + "/epoch_" + std::to_string(epoch) + ".json";
      }
      if (cb.on_progress) cb.on_progress(p);
    }
    if (!owner()) {
      res.end = JobEnd::kFenced;
      res.reason = "lease lost";
      return res;
    }
    res.metrics = {{"dataset", req.dataset}, {"seed", req.seed}, {"test_rmse", (state % 10000) / 100.0},
                   {"state", state}, {"epochs", epoch}, {"epochs_run", epoch}};
    write_error = storage->write_atomic(req.job_dir + "/metrics.json", res.metrics.dump());
    if (!write_error.ok()) return storage_failed();
    res.end = JobEnd::kDone;
    res.epochs_run = epoch;
    res.final_model = req.job_dir + "/metrics.json";
    return res;
  };
}

}  // namespace amnl::orch

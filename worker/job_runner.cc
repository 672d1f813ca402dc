#include "worker/job_runner.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <thread>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "common/checksum.h"
#include "common/recipe_config.h"
#include "common/safe_path.h"
#include "worker/trainer.h"

namespace amnl {
namespace {

int env_int(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return 0;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  return (*end == '\0' && x > 0 && x < 1 << 16) ? static_cast<int>(x) : 0;
}

std::string utc_timestamp() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// GPU by local rank when CUDA is there (one rank per GPU); the CPU otherwise.
std::string pick_device() {
  if (!torch::cuda::is_available()) return "cpu";
  int local = env_int("OMPI_COMM_WORLD_LOCAL_RANK");
  if (!local) local = env_int("SLURM_LOCALID");
  const auto count = static_cast<int>(torch::cuda::device_count());
  return "cuda:" + std::to_string(count > 0 ? local % count : 0);
}

// CRC-32 over <dir>/{train,test,RUL}_<dataset>.txt, as if concatenated in that order; "" when one
// cannot be read (prepare_dataset, which read them first, says why).
std::string data_files_crc32(const Storage& storage, const std::string& dir, const std::string& dataset) {
  uint32_t crc = 0;
  for (const char* kind : {"train_", "test_", "RUL_"}) {
    auto bytes = storage.read(dir + "/" + kind + dataset + ".txt");
    if (!bytes.ok()) return "";
    crc = crc32(*bytes, crc);
  }
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", crc);
  return hex;
}

JobResult failed(std::string reason) {
  JobResult r;
  r.end = JobEnd::kFailed;
  r.reason = std::move(reason);
  return r;
}

// The job's own logger: the process's sinks (console, rank file) plus the job's log file, so
// the orchestrator's logging stays as it was.
std::shared_ptr<spdlog::logger> job_logger(const std::string& file) {
  auto sinks = spdlog::default_logger()->sinks();
  auto log = std::make_shared<spdlog::logger>(spdlog::default_logger()->name(), sinks.begin(), sinks.end());
  try {
    log->sinks().push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(file, false));
  } catch (const std::exception& e) {
    log->warn("no job log file {}: {}", file, e.what());
  }
  log->set_pattern("%Y-%m-%d %H:%M:%S.%e [%n] %l: %v");
  log->flush_on(spdlog::level::info);
  return log;
}

JobResult fenced_before_writing() {
  JobResult r;
  r.end = JobEnd::kFenced;
  r.reason = "a newer attempt owns the job; nothing written";
  return r;
}

// What a request must hold whatever its recipe.
Status check_request(const JobRequest& request) {
  if (Status s = check_plain_name(request.dataset, "dataset name"); !s.ok()) return s;
  if (request.job_dir.empty()) return Status::Error("no job directory given");
  if (request.attempt < 1) return Status::Error("attempt must be >= 1, got " + std::to_string(request.attempt));
  return Status::Ok();
}

// The output directory must take files before hours of training are spent. A link inside the
// job dir that leads out of it (checkpoints -> /elsewhere) is never written through.
Status make_job_dir(const JobRequest& request, Storage& storage) {
  for (const char* sub : {"/checkpoints", "/logs"})
    AMNL_RETURN_IF_ERROR(check_stays_inside(request.job_dir, request.job_dir + sub));
  const std::string unwritable = "output directory " + request.job_dir + " is not writable: ";
  for (const char* sub : {"/checkpoints", "/logs"})
    if (Status s = storage.make_dirs(request.job_dir + sub); !s.ok()) return Status::Error(unwritable + s.message());
  const std::string probe = request.job_dir + "/.write_probe";
  if (Status s = storage.write_atomic(probe, "ok\n"); !s.ok()) return Status::Error(unwritable + s.message());
  (void)storage.remove(probe);
  return Status::Ok();
}

// The job once its request is checked and its directory takes files: its log, its data, then
// the trainer (worker/trainer.h) with the recipe resolved at the job's entry point.
JobResult prepare_and_train(const JobRequest& request, const RecipeConfig& recipe, const JobCallbacks& callbacks,
                            std::shared_ptr<Storage> storage) {
  auto log = job_logger(request.job_dir + "/logs/" + request.dataset + "_v7_" + utc_timestamp() + ".log");
  const int threads = resolve_thread_count(request.threads);
  torch::set_num_threads(threads);

  auto data = data::prepare_dataset(request.data_dir, request.dataset, recipe.data_options(request.seed));
  if (!data.ok()) {
    log->error("{}", data.message());
    return failed(data.message());
  }

  worker::TrainerSetup setup;
  setup.data_crc32 = data_files_crc32(*storage, request.data_dir, request.dataset);
  setup.request = &request;
  setup.callbacks = &callbacks;
  setup.recipe = recipe;
  setup.storage = std::move(storage);
  setup.log = log;
  setup.data = std::move(*data);
  setup.device = pick_device();
  setup.threads = threads;
  JobResult r = worker::run_trainer(setup);
  if (r.end == JobEnd::kFailed) log->error("{} seed {} failed: {}", request.dataset, request.seed, r.reason);
  return r;
}

// torch reports shape and runtime errors as exceptions: a failed job, not a dead worker.
JobResult failed_by_exception(const JobRequest& request, const std::exception& e) {
  std::string what = e.what();
  return failed("training " + request.dataset + " seed " + std::to_string(request.seed) + ": " +
                what.substr(0, what.find('\n')));
}

}  // namespace

int resolve_thread_count(int requested) {
  if (requested > 0) return requested;
  if (int n = env_int("SLURM_CPUS_PER_TASK")) return n;
  if (int n = env_int("OMP_NUM_THREADS")) return n;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw ? static_cast<int>(hw) : 1;
}

Result<RecipeConfig> job_recipe(const JobRequest& request) {
  return RecipeConfig::from_json(request.recipe.is_null() ? nlohmann::json::object() : request.recipe);
}

JobResult run_training_job(const JobRequest& request, const JobCallbacks& callbacks) {
  return run_training_job(request, callbacks, make_posix_storage());
}

JobResult run_training_job(const JobRequest& request, const JobCallbacks& callbacks, std::shared_ptr<Storage> storage) {
  // A bad dataset name is named before a bad recipe, as it always was.
  if (Status s = check_plain_name(request.dataset, "dataset name"); !s.ok()) return failed(s.message());
  auto recipe = job_recipe(request);
  if (!recipe.ok()) return failed(recipe.message());
  JobRequest resolved = request;
  resolved.recipe = nullptr;  // the RecipeConfig is the job's one recipe from here on
  return run_training_job(resolved, *recipe, callbacks, std::move(storage));
}

JobResult run_training_job(const JobRequest& request, const RecipeConfig& recipe, const JobCallbacks& callbacks,
                           std::shared_ptr<Storage> storage) {
  try {
    if (!request.recipe.is_null())
      return failed("a job with a resolved recipe must not carry recipe JSON too (a job has one recipe)");
    if (Status s = check_request(request); !s.ok()) return failed(s.message());
    if (callbacks.still_owner && !callbacks.still_owner()) return fenced_before_writing();
    if (Status s = make_job_dir(request, *storage); !s.ok()) return failed(s.message());
    return prepare_and_train(request, recipe, callbacks, std::move(storage));
  } catch (const std::exception& e) {
    return failed_by_exception(request, e);
  }
}

}  // namespace amnl

#pragma once
// The worker's public entry point: train one (dataset, seed) job per amnl.md into its job
// directory, resuming from the newest valid checkpoint when asked. No torch in this header: the
// orchestrator's worker loop and the `amnl train` command call it through common/job.h types.
#include <memory>
#include <string>

#include "common/job.h"
#include "common/recipe_config.h"
#include "common/storage.h"

namespace amnl {

// request.recipe is a RecipeConfig JSON ({} = the paper defaults), decoded once here, at the
// job's entry point (job_recipe); the trainer, its resume (which compares a checkpoint's recipe
// with this one) and the final model all use that RecipeConfig. Errors (bad recipe, unwritable
// job_dir, bad data, NaN loss) come back as JobEnd::kFailed with a reason, never as exceptions;
// a bad recipe before anything is written.
JobResult run_training_job(const JobRequest& request, const JobCallbacks& callbacks);

// The same through a given Storage (tests inject faults with FaultInjectingStorage).
JobResult run_training_job(const JobRequest& request, const JobCallbacks& callbacks,
                           std::shared_ptr<Storage> storage);

// A job whose caller resolved its recipe already (`amnl train`: the preset, then --config), so
// that it is not encoded and decoded again: `recipe` is the job's recipe, and request.recipe
// must be null (a job with both fails, rather than run with one and record the other).
JobResult run_training_job(const JobRequest& request, const RecipeConfig& recipe, const JobCallbacks& callbacks,
                           std::shared_ptr<Storage> storage);

// request.recipe as the job's RecipeConfig (null or {}: the paper defaults); errors name the key
// ("recipe.model.lstm_hidden: must be >= 1, got 0").
Result<RecipeConfig> job_recipe(const JobRequest& request);

// Intra-op threads: `requested` if > 0, else $SLURM_CPUS_PER_TASK, else $OMP_NUM_THREADS, else
// the hardware's. Results are bit-identical only between runs with the same thread count.
int resolve_thread_count(int requested);

}  // namespace amnl

#pragma once
// The worker's public entry point: train one (dataset, seed) job per amnl.md into its job
// directory, resuming from the newest valid checkpoint when asked. No torch in this header: the
// orchestrator's worker loop and the `amnl train` command call it through common/job.h types.
#include <memory>
#include <string>

#include "common/job.h"
#include "common/storage.h"

namespace amnl {

// request.recipe is a RecipeConfig JSON ({} = the paper defaults). Errors (bad recipe, unwritable
// job_dir, bad data, NaN loss) come back as JobEnd::kFailed with a reason, never as exceptions.
JobResult run_training_job(const JobRequest& request, const JobCallbacks& callbacks);

// The same through a given Storage (tests inject faults with FaultInjectingStorage).
JobResult run_training_job(const JobRequest& request, const JobCallbacks& callbacks,
                           std::shared_ptr<Storage> storage);

// Intra-op threads: `requested` if > 0, else $SLURM_CPUS_PER_TASK, else $OMP_NUM_THREADS, else
// the hardware's. Results are bit-identical only between runs with the same thread count.
int resolve_thread_count(int requested);

}  // namespace amnl

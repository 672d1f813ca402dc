#pragma once
// A stand-in trainer with the real one's contract (common/job.h), for tests and benchmarks of
// the orchestration without libtorch: "trains" recipe.max_epochs epochs of `batches_per_epoch`
// sleeps, writes checkpoints/epoch_<N>.json every recipe.checkpoint.every_epochs epochs (the
// recipe read as the real trainer reads it: RecipeConfig's defaults and refusals) and
// checkpoints/interrupted.json on a stop request, resumes from the newest one, asks still_owner
// before every write, and fails when the dataset's train file does not start with a number.
// A train file that starts with "HANG" makes attempt 1 hang for good (no progress, deaf to
// stop), as a trainer stuck in a driver call would; later attempts train normally.
// Its metrics are a pure function of (dataset, seed, epochs), so a resumed job must equal an
// uninterrupted one. Reached through the hidden `amnl run --fake-trainer SECONDS_PER_EPOCH`.
#include "common/job.h"

namespace amnl::orch {

JobRunnerFn make_fake_job_runner(double seconds_per_epoch, int batches_per_epoch = 10);

}  // namespace amnl::orch

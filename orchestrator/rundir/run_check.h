#pragma once
// `amnl run --check EXPERIMENT.json`: what rank 0 validates before a run starts, without MPI, so
// that a batch script or slurm/submit.sh can refuse a bad experiment before anything is queued.
#include <iosfwd>
#include <string>

namespace amnl::orch {

// Loads and validates the experiment (keys, values, data files) and, when its run dir already
// holds a run, checks that the run dir was made by the same experiment. Writes nothing.
// On success prints to `out`, one "key: value" line each (scripts read them):
//   experiment: /abs/path.json
//   jobs: 6 (2 datasets x 3 seeds)
//   run_dir: /abs/run
//   data_dir: /abs/data
//   threads_per_rank: 1 (set|default)
//   run_dir_state: new | resumes (N of M jobs done)
// and returns 0; otherwise prints "error: <what, naming the key>" to `err` and returns 2.
int run_check(const std::string& experiment_path, std::ostream& out, std::ostream& err);

}  // namespace amnl::orch

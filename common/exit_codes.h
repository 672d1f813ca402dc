#pragma once
// Process exit statuses shared by `amnl train`, `amnl run` and the Slurm scripts.
namespace amnl {
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;        // the job failed / some jobs of the run failed
inline constexpr int kExitUsage = 2;         // bad command line, config or experiment file
inline constexpr int kExitPreempted = 75;    // stopped by a signal after an emergency checkpoint: rerun me
inline constexpr int kExitFenced = 76;       // a newer attempt owns the job; nothing was written
}  // namespace amnl

#pragma once
// glibc malloc settings for training (bench/RESULTS.md, section 1). Every step frees and
// reallocates the same activation and gradient buffers; with glibc's defaults the heap top is
// trimmed back to the OS after the step's frees and re-faulted page by page on the next step
// (perf: malloc_consolidate, page faults). Keeping it mapped makes a quick batch-32 step ~10%
// faster and changes no arithmetic: results stay bit-identical. Process-wide and idempotent.
namespace amnl::worker {
void tune_allocator_for_training();
}  // namespace amnl::worker

#include "worker/allocator.h"

#include <malloc.h>

namespace amnl::worker {

void tune_allocator_for_training() {
  // Blocks up to 32 MB (glibc's ceiling for this setting) come from the heap, not from a fresh
  // mmap each time; freed memory stays mapped up to 1 GB above the heap top; grow the heap in
  // 64 MB steps. The process's peak memory is unchanged (a step needs its peak every step).
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
  mallopt(M_TOP_PAD, 64 * 1024 * 1024);
}

}  // namespace amnl::worker

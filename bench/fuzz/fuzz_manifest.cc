// Fuzz target: the checkpoint manifest reader, through CheckpointStore's byte-level API (no torch:
// worker/checkpoint_store.cc is compiled into this target alone, see CMakeLists.txt). The bytes
// are checkpoints/MANIFEST.json; every entry it yields must name a plain file inside the
// directory, and writing a new checkpoint over a damaged manifest must still work.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/fuzz/memory_storage.h"
#include "worker/checkpoint_store.h"

using namespace amnl;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto storage = std::make_shared<fuzz::MemoryStorage>();
  const std::string dir = "/run/jobs/FD001/seed_1/checkpoints";
  (void)storage->write_atomic(dir + "/MANIFEST.json", std::string(reinterpret_cast<const char*>(data), size));
  (void)storage->write_atomic(dir + "/epoch_1.pt", "x");
  worker::CheckpointStore store(storage, dir);
  std::vector<std::string> notes;
  for (const auto& c : store.candidates(&notes)) {
    if (c.file.empty() || c.file.find('/') != std::string::npos || c.file[0] == '.') __builtin_trap();
    (void)store.read_verified(c);
  }
  worker::CheckpointInfo info;
  info.file = worker::checkpoint_file_name(worker::CheckpointKind::kPeriodic, 3);
  info.epoch = 3;
  if (!store.put(info, "checkpoint bytes", 2).ok()) __builtin_trap();
  bool found = false;
  for (const auto& c : store.candidates(nullptr)) {
    found = found || c.file == info.file;
    if (c.file == info.file && !store.read_verified(c).ok()) __builtin_trap();
  }
  if (!found) __builtin_trap();  // the checkpoint just written must be listed
  (void)store.clear();
  return 0;
}

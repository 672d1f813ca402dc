#pragma once
// The checkpoint files of one job (checkpoints/ in the job directory) and their manifest, at the
// byte level (no torch): atomic writes through the Storage seam, a size + CRC-32 per file in
// checkpoints/MANIFEST.json, retention (keep the last K periodic, only the newest best), and the
// choice of the newest checkpoint that verifies. The files, the manifest and the refusal rules are
// described in checkpoint_format.h, which also (de)serialises what is inside a checkpoint.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/storage.h"

namespace amnl::worker {

// The manifest's file names and entry fields (the format: checkpoint_format.h).
// MANIFEST.prev.json is the manifest as it was before the latest put(): a manifest torn by a lying
// disk or a crash would otherwise orphan every checkpoint it listed and send the job back to
// epoch 0; with the previous copy, resume loses at most the newest checkpoint.
inline constexpr const char* kManifestFile = "MANIFEST.json";
inline constexpr const char* kPreviousManifestFile = "MANIFEST.prev.json";
namespace manifest_key {
inline constexpr const char* kCheckpoints = "checkpoints";  // the top-level list
inline constexpr const char* kFile = "file";
inline constexpr const char* kKind = "kind";
inline constexpr const char* kEpoch = "epoch";
inline constexpr const char* kBatch = "batch";
inline constexpr const char* kAttempt = "attempt";
inline constexpr const char* kSize = "size";
inline constexpr const char* kCrc32 = "crc32";
}  // namespace manifest_key

enum class CheckpointKind { kPeriodic, kBest, kEmergency };
const char* kind_name(CheckpointKind kind);

struct CheckpointInfo {
  std::string file;  // plain name inside the checkpoint directory, e.g. "epoch_50.pt"
  CheckpointKind kind = CheckpointKind::kPeriodic;
  int epoch = 0;      // epochs completed
  int64_t batch = 0;  // batches done inside epoch `epoch + 1` (0 at an epoch boundary)
  int attempt = 1;
  uint64_t size = 0;  // filled by put()
  std::string crc32;  // filled by put()
};

// "epoch_<N>.pt", "best_epoch_<N>.pt", "interrupted.pt" (the recipe's naming convention).
std::string checkpoint_file_name(CheckpointKind kind, int epoch);

class CheckpointStore {
 public:
  CheckpointStore(std::shared_ptr<Storage> storage, std::string dir);
  const std::string& dir() const { return dir_; }
  std::string path_of(const std::string& file) const { return dir_ + "/" + file; }

  // Writes `bytes` atomically, then the manifest naming its size and CRC, then removes files the
  // retention policy drops (periodic beyond the newest `keep_last`, any older best).
  Status put(CheckpointInfo info, std::string_view bytes, int keep_last);

  // Manifest entries, newest first: highest (epoch, batch), then highest attempt. `notes` gets a
  // line for anything unusable (unreadable manifest, entries naming missing files).
  std::vector<CheckpointInfo> candidates(std::vector<std::string>* notes) const;

  // The file's bytes if its size and CRC match the manifest; otherwise an error naming the file
  // and what is wrong (missing, truncated, checksum mismatch).
  Result<std::string> read_verified(const CheckpointInfo& info) const;

  // Removes every checkpoint the manifest lists and the manifest itself (a fresh start).
  Status clear();

 private:
  // MANIFEST.json, or MANIFEST.prev.json when the former is unreadable (`note` says so).
  Result<std::vector<CheckpointInfo>> read_manifest(std::string* note) const;
  Result<std::vector<CheckpointInfo>> read_manifest_file(const std::string& name) const;
  Status write_manifest(const std::string& name, const std::vector<CheckpointInfo>& entries);

  std::shared_ptr<Storage> storage_;
  std::string dir_;
};

// Removes the temporary files that write_atomic leaves in `dir` when its process is killed
// mid-write (tens of MB per kill at paper size, on shared storage). Call it only while owning
// the job (after the lease check): an older attempt's half-written file is garbage by then.
// Returns the paths removed.
Result<std::vector<std::string>> remove_temporaries(Storage& storage, const std::string& dir);

}  // namespace amnl::worker

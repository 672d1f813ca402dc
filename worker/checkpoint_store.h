#pragma once
// The checkpoint files of one job (checkpoints/ in the job directory) and their manifest, at the
// byte level (no torch): atomic writes through the Storage seam, a size + CRC-32 per file in the
// manifest, retention (keep the last K periodic, only the newest best), and the choice of the
// newest checkpoint that verifies. The files, the manifest and the refusal rules are described in
// checkpoint_format.h, which also (de)serialises what is inside a checkpoint.
//
// Fenced commits (a store built with a FenceId, common/fence.h: every attempt the coordinator
// leases). Why: the lease is asked before a write, and on NFS a writer can stall after asking
// (hung server, SIGSTOP, VM pause) and finish its write or rename long after the coordinator gave
// the job to a new attempt. Without CAS on NFS, the protocol makes such a late commit land only
// on names nobody of the new lineage trusts:
//   1. Names. An attempt with tag T (token t) writes its data as "<file>.T" (epoch_50.pt.T) and
//      its manifest as "MANIFEST.T.json" (+ "MANIFEST.T.prev.json"); no other attempt ever writes
//      or removes those names. Its manifest entries carry the user-visible name ("file":
//      epoch_50.pt) and the name holding the bytes ("stored_as": epoch_50.pt.T).
//   2. Trust. Readers use the manifest with the highest token (tokens grow with every lease of
//      the job): the newest lineage. A stale attempt's late manifest carries an older token, so
//      it is never chosen once the owner has written its own.
//   3. Take-over. An owner's first act (take_over(), before resume) copies the head manifest
//      into its own, hard-linking every file it names under its own tag: from then on nothing
//      it trusts can be renamed over or removed by an older attempt, whatever that one does.
//   4. Commit. put(): lease asked; data written under its tag; lease asked again; own manifest
//      written (prev, then main); own dropped files removed.
//   5. Publish. Lease asked again; every entry's user-visible name becomes a link to its tagged
//      file (Storage::link_atomic), and MANIFEST.json a link to the own manifest; files of older
//      tokens are removed (a stale writer removing "older" files removes only names older than
//      itself, never the owner's).
// The window that remains (no compare-and-swap on NFS): a writer stalled between its last lease
// question and a link of step 5 still makes that link when it wakes. Before the new owner's
// take-over, that is as if it had committed before the lease moved, and it is taken over as
// such. After it, the link fails (the owner removed every older token's file, so the link has
// no source) and the stale writer learns it is fenced. Only a listing that missed the stale file
// (an NFS client caches directory entries, acdirmax 60 s by default) leaves a late link possible
// after the take-over. It then re-points one user-visible alias at a complete checkpoint of the
// same job and lineage (for epoch_N.pt: of the same epoch): harmless, since resume and every
// later attempt read the owner's tagged files through the owner's manifest only, and the owner's
// next put re-links every alias. A late manifest (stalled in step 4) is the owner's only if the
// owner has none yet, i.e. it is then taken over as committed before the lease moved.
// A store without a FenceId (amnl train, a single writer) keeps the plain layout: epoch_50.pt and MANIFEST.json
// hold the bytes themselves. A job directory written fenced is resumed fenced (amnl run): an
// unfenced writer's MANIFEST.json is ignored there while fenced manifests exist.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/fence.h"
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
inline constexpr const char* kStoredAs = "stored_as";  // fenced: the tagged name holding the bytes
inline constexpr const char* kWriter = "writer";       // fenced: the tag of the manifest's writer
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
  std::string stored_as;  // fenced: "<file>.<tag>", the name holding the bytes; "": `file` holds them
  const std::string& data_file() const { return stored_as.empty() ? file : stored_as; }
};

// "epoch_<N>.pt", "best_epoch_<N>.pt", "interrupted.pt" (the recipe's naming convention).
std::string checkpoint_file_name(CheckpointKind kind, int epoch);

class CheckpointStore {
 public:
  // Fenced when `fence` is (see the protocol above); `still_owner` is asked at every commit step.
  CheckpointStore(std::shared_ptr<Storage> storage, std::string dir, FenceId fence = {},
                  std::function<bool()> still_owner = {});
  const std::string& dir() const { return dir_; }
  std::string path_of(const std::string& file) const { return dir_ + "/" + file; }

  // Writes `bytes` atomically, then the manifest naming its size and CRC, then removes files the
  // retention policy drops (periodic beyond the newest `keep_last`, any older best).
  // Fenced: steps 3-5 above; an error with lost_lease() true when the lease went to another
  // attempt on the way (nothing this store trusts was changed then).
  Status put(CheckpointInfo info, std::string_view bytes, int keep_last);
  bool lost_lease() const { return lost_lease_; }

  // Fenced: step 3 above (once per store; put() and clear() do it if not done). `notes` gets a
  // line for each inherited file that could not be linked (it is then skipped at resume).
  // Unfenced: nothing.
  Status take_over(std::vector<std::string>* notes = nullptr);

  // Manifest entries, newest first: highest (epoch, batch), then highest attempt. `notes` gets a
  // line for anything unusable (unreadable manifest, entries naming missing files).
  std::vector<CheckpointInfo> candidates(std::vector<std::string>* notes) const;

  // The file's bytes if its size and CRC match the manifest; otherwise an error naming the file
  // and what is wrong (missing, truncated, checksum mismatch).
  Result<std::string> read_verified(const CheckpointInfo& info) const;

  // Removes every checkpoint the manifest lists and the manifest itself (a fresh start).
  // Fenced: the owner's manifest becomes an empty one, so no older lineage is trusted after it.
  Status clear();

 private:
  // The highest token's manifest (or its .prev when it is unreadable); without fenced manifests
  // MANIFEST.json, or MANIFEST.prev.json when the former is unreadable. `note` says what was
  // skipped.
  Result<std::vector<CheckpointInfo>> read_manifest(std::string* note) const;
  Result<std::vector<CheckpointInfo>> read_legacy_manifest(std::string* note) const;
  Result<std::vector<CheckpointInfo>> read_manifest_file(const std::string& name) const;
  Status write_manifest(const std::string& name, const std::vector<CheckpointInfo>& entries);
  // Fenced mode.
  bool owner() const;
  Status fenced(const std::string& what) const;
  std::string own_manifest() const { return "MANIFEST." + fence_.tag + ".json"; }
  std::string own_previous_manifest() const { return "MANIFEST." + fence_.tag + ".prev.json"; }
  bool own_file(const std::string& name) const;
  Status put_fenced(CheckpointInfo info, std::string_view bytes, int keep_last);
  Status publish(const std::vector<CheckpointInfo>& entries, const std::vector<CheckpointInfo>& dropped);
  Status clear_fenced();
  Status take_over_once(std::vector<std::string>* notes);
  // `st`, and lost_lease() set when it failed and the lease names another attempt now.
  Status fenced_if_lost(Status st) const;

  std::shared_ptr<Storage> storage_;
  std::string dir_;
  FenceId fence_;
  std::function<bool()> still_owner_;
  bool taken_over_ = false;
  mutable bool lost_lease_ = false;
};

// Removes the temporary files that write_atomic leaves in `dir` when its process is killed
// mid-write (tens of MB per kill at paper size, on shared storage). Call it only while owning
// the job (after the lease check): an older attempt's half-written file is garbage by then.
// Returns the paths removed.
Result<std::vector<std::string>> remove_temporaries(Storage& storage, const std::string& dir);

}  // namespace amnl::worker

#pragma once
// The identity under which one attempt of a job commits its files on shared storage, and the
// fenced commit of a single file. Why: the lease (orchestrator/rundir/lease.h) is asked before a write,
// and a writer that stalls after asking (a hung NFS server, SIGSTOP, a VM pause) would otherwise
// commit over the files of the attempt that took the job in the meantime. The protocol for
// checkpoints and their manifest is in worker/checkpoint_store.h; this file holds what the
// trainer, the fake trainer and the store share.
//
// A fenced writer has the lease's fencing token (which grows with every lease of the job) and a
// tag "f<token>-<session>-a<attempt>", unique to the attempt. Names that carry a tag are written
// only by that attempt; names without one (metrics.json, epoch_50.pt, MANIFEST.json: what users
// and tools read) are replaced only right after the lease was asked again.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/storage.h"

namespace amnl {

struct FenceId {
  int64_t token = 0;  // the lease's fencing token; 0: not fenced (a single writer owns the files)
  std::string tag;    // "f<token>-<session>-a<attempt>"
  bool fenced() const { return token > 0; }
};

// The session id keeps only its first 8 letters and digits (tags stay short in file names).
FenceId make_fence_id(int64_t token, const std::string& session, int attempt);

// "<name>.<tag>": where a fenced writer keeps its own copy of `name`.
std::string fenced_name(const std::string& name, const FenceId& fence);
// The token of the tag inside a file name ("epoch_4.pt.f17-ab12cd34-a2", "MANIFEST.f17-...json");
// nullopt for a name without a tag.
std::optional<int64_t> fence_token_in_name(const std::string& file_name);

// How a fenced commit ended: kFenced when the lease named another attempt at commit time.
struct CommitResult {
  Status status;
  bool fenced = false;
  bool ok() const { return status.ok() && !fenced; }
};

// Replaces `path` with `bytes` as the owner of the job. Not fenced: write_atomic. Fenced: the bytes
// go to fenced_name(path) first (the long part, where a stall happens), `still_owner` is asked
// again, and only then does `path` become a link to them (Storage::link_atomic); the tagged name is
// removed after. A writer stalled anywhere before that second question commits nothing. One
// stalled after it links late only if the new owner, starting, did not remove its staged copy
// (remove_older_fenced_files); the file is then this job's result from the same lineage, and the
// owner's own commit, which comes later, replaces it.
CommitResult commit_file(Storage& storage, const std::string& path, std::string_view bytes, const FenceId& fence,
                         const std::function<bool()>& still_owner);


// Removes the files in `dir` whose tag carries a token below `token`: what earlier attempts left
// (a killed one's staged copies, a stale one's late commits). Only the owner calls it, after its
// own commit: a stale writer doing the same removes only names older than itself, never the
// owner's. Returns the paths removed.
Result<std::vector<std::string>> remove_older_fenced_files(Storage& storage, const std::string& dir, int64_t token);

}  // namespace amnl

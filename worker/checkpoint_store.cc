#include "worker/checkpoint_store.h"

#include <algorithm>
#include <cstdint>
#include <tuple>

#include "common/checksum.h"
#include "common/json_fields.h"

namespace amnl::worker {
namespace {


Result<CheckpointKind> kind_from(const std::string& s) {
  if (s == "periodic") return CheckpointKind::kPeriodic;
  if (s == "best") return CheckpointKind::kBest;
  if (s == "emergency") return CheckpointKind::kEmergency;
  return Result<CheckpointKind>::Error("unknown checkpoint kind \"" + s + "\"");
}

bool newer(const CheckpointInfo& a, const CheckpointInfo& b) {
  if (a.epoch != b.epoch) return a.epoch > b.epoch;
  if (a.batch != b.batch) return a.batch > b.batch;
  if (a.attempt != b.attempt) return a.attempt > b.attempt;
  // Same position and attempt (a best and a periodic of one epoch hold the same state): any
  // fixed order will do.
  return a.file < b.file;
}

// Adds `info` to `entries` (replacing an entry of the same file) and takes out what the retention
// policy drops: periodic beyond the newest `keep_last`, any older best. Returns the dropped.
std::vector<CheckpointInfo> add_with_retention(std::vector<CheckpointInfo>& entries, const CheckpointInfo& info,
                                               int keep_last) {
  entries.erase(std::remove_if(entries.begin(), entries.end(),
                               [&](const CheckpointInfo& e) { return e.file == info.file; }),
                entries.end());
  entries.push_back(info);
  std::vector<std::string> drop;
  std::vector<CheckpointInfo> periodic;
  for (const auto& e : entries) {
    if (e.kind == CheckpointKind::kBest && e.file != info.file && info.kind == CheckpointKind::kBest)
      drop.push_back(e.file);
    if (e.kind == CheckpointKind::kPeriodic) periodic.push_back(e);
  }
  std::sort(periodic.begin(), periodic.end(), newer);
  for (size_t i = static_cast<size_t>(std::max(keep_last, 1)); i < periodic.size(); ++i)
    drop.push_back(periodic[i].file);
  std::vector<CheckpointInfo> dropped;
  auto is_dropped = [&](const CheckpointInfo& e) { return std::find(drop.begin(), drop.end(), e.file) != drop.end(); };
  for (const auto& e : entries)
    if (is_dropped(e)) dropped.push_back(e);
  entries.erase(std::remove_if(entries.begin(), entries.end(), is_dropped), entries.end());
  return dropped;
}

bool plain_name(const std::string& f) { return !f.empty() && f.find('/') == std::string::npos && f[0] != '.'; }

// "MANIFEST.<tag>.json" (not .prev): the token of each, highest first.
std::vector<std::pair<int64_t, std::string>> fenced_manifests(const Storage& storage, const std::string& dir) {
  std::vector<std::pair<int64_t, std::string>> out;
  if (!storage.exists(dir)) return out;
  auto files = storage.list_files(dir);
  if (!files.ok()) return out;
  const std::string prefix = "MANIFEST.", suffix = ".json", prev = ".prev.json";
  auto ends_with = [](const std::string& s, const std::string& e) {
    return s.size() >= e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0;
  };
  for (const auto& f : *files) {
    if (f.rfind(prefix, 0) != 0 || !ends_with(f, suffix) || ends_with(f, prev)) continue;
    if (auto t = fence_token_in_name(f)) out.emplace_back(*t, f);
  }
  std::sort(out.rbegin(), out.rend());
  return out;
}

}  // namespace

const char* kind_name(CheckpointKind kind) {
  switch (kind) {
    case CheckpointKind::kPeriodic: return "periodic";
    case CheckpointKind::kBest: return "best";
    case CheckpointKind::kEmergency: return "emergency";
  }
  return "?";
}

std::string checkpoint_file_name(CheckpointKind kind, int epoch) {
  switch (kind) {
    case CheckpointKind::kPeriodic: return "epoch_" + std::to_string(epoch) + ".pt";
    case CheckpointKind::kBest: return "best_epoch_" + std::to_string(epoch) + ".pt";
    case CheckpointKind::kEmergency: return "interrupted.pt";
  }
  return "";
}

CheckpointStore::CheckpointStore(std::shared_ptr<Storage> storage, std::string dir, FenceId fence,
                                 std::function<bool()> still_owner)
    : storage_(std::move(storage)), dir_(std::move(dir)), fence_(std::move(fence)),
      still_owner_(std::move(still_owner)) {}

Result<std::vector<CheckpointInfo>> CheckpointStore::read_manifest(std::string* note) const {
  std::string skipped;
  for (const auto& [token, name] : fenced_manifests(*storage_, dir_)) {
    const std::string previous = name.substr(0, name.size() - 5) + ".prev.json";
    for (const std::string& candidate : {name, previous}) {
      if (candidate == previous && !storage_->exists(path_of(previous))) continue;
      auto m = read_manifest_file(candidate);
      if (m.ok()) {
        if (note && !skipped.empty()) *note = skipped + "using " + path_of(candidate);
        return m;
      }
      skipped += m.message() + "; ";
    }
  }
  auto legacy = read_legacy_manifest(note);
  if (note && !skipped.empty()) *note = skipped + (legacy.ok() ? "using " + path_of(kManifestFile) : *note);
  return legacy;
}

Result<std::vector<CheckpointInfo>> CheckpointStore::read_legacy_manifest(std::string* note) const {
  auto main = read_manifest_file(kManifestFile);
  if (main.ok() || !storage_->exists(path_of(kPreviousManifestFile))) return main;
  auto previous = read_manifest_file(kPreviousManifestFile);
  if (!previous.ok()) return main;
  if (note) *note = main.message() + "; using the previous manifest " + path_of(kPreviousManifestFile);
  return previous;
}

Result<std::vector<CheckpointInfo>> CheckpointStore::read_manifest_file(const std::string& name) const {
  const std::string path = path_of(name);
  auto bytes = storage_->read(path);
  if (bytes.IsNotFound()) return std::vector<CheckpointInfo>{};  // no checkpoint yet
  if (!bytes.ok()) return bytes.status();
  std::vector<CheckpointInfo> out;
  try {
    const auto j = nlohmann::json::parse(*bytes);
    for (const auto& e : j.at(manifest_key::kCheckpoints)) {
      CheckpointInfo info;
      info.file = e.at(manifest_key::kFile).get<std::string>();
      auto kind = kind_from(e.at(manifest_key::kKind).get<std::string>());
      if (!kind.ok()) return Result<std::vector<CheckpointInfo>>::Error(path + ": " + kind.message());
      info.kind = *kind;
      // Numbers must be whole and in range: get<int>() of 1e300 is undefined behaviour, and a
      // negative size or epoch would wrap (found by bench/fuzz/fuzz_manifest).
      for (const auto& [key, lo, hi] : {std::tuple<const char*, int64_t, int64_t>{manifest_key::kEpoch, 0, INT32_MAX},
                                        {manifest_key::kBatch, 0, INT64_MAX}, {manifest_key::kAttempt, 1, INT32_MAX},
                                        {manifest_key::kSize, 0, INT64_MAX}})
        if (!int_field(e, key, lo, hi))
          return Result<std::vector<CheckpointInfo>>::Error(path + ": entry \"" + key + "\" must be a whole number in " +
                                                            std::to_string(lo) + ".." + std::to_string(hi) + ", got " +
                                                            dump_lossy(e.at(key)).substr(0, 40));
      info.epoch = static_cast<int>(*int_field(e, manifest_key::kEpoch));
      info.batch = *int_field(e, manifest_key::kBatch);
      info.attempt = static_cast<int>(*int_field(e, manifest_key::kAttempt));
      info.size = static_cast<uint64_t>(*int_field(e, manifest_key::kSize));
      info.crc32 = e.at(manifest_key::kCrc32).get<std::string>();
      if (e.contains(manifest_key::kStoredAs)) info.stored_as = e.at(manifest_key::kStoredAs).get<std::string>();
      // A manifest names files inside this directory only.
      if (!plain_name(info.file))
        return Result<std::vector<CheckpointInfo>>::Error(path + ": bad file name \"" + info.file + "\"");
      if (e.contains(manifest_key::kStoredAs) && !plain_name(info.stored_as))
        return Result<std::vector<CheckpointInfo>>::Error(path + ": bad file name \"" + info.stored_as + "\"");
      out.push_back(info);
    }
  } catch (const std::exception& e) {
    return Result<std::vector<CheckpointInfo>>::Error(path + ": unreadable manifest: " + e.what());
  }
  return out;
}

Status CheckpointStore::write_manifest(const std::string& name, const std::vector<CheckpointInfo>& entries) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& e : entries) {
    nlohmann::json entry{{manifest_key::kFile, e.file},
                         {manifest_key::kKind, kind_name(e.kind)},
                         {manifest_key::kEpoch, e.epoch},
                         {manifest_key::kBatch, e.batch},
                         {manifest_key::kAttempt, e.attempt},
                         {manifest_key::kSize, e.size},
                         {manifest_key::kCrc32, e.crc32}};
    if (!e.stored_as.empty()) entry[manifest_key::kStoredAs] = e.stored_as;
    list.push_back(entry);
  }
  nlohmann::json manifest{{manifest_key::kCheckpoints, list}};
  if (fence_.fenced()) manifest[manifest_key::kWriter] = fence_.tag;
  return storage_->write_atomic(path_of(name), manifest.dump(1) + "\n");
}

Status CheckpointStore::put(CheckpointInfo info, std::string_view bytes, int keep_last) {
  if (fence_.fenced()) return fenced_if_lost(put_fenced(std::move(info), bytes, keep_last));
  AMNL_RETURN_IF_ERROR(storage_->make_dirs(dir_));
  info.size = bytes.size();
  info.crc32 = crc32_hex(bytes);
  AMNL_RETURN_IF_ERROR(storage_->write_atomic(path_of(info.file), bytes));

  auto current = read_manifest(nullptr);
  // Neither manifest readable: only the older entries' checksums are lost; start a new one.
  std::vector<CheckpointInfo> entries = current.ok() ? *current : std::vector<CheckpointInfo>{};
  if (current.ok()) AMNL_RETURN_IF_ERROR(write_manifest(kPreviousManifestFile, entries));
  const std::vector<CheckpointInfo> dropped = add_with_retention(entries, info, keep_last);
  // The manifest goes first: a crash before the removals leaves unlisted files, never listed
  // files that are gone.
  AMNL_RETURN_IF_ERROR(write_manifest(kManifestFile, entries));
  for (const auto& d : dropped)
    if (storage_->exists(path_of(d.file))) AMNL_RETURN_IF_ERROR(storage_->remove(path_of(d.file)));
  return Status::Ok();
}

std::vector<CheckpointInfo> CheckpointStore::candidates(std::vector<std::string>* notes) const {
  std::string note;
  auto m = read_manifest(&note);
  if (!note.empty() && notes) notes->push_back(note);
  if (!m.ok()) {
    if (notes) notes->push_back(m.message() + "; no checkpoint can be verified");
    return {};
  }
  std::vector<CheckpointInfo> out = *m;
  std::sort(out.begin(), out.end(), newer);
  return out;
}

Result<std::string> CheckpointStore::read_verified(const CheckpointInfo& info) const {
  const std::string path = path_of(info.data_file());
  auto bytes = storage_->read(path);
  if (bytes.IsNotFound()) return Status::NotFound(path + ": listed in the manifest but missing");
  if (!bytes.ok()) return bytes.status();
  if (bytes->size() != info.size)
    return Result<std::string>::Error(path + ": truncated or extended: " + std::to_string(bytes->size()) +
                                      " bytes, manifest says " + std::to_string(info.size));
  const std::string crc = crc32_hex(*bytes);
  if (crc != info.crc32)
    return Result<std::string>::Error(path + ": checksum mismatch: crc32 " + crc + ", manifest says " + info.crc32);
  return bytes;
}

Result<std::vector<std::string>> remove_temporaries(Storage& storage, const std::string& dir) {
  std::vector<std::string> removed;
  if (!storage.exists(dir)) return removed;
  auto files = storage.list_files(dir);
  if (!files.ok()) return files.status();
  for (const std::string& f : *files) {
    if (!is_temporary_name(f)) continue;
    AMNL_RETURN_IF_ERROR(storage.remove(dir + "/" + f));
    removed.push_back(dir + "/" + f);
  }
  return removed;
}

Status CheckpointStore::clear() {
  if (fence_.fenced()) return fenced_if_lost(clear_fenced());
  auto m = read_manifest(nullptr);
  if (m.ok())
    for (const auto& e : *m)
      if (storage_->exists(path_of(e.file))) AMNL_RETURN_IF_ERROR(storage_->remove(path_of(e.file)));
  for (const char* manifest : {kManifestFile, kPreviousManifestFile})
    if (storage_->exists(path_of(manifest))) AMNL_RETURN_IF_ERROR(storage_->remove(path_of(manifest)));
  return Status::Ok();
}

// ---- Fenced commits (the protocol: checkpoint_store.h) ----

bool CheckpointStore::owner() const {
  if (!still_owner_ || still_owner_()) return true;
  lost_lease_ = true;
  return false;
}

Status CheckpointStore::fenced(const std::string& what) const {
  lost_lease_ = true;
  return Status::Error(dir_ + ": " + what + ": a newer attempt owns the job (lease lost)");
}

bool CheckpointStore::own_file(const std::string& name) const {
  const auto t = fence_token_in_name(name);
  return t && *t == fence_.token && name.size() > fence_.tag.size() &&
         name.find(fence_.tag) != std::string::npos;
}

Status CheckpointStore::fenced_if_lost(Status st) const {
  // A step that failed because the new owner removed this attempt's files (its clean-up of older
  // tokens) is the lost lease, not a storage failure of the job.
  if (!st.ok() && !lost_lease_) (void)owner();  // sets lost_lease_ when another attempt owns the job
  return st;
}

Status CheckpointStore::take_over(std::vector<std::string>* notes) {
  if (!fence_.fenced() || taken_over_) return Status::Ok();
  return fenced_if_lost(take_over_once(notes));
}

Status CheckpointStore::take_over_once(std::vector<std::string>* notes) {
  if (!owner()) return fenced("checkpoints not taken over");
  AMNL_RETURN_IF_ERROR(storage_->make_dirs(dir_));
  std::string note;
  auto head = read_manifest(&note);
  if (!note.empty() && notes) notes->push_back(note);
  std::vector<CheckpointInfo> entries = head.ok() ? *head : std::vector<CheckpointInfo>{};
  // Own names for every inherited file: an older attempt may still rename over or remove its own.
  for (auto& e : entries) {
    if (own_file(e.data_file())) continue;
    const std::string mine = fenced_name(e.file, fence_);
    Status linked = storage_->exists(path_of(e.data_file()))
                        ? storage_->link_atomic(path_of(e.data_file()), path_of(mine))
                        : Status::Error(path_of(e.data_file()) + ": listed in the manifest but missing");
    if (linked.ok()) e.stored_as = mine;
    else if (notes) notes->push_back("not taking over " + e.file + ": " + linked.message());
  }
  if (!owner()) return fenced("checkpoints not taken over");
  AMNL_RETURN_IF_ERROR(write_manifest(own_manifest(), entries));
  taken_over_ = true;
  return publish(entries, {});
}

Status CheckpointStore::put_fenced(CheckpointInfo info, std::string_view bytes, int keep_last) {
  if (!owner()) return fenced("checkpoint " + info.file + " not written");
  AMNL_RETURN_IF_ERROR(take_over());
  info.size = bytes.size();
  info.crc32 = crc32_hex(bytes);
  info.stored_as = fenced_name(info.file, fence_);
  // The long write, under a name only this attempt uses: a stall in it is caught just below.
  AMNL_RETURN_IF_ERROR(storage_->write_atomic(path_of(info.stored_as), bytes));
  auto current = read_manifest_file(own_manifest());
  if (!current.ok()) current = read_manifest_file(own_previous_manifest());
  std::vector<CheckpointInfo> entries = current.ok() ? *current : std::vector<CheckpointInfo>{};
  const std::vector<CheckpointInfo> before = entries;
  const std::vector<CheckpointInfo> dropped = add_with_retention(entries, info, keep_last);
  if (!owner()) {
    (void)storage_->remove(path_of(info.stored_as));  // our own name: nobody else reads it
    return fenced("checkpoint " + info.file + " not committed");
  }
  if (current.ok()) AMNL_RETURN_IF_ERROR(write_manifest(own_previous_manifest(), before));
  AMNL_RETURN_IF_ERROR(write_manifest(own_manifest(), entries));
  for (const auto& d : dropped)
    if (own_file(d.data_file()) && storage_->exists(path_of(d.data_file())))
      AMNL_RETURN_IF_ERROR(storage_->remove(path_of(d.data_file())));
  return publish(entries, dropped);
}

// Step 5: the user-visible names, re-linked for every entry (which also repairs an alias that a
// stale writer re-pointed in the window), then the files of older tokens go.
Status CheckpointStore::publish(const std::vector<CheckpointInfo>& entries,
                                const std::vector<CheckpointInfo>& dropped) {
  if (!owner()) return fenced("checkpoints not published");
  for (const auto& e : entries)
    if (own_file(e.data_file())) AMNL_RETURN_IF_ERROR(storage_->link_atomic(path_of(e.data_file()), path_of(e.file)));
  for (const auto& d : dropped)
    if (storage_->exists(path_of(d.file))) AMNL_RETURN_IF_ERROR(storage_->remove(path_of(d.file)));
  AMNL_RETURN_IF_ERROR(storage_->link_atomic(path_of(own_manifest()), path_of(kManifestFile)));
  if (storage_->exists(path_of(kPreviousManifestFile)))
    AMNL_RETURN_IF_ERROR(storage_->remove(path_of(kPreviousManifestFile)));
  return remove_older_fenced_files(*storage_, dir_, fence_.token).status();
}

Status CheckpointStore::clear_fenced() {
  if (!owner()) return fenced("checkpoints not cleared");
  AMNL_RETURN_IF_ERROR(storage_->make_dirs(dir_));
  auto head = read_manifest(nullptr);
  std::vector<CheckpointInfo> gone = head.ok() ? *head : std::vector<CheckpointInfo>{};
  // An empty own manifest first: it outranks every older lineage, so none is resumed later.
  AMNL_RETURN_IF_ERROR(write_manifest(own_manifest(), {}));
  if (storage_->exists(path_of(own_previous_manifest())))
    AMNL_RETURN_IF_ERROR(storage_->remove(path_of(own_previous_manifest())));
  taken_over_ = true;
  for (const auto& e : gone)
    if (own_file(e.data_file()) && storage_->exists(path_of(e.data_file())))
      AMNL_RETURN_IF_ERROR(storage_->remove(path_of(e.data_file())));
  return publish({}, gone);
}

}  // namespace amnl::worker

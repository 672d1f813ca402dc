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

CheckpointStore::CheckpointStore(std::shared_ptr<Storage> storage, std::string dir)
    : storage_(std::move(storage)), dir_(std::move(dir)) {}

Result<std::vector<CheckpointInfo>> CheckpointStore::read_manifest(std::string* note) const {
  auto main = read_manifest_file(kManifestFile);
  if (main.ok() || !storage_->exists(path_of(kPreviousManifestFile))) return main;
  auto previous = read_manifest_file(kPreviousManifestFile);
  if (!previous.ok()) return main;
  if (note) *note = main.message() + "; using the previous manifest " + path_of(kPreviousManifestFile);
  return previous;
}

Result<std::vector<CheckpointInfo>> CheckpointStore::read_manifest_file(const std::string& name) const {
  const std::string path = path_of(name);
  if (!storage_->exists(path)) return std::vector<CheckpointInfo>{};
  auto bytes = storage_->read(path);
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
      // A manifest names files inside this directory only.
      if (info.file.empty() || info.file.find('/') != std::string::npos || info.file[0] == '.')
        return Result<std::vector<CheckpointInfo>>::Error(path + ": bad file name \"" + info.file + "\"");
      out.push_back(info);
    }
  } catch (const std::exception& e) {
    return Result<std::vector<CheckpointInfo>>::Error(path + ": unreadable manifest: " + e.what());
  }
  return out;
}

Status CheckpointStore::write_manifest(const std::string& name, const std::vector<CheckpointInfo>& entries) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& e : entries)
    list.push_back({{manifest_key::kFile, e.file},
                    {manifest_key::kKind, kind_name(e.kind)},
                    {manifest_key::kEpoch, e.epoch},
                    {manifest_key::kBatch, e.batch},
                    {manifest_key::kAttempt, e.attempt},
                    {manifest_key::kSize, e.size},
                    {manifest_key::kCrc32, e.crc32}});
  return storage_->write_atomic(path_of(name), nlohmann::json({{manifest_key::kCheckpoints, list}}).dump(1) + "\n");
}

Status CheckpointStore::put(CheckpointInfo info, std::string_view bytes, int keep_last) {
  AMNL_RETURN_IF_ERROR(storage_->make_dirs(dir_));
  info.size = bytes.size();
  info.crc32 = crc32_hex(bytes);
  AMNL_RETURN_IF_ERROR(storage_->write_atomic(path_of(info.file), bytes));

  auto current = read_manifest(nullptr);
  // Neither manifest readable: only the older entries' checksums are lost; start a new one.
  std::vector<CheckpointInfo> entries = current.ok() ? *current : std::vector<CheckpointInfo>{};
  if (current.ok()) AMNL_RETURN_IF_ERROR(write_manifest(kPreviousManifestFile, entries));
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
  entries.erase(std::remove_if(entries.begin(), entries.end(),
                               [&](const CheckpointInfo& e) {
                                 return std::find(drop.begin(), drop.end(), e.file) != drop.end();
                               }),
                entries.end());
  // The manifest goes first: a crash before the removals leaves unlisted files, never listed
  // files that are gone.
  AMNL_RETURN_IF_ERROR(write_manifest(kManifestFile, entries));
  for (const auto& f : drop)
    if (storage_->exists(path_of(f))) AMNL_RETURN_IF_ERROR(storage_->remove(path_of(f)));
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
  const std::string path = path_of(info.file);
  if (!storage_->exists(path)) return Result<std::string>::Error(path + ": listed in the manifest but missing");
  auto bytes = storage_->read(path);
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
  auto m = read_manifest(nullptr);
  if (m.ok())
    for (const auto& e : *m)
      if (storage_->exists(path_of(e.file))) AMNL_RETURN_IF_ERROR(storage_->remove(path_of(e.file)));
  for (const char* manifest : {kManifestFile, kPreviousManifestFile})
    if (storage_->exists(path_of(manifest))) AMNL_RETURN_IF_ERROR(storage_->remove(path_of(manifest)));
  return Status::Ok();
}

}  // namespace amnl::worker

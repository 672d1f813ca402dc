#pragma once
// A Storage held in memory, for fuzz targets: no file system, so an iteration costs microseconds
// and leaves nothing behind.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/storage.h"

namespace amnl::fuzz {

class MemoryStorage final : public Storage {
 public:
  Status write_atomic(const std::string& path, std::string_view bytes) override {
    files_[path] = std::string(bytes);
    return Status::Ok();
  }
  Status append(const std::string& path, std::string_view bytes) override {
    files_[path].append(bytes);
    return Status::Ok();
  }
  Result<std::string> read(const std::string& path) const override {
    auto it = files_.find(path);
    if (it == files_.end()) return Status::NotFound(path + ": no such file");
    return it->second;
  }
  bool exists(const std::string& path) const override { return files_.count(path) > 0; }
  Result<std::vector<std::string>> list_files(const std::string& dir) const override {
    std::vector<std::string> out;
    const std::string prefix = dir + "/";
    for (const auto& [path, bytes] : files_)
      if (path.compare(0, prefix.size(), prefix) == 0 && path.find('/', prefix.size()) == std::string::npos)
        out.push_back(path.substr(prefix.size()));
    return out;
  }
  Status remove(const std::string& path) override {
    files_.erase(path);
    return Status::Ok();
  }
  Status make_dirs(const std::string&) override { return Status::Ok(); }
  Status link_atomic(const std::string& from, const std::string& to) override {
    auto it = files_.find(from);
    if (it == files_.end()) return Status::NotFound(from + ": no such file");
    files_[to] = it->second;
    return Status::Ok();
  }

 private:
  std::map<std::string, std::string> files_;
};

}  // namespace amnl::fuzz

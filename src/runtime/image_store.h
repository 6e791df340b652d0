// The runtime's local images: DATA_DIR/images/KEY.wasm with KEY.ref holding
// the reference (KEY is the reference with / : @ replaced by _, as in the
// seed's cache). References are registry names or local module files (an
// absolute path or file:///path); a file is copied in, so an instance never
// depends on the file changing later. Registry references are pulled by the
// registry client into the OCI layout DATA_DIR/oci (credentials: inline, then
// DATA_DIR/auth.json, then ~/.docker/config.json) and their module is
// extracted here.
#pragma once

#include <filesystem>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "wasmlet/runtime/types.h"

namespace wasmlet::runtime {

class ImageStore {
 public:
  // `dir`: the extracted modules; `data_dir`: where the OCI store and logins live.
  ImageStore(std::filesystem::path dir, std::filesystem::path data_dir);

  // Makes `reference` available locally per `policy` and returns the module file.
  std::filesystem::path pull(const std::string& reference, PullPolicy policy, const std::optional<RegistryAuth>& auth);
  std::optional<std::filesystem::path> find(const std::string& reference);
  // Stores `bytes` under `reference` (tests, `load`).
  std::filesystem::path import(const std::string& reference, const std::vector<uint8_t>& bytes);

  std::vector<ImageInfo> list();
  void remove(const std::string& reference);
  // Removes every image whose module file is not in `in_use`.
  PruneResult prune(const std::set<std::filesystem::path>& in_use);
  void tag(const std::string& source, const std::string& target);

  static std::string cache_key(const std::string& reference);
  // "file:///x.wasm" or "/x.wasm" -> the path; nullopt for registry references.
  static std::optional<std::filesystem::path> local_file(const std::string& reference);

 private:
  std::filesystem::path path_for(const std::string& reference) const;
  std::filesystem::path store_file(const std::string& reference, const std::filesystem::path& from);
  std::filesystem::path pull_remote(const std::string& reference, PullPolicy policy, const std::optional<RegistryAuth>& auth);
  std::filesystem::path write_module(const std::string& reference, std::string_view bytes);

  std::filesystem::path dir_;
  std::filesystem::path data_dir_;
  std::mutex mu_;
};

}  // namespace wasmlet::runtime

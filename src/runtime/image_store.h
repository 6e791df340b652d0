// The runtime's local images. Modules are stored once per digest,
// DATA_DIR/images/sha256-HEX.wasm (the manifest digest of a registry image,
// the content digest of a module file), so that two references can never
// share a file unless they name the same image, and a re-pulled tag does
// not change the module under an instance already created from it. Each
// reference maps to its digest in DATA_DIR/images/refs/H.ref (H: the SHA-256
// of the reference text; the file holds the reference and the digest).
// References are registry names or local module files (an absolute path or
// file:///path); a file is copied in, so an instance never depends on the
// file changing later. Registry references are pulled by the registry client
// into the OCI layout DATA_DIR/oci (credentials: inline, then
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

  // "file:///x.wasm" or "/x.wasm" -> the path; nullopt for registry references.
  static std::optional<std::filesystem::path> local_file(const std::string& reference);

 private:
  struct Entry {
    std::string reference, digest;
  };
  std::filesystem::path ref_file(const std::string& reference) const;
  std::filesystem::path module_file(const std::string& digest) const;
  std::optional<Entry> read_entry(const std::filesystem::path& ref_file) const;
  std::vector<Entry> entries() const;
  // The module file of `reference` if it is stored.
  std::optional<std::filesystem::path> stored(const std::string& reference) const;
  std::filesystem::path store_file(const std::string& reference, const std::filesystem::path& from);
  std::filesystem::path pull_remote(const std::string& reference, PullPolicy policy, const std::optional<RegistryAuth>& auth);
  // Writes the module (unless that digest is stored) and points `reference` at it.
  std::filesystem::path write_module(const std::string& reference, const std::string& digest, std::string_view bytes);
  void write_entry(const std::string& reference, const std::string& digest);
  // Forgets `reference`; deletes its module file when no other reference names it.
  bool remove_locked(const std::string& reference, uint64_t* freed = nullptr);

  std::filesystem::path dir_;
  std::filesystem::path data_dir_;
  std::mutex mu_;
};

}  // namespace wasmlet::runtime

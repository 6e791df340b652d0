// The parts of an OCI bundle's config.json that a wasm container uses
// (runtime-spec 1.x): the process, the rootfs, bind mounts, resources,
// cgroupsPath, namespaces to join, annotations.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace wasmlet::oci {

struct BindMount {
  std::filesystem::path source;  // on the host
  std::string destination;       // in the container
  bool read_only = false;
};

struct NamespaceToJoin {
  std::string type;  // "network", "ipc", "uts", ...
  std::filesystem::path path;
};

struct Resources {
  std::optional<int64_t> memory_limit;  // bytes
  std::optional<uint64_t> cpu_shares;
  std::optional<int64_t> cpu_quota;
  std::optional<uint64_t> cpu_period;
  std::optional<int64_t> pids_limit;
};

struct BundleConfig {
  std::filesystem::path bundle;  // absolute
  std::filesystem::path rootfs;  // absolute
  bool rootfs_read_only = false;
  bool terminal = false;
  std::vector<std::string> args, env;
  std::string cwd = "/";
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> additional_gids;
  std::vector<BindMount> binds;
  std::vector<NamespaceToJoin> namespaces;
  Resources resources;
  std::string cgroups_path;
  std::map<std::string, std::string> annotations;
};

// Reads BUNDLE/config.json. Throws Error naming the file and the field that
// is missing or malformed.
BundleConfig read_bundle(const std::filesystem::path& bundle);

}  // namespace wasmlet::oci

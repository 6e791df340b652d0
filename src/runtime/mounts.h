// Storage from the spec turned into WASI preopens:
//   bind    -> the host directory itself (must exist)
//   named   -> DATA_DIR/volumes/NAME, created on first use, kept after remove
//   tmpfs   -> a private directory DATA_DIR/tmpfs/INSTANCE/N, removed with the instance
//   (a `size` on either is the preopen's max_bytes: writes past it are nospc;
//   a named volume's size is the volume's, src/runtime/volume_sizes.h)
//   anonymous, s3 -> rejected with a message saying why
// wasm.preopens (zlayer's WasmPreopen) are bind mounts by another name.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "wasmlet/runtime/spec.h"
#include "wasmlet/wasi.h"

namespace wasmlet::runtime {

struct MountPlan {
  struct NamedVolume {
    size_t preopen;  // its index in `preopens`
    std::string name;
  };
  std::vector<Preopen> preopens;
  std::vector<NamedVolume> volumes;
  std::filesystem::path data_dir;
  std::vector<std::filesystem::path> owned_dirs;  // tmpfs dirs to delete on remove
  std::vector<std::filesystem::path> made_dirs;   // named volume and tmpfs dirs, created at start
  std::vector<std::string> descriptions;          // for inspect
};

// Checks every mount of `spec` and says what it will be; creates nothing.
// Throws RuntimeError(InvalidSpec) naming the instance and the mount (a
// named volume given two different sizes in the spec is one: it has one).
MountPlan plan_mounts(const ServiceSpec& spec, const std::string& instance, const std::filesystem::path& data_dir);
// Creates named volume and tmpfs directories of the plan. A bind source
// (the user's directory) is never created: one that has gone since create
// is an error naming the instance and the directory. Returns the preopens
// to run with: a named volume mounted with a `size` records it as the
// volume's; one mounted without gets the size the spec gives the volume on
// another mount (in any order), else the size recorded for the volume, so
// every mount of a sized volume is bounded.
std::vector<Preopen> prepare_mounts(const MountPlan& plan, const std::string& instance);
// Deletes the instance's tmpfs directories, however deep the guest made
// them. Throws RuntimeError(Internal) naming the instance and the directory
// when something is left on the host.
void release_mounts(const std::string& instance, const std::filesystem::path& data_dir);
// Deletes the named volume NAME and everything in it (at any depth); throws
// RuntimeError(Internal) naming it when it cannot.
void remove_named_volume(const std::string& name, const std::filesystem::path& data_dir);

}  // namespace wasmlet::runtime

// Which containers are WebAssembly: process.args[0] resolves inside the
// rootfs to a file that starts with the wasm magic, or an annotation says so
// (module.wasm.image/variant=compat, run.oci.handler=wasm). Everything else
// is a Linux container and goes to the real runc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "oci/bundle.h"
#include "wasi_sys/unique_fd.h"

namespace wasmlet::oci {

struct WasmEntry {
  std::string guest_path;  // the module's path inside the container (argv[0])
  // The module's file, open: read by the container process once it is in
  // the container's cgroups (read_module), so that the module's bytes and
  // its compile count against the container's limits, not its caller's.
  wasi_sys::UniqueFd file;
};

// The module process.args[0] names, if it is one. args[0] without a slash is
// looked up in the PATH of process.env (as execvp would), relative paths from
// process.cwd. Symlinks resolve inside the rootfs, never out of it.
std::optional<WasmEntry> find_wasm_entry(const BundleConfig& config);

// The module's bytes (at most 1 GiB); throws Error naming it if it cannot
// be read whole or is no longer a module.
std::vector<uint8_t> read_module(const WasmEntry& entry);

// An annotation marks the container as wasm (even if args[0] is not found).
bool annotated_as_wasm(const BundleConfig& config);

}  // namespace wasmlet::oci

// A spec's image -> the module file an instance runs, through the one image
// store (wasmlet/registry/image_store.h, DATA_DIR/oci). Registry references
// are pulled per the pull policy (credentials: inline, then
// DATA_DIR/auth.json, then ~/.docker/config.json); local module files
// (an absolute path or file:///path) are copied in under their name, so an
// instance never depends on the file changing later.
#pragma once

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>

#include "wasmlet/registry/image_store.h"
#include "wasmlet/runtime/types.h"

namespace wasmlet::runtime {

std::filesystem::path pull_module(registry::ImageStore& store, const std::filesystem::path& data_dir,
                                  const std::string& reference, PullPolicy policy, const std::optional<RegistryAuth>& auth,
                                  const std::atomic<bool>* cancel = nullptr);

// Runs `op`, turning the image store's errors into RuntimeErrors naming `reference`.
template <class F>
auto with_image_errors(const std::string& reference, F&& op) -> decltype(op());
[[noreturn]] void rethrow_image_error(const std::string& reference);

template <class F>
auto with_image_errors(const std::string& reference, F&& op) -> decltype(op()) {
  try {
    return op();
  } catch (const RuntimeError&) {
    throw;
  } catch (const Error&) {
    rethrow_image_error(reference);
  }
}

}  // namespace wasmlet::runtime

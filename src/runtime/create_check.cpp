// WasmRuntime::check_create: what create refuses, checked without recording
// anything, so that `up` keeps a running instance whose new spec cannot be
// created (a bind source that does not exist, an image that cannot be had).
#include <fmt/format.h>

#include "capabilities.h"
#include "mounts.h"
#include "wasmlet/runtime/wasm_runtime.h"

namespace wasmlet::runtime {

void WasmRuntime::check_create(const InstanceId& id, const ServiceSpec& spec) {
  const std::string name = id.str();
  check_capabilities(spec, effective_capabilities(spec), name);
  plan_mounts(spec, name, config().data_dir);
  try {
    // The image store keeps what this pulls: create then finds it there.
    pull(spec.image.name, spec.image.pull_policy);
  } catch (const RuntimeError& e) {
    throw RuntimeError(e.kind(), fmt::format("instance {}: {}", name, e.what()));
  }
}

}  // namespace wasmlet::runtime

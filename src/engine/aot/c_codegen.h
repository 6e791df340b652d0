// wasm -> C for the AOT tier: wabt's C writer (in process) for the module,
// plus wasmlet's glue (its wasm-rt implementation and a per-module shim that
// exports one uniform entry table, see aot_abi.h).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "wasmlet/error.h"

namespace wasmlet::detail::aot {

struct CSources {
  std::string module_c;  // wasm2c's output
  std::string module_h;  // its header, included as "module.h"
  std::string glue_c;    // wasm_rt_runtime.c + the shim
};

// Why wabt 1.0.32's C writer cannot compile this module (SIMD, threads,
// exceptions, tail calls, typed function references, memory64, reference
// types at the host boundary or in imported globals), or nullopt.
std::optional<std::string> unsupported_feature(std::span<const uint8_t> wasm);

// Thrown by generate_c for a module unsupported_feature() refuses.
class UnsupportedFeature : public CompileError {
 public:
  UnsupportedFeature(const std::string& module, std::string feature)
      : CompileError(module + ": the AOT tier cannot compile modules that use " + feature), feature_(std::move(feature)) {}
  const std::string& feature() const { return feature_; }

 private:
  std::string feature_;
};

// Which checks the compiled code keeps (docs/aot.md, "Two builds").
enum class Checks {
  Fuel,  // the metering rewrite's checks: fuel, and interrupts/timeouts at every check point
  None,  // no checks: interrupts and timeouts arrive as a signal (interrupt_watch.h)
};

// Generates the C sources. `key` is stamped into the artifact. Throws
// UnsupportedFeature, or CompileError if the module cannot be translated.
CSources generate_c(std::span<const uint8_t> wasm, const std::string& name, const std::string& key, Checks checks);

}  // namespace wasmlet::detail::aot

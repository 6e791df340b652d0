// (b) The AOT tier's C generation (src/engine/aot/c_codegen.cpp) on every
// module that validates: the metered binary the tier would compile is
// translated to C (both builds, with and without fuel checks). The C is not
// compiled here (too slow for a fuzzer; the tier-parity test compiles and runs
// what generates). Refusals must be CompileErrors naming the reason.
// (c) The hot-code emitter (src/engine/hot/hot_emitter.cpp) on every
// function of every module that validates: each is written as C++ or left
// out with a reason, never a crash (not compiled here either; the spec
// suite runs through it, ctest spec/hot/*).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/access.h"
#include "engine/aot/c_codegen.h"
#include "engine/hot/hot_emitter.h"
#include "engine/tier.h"
#include "fuzz_support.h"
#include "wasmlet/engine.h"
#include "wasmlet/error.h"
#include "wasmlet/module.h"

using namespace wasmlet;
namespace aot = wasmlet::detail::aot;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Engine engine(EngineConfig{.tier = Tier::Interpreter, .on_note = [](const std::string&) {}});
  std::optional<Module> module;
  std::vector<uint8_t> metered;
  try {
    module = Module::compile(engine, {data, size}, "fuzz.wasm");
    metered = detail::metered_binary(detail::Access::impl(*module));
  } catch (const CompileError&) {
    return 0;
  }
  const auto& impl = detail::Access::impl(*module);
  std::vector<uint32_t> all(impl.decoded->bodies.size());
  for (uint32_t i = 0; i < all.size(); ++i) all[i] = i;
  const auto hot = detail::hot::emit_module(*impl.decoded, *impl.bytes, all);
  if (hot.compiled.size() + hot.left_out.size() != all.size())
    wasmlet::fuzz::fail("the hot-code emitter neither wrote nor left out some function");
  if (aot::unsupported_feature(metered)) return 0;  // the tier runs these in the interpreter
  try {
    const aot::Checks checks = size % 2 ? aot::Checks::Fuel : aot::Checks::None;
    const aot::CSources c = aot::generate_c(metered, "fuzz.wasm", "fuzz-key", checks);
    if (c.module_c.empty() || c.module_h.empty() || c.glue_c.empty()) wasmlet::fuzz::fail("generate_c returned empty sources");
  } catch (const CompileError&) {
  }
  return 0;
}

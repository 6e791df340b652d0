// Splits the module's C (wasm2c's output, after c_codegen's patches) into
// translation units that compile in parallel and each within a bounded
// amount of the compiler's memory (docs/aot.md, "Large modules"). The first
// unit keeps everything but the guest functions (the module's data, its
// set-up code, the exports); the others get the guest functions, in index
// order, a few MiB of C each, with the declarations they use. A huge
// function gets a unit of its own, compiled at a lower optimisation level.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace wasmlet::detail::aot {

struct SplitOptions {
  size_t unit_bytes;            // C per unit (a module with less C stays one unit)
  size_t huge_function_bytes;   // a function with more C is compiled at -O1 at most
};

// From the environment (WASMLET_AOT_UNIT_BYTES, for tests and measurements)
// or the defaults; part of the cache key.
SplitOptions split_options();

struct TranslationUnit {
  std::string text;
  int max_opt_level = 3;  // 1 for a unit holding a huge function
};

// Throws CompileError if the C does not have the shape c_codegen makes.
std::vector<TranslationUnit> split_module_c(const std::string& module_c, const SplitOptions& options);

}  // namespace wasmlet::detail::aot

// Writes a module's hot functions as C++ source that runs on the
// interpreter's own objects (hot_abi.h): the same frame layout for
// arguments and results, the same fuel check points and costs (the
// translator's cost model), the same trap kinds and messages, the same
// numeric operations (fast/numeric.def and numeric.h, compiled into the
// source). Operands live in C++ variables named after their stack depth, so
// the C++ compiler allocates registers for them.
//
// A function that uses something native code does not do yet (SIMD, tail
// calls, reference types and tables besides call_indirect, passive
// segments, more than one memory, block parameters of an `if`), or whose
// C++ would be too large to be worth compiling, is left out and stays
// interpreted; calls between the two kinds go through the runtime.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/decode/decoded_module.h"

namespace wasmlet::detail::hot {

// The C++ name of defined function `defined_index`'s native code.
std::string native_symbol(uint32_t defined_index);

struct EmittedUnit {
  std::string text;    // without the prelude
  bool large = false;  // one large function: compile it with less optimisation
};

struct EmittedModule {
  std::vector<EmittedUnit> units;        // translation units; the last exports the library
  std::vector<uint32_t> compiled;        // the defined indices whose code is in `units`
  std::vector<uint32_t> left_out;        // the defined indices of the others asked for
  std::vector<std::string> reasons;      // "func[N]: why", one per left_out
};

// Emits the functions `wanted` (defined indices) of a validated module, in
// translation units of about `unit_bytes` of C++ each (compiled in parallel).
EmittedModule emit_module(const decode::Module& module, std::span<const uint8_t> bytes,
                          std::span<const uint32_t> wanted, size_t unit_bytes = size_t{2} << 20);

}  // namespace wasmlet::detail::hot

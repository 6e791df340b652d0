// Translates one function body into the fast interpreter's code (code.h),
// in one pass driven by the validator's step API: the operand stack is
// tracked at translation time as frame slots, so each instruction names the
// slots it reads and writes. Along the way it
// - defers local.get and constants until an instruction consumes them, so
//   `local.get a; local.get b; i32.add` reads the locals' own slots, and a
//   constant right operand becomes an immediate (the `_ri` forms);
// - writes a result straight into the local a following local.set names;
// - fuses a comparison with the br_if or if that consumes it;
// - places the fuel check points of the cost model (metering_rewrite.cpp):
//   at function entry and loop headers, charging 1 + the instructions up
//   to the end of the function or loop body, nested loop bodies excluded.
#pragma once

#include <cstdint>
#include <span>

#include "engine/decode/decoded_module.h"
#include "engine/fast/code.h"

namespace wasmlet::detail::fast {

// While one lives, functions this thread translates fuse nothing: each wasm
// instruction becomes its own instructions, as if a branch landed before
// every one. Differential tests (fuzz/fusion_fuzzer.cpp) run the same code
// fused and plain and compare results, traps, fuel and memory.
class PlainTranslation {
 public:
  PlainTranslation();
  ~PlainTranslation();
  PlainTranslation(const PlainTranslation&) = delete;
  PlainTranslation& operator=(const PlainTranslation&) = delete;
};

// Throws decode::DecodeError if the body is invalid (it was validated when
// the module was compiled, so only on an internal error).
void translate_function(const decode::Module& module, std::span<const uint8_t> bytes, uint32_t defined_index,
                        Code& out);

}  // namespace wasmlet::detail::fast

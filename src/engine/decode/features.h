// The proposals beyond WebAssembly 2.0 that the decoder accepts. All are on
// for wasmlet; the spec test runner turns one off to check the core files
// whose encodings a proposal changes (multi-memory reads a memory index
// where the core format requires a zero byte).
#pragma once

namespace wasmlet::decode {

struct Features {
  bool tail_call = true;       // return_call, return_call_indirect
  bool extended_const = true;  // i32/i64 add, sub, mul in constant expressions
  bool multi_memory = true;    // more than one memory; memory indices in instructions
};

}  // namespace wasmlet::decode

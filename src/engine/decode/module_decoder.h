// Decodes and validates a whole core module in one pass over its bytes:
// header, every section in order, every function body (FunctionValidator).
// The result refers to `wasm` by byte ranges; the caller keeps the bytes.
#pragma once

#include <cstdint>
#include <span>

#include "engine/decode/decoded_module.h"
#include "engine/decode/features.h"

namespace wasmlet::decode {

// Throws DecodeError (malformed, invalid or over a limit) naming the offset.
Module decode_module(std::span<const uint8_t> wasm, const Features& features = {});

}  // namespace wasmlet::decode

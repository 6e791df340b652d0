// What kind of WebAssembly binary a file holds, judged from its header alone
// (the rules of the seed's detector): a core module, a component, or neither.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace wasmlet {

enum class BinaryKind { CoreModule, Component, Unknown };

struct BinaryKindResult {
  BinaryKind kind;
  std::string reason;  // why it is Unknown ("empty file", "bad magic"...)
};

// \0asm, version 1, first section id 0x00..0x0c -> core module;
// \0asm, version >= 0x0d -> component; anything else -> unknown.
BinaryKindResult detect_binary_kind(std::span<const uint8_t> bytes);
const char* to_string(BinaryKind kind);

}  // namespace wasmlet

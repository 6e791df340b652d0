#include "wasmlet/binary_kind.h"

#include <cstring>

#include <fmt/format.h>

namespace wasmlet {

const char* to_string(BinaryKind kind) {
  switch (kind) {
    case BinaryKind::CoreModule: return "core module";
    case BinaryKind::Component: return "component";
    case BinaryKind::Unknown: return "unknown";
  }
  return "unknown";
}

BinaryKindResult detect_binary_kind(std::span<const uint8_t> bytes) {
  static constexpr uint8_t kMagic[4] = {0x00, 0x61, 0x73, 0x6d};
  if (bytes.empty()) return {BinaryKind::Unknown, "the file is empty"};
  size_t magic_len = bytes.size() < 4 ? bytes.size() : 4;
  if (std::memcmp(bytes.data(), kMagic, magic_len) != 0)
    return {BinaryKind::Unknown, "not a WebAssembly binary (missing the \\0asm magic)"};
  if (bytes.size() < 8)
    return {BinaryKind::Unknown, fmt::format("truncated: {} bytes, shorter than the 8-byte header", bytes.size())};
  // Bytes 4-5: version, bytes 6-7: layer (0 = core module, 1 = component).
  uint16_t version = static_cast<uint16_t>(bytes[4] | (bytes[5] << 8));
  if (version >= 0x0d) return {BinaryKind::Component, ""};
  if (version != 1)
    return {BinaryKind::Unknown, fmt::format("unsupported WebAssembly version {}", version)};
  // The header alone is a valid, empty module (the spec's binary.wast
  // instantiates one); it has nothing to run, which the runners report.
  if (bytes.size() > 8 && bytes[8] > 0x0c)
    return {BinaryKind::Unknown, fmt::format("invalid first section id {:#04x} for a core module", bytes[8])};
  return {BinaryKind::CoreModule, ""};
}

}  // namespace wasmlet

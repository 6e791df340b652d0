// UTF-8 well-formedness (RFC 3629): module and component names, plugin
// input and output, and guest output the daemon puts into JSON all ask it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace wasmlet::util {

// True if `bytes` is well-formed UTF-8 (no overlong forms, surrogates or
// code points past U+10FFFF); otherwise *bad_offset is the first bad byte.
bool valid_utf8(std::span<const uint8_t> bytes, size_t* bad_offset = nullptr);

inline bool valid_utf8(std::string_view text, size_t* bad_offset = nullptr) {
  return valid_utf8(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()), bad_offset);
}

}  // namespace wasmlet::util

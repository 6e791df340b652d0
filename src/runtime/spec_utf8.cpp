// Spec files are UTF-8 (YAML's encoding, and JSON's, in which the CLI sends
// them to the daemon): a file in another encoding is refused naming the
// file, the line and the byte, before any parser sees it.
#include <fmt/format.h>

#include "wasmlet/runtime/spec.h"

namespace wasmlet::runtime {

namespace {

// The length of the valid UTF-8 sequence at text[i], or 0 (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF).
size_t utf8_sequence(std::string_view text, size_t i) {
  auto byte = [&](size_t k) { return k < text.size() ? static_cast<unsigned char>(text[k]) : 0u; };
  auto cont = [&](size_t k) { return (byte(k) & 0xC0) == 0x80; };
  unsigned char c = byte(i);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    unsigned char c1 = byte(i + 1);
    bool ok = (c == 0xE0 ? c1 >= 0xA0 && c1 <= 0xBF : c == 0xED ? c1 >= 0x80 && c1 <= 0x9F : cont(i + 1));
    return ok && cont(i + 2) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    unsigned char c1 = byte(i + 1);
    bool ok = (c == 0xF0 ? c1 >= 0x90 && c1 <= 0xBF : c == 0xF4 ? c1 >= 0x80 && c1 <= 0x8F : cont(i + 1));
    return ok && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

}  // namespace

void check_spec_utf8(std::string_view text, const std::string& source) {
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < text.size();) {
    size_t n = utf8_sequence(text, i);
    if (n == 0)
      throw RuntimeError(RuntimeError::Kind::InvalidSpec,
                         fmt::format("{}:{}: a spec file must be UTF-8 text, but byte 0x{:02x} (column {}) is not UTF-8; "
                                     "save the file as UTF-8 (from Latin-1: iconv -f latin1 -t utf-8)",
                                     source, line, static_cast<unsigned char>(text[i]), i - line_start + 1));
    if (text[i] == '\n') ++line, line_start = i + 1;
    i += n;
  }
}

}  // namespace wasmlet::runtime

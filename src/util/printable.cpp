#include "util/printable.h"

#include <fmt/format.h>

namespace wasmlet::util {

std::string printable(std::string_view text, size_t max) {
  std::string out;
  for (size_t i = 0; i < text.size() && out.size() < max; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) out += static_cast<char>(c);
    else if (c == '\n') out += "\\n";
    else out += fmt::format("\\x{:02x}", c);
  }
  if (out.size() >= max) out += "...";
  return out;
}

namespace {

// The length of the valid UTF-8 sequence of a non-ASCII character at
// `text[i]` that is not a C1 control, else 0.
size_t shown_sequence(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  const size_t n = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
  if (n == 0 || i + n > text.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
  const unsigned char second = byte(i + 1);
  if (lead == 0xc2 && second <= 0x9f) return 0;                             // C1 controls, U+0080..U+009F
  if ((lead == 0xe0 && second < 0xa0) || (lead == 0xf0 && second < 0x90)) return 0;  // overlong
  if ((lead == 0xed && second >= 0xa0) || (lead == 0xf4 && second >= 0x90)) return 0;  // surrogates, past U+10FFFF
  return n;
}

}  // namespace

std::string terminal_text(std::string_view text, size_t max) {
  std::string out;
  for (size_t i = 0; i < text.size() && out.size() < max;) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      if (const size_t n = shown_sequence(text, i)) {
        out.append(text.substr(i, n));
        i += n;
        continue;
      }
    }
    out += printable(text.substr(i, 1));
    ++i;
  }
  if (out.size() >= max) out += "...";
  return out;
}

}  // namespace wasmlet::util

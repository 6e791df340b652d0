#include "util/utf8.h"

namespace wasmlet::util {

bool valid_utf8(std::span<const uint8_t> s, size_t* bad_offset) {
  const auto bad = [&](size_t at) {
    if (bad_offset) *bad_offset = at;
    return false;
  };
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const uint8_t c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) len = 2, cp = c & 0x1f;
    else if ((c & 0xf0) == 0xe0) len = 3, cp = c & 0x0f;
    else if ((c & 0xf8) == 0xf0) len = 4, cp = c & 0x07;
    else return bad(i);
    if (n - i < len) return bad(i);
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return bad(i);
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    const bool overlong = (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return bad(i);
    i += len;
  }
  return true;
}

}  // namespace wasmlet::util

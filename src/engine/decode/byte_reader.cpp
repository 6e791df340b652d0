#include "engine/decode/byte_reader.h"

#include <fmt/format.h>

namespace wasmlet::decode {

void ByteReader::unexpected_end() const { throw_malformed(offset(), "unexpected end of the module's bytes"); }

uint32_t ByteReader::u32_slow() {
  size_t start = offset();
  uint32_t value = 0;
  for (unsigned i = 0; i < 5; ++i) {
    uint8_t byte = u8();
    if (i == 4) {
      if (byte & 0x80) throw_malformed(start, "integer representation too long (an unsigned 32-bit LEB128 has at most 5 bytes)");
      if (byte & 0x70) throw_malformed(start, "integer too large (does not fit in 32 bits)");
    }
    value |= uint32_t(byte & 0x7f) << (7 * i);
    if (!(byte & 0x80)) break;
  }
  return value;
}

int32_t ByteReader::s32_slow() {
  size_t start = offset();
  uint32_t value = 0;
  for (unsigned i = 0; i < 5; ++i) {
    uint8_t byte = u8();
    if (i == 4) {
      if (byte & 0x80) throw_malformed(start, "integer representation too long (a signed 32-bit LEB128 has at most 5 bytes)");
      uint8_t high = byte & 0x70;
      if (high != ((byte & 0x08) ? 0x70 : 0x00)) throw_malformed(start, "integer too large (does not fit in 32 bits)");
      value |= uint32_t(byte & 0x0f) << 28;
      return int32_t(value);
    }
    value |= uint32_t(byte & 0x7f) << (7 * i);
    if (!(byte & 0x80)) {
      if (byte & 0x40 && i < 4) value |= ~uint32_t(0) << (7 * (i + 1));
      return int32_t(value);
    }
  }
  return int32_t(value);
}

int64_t ByteReader::s64() {
  size_t start = offset();
  uint64_t value = 0;
  for (unsigned i = 0; i < 10; ++i) {
    uint8_t byte = u8();
    if (i == 9) {
      if (byte & 0x80) throw_malformed(start, "integer representation too long (a signed 64-bit LEB128 has at most 10 bytes)");
      if (byte != 0x00 && byte != 0x7f) throw_malformed(start, "integer too large (does not fit in 64 bits)");
      value |= uint64_t(byte & 1) << 63;
      return int64_t(value);
    }
    value |= uint64_t(byte & 0x7f) << (7 * i);
    if (!(byte & 0x80)) {
      if (byte & 0x40) value |= ~uint64_t(0) << (7 * (i + 1));
      return int64_t(value);
    }
  }
  return int64_t(value);
}

int64_t ByteReader::s33() {
  size_t start = offset();
  uint64_t value = 0;
  for (unsigned i = 0; i < 5; ++i) {
    uint8_t byte = u8();
    if (i == 4) {
      if (byte & 0x80) throw_malformed(start, "integer representation too long (a block type index has at most 5 bytes)");
      uint8_t high = byte & 0x60;
      if (high != ((byte & 0x10) ? 0x60 : 0x00)) throw_malformed(start, "integer too large (does not fit in 33 bits)");
      value |= uint64_t(byte & 0x7f) << 28;
      if (byte & 0x40) value |= ~uint64_t(0) << 35;
      return int64_t(value);
    }
    value |= uint64_t(byte & 0x7f) << (7 * i);
    if (!(byte & 0x80)) {
      if (byte & 0x40) value |= ~uint64_t(0) << (7 * (i + 1));
      return int64_t(value);
    }
  }
  return int64_t(value);
}

uint32_t ByteReader::count(size_t min_element_size) {
  size_t at = offset();
  uint32_t n = u32();
  if (min_element_size && n > remaining() / min_element_size)
    throw_malformed(at, fmt::format("length out of bounds: {} elements cannot fit in the {} bytes that remain", n,
                                    remaining()));
  return n;
}

std::string_view ByteReader::name() {
  size_t at = offset();
  uint32_t length = u32();
  if (length > remaining()) throw_malformed(at, fmt::format("length out of bounds: a name of {} bytes, {} remain", length, remaining()));
  auto text = bytes(length);
  if (!is_valid_utf8(text)) throw_malformed(at, "malformed UTF-8 encoding in a name");
  return {reinterpret_cast<const char*>(text.data()), text.size()};
}

bool is_valid_utf8(std::span<const uint8_t> s) {
  size_t i = 0, n = s.size();
  while (i < n) {
    uint8_t c = s[i];
    if (c < 0x80) { ++i; continue; }
    size_t len;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; }
    else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; }
    else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; }
    else return false;
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return false;  // overlong
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

}  // namespace wasmlet::decode

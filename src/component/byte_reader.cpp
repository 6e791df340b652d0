#include "component/byte_reader.h"

#include <fmt/format.h>

#include "util/utf8.h"

namespace wasmlet::component::detail {

std::string hex_byte(uint8_t b) { return fmt::format("0x{:02x}", b); }

void ByteReader::fail_at(uint64_t offset, const std::string& what) const {
  throw ComponentError(fmt::format("{}: at offset 0x{:x}: {}", name_, offset, what), offset);
}

uint8_t ByteReader::peek(const char* what) const {
  if (at_end()) fail(fmt::format("unexpected end of {} while reading {}", "input", what));
  return bytes_[pos_];
}

uint8_t ByteReader::u8(const char* what) {
  uint8_t b = peek(what);
  ++pos_;
  return b;
}

// Unsigned LEB128 of at most `bits` bits.
uint64_t ByteReader::uleb(const char* what, unsigned bits) {
  uint64_t start = offset();
  const unsigned max_bytes = (bits + 6) / 7;
  uint64_t result = 0;
  for (unsigned i = 0; i < max_bytes; ++i) {
    if (at_end()) fail_at(start, fmt::format("unexpected end of input while reading {} (an unsigned LEB128)", what));
    uint8_t b = bytes_[pos_++];
    unsigned shift = 7 * i;
    if (i == max_bytes - 1 && (b & 0x7f) >> (bits - shift) != 0)
      fail_at(start, fmt::format("{} does not fit in {} bits (LEB128)", what, bits));
    result |= uint64_t(b & 0x7f) << shift;
    if (!(b & 0x80)) return result;
  }
  fail_at(start, fmt::format("{} is a LEB128 longer than {} bytes", what, max_bytes));
}

uint32_t ByteReader::u32(const char* what) { return uint32_t(uleb(what, 32)); }
uint64_t ByteReader::u64(const char* what) { return uleb(what, 64); }

int64_t ByteReader::s33(const char* what) {
  uint64_t start = offset();
  int64_t result = 0;
  int shift = 0;
  uint8_t b = 0;
  do {
    if (shift >= 35) fail_at(start, fmt::format("{} is a signed LEB128 longer than 5 bytes", what));
    if (at_end()) fail_at(start, fmt::format("unexpected end of input while reading {} (a signed LEB128)", what));
    b = bytes_[pos_++];
    result |= int64_t(b & 0x7f) << shift;
    shift += 7;
  } while (b & 0x80);
  if (shift < 64 && (b & 0x40)) result |= -(int64_t(1) << shift);
  if (result < -(int64_t(1) << 32) || result >= (int64_t(1) << 32))
    fail_at(start, fmt::format("{} does not fit in 33 bits", what));
  return result;
}

std::span<const uint8_t> ByteReader::bytes(size_t n, const char* what) {
  if (n > remaining())
    fail(fmt::format("unexpected end of input: {} needs {} bytes, only {} remain", what, n, remaining()));
  auto r = bytes_.subspan(pos_, n);
  pos_ += n;
  return r;
}

std::string ByteReader::name(const char* what) {
  uint64_t start = offset();
  uint32_t len = u32(what);
  auto b = bytes(len, what);
  if (!util::valid_utf8(b)) fail_at(start, fmt::format("{} is not valid UTF-8", what));
  return std::string(b.begin(), b.end());
}

uint32_t ByteReader::count(const char* what, size_t min_element_size) {
  uint64_t start = offset();
  uint32_t n = u32(what);
  if (min_element_size && uint64_t(n) * min_element_size > remaining())
    fail_at(start, fmt::format("{} says {} entries but only {} bytes remain", what, n, remaining()));
  return n;
}

ByteReader ByteReader::sub(size_t n, const char* what) {
  uint64_t start = offset();
  auto b = bytes(n, what);
  return ByteReader(b, start, name_);
}


}  // namespace wasmlet::component::detail

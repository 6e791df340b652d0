// Reads the WebAssembly binary encoding: bytes, LEB128 integers, IEEE floats,
// names. Every read checks the bytes that remain and throws a malformed
// DecodeError naming the offset; nothing here allocates from a guest count.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "engine/decode/decode_error.h"

namespace wasmlet::decode {

class ByteReader {
 public:
  // `base` is the offset of data[0] in the whole module, for messages.
  ByteReader(std::span<const uint8_t> data, size_t base = 0)
      : begin_(data.data()), pos_(data.data()), end_(data.data() + data.size()), base_(base) {}

  size_t offset() const { return base_ + size_t(pos_ - begin_); }
  size_t remaining() const { return size_t(end_ - pos_); }
  bool at_end() const { return pos_ == end_; }
  const uint8_t* position() const { return pos_; }
  // Moves past `n` bytes the caller has checked are there (remaining() >= n).
  void advance(size_t n) { pos_ += n; }

  uint8_t peek_u8() const {
    if (pos_ == end_) unexpected_end();
    return *pos_;
  }
  uint8_t u8() {
    if (pos_ == end_) unexpected_end();
    return *pos_++;
  }
  std::span<const uint8_t> bytes(size_t n) {
    if (n > remaining()) unexpected_end();
    std::span<const uint8_t> out(pos_, n);
    pos_ += n;
    return out;
  }
  void skip(size_t n) { bytes(n); }

  uint32_t u32() {
    if (pos_ != end_ && *pos_ < 0x80) return *pos_++;
    return u32_slow();
  }
  int32_t s32() {
    if (pos_ != end_ && *pos_ < 0x40) return *pos_++;
    return s32_slow();
  }
  int64_t s64();
  // The signed 33-bit integer of a block type's type index.
  int64_t s33();

  float f32() {
    uint32_t bits;
    std::memcpy(&bits, bytes(4).data(), 4);
    float v;
    std::memcpy(&v, &bits, 4);
    return v;
  }
  double f64() {
    double v;
    std::memcpy(&v, bytes(8).data(), 8);
    return v;
  }

  // A vector length that must be plausible: each element takes at least
  // `min_element_size` bytes, so a count beyond what remains is malformed
  // before anything is allocated for it.
  uint32_t count(size_t min_element_size = 1);
  // A name: length-prefixed, valid UTF-8.
  std::string_view name();

  [[noreturn]] void unexpected_end() const;

 private:
  uint32_t u32_slow();
  int32_t s32_slow();
  template <unsigned Bits>
  int64_t signed_leb(const char* what);
  const uint8_t* begin_;
  const uint8_t* pos_;
  const uint8_t* end_;
  size_t base_;
};

}  // namespace wasmlet::decode

// A cursor over a byte range with LEB128, names and bounds checks. Every
// failure throws ComponentError naming the absolute offset and what was
// expected; nothing reads past the range.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "wasmlet/component/binary.h"

namespace wasmlet::component::detail {

class ByteReader {
 public:
  // `base` is the absolute offset of bytes[0] in the outermost binary.
  ByteReader(std::span<const uint8_t> bytes, uint64_t base, const std::string& name)
      : bytes_(bytes), base_(base), name_(name) {}

  uint64_t offset() const { return base_ + pos_; }
  size_t position() const { return pos_; }
  size_t remaining() const { return bytes_.size() - pos_; }
  bool at_end() const { return pos_ == bytes_.size(); }
  const std::string& name() const { return name_; }

  [[noreturn]] void fail(const std::string& what) const { fail_at(offset(), what); }
  [[noreturn]] void fail_at(uint64_t offset, const std::string& what) const;

  uint8_t peek(const char* what) const;
  uint8_t u8(const char* what);
  uint32_t u32(const char* what);   // unsigned LEB128, at most 5 bytes
  uint64_t u64(const char* what);   // unsigned LEB128, at most 10 bytes
  int64_t s33(const char* what);    // signed LEB128 of 33 bits (valtype)
  std::string name(const char* what);  // u32 length + UTF-8 bytes
  std::span<const uint8_t> bytes(size_t n, const char* what);
  // Reads a vector length and checks that at least `min_element_size` bytes
  // per element remain (so a huge count cannot make us allocate).
  uint32_t count(const char* what, size_t min_element_size = 1);
  // A sub-reader over the next n bytes.
  ByteReader sub(size_t n, const char* what);
  void skip(size_t n, const char* what) { (void)bytes(n, what); }

 private:
  uint64_t uleb(const char* what, unsigned bits);
  std::span<const uint8_t> bytes_;
  uint64_t base_;
  size_t pos_ = 0;
  const std::string& name_;
};

std::string hex_byte(uint8_t b);

}  // namespace wasmlet::component::detail

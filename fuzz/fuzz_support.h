// Shared by the libFuzzer harnesses (docs/fuzzing.md): reading structured
// choices from the fuzzer's bytes, and failing loudly when an invariant breaks.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

namespace wasmlet::fuzz {

// A broken invariant is a finding: print it and abort, so libFuzzer saves the input.
[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what.c_str());
  std::abort();
}

// Consumes the fuzzer's bytes front to back; past the end every read gives 0.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint32_t u32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t(byte()) << (8 * i);
    return v;
  }
  uint64_t u64() { return u32() | (uint64_t(u32()) << 32); }
  bool empty() const { return pos_ >= size_; }
  // What is left, all of it.
  std::span<const uint8_t> rest() {
    auto r = std::span<const uint8_t>(data_ + pos_, size_ - pos_);
    pos_ = size_;
    return r;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace wasmlet::fuzz

// A bounds-checked view of a guest's linear memory, for host functions.
// Every access is checked against the current size; an access outside it
// throws MemoryFault, which the host layer turns into EFAULT or a trap.
// The view is valid until the guest runs again (memory may grow and move).
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "wasmlet/error.h"

namespace wasmlet {

class MemoryFault : public Error {
 public:
  MemoryFault(uint64_t offset, uint64_t length, uint64_t size);
  uint64_t offset, length, size;
};

class GuestMemory {
 public:
  GuestMemory() = default;
  GuestMemory(uint8_t* base, uint64_t size) : base_(base), size_(size) {}

  uint64_t size() const { return size_; }
  bool valid() const { return base_ != nullptr || size_ == 0; }
  bool contains(uint64_t offset, uint64_t length) const {
    return offset <= size_ && length <= size_ - offset;
  }

  std::span<uint8_t> bytes(uint64_t offset, uint64_t length) const {
    check(offset, length);
    return {base_ + offset, static_cast<size_t>(length)};
  }
  std::string_view string(uint64_t offset, uint64_t length) const {
    auto b = bytes(offset, length);
    return {reinterpret_cast<const char*>(b.data()), b.size()};
  }

  // Little-endian scalar access (WebAssembly memory is little-endian; so is every host we support).
  template <typename T>
  T load(uint64_t offset) const {
    static_assert(std::is_trivially_copyable_v<T>);
    check(offset, sizeof(T));
    T value;
    std::memcpy(&value, base_ + offset, sizeof(T));
    return value;
  }
  template <typename T>
  void store(uint64_t offset, const T& value) const {
    static_assert(std::is_trivially_copyable_v<T>);
    check(offset, sizeof(T));
    std::memcpy(base_ + offset, &value, sizeof(T));
  }
  void write(uint64_t offset, std::span<const uint8_t> data) const {
    check(offset, data.size());
    if (!data.empty()) std::memcpy(base_ + offset, data.data(), data.size());
  }

 private:
  void check(uint64_t offset, uint64_t length) const {
    if (!contains(offset, length)) throw MemoryFault(offset, length, size_);
  }
  uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace wasmlet

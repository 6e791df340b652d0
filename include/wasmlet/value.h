// Values that cross the boundary between the host and a WebAssembly guest.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace wasmlet {

enum class ValType : uint8_t { I32, I64, F32, F64, V128, FuncRef, ExternRef };

const char* to_string(ValType type);

// A WebAssembly value. A funcref is an opaque handle owned by the tier (only
// handles a Store gave out name functions; anything else reads as null). An
// externref is the host's own value: any non-zero id passes through the
// guest unchanged and comes back as it went in; 0 is null.
class Value {
 public:
  Value() = default;
  static Value i32(int32_t v) { Value r(ValType::I32); r.bits_.i64 = static_cast<uint32_t>(v); return r; }
  static Value i64(int64_t v) { Value r(ValType::I64); r.bits_.i64 = v; return r; }
  static Value f32(float v) { Value r(ValType::F32); r.bits_.f32 = v; return r; }
  static Value f64(double v) { Value r(ValType::F64); r.bits_.f64 = v; return r; }
  static Value v128(const std::array<uint8_t, 16>& v) { Value r(ValType::V128); std::memcpy(r.bits_.v128, v.data(), 16); return r; }
  static Value ref(ValType type, uintptr_t handle) { Value r(type); r.bits_.i64 = static_cast<int64_t>(handle); return r; }
  // The zero value of a type (what a fresh local of that type holds).
  static Value zero(ValType type) { return Value(type); }

  ValType type() const { return type_; }
  int32_t as_i32() const { return static_cast<int32_t>(bits_.i64); }
  uint32_t as_u32() const { return static_cast<uint32_t>(bits_.i64); }
  int64_t as_i64() const { return bits_.i64; }
  uint64_t as_u64() const { return static_cast<uint64_t>(bits_.i64); }
  float as_f32() const { return bits_.f32; }
  double as_f64() const { return bits_.f64; }
  std::array<uint8_t, 16> as_v128() const { std::array<uint8_t, 16> r; std::memcpy(r.data(), bits_.v128, 16); return r; }
  uintptr_t as_ref() const { return static_cast<uintptr_t>(bits_.i64); }

  std::string to_string() const;

 private:
  explicit Value(ValType type) : type_(type) { std::memset(&bits_, 0, sizeof bits_); }
  ValType type_ = ValType::I32;
  union {
    int64_t i64;
    float f32;
    double f64;
    uint8_t v128[16];
  } bits_{};
};

struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;
  bool operator==(const FuncType&) const = default;
  std::string to_string() const;  // "(i32, i32) -> i32"
};

}  // namespace wasmlet

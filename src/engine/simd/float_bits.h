// What the float operations need to know about a float lane: its integer
// view, sign bit, quiet bit and canonical NaN, and a few bit helpers.
#pragma once

#include "engine/simd/v128.h"

namespace wasmlet::simd {

template <typename F>
struct FloatLanes;

template <>
struct FloatLanes<f32x4> {
  using Int = i32x4;
  using Float = float;
  static constexpr int32_t kSign = INT32_MIN;
  static constexpr int32_t kQuietBit = 0x00400000;
  static constexpr int32_t kCanonicalNan = 0x7fc00000;
  static constexpr float kNoFraction = 8388608.0f;  // 2^23: from here on every float is an integer
};

template <>
struct FloatLanes<f64x2> {
  using Int = i64x2;
  using Float = double;
  static constexpr int64_t kSign = INT64_MIN;
  static constexpr int64_t kQuietBit = 0x0008000000000000;
  static constexpr int64_t kCanonicalNan = 0x7ff8000000000000;
  static constexpr double kNoFraction = 4503599627370496.0;  // 2^52
};

// |v|, bit-exact (NaN payloads kept).
template <typename F>
inline F abs_bits(F v) {
  using Int = typename FloatLanes<F>::Int;
  return bits<F>(bits<Int>(v) & ~FloatLanes<F>::kSign);
}

// The magnitude of `magnitude` with the sign of `sign`.
template <typename F>
inline F copy_sign(F magnitude, F sign) {
  using L = FloatLanes<F>;
  using Int = typename L::Int;
  return bits<F>((bits<Int>(magnitude) & ~L::kSign) | (bits<Int>(sign) & L::kSign));
}

// Lanes that are NaN: all ones.
template <typename F>
inline typename FloatLanes<F>::Int nan_lanes(F v) {
  return bits<typename FloatLanes<F>::Int>(v != v);
}

// The same value with NaN lanes made quiet: an operation that returns a NaN
// operand must return an arithmetic (quiet) NaN, never a signalling one.
template <typename F>
inline F quiet(F v) {
  using L = FloatLanes<F>;
  return bits<F>(bits<typename L::Int>(v) | (nan_lanes(v) & L::kQuietBit));
}

// x in every lane (not F{} + x: +0 + -0 is +0).
template <typename F>
inline F broadcast(typename FloatLanes<F>::Float x) {
  F v;
  for (unsigned i = 0; i < sizeof(F) / sizeof(x); ++i) v[i] = x;
  return v;
}

}  // namespace wasmlet::simd

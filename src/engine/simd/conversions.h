// Conversions between integer and float lanes and between float widths:
// convert (exact or round to nearest even), trunc_sat (toward zero, NaN to
// 0, out of range to the nearest bound), demote (round to nearest) and
// promote (exact). The float -> int conversions clamp their input into range
// first: converting an out-of-range float is undefined behaviour in C++.
#pragma once

#include "engine/simd/float_bits.h"
#include "engine/simd/halves.h"

namespace wasmlet::simd {

inline V128 f32x4_convert_i32x4_s(V128 a) { return v128(__builtin_convertvector(bits<i32x4>(a), f32x4)); }

// Split into 16-bit halves, each exact in a float; the one addition rounds.
inline V128 f32x4_convert_i32x4_u(V128 a) {
  u32x4 x = bits<u32x4>(a);
  f32x4 high = __builtin_convertvector(bits<i32x4>(x >> 16), f32x4) * 65536.0f;
  f32x4 low = __builtin_convertvector(bits<i32x4>(x & 0xffff), f32x4);
  return v128(high + low);
}

inline V128 f64x2_convert_low_i32x4_s(V128 a) {
  i32x4 x = bits<i32x4>(a);
  return v128(__builtin_convertvector(__builtin_shufflevector(x, x, 0, 1), f64x2));
}

inline V128 f64x2_convert_low_i32x4_u(V128 a) {
  u32x4 x = bits<u32x4>(a);
  return v128(__builtin_convertvector(__builtin_shufflevector(x, x, 0, 1), f64x2));
}

namespace detail {
// NaN lanes become 0 and the others are clamped into [lo, hi].
template <typename F>
inline F clamp_for_trunc(F x, typename FloatLanes<F>::Float lo, typename FloatLanes<F>::Float hi) {
  using Int = typename FloatLanes<F>::Int;
  F low = broadcast<F>(lo), high = broadcast<F>(hi);
  x = select(x < low, low, x);
  x = select(x > high, high, x);
  return bits<F>(bits<Int>(x) & ~nan_lanes(x));
}
}  // namespace detail

inline V128 i32x4_trunc_sat_f32x4_s(V128 a) {
  f32x4 x = bits<f32x4>(a);
  // 2147483520 is the largest float below 2^31; lanes >= 2^31 saturate to INT32_MAX.
  i32x4 r = __builtin_convertvector(detail::clamp_for_trunc(x, -2147483648.0f, 2147483520.0f), i32x4);
  return v128(select(x >= 2147483648.0f, i32x4{} + INT32_MAX, r));
}

inline V128 i32x4_trunc_sat_f32x4_u(V128 a) {
  // 4294967040 is the largest float below 2^32; lanes >= 2^32 saturate to UINT32_MAX.
  f32x4 x = bits<f32x4>(a);
  f32x4 c = detail::clamp_for_trunc(x, 0.0f, 4294967040.0f);
  // Values from 2^31 up do not fit an i32: convert them less 2^31, add it back.
  i32x4 upper = c >= 2147483648.0f;
  f32x4 shifted = c - bits<f32x4>(upper & bits<i32x4>(broadcast<f32x4>(2147483648.0f)));
  u32x4 r = bits<u32x4>(__builtin_convertvector(shifted, i32x4)) + (bits<u32x4>(upper) & 0x80000000u);
  return v128(select(x >= 4294967296.0f, u32x4{} + UINT32_MAX, r));
}

// The two f64 lanes go to i32 lanes 0 and 1; lanes 2 and 3 are zero.
inline V128 i32x4_trunc_sat_f64x2_s_zero(V128 a) {
  f64x2 c = detail::clamp_for_trunc(bits<f64x2>(a), -2147483648.0, 2147483647.0);
  return v128(concat(__builtin_convertvector(c, i32x2), i32x2{}));
}

inline V128 i32x4_trunc_sat_f64x2_u_zero(V128 a) {
  f64x2 c = detail::clamp_for_trunc(bits<f64x2>(a), 0.0, 4294967295.0);
  // In range for i64; keeping the low 32 bits of it is the u32 value.
  return v128(concat(__builtin_convertvector(__builtin_convertvector(c, i64x2), i32x2), i32x2{}));
}

// Both f64 lanes rounded to f32 into lanes 0 and 1; lanes 2 and 3 are +0.
inline V128 f32x4_demote_f64x2_zero(V128 a) {
  return v128(concat(__builtin_convertvector(bits<f64x2>(a), f32x2), f32x2{}));
}

inline V128 f64x2_promote_low_f32x4(V128 a) {
  f32x4 x = bits<f32x4>(a);
  return v128(__builtin_convertvector(__builtin_shufflevector(x, x, 0, 1), f64x2));
}

}  // namespace wasmlet::simd

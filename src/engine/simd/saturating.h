// Saturating add and sub: a result outside the lane's signed or unsigned
// range becomes the nearest bound instead of wrapping.
#pragma once

#include "engine/simd/v128.h"

namespace wasmlet::simd {

namespace detail {
// Signed: the wrapped sum overflowed when both operands have the same sign
// and the sum the other one; the bound then is MAX for a positive a, MIN for
// a negative one, i.e. (a >> (w-1)) ^ MAX.
template <typename S, typename U>
inline V128 add_sat_s(V128 a, V128 b) {
  S x = bits<S>(a), y = bits<S>(b);
  S sum = bits<S>(bits<U>(x) + bits<U>(y));
  constexpr int top = sizeof(x[0]) * 8 - 1;
  S overflow = ((x ^ sum) & (y ^ sum)) >> top;
  S bound = (x >> top) ^ static_cast<lane_t<S>>((1ull << top) - 1);
  return v128(select(overflow, bound, sum));
}

// Signed difference: overflow when the operands differ in sign and the
// difference's sign is not a's.
template <typename S, typename U>
inline V128 sub_sat_s(V128 a, V128 b) {
  S x = bits<S>(a), y = bits<S>(b);
  S diff = bits<S>(bits<U>(x) - bits<U>(y));
  constexpr int top = sizeof(x[0]) * 8 - 1;
  S overflow = ((x ^ y) & (x ^ diff)) >> top;
  S bound = (x >> top) ^ static_cast<lane_t<S>>((1ull << top) - 1);
  return v128(select(overflow, bound, diff));
}

// Unsigned: a carry shows as a sum smaller than an operand.
template <typename U>
inline V128 add_sat_u(V128 a, V128 b) {
  U x = bits<U>(a), y = bits<U>(b);
  U sum = x + y;
  return v128(sum | bits<U>(sum < x));
}

// Unsigned: a borrow clamps to 0.
template <typename U>
inline V128 sub_sat_u(V128 a, V128 b) {
  U x = bits<U>(a), y = bits<U>(b);
  return v128((x - y) & bits<U>(x >= y));
}
}  // namespace detail

#ifdef WASMLET_SIMD_SSE2
// One SSE2 instruction each (padds/paddus/psubs/psubus).
inline V128 i8x16_add_sat_s(V128 a, V128 b) { return WASMLET_SIMD_SSE2_OP(_mm_adds_epi8, a, b); }
inline V128 i8x16_add_sat_u(V128 a, V128 b) { return WASMLET_SIMD_SSE2_OP(_mm_adds_epu8, a, b); }
inline V128 i8x16_sub_sat_s(V128 a, V128 b) { return WASMLET_SIMD_SSE2_OP(_mm_subs_epi8, a, b); }
inline V128 i8x16_sub_sat_u(V128 a, V128 b) { return WASMLET_SIMD_SSE2_OP(_mm_subs_epu8, a, b); }
inline V128 i16x8_add_sat_s(V128 a, V128 b) { return WASMLET_SIMD_SSE2_OP(_mm_adds_epi16, a, b); }
inline V128 i16x8_add_sat_u(V128 a, V128 b) { return WASMLET_SIMD_SSE2_OP(_mm_adds_epu16, a, b); }
inline V128 i16x8_sub_sat_s(V128 a, V128 b) { return WASMLET_SIMD_SSE2_OP(_mm_subs_epi16, a, b); }
inline V128 i16x8_sub_sat_u(V128 a, V128 b) { return WASMLET_SIMD_SSE2_OP(_mm_subs_epu16, a, b); }
#else
inline V128 i8x16_add_sat_s(V128 a, V128 b) { return detail::add_sat_s<i8x16, u8x16>(a, b); }
inline V128 i8x16_add_sat_u(V128 a, V128 b) { return detail::add_sat_u<u8x16>(a, b); }
inline V128 i8x16_sub_sat_s(V128 a, V128 b) { return detail::sub_sat_s<i8x16, u8x16>(a, b); }
inline V128 i8x16_sub_sat_u(V128 a, V128 b) { return detail::sub_sat_u<u8x16>(a, b); }
inline V128 i16x8_add_sat_s(V128 a, V128 b) { return detail::add_sat_s<i16x8, u16x8>(a, b); }
inline V128 i16x8_add_sat_u(V128 a, V128 b) { return detail::add_sat_u<u16x8>(a, b); }
inline V128 i16x8_sub_sat_s(V128 a, V128 b) { return detail::sub_sat_s<i16x8, u16x8>(a, b); }
inline V128 i16x8_sub_sat_u(V128 a, V128 b) { return detail::sub_sat_u<u16x8>(a, b); }

#endif

}  // namespace wasmlet::simd

// Lane-wise integer arithmetic: add, sub, mul, neg, abs, min, max, avgr_u,
// popcnt, q15mulr_sat_s. Results wrap modulo the lane width as the spec says;
// the wrapping is done on unsigned views.
#pragma once

#include "engine/simd/halves.h"

namespace wasmlet::simd {

namespace detail {
template <typename U>
inline V128 add(V128 a, V128 b) { return v128(bits<U>(a) + bits<U>(b)); }
template <typename U>
inline V128 sub(V128 a, V128 b) { return v128(bits<U>(a) - bits<U>(b)); }
template <typename U>
inline V128 mul(V128 a, V128 b) { return v128(bits<U>(a) * bits<U>(b)); }
template <typename U>
inline V128 neg(V128 a) { return v128(U{} - bits<U>(a)); }

// |x| = (x ^ s) - s with s = x >> (width - 1): the most negative value stays itself.
template <typename S, typename U>
inline V128 abs(V128 a) {
  S x = bits<S>(a);
  U sign = bits<U>(x >> static_cast<int>(sizeof(x[0]) * 8 - 1));
  return v128((bits<U>(x) ^ sign) - sign);
}

template <typename V>
inline V128 min(V128 a, V128 b) {
  V x = bits<V>(a), y = bits<V>(b);
  return v128(select(x < y, x, y));
}
template <typename V>
inline V128 max(V128 a, V128 b) {
  V x = bits<V>(a), y = bits<V>(b);
  return v128(select(x > y, x, y));
}

// (a + b + 1) / 2 without the intermediate overflow.
template <typename U>
inline V128 avgr_u(V128 a, V128 b) {
  U x = bits<U>(a), y = bits<U>(b);
  return v128((x | y) - ((x ^ y) >> 1));
}
}  // namespace detail

inline V128 i8x16_add(V128 a, V128 b) { return detail::add<u8x16>(a, b); }
inline V128 i16x8_add(V128 a, V128 b) { return detail::add<u16x8>(a, b); }
inline V128 i32x4_add(V128 a, V128 b) { return detail::add<u32x4>(a, b); }
inline V128 i64x2_add(V128 a, V128 b) { return detail::add<u64x2>(a, b); }

inline V128 i8x16_sub(V128 a, V128 b) { return detail::sub<u8x16>(a, b); }
inline V128 i16x8_sub(V128 a, V128 b) { return detail::sub<u16x8>(a, b); }
inline V128 i32x4_sub(V128 a, V128 b) { return detail::sub<u32x4>(a, b); }
inline V128 i64x2_sub(V128 a, V128 b) { return detail::sub<u64x2>(a, b); }

inline V128 i16x8_mul(V128 a, V128 b) { return detail::mul<u16x8>(a, b); }
inline V128 i32x4_mul(V128 a, V128 b) { return detail::mul<u32x4>(a, b); }
inline V128 i64x2_mul(V128 a, V128 b) { return detail::mul<u64x2>(a, b); }

inline V128 i8x16_neg(V128 a) { return detail::neg<u8x16>(a); }
inline V128 i16x8_neg(V128 a) { return detail::neg<u16x8>(a); }
inline V128 i32x4_neg(V128 a) { return detail::neg<u32x4>(a); }
inline V128 i64x2_neg(V128 a) { return detail::neg<u64x2>(a); }

inline V128 i8x16_abs(V128 a) { return detail::abs<i8x16, u8x16>(a); }
inline V128 i16x8_abs(V128 a) { return detail::abs<i16x8, u16x8>(a); }
inline V128 i32x4_abs(V128 a) { return detail::abs<i32x4, u32x4>(a); }
inline V128 i64x2_abs(V128 a) { return detail::abs<i64x2, u64x2>(a); }

inline V128 i8x16_min_s(V128 a, V128 b) { return detail::min<i8x16>(a, b); }
inline V128 i8x16_max_s(V128 a, V128 b) { return detail::max<i8x16>(a, b); }
inline V128 i16x8_min_u(V128 a, V128 b) { return detail::min<u16x8>(a, b); }
inline V128 i16x8_max_u(V128 a, V128 b) { return detail::max<u16x8>(a, b); }
inline V128 i32x4_min_s(V128 a, V128 b) { return detail::min<i32x4>(a, b); }
inline V128 i32x4_min_u(V128 a, V128 b) { return detail::min<u32x4>(a, b); }
inline V128 i32x4_max_s(V128 a, V128 b) { return detail::max<i32x4>(a, b); }
inline V128 i32x4_max_u(V128 a, V128 b) { return detail::max<u32x4>(a, b); }

#ifdef WASMLET_SIMD_SSE2
// One SSE2 instruction each, which gcc does not find in the portable code.
inline V128 i8x16_min_u(V128 a, V128 b) { return WASMLET_SIMD_SSE2_OP(_mm_min_epu8, a, b); }
inline V128 i8x16_max_u(V128 a, V128 b) { return WASMLET_SIMD_SSE2_OP(_mm_max_epu8, a, b); }
inline V128 i16x8_min_s(V128 a, V128 b) { return WASMLET_SIMD_SSE2_OP(_mm_min_epi16, a, b); }
inline V128 i16x8_max_s(V128 a, V128 b) { return WASMLET_SIMD_SSE2_OP(_mm_max_epi16, a, b); }
inline V128 i8x16_avgr_u(V128 a, V128 b) { return WASMLET_SIMD_SSE2_OP(_mm_avg_epu8, a, b); }
inline V128 i16x8_avgr_u(V128 a, V128 b) { return WASMLET_SIMD_SSE2_OP(_mm_avg_epu16, a, b); }
#else
inline V128 i8x16_min_u(V128 a, V128 b) { return detail::min<u8x16>(a, b); }
inline V128 i8x16_max_u(V128 a, V128 b) { return detail::max<u8x16>(a, b); }
inline V128 i16x8_min_s(V128 a, V128 b) { return detail::min<i16x8>(a, b); }
inline V128 i16x8_max_s(V128 a, V128 b) { return detail::max<i16x8>(a, b); }
inline V128 i8x16_avgr_u(V128 a, V128 b) { return detail::avgr_u<u8x16>(a, b); }
inline V128 i16x8_avgr_u(V128 a, V128 b) { return detail::avgr_u<u16x8>(a, b); }
#endif

// Bits set in each byte (the classic SWAR count, per byte lane).
inline V128 i8x16_popcnt(V128 a) {
  u8x16 x = bits<u8x16>(a);
  x = x - ((x >> 1) & 0x55);
  x = (x & 0x33) + ((x >> 2) & 0x33);
  return v128((x + (x >> 4)) & 0x0f);
}

// (a * b + 2^14) >> 15, saturated: only -32768 * -32768 leaves the i16 range.
inline V128 i16x8_q15mulr_sat_s(V128 a, V128 b) {
#ifdef WASMLET_SIMD_SSE2
  // 32-bit products from their low and high halves; packs saturates to i16.
  __m128i x = bits<__m128i>(a), y = bits<__m128i>(b);
  __m128i lo = _mm_mullo_epi16(x, y), hi = _mm_mulhi_epi16(x, y), round = _mm_set1_epi32(0x4000);
  __m128i p0 = _mm_srai_epi32(_mm_add_epi32(_mm_unpacklo_epi16(lo, hi), round), 15);
  __m128i p1 = _mm_srai_epi32(_mm_add_epi32(_mm_unpackhi_epi16(lo, hi), round), 15);
  return bits<V128>(_mm_packs_epi32(p0, p1));
#else
  i16x8 x = bits<i16x8>(a), y = bits<i16x8>(b);
  auto q15 = [](i32x4 p, i32x4 q) {
    i32x4 r = (p * q + 0x4000) >> 15;
    return select(r > 0x7fff, i32x4{} + 0x7fff, r);
  };
  i32x4 lo = q15(widen_low(x), widen_low(y));
  i32x4 hi = q15(widen_high(x), widen_high(y));
  return v128(concat(__builtin_convertvector(lo, i16x4), __builtin_convertvector(hi, i16x4)));
#endif
}

}  // namespace wasmlet::simd

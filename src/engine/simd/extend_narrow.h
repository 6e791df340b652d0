// Changing the lane width: extend_low/high (sign or zero extension of half
// the lanes) and narrow (two vectors into one, each lane saturated to the
// narrower signed or unsigned range).
#pragma once

#include "engine/simd/halves.h"

namespace wasmlet::simd {

inline V128 i16x8_extend_low_i8x16_s(V128 a) { return v128(widen_low(bits<i8x16>(a))); }
inline V128 i16x8_extend_high_i8x16_s(V128 a) { return v128(widen_high(bits<i8x16>(a))); }
inline V128 i16x8_extend_low_i8x16_u(V128 a) { return v128(widen_low(bits<u8x16>(a))); }
inline V128 i16x8_extend_high_i8x16_u(V128 a) { return v128(widen_high(bits<u8x16>(a))); }
inline V128 i32x4_extend_low_i16x8_s(V128 a) { return v128(widen_low(bits<i16x8>(a))); }
inline V128 i32x4_extend_high_i16x8_s(V128 a) { return v128(widen_high(bits<i16x8>(a))); }
inline V128 i32x4_extend_low_i16x8_u(V128 a) { return v128(widen_low(bits<u16x8>(a))); }
inline V128 i32x4_extend_high_i16x8_u(V128 a) { return v128(widen_high(bits<u16x8>(a))); }
inline V128 i64x2_extend_low_i32x4_s(V128 a) { return v128(widen_low(bits<i32x4>(a))); }
inline V128 i64x2_extend_high_i32x4_s(V128 a) { return v128(widen_high(bits<i32x4>(a))); }
inline V128 i64x2_extend_low_i32x4_u(V128 a) { return v128(widen_low(bits<u32x4>(a))); }
inline V128 i64x2_extend_high_i32x4_u(V128 a) { return v128(widen_high(bits<u32x4>(a))); }

namespace detail {
// Clamp signed lanes to [lo, hi] (the narrower range, signed or unsigned).
template <typename S>
inline S clamp(S v, int lo, int hi) {
  S low = S{} + static_cast<lane_t<S>>(lo), high = S{} + static_cast<lane_t<S>>(hi);
  v = select(v < low, low, v);
  return select(v > high, high, v);
}
}  // namespace detail

// The operands are signed in every narrow; _u saturates into 0..2^n-1
// (SSE2's pack instructions do exactly this, but for the i32 -> u16 one).
inline V128 i8x16_narrow_i16x8_s(V128 a, V128 b) {
#ifdef WASMLET_SIMD_SSE2
  return bits<V128>(_mm_packs_epi16(bits<__m128i>(a), bits<__m128i>(b)));
#else
  return v128(concat(__builtin_convertvector(detail::clamp(bits<i16x8>(a), -128, 127), i8x8),
                     __builtin_convertvector(detail::clamp(bits<i16x8>(b), -128, 127), i8x8)));
#endif
}
inline V128 i8x16_narrow_i16x8_u(V128 a, V128 b) {
#ifdef WASMLET_SIMD_SSE2
  return bits<V128>(_mm_packus_epi16(bits<__m128i>(a), bits<__m128i>(b)));
#else
  return v128(concat(__builtin_convertvector(detail::clamp(bits<i16x8>(a), 0, 255), u8x8),
                     __builtin_convertvector(detail::clamp(bits<i16x8>(b), 0, 255), u8x8)));
#endif
}
inline V128 i16x8_narrow_i32x4_s(V128 a, V128 b) {
#ifdef WASMLET_SIMD_SSE2
  return bits<V128>(_mm_packs_epi32(bits<__m128i>(a), bits<__m128i>(b)));
#else
  return v128(concat(__builtin_convertvector(detail::clamp(bits<i32x4>(a), -32768, 32767), i16x4),
                     __builtin_convertvector(detail::clamp(bits<i32x4>(b), -32768, 32767), i16x4)));
#endif
}
inline V128 i16x8_narrow_i32x4_u(V128 a, V128 b) {
  return v128(concat(__builtin_convertvector(detail::clamp(bits<i32x4>(a), 0, 65535), u16x4),
                     __builtin_convertvector(detail::clamp(bits<i32x4>(b), 0, 65535), u16x4)));
}

}  // namespace wasmlet::simd

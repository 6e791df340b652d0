// Arithmetic into wider lanes: extmul (products of the low or high halves),
// extadd_pairwise (sums of neighbouring lanes) and dot (sums of the products
// of neighbouring lanes). No product or pair sum overflows its wider lane,
// except dot's (-32768 * -32768) * 2, which wraps as the spec says.
#pragma once

#include "engine/simd/halves.h"

namespace wasmlet::simd {

inline V128 i16x8_extmul_low_i8x16_s(V128 a, V128 b) { return v128(widen_low(bits<i8x16>(a)) * widen_low(bits<i8x16>(b))); }
inline V128 i16x8_extmul_high_i8x16_s(V128 a, V128 b) { return v128(widen_high(bits<i8x16>(a)) * widen_high(bits<i8x16>(b))); }
inline V128 i16x8_extmul_low_i8x16_u(V128 a, V128 b) { return v128(widen_low(bits<u8x16>(a)) * widen_low(bits<u8x16>(b))); }
inline V128 i16x8_extmul_high_i8x16_u(V128 a, V128 b) { return v128(widen_high(bits<u8x16>(a)) * widen_high(bits<u8x16>(b))); }
inline V128 i32x4_extmul_low_i16x8_s(V128 a, V128 b) { return v128(widen_low(bits<i16x8>(a)) * widen_low(bits<i16x8>(b))); }
inline V128 i32x4_extmul_high_i16x8_s(V128 a, V128 b) { return v128(widen_high(bits<i16x8>(a)) * widen_high(bits<i16x8>(b))); }
inline V128 i32x4_extmul_low_i16x8_u(V128 a, V128 b) { return v128(widen_low(bits<u16x8>(a)) * widen_low(bits<u16x8>(b))); }
inline V128 i32x4_extmul_high_i16x8_u(V128 a, V128 b) { return v128(widen_high(bits<u16x8>(a)) * widen_high(bits<u16x8>(b))); }
inline V128 i64x2_extmul_low_i32x4_s(V128 a, V128 b) { return v128(widen_low(bits<i32x4>(a)) * widen_low(bits<i32x4>(b))); }
inline V128 i64x2_extmul_high_i32x4_s(V128 a, V128 b) { return v128(widen_high(bits<i32x4>(a)) * widen_high(bits<i32x4>(b))); }
inline V128 i64x2_extmul_low_i32x4_u(V128 a, V128 b) { return v128(widen_low(bits<u32x4>(a)) * widen_low(bits<u32x4>(b))); }
inline V128 i64x2_extmul_high_i32x4_u(V128 a, V128 b) { return v128(widen_high(bits<u32x4>(a)) * widen_high(bits<u32x4>(b))); }

// Seen as wide lanes, the even narrow lane is the low half and the odd one
// the high half: shifting extends them in place (arithmetic shift: sign).
inline V128 i16x8_extadd_pairwise_i8x16_s(V128 a) {
  i16x8 v = bits<i16x8>(a);
  return v128(((v << 8) >> 8) + (v >> 8));
}
inline V128 i16x8_extadd_pairwise_i8x16_u(V128 a) {
  u16x8 v = bits<u16x8>(a);
  return v128((v & 0xff) + (v >> 8));
}
inline V128 i32x4_extadd_pairwise_i16x8_s(V128 a) {
  i32x4 v = bits<i32x4>(a);
  return v128(((v << 16) >> 16) + (v >> 16));
}
inline V128 i32x4_extadd_pairwise_i16x8_u(V128 a) {
  u32x4 v = bits<u32x4>(a);
  return v128((v & 0xffff) + (v >> 16));
}

inline V128 i32x4_dot_i16x8_s(V128 a, V128 b) {
#ifdef WASMLET_SIMD_SSE2
  return bits<V128>(_mm_madd_epi16(bits<__m128i>(a), bits<__m128i>(b)));  // pmaddwd is exactly dot
#else
  i16x8 x = bits<i16x8>(a), y = bits<i16x8>(b);
  i32x4 even = widen_even(x) * widen_even(y), odd = widen_odd(x) * widen_odd(y);
  return v128(bits<u32x4>(even) + bits<u32x4>(odd));
#endif
}

}  // namespace wasmlet::simd

// Moving lanes: splat, extract_lane, replace_lane, shuffle and swizzle.
#pragma once

#include "engine/simd/v128.h"

#if defined(WASMLET_SIMD_SSE2) && defined(__SSSE3__)
#include <tmmintrin.h>
#endif

namespace wasmlet::simd {

// --- splat: the operand in every lane (integers wrap to the lane width) ---
inline V128 i8x16_splat(int32_t x) {
  auto b = static_cast<uint8_t>(x);
  return v128(u8x16{b, b, b, b, b, b, b, b, b, b, b, b, b, b, b, b});
}
inline V128 i16x8_splat(int32_t x) {
  auto h = static_cast<uint16_t>(x);
  return v128(u16x8{h, h, h, h, h, h, h, h});
}
inline V128 i32x4_splat(int32_t x) { return v128(i32x4{x, x, x, x}); }
inline V128 i64x2_splat(int64_t x) { return v128(i64x2{x, x}); }
inline V128 f32x4_splat(float x) { return v128(f32x4{x, x, x, x}); }
inline V128 f64x2_splat(double x) { return v128(f64x2{x, x}); }

// --- extract_lane (the lane index is an immediate, checked by the validator) ---
inline int32_t i8x16_extract_lane_s(V128 v, unsigned lane) { return get_lane<int8_t>(v, lane); }
inline int32_t i8x16_extract_lane_u(V128 v, unsigned lane) { return get_lane<uint8_t>(v, lane); }
inline int32_t i16x8_extract_lane_s(V128 v, unsigned lane) { return get_lane<int16_t>(v, lane); }
inline int32_t i16x8_extract_lane_u(V128 v, unsigned lane) { return get_lane<uint16_t>(v, lane); }
inline int32_t i32x4_extract_lane(V128 v, unsigned lane) { return get_lane<int32_t>(v, lane); }
inline int64_t i64x2_extract_lane(V128 v, unsigned lane) { return get_lane<int64_t>(v, lane); }
inline float f32x4_extract_lane(V128 v, unsigned lane) { return get_lane<float>(v, lane); }
inline double f64x2_extract_lane(V128 v, unsigned lane) { return get_lane<double>(v, lane); }

// --- replace_lane ---
inline V128 i8x16_replace_lane(V128 v, unsigned lane, int32_t x) {
  return set_lane(v, lane, static_cast<uint8_t>(x));
}
inline V128 i16x8_replace_lane(V128 v, unsigned lane, int32_t x) {
  return set_lane(v, lane, static_cast<uint16_t>(x));
}
inline V128 i32x4_replace_lane(V128 v, unsigned lane, int32_t x) { return set_lane(v, lane, x); }
inline V128 i64x2_replace_lane(V128 v, unsigned lane, int64_t x) { return set_lane(v, lane, x); }
inline V128 f32x4_replace_lane(V128 v, unsigned lane, float x) { return set_lane(v, lane, x); }
inline V128 f64x2_replace_lane(V128 v, unsigned lane, double x) { return set_lane(v, lane, x); }

// --- i8x16.shuffle: byte i of the result is byte lanes[i] of a:b (0-15 a, 16-31 b) ---
inline V128 i8x16_shuffle(V128 a, V128 b, const uint8_t lanes[16]) {
  uint8_t both[32];
  std::memcpy(both, a.bytes, 16);
  std::memcpy(both + 16, b.bytes, 16);
  V128 r;
  for (int i = 0; i < 16; ++i) r.bytes[i] = both[lanes[i] & 31];
  return r;
}

// --- i8x16.swizzle: byte i is a[s[i]], or 0 where s[i] >= 16 ---
inline V128 i8x16_swizzle(V128 a, V128 s) {
#if defined(WASMLET_SIMD_SSE2) && defined(__SSSE3__)
  // pshufb zeroes a byte whose index has bit 7 set: saturate indices >= 16 there.
  __m128i idx = _mm_adds_epu8(bits<__m128i>(s), _mm_set1_epi8(0x70));
  return bits<V128>(_mm_shuffle_epi8(bits<__m128i>(a), idx));
#else
  uint8_t padded[17];
  std::memcpy(padded, a.bytes, 16);
  padded[16] = 0;
  V128 r;
  for (int i = 0; i < 16; ++i) r.bytes[i] = padded[s.bytes[i] < 16 ? s.bytes[i] : 16];
  return r;
#endif
}

}  // namespace wasmlet::simd

// Moving lanes: splat, extract_lane, replace_lane, shuffle and swizzle.
#pragma once

#include "engine/simd/v128.h"

#ifdef WASMLET_SIMD_SSE2
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

// --- i8x16.shuffle and i8x16.swizzle ---
// SSE2 has no byte shuffle, so the portable code moves one byte at a time.
// SSSE3's pshufb does either in a few instructions: it is used when the
// build targets SSSE3, else chosen at run time when the CPU has it (every
// x86-64 CPU since 2006 but the first ones), through an out-of-line
// function compiled for SSSE3 (it cannot be inlined into SSE2 code).
namespace detail {
inline V128 shuffle_bytes(V128 a, V128 b, const uint8_t lanes[16]) {
  uint8_t both[32];
  std::memcpy(both, a.bytes, 16);
  std::memcpy(both + 16, b.bytes, 16);
  V128 r;
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) r.bytes[i] = both[lanes[i] & 31];
  return r;
}

inline V128 swizzle_bytes(V128 a, V128 s) {
  uint8_t padded[17];
  std::memcpy(padded, a.bytes, 16);
  padded[16] = 0;
  V128 r;
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) r.bytes[i] = padded[s.bytes[i] < 16 ? s.bytes[i] : 16];
  return r;
}

#ifdef WASMLET_SIMD_SSE2
#ifdef __SSSE3__
#define WASMLET_SIMD_SSSE3_FUNCTION inline
#else
#define WASMLET_SIMD_SSSE3_FUNCTION __attribute__((target("ssse3"), noinline)) inline
#endif
// pshufb zeroes a byte whose index has bit 7 set. Indices 0-15 take a's
// bytes (+0x70 saturating sets bit 7 for 16 and up); indices 16-31 take
// b's (-16 wraps 0-15 around to bit 7 set). Operands are __m128i so that an
// out-of-line call passes them in XMM registers, not through memory.
WASMLET_SIMD_SSSE3_FUNCTION __m128i shuffle_ssse3(__m128i a, __m128i b, __m128i idx) {
  __m128i from_a = _mm_shuffle_epi8(a, _mm_adds_epu8(idx, _mm_set1_epi8(0x70)));
  __m128i from_b = _mm_shuffle_epi8(b, _mm_sub_epi8(idx, _mm_set1_epi8(16)));
  return _mm_or_si128(from_a, from_b);
}

WASMLET_SIMD_SSSE3_FUNCTION __m128i swizzle_ssse3(__m128i a, __m128i s) {
  return _mm_shuffle_epi8(a, _mm_adds_epu8(s, _mm_set1_epi8(0x70)));
}
#undef WASMLET_SIMD_SSSE3_FUNCTION

#ifdef __SSSE3__
inline constexpr bool kHasSsse3 = true;
#else
inline const bool kHasSsse3 = (__builtin_cpu_init(), __builtin_cpu_supports("ssse3"));
#endif
#endif
}  // namespace detail

// Byte i of the result is byte lanes[i] of a:b (0-15 from a, 16-31 from b).
inline V128 i8x16_shuffle(V128 a, V128 b, const uint8_t lanes[16]) {
#ifdef WASMLET_SIMD_SSE2
  if (detail::kHasSsse3) {
    __m128i idx = _mm_loadu_si128(reinterpret_cast<const __m128i*>(lanes));
    return bits<V128>(detail::shuffle_ssse3(bits<__m128i>(a), bits<__m128i>(b), idx));
  }
#endif
  return detail::shuffle_bytes(a, b, lanes);
}

// Byte i of the result is a[s[i]], or 0 where s[i] >= 16.
inline V128 i8x16_swizzle(V128 a, V128 s) {
#ifdef WASMLET_SIMD_SSE2
  if (detail::kHasSsse3) return bits<V128>(detail::swizzle_ssse3(bits<__m128i>(a), bits<__m128i>(s)));
#endif
  return detail::swizzle_bytes(a, s);
}

}  // namespace wasmlet::simd

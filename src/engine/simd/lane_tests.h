// Reductions of a vector to an i32: any_true, all_true and bitmask.
#pragma once

#include "engine/simd/v128.h"

namespace wasmlet::simd {

namespace detail {
// One bit per byte: bit i is the top bit of byte i.
inline uint32_t byte_sign_bits(V128 v) {
#ifdef WASMLET_SIMD_SSE2
  return static_cast<uint32_t>(_mm_movemask_epi8(bits<__m128i>(v)));
#else
  uint32_t mask = 0;
  for (int i = 0; i < 16; ++i) mask |= static_cast<uint32_t>(v.bytes[i] >> 7) << i;
  return mask;
#endif
}

// One bit per byte: bit i is set when byte i is zero.
inline uint32_t zero_bytes(V128 v) { return byte_sign_bits(v128(bits<u8x16>(v) == 0)); }
}  // namespace detail

inline int32_t v128_any_true(V128 v) { return detail::zero_bytes(v) != 0xffff; }

// A lane is zero when all its bytes are zero, so a lane of n bytes is zero
// exactly when its n bits in the zero-byte mask are all set.
inline int32_t i8x16_all_true(V128 v) { return detail::zero_bytes(v) == 0; }
inline int32_t i16x8_all_true(V128 v) { return detail::byte_sign_bits(v128(bits<u16x8>(v) == 0)) == 0; }
inline int32_t i32x4_all_true(V128 v) { return detail::byte_sign_bits(v128(bits<u32x4>(v) == 0)) == 0; }
inline int32_t i64x2_all_true(V128 v) { return detail::byte_sign_bits(v128(bits<u64x2>(v) == 0)) == 0; }

// Bit i of the result is the sign bit of lane i.
inline int32_t i8x16_bitmask(V128 v) { return static_cast<int32_t>(detail::byte_sign_bits(v)); }

inline int32_t i16x8_bitmask(V128 v) {
#ifdef WASMLET_SIMD_SSE2
  __m128i x = bits<__m128i>(v);
  return _mm_movemask_epi8(_mm_packs_epi16(x, _mm_setzero_si128()));
#else
  int32_t mask = 0;
  for (unsigned i = 0; i < 8; ++i) mask |= (get_lane<uint16_t>(v, i) >> 15) << i;
  return mask;
#endif
}

inline int32_t i32x4_bitmask(V128 v) {
#ifdef WASMLET_SIMD_SSE2
  return _mm_movemask_ps(bits<__m128>(v));
#else
  int32_t mask = 0;
  for (unsigned i = 0; i < 4; ++i) mask |= static_cast<int32_t>(get_lane<uint32_t>(v, i) >> 31) << i;
  return mask;
#endif
}

inline int32_t i64x2_bitmask(V128 v) {
#ifdef WASMLET_SIMD_SSE2
  return _mm_movemask_pd(bits<__m128d>(v));
#else
  return static_cast<int32_t>((get_lane<uint64_t>(v, 0) >> 63) | ((get_lane<uint64_t>(v, 1) >> 63) << 1));
#endif
}

}  // namespace wasmlet::simd

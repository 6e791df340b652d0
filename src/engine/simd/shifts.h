// Lane-wise shifts by a scalar; the count is taken modulo the lane width.
// shl and shr_u shift the unsigned view, shr_s the signed one (arithmetic).
#pragma once

#include "engine/simd/v128.h"

namespace wasmlet::simd {

#define WASMLET_SIMD_SHIFTS(shape, S, U)                               \
  inline V128 shape##_shl(V128 a, uint32_t n) {                        \
    return v128(bits<U>(a) << static_cast<int>(n % lane_bits<U>));     \
  }                                                                    \
  inline V128 shape##_shr_s(V128 a, uint32_t n) {                      \
    return v128(bits<S>(a) >> static_cast<int>(n % lane_bits<S>));     \
  }                                                                    \
  inline V128 shape##_shr_u(V128 a, uint32_t n) {                      \
    return v128(bits<U>(a) >> static_cast<int>(n % lane_bits<U>));     \
  }

WASMLET_SIMD_SHIFTS(i8x16, i8x16, u8x16)
WASMLET_SIMD_SHIFTS(i16x8, i16x8, u16x8)
WASMLET_SIMD_SHIFTS(i32x4, i32x4, u32x4)
WASMLET_SIMD_SHIFTS(i64x2, i64x2, u64x2)

#undef WASMLET_SIMD_SHIFTS

}  // namespace wasmlet::simd

// Lane-wise comparisons: each result lane is all ones (true) or all zeros.
// Float comparisons are IEEE's: any comparison with NaN is false except ne.
// Vector comparisons produce exactly these masks; the macros only spell out
// the 64 named functions (signed view for _s, unsigned view for _u and eq/ne).
#pragma once

#include "engine/simd/v128.h"

namespace wasmlet::simd {

#define WASMLET_SIMD_COMPARE(name, View, op) \
  inline V128 name(V128 a, V128 b) { return v128(bits<View>(a) op bits<View>(b)); }

#define WASMLET_SIMD_COMPARE_SIGNED(shape, S, U) \
  WASMLET_SIMD_COMPARE(shape##_eq, U, ==)        \
  WASMLET_SIMD_COMPARE(shape##_ne, U, !=)        \
  WASMLET_SIMD_COMPARE(shape##_lt_s, S, <)       \
  WASMLET_SIMD_COMPARE(shape##_gt_s, S, >)       \
  WASMLET_SIMD_COMPARE(shape##_le_s, S, <=)      \
  WASMLET_SIMD_COMPARE(shape##_ge_s, S, >=)

#define WASMLET_SIMD_COMPARE_UNSIGNED(shape, U) \
  WASMLET_SIMD_COMPARE(shape##_lt_u, U, <)      \
  WASMLET_SIMD_COMPARE(shape##_gt_u, U, >)      \
  WASMLET_SIMD_COMPARE(shape##_le_u, U, <=)     \
  WASMLET_SIMD_COMPARE(shape##_ge_u, U, >=)

#define WASMLET_SIMD_COMPARE_FLOAT(shape)   \
  WASMLET_SIMD_COMPARE(shape##_eq, shape, ==) \
  WASMLET_SIMD_COMPARE(shape##_ne, shape, !=) \
  WASMLET_SIMD_COMPARE(shape##_lt, shape, <)  \
  WASMLET_SIMD_COMPARE(shape##_gt, shape, >)  \
  WASMLET_SIMD_COMPARE(shape##_le, shape, <=) \
  WASMLET_SIMD_COMPARE(shape##_ge, shape, >=)

WASMLET_SIMD_COMPARE_SIGNED(i8x16, i8x16, u8x16)
WASMLET_SIMD_COMPARE_UNSIGNED(i8x16, u8x16)
WASMLET_SIMD_COMPARE_SIGNED(i16x8, i16x8, u16x8)
WASMLET_SIMD_COMPARE_UNSIGNED(i16x8, u16x8)
WASMLET_SIMD_COMPARE_SIGNED(i32x4, i32x4, u32x4)
WASMLET_SIMD_COMPARE_UNSIGNED(i32x4, u32x4)
WASMLET_SIMD_COMPARE_SIGNED(i64x2, i64x2, u64x2)  // i64x2 has no unsigned comparisons
WASMLET_SIMD_COMPARE_FLOAT(f32x4)
WASMLET_SIMD_COMPARE_FLOAT(f64x2)

#undef WASMLET_SIMD_COMPARE_FLOAT
#undef WASMLET_SIMD_COMPARE_UNSIGNED
#undef WASMLET_SIMD_COMPARE_SIGNED
#undef WASMLET_SIMD_COMPARE

}  // namespace wasmlet::simd

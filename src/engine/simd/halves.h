// Building blocks of the widening and narrowing operations: the low or high
// half of a vector (or its even or odd lanes) widened to twice the lane
// width, and two half vectors joined into one.
#pragma once

#include "engine/simd/v128.h"

namespace wasmlet::simd {

// --- low / high half, widened (sign- or zero-extended by the element type) ---
inline i16x8 widen_low(i8x16 v) { return __builtin_convertvector(__builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7), i16x8); }
inline i16x8 widen_high(i8x16 v) { return __builtin_convertvector(__builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15), i16x8); }
inline u16x8 widen_low(u8x16 v) { return __builtin_convertvector(__builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7), u16x8); }
inline u16x8 widen_high(u8x16 v) { return __builtin_convertvector(__builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15), u16x8); }
inline i32x4 widen_low(i16x8 v) { return __builtin_convertvector(__builtin_shufflevector(v, v, 0, 1, 2, 3), i32x4); }
inline i32x4 widen_high(i16x8 v) { return __builtin_convertvector(__builtin_shufflevector(v, v, 4, 5, 6, 7), i32x4); }
inline u32x4 widen_low(u16x8 v) { return __builtin_convertvector(__builtin_shufflevector(v, v, 0, 1, 2, 3), u32x4); }
inline u32x4 widen_high(u16x8 v) { return __builtin_convertvector(__builtin_shufflevector(v, v, 4, 5, 6, 7), u32x4); }
inline i64x2 widen_low(i32x4 v) { return __builtin_convertvector(__builtin_shufflevector(v, v, 0, 1), i64x2); }
inline i64x2 widen_high(i32x4 v) { return __builtin_convertvector(__builtin_shufflevector(v, v, 2, 3), i64x2); }
inline u64x2 widen_low(u32x4 v) { return __builtin_convertvector(__builtin_shufflevector(v, v, 0, 1), u64x2); }
inline u64x2 widen_high(u32x4 v) { return __builtin_convertvector(__builtin_shufflevector(v, v, 2, 3), u64x2); }

// --- even / odd lanes, widened (the pairs of extadd_pairwise and dot) ---
inline i16x8 widen_even(i8x16 v) { return __builtin_convertvector(__builtin_shufflevector(v, v, 0, 2, 4, 6, 8, 10, 12, 14), i16x8); }
inline i16x8 widen_odd(i8x16 v) { return __builtin_convertvector(__builtin_shufflevector(v, v, 1, 3, 5, 7, 9, 11, 13, 15), i16x8); }
inline u16x8 widen_even(u8x16 v) { return __builtin_convertvector(__builtin_shufflevector(v, v, 0, 2, 4, 6, 8, 10, 12, 14), u16x8); }
inline u16x8 widen_odd(u8x16 v) { return __builtin_convertvector(__builtin_shufflevector(v, v, 1, 3, 5, 7, 9, 11, 13, 15), u16x8); }
inline i32x4 widen_even(i16x8 v) { return __builtin_convertvector(__builtin_shufflevector(v, v, 0, 2, 4, 6), i32x4); }
inline i32x4 widen_odd(i16x8 v) { return __builtin_convertvector(__builtin_shufflevector(v, v, 1, 3, 5, 7), i32x4); }
inline u32x4 widen_even(u16x8 v) { return __builtin_convertvector(__builtin_shufflevector(v, v, 0, 2, 4, 6), u32x4); }
inline u32x4 widen_odd(u16x8 v) { return __builtin_convertvector(__builtin_shufflevector(v, v, 1, 3, 5, 7), u32x4); }

// --- two halves joined: lo becomes lanes 0..n/2-1 ---
inline i8x16 concat(i8x8 lo, i8x8 hi) { return __builtin_shufflevector(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); }
inline u8x16 concat(u8x8 lo, u8x8 hi) { return __builtin_shufflevector(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); }
inline i16x8 concat(i16x4 lo, i16x4 hi) { return __builtin_shufflevector(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7); }
inline u16x8 concat(u16x4 lo, u16x4 hi) { return __builtin_shufflevector(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7); }
inline i32x4 concat(i32x2 lo, i32x2 hi) { return __builtin_shufflevector(lo, hi, 0, 1, 2, 3); }
inline f32x4 concat(f32x2 lo, f32x2 hi) { return __builtin_shufflevector(lo, hi, 0, 1, 2, 3); }

}  // namespace wasmlet::simd

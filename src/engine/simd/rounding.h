// Rounding to an integral float: ceil, floor, trunc, nearest (ties to even).
// SSE2 has no rounding instruction, so every lane is first rounded to
// nearest by the 2^23 (2^52) trick: adding that to |x| < 2^23 leaves no
// fraction bits, so the FPU's round-to-nearest-even does the rounding and
// subtracting it again is exact. ceil/floor/trunc then step by one where
// nearest went the wrong way. Lanes at or above 2^23 (and infinities) are
// integral already; NaN lanes come back quiet. The sign of the input is
// copied to the result, so -0.5 rounds to -0, as IEEE requires.
#pragma once

#include "engine/simd/float_bits.h"

namespace wasmlet::simd {

namespace detail {
enum class Rounding { Nearest, Floor, Ceil, Trunc };

template <typename F, Rounding mode>
inline V128 round(V128 a) {
  using L = FloatLanes<F>;
  using Int = typename L::Int;
  F x = bits<F>(a);
  F magnitude = abs_bits(x);
  Int has_fraction = magnitude < L::kNoFraction;  // false for NaN and infinities
  F big = broadcast<F>(L::kNoFraction);
  F r = (magnitude + big) - big;  // |x| rounded to nearest even
  F one = broadcast<F>(1);
  if constexpr (mode == Rounding::Floor) {
    r = copy_sign(r, x);
    r = r - bits<F>(bits<Int>(one) & (r > x));
  } else if constexpr (mode == Rounding::Ceil) {
    r = copy_sign(r, x);
    r = r + bits<F>(bits<Int>(one) & (r < x));
  } else if constexpr (mode == Rounding::Trunc) {
    r = r - bits<F>(bits<Int>(one) & (r > magnitude));  // toward zero in magnitude
  }
  return v128(select(has_fraction, copy_sign(r, x), quiet(x)));
}
}  // namespace detail

inline V128 f32x4_ceil(V128 a) { return detail::round<f32x4, detail::Rounding::Ceil>(a); }
inline V128 f32x4_floor(V128 a) { return detail::round<f32x4, detail::Rounding::Floor>(a); }
inline V128 f32x4_trunc(V128 a) { return detail::round<f32x4, detail::Rounding::Trunc>(a); }
inline V128 f32x4_nearest(V128 a) { return detail::round<f32x4, detail::Rounding::Nearest>(a); }
inline V128 f64x2_ceil(V128 a) { return detail::round<f64x2, detail::Rounding::Ceil>(a); }
inline V128 f64x2_floor(V128 a) { return detail::round<f64x2, detail::Rounding::Floor>(a); }
inline V128 f64x2_trunc(V128 a) { return detail::round<f64x2, detail::Rounding::Trunc>(a); }
inline V128 f64x2_nearest(V128 a) { return detail::round<f64x2, detail::Rounding::Nearest>(a); }

}  // namespace wasmlet::simd

// Lane-wise float arithmetic. add/sub/mul/div/sqrt are IEEE 754 operations
// (round to nearest even; a NaN result is the hardware's quiet NaN, which is
// canonical for canonical inputs and arithmetic otherwise, as the spec
// allows). abs and neg only touch the sign bit. min and max follow the spec,
// not the hardware: NaN if either operand is NaN, and -0 < +0. pmin/pmax
// are the "pseudo" versions defined as a select: b < a ? b : a.
#pragma once

#include "engine/simd/float_bits.h"

#include <cmath>

namespace wasmlet::simd {

namespace detail {
template <typename F>
inline V128 fmin(V128 a, V128 b) {
  using L = FloatLanes<F>;
  using Int = typename L::Int;
  F x = bits<F>(a), y = bits<F>(b);
  Int lt = x < y, gt = y < x, ix = bits<Int>(x), iy = bits<Int>(y);
  // Equal operands: OR the bits, so min(-0, +0) is -0.
  Int r = (ix & lt) | (iy & gt) | ((ix | iy) & ~(lt | gt));
  return v128(select(nan_lanes(x) | nan_lanes(y), Int{} + L::kCanonicalNan, r));
}

template <typename F>
inline V128 fmax(V128 a, V128 b) {
  using L = FloatLanes<F>;
  using Int = typename L::Int;
  F x = bits<F>(a), y = bits<F>(b);
  Int gt = x > y, lt = y > x, ix = bits<Int>(x), iy = bits<Int>(y);
  // Equal operands: AND the bits, so max(-0, +0) is +0.
  Int r = (ix & gt) | (iy & lt) | ((ix & iy) & ~(lt | gt));
  return v128(select(nan_lanes(x) | nan_lanes(y), Int{} + L::kCanonicalNan, r));
}

template <typename F>
inline V128 pmin(V128 a, V128 b) {
  F x = bits<F>(a), y = bits<F>(b);
  return v128(select(y < x, y, x));
}

template <typename F>
inline V128 pmax(V128 a, V128 b) {
  F x = bits<F>(a), y = bits<F>(b);
  return v128(select(x < y, y, x));
}

template <typename F>
inline V128 fneg(V128 a) {
  using Int = typename FloatLanes<F>::Int;
  return v128(bits<Int>(a) ^ FloatLanes<F>::kSign);
}
}  // namespace detail

inline V128 f32x4_add(V128 a, V128 b) { return v128(bits<f32x4>(a) + bits<f32x4>(b)); }
inline V128 f32x4_sub(V128 a, V128 b) { return v128(bits<f32x4>(a) - bits<f32x4>(b)); }
inline V128 f32x4_mul(V128 a, V128 b) { return v128(bits<f32x4>(a) * bits<f32x4>(b)); }
inline V128 f32x4_div(V128 a, V128 b) { return v128(bits<f32x4>(a) / bits<f32x4>(b)); }
inline V128 f64x2_add(V128 a, V128 b) { return v128(bits<f64x2>(a) + bits<f64x2>(b)); }
inline V128 f64x2_sub(V128 a, V128 b) { return v128(bits<f64x2>(a) - bits<f64x2>(b)); }
inline V128 f64x2_mul(V128 a, V128 b) { return v128(bits<f64x2>(a) * bits<f64x2>(b)); }
inline V128 f64x2_div(V128 a, V128 b) { return v128(bits<f64x2>(a) / bits<f64x2>(b)); }

inline V128 f32x4_sqrt(V128 a) {
#ifdef WASMLET_SIMD_SSE2
  return bits<V128>(_mm_sqrt_ps(bits<__m128>(a)));
#else
  f32x4 v = bits<f32x4>(a);
  for (int i = 0; i < 4; ++i) v[i] = std::sqrt(v[i]);
  return v128(quiet(v));
#endif
}

inline V128 f64x2_sqrt(V128 a) {
#ifdef WASMLET_SIMD_SSE2
  return bits<V128>(_mm_sqrt_pd(bits<__m128d>(a)));
#else
  f64x2 v = bits<f64x2>(a);
  for (int i = 0; i < 2; ++i) v[i] = std::sqrt(v[i]);
  return v128(quiet(v));
#endif
}

inline V128 f32x4_abs(V128 a) { return v128(abs_bits(bits<f32x4>(a))); }
inline V128 f64x2_abs(V128 a) { return v128(abs_bits(bits<f64x2>(a))); }
inline V128 f32x4_neg(V128 a) { return detail::fneg<f32x4>(a); }
inline V128 f64x2_neg(V128 a) { return detail::fneg<f64x2>(a); }

inline V128 f32x4_min(V128 a, V128 b) { return detail::fmin<f32x4>(a, b); }
inline V128 f32x4_max(V128 a, V128 b) { return detail::fmax<f32x4>(a, b); }
inline V128 f64x2_min(V128 a, V128 b) { return detail::fmin<f64x2>(a, b); }
inline V128 f64x2_max(V128 a, V128 b) { return detail::fmax<f64x2>(a, b); }
inline V128 f32x4_pmin(V128 a, V128 b) { return detail::pmin<f32x4>(a, b); }
inline V128 f32x4_pmax(V128 a, V128 b) { return detail::pmax<f32x4>(a, b); }
inline V128 f64x2_pmin(V128 a, V128 b) { return detail::pmin<f64x2>(a, b); }
inline V128 f64x2_pmax(V128 a, V128 b) { return detail::pmax<f64x2>(a, b); }

}  // namespace wasmlet::simd

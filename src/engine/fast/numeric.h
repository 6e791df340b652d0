// Spec-exact scalar operations the numeric instructions (numeric.def) use
// where C++'s own operators differ from WebAssembly: trapping division and
// truncation, saturating truncation, min/max with NaN and signed zeros, and
// sign-bit operations that never touch a NaN's payload.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "wasmlet/outcome.h"

namespace wasmlet::detail::fast {

using u32 = uint32_t;
using u64 = uint64_t;
using f32 = float;
using f64 = double;
inline int32_t s32(uint32_t x) { return static_cast<int32_t>(x); }
inline int64_t s64(uint64_t x) { return static_cast<int64_t>(x); }

// No trap (an operation's success).
inline constexpr TrapKind kNoTrap = TrapKind::Other;

// x86's NaN results (quiet, propagating an operand's payload) are what the
// spec allows for arithmetic NaNs, so results pass through unchanged.
template <typename F>
inline F canon(F x) {
  return x;
}

// Rounding functions may return a signalling NaN operand unchanged; the
// spec wants it quiet (an arithmetic NaN).
template <typename F>
inline F quiet(F operand, F result) {
  return std::isnan(operand) ? operand + operand : result;
}

template <typename F>
using bits_t = std::conditional_t<sizeof(F) == 4, uint32_t, uint64_t>;
template <typename F>
inline constexpr bits_t<F> kSignBit = bits_t<F>(1) << (sizeof(F) * 8 - 1);

template <typename F>
inline F fabs_bits(F x) { return std::bit_cast<F>(bits_t<F>(std::bit_cast<bits_t<F>>(x) & ~kSignBit<F>)); }
template <typename F>
inline F fneg_bits(F x) { return std::bit_cast<F>(bits_t<F>(std::bit_cast<bits_t<F>>(x) ^ kSignBit<F>)); }
template <typename F>
inline F copysign_bits(F x, F y) {
  return std::bit_cast<F>(bits_t<F>((std::bit_cast<bits_t<F>>(x) & ~kSignBit<F>) | (std::bit_cast<bits_t<F>>(y) & kSignBit<F>)));
}

template <typename F>
inline F fmin_wasm(F a, F b) {
  // The positive canonical NaN, as the AOT tier's (wasm2c's) min and max
  // give: the spec allows any arithmetic NaN, and one answer in every tier
  // keeps a program's results (a NaN stored, its bits read) tier-independent.
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<F>::quiet_NaN();
  if (a == b) return std::bit_cast<F>(bits_t<F>(std::bit_cast<bits_t<F>>(a) | std::bit_cast<bits_t<F>>(b)));
  return a < b ? a : b;
}
template <typename F>
inline F fmax_wasm(F a, F b) {
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<F>::quiet_NaN();
  if (a == b) return std::bit_cast<F>(bits_t<F>(std::bit_cast<bits_t<F>>(a) & std::bit_cast<bits_t<F>>(b)));
  return a > b ? a : b;
}

template <typename S>
inline TrapKind div_s(std::make_unsigned_t<S> a, std::make_unsigned_t<S> b, std::make_unsigned_t<S>& r) {
  using U = std::make_unsigned_t<S>;
  if (b == 0) return TrapKind::IntegerDivideByZero;
  if (S(a) == std::numeric_limits<S>::min() && S(b) == -1) return TrapKind::IntegerOverflow;
  r = U(S(a) / S(b));
  return kNoTrap;
}
template <typename U>
inline TrapKind div_u(U a, U b, U& r) {
  if (b == 0) return TrapKind::IntegerDivideByZero;
  r = a / b;
  return kNoTrap;
}
template <typename S>
inline TrapKind rem_s(std::make_unsigned_t<S> a, std::make_unsigned_t<S> b, std::make_unsigned_t<S>& r) {
  using U = std::make_unsigned_t<S>;
  if (b == 0) return TrapKind::IntegerDivideByZero;
  if (S(b) == -1) {
    r = 0;
    return kNoTrap;
  }
  r = U(S(a) % S(b));
  return kNoTrap;
}
template <typename U>
inline TrapKind rem_u(U a, U b, U& r) {
  if (b == 0) return TrapKind::IntegerDivideByZero;
  r = a % b;
  return kNoTrap;
}

// Whether float x truncates into I's range: -2^N-1 < x < 2^N for unsigned
// bounds computed exactly as powers of two.
template <typename I, typename F>
inline bool trunc_in_range(F x) {
  constexpr int bits = sizeof(I) * 8;
  if constexpr (std::is_signed_v<I>) {
    const F lo = -std::ldexp(F(1), bits - 1), hi = std::ldexp(F(1), bits - 1);
    // x > lo - 1 (exactly representable checks): trunc(x) >= lo.
    return x >= lo ? x < hi : (std::trunc(x) >= lo && x < hi);
  } else {
    const F hi = std::ldexp(F(1), bits);
    return x > F(-1) && x < hi;
  }
}

template <typename I, typename F, typename R>
inline TrapKind trunc_checked(F x, R& r) {
  if (std::isnan(x)) return TrapKind::InvalidConversion;
  if (!trunc_in_range<I>(x)) return TrapKind::IntegerOverflow;
  r = R(static_cast<std::make_unsigned_t<I>>(static_cast<I>(x)));
  return kNoTrap;
}

template <typename I, typename F>
inline I trunc_sat(F x) {
  if (std::isnan(x)) return 0;
  if (!trunc_in_range<I>(x)) return x < 0 ? std::numeric_limits<I>::min() : std::numeric_limits<I>::max();
  return static_cast<I>(x);
}

}  // namespace wasmlet::detail::fast

// Unsigned 32-bit division and remainder by a constant without a divide
// instruction (which takes 15-40 cycles): with c = ceil(2^64 / d), for every
// 32-bit n and 2 <= d < 2^32,
//   n / d == (c * n) >> 64                     (the full 128-bit product)
//   n % d == ((c * n mod 2^64) * d) >> 64
// (Lemire, Kaser and Kurz, "Faster remainder by direct computation", 2019).
// The translator uses it for i32.div_u and i32.rem_u by a constant: musl's
// printf divides every number it prints by 10.
//
// 64-bit dividends (a digit loop's i64 quotient and remainder) take
// Granlund and Montgomery's round-up method ("Division by invariant
// integers using multiplication", 1994, figure 4.1): with l = ceil(log2 d)
// and m = floor(2^64 (2^l - d) / d) + 1, which fits 64 bits, for every
// 64-bit n and 2 <= d,
//   t = (m * n) >> 64,   n / d == (t + ((n - t) >> 1)) >> (l - 1)
#pragma once

#include <cstdint>

namespace wasmlet::detail::fast {

// c for divisor d (2 <= d).
constexpr uint64_t reciprocal_of(uint32_t d) { return UINT64_MAX / d + 1; }

inline uint32_t divide_by(uint32_t n, uint64_t c) { return uint32_t((unsigned __int128)c * n >> 64); }

inline uint32_t remainder_by(uint32_t n, uint64_t c, uint32_t d) {
  const uint64_t fraction = c * n;  // mod 2^64
  return uint32_t((unsigned __int128)fraction * d >> 64);
}

struct Reciprocal64 {
  uint64_t m;
  uint32_t shift;  // l - 1
};

// m and l - 1 for divisor d (2 <= d).
constexpr Reciprocal64 reciprocal64_of(uint64_t d) {
  uint32_t l = 1;
  while (l < 64 && (uint64_t(1) << l) < d) ++l;
  const unsigned __int128 excess = ((unsigned __int128)1 << l) - d;  // 2^l - d < d
  return {uint64_t((excess << 64) / d + 1), l - 1};
}

inline uint64_t divide64_by(uint64_t n, uint64_t m, uint32_t shift) {
  const uint64_t t = uint64_t((unsigned __int128)m * n >> 64);
  return (t + ((n - t) >> 1)) >> shift;
}

}  // namespace wasmlet::detail::fast

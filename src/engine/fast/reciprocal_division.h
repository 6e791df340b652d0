// Unsigned 32-bit division and remainder by a constant without a divide
// instruction (which takes 15-40 cycles): with c = ceil(2^64 / d), for every
// 32-bit n and 2 <= d < 2^32,
//   n / d == (c * n) >> 64                     (the full 128-bit product)
//   n % d == ((c * n mod 2^64) * d) >> 64
// (Lemire, Kaser and Kurz, "Faster remainder by direct computation", 2019).
// The translator uses it for i32.div_u and i32.rem_u by a constant: musl's
// printf divides every number it prints by 10.
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

}  // namespace wasmlet::detail::fast

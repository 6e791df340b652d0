// The 128-bit bitwise operations: not, and, andnot, or, xor, bitselect.
#pragma once

#include "engine/simd/v128.h"

namespace wasmlet::simd {

inline V128 v128_not(V128 a) { return v128(~bits<u64x2>(a)); }
inline V128 v128_and(V128 a, V128 b) { return v128(bits<u64x2>(a) & bits<u64x2>(b)); }
inline V128 v128_andnot(V128 a, V128 b) { return v128(bits<u64x2>(a) & ~bits<u64x2>(b)); }
inline V128 v128_or(V128 a, V128 b) { return v128(bits<u64x2>(a) | bits<u64x2>(b)); }
inline V128 v128_xor(V128 a, V128 b) { return v128(bits<u64x2>(a) ^ bits<u64x2>(b)); }

// Bits of a where the mask bit is 1, bits of b where it is 0.
inline V128 v128_bitselect(V128 a, V128 b, V128 mask) { return v128(select(bits<u64x2>(mask), a, b)); }

}  // namespace wasmlet::simd

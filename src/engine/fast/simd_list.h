// The SIMD128 instructions the fast interpreter runs: the simd_ops.def list of
// src/engine/simd/ (the lane semantics), when that library is present.
// Include after defining the SIMD_* macros you need (simd_ops.def's shapes);
// the others expand to nothing.
#if __has_include("engine/simd/simd_ops.def")
#define WASMLET_FAST_HAS_SIMD 1
#include "engine/simd/simd_ops.def"
#endif
// The includer's SIMD_* definitions end here, so the next includer defines its own.
#undef SIMD_UNARY
#undef SIMD_BINARY
#undef SIMD_TERNARY
#undef SIMD_TEST
#undef SIMD_SHIFT
#undef SIMD_SPLAT
#undef SIMD_EXTRACT
#undef SIMD_REPLACE
#undef SIMD_LOAD
#undef SIMD_STORE
#undef SIMD_LOAD_LANE
#undef SIMD_STORE_LANE
#undef SIMD_CONST
#undef SIMD_SHUFFLE

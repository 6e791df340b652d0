// wasmlet's SIMD128 semantics: every instruction of the WebAssembly 2.0
// SIMD proposal as an inline function on V128 (simd_ops.def lists them by
// opcode and shape). Header-only, no engine dependencies; used by the
// interpreter tier. One family per header:
#pragma once

#include "engine/simd/v128.h"            // the value, lane views, bit casts
#include "engine/simd/lanes.h"           // splat, extract/replace_lane, shuffle, swizzle
#include "engine/simd/bitwise.h"         // not, and, andnot, or, xor, bitselect
#include "engine/simd/lane_tests.h"      // any_true, all_true, bitmask
#include "engine/simd/compare.h"         // eq, ne, lt, gt, le, ge (int and float)
#include "engine/simd/shifts.h"          // shl, shr_s, shr_u
#include "engine/simd/int_arith.h"       // add, sub, mul, neg, abs, min, max, avgr_u, popcnt, q15mulr
#include "engine/simd/saturating.h"      // add_sat, sub_sat
#include "engine/simd/extend_narrow.h"   // extend_low/high, narrow
#include "engine/simd/widening_arith.h"  // extmul, extadd_pairwise, dot
#include "engine/simd/float_arith.h"     // add..div, sqrt, abs, neg, min, max, pmin, pmax
#include "engine/simd/rounding.h"        // ceil, floor, trunc, nearest
#include "engine/simd/conversions.h"     // convert, trunc_sat, demote, promote
#include "engine/simd/memory.h"          // loads and stores on a host pointer

// The SIMD handlers of the dispatch loop (included inside run()), generated
// from simd_ops.def: each reads its v128 operands from two slots, calls the
// lane function of src/engine/simd/ and writes the result. Operand layouts
// (translator.cpp, simd()): dst|a [, b|c] [, immediates]. Memory accesses
// use any memory through the instance and are bounds-checked here.
#ifdef WASMLET_FAST_SIMD_HANDLERS
#define V(slot) simd::load_v128(&fp[slot])
#define PUT(slot, v) simd::store_v128(&fp[slot], (v))
#define SIMD_UNARY(c, fn) L_simd_##fn : PUT(A1, simd::fn(V(B1))); ip += 2; NEXT();
#define SIMD_BINARY(c, fn) L_simd_##fn : PUT(A1, simd::fn(V(B1), V(A2))); ip += 3; NEXT();
#define SIMD_TERNARY(c, fn) L_simd_##fn : PUT(A1, simd::fn(V(B1), V(A2), V(B2))); ip += 3; NEXT();
#define SIMD_TEST(c, fn) L_simd_##fn : fp[A1] = uint32_t(simd::fn(V(B1))); ip += 2; NEXT();
#define SIMD_SHIFT(c, fn) L_simd_##fn : PUT(A1, simd::fn(V(B1), uint32_t(fp[A2]))); ip += 3; NEXT();
#define SIMD_SPLAT(c, fn, T) L_simd_##fn : PUT(A1, simd::fn(rd<T>(fp, B1))); ip += 2; NEXT();
#define SIMD_EXTRACT(c, fn, T, ...) L_simd_##fn : wr_lane<T>(fp, A1, simd::fn(V(B1), A2)); ip += 3; NEXT();
#define SIMD_REPLACE(c, fn, T, ...) L_simd_##fn : PUT(A1, simd::fn(V(B1), B2, rd<T>(fp, A2))); ip += 3; NEXT();
#define SIMD_ADDRESS(width)                                                \
  LinearMemory* m = inst->memories[B2];                                    \
  const uint64_t ea = uint64_t(uint32_t(fp[B1])) + A2;                     \
  if (ea + (width) > m->bytes()) OOB(ea, width, m->bytes());               \
  uint8_t* p = m->base() + ea;
#define SIMD_LOAD(c, fn, width) L_simd_##fn : { SIMD_ADDRESS(width) PUT(A1, simd::fn(p)); ip += 3; NEXT(); }
#define SIMD_STORE(c, fn, width) L_simd_##fn : { SIMD_ADDRESS(width) simd::fn(p, V(A1)); ip += 3; NEXT(); }
#define SIMD_LOAD_LANE(c, fn, width, ...) \
  L_simd_##fn : { SIMD_ADDRESS(width) PUT(A1, simd::fn(p, V(ip[3].pair.a), ip[3].pair.b)); ip += 4; NEXT(); }
#define SIMD_STORE_LANE(c, fn, width, ...) \
  L_simd_##fn : { SIMD_ADDRESS(width) simd::fn(p, V(A1), ip[3].pair.a); ip += 4; NEXT(); }
#define SIMD_SHUFFLE(c, fn) \
  L_simd_##fn : PUT(A1, simd::fn(V(B1), V(A2), reinterpret_cast<const uint8_t*>(&ip[3]))); ip += 5; NEXT();
#include "engine/fast/simd_list.h"
#undef V
#undef PUT
#undef SIMD_ADDRESS
#endif

// The 128-bit SIMD value and its lane views. A V128 is 16 bytes, lanes in
// little-endian order (lane 0 first), as WebAssembly defines them. The ops
// in this folder bit-cast it to GCC/Clang vector types (vector_size(16)),
// which both compilers turn into SSE2 registers and instructions on x86-64
// and into portable code elsewhere; a memcpy of 16 bytes is one move.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

// SSE2 intrinsics (the x86-64 baseline) where the vector extensions give
// poor code; portable code otherwise, and when WASMLET_SIMD_PORTABLE is
// defined (the simd_portable_tests build checks that code on x86-64 too).
#if defined(__SSE2__) && !defined(WASMLET_SIMD_PORTABLE)
#define WASMLET_SIMD_SSE2 1
#include <emmintrin.h>
#endif

namespace wasmlet::simd {

static_assert(std::endian::native == std::endian::little, "lane order assumes a little-endian host");

struct alignas(16) V128 {
  uint8_t bytes[16];
};

// Lane views. Arithmetic that may wrap is done on the unsigned views
// (signed overflow is undefined even for vector types).
using i8x16 = int8_t __attribute__((vector_size(16)));
using u8x16 = uint8_t __attribute__((vector_size(16)));
using i16x8 = int16_t __attribute__((vector_size(16)));
using u16x8 = uint16_t __attribute__((vector_size(16)));
using i32x4 = int32_t __attribute__((vector_size(16)));
using u32x4 = uint32_t __attribute__((vector_size(16)));
using i64x2 = int64_t __attribute__((vector_size(16)));
using u64x2 = uint64_t __attribute__((vector_size(16)));
using f32x4 = float __attribute__((vector_size(16)));
using f64x2 = double __attribute__((vector_size(16)));
// Half vectors: a low or high half before it is widened.
using i8x8 = int8_t __attribute__((vector_size(8)));
using u8x8 = uint8_t __attribute__((vector_size(8)));
using i16x4 = int16_t __attribute__((vector_size(8)));
using u16x4 = uint16_t __attribute__((vector_size(8)));
using i32x2 = int32_t __attribute__((vector_size(8)));
using u32x2 = uint32_t __attribute__((vector_size(8)));
using f32x2 = float __attribute__((vector_size(8)));

// The element type of a vector view.
template <typename Vec>
using lane_t = std::remove_cvref_t<decltype(std::declval<Vec>()[0])>;

template <typename Vec>
inline constexpr uint32_t lane_bits = sizeof(lane_t<Vec>) * 8;

// Reinterpret between V128 and any 16-byte vector view (or between views).
template <typename To, typename From>
inline To bits(From from) {
  static_assert(sizeof(To) == 16 && sizeof(From) == 16);
  To to;
  std::memcpy(&to, &from, 16);
  return to;
}

template <typename Vec>
inline V128 v128(Vec vec) {
  return bits<V128>(vec);
}

// Unaligned access to a V128 wherever it is stored (interpreter slots, memory).
inline V128 load_v128(const void* p) {
  V128 v;
  std::memcpy(&v, p, 16);
  return v;
}

inline void store_v128(void* p, V128 v) { std::memcpy(p, &v, 16); }

// Lane-wise select: where a mask lane is all ones take `a`, else `b`.
template <typename Vec, typename Mask>
inline Vec select(Mask mask, Vec a, Vec b) {
  auto m = bits<u64x2>(mask);
  return bits<Vec>((bits<u64x2>(a) & m) | (bits<u64x2>(b) & ~m));
}

#ifdef WASMLET_SIMD_SSE2
// A two-operand SSE2 intrinsic on V128s (for the ops gcc does not map to the
// one instruction SSE2 has for them).
#define WASMLET_SIMD_SSE2_OP(intrinsic, a, b) bits<V128>(intrinsic(bits<__m128i>(a), bits<__m128i>(b)))
#endif

// Scalar lane access with the lane index taken modulo the lane count, so a
// caller's bad index can never reach outside the 16 bytes.
template <typename T>
inline T get_lane(V128 v, unsigned lane) {
  T value;
  std::memcpy(&value, v.bytes + (lane % (16 / sizeof(T))) * sizeof(T), sizeof(T));
  return value;
}

template <typename T>
inline V128 set_lane(V128 v, unsigned lane, T value) {
  std::memcpy(v.bytes + (lane % (16 / sizeof(T))) * sizeof(T), &value, sizeof(T));
  return v;
}

}  // namespace wasmlet::simd

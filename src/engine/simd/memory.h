// The SIMD memory accesses on a host pointer the interpreter has already
// bounds-checked for the access size (the ops never check or trap):
// v128.load/store, the extending loads (8x8, 16x4, 32x2), the splat loads,
// the zero-extending loads and the single-lane loads and stores. Memory is
// little endian, like the lanes, and may be unaligned.
#pragma once

#include "engine/simd/halves.h"

namespace wasmlet::simd {

namespace detail {
template <typename T>
inline T read(const uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}
}  // namespace detail

inline V128 v128_load(const uint8_t* p) { return load_v128(p); }
inline void v128_store(uint8_t* p, V128 v) { store_v128(p, v); }

// 8 bytes read, each half lane widened.
inline V128 v128_load8x8_s(const uint8_t* p) { return v128(__builtin_convertvector(detail::read<i8x8>(p), i16x8)); }
inline V128 v128_load8x8_u(const uint8_t* p) { return v128(__builtin_convertvector(detail::read<u8x8>(p), u16x8)); }
inline V128 v128_load16x4_s(const uint8_t* p) { return v128(__builtin_convertvector(detail::read<i16x4>(p), i32x4)); }
inline V128 v128_load16x4_u(const uint8_t* p) { return v128(__builtin_convertvector(detail::read<u16x4>(p), u32x4)); }
inline V128 v128_load32x2_s(const uint8_t* p) { return v128(__builtin_convertvector(detail::read<i32x2>(p), i64x2)); }
inline V128 v128_load32x2_u(const uint8_t* p) { return v128(__builtin_convertvector(detail::read<u32x2>(p), u64x2)); }

inline V128 v128_load8_splat(const uint8_t* p) {
  uint8_t b = *p;
  return v128(u8x16{b, b, b, b, b, b, b, b, b, b, b, b, b, b, b, b});
}
inline V128 v128_load16_splat(const uint8_t* p) {
  auto h = detail::read<uint16_t>(p);
  return v128(u16x8{h, h, h, h, h, h, h, h});
}
inline V128 v128_load32_splat(const uint8_t* p) {
  auto w = detail::read<uint32_t>(p);
  return v128(u32x4{w, w, w, w});
}
inline V128 v128_load64_splat(const uint8_t* p) {
  auto d = detail::read<uint64_t>(p);
  return v128(u64x2{d, d});
}

inline V128 v128_load32_zero(const uint8_t* p) { return v128(u32x4{detail::read<uint32_t>(p), 0, 0, 0}); }
inline V128 v128_load64_zero(const uint8_t* p) { return v128(u64x2{detail::read<uint64_t>(p), 0}); }

// One lane replaced by the value read / one lane written.
inline V128 v128_load8_lane(const uint8_t* p, V128 v, unsigned lane) { return set_lane(v, lane, *p); }
inline V128 v128_load16_lane(const uint8_t* p, V128 v, unsigned lane) { return set_lane(v, lane, detail::read<uint16_t>(p)); }
inline V128 v128_load32_lane(const uint8_t* p, V128 v, unsigned lane) { return set_lane(v, lane, detail::read<uint32_t>(p)); }
inline V128 v128_load64_lane(const uint8_t* p, V128 v, unsigned lane) { return set_lane(v, lane, detail::read<uint64_t>(p)); }

inline void v128_store8_lane(uint8_t* p, V128 v, unsigned lane) { *p = get_lane<uint8_t>(v, lane); }
inline void v128_store16_lane(uint8_t* p, V128 v, unsigned lane) {
  auto h = get_lane<uint16_t>(v, lane);
  std::memcpy(p, &h, 2);
}
inline void v128_store32_lane(uint8_t* p, V128 v, unsigned lane) {
  auto w = get_lane<uint32_t>(v, lane);
  std::memcpy(p, &w, 4);
}
inline void v128_store64_lane(uint8_t* p, V128 v, unsigned lane) {
  auto d = get_lane<uint64_t>(v, lane);
  std::memcpy(p, &d, 8);
}

}  // namespace wasmlet::simd

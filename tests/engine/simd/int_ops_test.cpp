// Integer SIMD ops against lane-by-lane references written from the spec's
// definitions (wide arithmetic, then wrap or saturate), over every pair of
// edge values (0, ±1, MIN, MAX, lane-width boundaries) and random lanes.
#include "simd_check.h"

namespace wasmlet::simd::testing {
namespace {

template <typename T>
T wrap(int64_t x) {
  return static_cast<T>(x);  // modulo 2^N (C++20)
}

template <typename T>
T saturate(int64_t x) {
  using L = std::numeric_limits<T>;
  return static_cast<T>(x < L::min() ? L::min() : x > L::max() ? L::max() : x);
}

template <typename S>
void check_add_sub_family(const char* shape, V128 (*add)(V128, V128), V128 (*sub)(V128, V128), V128 (*neg)(V128)) {
  check_lanewise_binary<S, S>((std::string(shape) + ".add").c_str(), add, [](S x, S y) { return exact(wrap<S>(int64_t(x) + y)); });
  check_lanewise_binary<S, S>((std::string(shape) + ".sub").c_str(), sub, [](S x, S y) { return exact(wrap<S>(int64_t(x) - y)); });
  check_lanewise_unary<S, S>((std::string(shape) + ".neg").c_str(), neg, [](S x) { return exact(wrap<S>(-int64_t(x))); });
}

TEST(SimdIntArith, AddSubNegWrap) {
  check_add_sub_family<int8_t>("i8x16", i8x16_add, i8x16_sub, i8x16_neg);
  check_add_sub_family<int16_t>("i16x8", i16x8_add, i16x8_sub, i16x8_neg);
  check_add_sub_family<int32_t>("i32x4", i32x4_add, i32x4_sub, i32x4_neg);
  // i64: the reference wraps through unsigned arithmetic (no 128-bit temporaries needed).
  check_lanewise_binary<uint64_t, uint64_t>("i64x2.add", i64x2_add, [](uint64_t x, uint64_t y) { return exact(x + y); });
  check_lanewise_binary<uint64_t, uint64_t>("i64x2.sub", i64x2_sub, [](uint64_t x, uint64_t y) { return exact(x - y); });
  check_lanewise_unary<uint64_t, uint64_t>("i64x2.neg", i64x2_neg, [](uint64_t x) { return exact(0 - x); });
  // Spot values: MIN + -1 wraps to MAX, -MIN is MIN.
  EXPECT_EQ(lanes_of<int8_t>(i8x16_add(i8x16_splat(-128), i8x16_splat(-1)))[3], 127);
  EXPECT_EQ(lanes_of<int32_t>(i32x4_neg(i32x4_splat(INT32_MIN)))[0], INT32_MIN);
}

TEST(SimdIntArith, Mul) {
  check_lanewise_binary<int16_t, int16_t>("i16x8.mul", i16x8_mul, [](int16_t x, int16_t y) { return exact(wrap<int16_t>(int64_t(x) * y)); });
  check_lanewise_binary<int32_t, int32_t>("i32x4.mul", i32x4_mul, [](int32_t x, int32_t y) { return exact(wrap<int32_t>(int64_t(x) * y)); });
  check_lanewise_binary<uint64_t, uint64_t>("i64x2.mul", i64x2_mul, [](uint64_t x, uint64_t y) { return exact(x * y); });
  EXPECT_EQ(lanes_of<int16_t>(i16x8_mul(i16x8_splat(0x4000), i16x8_splat(4)))[7], 0);
}

TEST(SimdIntArith, AbsKeepsMin) {
  auto abs_ref = [](auto x) { return exact(static_cast<decltype(x)>(x < 0 ? 0 - static_cast<std::make_unsigned_t<decltype(x)>>(x) : x)); };
  check_lanewise_unary<int8_t, int8_t>("i8x16.abs", i8x16_abs, abs_ref);
  check_lanewise_unary<int16_t, int16_t>("i16x8.abs", i16x8_abs, abs_ref);
  check_lanewise_unary<int32_t, int32_t>("i32x4.abs", i32x4_abs, abs_ref);
  check_lanewise_unary<int64_t, int64_t>("i64x2.abs", i64x2_abs, abs_ref);
  EXPECT_EQ(lanes_of<int8_t>(i8x16_abs(i8x16_splat(-128)))[0], -128);
  EXPECT_EQ(lanes_of<int64_t>(i64x2_abs(i64x2_splat(-5)))[1], 5);
}

TEST(SimdIntArith, MinMaxSignedAndUnsigned) {
  auto mn = [](auto x, auto y) { return exact(x < y ? x : y); };
  auto mx = [](auto x, auto y) { return exact(x > y ? x : y); };
  check_lanewise_binary<int8_t, int8_t>("i8x16.min_s", i8x16_min_s, mn);
  check_lanewise_binary<uint8_t, uint8_t>("i8x16.min_u", i8x16_min_u, mn);
  check_lanewise_binary<int8_t, int8_t>("i8x16.max_s", i8x16_max_s, mx);
  check_lanewise_binary<uint8_t, uint8_t>("i8x16.max_u", i8x16_max_u, mx);
  check_lanewise_binary<int16_t, int16_t>("i16x8.min_s", i16x8_min_s, mn);
  check_lanewise_binary<uint16_t, uint16_t>("i16x8.min_u", i16x8_min_u, mn);
  check_lanewise_binary<int16_t, int16_t>("i16x8.max_s", i16x8_max_s, mx);
  check_lanewise_binary<uint16_t, uint16_t>("i16x8.max_u", i16x8_max_u, mx);
  check_lanewise_binary<int32_t, int32_t>("i32x4.min_s", i32x4_min_s, mn);
  check_lanewise_binary<uint32_t, uint32_t>("i32x4.min_u", i32x4_min_u, mn);
  check_lanewise_binary<int32_t, int32_t>("i32x4.max_s", i32x4_max_s, mx);
  check_lanewise_binary<uint32_t, uint32_t>("i32x4.max_u", i32x4_max_u, mx);
}

TEST(SimdIntArith, AvgrRoundsUp) {
  auto avgr = [](auto x, auto y) { return exact(static_cast<decltype(x)>((uint64_t(x) + y + 1) / 2)); };
  check_lanewise_binary<uint8_t, uint8_t>("i8x16.avgr_u", i8x16_avgr_u, avgr);
  check_lanewise_binary<uint16_t, uint16_t>("i16x8.avgr_u", i16x8_avgr_u, avgr);
  EXPECT_EQ(lanes_of<uint8_t>(i8x16_avgr_u(i8x16_splat(255), i8x16_splat(254)))[0], 255);
}

TEST(SimdIntArith, Popcnt) {
  check_lanewise_unary<uint8_t, uint8_t>("i8x16.popcnt", i8x16_popcnt, [](uint8_t x) { return exact(uint8_t(std::popcount(x))); });
}

TEST(SimdIntArith, Q15MulrSaturates) {
  check_lanewise_binary<int16_t, int16_t>("i16x8.q15mulr_sat_s", i16x8_q15mulr_sat_s, [](int16_t x, int16_t y) {
    return exact(saturate<int16_t>((int64_t(x) * y + 0x4000) >> 15));
  });
  EXPECT_EQ(lanes_of<int16_t>(i16x8_q15mulr_sat_s(i16x8_splat(-32768), i16x8_splat(-32768)))[5], 32767);
}

TEST(SimdIntArith, SaturatingAddSub) {
  auto add_sat = [](auto x, auto y) { return exact(saturate<decltype(x)>(int64_t(x) + y)); };
  auto sub_sat = [](auto x, auto y) { return exact(saturate<decltype(x)>(int64_t(x) - y)); };
  check_lanewise_binary<int8_t, int8_t>("i8x16.add_sat_s", i8x16_add_sat_s, add_sat);
  check_lanewise_binary<uint8_t, uint8_t>("i8x16.add_sat_u", i8x16_add_sat_u, add_sat);
  check_lanewise_binary<int8_t, int8_t>("i8x16.sub_sat_s", i8x16_sub_sat_s, sub_sat);
  check_lanewise_binary<uint8_t, uint8_t>("i8x16.sub_sat_u", i8x16_sub_sat_u, sub_sat);
  check_lanewise_binary<int16_t, int16_t>("i16x8.add_sat_s", i16x8_add_sat_s, add_sat);
  check_lanewise_binary<uint16_t, uint16_t>("i16x8.add_sat_u", i16x8_add_sat_u, add_sat);
  check_lanewise_binary<int16_t, int16_t>("i16x8.sub_sat_s", i16x8_sub_sat_s, sub_sat);
  check_lanewise_binary<uint16_t, uint16_t>("i16x8.sub_sat_u", i16x8_sub_sat_u, sub_sat);
  EXPECT_EQ(lanes_of<int8_t>(i8x16_sub_sat_s(i8x16_splat(-128), i8x16_splat(1)))[0], -128);
  EXPECT_EQ(lanes_of<uint16_t>(i16x8_add_sat_u(i16x8_splat(65535), i16x8_splat(1)))[0], 65535);
}

TEST(SimdIntCompare, AllShapes) {
  auto cmp = [](auto pred) {
    return [pred](auto x, auto y) { return mask<decltype(x)>(pred(x, y)); };
  };
  auto eq = cmp([](auto x, auto y) { return x == y; });
  auto ne = cmp([](auto x, auto y) { return x != y; });
  auto lt = cmp([](auto x, auto y) { return x < y; });
  auto gt = cmp([](auto x, auto y) { return x > y; });
  auto le = cmp([](auto x, auto y) { return x <= y; });
  auto ge = cmp([](auto x, auto y) { return x >= y; });
#define SHAPE(shape, S, U)                                           \
  check_lanewise_binary<S, S>(#shape ".eq", shape##_eq, eq);         \
  check_lanewise_binary<S, S>(#shape ".ne", shape##_ne, ne);         \
  check_lanewise_binary<S, S>(#shape ".lt_s", shape##_lt_s, lt);     \
  check_lanewise_binary<S, S>(#shape ".gt_s", shape##_gt_s, gt);     \
  check_lanewise_binary<S, S>(#shape ".le_s", shape##_le_s, le);     \
  check_lanewise_binary<S, S>(#shape ".ge_s", shape##_ge_s, ge);
#define UNSIGNED(shape, U)                                           \
  check_lanewise_binary<U, U>(#shape ".lt_u", shape##_lt_u, lt);     \
  check_lanewise_binary<U, U>(#shape ".gt_u", shape##_gt_u, gt);     \
  check_lanewise_binary<U, U>(#shape ".le_u", shape##_le_u, le);     \
  check_lanewise_binary<U, U>(#shape ".ge_u", shape##_ge_u, ge);
  SHAPE(i8x16, int8_t, uint8_t)
  UNSIGNED(i8x16, uint8_t)
  SHAPE(i16x8, int16_t, uint16_t)
  UNSIGNED(i16x8, uint16_t)
  SHAPE(i32x4, int32_t, uint32_t)
  UNSIGNED(i32x4, uint32_t)
  SHAPE(i64x2, int64_t, uint64_t)
#undef SHAPE
#undef UNSIGNED
}

TEST(SimdShifts, CountIsModuloLaneWidth) {
  for (uint32_t n : {0u, 1u, 5u, 7u, 8u, 9u, 15u, 16u, 17u, 31u, 32u, 33u, 63u, 64u, 65u, 0xffffffffu}) {
    auto shl = [n](auto x) { using T = decltype(x); return exact(static_cast<T>(std::make_unsigned_t<T>(x) << (n % (8 * sizeof(T))))); };
    auto shr = [n](auto x) { using T = decltype(x); return exact(static_cast<T>(x >> (n % (8 * sizeof(T))))); };
    std::string c = " by " + std::to_string(n);
    check_lanewise_unary<int8_t, int8_t>(("i8x16.shl" + c).c_str(), [n](V128 a) { return i8x16_shl(a, n); }, shl);
    check_lanewise_unary<int8_t, int8_t>(("i8x16.shr_s" + c).c_str(), [n](V128 a) { return i8x16_shr_s(a, n); }, shr);
    check_lanewise_unary<uint8_t, uint8_t>(("i8x16.shr_u" + c).c_str(), [n](V128 a) { return i8x16_shr_u(a, n); }, shr);
    check_lanewise_unary<int16_t, int16_t>(("i16x8.shl" + c).c_str(), [n](V128 a) { return i16x8_shl(a, n); }, shl);
    check_lanewise_unary<int16_t, int16_t>(("i16x8.shr_s" + c).c_str(), [n](V128 a) { return i16x8_shr_s(a, n); }, shr);
    check_lanewise_unary<uint16_t, uint16_t>(("i16x8.shr_u" + c).c_str(), [n](V128 a) { return i16x8_shr_u(a, n); }, shr);
    check_lanewise_unary<int32_t, int32_t>(("i32x4.shl" + c).c_str(), [n](V128 a) { return i32x4_shl(a, n); }, shl);
    check_lanewise_unary<int32_t, int32_t>(("i32x4.shr_s" + c).c_str(), [n](V128 a) { return i32x4_shr_s(a, n); }, shr);
    check_lanewise_unary<uint32_t, uint32_t>(("i32x4.shr_u" + c).c_str(), [n](V128 a) { return i32x4_shr_u(a, n); }, shr);
    check_lanewise_unary<int64_t, int64_t>(("i64x2.shl" + c).c_str(), [n](V128 a) { return i64x2_shl(a, n); }, shl);
    check_lanewise_unary<int64_t, int64_t>(("i64x2.shr_s" + c).c_str(), [n](V128 a) { return i64x2_shr_s(a, n); }, shr);
    check_lanewise_unary<uint64_t, uint64_t>(("i64x2.shr_u" + c).c_str(), [n](V128 a) { return i64x2_shr_u(a, n); }, shr);
  }
  EXPECT_EQ(lanes_of<int8_t>(i8x16_shr_s(i8x16_splat(-128), 9))[0], -64);  // 9 mod 8 = 1
}

TEST(SimdBitwise, AllOps) {
  check_lanewise_unary<uint64_t, uint64_t>("v128.not", v128_not, [](uint64_t x) { return exact(~x); });
  check_lanewise_binary<uint64_t, uint64_t>("v128.and", v128_and, [](uint64_t x, uint64_t y) { return exact(x & y); });
  check_lanewise_binary<uint64_t, uint64_t>("v128.andnot", v128_andnot, [](uint64_t x, uint64_t y) { return exact(x & ~y); });
  check_lanewise_binary<uint64_t, uint64_t>("v128.or", v128_or, [](uint64_t x, uint64_t y) { return exact(x | y); });
  check_lanewise_binary<uint64_t, uint64_t>("v128.xor", v128_xor, [](uint64_t x, uint64_t y) { return exact(x ^ y); });
}

TEST(SimdBitwise, BitselectTakesMaskedBits) {
  auto inputs = binary_inputs<uint64_t>();
  auto masks = unary_inputs<uint64_t>();
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto [a, b] = inputs[i];
    V128 m = masks[i % masks.size()];
    Lanes<uint64_t> x = lanes_of<uint64_t>(a), y = lanes_of<uint64_t>(b), c = lanes_of<uint64_t>(m);
    Expected<uint64_t> want{exact((x[0] & c[0]) | (y[0] & ~c[0])), exact((x[1] & c[1]) | (y[1] & ~c[1]))};
    ASSERT_TRUE(matches<uint64_t>(v128_bitselect(a, b, m), want));
  }
}

TEST(SimdLaneTests, AnyAllTrueAndBitmask) {
  auto check = [](auto lane_type, const char* name, auto all_true, auto bitmask) {
    using T = decltype(lane_type);
    for (V128 v : unary_inputs<T>()) {
      Lanes<T> x = lanes_of<T>(v);
      bool all = true;
      int32_t bits = 0;
      for (size_t i = 0; i < x.size(); ++i) {
        all = all && x[i] != 0;
        bits |= (x[i] < 0 ? 1 : 0) << i;
      }
      ASSERT_EQ(all_true(v), all ? 1 : 0) << name << ".all_true of " << show(x);
      ASSERT_EQ(bitmask(v), bits) << name << ".bitmask of " << show(x);
    }
    // One zero lane at each position makes all_true false.
    for (size_t zero = 0; zero < kLanes<T>; ++zero) {
      Lanes<T> x;
      x.fill(std::numeric_limits<T>::min());  // only the top bit: other lanes' bytes are zero
      x[zero] = 0;
      ASSERT_EQ(all_true(make<T>(x)), 0) << name << " zero lane " << zero;
    }
  };
  check(int8_t{}, "i8x16", i8x16_all_true, i8x16_bitmask);
  check(int16_t{}, "i16x8", i16x8_all_true, i16x8_bitmask);
  check(int32_t{}, "i32x4", i32x4_all_true, i32x4_bitmask);
  check(int64_t{}, "i64x2", i64x2_all_true, i64x2_bitmask);
  for (V128 v : unary_inputs<uint8_t>()) {
    Lanes<uint8_t> x = lanes_of<uint8_t>(v);
    bool any = false;
    for (auto b : x) any = any || b != 0;
    ASSERT_EQ(v128_any_true(v), any ? 1 : 0);
  }
  EXPECT_EQ(v128_any_true(make<uint8_t>({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})), 1);
  EXPECT_EQ(v128_any_true(V128{}), 0);
}

}  // namespace
}  // namespace wasmlet::simd::testing

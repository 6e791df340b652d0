// Ops that change the lane width (extend, narrow, extmul, extadd_pairwise,
// dot) against whole-vector references: which source lanes feed which result
// lane is the point here, so the references index lanes explicitly.
#include "simd_check.h"

namespace wasmlet::simd::testing {
namespace {

// Result lane i of an extend/extmul from the low (0) or high (1) half.
template <typename Narrow, typename Wide, typename Op>
void check_extend(const char* name, Op op, int half) {
  check_unary<Narrow, Wide>(name, op, [half](const Lanes<Narrow>& x) {
    Expected<Wide> e;
    for (size_t i = 0; i < e.size(); ++i) e[i] = exact(static_cast<Wide>(x[i + half * e.size()]));
    return e;
  });
}

TEST(SimdWidening, ExtendLowHigh) {
  check_extend<int8_t, int16_t>("i16x8.extend_low_i8x16_s", i16x8_extend_low_i8x16_s, 0);
  check_extend<int8_t, int16_t>("i16x8.extend_high_i8x16_s", i16x8_extend_high_i8x16_s, 1);
  check_extend<uint8_t, uint16_t>("i16x8.extend_low_i8x16_u", i16x8_extend_low_i8x16_u, 0);
  check_extend<uint8_t, uint16_t>("i16x8.extend_high_i8x16_u", i16x8_extend_high_i8x16_u, 1);
  check_extend<int16_t, int32_t>("i32x4.extend_low_i16x8_s", i32x4_extend_low_i16x8_s, 0);
  check_extend<int16_t, int32_t>("i32x4.extend_high_i16x8_s", i32x4_extend_high_i16x8_s, 1);
  check_extend<uint16_t, uint32_t>("i32x4.extend_low_i16x8_u", i32x4_extend_low_i16x8_u, 0);
  check_extend<uint16_t, uint32_t>("i32x4.extend_high_i16x8_u", i32x4_extend_high_i16x8_u, 1);
  check_extend<int32_t, int64_t>("i64x2.extend_low_i32x4_s", i64x2_extend_low_i32x4_s, 0);
  check_extend<int32_t, int64_t>("i64x2.extend_high_i32x4_s", i64x2_extend_high_i32x4_s, 1);
  check_extend<uint32_t, uint64_t>("i64x2.extend_low_i32x4_u", i64x2_extend_low_i32x4_u, 0);
  check_extend<uint32_t, uint64_t>("i64x2.extend_high_i32x4_u", i64x2_extend_high_i32x4_u, 1);
}

template <typename Narrow, typename Wide, typename Op>
void check_extmul(const char* name, Op op, int half) {
  check_binary<Narrow, Wide>(name, op, [half](const Lanes<Narrow>& x, const Lanes<Narrow>& y) {
    Expected<Wide> e;
    for (size_t i = 0; i < e.size(); ++i) {
      size_t j = i + half * e.size();
      e[i] = exact(static_cast<Wide>(static_cast<Wide>(x[j]) * static_cast<Wide>(y[j])));
    }
    return e;
  });
}

TEST(SimdWidening, Extmul) {
  check_extmul<int8_t, int16_t>("i16x8.extmul_low_i8x16_s", i16x8_extmul_low_i8x16_s, 0);
  check_extmul<int8_t, int16_t>("i16x8.extmul_high_i8x16_s", i16x8_extmul_high_i8x16_s, 1);
  check_extmul<uint8_t, uint16_t>("i16x8.extmul_low_i8x16_u", i16x8_extmul_low_i8x16_u, 0);
  check_extmul<uint8_t, uint16_t>("i16x8.extmul_high_i8x16_u", i16x8_extmul_high_i8x16_u, 1);
  check_extmul<int16_t, int32_t>("i32x4.extmul_low_i16x8_s", i32x4_extmul_low_i16x8_s, 0);
  check_extmul<int16_t, int32_t>("i32x4.extmul_high_i16x8_s", i32x4_extmul_high_i16x8_s, 1);
  check_extmul<uint16_t, uint32_t>("i32x4.extmul_low_i16x8_u", i32x4_extmul_low_i16x8_u, 0);
  check_extmul<uint16_t, uint32_t>("i32x4.extmul_high_i16x8_u", i32x4_extmul_high_i16x8_u, 1);
  check_extmul<int32_t, int64_t>("i64x2.extmul_low_i32x4_s", i64x2_extmul_low_i32x4_s, 0);
  check_extmul<int32_t, int64_t>("i64x2.extmul_high_i32x4_s", i64x2_extmul_high_i32x4_s, 1);
  check_extmul<uint32_t, uint64_t>("i64x2.extmul_low_i32x4_u", i64x2_extmul_low_i32x4_u, 0);
  check_extmul<uint32_t, uint64_t>("i64x2.extmul_high_i32x4_u", i64x2_extmul_high_i32x4_u, 1);
  // 0xffffffff * 0xffffffff unsigned, and MIN * MIN signed, fit the wide lane.
  EXPECT_EQ(lanes_of<uint64_t>(i64x2_extmul_high_i32x4_u(i32x4_splat(-1), i32x4_splat(-1)))[1], 0xfffffffe00000001ull);
  EXPECT_EQ(lanes_of<int64_t>(i64x2_extmul_low_i32x4_s(i32x4_splat(INT32_MIN), i32x4_splat(INT32_MIN)))[0], int64_t(1) << 62);
}

template <typename Narrow, typename Wide, typename Op>
void check_pairwise(const char* name, Op op) {
  check_unary<Narrow, Wide>(name, op, [](const Lanes<Narrow>& x) {
    Expected<Wide> e;
    for (size_t i = 0; i < e.size(); ++i) e[i] = exact(static_cast<Wide>(Wide(x[2 * i]) + Wide(x[2 * i + 1])));
    return e;
  });
}

TEST(SimdWidening, ExtaddPairwise) {
  check_pairwise<int8_t, int16_t>("i16x8.extadd_pairwise_i8x16_s", i16x8_extadd_pairwise_i8x16_s);
  check_pairwise<uint8_t, uint16_t>("i16x8.extadd_pairwise_i8x16_u", i16x8_extadd_pairwise_i8x16_u);
  check_pairwise<int16_t, int32_t>("i32x4.extadd_pairwise_i16x8_s", i32x4_extadd_pairwise_i16x8_s);
  check_pairwise<uint16_t, uint32_t>("i32x4.extadd_pairwise_i16x8_u", i32x4_extadd_pairwise_i16x8_u);
}

TEST(SimdWidening, DotWrapsOnlyAtMinTimesMin) {
  check_binary<int16_t, int32_t>("i32x4.dot_i16x8_s", i32x4_dot_i16x8_s, [](const Lanes<int16_t>& x, const Lanes<int16_t>& y) {
    Expected<int32_t> e;
    for (size_t i = 0; i < e.size(); ++i)
      e[i] = exact(static_cast<int32_t>(int64_t(x[2 * i]) * y[2 * i] + int64_t(x[2 * i + 1]) * y[2 * i + 1]));
    return e;
  });
  EXPECT_EQ(lanes_of<int32_t>(i32x4_dot_i16x8_s(i16x8_splat(-32768), i16x8_splat(-32768)))[0], INT32_MIN);
}

template <typename Wide, typename Narrow, typename Op>
void check_narrow(const char* name, Op op) {
  check_binary<Wide, Narrow>(name, op, [](const Lanes<Wide>& x, const Lanes<Wide>& y) {
    Expected<Narrow> e;
    using L = std::numeric_limits<Narrow>;
    for (size_t i = 0; i < e.size(); ++i) {
      int64_t v = i < x.size() ? x[i] : y[i - x.size()];
      e[i] = exact(static_cast<Narrow>(v < L::min() ? L::min() : v > L::max() ? L::max() : v));
    }
    return e;
  });
}

TEST(SimdWidening, NarrowSaturatesSignedInput) {
  check_narrow<int16_t, int8_t>("i8x16.narrow_i16x8_s", i8x16_narrow_i16x8_s);
  check_narrow<int16_t, uint8_t>("i8x16.narrow_i16x8_u", i8x16_narrow_i16x8_u);
  check_narrow<int32_t, int16_t>("i16x8.narrow_i32x4_s", i16x8_narrow_i32x4_s);
  check_narrow<int32_t, uint16_t>("i16x8.narrow_i32x4_u", i16x8_narrow_i32x4_u);
  // The _u forms read their input as signed: 0xffff (-1) becomes 0, not 255.
  EXPECT_EQ(lanes_of<uint8_t>(i8x16_narrow_i16x8_u(i16x8_splat(0xffff), i16x8_splat(300)))[0], 0);
  EXPECT_EQ(lanes_of<uint8_t>(i8x16_narrow_i16x8_u(i16x8_splat(0xffff), i16x8_splat(300)))[15], 255);
}

}  // namespace
}  // namespace wasmlet::simd::testing

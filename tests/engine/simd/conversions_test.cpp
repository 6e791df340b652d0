// Conversions against references from the spec: convert rounds to nearest
// even, trunc_sat maps NaN to 0 and saturates, demote rounds, promote is
// exact, and the _zero forms clear the upper lanes.
#include "simd_check.h"

namespace wasmlet::simd::testing {
namespace {

template <typename Int, typename F>
Int trunc_sat(F x) {
  using L = std::numeric_limits<Int>;
  if (std::isnan(x)) return 0;
  if (x <= F(L::min())) return L::min();
  if (x >= F(L::max()) + F(1)) return L::max();  // 2^31 or 2^32, exact in F
  return static_cast<Int>(std::trunc(x));
}

TEST(SimdConversions, ConvertI32x4ToF32x4) {
  check_lanewise_unary<int32_t, float>("f32x4.convert_i32x4_s", f32x4_convert_i32x4_s, [](int32_t x) { return exact(float(x)); });
  check_lanewise_unary<uint32_t, float>("f32x4.convert_i32x4_u", f32x4_convert_i32x4_u, [](uint32_t x) { return exact(float(x)); });
  // 0xffffffff rounds up to 2^32; 16777217 ties to even, 16777216.
  Lanes<float> r = lanes_of<float>(f32x4_convert_i32x4_u(make<uint32_t>({0xffffffffu, 16777217u, 0x80000001u, 0})));
  EXPECT_EQ(r[0], 4294967296.0f);
  EXPECT_EQ(r[1], 16777216.0f);
  EXPECT_EQ(r[2], 2147483648.0f);
}

TEST(SimdConversions, ConvertLowI32x4ToF64x2) {
  auto low = [](auto x) {
    Expected<double> e;
    for (size_t i = 0; i < 2; ++i) e[i] = exact(double(x[i]));
    return e;
  };
  check_unary<int32_t, double>("f64x2.convert_low_i32x4_s", f64x2_convert_low_i32x4_s, low);
  check_unary<uint32_t, double>("f64x2.convert_low_i32x4_u", f64x2_convert_low_i32x4_u, low);
}

TEST(SimdConversions, TruncSatF32x4) {
  check_lanewise_unary<float, int32_t>("i32x4.trunc_sat_f32x4_s", i32x4_trunc_sat_f32x4_s, [](float x) { return exact(trunc_sat<int32_t>(x)); });
  check_lanewise_unary<float, uint32_t>("i32x4.trunc_sat_f32x4_u", i32x4_trunc_sat_f32x4_u, [](float x) { return exact(trunc_sat<uint32_t>(x)); });
  float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(lanes_of<int32_t>(i32x4_trunc_sat_f32x4_s(make<float>({nan, inf, -inf, -1.9f}))), (Lanes<int32_t>{0, INT32_MAX, INT32_MIN, -1}));
  EXPECT_EQ(lanes_of<uint32_t>(i32x4_trunc_sat_f32x4_u(make<float>({nan, 4294967296.0f, -0.9f, 3000000000.5f}))),
            (Lanes<uint32_t>{0, UINT32_MAX, 0, 3000000000u}));
}

TEST(SimdConversions, TruncSatF64x2Zero) {
  auto zero_upper = [](auto lane) {
    return [lane](const Lanes<double>& x) {
      Expected<decltype(lane(0.0))> e;
      for (size_t i = 0; i < e.size(); ++i) e[i] = exact(i < 2 ? lane(x[i]) : 0);
      return e;
    };
  };
  check_unary<double, int32_t>("i32x4.trunc_sat_f64x2_s_zero", i32x4_trunc_sat_f64x2_s_zero,
                               zero_upper([](double x) { return trunc_sat<int32_t>(x); }));
  check_unary<double, uint32_t>("i32x4.trunc_sat_f64x2_u_zero", i32x4_trunc_sat_f64x2_u_zero,
                                zero_upper([](double x) { return trunc_sat<uint32_t>(x); }));
  EXPECT_EQ(lanes_of<int32_t>(i32x4_trunc_sat_f64x2_s_zero(make<double>({2147483647.9, -2147483648.9}))),
            (Lanes<int32_t>{INT32_MAX, INT32_MIN, 0, 0}));
  EXPECT_EQ(lanes_of<uint32_t>(i32x4_trunc_sat_f64x2_u_zero(make<double>({4294967295.9, 4294967296.0}))),
            (Lanes<uint32_t>{UINT32_MAX, UINT32_MAX, 0, 0}));
}

TEST(SimdConversions, DemoteAndPromote) {
  check_unary<double, float>("f32x4.demote_f64x2_zero", f32x4_demote_f64x2_zero, [](const Lanes<double>& x) {
    Expected<float> e;
    for (size_t i = 0; i < e.size(); ++i) e[i] = i < 2 ? float_result(static_cast<float>(x[i]), x[i]) : exact(0.0f);
    return e;
  });
  check_unary<float, double>("f64x2.promote_low_f32x4", f64x2_promote_low_f32x4, [](const Lanes<float>& x) {
    Expected<double> e;
    for (size_t i = 0; i < e.size(); ++i) e[i] = float_result(static_cast<double>(x[i]), x[i]);
    return e;
  });
  // Rounding to nearest even on demotion: 1 + 2^-24 is a tie, goes to 1.
  EXPECT_EQ(f32x4_extract_lane(f32x4_demote_f64x2_zero(f64x2_splat(1.0 + 0x1p-24)), 0), 1.0f);
  EXPECT_EQ(f32x4_extract_lane(f32x4_demote_f64x2_zero(f64x2_splat(1e300)), 1), std::numeric_limits<float>::infinity());
}

}  // namespace
}  // namespace wasmlet::simd::testing

// Float SIMD ops against lane references from the spec: IEEE arithmetic,
// the NaN result classes (canonical when every NaN operand is canonical,
// arithmetic otherwise), min/max with -0 < +0 and NaN, pmin/pmax as a
// select, rounding with ties to even and signed zeros, comparisons.
#include "simd_check.h"

namespace wasmlet::simd::testing {
namespace {

template <typename F>
F canonical_nan() {
  return from_bits<F>(bits_of(std::numeric_limits<F>::infinity()) | kQuietBit<F>);
}

template <typename F>
Expect<F> spec_min(F x, F y) {
  if (std::isnan(x) || std::isnan(y)) return float_result(canonical_nan<F>(), x, y);
  if (x == 0 && y == 0) return exact(std::signbit(x) || std::signbit(y) ? F(-0.0) : F(0.0));
  return exact(x < y ? x : y);
}

template <typename F>
Expect<F> spec_max(F x, F y) {
  if (std::isnan(x) || std::isnan(y)) return float_result(canonical_nan<F>(), x, y);
  if (x == 0 && y == 0) return exact(std::signbit(x) && std::signbit(y) ? F(-0.0) : F(0.0));
  return exact(x > y ? x : y);
}

template <typename F>
void check_float_family(const char* shape, V128 (*add)(V128, V128), V128 (*sub)(V128, V128), V128 (*mul)(V128, V128),
                        V128 (*div)(V128, V128), V128 (*sqrt)(V128), V128 (*abs)(V128), V128 (*neg)(V128)) {
  std::string s = shape;
  check_lanewise_binary<F, F>((s + ".add").c_str(), add, [](F x, F y) { return float_result(x + y, x, y); });
  check_lanewise_binary<F, F>((s + ".sub").c_str(), sub, [](F x, F y) { return float_result(x - y, x, y); });
  check_lanewise_binary<F, F>((s + ".mul").c_str(), mul, [](F x, F y) { return float_result(x * y, x, y); });
  check_lanewise_binary<F, F>((s + ".div").c_str(), div, [](F x, F y) { return float_result(x / y, x, y); });
  check_lanewise_unary<F, F>((s + ".sqrt").c_str(), sqrt, [](F x) { return float_result(std::sqrt(x), x); });
  // abs and neg change the sign bit only, NaN payloads included.
  check_lanewise_unary<F, F>((s + ".abs").c_str(), abs, [](F x) { return exact(from_bits<F>(bits_of(x) & (~Bits<F>(0) >> 1))); });
  check_lanewise_unary<F, F>((s + ".neg").c_str(), neg, [](F x) { return exact(from_bits<F>(bits_of(x) ^ ~(~Bits<F>(0) >> 1))); });
}

TEST(SimdFloatArith, IeeeOpsAndNanClasses) {
  check_float_family<float>("f32x4", f32x4_add, f32x4_sub, f32x4_mul, f32x4_div, f32x4_sqrt, f32x4_abs, f32x4_neg);
  check_float_family<double>("f64x2", f64x2_add, f64x2_sub, f64x2_mul, f64x2_div, f64x2_sqrt, f64x2_abs, f64x2_neg);
}

TEST(SimdFloatArith, MinMaxFollowTheSpecNotTheHardware) {
  check_lanewise_binary<float, float>("f32x4.min", f32x4_min, spec_min<float>);
  check_lanewise_binary<float, float>("f32x4.max", f32x4_max, spec_max<float>);
  check_lanewise_binary<double, double>("f64x2.min", f64x2_min, spec_min<double>);
  check_lanewise_binary<double, double>("f64x2.max", f64x2_max, spec_max<double>);
  // The cases x86's minps/maxps get wrong: signed zeros in both orders, NaN second.
  V128 pz = f32x4_splat(0.0f), nz = f32x4_splat(-0.0f), one = f32x4_splat(1.0f), nan = f32x4_splat(canonical_nan<float>());
  EXPECT_TRUE(std::signbit(f32x4_extract_lane(f32x4_min(pz, nz), 0)));
  EXPECT_TRUE(std::signbit(f32x4_extract_lane(f32x4_min(nz, pz), 0)));
  EXPECT_FALSE(std::signbit(f32x4_extract_lane(f32x4_max(nz, pz), 0)));
  EXPECT_FALSE(std::signbit(f32x4_extract_lane(f32x4_max(pz, nz), 0)));
  EXPECT_TRUE(is_canonical_nan(f32x4_extract_lane(f32x4_min(one, nan), 2)));
  EXPECT_TRUE(is_canonical_nan(f32x4_extract_lane(f32x4_max(nan, one), 2)));
}

TEST(SimdFloatArith, PminPmaxAreSelects) {
  // pmin(a, b) = b < a ? b : a, bit for bit (NaN operands pass through as they are).
  check_lanewise_binary<float, float>("f32x4.pmin", f32x4_pmin, [](float x, float y) { return exact(y < x ? y : x); });
  check_lanewise_binary<float, float>("f32x4.pmax", f32x4_pmax, [](float x, float y) { return exact(x < y ? y : x); });
  check_lanewise_binary<double, double>("f64x2.pmin", f64x2_pmin, [](double x, double y) { return exact(y < x ? y : x); });
  check_lanewise_binary<double, double>("f64x2.pmax", f64x2_pmax, [](double x, double y) { return exact(x < y ? y : x); });
  EXPECT_FALSE(std::signbit(f32x4_extract_lane(f32x4_pmin(f32x4_splat(0.0f), f32x4_splat(-0.0f)), 1)));
}

TEST(SimdFloatCompare, IeeeComparisons) {
  auto cmp = [](auto pred) { return [pred](auto x, auto y) { return mask<Bits<decltype(x)>>(pred(x, y)); }; };
  auto eq = cmp([](auto x, auto y) { return x == y; });
  auto ne = cmp([](auto x, auto y) { return x != y; });
  auto lt = cmp([](auto x, auto y) { return x < y; });
  auto gt = cmp([](auto x, auto y) { return x > y; });
  auto le = cmp([](auto x, auto y) { return x <= y; });
  auto ge = cmp([](auto x, auto y) { return x >= y; });
  check_lanewise_binary<float, uint32_t>("f32x4.eq", f32x4_eq, eq);
  check_lanewise_binary<float, uint32_t>("f32x4.ne", f32x4_ne, ne);
  check_lanewise_binary<float, uint32_t>("f32x4.lt", f32x4_lt, lt);
  check_lanewise_binary<float, uint32_t>("f32x4.gt", f32x4_gt, gt);
  check_lanewise_binary<float, uint32_t>("f32x4.le", f32x4_le, le);
  check_lanewise_binary<float, uint32_t>("f32x4.ge", f32x4_ge, ge);
  check_lanewise_binary<double, uint64_t>("f64x2.eq", f64x2_eq, eq);
  check_lanewise_binary<double, uint64_t>("f64x2.ne", f64x2_ne, ne);
  check_lanewise_binary<double, uint64_t>("f64x2.lt", f64x2_lt, lt);
  check_lanewise_binary<double, uint64_t>("f64x2.gt", f64x2_gt, gt);
  check_lanewise_binary<double, uint64_t>("f64x2.le", f64x2_le, le);
  check_lanewise_binary<double, uint64_t>("f64x2.ge", f64x2_ge, ge);
}

template <typename F>
void check_rounding(const char* shape, V128 (*ceil)(V128), V128 (*floor)(V128), V128 (*trunc)(V128), V128 (*nearest)(V128)) {
  std::string s = shape;
  check_lanewise_unary<F, F>((s + ".ceil").c_str(), ceil, [](F x) { return float_result(std::ceil(x), x); });
  check_lanewise_unary<F, F>((s + ".floor").c_str(), floor, [](F x) { return float_result(std::floor(x), x); });
  check_lanewise_unary<F, F>((s + ".trunc").c_str(), trunc, [](F x) { return float_result(std::trunc(x), x); });
  // nearbyint in the default rounding mode: to nearest, ties to even.
  check_lanewise_unary<F, F>((s + ".nearest").c_str(), nearest, [](F x) { return float_result(std::nearbyint(x), x); });
}

TEST(SimdFloatRounding, CeilFloorTruncNearest) {
  check_rounding<float>("f32x4", f32x4_ceil, f32x4_floor, f32x4_trunc, f32x4_nearest);
  check_rounding<double>("f64x2", f64x2_ceil, f64x2_floor, f64x2_trunc, f64x2_nearest);
  Lanes<float> n = lanes_of<float>(f32x4_nearest(make<float>({2.5f, -0.5f, 3.5f, -8388607.5f})));
  EXPECT_EQ(n[0], 2.0f);
  EXPECT_TRUE(n[1] == 0 && std::signbit(n[1]));
  EXPECT_EQ(n[2], 4.0f);
  EXPECT_EQ(n[3], -8388608.0f);
  Lanes<double> c = lanes_of<double>(f64x2_ceil(make<double>({-0.7, 4503599627370495.5})));
  EXPECT_TRUE(c[0] == 0 && std::signbit(c[0]));
  EXPECT_EQ(c[1], 4503599627370496.0);
  // A signalling NaN comes back quiet (an arithmetic NaN).
  float snan = from_bits<float>(0x7fa00000);
  EXPECT_TRUE(is_arithmetic_nan(f32x4_extract_lane(f32x4_floor(f32x4_splat(snan)), 0)));
}

}  // namespace
}  // namespace wasmlet::simd::testing

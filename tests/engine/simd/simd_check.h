// Checking a SIMD op against a scalar reference written from the spec's
// definitions: inputs are built from edge values (every pair of them for a
// binary op) plus seeded random lanes, and each result lane must match the
// reference exactly, or be the kind of NaN the spec allows there.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "engine/simd/simd.h"

namespace wasmlet::simd::testing {

template <typename T>
constexpr size_t kLanes = 16 / sizeof(T);

template <typename T>
using Lanes = std::array<T, kLanes<T>>;

template <typename T>
V128 make(const Lanes<T>& lanes) {
  V128 v;
  std::memcpy(v.bytes, lanes.data(), 16);
  return v;
}

template <typename T>
Lanes<T> lanes_of(V128 v) {
  Lanes<T> lanes;
  std::memcpy(lanes.data(), v.bytes, 16);
  return lanes;
}

// The unsigned integer of a lane's size: a float's bit pattern.
template <size_t N> struct UnsignedOfSize;
template <> struct UnsignedOfSize<1> { using type = uint8_t; };
template <> struct UnsignedOfSize<2> { using type = uint16_t; };
template <> struct UnsignedOfSize<4> { using type = uint32_t; };
template <> struct UnsignedOfSize<8> { using type = uint64_t; };
template <typename T>
using Bits = typename UnsignedOfSize<sizeof(T)>::type;

template <typename T>
Bits<T> bits_of(T x) {
  Bits<T> b;
  std::memcpy(&b, &x, sizeof(T));
  return b;
}

template <typename T>
T from_bits(Bits<T> b) {
  T x;
  std::memcpy(&x, &b, sizeof(T));
  return x;
}

// --- the spec's NaN classes ---
template <typename F>
constexpr Bits<F> kQuietBit = sizeof(F) == 4 ? Bits<F>(0x00400000) : Bits<F>(0x0008000000000000);
template <typename F>
constexpr Bits<F> kFractionMask = kQuietBit<F> * 2 - 1;

template <typename F>
bool is_canonical_nan(F x) {
  return std::isnan(x) && (bits_of(x) & kFractionMask<F>) == kQuietBit<F>;
}
template <typename F>
bool is_arithmetic_nan(F x) {
  return std::isnan(x) && (bits_of(x) & kQuietBit<F>) != 0;
}

// What one result lane must be.
template <typename T>
struct Expect {
  enum Kind { Exact, CanonicalNan, ArithmeticNan } kind = Exact;
  T value{};
};

template <typename T>
Expect<T> exact(T value) {
  return {Expect<T>::Exact, value};
}

// The result of a float op whose exact result is `r`, from NaN operands
// `inputs`: nans{z*} in the spec is a canonical NaN if every NaN operand is
// canonical (or there is none), else any arithmetic NaN.
template <typename F, typename... Ins>
Expect<F> float_result(F r, Ins... inputs) {
  if (!std::isnan(r)) return exact(r);
  bool all_canonical = ((!std::isnan(inputs) || is_canonical_nan(inputs)) && ...);
  return {all_canonical ? Expect<F>::CanonicalNan : Expect<F>::ArithmeticNan, r};
}

template <typename T>
using Expected = std::array<Expect<T>, kLanes<T>>;

template <typename T>
std::string show(T x) {
  if constexpr (std::is_floating_point_v<T>) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%a (0x%llx)", static_cast<double>(x), static_cast<unsigned long long>(bits_of(x)));
    return buf;
  } else {
    return std::to_string(static_cast<int64_t>(x));
  }
}

template <typename T>
std::string show(const Lanes<T>& lanes) {
  std::string s = "[";
  for (size_t i = 0; i < lanes.size(); ++i) s += (i ? ", " : "") + show(lanes[i]);
  return s + "]";
}

// Compares `got` with `want` lane by lane; `context` says which inputs.
template <typename T>
::testing::AssertionResult matches(V128 got, const Expected<T>& want) {
  Lanes<T> lanes = lanes_of<T>(got);
  for (size_t i = 0; i < lanes.size(); ++i) {
    T g = lanes[i];
    const Expect<T>& w = want[i];
    bool ok = false;
    if constexpr (std::is_floating_point_v<T>) {
      if (w.kind == Expect<T>::CanonicalNan) ok = is_canonical_nan(g);
      else if (w.kind == Expect<T>::ArithmeticNan) ok = is_arithmetic_nan(g);
      else ok = bits_of(g) == bits_of(w.value);
    } else {
      ok = g == w.value;
    }
    if (!ok) {
      const char* kind = w.kind == Expect<T>::CanonicalNan ? "canonical NaN" : w.kind == Expect<T>::ArithmeticNan ? "arithmetic NaN" : "";
      return ::testing::AssertionFailure() << "lane " << i << ": got " << show(g) << ", want " << (*kind ? kind : show(w.value).c_str())
                                           << "; result " << show(lanes);
    }
  }
  return ::testing::AssertionSuccess();
}

// --- inputs ---
template <typename T>
std::vector<T> edge_values() {
  std::vector<T> v;
  if constexpr (std::is_floating_point_v<T>) {
    using L = std::numeric_limits<T>;
    constexpr T no_fraction = sizeof(T) == 4 ? T(8388608.0) : T(4503599627370496.0);
    for (T x : {T(0), T(0.5), T(1), T(1.5), T(2.5), T(3.5), T(0.49999997), T(0.50000006), T(-0.7), T(1e-3),
                L::denorm_min(), L::min(), L::max(), L::infinity(), L::epsilon(), no_fraction - T(0.5), no_fraction,
                no_fraction + T(1), no_fraction * 2 + 2, T(2147483520.0), T(2147483647.0), T(2147483648.0),
                T(2147483904.0), T(4294967040.0), T(4294967295.0), T(4294967296.0), T(65504), T(1e30)}) {
      v.push_back(x);
      v.push_back(-x);
    }
    v.push_back(T(-2147483649.0));
    // NaNs: canonical (both signs), arithmetic with a payload, signalling.
    T canonical = from_bits<T>(bits_of(L::infinity()) | kQuietBit<T>);
    v.push_back(canonical);
    v.push_back(-canonical);
    v.push_back(from_bits<T>(bits_of(canonical) | 1));
    v.push_back(from_bits<T>(bits_of(L::infinity()) | 1));
    v.push_back(from_bits<T>(bits_of(-L::infinity()) | (kQuietBit<T> >> 1)));
  } else {
    using L = std::numeric_limits<T>;
    for (T x : {T(0), T(1), T(2), T(3), T(L::max()), T(L::max() - 1), T(L::min()), T(L::min() + 1), T(L::max() / 2),
                T(L::max() / 2 + 1), T(L::min() / 2), T(-1), T(-2), T(0x55), T(0x7f), T(0x80), T(0xff), T(0x100),
                T(0x7fff), T(0x8000), T(0xffff), T(0x10000), T(127), T(-128), T(255), T(-32768), T(32767), T(65535)}) {
      v.push_back(x);
    }
  }
  return v;
}

inline std::mt19937_64& rng() {
  static std::mt19937_64 gen(0x5eed5eedu);
  return gen;
}

template <typename T>
T random_lane() {
  uint64_t r = rng()();
  if constexpr (std::is_floating_point_v<T>) {
    // Half random bit patterns (NaNs included), half ordinary magnitudes.
    if (r & 1) return from_bits<T>(static_cast<Bits<T>>(rng()()));
    std::uniform_real_distribution<T> d(-1e4, 1e4);
    return (r & 2) ? d(rng()) : std::round(d(rng()) * 2) / 2;  // halves: ties for the rounding ops
  } else {
    return static_cast<T>(r);
  }
}

// Vectors whose lanes run through the edge values, then random ones.
template <typename T>
std::vector<V128> unary_inputs() {
  std::vector<T> values = edge_values<T>();
  std::vector<V128> out;
  Lanes<T> lanes{};
  for (size_t i = 0; i < values.size() + kLanes<T>; ++i) {  // every value in several lane positions
    for (size_t k = 0; k < kLanes<T>; ++k) lanes[k] = values[(i + k) % values.size()];
    out.push_back(make<T>(lanes));
  }
  for (int n = 0; n < 2000; ++n) {
    for (auto& lane : lanes) lane = random_lane<T>();
    out.push_back(make<T>(lanes));
  }
  return out;
}

// Pairs of vectors in which every pair of edge values meets in some lane.
template <typename T>
std::vector<std::pair<V128, V128>> binary_inputs() {
  std::vector<T> values = edge_values<T>();
  std::vector<std::pair<V128, V128>> out;
  Lanes<T> a{}, b{};
  size_t k = 0;
  for (T x : values) {
    for (T y : values) {
      a[k] = x;
      b[k] = y;
      if (++k == kLanes<T>) {
        out.emplace_back(make<T>(a), make<T>(b));
        k = 0;
      }
    }
  }
  for (int n = 0; n < 2000; ++n) {
    for (size_t i = 0; i < kLanes<T>; ++i) {
      a[i] = random_lane<T>();
      b[i] = (n & 3) == 0 ? a[i] : random_lane<T>();  // equal operands now and then
    }
    out.emplace_back(make<T>(a), make<T>(b));
  }
  return out;
}

// --- the checks: `reference` maps input lanes to expected result lanes ---
template <typename In, typename Out, typename Op, typename Ref>
void check_unary(const char* name, Op op, Ref reference) {
  for (V128 a : unary_inputs<In>()) {
    Lanes<In> x = lanes_of<In>(a);
    ASSERT_TRUE(matches<Out>(op(a), reference(x))) << name << " of " << show(x);
  }
}

template <typename In, typename Out, typename Op, typename Ref>
void check_binary(const char* name, Op op, Ref reference) {
  for (auto [a, b] : binary_inputs<In>()) {
    Lanes<In> x = lanes_of<In>(a), y = lanes_of<In>(b);
    ASSERT_TRUE(matches<Out>(op(a, b), reference(x, y))) << name << " of " << show(x) << " and " << show(y);
  }
}

// Lane-wise ops: the reference is a function of one lane (or two).
template <typename In, typename Out, typename Op, typename LaneRef>
void check_lanewise_unary(const char* name, Op op, LaneRef lane_ref) {
  static_assert(kLanes<In> == kLanes<Out>);
  check_unary<In, Out>(name, op, [&](const Lanes<In>& x) {
    Expected<Out> e;
    for (size_t i = 0; i < x.size(); ++i) e[i] = lane_ref(x[i]);
    return e;
  });
}

template <typename In, typename Out, typename Op, typename LaneRef>
void check_lanewise_binary(const char* name, Op op, LaneRef lane_ref) {
  static_assert(kLanes<In> == kLanes<Out>);
  check_binary<In, Out>(name, op, [&](const Lanes<In>& x, const Lanes<In>& y) {
    Expected<Out> e;
    for (size_t i = 0; i < x.size(); ++i) e[i] = lane_ref(x[i], y[i]);
    return e;
  });
}

// A mask lane: all ones for true.
template <typename T>
Expect<T> mask(bool b) {
  return exact(static_cast<T>(b ? -1 : 0));
}

}  // namespace wasmlet::simd::testing

// Lane movement (splat, extract/replace_lane, shuffle, swizzle) and the
// memory helpers (extending, splat, zero and lane loads; lane stores) on a
// byte buffer, with lane indices at both ends of each shape.
#include "simd_check.h"

namespace wasmlet::simd::testing {
namespace {

V128 iota(uint8_t first) {
  V128 v;
  for (int i = 0; i < 16; ++i) v.bytes[i] = static_cast<uint8_t>(first + i);
  return v;
}

TEST(SimdLanes, SplatWrapsToTheLaneWidth) {
  for (auto lane : lanes_of<uint8_t>(i8x16_splat(0x1ff))) EXPECT_EQ(lane, 0xff);
  Lanes<int16_t> h = lanes_of<int16_t>(i16x8_splat(0x18000));
  for (auto lane : h) EXPECT_EQ(lane, -32768);
  for (auto lane : lanes_of<int64_t>(i64x2_splat(INT64_MIN))) EXPECT_EQ(lane, INT64_MIN);
  // -0.0 and NaN payloads are splatted bit for bit.
  for (auto lane : lanes_of<float>(f32x4_splat(-0.0f))) EXPECT_EQ(bits_of(lane), 0x80000000u);
  double nan = from_bits<double>(0x7ff0000000000001ull);
  for (auto lane : lanes_of<double>(f64x2_splat(nan))) EXPECT_EQ(bits_of(lane), 0x7ff0000000000001ull);
}

TEST(SimdLanes, ExtractSignOrZeroExtends) {
  V128 v = make<int8_t>({-1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, -128});
  EXPECT_EQ(i8x16_extract_lane_s(v, 0), -1);
  EXPECT_EQ(i8x16_extract_lane_u(v, 0), 255);
  EXPECT_EQ(i8x16_extract_lane_s(v, 15), -128);
  EXPECT_EQ(i8x16_extract_lane_u(v, 15), 128);
  V128 h = make<int16_t>({-2, 0, 0, 0, 0, 0, 0, INT16_MIN});
  EXPECT_EQ(i16x8_extract_lane_s(h, 0), -2);
  EXPECT_EQ(i16x8_extract_lane_u(h, 0), 65534);
  EXPECT_EQ(i16x8_extract_lane_u(h, 7), 32768);
  V128 w = make<int32_t>({1, 2, 3, -4});
  EXPECT_EQ(i32x4_extract_lane(w, 3), -4);
  EXPECT_EQ(i64x2_extract_lane(make<int64_t>({5, -6}), 1), -6);
  EXPECT_EQ(bits_of(f32x4_extract_lane(make<uint32_t>({0, 0, 0x7f800001u, 0}), 2)), 0x7f800001u);  // signalling NaN kept
  EXPECT_EQ(f64x2_extract_lane(make<double>({1.5, -2.5}), 1), -2.5);
}

TEST(SimdLanes, ReplaceTouchesOneLane) {
  V128 base = iota(0);
  for (unsigned lane = 0; lane < 16; ++lane) {
    Lanes<uint8_t> want = lanes_of<uint8_t>(base);
    want[lane] = 0xab;
    EXPECT_EQ(lanes_of<uint8_t>(i8x16_replace_lane(base, lane, 0x7ab)), want) << lane;
  }
  for (unsigned lane = 0; lane < 8; ++lane) {
    Lanes<uint16_t> want = lanes_of<uint16_t>(base);
    want[lane] = 0xbeef;
    EXPECT_EQ(lanes_of<uint16_t>(i16x8_replace_lane(base, lane, 0x1beef)), want) << lane;
  }
  for (unsigned lane = 0; lane < 4; ++lane) {
    Lanes<float> want = lanes_of<float>(base);
    want[lane] = -0.0f;
    EXPECT_EQ(lanes_of<uint32_t>(f32x4_replace_lane(base, lane, -0.0f)), lanes_of<uint32_t>(make<float>(want)));
    Lanes<int32_t> iwant = lanes_of<int32_t>(base);
    iwant[lane] = -7;
    EXPECT_EQ(lanes_of<int32_t>(i32x4_replace_lane(base, lane, -7)), iwant);
  }
  for (unsigned lane = 0; lane < 2; ++lane) {
    Lanes<int64_t> want = lanes_of<int64_t>(base);
    want[lane] = INT64_MIN;
    EXPECT_EQ(lanes_of<int64_t>(i64x2_replace_lane(base, lane, INT64_MIN)), want);
    Lanes<double> dwant = lanes_of<double>(base);
    dwant[lane] = 3.25;
    EXPECT_EQ(lanes_of<double>(f64x2_replace_lane(base, lane, 3.25)), dwant);
  }
}

TEST(SimdLanes, ShuffleIndexesBothOperands) {
  V128 a = iota(0), b = iota(100);
  uint8_t lanes[16] = {31, 0, 16, 15, 1, 17, 2, 18, 30, 29, 3, 3, 3, 3, 20, 5};
  Lanes<uint8_t> got = lanes_of<uint8_t>(i8x16_shuffle(a, b, lanes));
  for (int i = 0; i < 16; ++i) EXPECT_EQ(got[i], lanes[i] < 16 ? lanes[i] : 100 + lanes[i] - 16) << i;
  // Random immediates (every valid index 0-31), including all-a and all-b ones.
  for (int n = 0; n < 2000; ++n) {
    int bound = n % 3 == 0 ? 16 : 32, base = n % 3 == 1 ? 16 : 0;
    for (auto& lane : lanes) lane = static_cast<uint8_t>(base + rng()() % (bound - base));
    got = lanes_of<uint8_t>(i8x16_shuffle(a, b, lanes));
    for (int i = 0; i < 16; ++i) ASSERT_EQ(got[i], lanes[i] < 16 ? lanes[i] : 100 + lanes[i] - 16) << i;
  }
}

TEST(SimdLanes, SwizzleZeroesOutOfRangeIndices) {
  V128 a = iota(10);
  for (V128 s : unary_inputs<uint8_t>()) {
    Lanes<uint8_t> idx = lanes_of<uint8_t>(s), got = lanes_of<uint8_t>(i8x16_swizzle(a, s));
    for (int i = 0; i < 16; ++i) ASSERT_EQ(got[i], idx[i] < 16 ? 10 + idx[i] : 0) << "index " << int(idx[i]);
  }
}

TEST(SimdMemory, LoadsReadLittleEndianUnaligned) {
  alignas(16) uint8_t mem[40];
  for (int i = 0; i < 40; ++i) mem[i] = static_cast<uint8_t>(0xf0 + i * 7);
  const uint8_t* p = mem + 3;  // deliberately unaligned
  EXPECT_EQ(lanes_of<uint8_t>(v128_load(p)), lanes_of<uint8_t>(load_v128(p)));
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(lanes_of<int16_t>(v128_load8x8_s(p))[i], static_cast<int8_t>(p[i]));
    EXPECT_EQ(lanes_of<uint16_t>(v128_load8x8_u(p))[i], p[i]);
  }
  for (int i = 0; i < 4; ++i) {
    int16_t s;
    std::memcpy(&s, p + 2 * i, 2);
    EXPECT_EQ(lanes_of<int32_t>(v128_load16x4_s(p))[i], s);
    EXPECT_EQ(lanes_of<uint32_t>(v128_load16x4_u(p))[i], static_cast<uint16_t>(s));
  }
  for (int i = 0; i < 2; ++i) {
    int32_t s;
    std::memcpy(&s, p + 4 * i, 4);
    EXPECT_EQ(lanes_of<int64_t>(v128_load32x2_s(p))[i], s);
    EXPECT_EQ(lanes_of<uint64_t>(v128_load32x2_u(p))[i], static_cast<uint32_t>(s));
  }
  uint16_t h;
  uint32_t w;
  uint64_t d;
  std::memcpy(&h, p, 2);
  std::memcpy(&w, p, 4);
  std::memcpy(&d, p, 8);
  for (auto lane : lanes_of<uint8_t>(v128_load8_splat(p))) EXPECT_EQ(lane, p[0]);
  for (auto lane : lanes_of<uint16_t>(v128_load16_splat(p))) EXPECT_EQ(lane, h);
  for (auto lane : lanes_of<uint32_t>(v128_load32_splat(p))) EXPECT_EQ(lane, w);
  for (auto lane : lanes_of<uint64_t>(v128_load64_splat(p))) EXPECT_EQ(lane, d);
  EXPECT_EQ(lanes_of<uint32_t>(v128_load32_zero(p)), (Lanes<uint32_t>{w, 0, 0, 0}));
  EXPECT_EQ(lanes_of<uint64_t>(v128_load64_zero(p)), (Lanes<uint64_t>{d, 0}));
}

TEST(SimdMemory, LaneLoadsAndStores) {
  uint8_t mem[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
  V128 base = iota(0);
  for (unsigned lane = 0; lane < 16; ++lane) {
    Lanes<uint8_t> want = lanes_of<uint8_t>(base);
    want[lane] = 0x11;
    EXPECT_EQ(lanes_of<uint8_t>(v128_load8_lane(mem, base, lane)), want);
  }
  EXPECT_EQ(lanes_of<uint16_t>(v128_load16_lane(mem, base, 7))[7], 0x2211);
  EXPECT_EQ(lanes_of<uint32_t>(v128_load32_lane(mem, base, 3))[3], 0x44332211u);
  EXPECT_EQ(lanes_of<uint32_t>(v128_load32_lane(mem, base, 3))[2], lanes_of<uint32_t>(base)[2]);
  EXPECT_EQ(lanes_of<uint64_t>(v128_load64_lane(mem, base, 1))[1], 0x8877665544332211ull);
  EXPECT_EQ(lanes_of<uint64_t>(v128_load64_lane(mem, base, 1))[0], lanes_of<uint64_t>(base)[0]);

  // Each store writes exactly its lane's bytes and nothing around them.
  V128 v = iota(0xa0);
  auto stored = [&](auto store, unsigned lane, size_t bytes) {
    uint8_t out[12];
    std::memset(out, 0xee, sizeof out);
    store(out + 2, v, lane);
    for (size_t i = 0; i < sizeof out; ++i) {
      bool inside = i >= 2 && i < 2 + bytes;
      EXPECT_EQ(out[i], inside ? 0xa0 + lane * bytes + (i - 2) : 0xee) << "lane " << lane << " byte " << i;
    }
  };
  stored(v128_store8_lane, 15, 1);
  stored(v128_store16_lane, 7, 2);
  stored(v128_store32_lane, 2, 4);
  stored(v128_store64_lane, 1, 8);
  uint8_t out[20] = {};
  v128_store(out + 1, v);
  EXPECT_EQ(out[0], 0);
  EXPECT_EQ(out[1], 0xa0);
  EXPECT_EQ(out[16], 0xaf);
  EXPECT_EQ(out[17], 0);
}

}  // namespace
}  // namespace wasmlet::simd::testing

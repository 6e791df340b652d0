// The decoder's LEB128 readers at their edges: the largest and smallest
// value of each width in the fewest and the most bytes, a last byte whose
// unused bits do not repeat the sign (too large), one byte too many (too
// long), and the end of the bytes; errors at the integer's first byte.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "engine/decode/byte_reader.h"
#include "engine/decode/decode_error.h"

using wasmlet::decode::ByteReader;
using wasmlet::decode::DecodeError;

namespace {

using Bytes = std::vector<uint8_t>;
constexpr size_t kBase = 100;  // where the bytes would start in a module

template <typename Read>
auto read_all(const Bytes& bytes, Read read) {
  ByteReader r(bytes, kBase);
  auto value = read(r);
  EXPECT_TRUE(r.at_end()) << "bytes left over";
  return value;
}

// The error reading `bytes` raises: its message, which must name offset kBase.
template <typename Read>
std::string error_of(const Bytes& bytes, Read read) {
  ByteReader r(bytes, kBase);
  try {
    read(r);
  } catch (const DecodeError& e) {
    EXPECT_EQ(e.offset(), kBase) << e.what();
    return e.detail();
  }
  ADD_FAILURE() << "accepted";
  return {};
}

const auto s32 = [](ByteReader& r) { return r.s32(); };
const auto s33 = [](ByteReader& r) { return r.s33(); };
const auto s64 = [](ByteReader& r) { return r.s64(); };
const auto u32 = [](ByteReader& r) { return r.u32(); };

TEST(ByteReader, SignedThirtyTwoBitEdges) {
  EXPECT_EQ(read_all({0x3f}, s32), 63);
  EXPECT_EQ(read_all({0x40}, s32), -64);
  EXPECT_EQ(read_all({0xc0, 0x00}, s32), 64);
  EXPECT_EQ(read_all({0x7f}, s32), -1);
  EXPECT_EQ(read_all({0xff, 0xff, 0xff, 0xff, 0x7f}, s32), -1);  // padded to five bytes
  EXPECT_EQ(read_all({0xff, 0xff, 0xff, 0xff, 0x07}, s32), std::numeric_limits<int32_t>::max());
  EXPECT_EQ(read_all({0x80, 0x80, 0x80, 0x80, 0x78}, s32), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(error_of({0xff, 0xff, 0xff, 0xff, 0x0f}, s32), "integer too large (does not fit in 32 bits)");
  EXPECT_EQ(error_of({0x80, 0x80, 0x80, 0x80, 0x70}, s32), "integer too large (does not fit in 32 bits)");
  EXPECT_EQ(error_of({0x80, 0x80, 0x80, 0x80, 0x40}, s32), "integer too large (does not fit in 32 bits)");
  EXPECT_EQ(error_of({0xff, 0xff, 0xff, 0xff, 0x38}, s32), "integer too large (does not fit in 32 bits)");
  EXPECT_EQ(error_of({0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, s32),
            "integer representation too long (a signed 32-bit LEB128 has at most 5 bytes)");
}

TEST(ByteReader, BlockTypeIndexIsThirtyThreeBitsSigned) {
  EXPECT_EQ(read_all({0x00}, s33), 0);
  EXPECT_EQ(read_all({0x40}, s33), -64);  // a value type's byte, read as an index
  EXPECT_EQ(read_all({0xff, 0xff, 0xff, 0xff, 0x0f}, s33), int64_t(UINT32_MAX));
  EXPECT_EQ(read_all({0x80, 0x80, 0x80, 0x80, 0x70}, s33), -(int64_t(1) << 32));
  EXPECT_EQ(error_of({0x80, 0x80, 0x80, 0x80, 0x20}, s33), "integer too large (does not fit in 33 bits)");
  EXPECT_EQ(error_of({0x80, 0x80, 0x80, 0x80, 0x50}, s33), "integer too large (does not fit in 33 bits)");
  EXPECT_EQ(error_of({0x80, 0x80, 0x80, 0x80, 0x40}, s33), "integer too large (does not fit in 33 bits)");
  EXPECT_EQ(error_of({0xff, 0xff, 0xff, 0xff, 0x30}, s33), "integer too large (does not fit in 33 bits)");
  EXPECT_EQ(error_of({0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, s33),
            "integer representation too long (a block type index has at most 5 bytes)");
}

TEST(ByteReader, SignedSixtyFourBitEdges) {
  EXPECT_EQ(read_all({0x7f}, s64), -1);
  EXPECT_EQ(read_all({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00}, s64),
            std::numeric_limits<int64_t>::max());
  EXPECT_EQ(read_all({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f}, s64),
            std::numeric_limits<int64_t>::min());
  EXPECT_EQ(read_all({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, s64), -1);
  EXPECT_EQ(error_of({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, s64),
            "integer too large (does not fit in 64 bits)");
  EXPECT_EQ(error_of({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7e}, s64),
            "integer too large (does not fit in 64 bits)");
  EXPECT_EQ(error_of({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40}, s64),
            "integer too large (does not fit in 64 bits)");
  EXPECT_EQ(error_of({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, s64),
            "integer representation too long (a signed 64-bit LEB128 has at most 10 bytes)");
}

TEST(ByteReader, UnsignedThirtyTwoBitEdges) {
  EXPECT_EQ(read_all({0x7f}, u32), 127u);
  EXPECT_EQ(read_all({0xff, 0xff, 0xff, 0xff, 0x0f}, u32), UINT32_MAX);
  EXPECT_EQ(error_of({0xff, 0xff, 0xff, 0xff, 0x1f}, u32), "integer too large (does not fit in 32 bits)");
  EXPECT_EQ(error_of({0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, u32),
            "integer representation too long (an unsigned 32-bit LEB128 has at most 5 bytes)");
}

TEST(ByteReader, AnIntegerCutShortIsTheEndOfTheBytes) {
  for (const Bytes& cut : {Bytes{0x80}, Bytes{0xff, 0xff}, Bytes{}}) {
    ByteReader r(cut, kBase);
    EXPECT_THROW(r.s32(), DecodeError);
    ByteReader r64(cut, kBase);
    EXPECT_THROW(r64.s64(), DecodeError);
  }
}

}  // namespace

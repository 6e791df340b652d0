// Size and duration strings, as the CLI and spec files accept them.
#include <gtest/gtest.h>

#include "wasmlet/byte_size.h"
#include "wasmlet/duration.h"
#include "wasmlet/error.h"

using namespace std::chrono_literals;
using wasmlet::parse_byte_size;
using wasmlet::parse_duration;
using wasmlet::UsageError;

TEST(ByteSize, SeedSuffixes) {
  EXPECT_EQ(parse_byte_size("64Mi"), 64ull << 20);
  EXPECT_EQ(parse_byte_size("256Mi"), 256ull << 20);
  EXPECT_EQ(parse_byte_size("1Gi"), 1ull << 30);
  EXPECT_EQ(parse_byte_size("2Ti"), 2ull << 40);
  EXPECT_EQ(parse_byte_size("512Ki"), 512ull << 10);
  EXPECT_EQ(parse_byte_size("  64Mi  "), 64ull << 20);
}

TEST(ByteSize, RejectsWithTheBadInputInTheMessage) {
  for (const char* bad : {"Mi", "abcMi", "64", "64MB", "64mi", "-1Mi", "1.5Gi", "", "99999999999999999999Ti"}) {
    try {
      parse_byte_size(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("'") + bad + "'"), std::string::npos) << e.what();
    }
  }
}

TEST(Duration, Units) {
  EXPECT_EQ(parse_duration("500ms"), 500ms);
  EXPECT_EQ(parse_duration("5s"), 5s);
  EXPECT_EQ(parse_duration("1.5s"), 1500ms);
  EXPECT_EQ(parse_duration("2m"), 120s);
  EXPECT_EQ(parse_duration("1h"), 3600s);
  EXPECT_EQ(parse_duration("250us"), 250us);
}

TEST(Duration, Rejects) {
  for (const char* bad : {"", "5", "s", "5 s", "5sec", "x5s", "1.2.3s"})
    EXPECT_THROW(parse_duration(bad), UsageError) << bad;
}

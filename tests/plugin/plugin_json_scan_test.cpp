// plugin::surely_valid_json, the fast JSON check in front of
// nlohmann::json::accept for plugin input and output: it must never accept
// what the parser rejects, and must decide the common documents itself.
#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "plugin/abi.h"

using json = nlohmann::json;

namespace {

bool fast(const std::string& s) {
  return wasmlet::plugin::surely_valid_json(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}

std::string nested(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

}  // namespace

TEST(PluginJsonScan, AcceptsWhatTheParserAccepts) {
  const std::vector<std::string> valid = {
      "{}", "[]", "0", "-0", "7", "-12.5", "\"\"", "true", "false", "null", " \t\r\n{ } \n",
      R"({"hello":"world","n":42,"list":[1,2,3]})",
      R"([1, -2.5, 0, "x\"y\\z\/", true, false, null, {"k": [ ], "": {}}])",
      R"("\b\f\n\r\t \u00e9 \u00E9 \ud83d\ude00")", "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"",
      "\xef\xbb\xbf{\"bom\":1}", "123456789012345", "0.12345678901234", nested(64),
      R"({"a":{"b":{"c":[{"d":null}]}}})"};
  for (const auto& s : valid) {
    EXPECT_TRUE(json::accept(s)) << s;
    EXPECT_TRUE(fast(s)) << s;
  }
}

TEST(PluginJsonScan, RejectsWhatTheParserRejects) {
  const std::vector<std::string> invalid = {
      "", " ", "{", "}", "[", "]", "[1,]", "[,1]", "{\"a\"}", "{\"a\":}", "{,}", "{\"a\":1,}", "[1 2]",
      "{\"a\" 1}", "{1:2}", "{'a':1}", "01", "-01", "1.", ".5", "-", "+1", "1.e2", "tru", "nul", "True",
      "NaN", "Infinity", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"\\ud800\"", "\"\\udc00\"",
      "\"\\ud800\\u0041\"", "\"\\ud800x\"", "\"a\nb\"", std::string("\"a\0b\"", 5), "\"unterminated",
      "[\"a\"]]", "{}{}", "[] x", "{\"a\":[1}", "[{]}", "\xef\xbb{}", "[1e999]", "1e", "//c\n1",
      nested(64) + "]", "[" + nested(63)};
  for (const auto& s : invalid) {
    EXPECT_FALSE(json::accept(s)) << s;
    EXPECT_FALSE(fast(s)) << s;
  }
}

TEST(PluginJsonScan, LeavesExponentsLongNumbersAndDeepNestingToTheParser) {
  const std::vector<std::string> undecided = {"1e5", "2.5E-3", "1234567890123456", "0.1234567890123456", nested(65)};
  for (const auto& s : undecided) {
    EXPECT_TRUE(json::accept(s)) << s;
    EXPECT_FALSE(fast(s)) << s << ": not decided by the fast scan";
  }
}

// Random documents built from JSON's own tokens (mostly invalid ones), and
// random values serialized by nlohmann (all valid): the fast scan never
// accepts what the parser rejects, and accepts every serialized value.
TEST(PluginJsonScan, AgreesWithTheParserOnRandomDocuments) {
  std::mt19937 rng(20261123);
  const std::vector<std::string> tokens = {"{", "}", "[", "]", ",", ":", "\"", "\"k\"", "\\", "\\u", "d83d", "de00",
                                           "00e9", "0", "1", "-", ".", "e", "true", "null", "false", " ", "\n",
                                           "\xc3\xa9", "\"v\"", "12", "x"};
  int accepted = 0;
  for (int i = 0; i < 100000; ++i) {
    std::string s;
    const int n = 1 + static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) s += tokens[rng() % tokens.size()];
    if (fast(s)) {
      ++accepted;
      ASSERT_TRUE(json::accept(s)) << "the fast scan accepted what the parser rejects: " << s;
    }
  }
  EXPECT_GT(accepted, 100) << "the random documents hardly ever were valid JSON";

  std::function<json(int)> value = [&](int depth) -> json {
    switch (rng() % (depth > 4 ? 5 : 7)) {
      case 0: return nullptr;
      case 1: return rng() % 2 == 0;
      case 2: return static_cast<int>(rng() % 200000) - 100000;
      case 3: return (static_cast<int>(rng() % 20000) - 10000) / 8.0;
      case 4: {
        std::string str;
        for (int k = rng() % 6; k > 0; --k) str += "a\"\\/\n\x01\xc3\xa9\xf0\x9f\x98\x80"[rng() % 9];
        return json::parse(json(str).dump(-1, ' ', false, json::error_handler_t::replace));
      }
      case 5: {
        json a = json::array();
        for (int k = rng() % 4; k > 0; --k) a.push_back(value(depth + 1));
        return a;
      }
      default: {
        json o = json::object();
        for (int k = rng() % 4; k > 0; --k) o[std::string(1, static_cast<char>('a' + rng() % 26))] = value(depth + 1);
        return o;
      }
    }
  };
  for (int i = 0; i < 5000; ++i) {
    const json v = value(0);
    const std::string compact = v.dump(), pretty = v.dump(2);
    ASSERT_TRUE(fast(compact)) << compact;
    ASSERT_TRUE(fast(pretty)) << pretty;
  }
}

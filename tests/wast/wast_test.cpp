// `wasmlet wast` on two hand-written scripts, in both tiers: one with every
// command kind (all pass), one with deliberate failures that must be
// reported with their lines and a non-zero exit.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "process.h"
#include "temp_dir.h"
#include "wabt/cast.h"
#include "wabt/ir.h"
#include "wast/script.h"

using namespace std::chrono_literals;
using wasmlet::testing::run_wasmlet;

namespace {

std::string script(const char* name) { return std::string(SOURCE_DIR) + "/tests/wast/" + name; }

class WastTiers : public ::testing::TestWithParam<const char*> {
 protected:
  wasmlet::testing::TempDir cache_;
  wasmlet::testing::ProcessResult wast(std::vector<std::string> args) {
    setenv("WASMLET_CACHE_DIR", cache_.path().c_str(), 1);
    args.insert(args.begin(), {"wast", "--tier", GetParam()});
    return run_wasmlet(args, 300s);
  }
};

TEST_P(WastTiers, EveryCommandKindPasses) {
  auto r = wast({"--format", "json", script("all_commands.wast")});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  const auto& file = j["files"][0];
  EXPECT_EQ(file["failed"], 0) << file.dump(2);
  // 30 commands: 4 modules, 1 register, 2 actions, 23 assertions.
  EXPECT_EQ(file["passed"], 30) << file.dump(2);
  EXPECT_EQ(j["total"]["files_passing"], 1);
  if (std::string(GetParam()) == "aot") {
    // The modules with v128 or references at the boundary run in the
    // interpreter, and each one is reported as such.
    ASSERT_FALSE(file["interpreter_fallbacks"].empty());
    EXPECT_NE(file["interpreter_fallbacks"][0]["message"].get<std::string>().find("running in the interpreter"),
              std::string::npos);
  } else {
    EXPECT_TRUE(file["interpreter_fallbacks"].empty());
  }
}

TEST_P(WastTiers, FailuresAreReportedWithTheirLines) {
  auto r = wast({"--format", "json", script("deliberate_failures.wast")});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  const auto& file = j["files"][0];
  EXPECT_EQ(file["passed"], 2);
  EXPECT_EQ(file["failed"], 6);
  std::vector<int> lines;
  for (const auto& f : file["failures"]) lines.push_back(f["line"]);
  EXPECT_EQ(lines, (std::vector<int>{7, 8, 9, 10, 11, 12})) << file.dump(2);
  EXPECT_EQ(file["failures"][0]["message"], "got (i32:1), expected (i32:2)");
  EXPECT_EQ(file["failures"][2]["command"], "assert_return");
  EXPECT_NE(file["failures"][2]["message"].get<std::string>().find("unreachable"), std::string::npos);

  auto text = wast({script("deliberate_failures.wast")});
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.out.find("deliberate_failures.wast:7: assert_return: got (i32:1), expected (i32:2)"),
            std::string::npos) << text.out;
  EXPECT_NE(text.out.find("deliberate_failures.wast:10: assert_invalid: the module compiled"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("2 commands passed, 6 failed"), std::string::npos) << text.out;
}

INSTANTIATE_TEST_SUITE_P(Tier, WastTiers, ::testing::Values("interp", "aot"));

TEST(Wast, ExpectationsListMustMatchExactly) {
  wasmlet::testing::TempDir dir;
  auto list = dir.path() / "expected.txt";
  auto write = [&](const std::string& text) {
    std::ofstream(list) << "# FILE TIER PASSED FAILED STATUS REASON\n" << text;
  };
  const std::string file = script("deliberate_failures.wast");
  write(file + " interp 2 6 fails deliberate\n");
  auto r = run_wasmlet({"wast", "--expectations", list.string(), file});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // Recorded as doing worse than it does: the list must shrink.
  write(file + " interp 1 7 fails deliberate\n");
  r = run_wasmlet({"wast", "--expectations", list.string(), file});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("does better than recorded"), std::string::npos) << r.out;
  // Recorded as doing better: a regression.
  write(file + " interp 3 5 fails deliberate\n");
  r = run_wasmlet({"wast", "--expectations", list.string(), file});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("regressed"), std::string::npos) << r.out;
  // Not listed at all.
  write("");
  r = run_wasmlet({"wast", "--expectations", list.string(), file});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("is not in"), std::string::npos) << r.out;
  // A malformed line is a usage error naming the line.
  write(file + " interp two 6 fails\n");
  r = run_wasmlet({"wast", "--expectations", list.string(), file});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("expected.txt:2"), std::string::npos) << r.err;
}

TEST(Wast, ScriptParserRejectsGarbageWithoutCrashing) {
  const std::string inputs[] = {"(module", "(assert_return (invoke \"f\" (i32.const", ")))", "\xff\xfe\x00",
                                "(module binary \"\\00asm\\01\")", "(assert_malformed (module quote \"(\") \"x\")"};
  for (const auto& text : inputs) {
    auto parsed = wasmlet::wast::parse_script(
        std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()), "garbage.wast");
    if (!parsed.script) EXPECT_FALSE(parsed.errors.empty()) << text;
  }
  // Found by fuzz_wast: each aborted wabt 1.0.32's script parser (an
  // assertion, or a token whose text ran past the buffer). Now a script, or
  // errors that name the line.
  const std::string found_by_fuzzer[] = {"(module quote \"\")", "(module y(module quote \"\")",
                                         std::string("(module\0\"\n\"\n(module quote\n(module quote \"\")", 43),
                                         "(@\"\n"};
  for (const auto& text : found_by_fuzzer) {
    auto parsed = wasmlet::wast::parse_script(
        std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()), "found.wast");
    if (!parsed.script) {
      ASSERT_FALSE(parsed.errors.empty()) << text;
      EXPECT_NE(parsed.errors[0].find("found.wast:"), std::string::npos) << parsed.errors[0];
    }
  }
  // Found by fuzz_wast in CI: an escaped raw newline inside a string is not
  // counted as a line by wabt's lexer, so the keyword found by line and
  // column was a "quote" inside a string. The cut then turned strings into
  // code below it, and wabt's parser met a real `(module quote` (an
  // assertion). Now the script is refused, naming the place.
  const std::string escaped_newline =
      "(assert_malformed (module quote \"\") \"\\\n12345678quote\")\n(module quote \"\")\n\" (module quote \"x\")\n";
  auto drifted = wasmlet::wast::parse_script(
      std::span(reinterpret_cast<const uint8_t*>(escaped_newline.data()), escaped_newline.size()), "drift.wast");
  ASSERT_FALSE(drifted.script);
  ASSERT_FALSE(drifted.errors.empty());
  EXPECT_NE(drifted.errors[0].find("drift.wast:"), std::string::npos) << drifted.errors[0];
  EXPECT_NE(drifted.errors[0].find("cannot read the script here"), std::string::npos) << drifted.errors[0];
  // Found by fuzz_wast: a quoted module whose first token is an error read
  // the location of a lexer already freed (caught by ASan in the fuzz build).
  const std::string bad_first_token = "(assert_malformed (module quote \"\xff(func)\") \"unknown operator\")";
  auto quoted = wasmlet::wast::parse_script(
      std::span(reinterpret_cast<const uint8_t*>(bad_first_token.data()), bad_first_token.size()), "quoted.wast");
  ASSERT_TRUE(quoted.script) << (quoted.errors.empty() ? "" : quoted.errors[0]);
  const auto* malformed = wabt::cast<wabt::AssertMalformedCommand>(
      quoted.script->commands.at(0).get());
  auto refused = wasmlet::wast::module_bytes(*malformed->module, quoted.sources);
  ASSERT_TRUE(refused.error);
  EXPECT_NE(refused.error->find("<quote>:1:"), std::string::npos) << *refused.error;
  auto empty = wasmlet::wast::parse_script(std::span(reinterpret_cast<const uint8_t*>("(module quote \"\")"), 17),
                                           "empty.wast");
  ASSERT_TRUE(empty.script);
  ASSERT_EQ(empty.script->commands.size(), 1u);
  const auto* command = wabt::cast<wabt::ScriptModuleCommand>(empty.script->commands[0].get());
  auto bytes = wasmlet::wast::module_bytes(*command->script_module, empty.sources);
  ASSERT_FALSE(bytes.error) << *bytes.error;
  EXPECT_EQ(bytes.bytes, (std::vector<uint8_t>{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}));
  auto r = run_wasmlet({"wast", script("missing.wast")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("missing.wast"), std::string::npos) << r.err;
}

}  // namespace

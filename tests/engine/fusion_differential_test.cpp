// The interpreter's fusions against plain translation (fused_vs_plain.h) on
// thousands of generated programs (random_program.h); fuzz/fusion_fuzzer.cpp
// does the same with coverage-guided inputs.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "fused_vs_plain.h"
#include "random_program.h"
#include "wasmlet/error.h"

using namespace wasmlet;
using namespace wasmlet::testing;

namespace {

// About 2 s. Enough to find the fusion bug fixed in 9c4f4c2 (a digit loop's
// copy overwriting the flag it branches on), which a review found: with it
// back, program 5937 runs differently.
constexpr int kPrograms = 10000;

// Where a program that runs differently is kept, for wasm2wat.
std::string keep(const RandomProgram& program) {
  const std::string path = ::testing::TempDir() + "fusion-difference.wasm";
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(program.wasm.data(), 1, program.wasm.size(), f);
    std::fclose(f);
  }
  return path;
}

bool contains(const std::string& s, const char* what) { return s.find(what) != std::string::npos; }

}  // namespace

TEST(FusionDifferential, GeneratedProgramsRunAlikeFusedAndPlain) {
  std::mt19937 rng(20261206);
  int returned = 0, trapped = 0, out_of_fuel = 0, out_of_bounds = 0;
  for (int i = 0; i < kPrograms; ++i) {
    std::vector<uint8_t> choices(32 + rng() % 2000);
    for (uint8_t& b : choices) b = uint8_t(rng());
    const RandomProgram program = random_program(choices);
    std::vector<std::string> calls;
    std::string difference;
    try {
      difference = fused_vs_plain(program, &calls);
    } catch (const CompileError& e) {
      FAIL() << "program " << i << " does not validate: " << e.what();
    }
    if (!difference.empty())
      FAIL() << "program " << i << " runs differently fused and plain (" << keep(program) << "): " << difference;
    for (const std::string& c : calls) {
      returned += contains(c, "-> returned");
      trapped += contains(c, "-> trap");
      out_of_fuel += contains(c, "fuel exhausted");
      out_of_bounds += contains(c, "out of bounds memory access");
    }
  }
  // The programs do what they are there for: many calls return, and traps
  // (memory, fuel, arithmetic) are common enough to be compared too.
  EXPECT_GT(returned, kPrograms);
  EXPECT_GT(trapped, kPrograms / 10);
  EXPECT_GT(out_of_fuel, kPrograms / 100);
  EXPECT_GT(out_of_bounds, kPrograms / 100);
  std::printf("%d calls returned, %d trapped (%d out of fuel, %d out of bounds)\n", returned, trapped, out_of_fuel,
              out_of_bounds);
}

// The same with floats (NaNs, signed zeros, the conversions' edges, the
// trapping truncations) and tail calls in the programs: the comparisons'
// fused branches are where a NaN can take the wrong way.
TEST(FusionDifferential, ProgramsWithFloatsAndTailCallsRunAlikeFusedAndPlain) {
  std::mt19937 rng(20261207);
  constexpr int kFloatPrograms = 5000;
  int returned = 0, float_results = 0, nan_results = 0, conversion_traps = 0, tail_calls = 0;
  for (int i = 0; i < kFloatPrograms; ++i) {
    std::vector<uint8_t> choices(32 + rng() % 2000);
    for (uint8_t& b : choices) b = uint8_t(rng());
    const RandomProgram program = random_program(choices, {.floats = true, .tail_calls = true});
    std::vector<std::string> calls;
    std::string difference;
    try {
      difference = fused_vs_plain(program, &calls);
    } catch (const CompileError& e) {
      FAIL() << "program " << i << " does not validate (" << keep(program) << "): " << e.what();
    }
    if (!difference.empty())
      FAIL() << "program " << i << " runs differently fused and plain (" << keep(program) << "): " << difference;
    tail_calls += program.return_calls > 0;
    for (const std::string& c : calls) {
      returned += contains(c, "-> returned");
      float_results += contains(c, "-> returned") && contains(c, "/");  // a float's bits follow a slash
      nan_results += contains(c, "nan");
      conversion_traps += contains(c, "integer overflow") || contains(c, "invalid conversion");
    }
  }
  EXPECT_GT(returned, kFloatPrograms);
  EXPECT_GT(float_results, kFloatPrograms / 4);
  EXPECT_GT(tail_calls, kFloatPrograms / 20);
  EXPECT_GT(nan_results, kFloatPrograms / 100);
  EXPECT_GT(conversion_traps, kFloatPrograms / 200);
  std::printf("%d calls returned (%d a float, %d a NaN), %d conversion traps; %d programs with tail calls\n", returned,
              float_results, nan_results, conversion_traps, tail_calls);
}

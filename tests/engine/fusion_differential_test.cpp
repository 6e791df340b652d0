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

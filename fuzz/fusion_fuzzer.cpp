// (h) The interpreter's fusions, differentially: the input's bytes choose a
// valid program (tests/support/random_program.h; with floats and tail calls
// as the first byte says), which runs in the
// interpreter translated with fusions and plain; any difference in results,
// traps, fuel or memory aborts with both runs' accounts. A program that does
// not validate is a generator or validator bug and aborts too.
#include <cstdio>
#include <cstdlib>

#include "fused_vs_plain.h"
#include "random_program.h"
#include "wasmlet/error.h"

using namespace wasmlet;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The first byte's low bits add floats and tail calls to the programs.
  const testing::ProgramShapes shapes{.floats = size > 0 && (data[0] & 1), .tail_calls = size > 0 && (data[0] & 2)};
  const testing::RandomProgram program = testing::random_program({data, size}, shapes);
  std::string difference;
  try {
    difference = testing::fused_vs_plain(program);
  } catch (const CompileError& e) {
    std::fprintf(stderr, "generated program does not validate: %s\n", e.what());
    std::abort();
  }
  if (!difference.empty()) {
    std::fprintf(stderr, "fused and plain translations differ: %s\n", difference.c_str());
    std::abort();
  }
  return 0;
}

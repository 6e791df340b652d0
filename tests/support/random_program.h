// Valid core modules made from arbitrary bytes, for differential tests of
// the interpreter (fused_vs_plain.h): every byte string becomes a module
// that validates, whatever the bytes. The bytes choose, one decision at a
// time, functions over i32 and i64 with locals, globals, loads and stores
// of every width (in bounds and out), arithmetic that may trap, blocks,
// loops (counted ones, the shapes the interpreter fuses most), branches
// out of any depth, br_table, selects and calls; when the bytes run out
// every decision takes its simplest choice, so generation always ends.
// ProgramShapes adds floats and tail calls.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "wasmlet/value.h"

namespace wasmlet::testing {

struct RandomCall {
  std::string export_name;
  std::vector<Value> args;
};

struct RandomProgram {
  std::vector<uint8_t> wasm;     // exports f0, f1, ... and "memory"
  std::vector<RandomCall> calls;  // what to run, in order
  int return_calls = 0;           // how many return_call instructions it holds (ProgramShapes::tail_calls)
};

// What a program may contain besides integer code: the default is the
// programs the differential test has always made.
struct ProgramShapes {
  bool floats = false;      // f32 and f64 values, arithmetic, comparisons, conversions (trapping ones too)
  bool tail_calls = false;  // return_call
};

RandomProgram random_program(std::span<const uint8_t> choices, ProgramShapes shapes = {});

}  // namespace wasmlet::testing

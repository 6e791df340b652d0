// The `spectest` module the spec scripts import: print functions (host
// functions that print nothing) and a table, a memory and four globals,
// which come from a small module instantiated in the script's Store.
#pragma once

#include "wasmlet/engine.h"
#include "wasmlet/linker.h"
#include "wasmlet/module.h"

namespace wasmlet::wast {

// Defines spectest.print, print_i32, print_i64, print_f32, print_f64,
// print_i32_f32 and print_f64_f64.
void define_spectest_functions(Linker& linker);

// The module exporting spectest's global_i32 (666), global_i64 (666),
// global_f32 (666.6), global_f64 (666.6), table (10..20 funcref) and
// memory (1..2 pages).
Module compile_spectest_items(Engine& engine);

}  // namespace wasmlet::wast

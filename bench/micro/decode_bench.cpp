// Throughput of wasmlet's decoder and validator (src/engine/decode) on a large
// generated module: thousands of functions of the instruction mix compilers
// emit (locals, integer and float arithmetic, memory access, blocks, loops,
// branches, calls). The target is at least 150 MB/s on one core.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "engine/decode/module_decoder.h"

namespace {

using Bytes = std::vector<uint8_t>;

void leb(Bytes& out, uint64_t v) {
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    out.push_back(byte | (v ? 0x80 : 0));
  } while (v);
}

void section(Bytes& module, uint8_t id, const Bytes& contents) {
  module.push_back(id);
  leb(module, contents.size());
  module.insert(module.end(), contents.begin(), contents.end());
}

// One function body of type (i32 i32) -> i32 with three i32 locals and one f64.
Bytes body(uint32_t index, uint32_t num_functions) {
  Bytes code = {0x02, 0x02, 0x7f, 0x01, 0x7c};  // locals: 2 i32, 1 f64
  for (int round = 0; round < 12; ++round) {
    Bytes chunk = {
        0x20, 0x00, 0x20, 0x01, 0x6a, 0x21, 0x02,                    // l2 = p0 + p1
        0x20, 0x02, 0x41, 0x07, 0x71, 0x28, 0x02, 0x10, 0x21, 0x03,  // l3 = load(l2 & 7, offset 16)
        0x02, 0x40,                                                  // block
        0x03, 0x40,                                                  //   loop
        0x20, 0x03, 0x41, 0x01, 0x6b, 0x22, 0x03,                    //     l3 = l3 - 1 (tee)
        0x45, 0x0d, 0x01,                                            //     br_if 1 (l3 == 0)
        0x20, 0x04, 0x44, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0xa0, 0x21, 0x04,  // l4 += 1.0
        0x20, 0x03, 0x41, 0xe4, 0x00, 0x49, 0x0d, 0x00,              //     br_if 0 (l3 < 100)
        0x0b, 0x0b,                                                  //   end end
        0x41, 0x00, 0x20, 0x02, 0x36, 0x02, 0x20,                    // store(0, l2, offset 32)
        0x20, 0x00, 0x20, 0x03, 0x10,                                // call f(p0, l3)
    };
    leb(chunk, (index + 1) % num_functions);
    chunk.insert(chunk.end(), {0x21, 0x00, 0x20, 0x04, 0xaa, 0x1a});  // p0 = result; drop(trunc l4)
    code.insert(code.end(), chunk.begin(), chunk.end());
  }
  code.insert(code.end(), {0x20, 0x00, 0x0b});
  return code;
}

Bytes large_module(uint32_t num_functions) {
  Bytes module = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  section(module, 1, {0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f});
  Bytes functions;
  leb(functions, num_functions);
  for (uint32_t i = 0; i < num_functions; ++i) functions.push_back(0x00);
  section(module, 3, functions);
  section(module, 5, {0x01, 0x00, 0x01});
  Bytes code;
  leb(code, num_functions);
  for (uint32_t i = 0; i < num_functions; ++i) {
    Bytes b = body(i, num_functions);
    leb(code, b.size());
    code.insert(code.end(), b.begin(), b.end());
  }
  section(module, 10, code);
  return module;
}

void DecodeAndValidateLargeModule(benchmark::State& state) {
  const Bytes module = large_module(uint32_t(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(wasmlet::decode::decode_module(module));
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(module.size()));
  state.counters["module_bytes"] = double(module.size());
}
BENCHMARK(DecodeAndValidateLargeModule)->Arg(5000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

// simd_ops.def and the decoder's opcode table describe the same
// instructions: every SIMD opcode the validator accepts has a function of
// the right shape here (so an interpreter generated from the list misses
// none), with the same name, access size and lane count.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "engine/decode/opcodes.h"
#include "engine/simd/simd.h"

namespace wasmlet::simd {
namespace {

struct Entry {
  std::string fn;
  int bytes = 0;  // memory access size, 0 if none
  int lanes = 0;  // lane count of a lane immediate, 0 if none
};

std::map<uint32_t, Entry> ops_from_def() {
  std::map<uint32_t, Entry> ops;
  // The static_casts check each function's signature against its shape.
#define SIMD_UNARY(c, fn) ops[c] = {#fn}, (void)static_cast<V128 (*)(V128)>(fn);
#define SIMD_BINARY(c, fn) ops[c] = {#fn}, (void)static_cast<V128 (*)(V128, V128)>(fn);
#define SIMD_TERNARY(c, fn) ops[c] = {#fn}, (void)static_cast<V128 (*)(V128, V128, V128)>(fn);
#define SIMD_TEST(c, fn) ops[c] = {#fn}, (void)static_cast<int32_t (*)(V128)>(fn);
#define SIMD_SHIFT(c, fn) ops[c] = {#fn}, (void)static_cast<V128 (*)(V128, uint32_t)>(fn);
#define SIMD_SPLAT(c, fn, T) ops[c] = {#fn}, (void)static_cast<V128 (*)(T)>(fn);
#define SIMD_EXTRACT(c, fn, T, l) ops[c] = {#fn, 0, l}, (void)static_cast<T (*)(V128, unsigned)>(fn);
#define SIMD_REPLACE(c, fn, T, l) ops[c] = {#fn, 0, l}, (void)static_cast<V128 (*)(V128, unsigned, T)>(fn);
#define SIMD_LOAD(c, fn, n) ops[c] = {#fn, n}, (void)static_cast<V128 (*)(const uint8_t*)>(fn);
#define SIMD_STORE(c, fn, n) ops[c] = {#fn, n}, (void)static_cast<void (*)(uint8_t*, V128)>(fn);
#define SIMD_LOAD_LANE(c, fn, n, l) ops[c] = {#fn, n, l}, (void)static_cast<V128 (*)(const uint8_t*, V128, unsigned)>(fn);
#define SIMD_STORE_LANE(c, fn, n, l) ops[c] = {#fn, n, l}, (void)static_cast<void (*)(uint8_t*, V128, unsigned)>(fn);
#define SIMD_CONST(c) ops[c] = {"v128_const"};
#define SIMD_SHUFFLE(c, fn) ops[c] = {#fn}, (void)static_cast<V128 (*)(V128, V128, const uint8_t*)>(fn);
#include "engine/simd/simd_ops.def"
#undef SIMD_UNARY
#undef SIMD_BINARY
#undef SIMD_TERNARY
#undef SIMD_TEST
#undef SIMD_SHIFT
#undef SIMD_SPLAT
#undef SIMD_EXTRACT
#undef SIMD_REPLACE
#undef SIMD_LOAD
#undef SIMD_STORE
#undef SIMD_LOAD_LANE
#undef SIMD_STORE_LANE
#undef SIMD_CONST
#undef SIMD_SHUFFLE
  return ops;
}

TEST(SimdOpsTable, MatchesTheDecodersOpcodeTable) {
  std::map<uint32_t, Entry> ops = ops_from_def();
  size_t decoder_count = 0;
  for (uint32_t code = 0; code < 256; ++code) {
    const decode::OpInfo& info = decode::op_info(decode::kPrefixSimd, code);
    auto it = ops.find(code);
    if (info.kind == decode::OpKind::Illegal) {
      EXPECT_TRUE(it == ops.end()) << "simd_ops.def has 0xfd " << code << " (" << it->second.fn << "), the decoder does not";
      continue;
    }
    ++decoder_count;
    ASSERT_TRUE(it != ops.end()) << "no SIMD function for 0xfd " << code << " " << info.name;
    std::string name = info.name;
    for (char& c : name) c = c == '.' ? '_' : c;
    EXPECT_EQ(it->second.fn, name) << "0xfd " << code;
    bool memory = info.kind == decode::OpKind::Load || info.kind == decode::OpKind::Store ||
                  info.kind == decode::OpKind::LoadLane || info.kind == decode::OpKind::StoreLane;
    EXPECT_EQ(it->second.bytes, memory ? 1 << info.arg : 0) << info.name;
    if (info.kind == decode::OpKind::Lane) {
      EXPECT_EQ(it->second.lanes, info.arg) << info.name;
    }
    if (info.kind == decode::OpKind::LoadLane || info.kind == decode::OpKind::StoreLane) {
      EXPECT_EQ(it->second.lanes, 16 >> info.arg) << info.name;
    }
  }
  EXPECT_EQ(decoder_count, 236u);  // the WebAssembly 2.0 SIMD instruction count
  EXPECT_EQ(ops.size(), decoder_count);
}

}  // namespace
}  // namespace wasmlet::simd

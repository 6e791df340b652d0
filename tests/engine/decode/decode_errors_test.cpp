// wasmlet's decoder and validator on hand-assembled modules: each malformed or
// invalid module is refused with the kind of error the spec test suite
// expects, at the byte offset of the defect, saying what was expected.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/decode/decode_error.h"
#include "engine/decode/module_decoder.h"
#include "module_bytes.h"
#include "wasmlet/engine.h"
#include "wasmlet/error.h"
#include "wasmlet/module.h"

using namespace wasmlet::decode;
using namespace wasmlet::testing;
using ::testing::HasSubstr;

namespace {

constexpr uint8_t kI32 = 0x7f, kI64 = 0x7e, kF32 = 0x7d, kF64 = 0x7c, kV128 = 0x7b, kFuncRef = 0x70,
                  kExternRef = 0x6f;
constexpr uint8_t kEnd = 0x0b;

// Decodes `bytes`; fails the test unless it throws `kind` at `offset` with a
// message containing `text`.
void expect_error(const Bytes& bytes, ErrorKind kind, size_t offset, const std::string& text) {
  try {
    decode_module(bytes);
    ADD_FAILURE() << "accepted; expected an error containing '" << text << "' at byte " << offset;
  } catch (const DecodeError& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    EXPECT_EQ(e.offset(), offset) << e.what();
    EXPECT_THAT(e.what(), HasSubstr(text));
  }
}

void expect_valid(const Bytes& bytes) {
  try {
    decode_module(bytes);
  } catch (const DecodeError& e) {
    ADD_FAILURE() << "refused: " << e.what();
  }
}

Bytes i32_const(int32_t v) {
  Bytes out{0x41};
  // signed LEB128
  bool more = true;
  while (more) {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    more = !((v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40)));
    out.push_back(byte | (more ? 0x80 : 0));
  }
  return out;
}

const Bytes kOneMemory = {0x01, 0x00, 0x01};  // memory section contents: one memory {min 1}

}  // namespace

TEST(DecodeErrors, HeaderAndVersion) {
  expect_error({0x00, 0x61, 0x73}, ErrorKind::Malformed, 0, "magic header not detected");
  expect_error({0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00}, ErrorKind::Malformed, 4, "unknown binary version");
  expect_valid(header());
}

TEST(DecodeErrors, SectionFraming) {
  expect_error(cat({header(), {0x0d, 0x00}}), ErrorKind::Malformed, 8, "malformed section id 13");
  expect_error(cat({header(), {0x01, 0x05, 0x00}}), ErrorKind::Malformed, 9, "length out of bounds");
  // The type section's count says 0 but a byte is left over.
  expect_error(cat({header(), {0x01, 0x02, 0x00, 0x00}}), ErrorKind::Malformed, 11, "section size mismatch");
  // Out of order (memory before type) and repeated sections.
  expect_error(cat({header(), section(5, kOneMemory), section(1, {0x00})}), ErrorKind::Malformed, 13,
               "unexpected content after last section");
  expect_error(cat({header(), section(1, {0x00}), section(1, {0x00})}), ErrorKind::Malformed, 11,
               "repeated or out of order");
  // A count larger than the bytes could hold is refused before any allocation.
  expect_error(cat({header(), section(1, cat({leb(0xffffffff)}))}), ErrorKind::Malformed, 10, "length out of bounds");
}

TEST(DecodeErrors, Leb128Encodings) {
  // Six bytes for a u32 count.
  expect_error(cat({header(), section(1, {0x80, 0x80, 0x80, 0x80, 0x80, 0x00})}), ErrorKind::Malformed, 10,
               "integer representation too long");
  // Fifth byte with bits above 32.
  expect_error(cat({header(), section(1, {0x80, 0x80, 0x80, 0x80, 0x70})}), ErrorKind::Malformed, 10,
               "integer too large");
  // i32.const with a fifth byte whose unused bits are not the sign extension.
  auto m = one_function(returns(kI32), {0x41, 0x80, 0x80, 0x80, 0x80, 0x70, kEnd});
  expect_error(m.bytes, ErrorKind::Malformed, m.code_offset + 1, "integer too large");
  expect_valid(one_function(returns(kI32), {0x41, 0xff, 0xff, 0xff, 0xff, 0x07, kEnd}).bytes);
  expect_valid(one_function(returns(kI64), {0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f, kEnd}).bytes);
  auto m64 = one_function(returns(kI64), {0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, kEnd});
  expect_error(m64.bytes, ErrorKind::Malformed, m64.code_offset + 1, "integer too large");
}

TEST(DecodeErrors, TypeMismatchNamesInstructionAndTypes) {
  // f64.const 0; i32.const 0; i32.add -> i32.add's first operand is an f64.
  Bytes code = {0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0x41, 0x00, 0x6a, 0x1a, kEnd};
  auto m = one_function(void_type(), code);
  expect_error(m.bytes, ErrorKind::Invalid, m.code_offset + 11, "type mismatch in i32.add, expected i32 but got f64");
  auto empty = one_function(void_type(), {0x6a, kEnd});
  expect_error(empty.bytes, ErrorKind::Invalid, empty.code_offset, "expected i32 but nothing is on the stack");
  // A function that returns i32 but leaves nothing.
  auto ret = one_function(returns(kI32), {kEnd});
  expect_error(ret.bytes, ErrorKind::Invalid, ret.code_offset, "expected i32 but nothing is on the stack");
  // Leaves two values for one result.
  auto extra = one_function(returns(kI32), {0x41, 0x01, 0x41, 0x02, kEnd});
  expect_error(extra.bytes, ErrorKind::Invalid, extra.code_offset + 4, "leaves 1 more value");
}

TEST(DecodeErrors, UnreachableCodeIsPolymorphic) {
  expect_valid(one_function(returns(kI32), {0x00, 0x6a, kEnd}).bytes);              // unreachable i32.add
  expect_valid(one_function(returns(kF64), {0x00, 0x1b, kEnd}).bytes);              // unreachable select -> f64
  expect_valid(one_function(void_type(), {0x0f, 0x1a, 0x41, 0x00, 0x1a, kEnd}).bytes);  // return drop ...
  auto m = one_function(void_type(), {0x00, 0x41, 0x00, 0x7c, 0x1a, kEnd});  // unreachable i32.const i64.add
  expect_error(m.bytes, ErrorKind::Invalid, m.code_offset + 3, "type mismatch in i64.add, expected i64 but got i32");
}

TEST(DecodeErrors, IndicesOutOfRange) {
  auto local = one_function(void_type(), {0x20, 0x03, 0x1a, kEnd}, {}, {0x01, 0x02, kI32});
  expect_error(local.bytes, ErrorKind::Invalid, local.code_offset, "unknown local 3");
  auto func = one_function(void_type(), {0x10, 0x05, kEnd});
  expect_error(func.bytes, ErrorKind::Invalid, func.code_offset, "unknown function 5");
  auto global = one_function(void_type(), {0x23, 0x00, 0x1a, kEnd});
  expect_error(global.bytes, ErrorKind::Invalid, global.code_offset, "unknown global 0");
  auto label = one_function(void_type(), {0x02, 0x40, 0x0c, 0x02, kEnd, kEnd});
  expect_error(label.bytes, ErrorKind::Invalid, label.code_offset + 2, "unknown label 2");
  auto table = one_function(void_type(), {0x41, 0x00, 0x11, 0x00, 0x00, kEnd});
  expect_error(table.bytes, ErrorKind::Invalid, table.code_offset + 2, "unknown table 0");
  auto memory = one_function(void_type(), {0x41, 0x00, 0x28, 0x02, 0x00, 0x1a, kEnd});
  expect_error(memory.bytes, ErrorKind::Invalid, memory.code_offset + 2, "unknown memory 0");
  auto type = one_function(void_type(), {0x02, 0x05, kEnd, kEnd});
  expect_error(type.bytes, ErrorKind::Invalid, type.code_offset + 1, "unknown type 5");
}

TEST(DecodeErrors, GlobalsAndConstantExpressions) {
  // global.set of an immutable global.
  Bytes immutable = {0x01, kI32, 0x00, 0x41, 0x00, kEnd};
  auto set = one_function(void_type(), {0x41, 0x01, 0x24, 0x00, kEnd}, {{6, immutable}});
  expect_error(set.bytes, ErrorKind::Invalid, set.code_offset + 2, "global is immutable");
  // A non-constant instruction in an initializer: global section at 8 + type(6) + function(4).
  Bytes clz = {0x01, kI32, 0x00, 0x41, 0x00, 0x67, kEnd};
  auto m = one_function(void_type(), {kEnd}, {{6, clz}});
  expect_error(m.bytes, ErrorKind::Invalid, 8 + 6 + 4 + 2 + 5, "constant expression required, got i32.clz");
  // Initializer of the wrong type.
  Bytes wrong = {0x01, kI64, 0x00, 0x41, 0x00, kEnd};
  expect_error(one_function(void_type(), {kEnd}, {{6, wrong}}).bytes, ErrorKind::Invalid, 8 + 6 + 4 + 2 + 5,
               "must yield one i64, it yields i32");
  // global.get of a defined (not imported) global.
  Bytes get = {0x02, kI32, 0x00, 0x41, 0x00, kEnd, kI32, 0x00, 0x23, 0x00, kEnd};
  expect_error(one_function(void_type(), {kEnd}, {{6, get}}).bytes, ErrorKind::Invalid, 8 + 6 + 4 + 2 + 8,
               "unknown global 0");
  // Extended constant expressions are accepted.
  Bytes extended = {0x01, kI32, 0x00, 0x41, 0x02, 0x41, 0x03, 0x6c, 0x41, 0x01, 0x6a, kEnd};
  expect_valid(one_function(void_type(), {kEnd}, {{6, extended}}).bytes);
  // Malformed mutability.
  Bytes mut = {0x01, kI32, 0x02, 0x41, 0x00, kEnd};
  expect_error(one_function(void_type(), {kEnd}, {{6, mut}}).bytes, ErrorKind::Malformed, 8 + 6 + 4 + 2 + 2,
               "malformed mutability");
}

TEST(DecodeErrors, StructuredControl) {
  // else outside if
  auto e = one_function(void_type(), {0x05, kEnd});
  expect_error(e.bytes, ErrorKind::Malformed, e.code_offset, "else without a matching if");
  // if (result i32) without else
  auto i = one_function(returns(kI32), {0x41, 0x01, 0x04, kI32, 0x41, 0x02, kEnd, kEnd});
  expect_error(i.bytes, ErrorKind::Invalid, i.code_offset + 6, "if without else");
  // missing final end
  auto m = one_function(void_type(), {0x01});
  expect_error(m.bytes, ErrorKind::Malformed, m.code_offset + 1, "END opcode expected");
  // bytes after the final end
  auto after = one_function(void_type(), {kEnd, 0x01});
  expect_error(after.bytes, ErrorKind::Malformed, after.code_offset + 1, "bytes follow the function's final end");
  // an opcode that does not exist
  auto ill = one_function(void_type(), {0xff, kEnd});
  expect_error(ill.bytes, ErrorKind::Malformed, ill.code_offset, "illegal opcode 0xff");
  // multi-value block type by index: (i32 i32) -> (i64) given two i32s
  Bytes types = {0x02, 0x60, 0x00, 0x00, 0x60, 0x02, kI32, kI32, 0x01, kI64};
  Bytes code = {0x41, 0x01, 0x41, 0x02, 0x02, 0x01, 0x1a, 0x1a, 0x42, 0x07, kEnd, 0x1a, kEnd};
  auto mv = one_function(void_type(), code, {});
  // Replace the type section with the two types (one_function writes its own, so build by hand).
  Bytes module = cat({header(), section(1, types), section(3, {0x01, 0x00}),
                      section(10, cat({{0x01}, leb(code.size() + 1), {0x00}, code}))});
  expect_valid(module);
  // br_table whose labels disagree in arity
  Bytes bt = {0x02, kI32, 0x02, 0x40, 0x41, 0x00, 0x0e, 0x01, 0x00, 0x01, kEnd, 0x41, 0x00, kEnd, 0x1a, kEnd};
  auto brt = one_function(void_type(), bt);
  expect_error(brt.bytes, ErrorKind::Invalid, brt.code_offset + 6, "br_table");
}

TEST(DecodeErrors, ImportsExportsAndStart) {
  // Import kind 4 does not exist.
  Bytes imports = cat({{0x01}, {0x01, 'm', 0x01, 'f', 0x04, 0x00}});
  expect_error(cat({header(), section(1, {0x00}), section(2, imports)}), ErrorKind::Malformed, 8 + 3 + 2 + 5,
               "malformed import kind 4");
  // Names must be UTF-8.
  Bytes bad_name = cat({{0x01}, {0x01, 0xff, 0x01, 'f', 0x00, 0x00}});
  expect_error(cat({header(), section(1, {0x01, 0x60, 0x00, 0x00}), section(2, bad_name)}), ErrorKind::Malformed,
               8 + 6 + 2 + 1, "malformed UTF-8");
  // Duplicate export names.
  Bytes exports = {0x02, 0x01, 'a', 0x00, 0x00, 0x01, 'a', 0x00, 0x00};
  auto dup = one_function(void_type(), {kEnd}, {{7, exports}});
  expect_error(dup.bytes, ErrorKind::Invalid, 8 + 6 + 4 + 2 + 5, "duplicate export name \"a\"");
  // Export of a function that does not exist.
  Bytes unknown = {0x01, 0x01, 'a', 0x00, 0x07};
  expect_error(one_function(void_type(), {kEnd}, {{7, unknown}}).bytes, ErrorKind::Invalid, 8 + 6 + 4 + 2 + 4,
               "unknown function 7 in export \"a\"");
  // A start function must be [] -> [].
  expect_error(one_function(returns(kI32), {0x41, 0x00, kEnd}, {{8, {0x00}}}).bytes, ErrorKind::Invalid,
               8 + 7 + 4 + 2, "start function 0 must take and return nothing");
}

TEST(DecodeErrors, LimitsOfTablesAndMemories) {
  expect_error(cat({header(), section(5, {0x01, 0x01, 0x02, 0x01})}), ErrorKind::Invalid, 11,
               "size minimum must not be greater than maximum");
  expect_error(cat({header(), section(5, cat({{0x01, 0x00}, leb(65537)}))}), ErrorKind::Invalid, 11,
               "memory size must be at most 65536 pages");
  expect_error(cat({header(), section(5, {0x01, 0x04, 0x00})}), ErrorKind::Malformed, 11, "limits flags");
  expect_error(cat({header(), section(4, {0x01, 0x71, 0x00, 0x00})}), ErrorKind::Malformed, 11,
               "malformed reference type");
  expect_valid(cat({header(), section(4, {0x02, kFuncRef, 0x00, 0x00, kExternRef, 0x01, 0x00, 0x05}),
                    section(5, {0x02, 0x00, 0x01, 0x01, 0x00, 0x80, 0x80, 0x04})}));
}

TEST(DecodeErrors, ElementAndDataSegments) {
  Bytes table = {0x01, kFuncRef, 0x00, 0x01};
  // Segment kind 8 does not exist.
  expect_error(one_function(void_type(), {kEnd}, {{4, table}, {9, {0x01, 0x08, 0x00, 0x00}}}).bytes, ErrorKind::Malformed,
               8 + 6 + 4 + 6 + 3, "malformed elements segment kind 8");
  // Active segment (kind 0) for table 0 with function 0.
  expect_valid(one_function(void_type(), {kEnd}, {{4, table}, {9, {0x01, 0x00, 0x41, 0x00, kEnd, 0x01, 0x00}}}).bytes);
  // An externref segment (kind 5 with expressions) cannot go in a funcref table with kind 6.
  Bytes mismatch = {0x01, 0x06, 0x00, 0x41, 0x00, kEnd, kExternRef, 0x01, 0xd0, kExternRef, kEnd};
  expect_error(one_function(void_type(), {kEnd}, {{4, table}, {9, mismatch}}).bytes, ErrorKind::Invalid,
               8 + 6 + 4 + 6 + 3, "type mismatch: element segment 0 holds externref, table 0 holds funcref");
  // Data count that disagrees with the data section.
  expect_error(cat({header(), section(5, kOneMemory), section(12, {0x02}), section(11, {0x01, 0x01, 0x00})}),
               ErrorKind::Malformed, 8 + 5 + 3 + 5, "data count and data section have inconsistent lengths");
  // memory.init without a data count section.
  Bytes init = {0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x08, 0x00, 0x00, kEnd};
  auto m = one_function(void_type(), init, {{5, kOneMemory}, {11, {0x01, 0x01, 0x00}}});
  expect_error(m.bytes, ErrorKind::Malformed, m.code_offset + 8, "data count section required");
  expect_valid(one_function(void_type(), init, {{5, kOneMemory}, {12, {0x01}}, {11, {0x01, 0x01, 0x00}}}).bytes);
  // Data for a memory that does not exist.
  expect_error(cat({header(), section(11, {0x01, 0x00, 0x41, 0x00, kEnd, 0x00})}), ErrorKind::Invalid, 11,
               "unknown memory 0 in data segment 0");
  // Data longer than its section.
  expect_error(cat({header(), section(5, kOneMemory), section(11, {0x01, 0x01, 0x05, 0x00})}), ErrorKind::Malformed,
               8 + 5 + 2 + 2, "data segment 0 claims 5 bytes");
  // Code and function sections that disagree.
  expect_error(cat({header(), section(1, {0x01, 0x60, 0x00, 0x00}), section(3, {0x01, 0x00})}), ErrorKind::Malformed,
               8 + 6 + 4, "function and code section have inconsistent lengths");
}

TEST(DecodeErrors, MemoryAccessAlignmentAndIndices) {
  // i32.load with alignment 2^3 > 4 bytes.
  auto m = one_function(void_type(), {0x41, 0x00, 0x28, 0x03, 0x00, 0x1a, kEnd}, {{5, kOneMemory}});
  expect_error(m.bytes, ErrorKind::Invalid, m.code_offset + 3, "alignment must not be larger than natural in i32.load");
  // Multi-memory: memarg flag 0x40 selects memory 1.
  Bytes two = {0x02, 0x00, 0x01, 0x00, 0x01};
  expect_valid(one_function(void_type(), {0x41, 0x00, 0x28, 0x42, 0x01, 0x00, 0x1a, kEnd}, {{5, two}}).bytes);
  auto third = one_function(void_type(), {0x41, 0x00, 0x28, 0x42, 0x02, 0x00, 0x1a, kEnd}, {{5, two}});
  expect_error(third.bytes, ErrorKind::Invalid, third.code_offset + 2, "unknown memory 2 in i32.load");
  auto flags = one_function(void_type(), {0x41, 0x00, 0x28, 0x80, 0x01, 0x00, 0x1a, kEnd}, {{5, two}});
  expect_error(flags.bytes, ErrorKind::Malformed, flags.code_offset + 3, "malformed memop flags");
  // memory.size of memory 1 (multi-memory) and, with the feature off, the core format's zero byte.
  auto size1 = one_function(returns(kI32), {0x3f, 0x01, kEnd}, {{5, two}});
  expect_valid(size1.bytes);
  try {
    decode_module(size1.bytes, Features{.multi_memory = false});
    ADD_FAILURE() << "two memories accepted without multi-memory";
  } catch (const DecodeError& e) {
    EXPECT_THAT(e.what(), HasSubstr("multiple memories"));
  }
  auto core = one_function(returns(kI32), {0x3f, 0x80, 0x00, kEnd}, {{5, kOneMemory}});
  try {
    decode_module(core.bytes, Features{.multi_memory = false});
    ADD_FAILURE() << "a long zero accepted as memory.size's reserved byte";
  } catch (const DecodeError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Malformed);
    EXPECT_THAT(e.what(), HasSubstr("zero byte expected"));
  }
}

TEST(DecodeErrors, SimdLanesAndAlignment) {
  Bytes v128_zero = cat({{0xfd, 0x0c}, Bytes(16, 0)});
  // i8x16.extract_lane_s 16: lanes are 0..15.
  auto lane = one_function(returns(kI32), cat({v128_zero, {0xfd, 0x15, 0x10, kEnd}}));
  expect_error(lane.bytes, ErrorKind::Invalid, lane.code_offset + 20, "invalid lane index 16 in i8x16.extract_lane_s");
  // f64x2.replace_lane 2 with an f64 operand.
  auto replace = one_function(returns(kV128), cat({v128_zero, {0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0xfd, 0x22, 0x02, kEnd}}));
  expect_error(replace.bytes, ErrorKind::Invalid, replace.code_offset + 29, "invalid lane index 2 in f64x2.replace_lane");
  // i8x16.shuffle lanes go up to 31.
  Bytes shuffle = cat({v128_zero, v128_zero, {0xfd, 0x0d}, Bytes(15, 0), {32}, {kEnd}});
  auto sh = one_function(returns(kV128), shuffle);
  expect_error(sh.bytes, ErrorKind::Invalid, sh.code_offset + 38 + 15, "invalid lane index 32 in i8x16.shuffle");
  // v128.load with alignment 2^5 > 16 bytes.
  auto load = one_function(returns(kV128), {0x41, 0x00, 0xfd, 0x00, 0x05, 0x00, kEnd}, {{5, kOneMemory}});
  expect_error(load.bytes, ErrorKind::Invalid, load.code_offset + 4, "alignment must not be larger than natural in v128.load");
  // v128.load16_lane: alignment at most 2, lane at most 7.
  Bytes load_lane = cat({{0x41, 0x00}, v128_zero, {0xfd, 0x55, 0x01, 0x00, 0x08, kEnd}});
  auto ll = one_function(returns(kV128), load_lane, {{5, kOneMemory}});
  expect_error(ll.bytes, ErrorKind::Invalid, ll.code_offset + 24, "invalid lane index 8 in v128.load16_lane");
  // SIMD opcodes that do not exist (0x9a) and past the table (0x1ff).
  auto ill = one_function(returns(kV128), cat({v128_zero, {0xfd, 0x9a, 0x01, kEnd}}));
  expect_error(ill.bytes, ErrorKind::Malformed, ill.code_offset + 18, "illegal opcode 0xfd 0x9a");
  // A valid SIMD function: splat, add, bitselect, any_true, lane ops.
  Bytes ok = cat({{0x41, 0x07, 0xfd, 0x0f}, v128_zero, {0xfd, 0x6e}, v128_zero, v128_zero, {0xfd, 0x52, 0xfd, 0x16, 0x0f},
                  {0x41, 0x00}, {0xfd, 0x0f, 0xfd, 0x53, 0x6a, kEnd}});
  expect_valid(one_function(returns(kI32), ok).bytes);
}

TEST(DecodeErrors, ReferencesAndTailCalls) {
  // ref.func of a function not declared in an export, element or global.
  auto undeclared = one_function(returns(kFuncRef), {0xd2, 0x00, kEnd});
  expect_error(undeclared.bytes, ErrorKind::Invalid, undeclared.code_offset, "undeclared function reference");
  expect_valid(one_function(returns(kFuncRef), {0xd2, 0x00, kEnd}, {{7, {0x01, 0x01, 'f', 0x00, 0x00}}}).bytes);
  // ref.is_null of an i32.
  auto is_null = one_function(returns(kI32), {0x41, 0x00, 0xd1, kEnd});
  expect_error(is_null.bytes, ErrorKind::Invalid, is_null.code_offset + 2, "expected a reference but got i32");
  // Untyped select of references is invalid; typed select is fine.
  auto sel = one_function(returns(kExternRef), {0xd0, kExternRef, 0xd0, kExternRef, 0x41, 0x00, 0x1b, kEnd});
  expect_error(sel.bytes, ErrorKind::Invalid, sel.code_offset + 6, "select without a type");
  expect_valid(one_function(returns(kExternRef), {0xd0, kExternRef, 0xd0, kExternRef, 0x41, 0x00, 0x1c, 0x01, kExternRef, kEnd}).bytes);
  // return_call of itself with matching results; and of a function returning something else.
  expect_valid(one_function(void_type(), {0x12, 0x00, kEnd}).bytes);
  Bytes types = {0x02, 0x60, 0x00, 0x01, kI32, 0x60, 0x00, 0x01, kF32};
  Bytes code = {0x12, 0x01, kEnd};
  Bytes body = cat({{0x00}, code});
  Bytes other = {0x43, 0, 0, 0, 0, kEnd};
  Bytes other_body = cat({{0x00}, other});
  Bytes module = cat({header(), section(1, types), section(3, {0x02, 0x00, 0x01}),
                      section(10, cat({{0x02}, leb(body.size()), body, leb(other_body.size()), other_body}))});
  expect_error(module, ErrorKind::Invalid, 8 + 11 + 5 + 5, "type mismatch in return_call");
  try {
    decode_module(one_function(void_type(), {0x12, 0x00, kEnd}).bytes, Features{.tail_call = false});
    ADD_FAILURE() << "return_call accepted with tail calls off";
  } catch (const DecodeError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Malformed);
  }
}

TEST(DecodeErrors, LocalsAreBounded) {
  // 50,001 locals: over wasmlet's limit (the one wasmtime and browsers share).
  auto many = one_function(void_type(), {kEnd}, {}, cat({{0x01}, leb(50'001), {kI32}}));
  expect_error(many.bytes, ErrorKind::Limit, many.code_offset - 5, "too many locals");
  // Counts whose sum does not fit in 32 bits are malformed (spec).
  auto overflow = one_function(void_type(), {kEnd}, {}, cat({{0x02}, leb(0xffffffff), {kI32}, leb(0xffffffff), {kI64}}));
  expect_error(overflow.bytes, ErrorKind::Malformed, overflow.code_offset - 13, "too many locals");
  expect_valid(one_function(void_type(), {kEnd}, {}, cat({{0x02}, leb(25'000), {kI32}, leb(25'000), {kF64}})).bytes);
}

TEST(DecodeErrors, NestingDepthIsBoundedWithoutRecursion) {
  auto nested = [](size_t depth) {
    Bytes code;
    for (size_t i = 0; i < depth; ++i) code.insert(code.end(), {0x02, 0x40});
    code.insert(code.end(), depth + 1, kEnd);
    return one_function(void_type(), code);
  };
  // The function body is the outermost level, so 9,999 blocks are the most.
  expect_valid(nested(limits::kControlDepth - 1).bytes);
  auto over = nested(limits::kControlDepth);
  expect_error(over.bytes, ErrorKind::Limit, over.code_offset + 2 * (limits::kControlDepth - 1),
               "nested deeper than wasmlet's limit of 10000");
  // Far deeper input (what overflowed the host stack before) is refused the same way.
  auto huge = nested(1'000'000);
  expect_error(huge.bytes, ErrorKind::Limit, huge.code_offset + 2 * (limits::kControlDepth - 1), "nested deeper");
}

TEST(DecodeErrors, CustomSectionsAreKeptAndTheirNamesChecked) {
  Bytes custom = {0x04, 'n', 'o', 't', 'e', 0xaa, 0xbb};
  Module m = decode_module(cat({header(), section(0, custom), section(1, {0x00}), section(0, custom)}));
  ASSERT_EQ(m.custom_sections.size(), 2u);
  EXPECT_EQ(m.custom_sections[0].name, "note");
  EXPECT_EQ(m.custom_sections[0].contents.offset, 15u);
  EXPECT_EQ(m.custom_sections[0].contents.size, 2u);
  expect_error(cat({header(), section(0, {0x02, 0xc0, 0x80})}), ErrorKind::Malformed, 10, "malformed UTF-8");  // overlong
  expect_error(cat({header(), section(0, {0x05, 'a'})}), ErrorKind::Malformed, 10, "length out of bounds");
}

// Through the public API: the deepest nesting the decoder accepts also gets
// through wabt and the metering rewrite, and deeper input is a CompileError
// naming the offset (issue 12, defect 3: it used to overflow the host stack).
TEST(DecodeErrors, CompileBoundsNestingDepth) {
  auto nested = [](size_t depth) {
    Bytes code;
    for (size_t i = 0; i < depth; ++i) code.insert(code.end(), {0x03, 0x40});  // loop
    code.insert(code.end(), depth + 1, kEnd);
    return one_function(void_type(), code).bytes;
  };
  wasmlet::Engine engine;
  EXPECT_NO_THROW(wasmlet::Module::compile(engine, nested(limits::kControlDepth - 1), "deep.wasm"));
  try {
    wasmlet::Module::compile(engine, nested(100'000), "deeper.wasm");
    ADD_FAILURE() << "100,000 nested loops accepted";
  } catch (const wasmlet::CompileError& e) {
    EXPECT_THAT(e.what(), HasSubstr("deeper.wasm: module exceeds an implementation limit: byte 0x"));
    EXPECT_THAT(e.what(), HasSubstr("nested deeper than wasmlet's limit of 10000 levels"));
  }
}

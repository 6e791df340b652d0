// The component binary reader and validator: real jco output, hand-written
// binaries, the seed's invalid components, truncations and bit flips.
#include <gtest/gtest.h>

#include <random>

#include "component_fixtures.h"
#include "wasmlet/binary_kind.h"
#include "wasmlet/component/binary.h"
#include "wasmlet/component/validate.h"

using namespace wasmlet::component;

namespace {

std::vector<uint8_t> preamble() { return {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00}; }

void append_name(std::vector<uint8_t>& b, const std::string& s) {
  b.push_back(uint8_t(s.size()));
  b.insert(b.end(), s.begin(), s.end());
}

void append_section(std::vector<uint8_t>& b, uint8_t id, const std::vector<uint8_t>& payload) {
  b.push_back(id);
  b.push_back(uint8_t(payload.size()));  // payloads in these tests are < 128 bytes
  b.insert(b.end(), payload.begin(), payload.end());
}

std::string error_of(const std::vector<uint8_t>& bytes) {
  try {
    load_component(bytes, "test.wasm");
  } catch (const ComponentError& e) {
    return e.what();
  }
  return "";
}

// A small valid component: imports an instance "wasi:cli/exit@0.2.0" with a
// func "exit: func(status: result)", aliases the func, lowers it, and exports
// a type.
std::vector<uint8_t> small_component() {
  auto b = preamble();
  // type 0: (instance (type (result)) (type (func (param "status" 0))) (export "exit" (func (type 1))))
  std::vector<uint8_t> inst = {0x42, 0x03,
                               0x01, 0x6a, 0x00, 0x00,                                         // type 0: result
                               0x01, 0x40, 0x01, 0x06, 's', 't', 'a', 't', 'u', 's', 0x00, 0x01, 0x00,  // type 1: func(status: 0)
                               0x04, 0x00, 0x04, 'e', 'x', 'i', 't', 0x01, 0x01};             // export "exit" (func 1)
  std::vector<uint8_t> types = {0x01};
  types.insert(types.end(), inst.begin(), inst.end());
  append_section(b, 7, types);
  std::vector<uint8_t> imports = {0x01, 0x00};
  append_name(imports, "wasi:cli/exit@0.2.0");
  imports.insert(imports.end(), {0x05, 0x00});  // (instance (type 0))
  append_section(b, 10, imports);
  std::vector<uint8_t> aliases = {0x01, 0x01, 0x00, 0x00};  // func, export of instance 0
  append_name(aliases, "exit");
  append_section(b, 6, aliases);
  append_section(b, 8, {0x01, 0x01, 0x00, 0x00, 0x00});  // canon lower func 0, no options
  return b;
}

}  // namespace

TEST(ComponentBinary, SmallHandWrittenComponentValidates) {
  auto bytes = small_component();
  auto c = parse_component(bytes, "small");
  ASSERT_EQ(c.imports().size(), 1u);
  EXPECT_EQ(c.imports()[0]->name, "wasi:cli/exit@0.2.0");
  auto v = validate_component(c, "small");
  ASSERT_EQ(v.funcs.size(), 1u);
  EXPECT_EQ(v.funcs[0]->to_string(), "func(status: result)");
  EXPECT_EQ(v.core_funcs, 1u);
  ASSERT_EQ(v.type.imports.size(), 1u);
  ASSERT_TRUE(v.type.imports[0].type.instance);
  EXPECT_NE(v.type.imports[0].type.instance->find("exit"), nullptr);
}

TEST(ComponentBinary, SeedInvalidComponentsFailWithClearErrors) {
  // zlayer 003: make_component_header() and make_invalid_component() use
  // version 0x0d with layer 0; the truncated and garbage binaries too.
  std::vector<uint8_t> header = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x00, 0x00, 0x00};
  EXPECT_NE(error_of(header).find("expected layer 1"), std::string::npos) << error_of(header);
  std::vector<uint8_t> invalid = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x00, 0x00, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_NE(error_of(invalid).find("at offset 0x6"), std::string::npos) << error_of(invalid);
  // The same bytes with the right layer are a well-formed component holding
  // one custom section and exporting nothing (running it fails for want of
  // wasi:cli/run); one byte less and the section runs off the end.
  invalid[6] = 0x01;
  EXPECT_TRUE(load_component(invalid, "custom-only").type.exports.empty());
  invalid.pop_back();
  EXPECT_NE(error_of(invalid).find("declares 8 bytes but only 7 remain"), std::string::npos) << error_of(invalid);
  EXPECT_NE(error_of({0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 0}).find("magic"), std::string::npos);
  EXPECT_NE(error_of({0x00, 0x61, 0x73, 0x6d, 0x01, 0x00}).find("preamble"), std::string::npos);
  EXPECT_NE(error_of({}).find("empty input"), std::string::npos);
  EXPECT_NE(error_of({0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}).find("core module"), std::string::npos);
  EXPECT_NE(error_of({0x00, 0x61, 0x73, 0x6d, 0x0e, 0x00, 0x01, 0x00}).find("unsupported component binary version"),
            std::string::npos);
}

TEST(ComponentBinary, ErrorsNameOffsetAndExpectation) {
  auto b = preamble();
  b.push_back(0x0d);  // no such section
  b.push_back(0x00);
  EXPECT_EQ(error_of(b), "test.wasm: at offset 0x8: unknown section id 13 (expected 0..12)");

  b = preamble();
  append_section(b, 7, {0x01, 0x55});  // type section, one entry, bad opcode
  EXPECT_NE(error_of(b).find("at offset 0xb: expected a type definition"), std::string::npos) << error_of(b);

  b = preamble();
  append_section(b, 7, {0x01, 0x70, 0x05});  // list<type 5>: no such type
  EXPECT_NE(error_of(b).find("type index 5 is out of bounds (0 defined so far)"), std::string::npos) << error_of(b);

  b = preamble();
  append_section(b, 7, {0x02, 0x7f});  // says 2 entries, has 1
  EXPECT_NE(error_of(b).find("says 2 entries but only 1 bytes remain"), std::string::npos) << error_of(b);

  b = preamble();
  append_section(b, 7, {0x01, 0x6f, 0x02, 0x7f});  // tuple of 2, one given
  EXPECT_NE(error_of(b).find("tuple items says 2 entries"), std::string::npos) << error_of(b);

  b = preamble();
  append_section(b, 7, {0x01, 0x7f, 0x00});  // one entry and a stray byte
  EXPECT_NE(error_of(b).find("1 bytes left over"), std::string::npos) << error_of(b);

  b = preamble();
  b.insert(b.end(), {0x07, 0x20, 0x01});  // section larger than the file
  EXPECT_NE(error_of(b).find("declares 32 bytes but only 1 remain"), std::string::npos) << error_of(b);

  b = preamble();
  append_section(b, 6, {0x01, 0x01, 0x00, 0x03, 0x01, 'x'});  // alias export of instance 3
  EXPECT_NE(error_of(b).find("instance index 3 is out of bounds"), std::string::npos) << error_of(b);

  b = preamble();
  append_section(b, 7, {0x01, 0x6e, 0x02, 0x01, 'a', 0x01, 'a'});  // flags with a duplicate label
  EXPECT_NE(error_of(b).find("duplicate flag name \"a\""), std::string::npos) << error_of(b);

  b = preamble();
  append_section(b, 7, {0x02, 0x7f, 0x68, 0x00});  // type 0 = bool, type 1 = borrow<0>
  EXPECT_NE(error_of(b).find("not a resource type"), std::string::npos) << error_of(b);

  b = preamble();
  append_section(b, 8, {0x01, 0x01, 0x00, 0x00, 0x00});  // canon lower of func 0: none defined
  EXPECT_NE(error_of(b).find("func index 0 is out of bounds"), std::string::npos) << error_of(b);

  b = preamble();
  append_section(b, 9, {0x00, 0x00, 0x00});  // start: no funcs
  EXPECT_NE(error_of(b).find("start function 0"), std::string::npos) << error_of(b);

  b = preamble();
  append_section(b, 12, {0x00});
  EXPECT_NE(error_of(b).find("value definitions"), std::string::npos) << error_of(b);

  b = preamble();
  append_section(b, 1, {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00});  // a component in a core module section
  EXPECT_NE(error_of(b).find("expected a core module of version 1"), std::string::npos) << error_of(b);

  // LEB128 longer than 5 bytes
  b = preamble();
  b.insert(b.end(), {0x07, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00});
  EXPECT_NE(error_of(b).find("longer than 5 bytes"), std::string::npos) << error_of(b);
}

TEST(ComponentBinary, NestedComponentsAreBoundedNotRecursedForever) {
  // 200 nested components, each one the whole of the next's section.
  std::vector<uint8_t> inner = preamble();
  for (int i = 0; i < 200; ++i) {
    std::vector<uint8_t> outer = preamble();
    outer.push_back(0x04);
    uint32_t n = uint32_t(inner.size());
    do {  // LEB128 size
      uint8_t byte = n & 0x7f;
      n >>= 7;
      outer.push_back(byte | (n ? 0x80 : 0));
    } while (n);
    outer.insert(outer.end(), inner.begin(), inner.end());
    inner.swap(outer);
  }
  EXPECT_NE(error_of(inner).find("nested deeper than 100"), std::string::npos) << error_of(inner);
}

TEST(ComponentBinary, JcoHelloComponentParsesAndValidates) {
  REQUIRE_COMPONENT(bytes, "hello_stdio");
  EXPECT_EQ(wasmlet::detect_binary_kind(bytes).kind, wasmlet::BinaryKind::Component);
  auto c = parse_component(bytes, "hello_stdio.component.wasm");
  EXPECT_GE(c.core_modules().size(), 3u);  // the program, the preview1 adapter, the shim and fixup modules
  auto v = validate_component(c, "hello_stdio.component.wasm");
  bool has_run = false;
  for (auto& e : v.type.exports)
    if (e.name.rfind("wasi:cli/run@0.2", 0) == 0) {
      has_run = true;
      ASSERT_TRUE(e.type.instance);
      auto* run = e.type.instance->find("run");
      ASSERT_NE(run, nullptr);
      EXPECT_EQ(run->func->to_string(), "func() -> result");
    }
  EXPECT_TRUE(has_run);
  bool streams = false;
  for (auto& i : v.type.imports)
    if (i.name.rfind("wasi:io/streams@0.2", 0) == 0) {
      streams = true;
      auto* write = i.type.instance->find("[method]output-stream.blocking-write-and-flush");
      ASSERT_NE(write, nullptr);
      EXPECT_EQ(write->func->to_string(),
                "func(self: borrow<output-stream>, contents: list<u8>) -> result<_, variant { "
                "last-operation-failed(own<error>), closed }>");
    }
  EXPECT_TRUE(streams);
}

TEST(ComponentBinary, EveryTruncationOfARealComponentFailsCleanly) {
  REQUIRE_COMPONENT(bytes, "hello_stdio");
  // Truncating at every section boundary (and a stride of positions in
  // between) must give a ComponentError, never a crash or a success.
  std::vector<size_t> cuts;
  size_t pos = 8;
  while (pos < bytes.size()) {
    cuts.push_back(pos);
    cuts.push_back(pos + 1);
    size_t p = pos + 1, size = 0;
    int shift = 0;
    while (p < bytes.size()) {
      uint8_t b = bytes[p++];
      size |= size_t(b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80)) break;
    }
    cuts.push_back(p);
    pos = p + size;
  }
  std::vector<size_t> boundaries = cuts;  // every third entry is the start of a section
  for (size_t c = 0; c < bytes.size(); c += 97) cuts.push_back(c);
  size_t failures = 0;
  for (size_t cut : cuts) {
    if (cut >= bytes.size()) continue;
    std::vector<uint8_t> t(bytes.begin(), bytes.begin() + cut);
    bool at_boundary = false;
    for (size_t i = 0; i < boundaries.size(); i += 3) at_boundary |= boundaries[i] == cut;
    try {
      auto v = load_component(t, "truncated");
      // Cut exactly between sections, the prefix is a well-formed (smaller)
      // component; running one without the wasi:cli/run export fails then.
      EXPECT_TRUE(at_boundary) << "a component truncated to " << cut << " bytes (inside a section) was accepted";
      (void)v;
    } catch (const ComponentError& e) {
      ++failures;
      EXPECT_NE(std::string(e.what()).find("at offset"), std::string::npos) << e.what();
    }
  }
  EXPECT_GT(failures, 20u);
}

TEST(ComponentBinary, RandomBitFlipsNeverCrash) {
  REQUIRE_COMPONENT(bytes, "hello_stdio");
  std::mt19937 rng(12345);
  int errors = 0;
  for (int i = 0; i < 3000; ++i) {
    auto m = bytes;
    int flips = 1 + int(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      // bias toward the component-level structure: the first and last 8 KiB
      size_t at = (rng() & 1) ? rng() % std::min<size_t>(m.size(), 8192) : m.size() - 1 - rng() % std::min<size_t>(m.size(), 8192);
      m[at] ^= uint8_t(1u << (rng() % 8));
    }
    try {
      load_component(m, "flipped");
    } catch (const ComponentError&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 0);
}

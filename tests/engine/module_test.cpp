// Compiling, linking and calling modules through the public API.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <iterator>
#include <thread>

#include "support.h"
#include "wasmlet/error.h"

using namespace wasmlet;
using namespace wasmlet::testing;
using ::testing::HasSubstr;

namespace {
std::string compile_error(std::vector<uint8_t> bytes) {
  Engine engine;
  try {
    Module::compile(engine, bytes, "bad.wasm");
  } catch (const CompileError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST(Module, ExposesImportsAndExportsWithTypes) {
  Engine engine;
  Module m = Module::from_file(engine, fixture("compute"));
  ASSERT_EQ(m.imports().size(), 1u);
  EXPECT_EQ(m.imports()[0].module, "host");
  EXPECT_EQ(m.imports()[0].type.to_string(), "(i32) -> (i32)");
  const ExportInfo* add = m.find_export("add");
  ASSERT_NE(add, nullptr);
  EXPECT_EQ(add->type.to_string(), "(i32, i32) -> (i32)");
  // wasmlet's own metering additions are not part of the guest's interface.
  for (const auto& e : m.exports()) EXPECT_THAT(e.name, ::testing::Not(HasSubstr("wasmlet")));
}

TEST(Module, CallsExportsWithEveryValueKind) {
  Engine engine;
  Module m = Module::from_file(engine, fixture("compute"));
  Store store(engine);
  Instance inst = Instance::create(store, m, compute_linker());
  std::vector<Value> args = {Value::i32(40), Value::i32(2)};
  EXPECT_EQ(inst.call("add", args).results.at(0).as_i32(), 42);
  std::vector<Value> host_arg = {Value::i32(9)};
  EXPECT_EQ(inst.call("call_host", host_arg).results.at(0).as_i32(), 10);
  std::vector<Value> f = {Value::f64(1.5), Value::f64(4.0)};
  EXPECT_EQ(inst.call("f64_mul", f).results.at(0).as_f64(), 6.0);
  std::vector<Value> simd = {Value::i32(20), Value::i32(22)};
  EXPECT_EQ(inst.call("simd_add", simd).results.at(0).as_i32(), 42);
  std::vector<Value> one = {Value::i32(7)};
  Outcome multi = inst.call("multi", one);
  ASSERT_EQ(multi.results.size(), 2u);
  EXPECT_EQ(multi.results[0].as_i32(), 7);
  EXPECT_EQ(multi.results[1].as_i64(), 8);
}

TEST(Module, WrongArgumentsAndMissingExportsAreUsageErrors) {
  Engine engine;
  Module m = Module::from_file(engine, fixture("compute"));
  Store store(engine);
  Instance inst = Instance::create(store, m, compute_linker());
  std::vector<Value> wrong = {Value::i64(1), Value::i32(2)};
  try {
    inst.call("add", wrong);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("takes (i32, i32) -> (i32)"));
  }
  try {
    inst.call("nope");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("no exported function 'nope'"));
    EXPECT_THAT(e.what(), HasSubstr("add"));
  }
}

TEST(Module, LinkErrorsNameTheImport) {
  Engine engine;
  Module m = Module::from_file(engine, fixture("unknown_import"));
  Store store(engine);
  try {
    Instance::create(store, m, Linker{});
    FAIL();
  } catch (const LinkError& e) {
    EXPECT_THAT(e.what(), HasSubstr("env.not_provided"));
    EXPECT_THAT(e.what(), HasSubstr("(i32) -> ()"));
  }
  Linker mistyped;
  mistyped.define("env", "not_provided", FuncType{{ValType::I64}, {}}, [](Caller&, auto, auto) {});
  try {
    Instance::create(store, m, mistyped);
    FAIL();
  } catch (const LinkError& e) {
    EXPECT_THAT(e.what(), HasSubstr("has type (i32) -> (), but the host function has type (i64) -> ()"));
  }
}

TEST(Module, TheHeaderAloneIsAnEmptyModule) {
  Engine engine;
  const std::vector<uint8_t> header = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  Module module = Module::compile(engine, header, "empty.wasm");
  EXPECT_TRUE(module.imports().empty());
  EXPECT_TRUE(module.exports().empty());
  Store store(engine);
  EXPECT_TRUE(Instance::create(store, module, Linker{}).start_outcome().returned());
}

TEST(Module, InvalidBinariesGiveOffsetsAndReasons) {
  EXPECT_THAT(compile_error({}), HasSubstr("the file is empty"));
  EXPECT_THAT(compile_error({'g', 'a', 'r', 'b', 'a', 'g', 'e', '!', '!'}), HasSubstr("magic"));
  EXPECT_THAT(compile_error({0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x00}), HasSubstr("component"));
  // A type section that claims more bytes than the file has.
  std::string truncated = compile_error({0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x10, 0x01});
  // wasmlet's decoder names the byte offset of the problem and what it expected.
  EXPECT_THAT(truncated, HasSubstr("bad.wasm: malformed module: byte 0x9: length out of bounds"));
  // A function body whose type is wrong: (func (result i32)) with an empty body.
  std::string invalid = compile_error({0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,  //
                                       0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,        // type () -> i32
                                       0x03, 0x02, 0x01, 0x00,                          // func 0: type 0
                                       0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b});            // body: end
  EXPECT_THAT(invalid, HasSubstr("bad.wasm: invalid module: byte 0x18: type mismatch in end, expected i32 but nothing is on the stack"));
}

TEST(Module, StartFunctionTrapIsReported) {
  Engine engine;
  Module m = Module::from_file(engine, fixture("start_trap"));
  Store store(engine);
  Instance inst = Instance::create(store, m, Linker{});
  ASSERT_TRUE(inst.start_outcome().trapped());
  EXPECT_EQ(inst.start_outcome().trap.kind, TrapKind::Unreachable);
  EXPECT_EQ(inst.start_outcome().trap.function, "boom");
}

TEST(Module, CustomSectionsAreReadable) {
  // (module) with a custom section "wasmlet.plugin" holding "abc".
  std::vector<uint8_t> bytes = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x00, 0x12, 0x0e,
                                'w',  'a',  's',  'm',  'l',  'e',  't',  '.',  'p',  'l',  'u',
                                'g',  'i',  'n',  'a',  'b',  'c'};
  Engine engine;
  Module m = Module::compile(engine, bytes, "custom.wasm");
  auto section = m.custom_section("wasmlet.plugin");
  ASSERT_TRUE(section);
  EXPECT_EQ(std::string(section->begin(), section->end()), "abc");
  EXPECT_FALSE(m.custom_section("other"));
}

TEST(Module, RunsPostMvpFeatures) {
  Engine engine;
  Module m = Module::from_file(engine, fixture("features"));
  Store store(engine);
  Instance inst = Instance::create(store, m, Linker{});
  // "hello, bulk memory" with bytes 5..7 (", b") replaced by three '*'.
  int expected = 0;
  std::string text = "hello, bulk memory";
  for (size_t i = 0; i < text.size(); ++i) expected += (i >= 5 && i < 8) ? 0x2a : static_cast<unsigned char>(text[i]);
  EXPECT_EQ(inst.call("bulk").results.at(0).as_i32(), expected);
  std::vector<Value> seven = {Value::i32(7)};
  EXPECT_EQ(inst.call("refs", seven).results.at(0).as_i32(), 49 + 7 + 1);  // square + table size + null check
  std::vector<Value> ext = {Value::ref(ValType::ExternRef, 0)};
  EXPECT_EQ(inst.call("externref_roundtrip", ext).results.at(0).type(), ValType::ExternRef);
  std::vector<Value> byte = {Value::i32(0xff)};
  EXPECT_EQ(inst.call("sign_ext", byte).results.at(0).as_i32(), -1);
  std::vector<Value> huge = {Value::f64(1e300)};
  EXPECT_EQ(inst.call("sat_trunc", huge).results.at(0).as_i32(), INT32_MAX);
  EXPECT_EQ(inst.call("multi_block").results.at(0).as_i32(), 42);
}

// Module::from_file reads the whole file whether its size is known (a
// regular file) or not (a pipe), and names the file and the reason when it
// cannot.
TEST(Module, FromFileReadsRegularFilesAndPipes) {
  Engine engine;
  std::ifstream in(fixture("compute"), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 8u);
  const Module from_file = Module::from_file(engine, fixture("compute"));
  EXPECT_FALSE(from_file.exports().empty());

  TempDir dir;
  const auto fifo = dir.path() / "module.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::thread writer([&] {
    std::ofstream out(fifo, std::ios::binary);
    for (int i = 0; i < 3; ++i) out.write(bytes.data() + i * bytes.size() / 3, (i + 1) * bytes.size() / 3 - i * bytes.size() / 3);
  });
  const Module from_pipe = Module::from_file(engine, fifo);
  writer.join();
  EXPECT_EQ(from_pipe.exports().size(), from_file.exports().size());

  try {
    Module::from_file(engine, dir.path() / "missing.wasm");
    FAIL() << "a missing file compiled";
  } catch (const UsageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("missing.wasm': No such file or directory"));
  }
}

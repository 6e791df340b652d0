// wasmlet's decoder on real modules: it agrees with wabt's validator on every
// fixture the build produces, describes their interface, and no one-byte
// corruption of a real program crashes Module::compile (issue 12, defect 2):
// each mutant is either accepted or refused with a CompileError.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <wabt/binary-reader-ir.h>
#include <wabt/binary-reader.h>
#include <wabt/ir.h>
#include <wabt/validator.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "engine/decode/decode_error.h"
#include "engine/decode/module_decoder.h"
#include "engine/wabt_types.h"
#include "support.h"
#include "wasmlet/error.h"

using namespace wasmlet;
using namespace wasmlet::testing;

namespace {

std::vector<uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool wabt_accepts(const std::vector<uint8_t>& bytes, std::string& why) {
  wabt::Errors errors;
  wabt::Module ir;
  wabt::ReadBinaryOptions options(detail::engine_features(), nullptr, false, true, false);
  bool ok = wabt::Succeeded(wabt::ReadBinaryIr("m", bytes.data(), bytes.size(), options, &errors, &ir)) &&
            wabt::Succeeded(wabt::ValidateModule(&ir, &errors, wabt::ValidateOptions(detail::engine_features())));
  for (const auto& e : errors) why += e.message + "; ";
  return ok;
}

std::vector<std::filesystem::path> fixtures() {
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(WASM_DIR))
    if (entry.path().extension() == ".wasm") out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST(DecodeFixtures, AgreesWithWabtOnEveryFixture) {
  auto all = fixtures();
  ASSERT_GE(all.size(), 10u) << "no fixtures in " << WASM_DIR;
  size_t core = 0;
  for (const auto& path : all) {
    auto bytes = read_file(path);
    if (bytes.size() >= 8 && bytes[4] != 0x01) continue;  // a component, not a core module
    ++core;
    std::string why;
    bool wabt_ok = wabt_accepts(bytes, why);
    std::string ours = "accepted";
    try {
      decode::decode_module(bytes);
    } catch (const decode::DecodeError& e) {
      ours = e.what();
    }
    EXPECT_EQ(wabt_ok, ours == "accepted") << path.filename() << ": wasmlet " << ours << "; wabt " << (wabt_ok ? "accepted" : why);
  }
  EXPECT_GE(core, 10u);
}

TEST(DecodeFixtures, DescribesARealProgram) {
  auto bytes = read_file(fixture("wasi_stdio"));
  decode::Module m = decode::decode_module(bytes);
  EXPECT_EQ(m.bodies.size() + m.num_imported_functions, m.functions.size());
  ASSERT_FALSE(m.bodies.empty());
  for (const auto& body : m.bodies) {
    // Each body ends with `end` and its locals precede its code inside it.
    ASSERT_LE(body.code.offset + body.code.size, bytes.size());
    EXPECT_EQ(bytes[body.code.offset + body.code.size - 1], 0x0b);
    EXPECT_EQ(body.body.offset + body.body.size, body.code.offset + body.code.size);
  }
  bool has_start = false;
  for (const auto& e : m.exports) has_start |= e.name == "_start" && e.kind == decode::ExternalKind::Func;
  EXPECT_TRUE(has_start);
  ASSERT_FALSE(m.imports.empty());
  EXPECT_EQ(m.imports[0].module, "wasi_snapshot_preview1");
  EXPECT_EQ(m.memories.size(), 1u);
}

// Every byte of real modules, flipped: nothing may crash the host; each
// result is a module or a CompileError (never another exception). Every
// mutant goes through wasmlet's decoder; those it accepts reach wabt's reader
// and the metering rewrite, which is slow, so for the 30 KB C program only
// one accepted mutant in 32 is compiled in full (all of the small one are).
void sweep(const std::string& name, size_t accepted_stride) {
  auto original = read_file(fixture(name));
  Engine engine(EngineConfig{.tier = Tier::Interpreter});
  size_t accepted = 0, refused = 0, compiled = 0;
  for (size_t i = 0; i < original.size(); ++i) {
    auto bytes = original;
    bytes[i] ^= (i % 2) ? 0xff : 0x01;
    bool ours = true;
    try {
      decode::decode_module(bytes);
    } catch (const decode::DecodeError&) {
      ours = false;
    }
    ours ? ++accepted : ++refused;
    if (ours && accepted % accepted_stride != 0) continue;
    ++compiled;
    try {
      Module::compile(engine, bytes, "mutant.wasm");
      EXPECT_TRUE(ours) << "byte " << i << ": wabt accepted what wasmlet refused";
    } catch (const CompileError& e) {
      EXPECT_NE(std::string(e.what()).find("mutant.wasm"), std::string::npos) << e.what();
      if (!ours && i >= 8) EXPECT_NE(std::string(e.what()).find("byte 0x"), std::string::npos) << e.what();
    }
  }
  EXPECT_GT(refused, 0u);
  EXPECT_GT(accepted, 0u);
  ::testing::Test::RecordProperty(name + "_accepted", std::to_string(accepted));
  ::testing::Test::RecordProperty(name + "_refused", std::to_string(refused));
  ::testing::Test::RecordProperty(name + "_compiled", std::to_string(compiled));
}

TEST(DecodeFixtures, OneByteMutationsOfAHandWrittenModuleNeverCrashCompile) { sweep("compute", 1); }
TEST(DecodeFixtures, OneByteMutationsOfACProgramNeverCrashCompile) { sweep("wasi_stdio", 32); }

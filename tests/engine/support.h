// Shared set-up for engine tests: compile a fixture, link a host function,
// and run one test body against every tier (TierTest).
#pragma once

#include <gtest/gtest.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "wasmlet/engine.h"
#include "wasmlet/instance.h"
#include "wasmlet/linker.h"
#include "wasmlet/module.h"
#include "wasmlet/store.h"

#include "temp_dir.h"

namespace wasmlet::testing {

inline std::filesystem::path fixture(const std::string& name) { return std::filesystem::path(WASM_DIR) / (name + ".wasm"); }

using ::wasmlet::testing::TempDir;

// Assembles WAT text with wabt's wat2wasm and `flags` ("--enable-all", "--debug-names").
inline std::vector<uint8_t> wat_to_wasm(const std::string& text, const std::string& flags) {
  TempDir dir;
  const auto wat = dir.path() / "m.wat", wasm = dir.path() / "m.wasm";
  std::ofstream(wat) << text;
  const std::string cmd = "wat2wasm " + flags + " '" + wat.string() + "' -o '" + wasm.string() + "'";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("wat2wasm failed");
  std::ifstream in(wasm, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A linker with host.add_one: (i32) -> i32, for compute.wat and tier_compute.wat.
inline Linker compute_linker() {
  Linker linker;
  linker.define("host", "add_one", FuncType{{ValType::I32}, {ValType::I32}},
                [](Caller&, std::span<const Value> args, std::span<Value> results) {
                  results[0] = Value::i32(static_cast<int32_t>(static_cast<uint32_t>(args[0].as_i32()) + 1u));  // wraps, as i32.add
                });
  return linker;
}

// Runs `body` on a new thread with a stack of `bytes` and waits for it (the
// daemon's and plugin hosts' threads may have small stacks).
inline void run_on_thread_with_stack(size_t bytes, const std::function<void()>& body) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, bytes);
  pthread_t thread;
  const int rc = pthread_create(&thread, &attr, [](void* p) -> void* {
    (*static_cast<const std::function<void()>*>(p))();
    return nullptr;
  }, const_cast<std::function<void()>*>(&body));
  pthread_attr_destroy(&attr);
  if (rc != 0) throw std::runtime_error("pthread_create failed");
  pthread_join(thread, nullptr);
}

// ---------------------------------------------------------------- tiers

// The C compiler the AOT tier would run ($CC's first word, else "cc"), if it
// is an executable file here or on PATH.
inline bool have_c_compiler(std::string* why) {
  std::string cc = "cc";
  if (const char* env = std::getenv("CC"); env && *env) {
    cc = env;
    cc = cc.substr(0, cc.find(' '));
  }
  auto executable = [](const std::filesystem::path& p) { return ::access(p.c_str(), X_OK) == 0; };
  if (cc.find('/') != std::string::npos) {
    if (executable(cc)) return true;
  } else if (const char* path = std::getenv("PATH")) {
    std::string dirs = path;
    for (size_t begin = 0; begin <= dirs.size();) {
      size_t end = dirs.find(':', begin);
      if (end == std::string::npos) end = dirs.size();
      const std::string dir = dirs.substr(begin, end - begin);
      if (executable(std::filesystem::path(dir.empty() ? "." : dir) / cc)) return true;
      begin = end + 1;
    }
  }
  *why = "no C compiler ('" + cc + "' not found; set CC or install cc): the AOT tier cannot be tested here";
  return false;
}

// The AOT artifact cache of this test program: <build>/aot-test-cache/<program>,
// shared by every test of the program, also across processes (ctest runs
// each test in its own; the cache is safe for concurrent use and rejects
// stale entries), so that each module is compiled once.
inline const std::filesystem::path& test_cache_dir() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::path(WASM_DIR).parent_path() / "aot-test-cache" / program_invocation_short_name;
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

// Notes the engines printed ("running in the interpreter: ..."), in order.
inline std::vector<std::string>& engine_notes() {
  static std::vector<std::string> notes;
  return notes;
}
inline std::mutex& engine_notes_mu() {
  static std::mutex mu;
  return mu;
}

// The engine of a tier, shared by the whole test program (engines are cheap
// and thread-safe; sharing them lets modules be compiled once).
inline Engine& engine_for(Tier tier) {
  auto make = [](Tier t) {
    EngineConfig config;
    config.tier = t;
    config.cache_dir = test_cache_dir();
    config.on_note = [](const std::string& note) {
      std::lock_guard lock(engine_notes_mu());
      engine_notes().push_back(note);
    };
    return Engine(config);
  };
  static Engine interp = make(Tier::Interpreter);
  static Engine aot = make(Tier::Aot);
  return tier == Tier::Aot ? aot : interp;
}

// Compiles bytes with a tier's engine. Under Tier::Aot, a module the engine
// would run in the interpreter instead (its note says why) is an error: a
// test of the AOT tier must not silently test the interpreter.
inline Module compile_for(Tier tier, std::span<const uint8_t> wasm, const std::string& name) {
  size_t notes_before;
  {
    std::lock_guard lock(engine_notes_mu());
    notes_before = engine_notes().size();
  }
  Module m = Module::compile(engine_for(tier), wasm, name);
  std::lock_guard lock(engine_notes_mu());
  if (tier == Tier::Aot && engine_notes().size() > notes_before)
    throw std::runtime_error("the AOT engine did not compile '" + name + "': " + engine_notes().back());
  return m;
}

// A fixture compiled once per tier per test program.
inline const Module& fixture_module(Tier tier, const std::string& name) {
  static std::mutex mu;
  static std::map<std::pair<Tier, std::string>, Module> modules;
  std::lock_guard lock(mu);
  auto key = std::make_pair(tier, name);
  if (auto it = modules.find(key); it != modules.end()) return it->second;
  const auto path = fixture(name);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read fixture " + path.string());
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return modules.emplace(key, compile_for(tier, bytes, name)).first->second;
}

// "interp" / "aot": the suffix of every tier-parameterized test's name.
inline std::string tier_name(const ::testing::TestParamInfo<Tier>& info) {
  return info.param == Tier::Aot ? "aot" : "interp";
}

// A test body that runs once per tier (Suite.Test/interp, Suite.Test/aot).
// The AOT instantiation is skipped, with the reason, where no C compiler exists.
class TierTest : public ::testing::TestWithParam<Tier> {
 protected:
  void SetUp() override {
    std::string why;
    if (GetParam() == Tier::Aot && !have_c_compiler(&why)) GTEST_SKIP() << why;
  }
  Tier tier() const { return GetParam(); }
  Engine& engine() const { return engine_for(GetParam()); }
  const Module& module(const std::string& fixture_name) const { return fixture_module(GetParam(), fixture_name); }
};

}  // namespace wasmlet::testing

// Instantiates a TierTest suite for the interpreter and the AOT tier.
#define WASMLET_TEST_IN_EVERY_TIER(Suite)                                                                   \
  INSTANTIATE_TEST_SUITE_P(, Suite, ::testing::Values(::wasmlet::Tier::Interpreter, ::wasmlet::Tier::Aot), \
                           ::wasmlet::testing::tier_name)

// The AOT tier: calls with every value type, link errors identical to the
// interpreter, the artifact cache (hit, miss, corruption, concurrent builds,
// no compiler, compiler errors), the Auto policy, and 100 instances running
// concurrently on 8 threads. Traps, host traps and limits run in every tier
// in traps_test.cpp and limits_test.cpp (Suite.Test/aot).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "engine/aot/aot_tier.h"
#include "engine/aot/artifact_cache.h"
#include "engine/aot/background_compile.h"
#include "util/file_lock.h"
#include "engine/tier.h"
#include "support.h"
#include "wasmlet/error.h"

using namespace wasmlet;
using namespace wasmlet::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// Every module of more than 64 KiB of C is split into translation units
// here (c_split.h), so the tests below run split artifacts too.
constexpr const char* kUnitBytes = "65536";
const bool kSplitModules = (::setenv("WASMLET_AOT_UNIT_BYTES", kUnitBytes, 0), true);

// compute.wat without its SIMD export (the AOT tier runs SIMD modules in the interpreter).
constexpr const char* kComputeWat = R"((module
  (import "host" "add_one" (func $add_one (param i32) (result i32)))
  (memory (export "memory") 1 100)
  (table 2 funcref)
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "call_host") (param i32) (result i32) local.get 0 call $add_one)
  (func (export "sum_to") (param $n i32) (result i64)
    (local $i i32) (local $acc i64)
    (block $done
      (loop $next
        local.get $i local.get $n i32.ge_u br_if $done
        local.get $acc local.get $i i64.extend_i32_u i64.add local.set $acc
        local.get $i i32.const 1 i32.add local.set $i
        br $next))
    local.get $acc)
  (func (export "spin") (loop $forever br $forever))
  (func (export "grow_until_refused") (result i32)
    (local $n i32)
    (block $done
      (loop $again
        i32.const 1 memory.grow i32.const -1 i32.eq br_if $done
        local.get $n i32.const 1 i32.add local.set $n
        br $again))
    local.get $n)
  (func (export "memory_pages") (result i32) memory.size)
  (func (export "f64_mul") (param f64 f64) (result f64) local.get 0 local.get 1 f64.mul)
  (func (export "f32_neg") (param f32) (result f32) local.get 0 f32.neg)
  (func (export "multi") (param i32) (result i32 i64) local.get 0 local.get 0 i64.extend_i32_s i64.const 1 i64.add)
  (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store)
  (func (export "load") (param i32) (result i32) local.get 0 i32.load)
))";

constexpr const char* kSimdWat = R"((module
  (func (export "simd_add") (param i32 i32) (result i32)
    local.get 0 i32x4.splat local.get 1 i32x4.splat i32x4.add i32x4.extract_lane 3)))";

const std::vector<uint8_t>& compute_wasm() {
  static const std::vector<uint8_t> bytes = wat_to_wasm(kComputeWat, "--enable-all");
  return bytes;
}

// One cache directory for the whole test program, so that most tests hit it.
const fs::path& shared_cache() {
  static TempDir dir;
  return dir.path();
}

EngineConfig config_for(Tier tier, fs::path cache = shared_cache()) {
  EngineConfig c;
  c.tier = tier;
  c.cache_dir = std::move(cache);
  return c;
}

bool native(const Module& m) { return detail::aot::runs_native(m); }

std::vector<Value> i32s(std::initializer_list<int32_t> v) {
  std::vector<Value> out;
  for (auto x : v) out.push_back(Value::i32(x));
  return out;
}

}  // namespace

TEST(Aot, CompilesAndCallsExportsWithEveryValueType) {
  Engine engine(config_for(Tier::Aot));
  Module m = Module::compile(engine, compute_wasm(), "compute");
  ASSERT_TRUE(native(m));
  Store store(engine);
  Instance inst = Instance::create(store, m, compute_linker());
  ASSERT_TRUE(inst.start_outcome().returned());
  EXPECT_EQ(inst.call("add", i32s({2, 40})).results.at(0).as_i32(), 42);
  EXPECT_EQ(inst.call("call_host", i32s({41})).results.at(0).as_i32(), 42);
  std::vector<Value> n = {Value::i32(100)};
  EXPECT_EQ(inst.call("sum_to", n).results.at(0).as_i64(), 4950);
  std::vector<Value> d = {Value::f64(1.5), Value::f64(4.0)};
  EXPECT_EQ(inst.call("f64_mul", d).results.at(0).as_f64(), 6.0);
  std::vector<Value> f = {Value::f32(2.5f)};
  EXPECT_EQ(inst.call("f32_neg", f).results.at(0).as_f32(), -2.5f);
  Outcome multi = inst.call("multi", i32s({-5}));
  ASSERT_EQ(multi.results.size(), 2u);
  EXPECT_EQ(multi.results[0].as_i32(), -5);
  EXPECT_EQ(multi.results[1].as_i64(), -4);
  EXPECT_TRUE(inst.call("store", i32s({16, 1234})).returned());
  EXPECT_EQ(inst.memory().load<int32_t>(16), 1234);
  EXPECT_EQ(inst.call("load", i32s({16})).results.at(0).as_i32(), 1234);
  EXPECT_EQ(store.memory_bytes(), 65536u);
}

TEST(Aot, FunctionsWithLongParameterListsCompile) {
  // wasm2c wraps a long parameter list over two lines; the function table
  // of the artifact must still find every function (it once found 26 of 27
  // in a jco adapter shim and refused the module).
  const auto wasm = wat_to_wasm(R"((module
    (func $many (param i32 i32 i32 i32 i32 i64 i64 i32 i32 i32 i32 i32) (result i32)
      local.get 0 local.get 11 i32.add)
    (func (export "many") (param i32 i32 i32 i32 i32 i64 i64 i32 i32 i32 i32 i32) (result i32)
      local.get 0 local.get 1 local.get 2 local.get 3 local.get 4 local.get 5
      local.get 6 local.get 7 local.get 8 local.get 9 local.get 10 local.get 11
      call $many)))", "");
  Engine engine(config_for(Tier::Aot));
  Module m = Module::compile(engine, wasm, "many_params");
  ASSERT_TRUE(native(m));
  Store store(engine);
  Instance inst = Instance::create(store, m, Linker{});
  std::vector<Value> args;
  for (int i = 0; i < 12; ++i) args.push_back(i == 5 || i == 6 ? Value::i64(i) : Value::i32(i + 1));
  EXPECT_EQ(inst.call("many", args).results.at(0).as_i32(), 1 + 12);
}

TEST(Aot, LinkErrorsMatchTheInterpreter) {
  for (Tier tier : {Tier::Interpreter, Tier::Aot}) {
    Engine engine(config_for(tier));
    Module m = Module::compile(engine, compute_wasm(), "compute");
    Store store(engine);
    try {
      Instance::create(store, m, Linker{});
      FAIL() << "expected a LinkError";
    } catch (const LinkError& e) {
      EXPECT_STREQ(e.what(), "compute: unknown import: function host.add_one (i32) -> (i32) is not provided by the host");
    }
  }
}

// --- the artifact cache ---

TEST(AotCache, MissBuildsThenHitsWithoutCompiling) {
  TempDir cache;
  Engine engine(config_for(Tier::Aot, cache.path()));
  const uint64_t before = detail::aot::builds_done();
  const uint64_t rewrites_before = detail::metering_rewrites_done();
  { Module m = Module::compile(engine, compute_wasm(), "compute"); ASSERT_TRUE(native(m)); }
  EXPECT_EQ(detail::aot::builds_done(), before + 1);
  EXPECT_EQ(detail::metering_rewrites_done(), rewrites_before + 1) << "the build compiles the metered module";
  auto start = std::chrono::steady_clock::now();
  Module again = Module::compile(engine, compute_wasm(), "compute");
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(native(again));
  EXPECT_EQ(detail::aot::builds_done(), before + 1);
  // The artifact key comes from the original bytes: a warm start neither
  // reads the module into wabt's IR nor rewrites it.
  EXPECT_EQ(detail::metering_rewrites_done(), rewrites_before + 1) << "a warm native start rewrote the module";
  EXPECT_LT(took, 500ms);
  size_t entries = 0;
  for (auto& e : fs::directory_iterator(cache.path() / "aot")) entries += e.path().extension() == ".so";
  EXPECT_EQ(entries, 1u);
}

TEST(AotCache, CorruptEntryIsDetectedAndRebuilt) {
  TempDir cache;
  Engine engine(config_for(Tier::Aot, cache.path()));
  { Module m = Module::compile(engine, compute_wasm(), "compute"); }
  fs::path entry;
  for (auto& e : fs::directory_iterator(cache.path() / "aot"))
    if (e.path().extension() == ".so") entry = e.path();
  ASSERT_FALSE(entry.empty());
  {
    std::fstream f(entry, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(entry) / 2));
    f.write("garbage!", 8);
  }
  const uint64_t before = detail::aot::builds_done();
  {
    Module m = Module::compile(engine, compute_wasm(), "compute");
    EXPECT_TRUE(native(m));
    EXPECT_EQ(detail::aot::builds_done(), before + 1);
    Store store(engine);
    Instance inst = Instance::create(store, m, compute_linker());
    EXPECT_EQ(inst.call("add", i32s({20, 22})).results.at(0).as_i32(), 42);
  }
  // A truncated entry as well (once nothing has it loaded: an artifact in
  // use is never rewritten, a new build replaces it by rename).
  fs::resize_file(entry, 100);
  Module m2 = Module::compile(engine, compute_wasm(), "compute");
  EXPECT_TRUE(native(m2));
  EXPECT_EQ(detail::aot::builds_done(), before + 2);
}

TEST(AotCache, ConcurrentCompilesOfOneModuleBuildOnce) {
  TempDir cache;
  Engine engine(config_for(Tier::Aot, cache.path()));
  const uint64_t before = detail::aot::builds_done();
  std::vector<std::thread> threads;
  std::atomic<int> native_count{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      Module m = Module::compile(engine, compute_wasm(), "compute");
      if (native(m)) ++native_count;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(native_count.load(), 4);
  EXPECT_EQ(detail::aot::builds_done(), before + 1);
}

// A compiler upgrade must not load code the old compiler built: the key
// holds the compiler's file (resolved path, size, mtime), which an upgrade
// rewrites; here a wrapper script that reports another version.
TEST(AotCache, AnotherCompilerVersionBuildsANewEntry) {
  TempDir cache;
  const auto wrapper = cache.path() / "cc-wrapper";
  auto write_wrapper = [&](const std::string& version) {
    std::ofstream(wrapper, std::ios::trunc) << "#!/bin/sh\n"
                                               "if [ \"$1\" = --version ]; then echo 'wrapper-cc " << version << "'; exit 0; fi\n"
                                               "exec cc \"$@\"\n";
    fs::permissions(wrapper, fs::perms::owner_all);
  };
  auto entries = [&] {
    std::set<std::string> out;
    for (auto& e : fs::directory_iterator(cache.path() / "aot"))
      if (e.path().extension() == ".so") out.insert(e.path().filename().string());
    return out;
  };
  EngineConfig config = config_for(Tier::Aot, cache.path());
  config.compiler = wrapper.string();
  write_wrapper("1.0");
  const uint64_t before = detail::aot::builds_done();
  { Engine engine(config); Module m = Module::compile(engine, compute_wasm(), "compute"); ASSERT_TRUE(native(m)); }
  { Engine engine(config); Module m = Module::compile(engine, compute_wasm(), "compute"); ASSERT_TRUE(native(m)); }
  EXPECT_EQ(detail::aot::builds_done(), before + 1);  // same compiler: a hit
  auto first = entries();
  ASSERT_EQ(first.size(), 1u);

  write_wrapper("20.1.0");  // the "upgrade"
  Engine engine(config);
  Module m = Module::compile(engine, compute_wasm(), "compute");
  ASSERT_TRUE(native(m));
  EXPECT_EQ(detail::aot::builds_done(), before + 2);
  auto second = entries();
  EXPECT_EQ(second.size(), 2u);
  Store store(engine);
  Instance inst = Instance::create(store, m, compute_linker());
  EXPECT_EQ(inst.call("add", i32s({40, 2})).results.at(0).as_i32(), 42);
}

// Native code is loaded only from where no other user could have put it
// (trusted_dir.h): an artifact planted in a cache another user can write
// ran its constructors inside wasmlet.
TEST(AotCache, NativeCodeIsLoadedOnlyFromWhereNoOtherUserCouldWrite) {
  if (::geteuid() != 0) GTEST_SKIP() << "giving a file to another user needs root";
  TempDir cache;
  Engine engine(config_for(Tier::Aot, cache.path()));
  { Module m = Module::compile(engine, compute_wasm(), "compute"); ASSERT_TRUE(native(m)); }
  struct stat st{};
  ASSERT_EQ(::stat((cache.path() / "aot").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u) << "the cache's directories are private";
  fs::path entry;
  for (auto& e : fs::directory_iterator(cache.path() / "aot"))
    if (e.path().extension() == ".so") entry = e.path();
  ASSERT_FALSE(entry.empty());
  ASSERT_EQ(::stat(entry.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 022, 0u) << "an artifact is writable by its owner only";

  // Another user's file (valid, but anyone could have made its trailer) is
  // not loaded: it is built again, and replaced.
  ASSERT_EQ(::chown(entry.c_str(), 65534, 65534), 0);
  uint64_t before = detail::aot::builds_done();
  { Module m = Module::compile(engine, compute_wasm(), "compute"); EXPECT_TRUE(native(m)); }
  EXPECT_EQ(detail::aot::builds_done(), before + 1);
  ASSERT_EQ(::stat(entry.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, ::geteuid());

  // A symbolic link to a valid artifact is not followed.
  const fs::path elsewhere = cache.path() / "elsewhere.so";
  fs::rename(entry, elsewhere);
  fs::create_symlink(elsewhere, entry);
  before = detail::aot::builds_done();
  { Module m = Module::compile(engine, compute_wasm(), "compute"); EXPECT_TRUE(native(m)); }
  EXPECT_EQ(detail::aot::builds_done(), before + 1);
  EXPECT_FALSE(fs::is_symlink(entry));

  // A cache directory others can write is not used at all, and the error says why.
  ASSERT_EQ(::chmod((cache.path() / "aot").c_str(), 0777), 0);
  std::string said;
  try {
    std::vector<std::string> notes;
    EngineConfig config = config_for(Tier::Aot, cache.path());
    config.on_note = [&](const std::string& n) { notes.push_back(n); };
    Engine shared(config);
    Module m = Module::compile(shared, compute_wasm(), "compute");
    EXPECT_FALSE(native(m));
    for (const auto& n : notes) said += n;
  } catch (const Error& e) {
    said = e.what();
  }
  EXPECT_NE(said.find((cache.path() / "aot").string() + " is writable by other users (mode 777)"), std::string::npos)
      << said;
}

TEST(AotCache, WithoutAHomeTheCacheIsTheUsersOwnInTheTempDirectory) {
  const char* names[] = {"WASMLET_CACHE_DIR", "XDG_CACHE_HOME", "HOME"};
  std::vector<std::optional<std::string>> saved;
  for (const char* name : names) {
    const char* v = std::getenv(name);
    saved.push_back(v ? std::optional<std::string>(v) : std::nullopt);
    ::unsetenv(name);
  }
  const fs::path dir = detail::aot::default_cache_dir();
  for (size_t i = 0; i < saved.size(); ++i)
    if (saved[i]) ::setenv(names[i], saved[i]->c_str(), 1);
  EXPECT_EQ(dir, fs::temp_directory_path() / ("wasmlet-cache-" + std::to_string(::geteuid())));
}

TEST(AotCache, NoCompilerFallsBackToTheInterpreterWithANote) {
  TempDir cache;
  EngineConfig config = config_for(Tier::Aot, cache.path());
  config.compiler = "/nonexistent/cc";
  std::vector<std::string> notes;
  config.on_note = [&](const std::string& n) { notes.push_back(n); };
  Engine engine(config);
  Module m = Module::compile(engine, compute_wasm(), "compute");
  EXPECT_FALSE(native(m));
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("running in the interpreter: no C compiler"), std::string::npos) << notes[0];
  Store store(engine);
  Instance inst = Instance::create(store, m, compute_linker());
  EXPECT_EQ(inst.call("add", i32s({1, 2})).results.at(0).as_i32(), 3);
}

TEST(AotCache, CompilerErrorsAreReportedWithTheCompilersMessage) {
  TempDir cache;
  const auto script = cache.path() / "broken-cc";
  std::ofstream(script) << "#!/bin/sh\necho 'fatal error: the disk is made of cheese' >&2\nexit 3\n";
  fs::permissions(script, fs::perms::owner_all);
  EngineConfig config = config_for(Tier::Aot, cache.path());
  config.compiler = script.string();
  Engine engine(config);
  try {
    Module::compile(engine, compute_wasm(), "compute");
    FAIL() << "expected a CompileError";
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("the disk is made of cheese"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("exit status 3"), std::string::npos) << e.what();
  }
  // Auto, compiling in the foreground, falls back instead, with a note.
  config.tier = Tier::Auto;
  config.auto_compile_max_bytes = UINT64_MAX;
  std::vector<std::string> notes;
  config.on_note = [&](const std::string& n) { notes.push_back(n); };
  Engine auto_engine(config);
  Module m = Module::compile(auto_engine, compute_wasm(), "compute");
  EXPECT_FALSE(native(m));
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("cheese"), std::string::npos);
  // Nothing broken was cached.
  for (auto& e : fs::directory_iterator(cache.path() / "aot")) EXPECT_NE(e.path().extension(), ".so");
}

// ---------------------------------------------------------------- compile limits

namespace {

// Compiles compute.wat under Tier::Aot with `limits` and the compiler
// `compiler` (empty: the usual one): it must run in the interpreter, with
// nothing cached, and one note, which is returned.
std::string fallback_note(const AotCompileLimits& limits, const std::string& compiler = "") {
  TempDir cache;
  EngineConfig config = config_for(Tier::Aot, cache.path());
  config.aot_limits = limits;
  if (!compiler.empty()) config.compiler = compiler;
  auto notes = std::make_shared<std::vector<std::string>>();
  config.on_note = [notes](const std::string& n) { notes->push_back(n); };
  Engine engine(config);
  Module m = Module::compile(engine, compute_wasm(), "compute");
  EXPECT_FALSE(native(m));
  Store store(engine);
  Instance inst = Instance::create(store, m, compute_linker());
  EXPECT_EQ(inst.call("add", i32s({1, 2})).results.at(0).as_i32(), 3);
  if (fs::exists(cache.path() / "aot"))
    for (auto& e : fs::directory_iterator(cache.path() / "aot")) EXPECT_NE(e.path().extension(), ".so");
  EXPECT_EQ(notes->size(), 1u);
  return notes->empty() ? "" : notes->front();
}

fs::path script(const TempDir& dir, const std::string& name, const std::string& body) {
  const auto path = dir.path() / name;
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  fs::permissions(path, fs::perms::owner_all);
  return path;
}

}  // namespace

TEST(AotLimits, TooMuchGeneratedCRunsInTheInterpreter) {
  AotCompileLimits small;
  small.max_c_bytes = 1024;  // the module alone is larger than a quarter of it
  const std::string before = fallback_note(small);
  EXPECT_NE(before.find("would make more than the limit of 1 KiB of C (WASMLET_AOT_MAX_C_BYTES"), std::string::npos)
      << before;
  AotCompileLimits after_translation;
  after_translation.max_c_bytes = 16 * 1024;  // the module fits a quarter, its C does not
  const std::string after = fallback_note(after_translation);
  EXPECT_NE(after.find("KiB of C, more than the limit of 16 KiB"), std::string::npos) << after;
}

TEST(AotLimits, TheCompilerIsStoppedAfterItsWallTime) {
  TempDir dir;
  AotCompileLimits limits;
  limits.compiler_wall_seconds = 1;
  const auto started = std::chrono::steady_clock::now();
  // The sleep is a child of the compiler: the whole process group goes.
  const std::string note = fallback_note(limits, script(dir, "slow-cc", "sleep 60; exit 0").string());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);
  EXPECT_NE(note.find("ran longer than 1 s and was stopped"), std::string::npos) << note;
}

TEST(AotLimits, TheCompilerGetsCpuAndMemoryLimits) {
  TempDir dir;
  AotCompileLimits limits;
  limits.compiler_cpu_seconds = 1;
  // Busy for more than a second of CPU: SIGXCPU.
  const std::string note = fallback_note(limits, script(dir, "busy-cc", "while :; do :; done").string());
  EXPECT_NE(note.find("ran out of its limits"), std::string::npos) << note;
  // The real compiler in 38 MiB of address space cannot even load its
  // libraries (with more, larger modules run out of memory, as cc1 says).
  std::string why;
  if (have_c_compiler(&why)) {
    AotCompileLimits small_memory;
    small_memory.compiler_memory_bytes = uint64_t{38} << 20;
    const std::string out_of_memory = fallback_note(small_memory);
    EXPECT_NE(out_of_memory.find("ran out of its limits (38 MiB of memory"), std::string::npos) << out_of_memory;
  }
  // The limits are in place when the compiler starts: it reports them.
  AotCompileLimits reported;
  reported.compiler_memory_bytes = uint64_t{300} << 20;
  reported.compiler_cpu_seconds = 7;
  const auto report = script(dir, "report-cc", "echo \"as=$(ulimit -v) cpu=$(ulimit -t)\" >&2; exit 1");
  TempDir cache;
  EngineConfig config = config_for(Tier::Aot, cache.path());
  config.aot_limits = reported;
  config.compiler = report.string();
  Engine engine(config);
  try {
    Module::compile(engine, compute_wasm(), "compute");
    FAIL() << "the failing compiler succeeded";
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("as=307200 cpu=7"), std::string::npos) << e.what();
  }
}

TEST(AotLimits, LimitsComeFromTheEnvironment) {
  TempDir dir;
  ::setenv("WASMLET_AOT_COMPILER_WALL_SECONDS", "1", 1);
  const std::string note = fallback_note(AotCompileLimits{}, script(dir, "slow-cc", "sleep 60").string());
  ::unsetenv("WASMLET_AOT_COMPILER_WALL_SECONDS");
  EXPECT_NE(note.find("ran longer than 1 s"), std::string::npos) << note;
}

TEST(AotCache, UnsupportedFeaturesRunInTheInterpreterWithANote) {
  EngineConfig config = config_for(Tier::Aot);
  std::vector<std::string> notes;
  config.on_note = [&](const std::string& n) { notes.push_back(n); };
  Engine engine(config);
  Module m = Module::compile(engine, wat_to_wasm(kSimdWat, "--enable-all"), "simd");
  EXPECT_FALSE(native(m));
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0], "simd: running in the interpreter: the AOT tier cannot compile modules that use SIMD");
  Store store(engine);
  Instance inst = Instance::create(store, m, Linker{});
  EXPECT_EQ(inst.call("simd_add", i32s({2, 3})).results.at(0).as_i32(), 5);
}

TEST(AotPolicy, AutoWithoutAWasmletBinaryCompilesOnAThreadOfItsOwn) {
  TempDir cache;
  EngineConfig config = config_for(Tier::Auto, cache.path());
  std::vector<std::string> notes;
  config.on_note = [&](const std::string& n) { notes.push_back(n); };
  config.compile_helper = cache.path() / "no-such-wasmlet";  // no binary to run a detached job
  ::setenv("WASMLET_AOT_BACKGROUND_JOBS", "1", 1);
  {
    Engine engine(config);
    Module m = Module::compile(engine, compute_wasm(), "compute");
    EXPECT_FALSE(native(m));
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_NE(notes[0].find("this process compiles its native code in the background"), std::string::npos) << notes[0];
  }
  // The background build lands in the cache; the next run uses it.
  for (int i = 0; i < 1200; ++i) {
    bool found = false;
    std::error_code ec;
    for (auto& e : fs::directory_iterator(cache.path() / "aot", ec)) found |= e.path().extension() == ".so";
    if (found) break;
    std::this_thread::sleep_for(50ms);
  }
  {
    Engine engine(config);
    Module m = Module::compile(engine, compute_wasm(), "compute");
    EXPECT_TRUE(native(m));
  }
  ::setenv("WASMLET_AOT_BACKGROUND_JOBS", "0", 1);
  // Small modules compile in the foreground when the embedder asks for it.
  TempDir other;
  config = config_for(Tier::Auto, other.path());
  config.auto_compile_max_bytes = 512 * 1024;
  Engine engine(config);
  Module m = Module::from_file(engine, fixture("trap_kinds"));
  EXPECT_TRUE(native(m));
}

TEST(AotPolicy, AutoStartsNoJobWhileOneRunsForTheModule) {
  TempDir cache;
  EngineConfig config = config_for(Tier::Auto, cache.path());
  std::vector<std::string> notes;
  config.on_note = [&](const std::string& n) { notes.push_back(n); };
  config.compile_helper = WASMLET_BIN;
  ::setenv("WASMLET_AOT_BACKGROUND_JOBS", "1", 1);
  const detail::aot::ArtifactCache artifacts(cache.path());
  const std::string key = detail::aot::artifact_key(detail::aot::module_digest(compute_wasm()),
                                                    detail::aot::artifact_options(config));
  fs::create_directories(cache.path() / "aot");
  {
    auto job = util::FileLock::acquire(artifacts.job_lock_path(key));  // as a running job does
    Engine engine(config);
    Module m = Module::compile(engine, compute_wasm(), "compute");
    EXPECT_FALSE(native(m));
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_NE(notes[0].find("while another process compiles its native code"), std::string::npos) << notes[0];
    EXPECT_FALSE(fs::exists(artifacts.jobs_dir() / (key + ".wasm")));  // nothing handed to a job
    EXPECT_FALSE(detail::aot::begin_job(artifacts, key).has_value());   // and a job would not start
  }
  ::setenv("WASMLET_AOT_BACKGROUND_JOBS", "0", 1);
}

TEST(AotSplit, ModulesSplitIntoManyTranslationUnitsRunAsBefore) {
  // Every function in a unit of its own and compiled as a huge one (-O1):
  // calls, call_indirect, passive data and element segments and multi-value
  // results across units.
  ::setenv("WASMLET_AOT_UNIT_BYTES", "1", 1);
  ::setenv("WASMLET_AOT_HUGE_FUNCTION_BYTES", "1", 1);
  const auto wasm = wat_to_wasm(R"((module
    (memory (export "memory") 1)
    (table 4 funcref)
    (data $greeting "hello")
    (elem $pair func $pair $twice)
    (func $pair (param i32) (result i32 i64) local.get 0 local.get 0 i64.extend_i32_u i64.const 1 i64.add)
    (func $twice (param i32) (result i32 i64) local.get 0 i32.const 2 i32.mul i64.const 2)
    (func (export "run") (param i32) (result i32)
      (memory.init $greeting (i32.const 0) (i32.const 0) (i32.const 5))
      (table.init $pair (i32.const 0) (i32.const 0) (i32.const 2))
      (call_indirect (param i32) (result i32 i64) (local.get 0) (i32.const 1))
      drop
      (call $pair (i32.load8_u (i32.const 1)))
      drop
      i32.add)))", "--enable-all");
  TempDir cache;
  Engine engine(config_for(Tier::Aot, cache.path()));
  Module m = Module::compile(engine, wasm, "split");
  ::setenv("WASMLET_AOT_UNIT_BYTES", kUnitBytes, 1);
  ::unsetenv("WASMLET_AOT_HUGE_FUNCTION_BYTES");
  ASSERT_TRUE(native(m));
  Store store(engine);
  Instance inst = Instance::create(store, m, Linker{});
  // twice(20) = 40, plus the 'e' (101) memory.init copied: 141.
  EXPECT_EQ(inst.call("run", i32s({20})).results.at(0).as_i32(), 141);
}

// --- many instances on many threads ---

TEST(AotConcurrency, HundredInstancesOnEightThreads) {
  Engine engine(config_for(Tier::Aot));
  Module compute = Module::compile(engine, compute_wasm(), "compute");
  Module traps = Module::from_file(engine, fixture("trap_kinds"));
  ASSERT_TRUE(native(compute) && native(traps));
  std::atomic<int> next{0}, ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i; (i = next++) < 100;) {
        Store store(engine, StoreLimits{.max_memory_bytes = 4 * 65536});
        Instance inst = Instance::create(store, compute, compute_linker());
        std::vector<Value> n = {Value::i32(10000 + i)};
        const int64_t expect = int64_t(10000 + i) * (10000 + i - 1) / 2;
        bool good = inst.call("sum_to", n).results.at(0).as_i64() == expect;
        // 2 pages, not 3: the 2-entry table (16 bytes) counts too, as in the interpreter.
        good &= inst.call("grow_until_refused").results.at(0).as_i32() == 2;
        good &= inst.call("store", i32s({4 * 65536, 1})).trap.kind == TrapKind::MemoryOutOfBounds;
        good &= inst.call("call_host", i32s({i})).results.at(0).as_i32() == i + 1;
        Store trap_store(engine);
        Instance t2 = Instance::create(trap_store, traps, Linker{});
        good &= t2.call(i % 2 ? "stack_overflow" : "div_zero").trapped();
        good &= inst.call("add", i32s({i, 1})).results.at(0).as_i32() == i + 1;
        ok += good;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 100);
}

// The auto tier, the default of `wasmlet run` (docs/aot.md, "Tier policy"):
// a short first run starts in the interpreter and leaves a detached
// `wasmlet compile --job` behind, whose artifact makes the next run native;
// one job per module; a compile that hits a limit leaves the interpreter's
// results intact and is not retried, and the functions such a module's runs
// call get native hot code for the runs after (docs/hot.md).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>
#include <vector>

#include "process.h"
#include "temp_dir.h"

using namespace wasmlet::testing;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

namespace {

std::string wasm(const std::string& name) { return (fs::path(WASM_DIR) / (name + ".wasm")).string(); }

// The environment of one test: its own cache, background compiles on.
class AutoTier : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("WASMLET_CACHE_DIR", cache_.path().c_str(), 1);
    ::setenv("WASMLET_AOT_BACKGROUND_JOBS", "2", 1);
  }
  void TearDown() override {
    ::setenv("WASMLET_CACHE_DIR", TEST_CACHE_DIR, 1);
    ::setenv("WASMLET_AOT_BACKGROUND_JOBS", "0", 1);
    ::unsetenv("WASMLET_AOT_MAX_C_BYTES");
    ::unsetenv("CXX");
  }
  fs::path aot() const { return cache_.path() / "aot"; }
  fs::path hot() const { return cache_.path() / "hot"; }
  size_t count(const std::string& extension, const fs::path& dir) const {
    size_t n = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) n += e.path().extension() == extension;
    return n;
  }
  size_t count(const std::string& extension) const { return count(extension, aot()); }
  // Waits (bounded) until there are more than `before` hot-code libraries.
  bool wait_for_hot_code(size_t before, std::chrono::seconds limit = 180s) const {
    for (auto end = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < end;) {
      if (count(".so", hot()) > before) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }
  // Waits (bounded) until a file with `extension` is in the cache.
  bool wait_for(const std::string& extension, std::chrono::seconds limit = 180s) const {
    for (auto end = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < end;) {
      if (count(extension) > 0) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }
  // What the jobs wrote.
  std::string logs() const {
    std::string text;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(aot() / "jobs", ec))
      if (e.path().extension() == ".log") {
        std::ifstream in(e.path());
        std::stringstream s;
        s << in.rdbuf();
        text += s.str();
      }
    return text;
  }
  TempDir cache_;
};

TEST_F(AutoTier, ASecondRunAfterAShortFirstRunIsNative) {
  auto first = run_wasmlet({"run", "-v", wasm("exit_code"), "--", "7"});
  EXPECT_EQ(first.exit_code, 7) << first.err;
  EXPECT_THAT(first.err, HasSubstr("runs as interpreted code"));
  EXPECT_THAT(first.err, HasSubstr("compiled in the background for the next run"));
  // The first run has exited; its detached job finishes the artifact.
  ASSERT_TRUE(wait_for(".so")) << logs();
  auto second = run_wasmlet({"run", "-v", wasm("exit_code"), "--", "9"});
  EXPECT_EQ(second.exit_code, 9) << second.err;
  EXPECT_THAT(second.err, HasSubstr("runs as native code (the aot tier)"));
  // The job removed its copy of the module.
  size_t inputs = 0;
  for (const auto& e : fs::directory_iterator(aot() / "jobs")) inputs += e.path().extension() == ".wasm";
  EXPECT_EQ(inputs, 0u);
  // Without -v the default tier adds nothing to stderr.
  auto quiet = run_wasmlet({"run", wasm("exit_code"), "--", "3"});
  EXPECT_EQ(quiet.exit_code, 3);
  EXPECT_EQ(quiet.err, "");
}

TEST_F(AutoTier, OneBackgroundCompilePerModule) {
  // Several runs of one module at once: each starts in the interpreter, and
  // one job builds the artifact; the others find its lock taken.
  std::vector<std::thread> runs;
  std::vector<ProcessResult> results(4);
  for (size_t i = 0; i < results.size(); ++i)
    runs.emplace_back([&, i] { results[i] = run_wasmlet({"run", "-v", wasm("exit_code"), "--", std::to_string(i)}); });
  for (auto& t : runs) t.join();
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].exit_code, int(i)) << results[i].err;
    EXPECT_THAT(results[i].err, HasSubstr("runs as interpreted code"));
  }
  ASSERT_TRUE(wait_for(".so")) << logs();
  // Jobs that lose the race (started before the winner took the lock) exit
  // at once; exactly one built.
  std::this_thread::sleep_for(200ms);
  const std::string log = logs();
  size_t builds = 0;
  for (size_t at = 0; (at = log.find("building ", at)) != std::string::npos; ++at) ++builds;
  EXPECT_EQ(builds, 1u) << log;
  EXPECT_EQ(count(".so"), 1u);
  auto after = run_wasmlet({"run", "-v", wasm("exit_code"), "--", "5"});
  EXPECT_THAT(after.err, HasSubstr("runs as native code"));
}

TEST_F(AutoTier, ACompileThatHitsALimitLeavesTheInterpreterResultAndIsNotRetried) {
  ::setenv("WASMLET_AOT_MAX_C_BYTES", "4096", 1);  // far too little C for any program
  ::setenv("CXX", "/nonexistent/c++", 1);          // and no hot code (the next test) to start a job
  auto first = run_wasmlet({"run", "-v", wasm("exit_code"), "--", "42"});
  EXPECT_EQ(first.exit_code, 42) << first.err;
  // The module alone is more than a quarter of the limit: no job is started
  // for a compile that would fail at once, the failure is recorded now.
  EXPECT_THAT(first.err, HasSubstr("its native code could not be compiled"));
  EXPECT_THAT(first.err, Not(HasSubstr("compiled in the background")));
  ASSERT_TRUE(wait_for(".failed")) << logs();
  EXPECT_EQ(logs(), "") << "no job ran";
  auto second = run_wasmlet({"run", "-v", wasm("exit_code"), "--", "43"});
  EXPECT_EQ(second.exit_code, 43) << second.err;
  EXPECT_THAT(second.err, HasSubstr("runs as interpreted code"));
  EXPECT_THAT(second.err, HasSubstr("its native code could not be compiled"));
  EXPECT_THAT(second.err, HasSubstr("WASMLET_AOT_MAX_C_BYTES"));
  EXPECT_THAT(second.err, Not(HasSubstr("compiled in the background")));
  EXPECT_EQ(count(".so"), 0u);
  // Other limits: the next run tries again.
  ::unsetenv("WASMLET_AOT_MAX_C_BYTES");
  auto third = run_wasmlet({"run", "-v", wasm("exit_code"), "--", "44"});
  EXPECT_EQ(third.exit_code, 44) << third.err;
  EXPECT_THAT(third.err, HasSubstr("compiled in the background for the next run"));
  EXPECT_TRUE(wait_for(".so")) << logs();
}

TEST_F(AutoTier, TheInterpreterTierStartsNoBackgroundCompile) {
  auto interp = run_wasmlet({"run", "-v", "--tier", "interp", wasm("exit_code"), "--", "1"});
  EXPECT_EQ(interp.exit_code, 1) << interp.err;
  EXPECT_THAT(interp.err, HasSubstr("runs as interpreted code"));
  EXPECT_FALSE(fs::exists(aot() / "jobs"));
}

}  // namespace

TEST_F(AutoTier, AModuleLeftInTheInterpreterGetsHotCodeForWhatItsRunsCall) {
  ::setenv("WASMLET_AOT_MAX_C_BYTES", "4096", 1);  // no AOT artifact for any program
  auto first = run_wasmlet({"run", "-v", wasm("exit_code"), "--", "42"});
  EXPECT_EQ(first.exit_code, 42) << first.err;
  EXPECT_THAT(first.err, HasSubstr("its native code could not be compiled"));
  EXPECT_THAT(first.err, HasSubstr("compiled to native hot code after it"));
  // The first run has exited; the job it started leaves the hot code.
  ASSERT_TRUE(wait_for_hot_code(0)) << logs();
  EXPECT_EQ(count(".so", hot()), 1u);
  EXPECT_THAT(logs(), HasSubstr("building hot code"));
  auto second = run_wasmlet({"run", "-v", wasm("exit_code"), "--", "9"});
  EXPECT_EQ(second.exit_code, 9) << second.err;
  EXPECT_THAT(second.err, HasSubstr("of its functions run as native hot code"));
  // Everything the run called has hot code now: no new job.
  std::this_thread::sleep_for(500ms);
  const std::string log = logs();
  size_t builds = 0;
  for (size_t at = 0; (at = log.find("building hot code", at)) != std::string::npos; ++at) ++builds;
  EXPECT_EQ(builds, 1u) << log;
}

// A module of a mebibyte or more is hashed (its cache key) on a second thread
// while it is decoded (src/engine/module.cpp): the key found that way must be
// the one the job computes from the bytes it is given, or the job refuses to
// build and the second run gets no hot code. The module is exit_code with a
// custom section that makes it 1.1 MiB.
TEST_F(AutoTier, AModuleHashedBesideItsDecodingGetsHotCodeUnderTheSameKey) {
  ::setenv("WASMLET_AOT_MAX_C_BYTES", "4096", 1);  // no AOT artifact: hot code
  std::ifstream in(wasm("exit_code"), std::ios::binary);
  std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  ASSERT_GT(bytes.size(), 8u);
  const std::string name = "padding";
  const size_t payload = (size_t{11} << 20) / 10;
  const size_t size = 1 + name.size() + payload;  // the name's length fits one LEB byte
  bytes.push_back(0);                              // custom section
  for (size_t v = size; ; v >>= 7) {               // its size, LEB128
    bytes.push_back(char((v & 0x7f) | (v >= 0x80 ? 0x80 : 0)));
    if (v < 0x80) break;
  }
  bytes.push_back(char(name.size()));
  bytes.insert(bytes.end(), name.begin(), name.end());
  bytes.insert(bytes.end(), payload, '\0');
  const fs::path module = cache_.path() / "large_exit_code.wasm";
  std::ofstream(module, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));

  auto first = run_wasmlet({"run", "-v", module.string(), "--", "42"});
  EXPECT_EQ(first.exit_code, 42) << first.err;
  ASSERT_TRUE(wait_for_hot_code(0)) << logs();
  auto second = run_wasmlet({"run", "-v", module.string(), "--", "9"});
  EXPECT_EQ(second.exit_code, 9) << second.err;
  EXPECT_THAT(second.err, HasSubstr("of its functions run as native hot code")) << logs();
  EXPECT_THAT(logs(), Not(HasSubstr("key differs")));
}

// The bench programs give the same output and exit status with hot code as
// in the interpreter (SIMD's vector functions stay interpreted beside it).
TEST_F(AutoTier, ProgramsGiveTheSameOutputWithHotCode) {
  ::setenv("WASMLET_AOT_MAX_C_BYTES", "4096", 1);  // no AOT artifact: every program gets hot code
  const std::vector<std::vector<std::string>> programs = {
      {"fib", "24"},          {"sieve", "100000", "2"}, {"matmul", "40"},        {"sha256", "1"},
      {"bytecode_vm", "50000"}, {"print_lines", "300"}, {"simd", "5"},
  };
  for (const auto& p : programs)
    if (!fs::exists(wasm(p[0]))) GTEST_SKIP() << wasm(p[0]) << " is not built (the benchmark suite is off)";
  for (const auto& p : programs) {
    std::vector<std::string> args = {"run", wasm(p[0]), "--"};
    args.insert(args.end(), p.begin() + 1, p.end());
    std::vector<std::string> interpreted = args;
    interpreted.insert(interpreted.begin() + 1, {"--tier", "interp"});
    const auto expected = run_wasmlet(interpreted);
    ASSERT_EQ(expected.exit_code, 0) << p[0] << ": " << expected.err;
    const size_t before = count(".so", hot());
    const auto first = run_wasmlet(args);  // records what it calls; a job builds its hot code
    EXPECT_EQ(first.out, expected.out) << p[0];
    ASSERT_TRUE(wait_for_hot_code(before)) << p[0] << ": " << logs();
    EXPECT_EQ(count(".so", hot()), before + 1) << p[0];
    std::vector<std::string> verbose = args;
    verbose.insert(verbose.begin() + 1, "-v");
    const auto with_hot_code = run_wasmlet(verbose);
    EXPECT_THAT(with_hot_code.err, HasSubstr("of its functions run as native hot code")) << p[0];
    EXPECT_EQ(with_hot_code.exit_code, expected.exit_code) << p[0] << ": " << with_hot_code.err;
    EXPECT_EQ(with_hot_code.out, expected.out) << p[0];
  }
}

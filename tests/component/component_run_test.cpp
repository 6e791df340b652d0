// Instantiating components and running wasi:cli/run on the engine.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <thread>
#include <typeinfo>

#include "component_fixtures.h"
#include "component_tiers.h"
#include "engine/aot/aot_tier.h"
#include "engine/tier.h"
#include "closed_stdout_pipe.h"
#include "unread_stdout_pipe.h"
#include "wasmlet/component/component.h"
#include "wasmlet/engine.h"
#include "wasmlet/error.h"
#include "wasmlet/store.h"

using namespace wasmlet;
using namespace wasmlet::component;
using component_test::all_native;
using component_test::have_cc;
using component_test::tier_engine;

namespace {

struct RunResult {
  Outcome outcome;
  std::string out, err;
};


RunResult run_in(Engine& engine, const std::vector<uint8_t>& bytes, std::vector<std::string> args) {
  auto c = CompiledComponent::compile(engine, bytes, "test.component.wasm");
  Store store(engine);
  RunResult r;
  WasiConfig config;
  config.args = std::move(args);
  config.output = [&r](wasmlet::OutputStream s, std::span<const uint8_t> b) {
    (s == wasmlet::OutputStream::Stdout ? r.out : r.err).append(b.begin(), b.end());
  };
  WasiHost host(config);
  r.outcome = run_component(store, c, host);
  EXPECT_LE(host.live_resources(), 0u) << "host resources leaked";
  return r;
}

RunResult run(const std::vector<uint8_t>& bytes, std::vector<std::string> args) {
  Engine engine;
  return run_in(engine, bytes, std::move(args));
}

}  // namespace

TEST(ComponentRun, HandWrittenCommandPrintsItsArguments) {
  REQUIRE_COMPONENT(bytes, "p2_echo");
  RunResult r = run(bytes, {"p2_echo", "caf\xc3\xa9"});
  ASSERT_TRUE(r.outcome.exited()) << r.outcome.trap.to_string();
  EXPECT_EQ(r.outcome.exit_code, 0);
  EXPECT_EQ(r.out, "hello\ncaf\xc3\xa9\n");
  EXPECT_EQ(r.err, "");
}

TEST(ComponentRun, WasiCliExitSetsTheExitCode) {
  REQUIRE_COMPONENT(bytes, "p2_echo");
  RunResult r = run(bytes, {"p2_echo", "a", "b"});
  ASSERT_TRUE(r.outcome.exited()) << r.outcome.trap.to_string();
  EXPECT_EQ(r.outcome.exit_code, 1);
  EXPECT_EQ(r.out, "hello\na\nb\n");
}

TEST(ComponentRun, ComponentsWithoutAnEntryPointAreRefused) {
  // A well-formed component holding only a custom section.
  std::vector<uint8_t> bytes = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x00, 0x02, 0x01, 'x'};
  try {
    run(bytes, {"x"});
    FAIL() << "ran a component without wasi:cli/run";
  } catch (const LinkError& e) {
    EXPECT_NE(std::string(e.what()).find("exports no wasi:cli/run@0.2.x instance and no function \"_start\" or "
                                         "\"main\""),
              std::string::npos)
        << e.what();
  }
}

TEST(ComponentRun, WithoutWasiCliRunStartIsCalledBeforeMain) {
  REQUIRE_COMPONENT(bytes, "entry_start_and_main");
  Engine engine;
  auto c = CompiledComponent::compile(engine, bytes, "entry_start_and_main");
  ASSERT_TRUE(c.entry_point());
  EXPECT_EQ(c.entry_point()->name, "_start");
  EXPECT_FALSE(c.entry_point()->wasi_cli_run);
  RunResult r = run(bytes, {"x"});
  ASSERT_TRUE(r.outcome.exited()) << r.outcome.trap.to_string();
  EXPECT_EQ(r.outcome.exit_code, 1);  // its wasi:cli/exit(err), not main's 42
}

TEST(ComponentRun, MainsResultIsTheExitCode) {
  REQUIRE_COMPONENT(bytes, "entry_main_only");
  RunResult r = run(bytes, {"x"});
  ASSERT_TRUE(r.outcome.exited()) << r.outcome.trap.to_string();
  EXPECT_EQ(r.outcome.exit_code, 42);
}

TEST(ComponentRun, JcoCommandComponentsRun) {
  // jco's preview1 adapter imports the main module's memory, and the fixup
  // module fills the shim's funcref table: core instances linked to each other.
  REQUIRE_COMPONENT(bytes, "hello_stdio");
  Engine engine;
  auto c = CompiledComponent::compile(engine, bytes, "hello_stdio.component.wasm");
  EXPECT_EQ(c.run_export().value_or(""), "wasi:cli/run@0.2.12") << "jco's adapter version changed";
  RunResult r = run(bytes, {"hello"});
  ASSERT_TRUE(r.outcome.exited()) << r.outcome.trap.to_string();
  EXPECT_EQ(r.outcome.exit_code, 0);
  EXPECT_EQ(r.out, "hello from wasm\n");
}

TEST(ComponentRun, JcoCommandComponentsRunAsNativeCodeUnderTierAot) {
  // The adapter imports the main module's memory, the fixup module writes
  // host functions and adapter functions into the shim's table: all of it
  // linked between native instances, with the interpreter's results.
  if (!have_cc()) GTEST_SKIP() << "no C compiler: the AOT tier is not available";
  for (const char* name : {"hello_stdio", "exit_code", "p2_echo"}) {
    SCOPED_TRACE(name);
    auto path = component_test::component_path(name);
    if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " was not built: jco is missing";
    auto bytes = component_test::read_file(path);
    std::vector<std::string> notes;
    Engine aot = tier_engine(Tier::Aot, &notes);
    auto c = CompiledComponent::compile(aot, bytes, std::string(name) + ".component.wasm");
    EXPECT_TRUE(notes.empty()) << notes.front();
    EXPECT_TRUE(all_native(c));
    Engine interp = tier_engine(Tier::Interpreter);
    for (std::vector<std::string> args : {std::vector<std::string>{name}, {name, "a", "b"}}) {
      RunResult native = run_in(aot, bytes, args), reference = run_in(interp, bytes, args);
      EXPECT_EQ(native.outcome.kind, reference.outcome.kind) << native.outcome.trap.to_string();
      EXPECT_EQ(native.outcome.status(), reference.outcome.status());
      EXPECT_EQ(native.out, reference.out);
      EXPECT_EQ(native.err, reference.err);
    }
  }
}

TEST(ComponentRun, AComponentWhoseModulesCannotAllBeCompiledRunsInTheInterpreterWithANote) {
  // Without a C compiler no core module compiles: the whole component runs
  // in the interpreter (never some modules in each tier), and says why.
  REQUIRE_COMPONENT(bytes, "hello_stdio");
  std::vector<std::string> notes;
  Engine engine = tier_engine(Tier::Aot, &notes, "/nonexistent/cc");
  auto c = CompiledComponent::compile(engine, bytes, "hello_stdio.component.wasm");
  ASSERT_FALSE(notes.empty());
  EXPECT_NE(notes.back().find("hello_stdio.component.wasm: running in the interpreter"), std::string::npos)
      << notes.back();
  EXPECT_NE(notes.back().find("run in one tier"), std::string::npos) << notes.back();
  RunResult r = run_in(engine, bytes, {"hello"});
  EXPECT_EQ(r.outcome.status(), 0) << r.outcome.trap.to_string();
  EXPECT_EQ(r.out, "hello from wasm\n");
}

TEST(ComponentRun, AFuelBuildThatCannotBeCompiledRefusesTheRunInsteadOfMixingTiers) {
  // Under a fuel limit native modules run their fuel-counting build. If one
  // cannot be compiled, the run is refused with the reason before any
  // instance exists (it must not run partly in the interpreter).
  if (!have_cc()) GTEST_SKIP() << "no C compiler: the AOT tier is not available";
  REQUIRE_COMPONENT(bytes, "hello_stdio");
  component_test::TempDir dir;
  // A compiler that refuses the fuel build (the only one compiled with this flag).
  auto cc = dir.write("cc-without-fuel", "#!/bin/sh\nfor a in \"$@\"; do case \"$a\" in --param=max-inline-insns-auto=*) "
                                         "echo 'no fuel build here' >&2; exit 1;; esac; done\nexec cc \"$@\"\n");
  std::filesystem::permissions(cc, std::filesystem::perms::owner_all);
  std::vector<std::string> notes;
  Engine engine = tier_engine(Tier::Aot, &notes, cc.string());
  auto c = CompiledComponent::compile(engine, bytes, "hello_stdio.component.wasm");
  ASSERT_TRUE(all_native(c)) << (notes.empty() ? "" : notes.back());
  Store store(engine, StoreLimits{.fuel = 100'000'000});
  WasiConfig config;
  config.args = {"hello"};
  config.output = [](wasmlet::OutputStream, std::span<const uint8_t>) {};
  WasiHost host(config);
  try {
    run_component(store, c, host);
    FAIL() << "ran with a fuel limit although no fuel build could be compiled";
  } catch (const LinkError& e) {
    EXPECT_NE(std::string(e.what()).find("its fuel-counting native build could not be compiled"), std::string::npos)
        << e.what();
  }
  // Without a fuel limit the native build runs.
  Store unlimited(engine);
  WasiHost host2(config);
  EXPECT_EQ(run_component(unlimited, c, host2).status(), 0);
}

// ---- the Store's limits apply to every core instance of a component ----

namespace {

struct LimitedRun {
  Outcome outcome;
  std::string out;
  std::chrono::milliseconds took{0};
  uint64_t fuel = 0, memory = 0;
  bool memory_limit_hit = false;
};

LimitedRun run_limited(Tier tier, const std::vector<uint8_t>& bytes, const std::string& name, StoreLimits limits,
                       const std::function<void(Store&)>& during = {}) {
  Engine engine = tier_engine(tier);
  auto c = CompiledComponent::compile(engine, bytes, name);
  if (tier == Tier::Aot) EXPECT_TRUE(all_native(c)) << "the AOT test ran in the interpreter";
  Store store(engine, limits);
  LimitedRun r;
  WasiConfig config;
  config.args = {name};
  config.output = [&r](wasmlet::OutputStream s, std::span<const uint8_t> b) {
    if (s == wasmlet::OutputStream::Stdout) r.out.append(b.begin(), b.end());
  };
  WasiHost host(config);
  std::thread helper;
  if (during) helper = std::thread([&] { during(store); });
  auto start = std::chrono::steady_clock::now();
  r.outcome = run_component(store, c, host);
  r.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  if (helper.joinable()) helper.join();
  r.fuel = store.fuel_consumed();
  r.memory = store.memory_bytes();
  r.memory_limit_hit = store.memory_limit_hit();
  return r;
}

// Every limit test runs in both tiers (ComponentLimits.Test/interp, /aot).
class ComponentLimits : public ::testing::TestWithParam<Tier> {
 protected:
  void SetUp() override {
    if (GetParam() == Tier::Aot && !have_cc()) GTEST_SKIP() << "no C compiler: the AOT tier is not available";
  }
  LimitedRun run_limited(const std::vector<uint8_t>& bytes, const std::string& name, StoreLimits limits,
                         const std::function<void(Store&)>& during = {}) {
    return ::run_limited(GetParam(), bytes, name, limits, during);
  }
};

}  // namespace

TEST_P(ComponentLimits, AnInfiniteLoopIsStoppedByTheTimeout) {
  REQUIRE_COMPONENT(bytes, "loop_forever");
  LimitedRun r = run_limited(bytes, "loop_forever", StoreLimits{.timeout = std::chrono::milliseconds(300)});
  ASSERT_TRUE(r.outcome.trapped()) << "status " << r.outcome.status();
  EXPECT_EQ(r.outcome.trap.kind, TrapKind::DeadlineExceeded) << r.outcome.trap.to_string();
  EXPECT_EQ(r.out, "looping\n");  // printed through the adapter before the loop
  EXPECT_GE(r.took, std::chrono::milliseconds(300));
  EXPECT_LT(r.took, std::chrono::milliseconds(3000));
}

TEST_P(ComponentLimits, AnInfiniteLoopIsStoppedByAnInterrupt) {
  REQUIRE_COMPONENT(bytes, "loop_forever");
  LimitedRun r = run_limited(bytes, "loop_forever", {}, [](Store& store) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    store.interrupt();
  });
  ASSERT_TRUE(r.outcome.trapped()) << "status " << r.outcome.status();
  EXPECT_EQ(r.outcome.trap.kind, TrapKind::Interrupted) << r.outcome.trap.to_string();
}

TEST_P(ComponentLimits, FuelCountsEveryCoreInstance) {
  REQUIRE_COMPONENT(bytes, "loop_forever");
  LimitedRun r = run_limited(bytes, "loop_forever", StoreLimits{.fuel = 2'000'000});
  ASSERT_TRUE(r.outcome.trapped()) << "status " << r.outcome.status();
  EXPECT_EQ(r.outcome.trap.kind, TrapKind::FuelExhausted) << r.outcome.trap.to_string();
  EXPECT_EQ(r.fuel, 2'000'000u);  // all of it, no more
}

TEST_P(ComponentLimits, TheMemoryLimitCoversTheComponentsMemories) {
  // memory_hog mallocs 1 MiB blocks until malloc fails; as a preview1 module
  // under the same limit it gets the same number of blocks (the adapter's
  // own state lives in the main module's memory).
  REQUIRE_COMPONENT(bytes, "memory_hog");
  const uint64_t limit = 16ull << 20;
  LimitedRun r = run_limited(bytes, "memory_hog", StoreLimits{.max_memory_bytes = limit});
  ASSERT_TRUE(r.outcome.exited()) << r.outcome.trap.to_string();
  EXPECT_EQ(r.outcome.exit_code, 1) << "exit(3) through the adapter";
  EXPECT_TRUE(r.memory_limit_hit);
  EXPECT_LE(r.memory, limit);
  EXPECT_GT(r.memory, limit - (2ull << 20));
  ASSERT_EQ(r.out.rfind("allocated ", 0), 0u) << r.out;
  int blocks = std::stoi(r.out.substr(10));
  EXPECT_GE(blocks, 10);
  EXPECT_LT(blocks, 16);
  // Without a limit it gets all 64 MiB it asks for.
  LimitedRun free = run_limited(bytes, "memory_hog", {});
  EXPECT_EQ(free.outcome.status(), 0) << free.out;
  EXPECT_EQ(free.out, "allocated 64 MiB\n");
}

// The host's own stdout (no output sink) is a blocking pipe nobody reads:
// the component's 1 MiB fills it, and the run's timeout still ends it.
TEST_P(ComponentLimits, AHostCallLiftsAtMostAFewTimesTheMemoryLimit) {
  // The component passes 800 KB of guest memory that lift to ~20 MiB of
  // host Vals: under a 1 MiB memory limit a call may lift 16 MiB.
  REQUIRE_COMPONENT(bytes, "lift_amplify_small");
  LimitedRun r = run_limited(bytes, "lift_amplify_small", StoreLimits{.max_memory_bytes = 1u << 20});
  ASSERT_TRUE(r.outcome.trapped()) << "status " << r.outcome.status();
  EXPECT_NE(r.outcome.trap.message.find("wasi:io/poll@0.2.0#poll: canonical ABI: lifting"),
            std::string::npos) << r.outcome.trap.to_string();
  EXPECT_NE(r.outcome.trap.message.find("past 16 MiB of host memory"), std::string::npos) << r.outcome.trap.to_string();
  EXPECT_LT(r.took, std::chrono::milliseconds(1000));
}

TEST_P(ComponentLimits, TheTimeoutEndsALongLift) {
  // Lifting ~500 MiB of Vals takes far longer than the timeout: the lift
  // itself checks the deadline, and the run ends as a guest loop's would.
  REQUIRE_COMPONENT(bytes, "lift_amplify_large");
  LimitedRun r = run_limited(bytes, "lift_amplify_large", StoreLimits{.timeout = std::chrono::milliseconds(100)});
  ASSERT_TRUE(r.outcome.trapped()) << "status " << r.outcome.status();
  EXPECT_EQ(r.outcome.trap.kind, TrapKind::DeadlineExceeded) << r.outcome.trap.to_string();
  EXPECT_LT(r.took, std::chrono::milliseconds(1000));
}

TEST(ComponentRun, TimeoutEndsAWriteBlockedOnAFullHostStdout) {
  REQUIRE_COMPONENT(bytes, "wasi_stdio");
  Engine engine;
  auto c = CompiledComponent::compile(engine, bytes, "wasi_stdio.component.wasm");
  Outcome outcome;
  std::chrono::steady_clock::duration elapsed{};
  {
    wasmlet::testing::UnreadStdoutPipe unread;
    const auto t0 = std::chrono::steady_clock::now();
    {
      Store store(engine, StoreLimits{.timeout = std::chrono::milliseconds(300)});
      WasiConfig config;
      config.args = {"wasi_stdio", "big"};
      WasiHost host(config);
      outcome = run_component(store, c, host);
    }
    elapsed = std::chrono::steady_clock::now() - t0;
  }
  ASSERT_TRUE(outcome.trapped()) << "status " << outcome.status();
  EXPECT_EQ(outcome.trap.kind, TrapKind::DeadlineExceeded) << outcome.trap.to_string();
  EXPECT_LT(elapsed, std::chrono::seconds(3));
}

// The host's own stdout on a pipe whose reader is gone: the component's
// write fails (the stream is `closed`) and the host lives on, also in a
// program that leaves SIGPIPE's default action (wasmlet blocks it around
// such writes) rather than ignoring it as `wasmlet run` does.
TEST(ComponentRun, AClosedHostStdoutFailsTheWriteWhateverSigpipeDoes) {
  REQUIRE_COMPONENT(bytes, "stdout_closed");
  Engine engine;
  auto c = CompiledComponent::compile(engine, bytes, "stdout_closed.component.wasm");
  component_test::TempDir dir;
  for (const auto disposition : {SIG_DFL, SIG_IGN}) {
    const char* const what = disposition == SIG_DFL ? "SIGPIPE's default action" : "SIGPIPE ignored";
    const auto err_path = dir.path() / "stderr.txt";
    Outcome outcome;
    {
      wasmlet::testing::ClosedStdoutPipe closed(err_path, disposition);
      Store store(engine);
      WasiConfig config;
      config.args = {"stdout_closed"};
      WasiHost host(config);
      outcome = run_component(store, c, host);
    }
    EXPECT_FALSE(wasmlet::testing::sigpipe_pending()) << what << ": a SIGPIPE was left pending";
    ASSERT_FALSE(outcome.trapped()) << what << ": " << outcome.trap.to_string();
    EXPECT_EQ(outcome.status(), 1) << what;  // the adapter turns exit code 3 into 1
    const std::vector<uint8_t> err = component_test::read_file(err_path);
    // jco's preview1 adapter reports the `closed` stream with an errno of its own choosing.
    EXPECT_EQ(std::string(err.begin(), err.end()).rfind("write failed: EPIPE=", 0), 0u) << what;
  }
}

// Opening a FIFO in a preopen whose other end nobody opens: the open must
// not hold the host thread in open(2), where neither a stop nor the run's
// timeout reaches it. A writer is refused at once (no such device); a
// reader's open returns and its read fails, as a FIFO's data cannot be read
// at an offset. Should an open block, the test opens the other end after
// 5 s, so it fails on its time instead of hanging.
TEST(ComponentRun, OpeningAFifoWithoutItsOtherEndDoesNotHoldTheHost) {
  using namespace std::chrono_literals;
  REQUIRE_COMPONENT(bytes, "wasi_fifo");
  Engine engine;
  auto c = CompiledComponent::compile(engine, bytes, "wasi_fifo.component.wasm");
  component_test::TempDir dir;
  const auto fifo = dir.path() / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (const char* what : {"write", "read"}) {
    std::atomic<bool> finished{false};
    std::thread rescue([&] {
      for (int i = 0; i < 50 && !finished; ++i) std::this_thread::sleep_for(100ms);
      if (finished) return;
      const int other_end = ::open(fifo.c_str(), (std::string(what) == "write" ? O_RDONLY : O_WRONLY) | O_NONBLOCK);
      std::this_thread::sleep_for(100ms);
      if (other_end >= 0) ::close(other_end);
    });
    const auto t0 = std::chrono::steady_clock::now();
    Store store(engine, StoreLimits{.timeout = 2s});
    std::string out;
    WasiConfig config;
    config.args = {"wasi_fifo", what};
    config.preopens = {{dir.path(), "/d", false}};
    config.output = [&out](wasmlet::OutputStream, std::span<const uint8_t> b) { out.append(b.begin(), b.end()); };
    WasiHost host(config);
    const Outcome outcome = run_component(store, c, host);
    const auto elapsed = std::chrono::steady_clock::now() - t0;
    finished = true;
    rescue.join();
    EXPECT_LT(elapsed, 1500ms) << what << ": " << out;
    ASSERT_FALSE(outcome.trapped()) << what << ": " << outcome.trap.to_string();
    if (std::string(what) == "write") {
      EXPECT_EQ(outcome.status(), 1);
      EXPECT_EQ(out, "open: No such device or address\n");
    } else {
      EXPECT_EQ(outcome.status(), 0);
      EXPECT_EQ(out, "read 0: ");
    }
  }
}

// These two compare the AOT tier with the interpreter, so they are not
// parameterized.
TEST(ComponentTiers, FuelIsCountedAlikeInBothTiers) {
  // A run that ends on its own costs the same fuel in either tier.
  if (!have_cc()) GTEST_SKIP() << "no C compiler: the AOT tier is not available";
  REQUIRE_COMPONENT(bytes, "hello_stdio");
  LimitedRun here = ::run_limited(Tier::Aot, bytes, "hello_stdio", StoreLimits{.fuel = 100'000'000});
  LimitedRun interp = ::run_limited(Tier::Interpreter, bytes, "hello_stdio", StoreLimits{.fuel = 100'000'000});
  EXPECT_EQ(here.outcome.status(), 0) << here.outcome.trap.to_string();
  EXPECT_EQ(here.out, "hello from wasm\n");
  EXPECT_GT(here.fuel, 1000u);
  EXPECT_EQ(here.fuel, interp.fuel);
}

TEST(ComponentTiers, AnExitThroughTheAdapterUnderATightLimitIsAsInTheInterpreter) {
  // memory_hog under a limit that leaves room for one block: malloc fails,
  // and exit(3) goes through the adapter (a host call nested in a call of
  // another core instance), with the interpreter's outcome and output.
  if (!have_cc()) GTEST_SKIP() << "no C compiler: the AOT tier is not available";
  REQUIRE_COMPONENT(bytes, "memory_hog");
  LimitedRun here = ::run_limited(Tier::Aot, bytes, "memory_hog", StoreLimits{.max_memory_bytes = 2ull << 20});
  LimitedRun interp = ::run_limited(Tier::Interpreter, bytes, "memory_hog", StoreLimits{.max_memory_bytes = 2ull << 20});
  EXPECT_EQ(here.outcome.kind, interp.outcome.kind);
  EXPECT_EQ(here.outcome.status(), interp.outcome.status());
  EXPECT_EQ(here.outcome.trap.kind, interp.outcome.trap.kind) << here.outcome.trap.to_string();
  EXPECT_EQ(here.outcome.trap.message, interp.outcome.trap.message);
  EXPECT_EQ(here.out, interp.out);
}

INSTANTIATE_TEST_SUITE_P(, ComponentLimits, ::testing::Values(Tier::Interpreter, Tier::Aot), component_test::tier_name);

TEST(ComponentRun, MutatedComponentsFailCleanly) {
  // Bit flips anywhere in a small runnable component: compiling and running
  // must end in a wasmlet error, an outcome, or success; never a crash or a
  // stray standard-library exception.
  REQUIRE_COMPONENT(bytes, "p2_echo");
  // Core module bodies are the engine's to validate (Module::compile); flip
  // bits in the component-level structure only.
  std::vector<bool> in_core(bytes.size(), false);
  const auto parsed = parse_component(bytes, "p2_echo");  // alive while its core_modules() pointers are read
  for (auto* m : parsed.core_modules())
    for (size_t k = 0; k < m->bytes.size(); ++k) in_core[m->offset + k] = true;
  std::vector<size_t> positions;
  for (size_t k = 0; k < bytes.size(); ++k)
    if (!in_core[k]) positions.push_back(k);
  std::mt19937 rng(7);
  int ran = 0, refused = 0;
  for (int i = 0; i < 1500; ++i) {
    auto m = bytes;
    for (int f = 0, n = 1 + int(rng() % 3); f < n; ++f) m[positions[rng() % positions.size()]] ^= uint8_t(1u << (rng() % 8));
    Engine engine;
    StoreLimits limits;
    limits.fuel = 1'000'000;
    Store store(engine, limits);
    WasiConfig config;
    config.args = {"p2_echo", "x"};
    config.output = [](wasmlet::OutputStream, std::span<const uint8_t>) {};
    WasiHost host(config);
    try {
      auto c = CompiledComponent::compile(engine, m, "mutated");
      run_component(store, c, host);
      ++ran;
    } catch (const wasmlet::Error&) {
      ++refused;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "mutation " << i << " escaped as " << typeid(e).name() << ": " << e.what();
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_GT(ran + refused, 1499);
}

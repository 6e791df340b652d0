// poll_oneoff: clocks sleep as long as asked, fds that are ready end the wait
// at once, and a guest blocked in a wait is ended by the call's timeout and
// by Store::interrupt().
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "wasi_test_support.h"

namespace wasmlet::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

WasiConfig args(std::vector<std::string> a) {
  WasiConfig c;
  c.args = std::move(a);
  return c;
}

TEST(WasiPoll, RelativeClockSleepsTheRequestedTime) {
  auto t0 = Clock::now();
  GuestRun run = run_guest("wasi_poll", args({"wasi_poll", "sleep", "300"}));
  auto elapsed = Clock::now() - t0;
  ASSERT_TRUE(run.outcome.returned()) << run.outcome.trap.to_string();
  EXPECT_EQ(run.out, "poll errno=0\nnevents=1\nuserdata=42 type=0 error=0 nbytes=0\nslept at least requested=1\n");
  EXPECT_GE(elapsed, 300ms);
  EXPECT_LT(elapsed, 1500ms);
}

TEST(WasiPoll, AbsoluteClocksFireAtTheirDeadline) {
  GuestRun run = run_guest("wasi_poll", args({"wasi_poll", "abs"}));
  ASSERT_TRUE(run.outcome.returned()) << run.outcome.trap.to_string();
  EXPECT_EQ(run.out,
            "poll errno=0\nnevents=1\nuserdata=1 type=0 error=0 nbytes=0\nfirst deadline only=1\n"
            "poll past errno=0\nnevents=1\nuserdata=3 type=0 error=0 nbytes=0\n");
}

TEST(WasiPoll, ReadyFdsAndBadFdsEndTheWaitAtOnce) {
  TempDir dir;
  write_file(dir / "stdin.txt", "abc");
  WasiConfig config = args({"wasi_poll", "mixed"});
  config.stdin_file = dir / "stdin.txt";
  GuestRun run = run_guest("wasi_poll", config);
  ASSERT_TRUE(run.outcome.returned()) << run.outcome.trap.to_string();
  EXPECT_EQ(run.out,
            "poll errno=0\nnevents=3\n"
            "userdata=2 type=2 error=0 nbytes=0\n"
            "userdata=3 type=1 error=0 nbytes=3\n"
            "userdata=4 type=1 error=8 nbytes=0\n"
            "returned at once=1\npoll bad clock errno=28\n");
}

TEST(WasiPoll, CallTimeoutEndsABlockedPoll) {
  auto t0 = Clock::now();
  StoreLimits limits;
  limits.timeout = 300ms;
  GuestRun run = run_guest("wasi_poll", args({"wasi_poll", "forever"}), limits);
  auto elapsed = Clock::now() - t0;
  ASSERT_TRUE(run.outcome.trapped());
  EXPECT_EQ(run.out, "sleeping\n");
  EXPECT_LT(elapsed, 3s);
}

// Runs NAME and calls Store::interrupt() from another thread after `after`.
Outcome run_and_interrupt(const std::string& name, WasiConfig config, std::chrono::milliseconds after) {
  Engine engine;
  Module module = Module::from_file(engine, wasm_path(name));
  Store store(engine);
  Linker linker;
  add_wasi_preview1(linker);
  config.output = [](OutputStream, std::span<const uint8_t>) {};
  attach_wasi(store, std::move(config));
  Instance instance = Instance::create(store, module, linker);
  std::thread stopper([&] {
    std::this_thread::sleep_for(after);
    store.interrupt();
  });
  Outcome outcome = instance.call("_start");
  stopper.join();
  return outcome;
}

TEST(WasiPoll, InterruptEndsABlockedPoll) {
  auto t0 = Clock::now();
  Outcome outcome = run_and_interrupt("wasi_poll", args({"wasi_poll", "forever"}), 200ms);
  EXPECT_TRUE(outcome.trapped());
  EXPECT_LT(Clock::now() - t0, 3s);
}

}  // namespace
}  // namespace wasmlet::testing

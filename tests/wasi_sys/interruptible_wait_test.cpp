// The one interruptible wait under both WASI front ends, on its own: real
// pipes, a real Store, its interrupt raised from another thread and its
// call deadline armed as a guest call arms it. How each front end turns the
// end into a trap is tested through real guests (tests/wasi/poll_test.cpp,
// tests/component/wasi_host_test.cpp).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "engine/access.h"
#include "wasi_sys/interruptible_wait.h"
#include "wasi_sys/unique_fd.h"
#include "wasmlet/engine.h"
#include "wasmlet/store.h"

namespace wasmlet::testing {
namespace {

using namespace std::chrono_literals;
using wasi_sys::UniqueFd;
using wasi_sys::WaitResult;
using End = WaitResult::End;

struct Pipe {
  UniqueFd read, write;
  Pipe() {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
    read = UniqueFd(fds[0]);
    write = UniqueFd(fds[1]);
  }
};

auto soon(std::chrono::milliseconds ms) { return std::chrono::steady_clock::now() + ms; }

TEST(WasiSysWait, ReportsTheReadyFdsAndKeepsTheList) {
  Engine engine;
  Store store(engine);
  Pipe idle, busy;
  ASSERT_EQ(::write(busy.write.get(), "x", 1), 1);
  std::vector<pollfd> fds{{idle.read.get(), POLLIN, 0}, {busy.read.get(), POLLIN, 0}};
  WaitResult r = wasi_sys::wait_interruptible(&store, fds, std::nullopt);
  EXPECT_EQ(r.end, End::Ready);
  EXPECT_EQ(r.ready, 1);
  ASSERT_EQ(fds.size(), 2u);  // the interrupt fd it waited on too is gone again
  EXPECT_EQ(fds[0].revents, 0);
  EXPECT_TRUE(fds[1].revents & POLLIN);
}

TEST(WasiSysWait, TimesOutAtUntil) {
  Engine engine;
  Store store(engine);
  Pipe idle;
  std::vector<pollfd> fds{{idle.read.get(), POLLIN, 0}};
  auto start = std::chrono::steady_clock::now();
  WaitResult r = wasi_sys::wait_interruptible(&store, fds, soon(50ms));
  EXPECT_EQ(r.end, End::TimedOut);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
  EXPECT_EQ(fds.size(), 1u);
}

TEST(WasiSysWait, EndsWhenAnotherThreadInterruptsTheStore) {
  Engine engine;
  Store store(engine);
  Pipe idle;
  std::vector<pollfd> fds{{idle.read.get(), POLLIN, 0}};
  std::thread stopper([&] {
    std::this_thread::sleep_for(50ms);
    store.interrupt();
  });
  WaitResult r = wasi_sys::wait_interruptible(&store, fds, std::nullopt);  // would block forever
  stopper.join();
  EXPECT_EQ(r.end, End::Interrupted);
  EXPECT_EQ(fds.size(), 1u);
  // Sticky: a later wait ends at once.
  EXPECT_EQ(wasi_sys::wait_interruptible(&store, fds, soon(10s)).end, End::Interrupted);
}

TEST(WasiSysWait, EndsAtTheStoresCallDeadlineBeforeALaterUntil) {
  Engine engine;
  Store store(engine, StoreLimits{.timeout = 50ms});
  detail::Access::arm_deadline(store);  // as a guest call does
  const auto deadline = *store.deadline();
  Pipe idle;
  std::vector<pollfd> fds{{idle.read.get(), POLLIN, 0}};
  WaitResult r = wasi_sys::wait_interruptible(&store, fds, soon(10s));
  const auto ended = std::chrono::steady_clock::now();
  detail::Access::clear_deadline(store);
  EXPECT_EQ(r.end, End::DeadlinePassed);
  EXPECT_GE(ended, deadline);
  EXPECT_LT(ended, deadline + 5s);
  EXPECT_EQ(fds.size(), 1u);
}

TEST(WasiSysWait, WithoutAStoreOnlyTheFdsAndUntilEndIt) {
  Pipe idle, busy;
  std::vector<pollfd> fds{{idle.read.get(), POLLIN, 0}};
  EXPECT_EQ(wasi_sys::wait_interruptible(nullptr, fds, soon(20ms)).end, End::TimedOut);
  ASSERT_EQ(::write(busy.write.get(), "x", 1), 1);
  fds.push_back({busy.read.get(), POLLIN, 0});
  WaitResult r = wasi_sys::wait_interruptible(nullptr, fds, std::nullopt);
  EXPECT_EQ(r.end, End::Ready);
  EXPECT_EQ(r.ready, 1);
  EXPECT_EQ(fds.size(), 2u);
}

}  // namespace
}  // namespace wasmlet::testing

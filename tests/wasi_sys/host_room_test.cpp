// The process-wide share of guest fds (src/wasi_sys/host_room.h): one guest
// context opening fds in a loop stops short of what the others are owed.
// Each test runs in its own process (gtest_discover_tests), so the tally of
// live contexts is this test's alone and RLIMIT_NOFILE may be lowered.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <barrier>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "wasi_sys/host_room.h"

namespace wasmlet::wasi_sys {
namespace {

// Sets the soft RLIMIT_NOFILE for the test's scope.
class SoftFdLimit {
 public:
  explicit SoftFdLimit(rlim_t soft) {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit limit = saved_;
    limit.rlim_cur = soft;
    ok_ = soft <= saved_.rlim_max && ::setrlimit(RLIMIT_NOFILE, &limit) == 0;
  }
  ~SoftFdLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
  bool ok() const { return ok_; }

 private:
  rlimit saved_{};
  bool ok_ = false;
};

size_t take_all(GuestFdShare& share) {
  while (share.may_take()) share.take();
  return share.held();
}

TEST(GuestFdShare, AContextAloneHoldsAtMostItsCap) {
  SoftFdLimit limit(kMaxGuestFds + 4 * kGuaranteedGuestFds);
  if (!limit.ok()) GTEST_SKIP() << "the hard RLIMIT_NOFILE is too low";
  GuestFdShare alone;
  EXPECT_EQ(take_all(alone), kMaxGuestFds);
}

TEST(GuestFdShare, AHeavyContextLeavesTheOthersTheirGuaranteedFds) {
  SoftFdLimit limit(2000);
  if (!limit.ok()) GTEST_SKIP() << "the hard RLIMIT_NOFILE is below 2,000";
  const size_t budget = 2000 - kHostReservedFds;
  ASSERT_EQ(guest_fd_budget(), budget);
  GuestFdShare heavy, light;
  // The heavy one leaves the light one its guaranteed fds, and one share
  // more for a context yet to start.
  EXPECT_EQ(take_all(heavy), budget - 2 * kGuaranteedGuestFds);
  EXPECT_EQ(take_all(light), kGuaranteedGuestFds);
  {
    GuestFdShare late;
    EXPECT_EQ(take_all(late), kGuaranteedGuestFds);
    // Now the budget is spent: one more context gets nothing.
    GuestFdShare later;
    EXPECT_FALSE(later.may_take());
  }
  // What an ended context held is free again, for the others' guaranteed
  // fds first: the heavy one takes no more while one share is kept free.
  EXPECT_FALSE(heavy.may_take());
  GuestFdShare next;
  EXPECT_EQ(take_all(next), kGuaranteedGuestFds);
  // Giving fds back lets a context take them again.
  for (int i = 0; i < 10; ++i) heavy.give_back();
  EXPECT_FALSE(light.may_take());  // beyond its guarantee: one share is kept free
  EXPECT_FALSE(heavy.may_take());
  for (int i = 0; i < 10; ++i) next.give_back();
  EXPECT_TRUE(next.may_take());
}

// Many idle contexts are owed more than half the budget: a busy one still
// gets half of it.
TEST(GuestFdShare, ManyIdleContextsLeaveTheBusyOnesHalfTheBudget) {
  SoftFdLimit limit(2000);
  if (!limit.ok()) GTEST_SKIP() << "the hard RLIMIT_NOFILE is below 2,000";
  const size_t budget = 2000 - kHostReservedFds;
  std::vector<std::unique_ptr<GuestFdShare>> idle;
  for (int i = 0; i < 20; ++i) idle.push_back(std::make_unique<GuestFdShare>());  // owed 5,120
  GuestFdShare busy;
  EXPECT_EQ(take_all(busy), budget - budget / 2);
  // An idle one still gets its guaranteed fds from the half kept.
  EXPECT_EQ(take_all(*idle[0]), kGuaranteedGuestFds);
}

// Contexts opening at the same time never together pass the budget: the
// check and the count are one step (FdSlot, GuestFdShare::try_take). With
// may_take and take apart, two contexts could both see the last fd free and
// both take it. Eight threads, each its own context, take all they can
// (through FdSlot, as the front ends do) again and again; every round the
// tally must be the budget exactly.
TEST(GuestFdShare, ContextsOpeningAtOnceNeverPassTheBudget) {
  SoftFdLimit limit(kHostReservedFds + 100);
  if (!limit.ok()) GTEST_SKIP() << "cannot set RLIMIT_NOFILE";
  constexpr size_t kBudget = 100;
  ASSERT_EQ(guest_fd_budget(), kBudget);
  constexpr int kThreads = 8, kRounds = 2000;
  std::vector<std::unique_ptr<GuestFdShare>> shares;
  for (int i = 0; i < kThreads; ++i) shares.push_back(std::make_unique<GuestFdShare>());
  std::barrier sync(kThreads, [] noexcept {});
  std::atomic<size_t> taken{0}, overshoots{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      GuestFdShare& share = *shares[i];
      for (int round = 0; round < kRounds; ++round) {
        for (;;) {
          FdSlot slot(share);
          if (!slot) break;
          slot.keep();
          taken.fetch_add(1);
        }
        sync.arrive_and_wait();
        if (i == 0) {
          if (taken.load() != kBudget) overshoots.fetch_add(1);
          taken.store(0);
        }
        sync.arrive_and_wait();
        while (share.held() > 0) share.give_back();
        sync.arrive_and_wait();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(overshoots.load(), 0u) << "rounds in which the contexts together held other than the budget";
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
constexpr bool kAddressSanitizer = __has_feature(address_sanitizer);
#else
constexpr bool kAddressSanitizer = false;
#endif

// Sets an environment variable for the test's scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// Every guest open asks for the fd limit twice: guest_fd_budget as it takes
// its slot (FdSlot), leaves_host_room once it has the fd. After
// raise_fd_limit, which every guest context makes first, neither makes a
// system call (a getrlimit cost 0.76 us an open). The reads of
// RLIMIT_NOFILE are counted by tests/support/count_getrlimit.c, preloaded
// into a child of this test binary (a death test, run by re-executing it).
TEST(GuestFdShare, OpensAfterTheRaiseReadTheLimitNoMore) {
  ScopedEnv preload("LD_PRELOAD", COUNT_GETRLIMIT_SHIM);
  // gcc's ASan runtime is a shared library, and the preloaded shim comes before it.
  const char* asan = std::getenv("ASAN_OPTIONS");
  std::optional<ScopedEnv> asan_options;
  if (kAddressSanitizer)
    asan_options.emplace("ASAN_OPTIONS", (asan ? std::string(asan) + ":" : "") + "verify_asan_link_order=0");
  const std::string style = GTEST_FLAG_GET(death_test_style);
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        using Count = long (*)();
        const auto reads = reinterpret_cast<Count>(::dlsym(RTLD_DEFAULT, "count_getrlimit_nofile_reads"));
        if (!reads) {
          std::fprintf(stderr, "the shim is not loaded\n");
          ::_exit(1);
        }
        raise_fd_limit();
        const long at_raise = reads();
        GuestFdShare share;
        for (int i = 0; i < 1000; ++i) {
          FdSlot slot(share);
          if (!slot || !leaves_host_room(3)) ::_exit(2);
        }
        // The raise's read shows the shim counts the calls host_room makes.
        std::fprintf(stderr, "reads at the raise: %ld, in 1000 opens: %ld\n", at_raise, reads() - at_raise);
        ::_exit(0);
      },
      ::testing::ExitedWithCode(0), "reads at the raise: [1-9][0-9]*, in 1000 opens: 0\n");
  GTEST_FLAG_SET(death_test_style, style);
}

}  // namespace
}  // namespace wasmlet::wasi_sys

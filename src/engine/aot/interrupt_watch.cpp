#include "engine/aot/interrupt_watch.h"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "wasmlet/store.h"

namespace wasmlet::detail::aot {

namespace {

using Clock = std::chrono::steady_clock;
// While calls are registered the watcher looks at them at least this often
// (an interrupt() is noticed at once through notify_interrupt anyway).
constexpr auto kHeartbeat = std::chrono::milliseconds(10);
// How often a stopped call that has not ended yet is signalled again.
constexpr auto kResignal = std::chrono::milliseconds(2);
// After the last call ends the watcher keeps its heartbeat this long, so
// that a stream of short calls (plugins) never has to wake it.
constexpr auto kLinger = std::chrono::seconds(1);

sigset_t stop_signal_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGURG);
  return set;
}

class Watcher {
 public:
  Watcher() { std::thread([this] { run(); }).detach(); }

  void add(WatchedCall* call) {
    std::lock_guard lock(mutex_);
    calls_.push_back(call);
    // Wake the watcher only if it would otherwise sleep past this deadline
    // (or forever): most calls need no system call at all.
    const auto due = call->deadline ? *call->deadline : Clock::time_point::max();
    if (due < wake_at_ || wake_at_ == Clock::time_point::max()) wake_.notify_one();
  }

  void remove(WatchedCall* call) {
    std::lock_guard lock(mutex_);
    calls_.erase(std::find(calls_.begin(), calls_.end(), call));
    if (calls_.empty()) last_active_ = Clock::now();
  }

  void notify() {
    std::lock_guard lock(mutex_);
    wake_.notify_one();
  }

 private:
  [[noreturn]] void run() {
    // The watcher must never take the signal it sends.
    const sigset_t block = stop_signal_set();
    pthread_sigmask(SIG_BLOCK, &block, nullptr);
    std::unique_lock lock(mutex_);
    while (true) {
      const auto now = Clock::now();
      wake_at_ = Clock::time_point::max();
      for (WatchedCall* call : calls_) {
        if (!call->stop.load(std::memory_order_relaxed) &&
            (call->store->interrupt_requested() || (call->deadline && now >= *call->deadline)))
          call->stop.store(true, std::memory_order_release);
        if (call->stop.load(std::memory_order_relaxed)) {
          pthread_kill(call->thread, SIGURG);  // under the lock: the thread is still in its call
          wake_at_ = std::min(wake_at_, now + kResignal);
        } else if (call->deadline) {
          wake_at_ = std::min(wake_at_, *call->deadline);
        }
      }
      if (!calls_.empty() || now - last_active_ < kLinger) wake_at_ = std::min(wake_at_, now + kHeartbeat);
      if (wake_at_ == Clock::time_point::max()) wake_.wait(lock);
      else wake_.wait_until(lock, wake_at_);
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<WatchedCall*> calls_;
  Clock::time_point wake_at_ = Clock::time_point::max();
  Clock::time_point last_active_{};
};

std::atomic<Watcher*> g_watcher{nullptr};

Watcher& watcher() {
  static Watcher* instance = [] {
    auto* w = new Watcher();  // never destroyed: its thread runs until the process ends
    g_watcher.store(w, std::memory_order_release);
    return w;
  }();
  return *instance;
}

thread_local WatchedCall* t_current = nullptr;
// SIGURG was found unblocked on this thread by an earlier call: calls made
// here need no system call to make sure it is delivered.
thread_local bool t_signal_unblocked = false;

// Unblocks SIGURG on this thread if it is blocked; true if it was.
bool unblock_stop_signal() {
  if (t_signal_unblocked) return false;
  const sigset_t set = stop_signal_set();
  sigset_t before;
  if (pthread_sigmask(SIG_UNBLOCK, &set, &before) != 0) return false;
  const bool was_blocked = sigismember(&before, SIGURG) == 1;
  t_signal_unblocked = !was_blocked;
  return was_blocked;
}

}  // namespace

void notify_interrupt() {
  // No watcher yet: no call without checks has ever run, so none runs now.
  if (Watcher* w = g_watcher.load(std::memory_order_acquire)) w->notify();
}

WatchScope::WatchScope(Store& store) : outer_(t_current) {
  if (outer_ && outer_->store == &store) {
    active_ = false;
    return;
  }
  call_.store = &store;
  call_.thread = pthread_self();
  call_.deadline = store.deadline();
  reblock_signal_ = unblock_stop_signal();
  watcher().add(&call_);
  t_current = &call_;
}

WatchScope::~WatchScope() {
  if (!active_) return;
  watcher().remove(&call_);
  t_current = outer_;
  if (reblock_signal_) {
    // A signal the watcher sent after the call's end stays pending, as it
    // would have been without the call: the handler ignores it anyway.
    const sigset_t set = stop_signal_set();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
  }
}

}  // namespace wasmlet::detail::aot

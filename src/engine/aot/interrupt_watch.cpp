#include "engine/aot/interrupt_watch.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include "wasmlet/store.h"

namespace wasmlet::detail::aot {

namespace {

using Clock = std::chrono::steady_clock;
// How often a stopped call that has not ended yet is signalled again.
constexpr auto kResignal = std::chrono::milliseconds(2);

class Watcher {
 public:
  Watcher() {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    wake_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (epoll_ < 0 || wake_ < 0) {
      std::perror("wasmlet: fatal: cannot start the AOT interrupt watcher");
      std::abort();
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;  // the wake fd
    epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &ev);
    std::thread([this] { run(); }).detach();
  }

  void add(WatchedCall* call) {
    std::lock_guard lock(mutex_);
    calls_.push_back(call);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLONESHOT;  // an interrupted store's eventfd stays readable
    ev.data.ptr = call;
    // EEXIST: the same Store is watched on another thread already (a misuse
    // the Store's contract forbids); its deadline is still watched.
    epoll_ctl(epoll_, EPOLL_CTL_ADD, call->store->interrupt_fd(), &ev);
    if (call->deadline && *call->deadline < next_wake_) wake();
  }

  void remove(WatchedCall* call) {
    std::lock_guard lock(mutex_);
    calls_.erase(std::find(calls_.begin(), calls_.end(), call));
    epoll_ctl(epoll_, EPOLL_CTL_DEL, call->store->interrupt_fd(), nullptr);
  }

 private:
  void wake() {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(wake_, &one, sizeof one);
  }

  [[noreturn]] void run() {
    // The watcher must never take the signal it sends.
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGURG);
    pthread_sigmask(SIG_BLOCK, &block, nullptr);
    std::vector<epoll_event> events(64);
    while (true) {
      int timeout_ms = -1;
      {
        std::lock_guard lock(mutex_);
        const auto now = Clock::now();
        next_wake_ = Clock::time_point::max();
        for (WatchedCall* call : calls_) {
          if (!call->stop.load(std::memory_order_relaxed) &&
              (call->store->interrupt_requested() || (call->deadline && now >= *call->deadline)))
            call->stop.store(true, std::memory_order_release);
          if (call->stop.load(std::memory_order_relaxed)) {
            pthread_kill(call->thread, SIGURG);
            next_wake_ = std::min(next_wake_, now + kResignal);
          } else if (call->deadline) {
            next_wake_ = std::min(next_wake_, *call->deadline);
          }
        }
        if (next_wake_ != Clock::time_point::max()) {
          auto wait = std::chrono::ceil<std::chrono::milliseconds>(next_wake_ - now).count();
          timeout_ms = static_cast<int>(std::clamp<int64_t>(wait, 0, 60'000));
        }
      }
      int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), timeout_ms);
      if (n < 0 && errno != EINTR) std::perror("wasmlet: AOT interrupt watcher: epoll_wait");
      for (int i = 0; i < n; ++i) {
        if (events[i].data.ptr == nullptr) {
          uint64_t drained;
          [[maybe_unused]] ssize_t r = read(wake_, &drained, sizeof drained);
        }
        // A readable interrupt fd is handled by the scan at the top of the loop.
      }
    }
  }

  std::mutex mutex_;
  std::vector<WatchedCall*> calls_;
  Clock::time_point next_wake_ = Clock::time_point::max();
  int epoll_ = -1;
  int wake_ = -1;
};

Watcher& watcher() {
  static Watcher* instance = new Watcher();  // never destroyed: its thread runs until the process ends
  return *instance;
}

}  // namespace

thread_local WatchedCall* t_current = nullptr;

WatchScope::WatchScope(Store& store) : outer_(t_current) {
  if (outer_ && outer_->store == &store) {
    active_ = false;
    return;
  }
  call_.store = &store;
  call_.thread = pthread_self();
  call_.deadline = store.deadline();
  watcher().add(&call_);
  t_current = &call_;
}

WatchScope::~WatchScope() {
  if (!active_) return;
  watcher().remove(&call_);
  t_current = outer_;
}

}  // namespace wasmlet::detail::aot

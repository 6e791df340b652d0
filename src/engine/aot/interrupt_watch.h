// Stopping AOT code that has no checks compiled in (the default build, see
// docs/aot.md "Two builds"). While such a guest call runs it is registered
// with one process-wide watcher thread, which sleeps until the earliest
// deadline of the registered calls, or until Store::interrupt() wakes it
// (notify_interrupt), and in any case looks at them every 10 ms while
// calls are active. When a call must stop it marks it stopped and sends
// SIGURG to the guest's thread (as Go's preemption does: the signal is
// ignored by default and applications rarely use it). The handler
// (wasm_rt_runtime.cpp) unwinds the guest if the thread is executing guest
// code; in host or runtime code it does nothing and the stop is taken when
// control returns to the guest from an import. Because a signal can land in
// libc (memcpy for memory.copy) the watcher repeats it every 2 ms until the
// call ends. Registering a call takes a mutex and no system call, except
// on a thread that has SIGURG blocked (an embedder's worker threads often
// block signals for sigwait): the call unblocks it while it runs and blocks
// it again after, two system calls per call, since a blocked signal would
// leave timeouts and interrupts without effect. A thread found with SIGURG
// unblocked is not checked again.
#pragma once

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <optional>

namespace wasmlet {
class Store;
}

namespace wasmlet::detail::aot {

// One guest call under watch; lives on the guest thread's stack.
struct WatchedCall {
  Store* store = nullptr;
  pthread_t thread{};
  std::optional<std::chrono::steady_clock::time_point> deadline;
  // Set by the watcher (before it signals); read by the signal handler.
  std::atomic<bool> stop{false};
};

// Registers the current thread's call for the duration of the scope.
// Construct it after the Store armed its deadline. A nested call into the
// same Store (host -> guest) is covered by the outer call's registration.
class WatchScope {
 public:
  explicit WatchScope(Store& store);
  ~WatchScope();
  WatchScope(const WatchScope&) = delete;
  WatchScope& operator=(const WatchScope&) = delete;
  const std::atomic<bool>* stop_flag() const { return active_ ? &call_.stop : &outer_->stop; }

 private:
  WatchedCall call_;
  WatchedCall* outer_;
  bool active_ = true;
  // SIGURG was blocked on this thread when the call began: blocked again at its end.
  bool reblock_signal_ = false;
};

// Wakes the watcher at once: a Store was interrupted (called by Store::interrupt).
void notify_interrupt();

}  // namespace wasmlet::detail::aot

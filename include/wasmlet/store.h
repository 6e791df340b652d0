// A Store holds one guest's limits and accounting: memory cap, fuel budget,
// per-call timeout, an interrupt flag that another thread may raise, and the
// host state (for example the WASI context) that host functions reach.
// A guest may be several instances linked to each other (a component's core
// instances): they share one Store, and with it one memory limit (all their
// memories together), one fuel budget, one deadline and one interrupt flag.
// A Store is used by one thread at a time, except for interrupt() and the
// read-only accounting getters, which any thread may call. A Store must
// outlive the instances created in it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <typeindex>
#include <unordered_map>

#include "wasmlet/guest_memory.h"
#include "wasmlet/outcome.h"
#include "wasmlet/value.h"

namespace wasmlet {

class Engine;
class Extern;
namespace detail {
struct Access;
}

struct StoreLimits {
  std::optional<uint64_t> max_memory_bytes;           // linear memory, all memories together
  std::optional<uint64_t> fuel;                       // instruction budget (see docs/architecture.md)
  std::optional<std::chrono::nanoseconds> timeout;    // wall time per call, re-armed on every call
};

class Store {
 public:
  explicit Store(Engine& engine, StoreLimits limits = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  Engine& engine() const { return engine_; }
  const StoreLimits& limits() const { return limits_; }

  // Asks the running guest to stop at its next check point (loop header,
  // function entry, or blocking host call). Thread-safe; sticky.
  void interrupt();
  bool interrupt_requested() const { return interrupted_.load(std::memory_order_relaxed); }
  // Readable once interrupt() has been called: host functions that block
  // (poll_oneoff, reads) include it in their wait set. Made on first use (a
  // Store whose guest never blocks needs none); throws Error if the system
  // refuses an eventfd.
  int interrupt_fd() const;

  // The deadline of the call in progress, if a timeout is set.
  std::optional<std::chrono::steady_clock::time_point> deadline() const { return deadline_; }

  uint64_t fuel_consumed() const { return fuel_consumed_.load(std::memory_order_relaxed); }
  uint64_t memory_bytes() const { return memory_bytes_.load(std::memory_order_relaxed); }
  // True once a memory.grow was refused because of max_memory_bytes.
  bool memory_limit_hit() const { return memory_limit_hit_.load(std::memory_order_relaxed); }

  // Host state, one object per type (the WASI context, a plugin's config...).
  template <typename T>
  void set_host_state(std::shared_ptr<T> state) { host_state_[typeid(T)] = std::move(state); }
  template <typename T>
  T* host_state() const {
    auto it = host_state_.find(typeid(T));
    return it == host_state_.end() ? nullptr : static_cast<T*>(it->second.get());
  }

  // Calls a function Extern of this Store (UsageError if it is not a
  // function of this Store or the arguments do not match its type). May be
  // called from inside a host function: the nested call keeps the outer
  // call's deadline, and if it exits or traps, the outermost call ends with
  // that exit or trap once the host function returns (whatever it returns).
  Outcome call(const Extern& function, std::span<const Value> args = {});
  // A bounds-checked view of a memory Extern of this Store (UsageError for
  // another kind or Store). Valid until the guest runs again.
  GuestMemory memory(const Extern& memory);
  // Counts fuel from zero again: the next call may use the whole fuel limit
  // and fuel_consumed() reports what it uses alone (a plugin call each).
  void restart_fuel_count();

 private:
  friend struct detail::Access;  // the engine's tiers reach the members below through it (src/engine/access.h)
  // A call into the guest begins / ends. The outermost call arms the
  // per-call deadline; nested calls (a host function calling back into the
  // guest) keep the outer call's deadline, and only the outermost end clears it.
  void arm_deadline();
  void clear_deadline();
  void set_fuel_consumed(uint64_t v) { fuel_consumed_.store(v, std::memory_order_relaxed); }
  void set_memory_bytes(uint64_t v) { memory_bytes_.store(v, std::memory_order_relaxed); }
  void note_memory_limit_hit() { memory_limit_hit_.store(true, std::memory_order_relaxed); }

  Engine& engine_;
  StoreLimits limits_;
  std::atomic<bool> interrupted_{false};
  mutable std::atomic<int> interrupt_fd_{-1};
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  std::atomic<uint64_t> fuel_consumed_{0};
  std::atomic<uint64_t> memory_bytes_{0};
  std::atomic<bool> memory_limit_hit_{false};
  uint64_t fuel_granted_ = 0;
  int calls_in_progress_ = 0;
  std::unordered_map<std::type_index, std::shared_ptr<void>> host_state_;
  std::unordered_map<std::type_index, std::shared_ptr<void>> tier_state_;
};

}  // namespace wasmlet

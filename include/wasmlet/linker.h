// Host functions, written once for every tier. A host function receives its
// arguments as typed Values, writes its results, and reaches the guest only
// through a Caller: a bounds-checked view of the caller's memory, its Store,
// and the two ways to end the guest (exit with a code, or trap).
#pragma once

#include <functional>
#include <map>
#include <span>
#include <string>
#include <utility>

#include "wasmlet/guest_memory.h"
#include "wasmlet/value.h"

namespace wasmlet {

class Store;

// Implemented by each tier: where the calling instance keeps its memory.
class MemorySource {
 public:
  virtual ~MemorySource() = default;
  virtual GuestMemory memory() = 0;
};

class Caller {
 public:
  Caller(Store& store, MemorySource& memory, const std::string& function)
      : store_(store), memory_(memory), function_(function) {}

  Store& store() const { return store_; }
  // The calling instance's exported "memory" (empty if it exports none).
  GuestMemory memory() const { return memory_.memory(); }
  // "module.name" of the host function being called, for messages.
  const std::string& function() const { return function_; }

  // End the guest now with an exit code (WASI proc_exit).
  [[noreturn]] void exit(int code) const;
  // End the guest now with a trap whose message names this host function.
  [[noreturn]] void trap(const std::string& message) const;

 private:
  Store& store_;
  MemorySource& memory_;
  const std::string& function_;
};

using HostFunction = std::function<void(Caller&, std::span<const Value> args, std::span<Value> results)>;

struct HostDefinition {
  FuncType type;
  HostFunction function;
};

class Linker {
 public:
  // Defines (or replaces) the host function module.name.
  void define(std::string module, std::string name, FuncType type, HostFunction function) {
    definitions_[{std::move(module), std::move(name)}] = {std::move(type), std::move(function)};
  }
  const HostDefinition* find(const std::string& module, const std::string& name) const {
    auto it = definitions_.find({module, name});
    return it == definitions_.end() ? nullptr : &it->second;
  }

 private:
  std::map<std::pair<std::string, std::string>, HostDefinition> definitions_;
};

namespace detail {
// Thrown by Caller::exit / Caller::trap and caught by the tier at the host
// call boundary; never crosses guest frames.
struct HostExit {
  int code;
};
struct HostTrap {
  std::string message;
};
}  // namespace detail

}  // namespace wasmlet

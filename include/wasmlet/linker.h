// What an instance's imports are satisfied with: host functions, written
// once for every tier, and Externs (another instance's exports in the same
// Store). A host function receives its arguments as typed Values, writes its
// results, and reaches the guest only through a Caller: a bounds-checked view
// of the caller's memory (or of any memory Extern), its Store, and the two
// ways to end the guest (exit with a code, or trap).
//
// Instance::create copies what it needs from the Linker: an Instance may
// outlive the Linker it was made with.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "wasmlet/extern.h"
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
  // A view of a specific memory of the same Store (Store::memory).
  GuestMemory memory(const Extern& memory) const;
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
  void define(std::string module, std::string name, FuncType type, HostFunction function);
  // Defines (or replaces) module.name as another instance's export: a
  // function, table, memory or global living in the Store the importing
  // instance is created in. Memories, tables and globals are shared, not
  // copied. Instance::create type-checks it as the spec does and throws
  // LinkError naming the import if it does not match or lives in another Store.
  void define(std::string module, std::string name, Extern item);

  // The host function module.name. A function Extern is also visible here,
  // as a host function that calls it (for tiers that link only host functions).
  const HostDefinition* find(const std::string& module, const std::string& name) const;
  // The Extern defined as module.name, if any.
  const Extern* find_extern(const std::string& module, const std::string& name) const;

 private:
  std::map<std::pair<std::string, std::string>, HostDefinition> definitions_;
  std::map<std::pair<std::string, std::string>, Extern> externs_;
};

}  // namespace wasmlet

// An instantiated module inside a Store: call its exports, read its memory.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "wasmlet/extern.h"
#include "wasmlet/guest_memory.h"
#include "wasmlet/outcome.h"
#include "wasmlet/value.h"

namespace wasmlet {

class Store;
class Module;
class Linker;
namespace detail {
class TierInstance;
}

class Instance {
 public:
  // Resolves every import against the linker (LinkError names the missing or
  // mistyped import), applies the Store's limits, and runs the start function.
  // A trap in the start function is reported in start_outcome(). Many
  // instances may share a Store (and import each other's exports); nothing
  // of the Linker is referenced after create() returns.
  static Instance create(Store& store, const Module& module, const Linker& linker);

  Instance(Instance&&) noexcept;
  Instance& operator=(Instance&&) noexcept;
  ~Instance();

  // Calls an exported function. Arguments are checked against its type
  // (UsageError on mismatch). Limits apply; the timeout is re-armed per call.
  Outcome call(std::string_view export_name, std::span<const Value> args = {});

  // An export of any kind, as an Extern of this instance's Store; nullopt if
  // there is no such export. Every kind (function, table, memory, global) is
  // available in both tiers. An Extern keeps what it refers to alive, but is
  // only usable while its Store exists.
  std::optional<Extern> get_export(std::string_view name);

  // The exported "memory" (empty view if there is none).
  GuestMemory memory();
  const Outcome& start_outcome() const;
  const Module& module() const;

 private:
  Instance(Store& store, std::shared_ptr<detail::TierInstance> impl);
  Store* store_;
  std::shared_ptr<detail::TierInstance> impl_;
};

}  // namespace wasmlet

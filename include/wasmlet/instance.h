// An instantiated module inside a Store: call its exports, read its memory.
#pragma once

#include <memory>
#include <span>
#include <string_view>

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
  // A trap in the start function is reported in start_outcome().
  static Instance create(Store& store, const Module& module, const Linker& linker);

  Instance(Instance&&) noexcept;
  Instance& operator=(Instance&&) noexcept;
  ~Instance();

  // Calls an exported function. Arguments are checked against its type
  // (UsageError on mismatch). Limits apply; the timeout is re-armed per call.
  Outcome call(std::string_view export_name, std::span<const Value> args = {});

  // The exported "memory" (empty view if there is none).
  GuestMemory memory();
  const Outcome& start_outcome() const;
  const Module& module() const;

 private:
  explicit Instance(std::unique_ptr<detail::TierInstance> impl);
  std::unique_ptr<detail::TierInstance> impl_;
};

}  // namespace wasmlet

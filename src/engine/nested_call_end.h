// How a Store's guest calls end when a nested call fails.
//
// A host function may call back into the guest (Store::call: a component's
// cabi_realloc, post-return). If that nested call exits or traps, the
// first such end is kept and every enclosing call, up to the outermost,
// ends with it, whatever the host function does with the nested Outcome.
// Both tiers keep one of these per Store, beside their call depth.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "wasmlet/outcome.h"

namespace wasmlet::detail {

class NestedCallEnd {
 public:
  bool pending() const { return exit_.has_value() || trap_.has_value(); }
  void keep_first_exit(int code) {
    if (!pending()) exit_ = code;
  }
  void keep_first_trap(TrapInfo trap) {
    if (!pending()) trap_ = std::move(trap);
  }
  // Called in a `catch (...)` around a host function: keeps what it threw
  // (HostExit, HostTrap, a MeterTrap from a blocking wait, or any other
  // exception as a host error naming `function`), unless an end is pending.
  void keep_host_failure(const std::string& function);
  // What a tier passes through its own unwinding: "exit", else the trap's message.
  std::string message() const { return exit_ ? "exit" : trap_ ? trap_->message : std::string(); }

  // The Outcome of a call at `depth` (1 = the outermost) that ends with the
  // pending exit or trap; `function` names the trap site if it has no name.
  // The outermost call consumes it.
  Outcome take(int depth, const std::string& function) {
    Outcome outcome;
    if (exit_) {
      outcome.kind = Outcome::Kind::Exited;
      outcome.exit_code = *exit_;
    } else {
      outcome.kind = Outcome::Kind::Trapped;
      if (trap_) outcome.trap = *trap_;
      if (outcome.trap.function.empty()) outcome.trap.function = function;
    }
    if (depth == 1) {
      exit_.reset();
      trap_.reset();
    }
    return outcome;
  }

 private:
  std::optional<int> exit_;
  std::optional<TrapInfo> trap_;
};

}  // namespace wasmlet::detail

// How a call into a guest ended: it returned, it exited (proc_exit), or it trapped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wasmlet/value.h"

namespace wasmlet {

enum class TrapKind {
  Unreachable,
  MemoryOutOfBounds,
  TableOutOfBounds,
  IntegerDivideByZero,
  IntegerOverflow,
  InvalidConversion,
  IndirectCallTypeMismatch,
  UninitializedElement,
  NullReference,
  StackExhausted,
  FuelExhausted,       // the Store's fuel budget ran out
  Interrupted,         // Store::interrupt() (stop) was called
  DeadlineExceeded,    // the per-call timeout expired
  HostError,           // a host function failed or trapped on purpose
  Other,
};

const char* to_string(TrapKind kind);
// The limit that caused a trap, if it was one ("fuel", "timeout", "interrupt").
std::optional<std::string> limit_name(TrapKind kind);

struct TrapInfo {
  TrapKind kind = TrapKind::Other;
  std::string message;   // "integer divide by zero"
  std::string function;  // the guest function that trapped, when known
  std::string to_string() const;
};

struct Outcome {
  enum class Kind { Returned, Exited, Trapped };
  Kind kind = Kind::Returned;
  std::vector<Value> results;  // Returned
  int exit_code = 0;           // Exited
  TrapInfo trap;               // Trapped

  bool returned() const { return kind == Kind::Returned; }
  bool exited() const { return kind == Kind::Exited; }
  bool trapped() const { return kind == Kind::Trapped; }
  // The process-style exit status: 0 on return, the code on exit, 1 on a trap
  // (128 + signal style codes are the runtime's business, not the engine's).
  int status() const;
};

}  // namespace wasmlet

#include "wasmlet/outcome.h"

#include <fmt/format.h>

namespace wasmlet {

const char* to_string(TrapKind kind) {
  switch (kind) {
    case TrapKind::Unreachable: return "unreachable";
    case TrapKind::MemoryOutOfBounds: return "out of bounds memory access";
    case TrapKind::TableOutOfBounds: return "out of bounds table access";
    case TrapKind::IntegerDivideByZero: return "integer divide by zero";
    case TrapKind::IntegerOverflow: return "integer overflow";
    case TrapKind::InvalidConversion: return "invalid conversion to integer";
    case TrapKind::IndirectCallTypeMismatch: return "indirect call type mismatch";
    case TrapKind::UninitializedElement: return "uninitialized element";
    case TrapKind::NullReference: return "null reference";
    case TrapKind::StackExhausted: return "call stack exhausted";
    case TrapKind::FuelExhausted: return "fuel exhausted";
    case TrapKind::Interrupted: return "interrupted";
    case TrapKind::DeadlineExceeded: return "timeout";
    case TrapKind::HostError: return "host error";
    case TrapKind::Other: return "trap";
  }
  return "trap";
}

std::optional<std::string> limit_name(TrapKind kind) {
  switch (kind) {
    case TrapKind::FuelExhausted: return "fuel";
    case TrapKind::DeadlineExceeded: return "timeout";
    case TrapKind::Interrupted: return "interrupt";
    default: return std::nullopt;
  }
}

std::string TrapInfo::to_string() const {
  std::string s = fmt::format("trap: {}", wasmlet::to_string(kind));
  if (!message.empty() && message != wasmlet::to_string(kind)) s += fmt::format(" ({})", message);
  if (!function.empty()) s += fmt::format(" in function '{}'", function);
  return s;
}

int Outcome::status() const {
  switch (kind) {
    case Kind::Returned: return 0;
    case Kind::Exited: return exit_code;
    case Kind::Trapped: return 1;
  }
  return 1;
}

}  // namespace wasmlet

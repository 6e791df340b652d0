#include "wast/trap_match.h"

#include <initializer_list>
#include <string_view>

namespace wasmlet::wast {
namespace {

struct Wording {
  std::string_view spec_prefix;
  std::initializer_list<TrapKind> kinds;
};

// The spec interpreter's trap messages and the kinds that report them.
constexpr Wording kWordings[] = {
    {"unreachable", {TrapKind::Unreachable}},
    {"integer divide by zero", {TrapKind::IntegerDivideByZero}},
    {"integer overflow", {TrapKind::IntegerOverflow}},
    {"invalid conversion to integer", {TrapKind::InvalidConversion}},
    {"out of bounds memory access", {TrapKind::MemoryOutOfBounds}},
    {"out of bounds table access", {TrapKind::TableOutOfBounds}},
    // call_indirect with an index past the table's end
    {"undefined element", {TrapKind::TableOutOfBounds, TrapKind::UninitializedElement}},
    {"uninitialized element", {TrapKind::UninitializedElement, TrapKind::NullReference}},
    {"indirect call type mismatch", {TrapKind::IndirectCallTypeMismatch}},
    {"null function reference", {TrapKind::NullReference, TrapKind::UninitializedElement}},
    {"null reference", {TrapKind::NullReference, TrapKind::UninitializedElement}},
    {"call stack exhausted", {TrapKind::StackExhausted}},
};

}  // namespace

bool trap_matches(const std::string& expected, const TrapInfo& trap) {
  if (!expected.empty() && trap.message.rfind(expected, 0) == 0) return true;
  for (const auto& wording : kWordings) {
    if (expected.rfind(wording.spec_prefix, 0) != 0) continue;
    for (TrapKind kind : wording.kinds)
      if (trap.kind == kind) return true;
    return false;
  }
  // A wording this table does not know: any trap will do.
  return true;
}

}  // namespace wasmlet::wast

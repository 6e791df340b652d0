// Whether a trap is the one a script's assert_trap / assert_exhaustion
// names. The spec's wording ("undefined element") differs from the
// engine's ("undefined table index"), so the expected text is mapped to the
// engine's TrapKinds; a trap whose message starts with the expected text
// matches too.
#pragma once

#include <string>

#include "wasmlet/outcome.h"

namespace wasmlet::wast {

bool trap_matches(const std::string& expected, const TrapInfo& trap);

}  // namespace wasmlet::wast

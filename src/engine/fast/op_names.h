// The name of each Op, for the instruction profile (op_profile.h).
#pragma once

#include "engine/fast/code.h"

namespace wasmlet::detail::fast {

const char* op_name(Op op);

}  // namespace wasmlet::detail::fast

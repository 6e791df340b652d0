// Conversions between wabt's types and wasmlet's, and the feature set the
// engine accepts (everything clang-19 and rustc emit by default, plus SIMD).
#pragma once

#include <wabt/feature.h>
#include <wabt/type.h>

#include "wasmlet/value.h"

namespace wasmlet::detail {

ValType from_wabt(wabt::Type type);
wabt::Type to_wabt(ValType type);
const wabt::Features& engine_features();

}  // namespace wasmlet::detail

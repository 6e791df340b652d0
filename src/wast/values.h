// Script constants as engine Values, and the spec's rules for comparing a
// result with an expectation (NaN patterns, v128 compared lane by lane in
// the expectation's shape, references by null-ness or host handle).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "wasmlet/value.h"

namespace wabt {
struct Const;
}

namespace wasmlet::wast {

// The Value a script constant stands for as an argument (`ref.extern N` is
// the host reference N + 1, value.h); nullopt for what the engine API cannot
// express (a non-null funcref), so commands using one fail as unsupported.
std::optional<Value> to_value(const wabt::Const& constant);

// Whether `actual` is what `expected` (a constant or a NaN pattern) allows.
bool matches(const wabt::Const& expected, const Value& actual);

// "i32:42", "f32:nan:canonical", "v128:i32x4 1 2 3 4", "ref.null func" (for messages).
std::string describe(const wabt::Const& expected);
std::string describe(const Value& actual, const wabt::Const* shape = nullptr);
std::string describe(const std::vector<Value>& values);

}  // namespace wasmlet::wast

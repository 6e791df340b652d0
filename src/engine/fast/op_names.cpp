#include "engine/fast/op_names.h"

namespace wasmlet::detail::fast {

namespace {

// In the order of `enum class Op` (code.h), from the same list.
const char* const kNames[] = {
#define OP_NAME(name) #name,
#include "engine/fast/op_list.inc"
};
static_assert(sizeof(kNames) / sizeof(kNames[0]) == size_t(Op::count_));

}  // namespace

const char* op_name(Op op) { return size_t(op) < size_t(Op::count_) ? kNames[size_t(op)] : "?"; }

}  // namespace wasmlet::detail::fast

#include "engine/fast/op_names.h"

namespace wasmlet::detail::fast {

namespace {

// In the order of `enum class Op` (code.h), from the same lists.
const char* const kNames[] = {
#define OP(name) #name,
#include "engine/fast/ops.def"
#undef OP
#define BIN(p, c, name, ...) #name, #name "_ri",
#define CMP(p, c, name, ...) #name, #name "_ri", "br_if_" #name, "br_if_" #name "_ri", "br_unless_" #name, \
                             "br_unless_" #name "_ri", "br_if_" #name "_loop", "br_if_" #name "_ri_loop",
#define UN(p, c, name, ...) #name,
#define UCMP(p, c, name, ...) #name, "br_if_" #name, "br_unless_" #name, "br_if_" #name "_loop",
#define TBIN(p, c, name, ...) #name, #name "_ri",
#define TUN(p, c, name, ...) #name,
#define SHIFT_BIN(name, ...) #name,
#include "engine/fast/numeric.def"
#define LOAD(c, name, ...) #name, #name "_mx", #name "_ri", #name "_rr", #name "_si",
#define STORE(c, name, ...) #name, #name "_mx", #name "_ci",
#define LOAD_BIN(name, ...) #name "_m", #name "_m_store",
#include "engine/fast/memory_ops.def"
#define SIMD_UNARY(c, fn) "simd_" #fn,
#define SIMD_BINARY(c, fn) "simd_" #fn,
#define SIMD_TERNARY(c, fn) "simd_" #fn,
#define SIMD_TEST(c, fn) "simd_" #fn,
#define SIMD_SHIFT(c, fn) "simd_" #fn,
#define SIMD_SPLAT(c, fn, ...) "simd_" #fn,
#define SIMD_EXTRACT(c, fn, ...) "simd_" #fn,
#define SIMD_REPLACE(c, fn, ...) "simd_" #fn,
#define SIMD_LOAD(c, fn, ...) "simd_" #fn,
#define SIMD_STORE(c, fn, ...) "simd_" #fn,
#define SIMD_LOAD_LANE(c, fn, ...) "simd_" #fn,
#define SIMD_STORE_LANE(c, fn, ...) "simd_" #fn,
#define SIMD_SHUFFLE(c, fn) "simd_" #fn,
#include "engine/fast/simd_list.h"
#define STEP_LOOP(w, T, cmp, ...) #w "_add_ri_br_if_" #cmp "_loop", #w "_add_ri_br_if_" #cmp "_ri_loop", \
                                  #w "_add_br_if_" #cmp "_loop", #w "_add_br_if_" #cmp "_ri_loop",
#include "engine/fast/step_loop.def"
};
static_assert(sizeof(kNames) / sizeof(kNames[0]) == size_t(Op::count_));

}  // namespace

const char* op_name(Op op) { return size_t(op) < size_t(Op::count_) ? kNames[size_t(op)] : "?"; }

}  // namespace wasmlet::detail::fast

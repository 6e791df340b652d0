// The canonical ABI (CanonicalABI.md of WebAssembly/component-model): how WIT
// values are laid out in a guest's linear memory and flattened into core
// wasm values, and how they are lifted (core -> Val) and lowered
// (Val -> core) with a memory, a realloc function and a string encoding.
//
// Every condition the spec traps on (out-of-bounds or misaligned pointers,
// invalid chars or strings, bad discriminants, unknown handles, lists over
// 2^28 bytes) throws AbiTrap; the host call layer turns it into a guest trap.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "wasmlet/component/binary.h"
#include "wasmlet/component/resource_table.h"
#include "wasmlet/component/types.h"
#include "wasmlet/component/value.h"
#include "wasmlet/guest_memory.h"
#include "wasmlet/value.h"

namespace wasmlet::component {

class AbiTrap : public Error {
 public:
  using Error::Error;
};

constexpr size_t kMaxFlatParams = 16;
constexpr size_t kMaxFlatResults = 1;
constexpr uint32_t kMaxStringByteLength = (1u << 28) - 1;
constexpr uint32_t kMaxListByteLength = (1u << 28) - 1;
// The most host memory lifting one call's values may take. Every Val a lift
// creates is counted (list elements, record and tuple fields, variant
// payloads, fixed-length list items: sizeof(Val) each), and every byte of a
// string or list<u8>: a list of strings may name one guest string many
// times, and a list whose elements are all the same nested list makes the
// host build that list again for each. Without a bound a guest could make the
// host allocate without end; past it the lift traps. A component's calls get
// lifted_host_bytes_bound(): less when its Store has a memory limit.
constexpr uint64_t kMaxLiftedHostBytes = uint64_t{512} << 20;
// The bound under a memory limit of `max_memory_bytes` (linear memory, all
// of the guest's memories): kLiftedBytesPerMemoryByte times the limit, at
// least kMinLiftedHostBytes, at most kMaxLiftedHostBytes. A list<u8> or
// string lifted from all of the guest's memory takes the limit itself.
constexpr uint64_t kLiftedBytesPerMemoryByte = 4;
constexpr uint64_t kMinLiftedHostBytes = uint64_t{16} << 20;
uint64_t lifted_host_bytes_bound(std::optional<uint64_t> max_memory_bytes);
constexpr uint32_t kUtf16Tag = 1u << 31;

// Layout (32-bit memories).
uint32_t alignment_of(const Type& type);
uint32_t size_of(const Type& type);
std::vector<ValType> flatten(const Type& type);
std::vector<ValType> flatten(std::span<const TypePtr> types);
// The core signature of a function lifted from (lift = true) or lowered into
// (lift = false) core wasm, with the MAX_FLAT_* spilling rules.
FuncType flatten_function(const FunctionType& type, bool lift);

// realloc(original_ptr, original_size, alignment, new_size) -> ptr, as the
// guest's cabi_realloc export.
using Realloc = std::function<uint32_t(uint32_t, uint32_t, uint32_t, uint32_t)>;

struct AbiContext {
  // The guest's memory; after each realloc call it is taken again from
  // current_memory (below), if set.
  mutable GuestMemory memory;
  StringEncoding encoding = StringEncoding::Utf8;
  Realloc realloc;                   // needed to lower strings and lists into the guest
  ResourceTable* handles = nullptr;  // needed for own/borrow
  std::vector<uint32_t>* lent = nullptr;  // lift_borrow records the handles it lent here
  // Host memory the lifts through this context have taken so far, and the
  // most they may take; one context is made per call.
  mutable uint64_t lifted_host_bytes = 0;
  uint64_t max_lifted_host_bytes = kMaxLiftedHostBytes;
  // Called every kStopCheckSteps values lifted or lowered (a string counts
  // one per 64 bytes): throws to end a long lift or lower when the guest's
  // Store is interrupted or its deadline has passed (a component's calls
  // check their Store: detail::check_stop).
  std::function<void()> check_stop;
  mutable uint64_t steps = 0, steps_at_check = 0;
  // The guest's memory as it is now: realloc may have grown it, so the view
  // from before it would refuse (or, were memory to move, misplace) what
  // lands in the new pages. Last, so that positional initialisers of the
  // fields above stay as they were.
  std::function<GuestMemory()> current_memory;
};
constexpr uint64_t kStopCheckSteps = 4096;

// Memory.
Val load(const AbiContext& cx, uint32_t ptr, const Type& type);
void store(const AbiContext& cx, const Val& value, const Type& type, uint32_t ptr);

// Flat values. lift_flat consumes from `values` starting at `pos`.
Val lift_flat(const AbiContext& cx, std::span<const Value> values, size_t& pos, const Type& type);
void lower_flat(const AbiContext& cx, const Val& value, const Type& type, std::vector<Value>& out);

// Whole parameter or result lists, spilling to memory past `max_flat`
// values (a pointer to a tuple). For lower_flat_values with out_ptr (results
// of a lowered call) the tuple is stored there; otherwise it is allocated
// with realloc and its pointer returned.
std::vector<Val> lift_flat_values(const AbiContext& cx, size_t max_flat, std::span<const Value> values,
                                  std::span<const TypePtr> types);
std::vector<Value> lower_flat_values(const AbiContext& cx, size_t max_flat, std::span<const Val> values,
                                     std::span<const TypePtr> types, std::optional<uint32_t> out_ptr = std::nullopt);

// Strings between host UTF-8 and a guest encoding (exposed for tests).
std::string load_string_from_range(const AbiContext& cx, uint32_t ptr, uint32_t tagged_code_units);
std::pair<uint32_t, uint32_t> store_string_into_range(const AbiContext& cx, const std::string& utf8);

}  // namespace wasmlet::component

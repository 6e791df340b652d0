// Making an instance of a module in a FastStore: its functions, tables,
// memories and globals (imports bound by the caller), global initializers
// and segments evaluated, active segments applied, then the start function.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/fast/fast_store.h"
#include "engine/tier.h"
#include "wasmlet/outcome.h"

namespace wasmlet::detail::fast {

// What satisfies one import: exactly one of these is set.
struct ImportItem {
  Func* func = nullptr;
  Table* table = nullptr;
  LinearMemory* memory = nullptr;
  Global* global = nullptr;
};

struct Instantiated {
  Instance* instance = nullptr;  // also set when `start` failed: it may own memories to release
  Outcome start;                 // how applying segments and the start function went
};

// Throws LinkError if the initial memories do not fit the Store's limit.
Instantiated instantiate(FastStore& store, const ModuleImpl& module, std::shared_ptr<const ModuleCode> code,
                         const std::vector<ImportItem>& imports);

// The value of a constant expression (global initializers, segment offsets, element expressions).
void evaluate_const(const Instance& instance, const decode::ConstExpr& expr, uint64_t out[2]);

}  // namespace wasmlet::detail::fast

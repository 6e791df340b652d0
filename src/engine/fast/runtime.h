// The fast interpreter's runtime objects: linear memories, tables, globals,
// functions and instances. They live in a Store's FastStore (fast_store.h)
// and refer to each other by plain pointers; the FastStore owns them all for
// its lifetime, so an item imported by another instance or placed in a table
// never dangles.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/decode/decoded_module.h"
#include "wasmlet/linker.h"
#include "wasmlet/value.h"

namespace wasmlet::detail::fast {

struct Code;
union Word;
class ModuleCode;
struct Instance;
}  // namespace wasmlet::detail::fast
namespace wasmlet::detail::hot {
struct HotInstance;  // hot_runtime.h
}
namespace wasmlet::detail::fast {

inline constexpr uint64_t kPageSize = 65536;

// A linear memory: its maximum is reserved as inaccessible address space up
// front and committed page by page as it grows, so its base never moves and
// a large declared minimum costs nothing until it is touched.
class LinearMemory {
 public:
  // Throws std::bad_alloc if the reservation fails.
  LinearMemory(uint64_t initial_pages, std::optional<uint64_t> declared_max);
  ~LinearMemory();
  LinearMemory(const LinearMemory&) = delete;
  LinearMemory& operator=(const LinearMemory&) = delete;

  uint8_t* base() const { return base_; }
  uint64_t bytes() const { return bytes_; }
  const uint64_t* bytes_address() const { return &bytes_; }  // native code reads the size through it
  uint64_t pages() const { return bytes_ / kPageSize; }
  std::optional<uint64_t> declared_max() const { return declared_max_; }
  // Grows to `new_pages` (already checked against every limit); false if
  // the system refuses the memory.
  bool grow_to(uint64_t new_pages);

 private:
  uint8_t* base_ = nullptr;
  uint64_t bytes_ = 0;
  uint64_t reserved_ = 0;
  std::optional<uint64_t> declared_max_;
};

struct Table {
  decode::ValType element = decode::ValType::FuncRef;
  std::vector<uint64_t> elements;  // funcref: Func* (0 = null); externref: the host's handle (0 = null)
  std::optional<uint64_t> declared_max;
  bool defined_here = false;       // counted against the Store's memory limit
};

struct Global {
  uint64_t value[2] = {0, 0};  // first: the interpreter reads it through a Global*
  decode::ValType type = decode::ValType::I32;
  bool is_mutable = false;
};

// A function of the Store: guest code of an instance, or a host function.
struct Func {
  uint32_t type_id = 0;       // the Store's canonical id of its type (call_indirect compares these)
  uint32_t store_index = 0;   // its handle in public Values (index + 1)
  const decode::FuncType* type = nullptr;
  std::string name;           // for trap reports
  // Guest functions:
  Instance* instance = nullptr;
  uint32_t defined_index = 0;  // among the module's bodies
  const Code* code = nullptr;  // once translated (the module's ModuleCode owns it); always null for a host function
  // What a call reads, copied from `code` when it is set, so that a call
  // does not go through `code` for them: where the call enters (past the
  // entry's fuel check point) and the entry's cost, and the frame's size
  // in bytes, which is more than any stack has until the function is
  // translated (so one compare sends a first call to the slow path).
  const Word* entry = nullptr;
  int64_t entry_fuel = 0;
  uint64_t frame_bytes = UINT64_MAX;
  // Host functions:
  bool is_host = false;
  HostFunction host;
  std::shared_ptr<MemorySource> caller_memory;
  FuncType public_type;
};

struct Instance {
  std::shared_ptr<const ModuleCode> code;  // the module's translated functions (shared by its instances)
  std::vector<Func*> funcs;
  std::vector<Table*> tables;
  std::vector<LinearMemory*> memories;
  std::vector<Global*> globals;
  std::vector<std::vector<uint64_t>> element_values;  // each element segment's references, evaluated
  std::vector<bool> dropped_elements, dropped_data;
  std::vector<uint32_t> type_ids;  // the module's type index -> the Store's canonical id
  std::shared_ptr<hot::HotInstance> hot;  // what its native code runs with, made on its first native call
};

}  // namespace wasmlet::detail::fast

// A narrow adapter around wabt's interpreter. wabt 1.0.32's interpreter
// headers do not compile as C++20 with g++ 12 (a template-id destructor), so
// this adapter is the only code that includes them and is compiled as
// C++17; its interface uses only standard types.
//
// A Space is one wabt object store: every instance of one wasmlet Store
// lives in the same Space, so their functions, tables, memories and globals
// can be imported by each other and placed in each other's tables (wabt
// links externs of one store natively). Items are named by ItemRef (wabt's
// object index); a Pin keeps one alive.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace wasmlet::detail::interp {

// Same order as wasmlet::ValType.
enum class VType : uint8_t { I32, I64, F32, F64, V128, FuncRef, ExternRef };
// Same order as wasmlet::ExternKind.
enum class XKind : uint8_t { Func, Table, Memory, Global, Tag };

struct RawValue {
  VType type = VType::I32;
  uint8_t bits[16] = {};
};

struct Signature {
  std::vector<VType> params, results;
};

// The type of an import or an item.
struct XType {
  XKind kind = XKind::Func;
  Signature signature;                // Func
  uint64_t min = 0;                   // Table, Memory (an item's current size)
  std::optional<uint64_t> max;        // Table, Memory (as declared)
  VType value_type = VType::I32;      // Global type / table element type
  bool mutable_global = false;
};

struct ImportRequest {
  std::string module, name;
  XType type;
};

using ItemRef = uint64_t;

// Runs a host function. Returns false to trap; `trap_message` then says why.
using HostCallback = std::function<bool(const std::vector<RawValue>& args, std::vector<RawValue>& results,
                                        std::string& trap_message)>;

// How one import is satisfied: a new host function, or an item of the Space.
struct ImportBinding {
  HostCallback host;
  std::optional<ItemRef> item;
};

struct ExportItem {
  std::string name;
  XKind kind;
  ItemRef ref;
};

struct CallResult {
  bool ok = true;
  std::vector<RawValue> results;
  std::string trap_message;
  std::string trap_function;  // the innermost guest function, if known
};

class DecodedModule {
 public:
  // Decodes and validates; on failure returns null and sets `error`.
  static std::shared_ptr<const DecodedModule> decode(const std::string& name, const uint8_t* data, size_t size,
                                                     std::string& error);
  virtual ~DecodedModule() = default;
  virtual std::vector<ImportRequest> imports() const = 0;
  // Initial pages of each defined memory.
  virtual std::vector<uint64_t> memory_initial_pages() const = 0;
};

// Holding a Pin keeps an item (and the Space) alive.
class Pin {
 public:
  virtual ~Pin() = default;
};

class Space {
 public:
  static std::shared_ptr<Space> create();
  virtual ~Space() = default;

  struct Instantiated {
    uint64_t id = 0;  // for release(); valid even if the start function trapped
    CallResult start;
    std::vector<ExportItem> exports;  // empty if start failed
    std::vector<ItemRef> defined_memories;
  };
  // Instantiates with one binding per import (in import order) and runs
  // the start function. `function_names` (by function index) name trapping
  // functions. `max_pages` caps each defined memory's growth.
  virtual Instantiated instantiate(const DecodedModule& module, std::vector<ImportBinding> imports,
                                   std::vector<std::string> function_names,
                                   const std::vector<std::optional<uint64_t>>& max_pages) = 0;
  // The instance is no longer used by wasmlet; items still referenced (by
  // other instances, tables or Pins) stay, the rest is freed.
  virtual void release(uint64_t id) = 0;

  // Calls a function item; re-entrant (host functions may call again).
  virtual CallResult call(ItemRef function, const std::vector<RawValue>& args) = 0;
  virtual XType type_of(ItemRef item) = 0;
  virtual std::shared_ptr<Pin> pin(ItemRef item) = 0;
  virtual uint8_t* memory_data(ItemRef memory) = 0;
  virtual uint64_t memory_bytes(ItemRef memory) = 0;
  // Caps a memory's growth at `max_pages` (never above its declared maximum).
  virtual void cap_memory(ItemRef memory, uint64_t max_pages) = 0;
  // i32/i64 globals, zero-extended.
  virtual uint64_t global_value(ItemRef global) = 0;
  virtual void set_global_value(ItemRef global, uint64_t value) = 0;
};

}  // namespace wasmlet::detail::interp

// Externs: an instance's exports (functions, tables, memories, globals) as
// values. An Extern is a handle to something living in a Store; it can
// satisfy another instance's import in the same Store
// (Linker::define(module, name, extern)), be called (Store::call) or be read
// as memory (Store::memory). Copying an Extern copies the handle, not the item.
//
//   Instance main = Instance::create(store, main_module, linker);
//   linker.define("env", "memory", *main.get_export("memory"));   // shared, not copied
//   Instance adapter = Instance::create(store, adapter_module, linker);
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "wasmlet/module.h"
#include "wasmlet/value.h"

namespace wasmlet {

class Store;
namespace detail {
class ExternImpl;
struct Access;
}

// Table and memory sizes: elements or 64 KiB pages.
struct Limits {
  uint64_t min = 0;
  std::optional<uint64_t> max;
  std::string to_string() const;  // "{min 1, max 2}" / "{min 1, no max}"
};

// The type of an import or of an Extern, as the spec's import matching sees it.
struct ExternType {
  ExternKind kind = ExternKind::Func;
  FuncType func;                         // Func
  Limits limits;                         // Table, Memory (an Extern's current size is its min)
  ValType value_type = ValType::I32;     // Global: its type; Table: its element type
  bool mutable_global = false;           // Global
  std::string to_string() const;         // "memory {min 17, no max}", "global mut i32", "function (i32) -> i32"
};

// Spec import matching (function signature; table/memory limits subtyping;
// global type and mutability). Returns why `actual` does not satisfy an
// import of type `expected`, or nullopt if it does.
std::optional<std::string> extern_mismatch(const ExternType& expected, const ExternType& actual);

class Extern {
 public:
  explicit Extern(std::shared_ptr<const detail::ExternImpl> impl);

  ExternKind kind() const;
  // The type now (a memory's or table's min is its current size).
  ExternType type() const;
  // The signature, for functions; null otherwise.
  const FuncType* func_type() const;
  // The Store this item lives in; it may only be used with that Store.
  Store& store() const;
  // "core instance 2 (main.wasm) export memory", for messages.
  const std::string& description() const;

 private:
  friend struct detail::Access;
  std::shared_ptr<const detail::ExternImpl> impl_;
};

}  // namespace wasmlet

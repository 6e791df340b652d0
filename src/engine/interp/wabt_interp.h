// A narrow adapter around wabt's interpreter. wabt 1.0.32's interpreter
// headers do not compile as C++20 with g++ 12 (a template-id destructor), so
// this adapter is the only code that includes them and is compiled as
// C++17; its interface uses only standard types.
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

struct RawValue {
  VType type = VType::I32;
  uint8_t bits[16] = {};
};

struct Signature {
  std::vector<VType> params, results;
};

struct ImportRequest {
  std::string module, name;
  std::string kind;  // "func", "table", "memory", "global", "tag"
  Signature signature;  // for functions
};

// Runs a host function. Returns false to trap; `trap_message` then says why.
using HostCallback = std::function<bool(const std::vector<RawValue>& args, std::vector<RawValue>& results,
                                        std::string& trap_message)>;

struct CallResult {
  bool ok = true;
  std::vector<RawValue> results;
  std::string trap_message;
  int64_t trap_function = -1;  // index of the innermost guest function, if known
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

class Machine {
 public:
  // Instantiates with one callback per import (in import order) and runs the
  // start function. If it traps, `start` holds the trap and the machine
  // can only report it. `max_pages_per_memory` caps each memory's growth.
  static std::unique_ptr<Machine> instantiate(const DecodedModule& module, std::vector<HostCallback> imports,
                                              const std::vector<std::optional<uint64_t>>& max_pages_per_memory,
                                              CallResult& start);
  virtual ~Machine() = default;
  virtual CallResult call(const std::string& export_name, const std::vector<RawValue>& args,
                          const Signature& signature) = 0;
  // The exported "memory" (else the first memory), or null.
  virtual uint8_t* memory_data() = 0;
  virtual uint64_t memory_size() = 0;
  virtual uint64_t total_memory_bytes() = 0;
  // Value of an exported i32/i64 global, zero-extended.
  virtual std::optional<uint64_t> global_value(const std::string& export_name) = 0;
};

}  // namespace wasmlet::detail::interp

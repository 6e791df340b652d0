// Value, function, table, memory and global types as the decoder sees them,
// the checks on their limits, and the implementation limits wasmlet applies
// to everything a guest controls (docs/engine-decoder.md lists them).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace wasmlet::decode {

class ByteReader;

// The binary encoding's own codes. `Unknown` is the validator's bottom type:
// the operand of unreachable code, which matches every type.
enum class ValType : uint8_t {
  Unknown = 0,
  I32 = 0x7f,
  I64 = 0x7e,
  F32 = 0x7d,
  F64 = 0x7c,
  V128 = 0x7b,
  FuncRef = 0x70,
  ExternRef = 0x6f,
};

const char* name_of(ValType type);
inline bool is_reference(ValType t) { return t == ValType::FuncRef || t == ValType::ExternRef; }
inline bool is_value_type_code(uint8_t byte) {
  return (byte >= 0x7b && byte <= 0x7f) || byte == 0x70 || byte == 0x6f;
}

// Implementation limits (those of the JS API, which wasmtime and browsers
// share), so a guest cannot make the decoder allocate or loop without bound.
namespace limits {
inline constexpr uint32_t kTypes = 1'000'000;
inline constexpr uint32_t kFunctions = 1'000'000;
inline constexpr uint32_t kImports = 100'000;
inline constexpr uint32_t kExports = 100'000;
inline constexpr uint32_t kGlobals = 1'000'000;
inline constexpr uint32_t kDataSegments = 100'000;
inline constexpr uint32_t kElementSegments = 100'000;
inline constexpr uint32_t kTables = 100'000;
inline constexpr uint32_t kMemories = 100'000;
inline constexpr uint32_t kParams = 1'000;
inline constexpr uint32_t kResults = 1'000;
inline constexpr uint32_t kLocals = 50'000;              // per function, parameters included
inline constexpr uint32_t kFunctionBodyBytes = 7'654'321;
inline constexpr uint32_t kControlDepth = 10'000;        // nested block/loop/if (and the function itself)
inline constexpr uint64_t kMemoryPages = 65'536;         // 4 GiB of 64 KiB pages (spec)
}  // namespace limits

struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;
  bool operator==(const FuncType&) const = default;
};

struct Limits {
  uint64_t min = 0;
  std::optional<uint64_t> max;
};

struct TableType {
  ValType element = ValType::FuncRef;
  Limits limits;
};

struct MemoryType {
  Limits limits;  // in 64 KiB pages
};

struct GlobalType {
  ValType type = ValType::I32;
  bool is_mutable = false;
};

// Readers of the type encodings (malformed errors) with their validity
// checks (invalid errors), shared by the import and definition sections.
ValType read_value_type(ByteReader& in);
ValType read_reference_type(ByteReader& in);
TableType read_table_type(ByteReader& in);
MemoryType read_memory_type(ByteReader& in);
GlobalType read_global_type(ByteReader& in);

}  // namespace wasmlet::decode

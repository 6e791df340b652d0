#include "engine/decode/types.h"

#include <fmt/format.h>

#include "engine/decode/byte_reader.h"

namespace wasmlet::decode {

const char* name_of(ValType type) {
  switch (type) {
    case ValType::Unknown: return "unknown";
    case ValType::I32: return "i32";
    case ValType::I64: return "i64";
    case ValType::F32: return "f32";
    case ValType::F64: return "f64";
    case ValType::V128: return "v128";
    case ValType::FuncRef: return "funcref";
    case ValType::ExternRef: return "externref";
  }
  return "?";
}

ValType read_value_type(ByteReader& in) {
  size_t at = in.offset();
  uint8_t byte = in.u8();
  if (!is_value_type_code(byte)) throw_malformed(at, fmt::format("malformed value type {:#04x}", byte));
  return ValType(byte);
}

ValType read_reference_type(ByteReader& in) {
  size_t at = in.offset();
  uint8_t byte = in.u8();
  if (byte != 0x70 && byte != 0x6f)
    throw_malformed(at, fmt::format("malformed reference type {:#04x}, expected funcref (0x70) or externref (0x6f)", byte));
  return ValType(byte);
}

namespace {

Limits read_limits(ByteReader& in, const char* what) {
  size_t at = in.offset();
  uint8_t flags = in.u8();
  if (flags > 1) throw_malformed(at, fmt::format("integer too large: malformed {} limits flags {:#04x}, expected 0 or 1", what, flags));
  Limits limits;
  limits.min = in.u32();
  if (flags & 1) limits.max = in.u32();
  if (limits.max && limits.min > *limits.max)
    throw_invalid(at, fmt::format("size minimum must not be greater than maximum ({} limits {} > {})", what,
                                  limits.min, *limits.max));
  return limits;
}

}  // namespace

TableType read_table_type(ByteReader& in) {
  TableType type;
  type.element = read_reference_type(in);
  type.limits = read_limits(in, "table");
  return type;
}

MemoryType read_memory_type(ByteReader& in) {
  size_t at = in.offset();
  MemoryType type{read_limits(in, "memory")};
  if (type.limits.min > limits::kMemoryPages || (type.limits.max && *type.limits.max > limits::kMemoryPages))
    throw_invalid(at, "memory size must be at most 65536 pages (4GiB)");
  return type;
}

GlobalType read_global_type(ByteReader& in) {
  GlobalType type;
  type.type = read_value_type(in);
  size_t at = in.offset();
  uint8_t mut = in.u8();
  if (mut > 1) throw_malformed(at, fmt::format("malformed mutability {:#04x}, expected 0 or 1", mut));
  type.is_mutable = mut == 1;
  return type;
}

}  // namespace wasmlet::decode

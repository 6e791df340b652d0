// WIT-level values: what crosses a component boundary after lifting (or
// before lowering). A Val carries no type; the Type it is lifted with or
// lowered as (types.h) gives it meaning: a variant is a case index and an
// optional payload whichever of variant/enum/option/result it is.
//
// A list<u8> has a compact form, Kind::Bytes, its bytes in `s`: lifting
// always gives it (a Val per byte would take ~100 times the guest's bytes
// of host memory), and lowering a list<u8> takes it or a List of Ints.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace wasmlet::component {

struct Val {
  enum class Kind : uint8_t { Bool, Int, Float, Char, String, List, Record, Case, Flags, Handle, Bytes } kind = Kind::Bool;
  bool b = false;
  int64_t i = 0;         // every integer type; u64 values are stored bit-for-bit
  double f = 0;          // f32 and f64
  char32_t c = 0;        // char: a Unicode scalar value
  std::string s;         // string: UTF-8; bytes: the list<u8>'s bytes
  std::vector<Val> items;  // list elements, record fields / tuple items (in order), case payload (0 or 1)
  uint32_t index = 0;    // case index (variant, enum, option: none=0 some=1, result: ok=0 err=1)
  uint32_t bits = 0;     // flags, bit i = label i
  uint32_t handle = 0;   // own/borrow: the resource's representation (rep) on the host side

  static Val boolean(bool v) { Val r; r.kind = Kind::Bool; r.b = v; return r; }
  static Val integer(int64_t v) { Val r; r.kind = Kind::Int; r.i = v; return r; }
  static Val u64(uint64_t v) { return integer(static_cast<int64_t>(v)); }
  static Val floating(double v) { Val r; r.kind = Kind::Float; r.f = v; return r; }
  static Val character(char32_t v) { Val r; r.kind = Kind::Char; r.c = v; return r; }
  static Val string(std::string v) { Val r; r.kind = Kind::String; r.s = std::move(v); return r; }
  static Val list(std::vector<Val> v) { Val r; r.kind = Kind::List; r.items = std::move(v); return r; }
  static Val bytes(std::string data) { Val r; r.kind = Kind::Bytes; r.s = std::move(data); return r; }  // list<u8>
  static Val record(std::vector<Val> fields) { Val r; r.kind = Kind::Record; r.items = std::move(fields); return r; }
  static Val tuple(std::vector<Val> items) { return record(std::move(items)); }
  static Val variant(uint32_t index, std::optional<Val> payload = std::nullopt) {
    Val r; r.kind = Kind::Case; r.index = index;
    if (payload) r.items.push_back(std::move(*payload));
    return r;
  }
  static Val enumeration(uint32_t index) { return variant(index); }
  static Val none() { return variant(0); }
  static Val some(Val v) { return variant(1, std::move(v)); }
  static Val ok(std::optional<Val> v = std::nullopt) { return variant(0, std::move(v)); }
  static Val err(std::optional<Val> v = std::nullopt) { return variant(1, std::move(v)); }
  static Val flags(uint32_t bits) { Val r; r.kind = Kind::Flags; r.bits = bits; return r; }
  static Val resource(uint32_t rep) { Val r; r.kind = Kind::Handle; r.handle = rep; return r; }

  // The payload of a case, if any.
  const Val* payload() const { return items.empty() ? nullptr : &items[0]; }
  std::string as_bytes() const;  // list<u8>, either form, to bytes

  bool operator==(const Val&) const = default;
  std::string to_string() const;  // for test messages
};

}  // namespace wasmlet::component

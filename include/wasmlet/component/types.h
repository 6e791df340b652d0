// The WIT-level type model of the component model: value types (bool ...
// string, list, record, variant, resources), function types and resource
// types, after every type index has been resolved. The canonical ABI
// (canonical_abi.h) computes layouts from these, the host interfaces and the
// validator build them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace wasmlet::component {

enum class TypeKind : uint8_t {
  Bool, S8, U8, S16, U16, S32, U32, S64, U64, F32, F64, Char, String, ErrorContext,
  List, FixedList, Record, Tuple, Variant, Enum, Option, Result, Flags, Own, Borrow,
  Stream, Future,
};
const char* to_string(TypeKind kind);

// A resource type. Each definition (or `sub resource` import/export) is a
// fresh type: two ResourceTypes are the same type only if they are the same
// object.
struct ResourceType {
  std::string name;  // for messages ("output-stream")
};
using ResourcePtr = std::shared_ptr<const ResourceType>;

struct Type;
using TypePtr = std::shared_ptr<const Type>;

struct Field {
  std::string name;
  TypePtr type;
};

struct Case {
  std::string name;
  TypePtr type;  // null: the case carries no payload
};

struct Type {
  TypeKind kind = TypeKind::Bool;
  TypePtr element;                  // list, fixed list, option, stream, future (may be null)
  uint32_t length = 0;              // fixed list
  std::vector<Field> fields;        // record
  std::vector<TypePtr> items;       // tuple
  std::vector<Case> cases;          // variant
  std::vector<std::string> labels;  // enum, flags
  TypePtr ok, err;                  // result (each may be null)
  ResourcePtr resource;             // own, borrow

  // WIT-like: "result<list<u8>, stream-error>"; a record, variant, enum,
  // flags or tuple of more than `max_items` shows its first ones then "...".
  std::string to_string(size_t max_items = SIZE_MAX) const;
};

// Constructors for the common shapes.
namespace types {
TypePtr primitive(TypeKind kind);
TypePtr boolean();
TypePtr u8();
TypePtr u32();
TypePtr u64();
TypePtr s32();
TypePtr s64();
TypePtr string();
TypePtr list(TypePtr element);
TypePtr record(std::vector<Field> fields);
TypePtr tuple(std::vector<TypePtr> items);
TypePtr variant(std::vector<Case> cases);
TypePtr enumeration(std::vector<std::string> labels);
TypePtr flags(std::vector<std::string> labels);
TypePtr option(TypePtr element);
TypePtr result(TypePtr ok, TypePtr err);
TypePtr own(ResourcePtr resource);
TypePtr borrow(ResourcePtr resource);
}  // namespace types

struct FunctionType {
  std::vector<Field> params;
  TypePtr result;  // null: no result
  bool async = false;
  // "func(self: borrow<output-stream>) -> result<u64, stream-error>"
  std::string to_string(size_t max_items = SIZE_MAX) const;
};
using FunctionTypePtr = std::shared_ptr<const FunctionType>;

// True if the type transitively holds a borrow handle (forbidden in results).
bool contains_borrow(const Type& type);

}  // namespace wasmlet::component

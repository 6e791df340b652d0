#include "wasmlet/component/types.h"

#include <fmt/format.h>

namespace wasmlet::component {

const char* to_string(TypeKind kind) {
  switch (kind) {
    case TypeKind::Bool: return "bool";
    case TypeKind::S8: return "s8";
    case TypeKind::U8: return "u8";
    case TypeKind::S16: return "s16";
    case TypeKind::U16: return "u16";
    case TypeKind::S32: return "s32";
    case TypeKind::U32: return "u32";
    case TypeKind::S64: return "s64";
    case TypeKind::U64: return "u64";
    case TypeKind::F32: return "f32";
    case TypeKind::F64: return "f64";
    case TypeKind::Char: return "char";
    case TypeKind::String: return "string";
    case TypeKind::ErrorContext: return "error-context";
    case TypeKind::List: return "list";
    case TypeKind::FixedList: return "list";
    case TypeKind::Record: return "record";
    case TypeKind::Tuple: return "tuple";
    case TypeKind::Variant: return "variant";
    case TypeKind::Enum: return "enum";
    case TypeKind::Option: return "option";
    case TypeKind::Result: return "result";
    case TypeKind::Flags: return "flags";
    case TypeKind::Own: return "own";
    case TypeKind::Borrow: return "borrow";
    case TypeKind::Stream: return "stream";
    case TypeKind::Future: return "future";
  }
  return "?";
}

static std::string str(const TypePtr& t, size_t max_items) { return t ? t->to_string(max_items) : "_"; }

// The first `max_items` of `n` items (`item(i)`) joined by ", ", then "..."
// if there are more.
template <typename Item>
static std::string join(size_t n, size_t max_items, Item&& item) {
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    if (i) s += ", ";
    if (i == max_items) return s + "...";
    s += item(i);
  }
  return s;
}

std::string Type::to_string(size_t max_items) const {
  auto str = [max_items](const TypePtr& t) { return component::str(t, max_items); };
  switch (kind) {
    case TypeKind::List: return fmt::format("list<{}>", str(element));
    case TypeKind::FixedList: return fmt::format("list<{}, {}>", str(element), length);
    case TypeKind::Option: return fmt::format("option<{}>", str(element));
    case TypeKind::Stream: return element ? fmt::format("stream<{}>", str(element)) : "stream";
    case TypeKind::Future: return element ? fmt::format("future<{}>", str(element)) : "future";
    case TypeKind::Result:
      if (!ok && !err) return "result";
      if (!err) return fmt::format("result<{}>", str(ok));
      return fmt::format("result<{}, {}>", str(ok), str(err));
    case TypeKind::Tuple: {
      return "tuple<" + join(items.size(), max_items, [&](size_t i) { return str(items[i]); }) + ">";
    }
    case TypeKind::Record: {
      auto field = [&](size_t i) { return fields[i].name + ": " + str(fields[i].type); };
      return "record { " + join(fields.size(), max_items, field) + " }";
    }
    case TypeKind::Variant: {
      return "variant { " + join(cases.size(), max_items, [&](size_t i) {
               return cases[i].name + (cases[i].type ? "(" + str(cases[i].type) + ")" : "");
             }) + " }";
    }
    case TypeKind::Enum:
    case TypeKind::Flags: {
      return std::string(kind == TypeKind::Enum ? "enum" : "flags") + " { " +
             join(labels.size(), max_items, [&](size_t i) { return labels[i]; }) + " }";
    }
    case TypeKind::Own: return fmt::format("own<{}>", resource ? resource->name : "?");
    case TypeKind::Borrow: return fmt::format("borrow<{}>", resource ? resource->name : "?");
    default: return component::to_string(kind);
  }
}

std::string FunctionType::to_string(size_t max_items) const {
  std::string s = async ? "async func(" : "func(";
  for (size_t i = 0; i < params.size(); ++i)
    s += (i ? ", " : "") + params[i].name + ": " + str(params[i].type, max_items);
  s += ")";
  if (result) s += " -> " + result->to_string(max_items);
  return s;
}

bool contains_borrow(const Type& t) {
  switch (t.kind) {
    case TypeKind::Borrow: return true;
    case TypeKind::List: case TypeKind::FixedList: case TypeKind::Option:
      return t.element && contains_borrow(*t.element);
    case TypeKind::Record:
      for (auto& f : t.fields) if (contains_borrow(*f.type)) return true;
      return false;
    case TypeKind::Tuple:
      for (auto& i : t.items) if (contains_borrow(*i)) return true;
      return false;
    case TypeKind::Variant:
      for (auto& c : t.cases) if (c.type && contains_borrow(*c.type)) return true;
      return false;
    case TypeKind::Result:
      return (t.ok && contains_borrow(*t.ok)) || (t.err && contains_borrow(*t.err));
    default: return false;
  }
}

namespace types {
namespace {
template <typename Fill>
TypePtr make(TypeKind kind, Fill&& fill) {
  auto t = std::make_shared<Type>();
  t->kind = kind;
  fill(*t);
  return t;
}
}  // namespace

TypePtr primitive(TypeKind kind) { return make(kind, [](Type&) {}); }
TypePtr boolean() { return primitive(TypeKind::Bool); }
TypePtr u8() { return primitive(TypeKind::U8); }
TypePtr u32() { return primitive(TypeKind::U32); }
TypePtr u64() { return primitive(TypeKind::U64); }
TypePtr s32() { return primitive(TypeKind::S32); }
TypePtr s64() { return primitive(TypeKind::S64); }
TypePtr string() { return primitive(TypeKind::String); }
TypePtr list(TypePtr e) { return make(TypeKind::List, [&](Type& t) { t.element = std::move(e); }); }
TypePtr record(std::vector<Field> f) { return make(TypeKind::Record, [&](Type& t) { t.fields = std::move(f); }); }
TypePtr tuple(std::vector<TypePtr> i) { return make(TypeKind::Tuple, [&](Type& t) { t.items = std::move(i); }); }
TypePtr variant(std::vector<Case> c) { return make(TypeKind::Variant, [&](Type& t) { t.cases = std::move(c); }); }
TypePtr enumeration(std::vector<std::string> l) { return make(TypeKind::Enum, [&](Type& t) { t.labels = std::move(l); }); }
TypePtr flags(std::vector<std::string> l) { return make(TypeKind::Flags, [&](Type& t) { t.labels = std::move(l); }); }
TypePtr option(TypePtr e) { return make(TypeKind::Option, [&](Type& t) { t.element = std::move(e); }); }
TypePtr result(TypePtr ok, TypePtr err) {
  return make(TypeKind::Result, [&](Type& t) {
    t.ok = std::move(ok);
    t.err = std::move(err);
  });
}
TypePtr own(ResourcePtr r) { return make(TypeKind::Own, [&](Type& t) { t.resource = std::move(r); }); }
TypePtr borrow(ResourcePtr r) { return make(TypeKind::Borrow, [&](Type& t) { t.resource = std::move(r); }); }
}  // namespace types

}  // namespace wasmlet::component

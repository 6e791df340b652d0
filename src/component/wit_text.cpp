#include "component/wit_text.h"

#include <fmt/format.h>

#include <cctype>
#include <optional>

#include "wasmlet/error.h"

namespace wasmlet::component::wit {
namespace {

class Reader {
 public:
  Reader(std::string_view text, const Scope& scope) : text_(text), scope_(scope) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw Error(fmt::format("WIT declaration \"{}\": at {}: {}", text_, pos_, what), ErrorCode::Internal);
  }

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool at_end() {
    skip_space();
    return pos_ == text_.size();
  }
  bool accept(std::string_view token) {
    skip_space();
    if (text_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }
  void expect(std::string_view token) {
    if (!accept(token)) fail(fmt::format("expected \"{}\"", token));
  }
  // A kebab-case name; `%` escapes a keyword (`%type`).
  std::string name() {
    skip_space();
    accept("%");
    size_t start = pos_;
    while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '-')) ++pos_;
    if (start == pos_) fail("expected a name");
    return std::string(text_.substr(start, pos_ - start));
  }
  // Text up to (not including) `end`, for a `use` path.
  std::string until(std::string_view end) {
    skip_space();
    size_t at = text_.find(end, pos_);
    if (at == std::string_view::npos) fail(fmt::format("expected \"{}\"", end));
    std::string s(text_.substr(pos_, at - pos_));
    pos_ = at;
    return s;
  }

  const NamedType& named(const std::string& n) const {
    auto it = scope_.find(n);
    if (it == scope_.end()) fail(fmt::format("unknown type {}", n));
    return it->second;
  }
  ResourcePtr resource(const std::string& n) const {
    const NamedType& t = named(n);
    if (!t.resource) fail(fmt::format("{} is not a resource", n));
    return t.resource;
  }

  // `_` in result<_, E> is no type.
  TypePtr optional_type() {
    if (accept("_")) return nullptr;
    return type();
  }

  TypePtr type() {
    std::string n = name();
    if (n == "list") {
      expect("<");
      TypePtr element = type();
      if (accept(",")) fail("fixed-length lists are not declared by the host");
      expect(">");
      return types::list(element);
    }
    if (n == "option") {
      expect("<");
      TypePtr element = type();
      expect(">");
      return types::option(element);
    }
    if (n == "result") {
      if (!accept("<")) return types::result(nullptr, nullptr);
      TypePtr ok = optional_type(), err;
      if (accept(",")) err = type();
      expect(">");
      return types::result(ok, err);
    }
    if (n == "tuple") {
      expect("<");
      std::vector<TypePtr> items;
      do items.push_back(type());
      while (accept(","));
      expect(">");
      return types::tuple(std::move(items));
    }
    if (n == "own" || n == "borrow") {
      expect("<");
      ResourcePtr r = resource(name());
      expect(">");
      return n == "own" ? types::own(r) : types::borrow(r);
    }
    if (auto kind = primitive(n)) return types::primitive(*kind);
    const NamedType& t = named(n);
    return t.resource ? types::own(t.resource) : t.value;
  }

  FunctionType function() {
    FunctionType f;
    expect("func");
    expect("(");
    while (!accept(")")) {
      Field p;
      p.name = name();
      expect(":");
      p.type = type();
      f.params.push_back(std::move(p));
      if (!accept(",")) {
        expect(")");
        break;
      }
    }
    if (accept("->")) f.result = type();
    return f;
  }

 private:
  static std::optional<TypeKind> primitive(std::string_view n) {
    static const std::map<std::string_view, TypeKind> kinds = {
        {"bool", TypeKind::Bool},     {"s8", TypeKind::S8},   {"u8", TypeKind::U8},   {"s16", TypeKind::S16},
        {"u16", TypeKind::U16},       {"s32", TypeKind::S32}, {"u32", TypeKind::U32}, {"s64", TypeKind::S64},
        {"u64", TypeKind::U64},       {"f32", TypeKind::F32}, {"f64", TypeKind::F64}, {"char", TypeKind::Char},
        {"string", TypeKind::String},
    };
    auto it = kinds.find(n);
    if (it == kinds.end()) return std::nullopt;
    return it->second;
  }

  std::string_view text_;
  size_t pos_ = 0;
  const Scope& scope_;
};

// `{ a, b, c }` (a trailing comma allowed), each item read by `item`.
template <typename Item>
void braced_list(Reader& r, Item&& item) {
  r.expect("{");
  while (!r.accept("}")) {
    item();
    if (!r.accept(",")) {
      r.expect("}");
      break;
    }
  }
}

void add(Reader& r, Scope& scope, const std::string& name, NamedType t) {
  if (!scope.emplace(name, std::move(t)).second) r.fail(fmt::format("{} is declared twice", name));
}

}  // namespace

void read_declarations(std::string_view text, Scope& scope, const Scopes& others) {
  Reader r(text, scope);
  while (!r.at_end()) {
    if (r.accept("use ")) {
      std::string from = r.until(".{");
      r.expect(".");
      auto it = others.find(from);
      if (it == others.end()) r.fail(fmt::format("use of {}, which is not declared (yet)", from));
      braced_list(r, [&] {
        std::string n = r.name();
        auto t = it->second.find(n);
        if (t == it->second.end()) r.fail(fmt::format("{} declares no type {}", from, n));
        add(r, scope, n, t->second);
      });
      r.expect(";");
    } else if (r.accept("type ")) {
      std::string n = r.name();
      r.expect("=");
      TypePtr t = r.type();
      r.expect(";");
      add(r, scope, n, {t, nullptr});
    } else if (r.accept("resource ")) {
      std::string n = r.name();
      r.expect(";");
      add(r, scope, n, {nullptr, std::make_shared<ResourceType>(ResourceType{n})});
    } else if (r.accept("record ")) {
      std::string n = r.name();
      std::vector<Field> fields;
      braced_list(r, [&] {
        Field f;
        f.name = r.name();
        r.expect(":");
        f.type = r.type();
        fields.push_back(std::move(f));
      });
      add(r, scope, n, {types::record(std::move(fields)), nullptr});
    } else if (r.accept("variant ")) {
      std::string n = r.name();
      std::vector<Case> cases;
      braced_list(r, [&] {
        Case c;
        c.name = r.name();
        if (r.accept("(")) {
          c.type = r.type();
          r.expect(")");
        }
        cases.push_back(std::move(c));
      });
      add(r, scope, n, {types::variant(std::move(cases)), nullptr});
    } else if (bool is_enum = r.accept("enum "); is_enum || r.accept("flags ")) {
      std::string n = r.name();
      std::vector<std::string> labels;
      braced_list(r, [&] { labels.push_back(r.name()); });
      add(r, scope, n, {is_enum ? types::enumeration(std::move(labels)) : types::flags(std::move(labels)), nullptr});
    } else {
      r.fail("expected a declaration");
    }
  }
}

TypePtr read_type(std::string_view text, const Scope& scope) {
  Reader r(text, scope);
  TypePtr t = r.type();
  if (!r.at_end()) r.fail("unexpected text after the type");
  return t;
}

FunctionType read_function(std::string_view text, const Scope& scope) {
  Reader r(text, scope);
  FunctionType f = r.function();
  if (!r.at_end()) r.fail("unexpected text after the function type");
  return f;
}

}  // namespace wasmlet::component::wit

// Decodes the component model binary format (Binary.md of the
// WebAssembly/component-model repository) into component::Component.
#include <fmt/format.h>

#include "component/byte_reader.h"
#include "wasmlet/component/binary.h"

namespace wasmlet::component {
namespace {

using detail::ByteReader;
using detail::hex_byte;

constexpr uint8_t kMagic[4] = {0x00, 0x61, 0x73, 0x6d};

const char* section_name(uint8_t id) {
  static const char* names[] = {"custom", "core module", "core instance", "core type", "component",
                                "instance", "alias", "type", "canon", "start", "import", "export", "value"};
  return id < 13 ? names[id] : "unknown";
}

class Parser {
 public:
  explicit Parser(ParseOptions options) : options_(options) {}

  std::shared_ptr<Component> component(ByteReader& r, uint32_t depth) {
    if (depth > options_.max_nesting) r.fail(fmt::format("components nested deeper than {}", options_.max_nesting));
    auto c = std::make_shared<Component>();
    c->offset = r.offset();
    preamble(r, *c);
    while (!r.at_end()) section(r, *c, depth);
    return c;
  }

 private:
  void preamble(ByteReader& r, Component& c) {
    uint64_t start = r.offset();
    if (r.remaining() < 8) {
      auto have = r.bytes(r.remaining(), "preamble");
      if (have.size() < 4 || !std::equal(have.begin(), have.begin() + 4, kMagic))
        r.fail_at(start, "expected the magic bytes \\0asm");
      r.fail_at(start + have.size(), fmt::format("unexpected end of input in the 8-byte preamble ({} bytes)", have.size()));
    }
    auto magic = r.bytes(4, "magic");
    if (!std::equal(magic.begin(), magic.end(), kMagic)) r.fail_at(start, "expected the magic bytes \\0asm");
    auto v = r.bytes(4, "version and layer");
    uint16_t version = uint16_t(v[0] | v[1] << 8);
    uint16_t layer = uint16_t(v[2] | v[3] << 8);
    if (version == 1 && layer == 0) r.fail_at(start + 4, "this is a core module (version 1, layer 0), not a component");
    if (layer != 1)
      r.fail_at(start + 6, fmt::format("expected layer 1 (a component: 00 61 73 6d 0d 00 01 00) in bytes 6-7, found layer {}",
                                       layer));
    if (version != 0x0d)
      r.fail_at(start + 4, fmt::format("unsupported component binary version 0x{:x} (wasmlet reads version 0x0d)", version));
    c.version = version;
  }

  void section(ByteReader& r, Component& c, uint32_t depth) {
    uint64_t section_start = r.offset();
    uint8_t id = r.u8("a section id");
    if (id > 12) r.fail_at(section_start, fmt::format("unknown section id {} (expected 0..12)", id));
    uint32_t size = r.u32(fmt::format("the size of the {} section", section_name(id)).c_str());
    if (size > r.remaining())
      r.fail_at(section_start, fmt::format("the {} section declares {} bytes but only {} remain", section_name(id), size,
                                           r.remaining()));
    ByteReader s = r.sub(size, "section");
    switch (id) {
      case 0: {
        CustomSection cs;
        cs.name = s.name("the custom section name");
        auto rest = s.bytes(s.remaining(), "custom section contents");
        cs.bytes.assign(rest.begin(), rest.end());
        c.definitions.emplace_back(std::move(cs));
        return;
      }
      case 1: c.definitions.emplace_back(core_module(s)); return;
      case 4: {
        auto nested = component(s, depth + 1);
        c.definitions.emplace_back(std::move(nested));
        return;
      }
      case 9: c.definitions.emplace_back(start(s)); break;
      case 12: s.fail("value definitions (section 12) are not supported");
      default: {
        uint32_t n = s.count(fmt::format("the number of entries in the {} section", section_name(id)).c_str());
        for (uint32_t i = 0; i < n; ++i) {
          switch (id) {
            case 2: c.definitions.emplace_back(core_instance(s)); break;
            case 3: c.definitions.emplace_back(core_type(s, depth)); break;
            case 5: c.definitions.emplace_back(instance(s)); break;
            case 6: c.definitions.emplace_back(alias(s)); break;
            case 7: c.definitions.emplace_back(type(s, depth)); break;
            case 8: c.definitions.emplace_back(canon(s)); break;
            case 10: c.definitions.emplace_back(import(s)); break;
            case 11: c.definitions.emplace_back(export_def(s)); break;
          }
        }
      }
    }
    if (!s.at_end())
      s.fail(fmt::format("the {} section has {} bytes left over after its contents", section_name(id), s.remaining()));
  }

  CoreModuleDef core_module(ByteReader& s) {
    CoreModuleDef m;
    m.offset = s.offset();
    if (s.remaining() < 8) s.fail("a core module needs at least its 8-byte preamble");
    auto b = s.bytes(s.remaining(), "core module");
    if (!std::equal(b.begin(), b.begin() + 4, kMagic)) s.fail_at(m.offset, "expected a core module (magic \\0asm)");
    if (!(b[4] == 1 && b[5] == 0 && b[6] == 0 && b[7] == 0))
      s.fail_at(m.offset + 4, "expected a core module of version 1 (01 00 00 00) in the core module section");
    m.bytes.assign(b.begin(), b.end());
    return m;
  }

  CoreSort core_sort(ByteReader& r) {
    uint64_t at = r.offset();
    uint8_t b = r.u8("a core sort");
    switch (b) {
      case 0x00: case 0x01: case 0x02: case 0x03: case 0x04: case 0x10: case 0x11: case 0x12:
        return CoreSort(b);
    }
    r.fail_at(at, fmt::format("expected a core sort (0x00-0x04, 0x10-0x12), found {}", hex_byte(b)));
  }

  Sort sort(ByteReader& r) {
    uint64_t at = r.offset();
    uint8_t b = r.u8("a sort");
    if (b == 0x00) return Sort{SortKind::Core, core_sort(r)};
    if (b >= 0x01 && b <= 0x05) return Sort{SortKind(b), CoreSort::Func};
    r.fail_at(at, fmt::format("expected a sort (0x00-0x05), found {}", hex_byte(b)));
  }

  CoreInstanceDef core_instance(ByteReader& r) {
    CoreInstanceDef d;
    d.offset = r.offset();
    uint8_t kind = r.u8("a core instance kind");
    if (kind == 0x00) {
      d.module = r.u32("a core module index");
      uint32_t n = r.count("the number of instantiation arguments", 3);
      for (uint32_t i = 0; i < n; ++i) {
        CoreInstanceDef::Arg a;
        a.name = r.name("an instantiation argument name");
        uint64_t at = r.offset();
        uint8_t s = r.u8("the argument sort");
        if (s != 0x12) r.fail_at(at, fmt::format("expected 0x12 (instance) as core instantiation argument sort, found {}", hex_byte(s)));
        a.instance = r.u32("a core instance index");
        d.args.push_back(std::move(a));
      }
    } else if (kind == 0x01) {
      d.instantiate = false;
      uint32_t n = r.count("the number of inline exports", 3);
      for (uint32_t i = 0; i < n; ++i) {
        CoreInstanceDef::Export e;
        e.name = r.name("an export name");
        e.sort = core_sort(r);
        e.index = r.u32("an index");
        d.exports.push_back(std::move(e));
      }
    } else {
      r.fail_at(d.offset, fmt::format("expected a core instance (0x00 instantiate or 0x01 exports), found {}", hex_byte(kind)));
    }
    return d;
  }

  ValType core_valtype(ByteReader& r) {
    uint64_t at = r.offset();
    uint8_t b = r.u8("a core value type");
    switch (b) {
      case 0x7f: return ValType::I32;
      case 0x7e: return ValType::I64;
      case 0x7d: return ValType::F32;
      case 0x7c: return ValType::F64;
      case 0x7b: return ValType::V128;
      case 0x70: return ValType::FuncRef;
      case 0x6f: return ValType::ExternRef;
    }
    r.fail_at(at, fmt::format("expected a core value type (i32, i64, f32, f64, v128, funcref, externref), found {}", hex_byte(b)));
  }

  void limits(ByteReader& r, bool memory) {
    uint64_t at = r.offset();
    uint8_t flags = r.u8("limits flags");
    if (flags & ~0x0f) r.fail_at(at, fmt::format("invalid limits flags {}", hex_byte(flags)));
    bool is64 = flags & 0x04;
    if (is64) r.u64("a minimum"); else r.u32("a minimum");
    if (flags & 0x01) { if (is64) r.u64("a maximum"); else r.u32("a maximum"); }
    if (memory && (flags & 0x08)) r.u32("a page size");
  }

  CoreExternDecl core_extern(ByteReader& r) {
    CoreExternDecl d;
    uint64_t at = r.offset();
    uint8_t b = r.u8("a core extern kind");
    switch (b) {
      case 0x00: d.kind = CoreExternKind::Func; d.type_index = r.u32("a core type index"); break;
      case 0x01: d.kind = CoreExternKind::Table; core_valtype(r); limits(r, false); break;
      case 0x02: d.kind = CoreExternKind::Memory; limits(r, true); break;
      case 0x03: {
        d.kind = CoreExternKind::Global;
        core_valtype(r);
        uint64_t mat = r.offset();
        uint8_t m = r.u8("global mutability");
        if (m > 1) r.fail_at(mat, fmt::format("expected global mutability 0 or 1, found {}", hex_byte(m)));
        break;
      }
      case 0x04: {
        d.kind = CoreExternKind::Tag;
        uint64_t aat = r.offset();
        if (r.u8("tag attribute") != 0) r.fail_at(aat, "expected tag attribute 0x00");
        d.type_index = r.u32("a core type index");
        break;
      }
      default:
        r.fail_at(at, fmt::format("expected a core extern kind (0x00-0x04), found {}", hex_byte(b)));
    }
    return d;
  }

  CoreTypeDef core_type(ByteReader& r, uint32_t depth) {
    CoreTypeDef t;
    t.offset = r.offset();
    uint8_t b = r.u8("a core type");
    if (b == 0x60) {
      t.kind = CoreTypeDef::Kind::Func;
      uint32_t np = r.count("the number of parameters");
      for (uint32_t i = 0; i < np; ++i) t.func.params.push_back(core_valtype(r));
      uint32_t nr = r.count("the number of results");
      for (uint32_t i = 0; i < nr; ++i) t.func.results.push_back(core_valtype(r));
    } else if (b == 0x50) {
      if (depth > options_.max_nesting) r.fail_at(t.offset, "types nested too deeply");
      t.kind = CoreTypeDef::Kind::Module;
      uint32_t n = r.count("the number of module type declarations", 2);
      for (uint32_t i = 0; i < n; ++i) {
        uint64_t at = r.offset();
        uint8_t k = r.u8("a module type declaration");
        CoreModuleDecl d{CoreModuleDecl::Kind::Import, {}, {}, {}, 0, 0};
        switch (k) {
          case 0x00:
            d.kind = CoreModuleDecl::Kind::Import;
            d.module = r.name("an import module name");
            d.name = r.name("an import name");
            d.desc = core_extern(r);
            break;
          case 0x01: {
            d.kind = CoreModuleDecl::Kind::Type;
            uint64_t tat = r.offset();
            auto inner = core_type(r, depth + 1);
            if (inner.kind == CoreTypeDef::Kind::Module) r.fail_at(tat, "a module type may not define a module type");
            break;
          }
          case 0x02: {
            d.kind = CoreModuleDecl::Kind::Alias;
            uint64_t sat = r.offset();
            uint8_t s = r.u8("an alias sort");
            uint8_t tgt = r.u8("an alias target");
            if (s != 0x10 || tgt != 0x01) r.fail_at(sat, "expected an outer type alias (0x10 0x01) in a module type");
            d.outer_count = r.u32("an outer count");
            d.outer_index = r.u32("an outer index");
            break;
          }
          case 0x03:
            d.kind = CoreModuleDecl::Kind::Export;
            d.name = r.name("an export name");
            d.desc = core_extern(r);
            break;
          default:
            r.fail_at(at, fmt::format("expected a module type declaration (0x00-0x03), found {}", hex_byte(k)));
        }
        t.decls.push_back(std::move(d));
      }
    } else if (b == 0x4e || b == 0x00 || b == 0x4f || b == 0x5f || b == 0x5e) {
      r.fail_at(t.offset, "core GC types (rec, sub, struct, array) are not supported in components");
    } else {
      r.fail_at(t.offset, fmt::format("expected a core type (0x60 func or 0x50 module), found {}", hex_byte(b)));
    }
    return t;
  }

  static bool is_prim(int64_t code) {
    return (code >= 0x73 && code <= 0x7f) || code == 0x64;
  }

  ValTypeRef valtype(ByteReader& r) {
    uint64_t at = r.offset();
    int64_t v = r.s33("a value type");
    ValTypeRef t;
    if (v >= 0) {
      t.primitive = false;
      t.index = uint32_t(v);
      return t;
    }
    int64_t code = v & 0x7f;
    if (v < -64 || !is_prim(code))
      r.fail_at(at, fmt::format("expected a value type (a type index or a primitive type 0x64, 0x73-0x7f), found {}",
                                hex_byte(uint8_t(code))));
    t.prim = PrimType(code);
    return t;
  }

  std::optional<ValTypeRef> opt_valtype(ByteReader& r) {
    uint64_t at = r.offset();
    uint8_t b = r.u8("an optional value type flag");
    if (b == 0) return std::nullopt;
    if (b == 1) return valtype(r);
    r.fail_at(at, fmt::format("expected 0x00 (absent) or 0x01 (present), found {}", hex_byte(b)));
  }

  std::string label(ByteReader& r, const char* what) {
    uint64_t at = r.offset();
    std::string l = r.name(what);
    if (l.empty()) r.fail_at(at, fmt::format("{} is empty", what));
    return l;
  }

  DefValType defvaltype(ByteReader& r) {
    DefValType d;
    uint64_t at = r.offset();
    uint8_t b = r.u8("a value type definition");
    using K = DefValType::Kind;
    if (is_prim(b)) {
      d.kind = K::Primitive;
      d.prim = PrimType(b);
      return d;
    }
    switch (b) {
      case 0x72: {
        d.kind = K::Record;
        uint32_t n = r.count("the number of record fields", 2);
        if (n == 0) r.fail_at(at, "a record needs at least one field");
        for (uint32_t i = 0; i < n; ++i) {
          DefValType::Field f;
          f.name = label(r, "a record field name");
          f.type = valtype(r);
          d.fields.push_back(std::move(f));
        }
        break;
      }
      case 0x71: {
        d.kind = K::Variant;
        uint32_t n = r.count("the number of variant cases", 3);
        if (n == 0) r.fail_at(at, "a variant needs at least one case");
        for (uint32_t i = 0; i < n; ++i) {
          DefValType::Case c;
          c.name = label(r, "a variant case name");
          c.type = opt_valtype(r);
          uint64_t rat = r.offset();
          uint8_t refines = r.u8("the variant case trailer");
          if (refines != 0) r.fail_at(rat, fmt::format("expected 0x00 after a variant case (refines is not supported), found {}", hex_byte(refines)));
          d.cases.push_back(std::move(c));
        }
        break;
      }
      case 0x70: d.kind = K::List; d.element = valtype(r); break;
      case 0x67:
        d.kind = K::FixedList;
        d.element = valtype(r);
        d.length = r.u32("a fixed list length");
        if (d.length == 0) r.fail_at(at, "a fixed-length list needs a length above 0");
        break;
      case 0x6f: {
        d.kind = K::Tuple;
        uint32_t n = r.count("the number of tuple items");
        if (n == 0) r.fail_at(at, "a tuple needs at least one item");
        for (uint32_t i = 0; i < n; ++i) d.items.push_back(valtype(r));
        break;
      }
      case 0x6e:
      case 0x6d: {
        d.kind = b == 0x6e ? K::Flags : K::Enum;
        const char* what = b == 0x6e ? "flags" : "enum";
        uint32_t n = r.count(fmt::format("the number of {} labels", what).c_str(), 2);
        if (n == 0) r.fail_at(at, fmt::format("{} need at least one label", what));
        if (b == 0x6e && n > 32) r.fail_at(at, fmt::format("flags may have at most 32 labels, found {}", n));
        for (uint32_t i = 0; i < n; ++i) d.labels.push_back(label(r, "a label"));
        break;
      }
      case 0x6b: d.kind = K::Option; d.element = valtype(r); break;
      case 0x6a: d.kind = K::Result; d.ok = opt_valtype(r); d.err = opt_valtype(r); break;
      case 0x69: d.kind = K::Own; d.type_index = r.u32("a resource type index"); break;
      case 0x68: d.kind = K::Borrow; d.type_index = r.u32("a resource type index"); break;
      case 0x66: d.kind = K::Stream; d.element = opt_valtype(r); break;
      case 0x65: d.kind = K::Future; d.element = opt_valtype(r); break;
      case 0x63: d.kind = K::Map; d.element = valtype(r); d.element2 = valtype(r); break;
      default:
        r.fail_at(at, fmt::format("expected a type definition (a primitive, record 0x72, variant 0x71, list 0x70, "
                                  "tuple 0x6f, flags 0x6e, enum 0x6d, option 0x6b, result 0x6a, own 0x69, borrow 0x68, "
                                  "func 0x40, component 0x41, instance 0x42, resource 0x3f), found {}",
                                  hex_byte(b)));
    }
    return d;
  }

  ExternDesc extern_desc(ByteReader& r) {
    ExternDesc d{ExternDesc::Kind::Func, 0, false, std::nullopt};
    uint64_t at = r.offset();
    uint8_t b = r.u8("an extern type");
    switch (b) {
      case 0x00: {
        uint64_t mat = r.offset();
        if (r.u8("core module marker") != 0x11) r.fail_at(mat, "expected 0x11 (core module) after 0x00 in an extern type");
        d.kind = ExternDesc::Kind::CoreModule;
        d.index = r.u32("a core type index");
        break;
      }
      case 0x01: d.kind = ExternDesc::Kind::Func; d.index = r.u32("a type index"); break;
      case 0x02: {
        d.kind = ExternDesc::Kind::Value;
        uint64_t vat = r.offset();
        uint8_t vb = r.u8("a value bound");
        if (vb == 0) d.index = r.u32("a value index");
        else if (vb == 1) d.value_type = valtype(r);
        else r.fail_at(vat, fmt::format("expected a value bound (0x00 eq or 0x01 type), found {}", hex_byte(vb)));
        break;
      }
      case 0x03: {
        d.kind = ExternDesc::Kind::Type;
        uint64_t tat = r.offset();
        uint8_t tb = r.u8("a type bound");
        if (tb == 0) d.index = r.u32("a type index");
        else if (tb == 1) d.sub_resource = true;
        else r.fail_at(tat, fmt::format("expected a type bound (0x00 eq or 0x01 sub resource), found {}", hex_byte(tb)));
        break;
      }
      case 0x04: d.kind = ExternDesc::Kind::Component; d.index = r.u32("a type index"); break;
      case 0x05: d.kind = ExternDesc::Kind::Instance; d.index = r.u32("a type index"); break;
      default:
        r.fail_at(at, fmt::format("expected an extern type (0x00-0x05), found {}", hex_byte(b)));
    }
    return d;
  }

  std::string extern_name(ByteReader& r, const char* what) {
    uint64_t at = r.offset();
    uint8_t b = r.u8("a name kind");
    if (b > 0x02) r.fail_at(at, fmt::format("expected a name (0x00, 0x01 or 0x02 with attributes), found {}", hex_byte(b)));
    uint64_t nat = r.offset();
    std::string n = r.name(what);
    if (n.empty()) r.fail_at(nat, fmt::format("{} is empty", what));
    if (b == 0x02) {
      uint32_t na = r.count("the number of name attributes", 2);
      for (uint32_t i = 0; i < na; ++i) {
        uint64_t aat = r.offset();
        uint8_t a = r.u8("an attribute kind");
        if (a > 0x02) r.fail_at(aat, fmt::format("expected a name attribute (0x00-0x02), found {}", hex_byte(a)));
        r.name("an attribute value");
      }
    }
    return n;
  }

  Decl decl(ByteReader& r, bool component_type, uint32_t depth) {
    uint64_t at = r.offset();
    uint8_t b = r.u8("a declaration");
    Decl d{Decl::Kind::Type, nullptr, nullptr, nullptr, {}, {}};
    switch (b) {
      case 0x00: d.kind = Decl::Kind::CoreType; d.core_type = std::make_shared<CoreTypeDef>(core_type(r, depth + 1)); break;
      case 0x01: d.kind = Decl::Kind::Type; d.type = std::make_shared<TypeDef>(type(r, depth + 1)); break;
      case 0x02: d.kind = Decl::Kind::Alias; d.alias = std::make_shared<AliasDef>(alias(r)); break;
      case 0x03:
        if (!component_type) r.fail_at(at, "an instance type may not contain imports (0x03)");
        d.kind = Decl::Kind::Import;
        d.name = extern_name(r, "an import name");
        d.desc = extern_desc(r);
        break;
      case 0x04:
        d.kind = Decl::Kind::Export;
        d.name = extern_name(r, "an export name");
        d.desc = extern_desc(r);
        break;
      default:
        r.fail_at(at, fmt::format("expected a declaration (0x00 core type, 0x01 type, 0x02 alias, {}0x04 export), found {}",
                                  component_type ? "0x03 import, " : "", hex_byte(b)));
    }
    return d;
  }

  TypeDef type(ByteReader& r, uint32_t depth) {
    TypeDef t;
    t.offset = r.offset();
    if (depth > options_.max_nesting) r.fail(fmt::format("types nested deeper than {}", options_.max_nesting));
    uint8_t b = r.peek("a type definition");
    switch (b) {
      case 0x40:
      case 0x43: {
        r.u8("func");
        t.kind = TypeDef::Kind::Func;
        t.func.async = b == 0x43;
        uint32_t n = r.count("the number of parameters", 2);
        for (uint32_t i = 0; i < n; ++i) {
          DefValType::Field f;
          f.name = label(r, "a parameter name");
          f.type = valtype(r);
          t.func.params.push_back(std::move(f));
        }
        uint64_t rat = r.offset();
        uint8_t rk = r.u8("a result list");
        if (rk == 0x00) {
          t.func.result = valtype(r);
        } else if (rk == 0x01) {
          uint64_t zat = r.offset();
          if (r.u8("the empty result list") != 0x00) r.fail_at(zat, "named results are not supported (expected 0x01 0x00)");
        } else {
          r.fail_at(rat, fmt::format("expected a result list (0x00 type or 0x01 0x00 none), found {}", hex_byte(rk)));
        }
        break;
      }
      case 0x41:
      case 0x42: {
        r.u8("type");
        t.kind = b == 0x41 ? TypeDef::Kind::Component : TypeDef::Kind::Instance;
        uint32_t n = r.count("the number of declarations", 2);
        for (uint32_t i = 0; i < n; ++i) t.decls.push_back(decl(r, b == 0x41, depth));
        break;
      }
      case 0x3f:
      case 0x3e: {
        r.u8("resource");
        t.kind = TypeDef::Kind::Resource;
        t.resource.async = b == 0x3e;
        uint64_t rep_at = r.offset();
        t.resource.rep = core_valtype(r);
        if (t.resource.rep != ValType::I32) r.fail_at(rep_at, "a resource's representation must be i32");
        uint64_t dat = r.offset();
        uint8_t has = r.u8("a destructor flag");
        if (has == 1) t.resource.dtor = r.u32("a destructor core function index");
        else if (has != 0) r.fail_at(dat, fmt::format("expected 0x00 or 0x01 for the destructor, found {}", hex_byte(has)));
        if (t.resource.async) {
          uint64_t cat = r.offset();
          uint8_t hc = r.u8("a callback flag");
          if (hc == 1) t.resource.callback = r.u32("a callback index");
          else if (hc != 0) r.fail_at(cat, "expected 0x00 or 0x01 for the callback");
        }
        break;
      }
      default:
        t.kind = TypeDef::Kind::Value;
        t.value = defvaltype(r);
    }
    return t;
  }

  InstanceDef instance(ByteReader& r) {
    InstanceDef d;
    d.offset = r.offset();
    uint8_t kind = r.u8("an instance kind");
    if (kind == 0x00) {
      d.component = r.u32("a component index");
      uint32_t n = r.count("the number of instantiation arguments", 3);
      for (uint32_t i = 0; i < n; ++i) {
        InstanceDef::Arg a;
        a.name = r.name("an argument name");
        a.item.sort = sort(r);
        a.item.index = r.u32("an index");
        d.args.push_back(std::move(a));
      }
    } else if (kind == 0x01) {
      d.instantiate = false;
      uint32_t n = r.count("the number of inline exports", 4);
      for (uint32_t i = 0; i < n; ++i) {
        InstanceDef::Arg a;
        a.name = extern_name(r, "an export name");
        a.item.sort = sort(r);
        a.item.index = r.u32("an index");
        d.args.push_back(std::move(a));
      }
    } else {
      r.fail_at(d.offset, fmt::format("expected an instance (0x00 instantiate or 0x01 exports), found {}", hex_byte(kind)));
    }
    return d;
  }

  AliasDef alias(ByteReader& r) {
    AliasDef a;
    a.offset = r.offset();
    a.sort = sort(r);
    uint64_t at = r.offset();
    uint8_t t = r.u8("an alias target");
    switch (t) {
      case 0x00:
        a.target = AliasDef::Target::InstanceExport;
        a.instance = r.u32("an instance index");
        a.name = r.name("an export name");
        if (a.sort.kind == SortKind::Core && a.sort.core != CoreSort::Module)
          r.fail_at(a.offset, "an instance export alias of a core sort must be a core module");
        break;
      case 0x01:
        a.target = AliasDef::Target::CoreInstanceExport;
        a.instance = r.u32("a core instance index");
        a.name = r.name("an export name");
        if (a.sort.kind != SortKind::Core)
          r.fail_at(a.offset, fmt::format("a core export alias needs a core sort, found {}", to_string(a.sort)));
        break;
      case 0x02:
        a.target = AliasDef::Target::Outer;
        a.outer_count = r.u32("an outer count");
        a.outer_index = r.u32("an outer index");
        if (!(a.sort.kind == SortKind::Type || a.sort.kind == SortKind::Component ||
              (a.sort.kind == SortKind::Core && (a.sort.core == CoreSort::Type || a.sort.core == CoreSort::Module))))
          r.fail_at(a.offset, fmt::format("an outer alias may only refer to a type, component, core type or core module, not a {}",
                                          to_string(a.sort)));
        break;
      default:
        r.fail_at(at, fmt::format("expected an alias target (0x00 export, 0x01 core export, 0x02 outer), found {}", hex_byte(t)));
    }
    return a;
  }

  CanonOptions canon_options(ByteReader& r) {
    CanonOptions o;
    bool have_encoding = false;
    uint32_t n = r.count("the number of canonical options");
    for (uint32_t i = 0; i < n; ++i) {
      uint64_t at = r.offset();
      uint8_t b = r.u8("a canonical option");
      auto once = [&](bool dup, const char* what) {
        if (dup) r.fail_at(at, fmt::format("the canonical option {} is given twice", what));
      };
      switch (b) {
        case 0x00: case 0x01: case 0x02:
          once(have_encoding, "string-encoding");
          have_encoding = true;
          o.string_encoding = StringEncoding(b);
          break;
        case 0x03: once(o.memory.has_value(), "memory"); o.memory = r.u32("a core memory index"); break;
        case 0x04: once(o.realloc.has_value(), "realloc"); o.realloc = r.u32("a core function index"); break;
        case 0x05: once(o.post_return.has_value(), "post-return"); o.post_return = r.u32("a core function index"); break;
        case 0x06: once(o.async, "async"); o.async = true; break;
        case 0x07: once(o.callback.has_value(), "callback"); o.callback = r.u32("a core function index"); break;
        default:
          r.fail_at(at, fmt::format("expected a canonical option (0x00-0x07), found {}", hex_byte(b)));
      }
    }
    return o;
  }

  void flag_byte(ByteReader& r, const char* what) {
    uint64_t at = r.offset();
    uint8_t b = r.u8(what);
    if (b > 1) r.fail_at(at, fmt::format("expected 0x00 or 0x01 for {}, found {}", what, hex_byte(b)));
  }

  CanonDef canon(ByteReader& r) {
    CanonDef c;
    c.offset = r.offset();
    uint8_t op = r.u8("a canonical function");
    c.opcode = op;
    auto func_sort = [&](const char* what) {
      uint64_t at = r.offset();
      uint8_t b = r.u8(what);
      if (b != 0x00) r.fail_at(at, fmt::format("expected 0x00 (func) after the canon opcode, found {}", hex_byte(b)));
    };
    switch (op) {
      case 0x00:
        func_sort("lift");
        c.kind = CanonDef::Kind::Lift;
        c.defines_core_func = false;
        c.func_index = r.u32("a core function index");
        c.options = canon_options(r);
        c.type_index = r.u32("a function type index");
        break;
      case 0x01:
        func_sort("lower");
        c.kind = CanonDef::Kind::Lower;
        c.func_index = r.u32("a function index");
        c.options = canon_options(r);
        break;
      case 0x02: c.kind = CanonDef::Kind::ResourceNew; c.type_index = r.u32("a resource type index"); break;
      case 0x03: case 0x07: c.kind = CanonDef::Kind::ResourceDrop; c.type_index = r.u32("a resource type index"); break;
      case 0x04: c.kind = CanonDef::Kind::ResourceRep; c.type_index = r.u32("a resource type index"); break;
      // async and thread builtins: decoded so the section can be read, not run
      case 0x05: case 0x08: case 0x0d: case 0x1e: case 0x1f: case 0x22: case 0x23: case 0x24: case 0x25:
      case 0x26: case 0x28:
        c.kind = CanonDef::Kind::Other;
        break;
      case 0x09: {
        c.kind = CanonDef::Kind::Other;
        uint64_t at = r.offset();
        uint8_t rk = r.u8("a result list");
        if (rk == 0x00) valtype(r);
        else if (rk == 0x01) { if (r.u8("the empty result list") != 0) r.fail_at(at, "expected 0x01 0x00"); }
        else r.fail_at(at, fmt::format("expected a result list, found {}", hex_byte(rk)));
        c.options = canon_options(r);
        break;
      }
      case 0x0a: case 0x0b:
        c.kind = CanonDef::Kind::Other;
        core_valtype(r);
        r.u32("a context slot");
        break;
      case 0x06: case 0x0c: case 0x29: case 0x2a: case 0x2b: case 0x2c: case 0x2d:
        c.kind = CanonDef::Kind::Other;
        flag_byte(r, "the async/cancellable flag");
        break;
      case 0x0e: case 0x13: case 0x14: case 0x15: case 0x1a: case 0x1b:
        c.kind = CanonDef::Kind::Other;
        c.type_index = r.u32("a type index");
        break;
      case 0x0f: case 0x10: case 0x16: case 0x17:
        c.kind = CanonDef::Kind::Other;
        c.type_index = r.u32("a type index");
        c.options = canon_options(r);
        break;
      case 0x11: case 0x12: case 0x18: case 0x19:
        c.kind = CanonDef::Kind::Other;
        c.type_index = r.u32("a type index");
        flag_byte(r, "the async flag");
        break;
      case 0x1c: case 0x1d:
        c.kind = CanonDef::Kind::Other;
        c.options = canon_options(r);
        break;
      case 0x20: case 0x21:
        c.kind = CanonDef::Kind::Other;
        flag_byte(r, "the cancellable flag");
        r.u32("a core memory index");
        break;
      case 0x27:
        c.kind = CanonDef::Kind::Other;
        r.u32("a core type index");
        r.u32("a core table index");
        break;
      case 0x40: case 0x41: case 0x42:
        c.kind = CanonDef::Kind::Other;
        flag_byte(r, "the shared flag");
        if (op != 0x42) r.u32("a core type index");
        if (op == 0x41) r.u32("a core table index");
        break;
      default:
        r.fail_at(c.offset, fmt::format("expected a canonical function (0x00 lift, 0x01 lower, 0x02-0x04 resource.*, "
                                        "or an async builtin), found {}", hex_byte(op)));
    }
    return c;
  }

  StartDef start(ByteReader& r) {
    StartDef s;
    s.func = r.u32("a function index");
    uint32_t n = r.count("the number of start arguments");
    for (uint32_t i = 0; i < n; ++i) s.args.push_back(r.u32("a value index"));
    s.results = r.u32("the number of start results");
    return s;
  }

  ImportDef import(ByteReader& r) {
    ImportDef d;
    d.offset = r.offset();
    d.name = extern_name(r, "an import name");
    d.desc = extern_desc(r);
    return d;
  }

  ExportDef export_def(ByteReader& r) {
    ExportDef d;
    d.offset = r.offset();
    d.name = extern_name(r, "an export name");
    d.item.sort = sort(r);
    d.item.index = r.u32("an index");
    uint64_t at = r.offset();
    uint8_t has = r.u8("an optional export type flag");
    if (has == 1) d.desc = extern_desc(r);
    else if (has != 0) r.fail_at(at, fmt::format("expected 0x00 or 0x01 for the export's type ascription, found {}", hex_byte(has)));
    return d;
  }

  ParseOptions options_;
};

}  // namespace

Component parse_component(std::span<const uint8_t> bytes, const std::string& name, ParseOptions options) {
  ByteReader r(bytes, 0, name);
  if (bytes.empty()) r.fail("empty input: expected a component binary");
  Parser p(options);  // the reader names the component in errors
  auto c = p.component(r, 0);
  return std::move(*c);
}

std::vector<const ImportDef*> Component::imports() const {
  std::vector<const ImportDef*> r;
  for (auto& d : definitions)
    if (auto* i = std::get_if<ImportDef>(&d)) r.push_back(i);
  return r;
}
std::vector<const ExportDef*> Component::exports() const {
  std::vector<const ExportDef*> r;
  for (auto& d : definitions)
    if (auto* e = std::get_if<ExportDef>(&d)) r.push_back(e);
  return r;
}
std::vector<const CoreModuleDef*> Component::core_modules() const {
  std::vector<const CoreModuleDef*> r;
  for (auto& d : definitions)
    if (auto* m = std::get_if<CoreModuleDef>(&d)) r.push_back(m);
  return r;
}

const char* to_string(CoreSort sort) {
  switch (sort) {
    case CoreSort::Func: return "core func";
    case CoreSort::Table: return "core table";
    case CoreSort::Memory: return "core memory";
    case CoreSort::Global: return "core global";
    case CoreSort::Tag: return "core tag";
    case CoreSort::Type: return "core type";
    case CoreSort::Module: return "core module";
    case CoreSort::Instance: return "core instance";
  }
  return "?";
}

std::string to_string(Sort sort) {
  switch (sort.kind) {
    case SortKind::Core: return to_string(sort.core);
    case SortKind::Func: return "func";
    case SortKind::Value: return "value";
    case SortKind::Type: return "type";
    case SortKind::Component: return "component";
    case SortKind::Instance: return "instance";
  }
  return "?";
}

const char* to_string(PrimType t) {
  switch (t) {
    case PrimType::Bool: return "bool";
    case PrimType::S8: return "s8";
    case PrimType::U8: return "u8";
    case PrimType::S16: return "s16";
    case PrimType::U16: return "u16";
    case PrimType::S32: return "s32";
    case PrimType::U32: return "u32";
    case PrimType::S64: return "s64";
    case PrimType::U64: return "u64";
    case PrimType::F32: return "f32";
    case PrimType::F64: return "f64";
    case PrimType::Char: return "char";
    case PrimType::String: return "string";
    case PrimType::ErrorContext: return "error-context";
  }
  return "?";
}

const char* to_string(ExternDesc::Kind kind) {
  switch (kind) {
    case ExternDesc::Kind::CoreModule: return "core module";
    case ExternDesc::Kind::Func: return "func";
    case ExternDesc::Kind::Value: return "value";
    case ExternDesc::Kind::Type: return "type";
    case ExternDesc::Kind::Component: return "component";
    case ExternDesc::Kind::Instance: return "instance";
  }
  return "?";
}

const char* to_string(StringEncoding e) {
  switch (e) {
    case StringEncoding::Utf8: return "utf8";
    case StringEncoding::Utf16: return "utf16";
    case StringEncoding::Latin1Utf16: return "latin1+utf16";
  }
  return "?";
}

}  // namespace wasmlet::component

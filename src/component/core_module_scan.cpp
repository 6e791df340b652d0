// Reads a core module's import and export sections (and nothing else), so the
// component validator can check core instantiations without compiling.
#include <fmt/format.h>

#include "component/byte_reader.h"
#include "wasmlet/component/validate.h"

namespace wasmlet::component {
namespace {

using detail::ByteReader;

void skip_valtype(ByteReader& r) {
  uint8_t b = r.u8("a value type");
  if (b == 0x63 || b == 0x64) r.s33("a heap type");
}

void skip_limits(ByteReader& r) {
  uint8_t flags = r.u8("limits flags");
  bool is64 = flags & 0x04;
  if (is64) r.u64("a minimum"); else r.u32("a minimum");
  if (flags & 0x01) { if (is64) r.u64("a maximum"); else r.u32("a maximum"); }
  if (flags & 0x08) r.u32("a page size");
}

CoreExternKind extern_kind(ByteReader& r, uint8_t b, uint64_t at) {
  if (b > 4) r.fail_at(at, fmt::format("core module: expected an import/export kind 0-4, found {}", detail::hex_byte(b)));
  return CoreExternKind(b);
}

}  // namespace

const char* to_string(CoreExternKind kind) {
  switch (kind) {
    case CoreExternKind::Func: return "func";
    case CoreExternKind::Table: return "table";
    case CoreExternKind::Memory: return "memory";
    case CoreExternKind::Global: return "global";
    case CoreExternKind::Tag: return "tag";
  }
  return "?";
}

CoreModuleInfo scan_core_module(std::span<const uint8_t> bytes, uint64_t base, const std::string& name) {
  CoreModuleInfo info;
  ByteReader r(bytes, base, name);
  r.skip(8, "the core module preamble");
  while (!r.at_end()) {
    uint8_t id = r.u8("a core section id");
    uint32_t size = r.u32("a core section size");
    ByteReader s = r.sub(size, "a core section");
    if (id == 2) {
      uint32_t n = s.count("the number of core imports", 4);
      for (uint32_t i = 0; i < n; ++i) {
        CoreModuleInfo::Import imp;
        imp.module = s.name("an import module name");
        imp.name = s.name("an import name");
        uint64_t at = s.offset();
        imp.kind = extern_kind(s, s.u8("an import kind"), at);
        switch (imp.kind) {
          case CoreExternKind::Func: s.u32("a type index"); break;
          case CoreExternKind::Table: skip_valtype(s); skip_limits(s); break;
          case CoreExternKind::Memory: skip_limits(s); break;
          case CoreExternKind::Global: skip_valtype(s); s.u8("mutability"); break;
          case CoreExternKind::Tag: s.u8("tag attribute"); s.u32("a type index"); break;
        }
        info.imports.push_back(std::move(imp));
      }
    } else if (id == 7) {
      uint32_t n = s.count("the number of core exports", 3);
      for (uint32_t i = 0; i < n; ++i) {
        CoreModuleInfo::Export e;
        e.name = s.name("an export name");
        uint64_t at = s.offset();
        e.kind = extern_kind(s, s.u8("an export kind"), at);
        s.u32("an index");
        info.exports.push_back(std::move(e));
      }
    }
  }
  return info;
}

}  // namespace wasmlet::component

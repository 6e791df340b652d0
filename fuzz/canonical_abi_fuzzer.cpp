// (d) Canonical-ABI lifting of guest data (src/component/canonical_abi.cpp):
// a WIT type chosen by the input is loaded from a linear memory filled by the
// input, and lifted from flat core values. Whatever the guest wrote, a lift
// either gives a value or traps (AbiTrap). A value that lifted is lowered
// again into a scratch copy of the memory and lifted back: it must come back
// the same (the ABI's round trip).
#include <bit>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "fuzz_support.h"
#include "wasmlet/component/canonical_abi.h"

using namespace wasmlet;
using namespace wasmlet::component;
using wasmlet::fuzz::Input;

namespace {

const ResourcePtr kResource = std::make_shared<ResourceType>(ResourceType{"fuzz-resource"});

std::vector<std::string> labels(size_t n) {
  std::vector<std::string> r;
  for (size_t i = 0; i < n; ++i) r.push_back("l" + std::to_string(i));
  return r;
}

// A type of at most a few levels, every kind the lifting code handles.
TypePtr make_type(Input& in, int depth) {
  const uint8_t choice = in.byte();
  const bool leaf = depth >= 4;
  switch (leaf ? choice % 13 : choice % 23) {
    case 0: return types::primitive(TypeKind::Bool);
    case 1: return types::primitive(TypeKind::S8);
    case 2: return types::primitive(TypeKind::U8);
    case 3: return types::primitive(TypeKind::S16);
    case 4: return types::primitive(TypeKind::U16);
    case 5: return types::primitive(TypeKind::S32);
    case 6: return types::primitive(TypeKind::U32);
    case 7: return types::primitive(TypeKind::S64);
    case 8: return types::primitive(TypeKind::U64);
    case 9: return types::primitive(TypeKind::F32);
    case 10: return types::primitive(TypeKind::F64);
    case 11: return types::primitive(TypeKind::Char);
    case 12: return types::string();
    case 13: return types::list(make_type(in, depth + 1));
    case 14: {
      std::vector<Field> fields;
      for (int n = 1 + in.byte() % 4, i = 0; i < n; ++i) fields.push_back({"f" + std::to_string(i), make_type(in, depth + 1)});
      return types::record(std::move(fields));
    }
    case 15: {
      std::vector<TypePtr> items;
      for (int n = 1 + in.byte() % 4, i = 0; i < n; ++i) items.push_back(make_type(in, depth + 1));
      return types::tuple(std::move(items));
    }
    case 16: {
      // Up to 300 cases: one- and two-byte discriminants.
      std::vector<Case> cases;
      const int n = 1 + (in.byte() % 2 ? in.byte() % 4 : 256 + in.byte() % 44);
      for (int i = 0; i < n; ++i) cases.push_back({"c" + std::to_string(i), i < 4 && in.byte() % 2 ? make_type(in, depth + 1) : nullptr});
      return types::variant(std::move(cases));
    }
    case 17: return types::enumeration(labels(1 + in.byte() % 260));
    case 18: return types::flags(labels(1 + in.byte() % 32));
    case 19: return types::option(make_type(in, depth + 1));
    case 20: {
      const uint8_t shape = in.byte();
      return types::result(shape & 1 ? make_type(in, depth + 1) : nullptr, shape & 2 ? make_type(in, depth + 1) : nullptr);
    }
    case 21: return types::own(kResource);
    default: return types::borrow(kResource);
  }
}

// A handle table holding a few own handles of kResource (indices 1..4).
ResourceTable make_handles() {
  ResourceTable table;
  for (uint32_t rep = 100; rep < 104; ++rep) table.lower_own(rep, kResource);
  return table;
}

struct OutOfScratch {};

StringEncoding encoding_of(uint8_t b) {
  switch (b % 3) {
    case 0: return StringEncoding::Utf8;
    case 1: return StringEncoding::Utf16;
    default: return StringEncoding::Latin1Utf16;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  const TypePtr type = make_type(in, 0);
  const StringEncoding encoding = encoding_of(in.byte());
  const uint32_t ptr = in.byte() % 2 ? in.u32() : in.byte();
  // Flat core values for lift_flat_values: i32/i64/f32/f64 bit patterns from the input.
  std::vector<Value> flat;
  for (int n = in.byte() % 20, i = 0; i < n; ++i) {
    switch (in.byte() % 4) {
      case 0: flat.push_back(Value::i32(static_cast<int32_t>(in.u32()))); break;
      case 1: flat.push_back(Value::i64(static_cast<int64_t>(in.u64()))); break;
      case 2: flat.push_back(Value::f32(std::bit_cast<float>(in.u32()))); break;
      default: flat.push_back(Value::f64(std::bit_cast<double>(in.u64()))); break;
    }
  }
  auto rest = in.rest();
  std::vector<uint8_t> memory(rest.begin(), rest.end());

  ResourceTable handles = make_handles();
  std::vector<uint32_t> lent;
  AbiContext cx{GuestMemory(memory.data(), memory.size()), encoding, nullptr, &handles, &lent};

  std::optional<Val> loaded;
  try {
    loaded = load(cx, ptr, *type);
  } catch (const AbiTrap&) {
  } catch (const MemoryFault&) {
  }
  try {
    std::vector<TypePtr> params{type, type};
    (void)lift_flat_values(cx, kMaxFlatParams, flat, params);
  } catch (const AbiTrap&) {
  } catch (const MemoryFault&) {
  }
  if (!loaded || contains_borrow(*type)) return 0;

  // Round trip: store the value into a zeroed copy (same size, plus room
  // that realloc hands out), then load it back.
  std::vector<uint8_t> scratch(memory.size() + 64 * 1024);
  uint64_t next = memory.size();
  ResourceTable scratch_handles;
  AbiContext out{GuestMemory(scratch.data(), scratch.size()), encoding,
                 [&](uint32_t old_ptr, uint32_t old_size, uint32_t align, uint32_t new_size) -> uint32_t {
                   next = (next + align - 1) / align * align;
                   if (new_size > scratch.size() - std::min<uint64_t>(next, scratch.size())) throw OutOfScratch{};
                   const uint32_t p = static_cast<uint32_t>(next);
                   next += new_size;
                   // Strings transcoded to Latin-1/UTF-16 are shrunk or grown: keep what was written.
                   if (old_ptr != 0) std::memmove(scratch.data() + p, scratch.data() + old_ptr, std::min(old_size, new_size));
                   return p;
                 },
                 &scratch_handles, nullptr};
  if (uint64_t(ptr) + size_of(*type) > memory.size()) wasmlet::fuzz::fail("load succeeded out of bounds of memory");
  try {
    store(out, *loaded, *type, ptr);
  } catch (const OutOfScratch&) {
    return 0;
  }
  const Val again = load(out, ptr, *type);
  if (again.to_string() != loaded->to_string())
    wasmlet::fuzz::fail("round trip of " + type->to_string() + " changed " + loaded->to_string() + " into " + again.to_string());
  return 0;
}

// The canonical ABI, following design/mvp/canonical-abi/definitions.py of
// WebAssembly/component-model (sync, 32-bit memories).
#include "wasmlet/component/canonical_abi.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>

namespace wasmlet::component {
namespace {

[[noreturn]] void trap(const std::string& what) { throw AbiTrap("canonical ABI: " + what); }

uint32_t align_to(uint64_t ptr, uint32_t alignment) {
  return uint32_t((ptr + alignment - 1) / alignment * alignment);
}

// The despecialized cases of variant, enum, option and result (null: no payload).
std::vector<const Type*> cases_of(const Type& t) {
  std::vector<const Type*> r;
  switch (t.kind) {
    case TypeKind::Variant: for (auto& c : t.cases) r.push_back(c.type.get()); break;
    case TypeKind::Enum: r.assign(t.labels.size(), nullptr); break;
    case TypeKind::Option: r = {nullptr, t.element.get()}; break;
    case TypeKind::Result: r = {t.ok.get(), t.err.get()}; break;
    default: break;
  }
  return r;
}

// The despecialized fields of record and tuple.
std::vector<const Type*> fields_of(const Type& t) {
  std::vector<const Type*> r;
  if (t.kind == TypeKind::Record)
    for (auto& f : t.fields) r.push_back(f.type.get());
  else
    for (auto& i : t.items) r.push_back(i.get());
  return r;
}

uint32_t discriminant_size(size_t n) {
  if (n <= 256) return 1;
  if (n <= 65536) return 2;
  return 4;
}

uint32_t flags_size(size_t n) { return n <= 8 ? 1 : n <= 16 ? 2 : 4; }

uint32_t max_case_alignment(const std::vector<const Type*>& cases) {
  uint32_t a = 1;
  for (auto* c : cases)
    if (c) a = std::max(a, alignment_of(*c));
  return a;
}

ValType join(ValType a, ValType b) {
  if (a == b) return a;
  if ((a == ValType::I32 && b == ValType::F32) || (a == ValType::F32 && b == ValType::I32)) return ValType::I32;
  return ValType::I64;
}

void flatten_into(const Type& t, std::vector<ValType>& out);

std::vector<ValType> flatten_variant(const std::vector<const Type*>& cases) {
  std::vector<ValType> flat;
  for (auto* c : cases) {
    if (!c) continue;
    std::vector<ValType> cf;
    flatten_into(*c, cf);
    for (size_t i = 0; i < cf.size(); ++i) {
      if (i < flat.size()) flat[i] = join(flat[i], cf[i]);
      else flat.push_back(cf[i]);
    }
  }
  flat.insert(flat.begin(), ValType::I32);
  return flat;
}

void flatten_into(const Type& t, std::vector<ValType>& out) {
  switch (t.kind) {
    case TypeKind::S64: case TypeKind::U64: out.push_back(ValType::I64); return;
    case TypeKind::F32: out.push_back(ValType::F32); return;
    case TypeKind::F64: out.push_back(ValType::F64); return;
    case TypeKind::String: case TypeKind::List: out.push_back(ValType::I32); out.push_back(ValType::I32); return;
    case TypeKind::FixedList:
      for (uint32_t i = 0; i < t.length; ++i) flatten_into(*t.element, out);
      return;
    case TypeKind::Record: case TypeKind::Tuple:
      for (auto* f : fields_of(t)) flatten_into(*f, out);
      return;
    case TypeKind::Variant: case TypeKind::Enum: case TypeKind::Option: case TypeKind::Result: {
      auto v = flatten_variant(cases_of(t));
      out.insert(out.end(), v.begin(), v.end());
      return;
    }
    default: out.push_back(ValType::I32); return;  // bool, small ints, char, flags, handles
  }
}

void check_range(const AbiContext& cx, uint64_t ptr, uint64_t length, const char* what) {
  if (!cx.memory.contains(ptr, length))
    trap(fmt::format("{} at 0x{:x}+{} is outside linear memory ({} bytes)", what, ptr, length, cx.memory.size()));
}

void check_aligned(uint64_t ptr, uint32_t alignment, const char* what) {
  if (ptr % alignment) trap(fmt::format("{} at 0x{:x} is not {}-byte aligned", what, ptr, alignment));
}

uint64_t load_uint(const AbiContext& cx, uint32_t ptr, uint32_t n) {
  check_range(cx, ptr, n, "a value");
  uint64_t v = 0;
  auto b = cx.memory.bytes(ptr, n);
  for (uint32_t i = 0; i < n; ++i) v |= uint64_t(b[i]) << (8 * i);
  return v;
}

void store_uint(const AbiContext& cx, uint64_t v, uint32_t ptr, uint32_t n) {
  check_range(cx, ptr, n, "a value");
  auto b = cx.memory.bytes(ptr, n);
  for (uint32_t i = 0; i < n; ++i) b[i] = uint8_t(v >> (8 * i));
}

char32_t to_char(uint32_t i) {
  if (i >= 0x110000 || (i >= 0xd800 && i <= 0xdfff)) trap(fmt::format("0x{:x} is not a Unicode scalar value (char)", i));
  return char32_t(i);
}

float canonical_f32(float f) { return std::isnan(f) ? std::bit_cast<float>(0x7fc00000u) : f; }
double canonical_f64(double f) { return std::isnan(f) ? std::bit_cast<double>(0x7ff8000000000000ull) : f; }

int64_t sign_extend(uint64_t v, unsigned bits) {
  if (bits == 64) return int64_t(v);
  uint64_t m = 1ull << (bits - 1);
  v &= (1ull << bits) - 1;
  return int64_t((v ^ m) - m);
}

unsigned int_bits(TypeKind k) {
  switch (k) {
    case TypeKind::S8: case TypeKind::U8: return 8;
    case TypeKind::S16: case TypeKind::U16: return 16;
    case TypeKind::S32: case TypeKind::U32: return 32;
    default: return 64;
  }
}
bool is_signed(TypeKind k) { return k == TypeKind::S8 || k == TypeKind::S16 || k == TypeKind::S32 || k == TypeKind::S64; }
bool is_int(TypeKind k) { return k >= TypeKind::S8 && k <= TypeKind::U64; }

// UTF-8 <-> code points.
void append_utf8(std::string& s, char32_t c) {
  if (c < 0x80) s += char(c);
  else if (c < 0x800) { s += char(0xc0 | (c >> 6)); s += char(0x80 | (c & 0x3f)); }
  else if (c < 0x10000) { s += char(0xe0 | (c >> 12)); s += char(0x80 | ((c >> 6) & 0x3f)); s += char(0x80 | (c & 0x3f)); }
  else {
    s += char(0xf0 | (c >> 18)); s += char(0x80 | ((c >> 12) & 0x3f));
    s += char(0x80 | ((c >> 6) & 0x3f)); s += char(0x80 | (c & 0x3f));
  }
}

// Calls `f(code_point)` for each code point of UTF-8 `s`, in order; returns
// false (having stopped) on invalid input. Nothing is materialised: a
// string is checked or converted in one pass over its bytes.
template <typename F>
bool for_each_utf8(std::string_view s, F&& f) {
  size_t i = 0;
  while (i < s.size()) {
    uint8_t c = uint8_t(s[i]);
    size_t n;
    char32_t cp;
    if (c < 0x80) { f(char32_t(c)); ++i; continue; }
    if ((c & 0xe0) == 0xc0) { n = 1; cp = c & 0x1f; }
    else if ((c & 0xf0) == 0xe0) { n = 2; cp = c & 0x0f; }
    else if ((c & 0xf8) == 0xf0) { n = 3; cp = c & 0x07; }
    else return false;
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      uint8_t cc = uint8_t(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return false;
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    f(cp);
    i += n + 1;
  }
  return true;
}

bool valid_utf8(std::string_view s) {
  return for_each_utf8(s, [](char32_t) {});
}

size_t utf8_length(char32_t c) { return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4; }

// Calls `f(code_point)` for each code point of the UTF-16LE `b`; traps on an
// unpaired surrogate.
template <typename F>
void for_each_utf16(std::span<const uint8_t> b, F&& f) {
  for (size_t i = 0; i + 1 < b.size(); i += 2) {
    char32_t u = char32_t(b[i] | b[i + 1] << 8);
    if (u >= 0xd800 && u <= 0xdbff) {
      if (i + 3 >= b.size()) trap("the UTF-16 string ends in an unpaired surrogate");
      char32_t l = char32_t(b[i + 2] | b[i + 3] << 8);
      if (l < 0xdc00 || l > 0xdfff) trap("the UTF-16 string holds an unpaired surrogate");
      u = 0x10000 + ((u - 0xd800) << 10) + (l - 0xdc00);
      i += 2;
    } else if (u >= 0xdc00 && u <= 0xdfff) {
      trap("the UTF-16 string holds an unpaired surrogate");
    }
    f(u);
  }
}

// Counts `bytes` of host memory a lift is about to take against the call's
// bound (AbiContext::max_lifted_host_bytes); `describe()` names what is
// lifted for the trap message (only made when it traps).
template <typename Describe>
void charge_lift(const AbiContext& cx, uint64_t bytes, Describe&& describe) {
  cx.lifted_host_bytes += bytes;
  if (cx.lifted_host_bytes > cx.max_lifted_host_bytes)
    trap(fmt::format("lifting {} would take the call's values past {} MiB of host memory", describe(),
                     cx.max_lifted_host_bytes >> 20));
}

// The Vals a lift is about to create to hold `n` list elements, record or
// tuple fields, fixed-length list items or a variant's payload.
void charge_vals(const AbiContext& cx, uint64_t n, const char* what) {
  charge_lift(cx, n * sizeof(Val), [&] { return fmt::format("{} {}", n, what); });
}

// Counts `n` steps of a lift or lower; every kStopCheckSteps it asks
// cx.check_stop whether the guest must stop (an interrupt, the deadline).
void step(const AbiContext& cx, uint64_t n = 1) {
  cx.steps += n;
  if (cx.steps - cx.steps_at_check < kStopCheckSteps) return;
  cx.steps_at_check = cx.steps;
  if (cx.check_stop) cx.check_stop();
}

uint32_t allocate(const AbiContext& cx, uint32_t alignment, uint32_t size, const char* what) {
  if (!cx.realloc) trap(fmt::format("lowering {} into the guest needs a realloc function", what));
  uint32_t ptr = cx.realloc(0, 0, alignment, size);
  if (cx.current_memory) cx.memory = cx.current_memory();
  check_aligned(ptr, alignment, fmt::format("memory realloc returned for {}", what).c_str());
  check_range(cx, ptr, size, "memory realloc returned");
  return ptr;
}

// A list<u8> lifts to its compact form (Val::bytes): one host byte per
// guest byte, not a Val each.
Val load_list_from_range(const AbiContext& cx, uint32_t ptr, uint32_t length, const Type& elem) {
  uint64_t esize = size_of(elem);
  uint64_t bytes = uint64_t(length) * esize;
  if (bytes > kMaxListByteLength) trap(fmt::format("a list of {} elements is larger than 2^28 bytes", length));
  check_aligned(ptr, alignment_of(elem), "a list");
  check_range(cx, ptr, bytes, "a list");
  if (elem.kind == TypeKind::U8) {
    charge_lift(cx, length, [&] { return fmt::format("a list<u8> of {} bytes", length); });
    step(cx, length / 64);
    auto b = cx.memory.bytes(ptr, length);
    return Val::bytes(std::string(b.begin(), b.end()));
  }
  charge_vals(cx, length, "list elements");
  std::vector<Val> r;
  r.reserve(length);
  for (uint32_t i = 0; i < length; ++i) r.push_back(load(cx, uint32_t(ptr + i * esize), elem));
  return Val::list(std::move(r));
}

// `v` is a List, or for a list<u8> also its compact form (copied at once).
std::pair<uint32_t, uint32_t> store_list_into_range(const AbiContext& cx, const Val& v, const Type& elem) {
  if (v.kind == Val::Kind::Bytes) {
    if (elem.kind != TypeKind::U8) trap("a list<u8> value cannot be lowered as a list of another type");
    if (v.s.size() > kMaxListByteLength) trap("a list larger than 2^28 bytes cannot be lowered");
    step(cx, v.s.size() / 64);
    uint32_t ptr = allocate(cx, 1, uint32_t(v.s.size()), "a list");
    cx.memory.write(ptr, {reinterpret_cast<const uint8_t*>(v.s.data()), v.s.size()});
    return {ptr, uint32_t(v.s.size())};
  }
  uint64_t esize = size_of(elem);
  uint64_t bytes = v.items.size() * esize;
  if (bytes > kMaxListByteLength) trap("a list larger than 2^28 bytes cannot be lowered");
  uint32_t ptr = allocate(cx, alignment_of(elem), uint32_t(bytes), "a list");
  for (size_t i = 0; i < v.items.size(); ++i) store(cx, v.items[i], elem, uint32_t(ptr + i * esize));
  return {ptr, uint32_t(v.items.size())};
}

void check_case(const Val& v, size_t n) {
  if (v.kind != Val::Kind::Case || v.index >= n)
    trap(fmt::format("case {} of a type with {} cases cannot be lowered", v.index, n));
}

uint32_t lift_handle(const AbiContext& cx, const Type& t, uint32_t i) {
  if (!cx.handles) trap("a resource handle needs a handle table");
  if (t.kind == TypeKind::Own) return cx.handles->lift_own(i, t.resource);
  uint32_t rep = cx.handles->lift_borrow(i, t.resource);
  if (cx.lent) cx.lent->push_back(i);
  return rep;
}

uint32_t lower_handle(const AbiContext& cx, const Type& t, const Val& v) {
  if (!cx.handles) trap("a resource handle needs a handle table");
  return t.kind == TypeKind::Own ? cx.handles->lower_own(v.handle, t.resource)
                                 : cx.handles->lower_borrow(v.handle, t.resource);
}

class FlatReader {
 public:
  FlatReader(std::span<const Value> values, size_t& pos) : values_(values), pos_(pos) {}
  Value next(ValType want) {
    if (pos_ >= values_.size()) trap("too few core values to lift");
    Value v = values_[pos_++];
    if (v.type() != want)
      trap(fmt::format("expected a core {} while lifting, found {}", wasmlet::to_string(want), wasmlet::to_string(v.type())));
    return v;
  }

 private:
  std::span<const Value> values_;
  size_t& pos_;
};

Val lift_flat_impl(const AbiContext& cx, FlatReader& r, const Type& t);

// A reader that coerces the joined flat types of a variant back to a case's.
Val lift_variant(const AbiContext& cx, FlatReader& r, const Type& t) {
  auto cases = cases_of(t);
  auto flat = flatten_variant(cases);
  uint32_t index = r.next(ValType::I32).as_u32();
  if (index >= cases.size()) trap(fmt::format("variant discriminant {} is out of range ({} cases)", index, cases.size()));
  std::vector<Value> payload;
  for (size_t i = 1; i < flat.size(); ++i) payload.push_back(r.next(flat[i]));
  if (!cases[index]) return Val::variant(index);
  std::vector<ValType> want;
  flatten_into(*cases[index], want);
  std::vector<Value> coerced;
  for (size_t i = 0; i < want.size(); ++i) {
    Value have = payload[i];
    ValType w = want[i];
    if (have.type() == w) { coerced.push_back(have); continue; }
    if (have.type() == ValType::I32 && w == ValType::F32) coerced.push_back(Value::f32(std::bit_cast<float>(have.as_u32())));
    else if (have.type() == ValType::I64 && w == ValType::I32) coerced.push_back(Value::i32(int32_t(uint32_t(have.as_u64()))));
    else if (have.type() == ValType::I64 && w == ValType::F32) coerced.push_back(Value::f32(std::bit_cast<float>(uint32_t(have.as_u64()))));
    else if (have.type() == ValType::I64 && w == ValType::F64) coerced.push_back(Value::f64(std::bit_cast<double>(have.as_u64())));
    else trap("bad variant payload coercion");
  }
  size_t pos = 0;
  FlatReader inner(coerced, pos);
  charge_vals(cx, 1, "variant payload");
  return Val::variant(index, lift_flat_impl(cx, inner, *cases[index]));
}

Val lift_flat_impl(const AbiContext& cx, FlatReader& r, const Type& t) {
  step(cx);
  if (is_int(t.kind)) {
    unsigned bits = int_bits(t.kind);
    uint64_t raw = bits == 64 ? r.next(ValType::I64).as_u64() : r.next(ValType::I32).as_u32();
    if (bits < 64) raw &= (1ull << bits) - 1;
    return Val::integer(is_signed(t.kind) ? sign_extend(raw, bits) : int64_t(raw));
  }
  switch (t.kind) {
    case TypeKind::Bool: return Val::boolean(r.next(ValType::I32).as_u32() != 0);
    case TypeKind::F32: return Val::floating(canonical_f32(r.next(ValType::F32).as_f32()));
    case TypeKind::F64: return Val::floating(canonical_f64(r.next(ValType::F64).as_f64()));
    case TypeKind::Char: return Val::character(to_char(r.next(ValType::I32).as_u32()));
    case TypeKind::String: {
      uint32_t ptr = r.next(ValType::I32).as_u32();
      uint32_t len = r.next(ValType::I32).as_u32();
      return Val::string(load_string_from_range(cx, ptr, len));
    }
    case TypeKind::List: {
      uint32_t ptr = r.next(ValType::I32).as_u32();
      uint32_t len = r.next(ValType::I32).as_u32();
      return load_list_from_range(cx, ptr, len, *t.element);
    }
    case TypeKind::FixedList: {
      charge_vals(cx, t.length, "fixed-length list items");
      std::vector<Val> items;
      items.reserve(t.length);
      for (uint32_t i = 0; i < t.length; ++i) items.push_back(lift_flat_impl(cx, r, *t.element));
      return Val::list(std::move(items));
    }
    case TypeKind::Record: case TypeKind::Tuple: {
      auto fields = fields_of(t);
      charge_vals(cx, fields.size(), "record or tuple fields");
      std::vector<Val> items;
      items.reserve(fields.size());
      for (auto* f : fields) items.push_back(lift_flat_impl(cx, r, *f));
      return Val::record(std::move(items));
    }
    case TypeKind::Variant: case TypeKind::Enum: case TypeKind::Option: case TypeKind::Result:
      return lift_variant(cx, r, t);
    case TypeKind::Flags: {
      uint32_t bits = r.next(ValType::I32).as_u32();
      if (t.labels.size() < 32) bits &= (1u << t.labels.size()) - 1;
      return Val::flags(bits);
    }
    case TypeKind::Own: case TypeKind::Borrow:
      return Val::resource(lift_handle(cx, t, r.next(ValType::I32).as_u32()));
    default:
      trap(fmt::format("lifting {} is not supported", to_string(t.kind)));
  }
}

Value zero_of(ValType t) { return Value::zero(t); }

}  // namespace

uint32_t alignment_of(const Type& t) {
  switch (t.kind) {
    case TypeKind::Bool: case TypeKind::S8: case TypeKind::U8: return 1;
    case TypeKind::S16: case TypeKind::U16: return 2;
    case TypeKind::S64: case TypeKind::U64: case TypeKind::F64: return 8;
    case TypeKind::FixedList: return alignment_of(*t.element);
    case TypeKind::Record: case TypeKind::Tuple: {
      uint32_t a = 1;
      for (auto* f : fields_of(t)) a = std::max(a, alignment_of(*f));
      return a;
    }
    case TypeKind::Variant: case TypeKind::Enum: case TypeKind::Option: case TypeKind::Result: {
      auto cases = cases_of(t);
      return std::max(discriminant_size(cases.size()), max_case_alignment(cases));
    }
    case TypeKind::Flags: return flags_size(t.labels.size());
    default: return 4;  // s32, u32, f32, char, string, list, handles, streams, futures, error-context
  }
}

uint32_t size_of(const Type& t) {
  switch (t.kind) {
    case TypeKind::Bool: case TypeKind::S8: case TypeKind::U8: return 1;
    case TypeKind::S16: case TypeKind::U16: return 2;
    case TypeKind::S64: case TypeKind::U64: case TypeKind::F64: return 8;
    case TypeKind::String: case TypeKind::List: return 8;
    case TypeKind::FixedList: return t.length * size_of(*t.element);
    case TypeKind::Record: case TypeKind::Tuple: {
      uint32_t s = 0;
      for (auto* f : fields_of(t)) s = align_to(s, alignment_of(*f)) + size_of(*f);
      return align_to(s, alignment_of(t));
    }
    case TypeKind::Variant: case TypeKind::Enum: case TypeKind::Option: case TypeKind::Result: {
      auto cases = cases_of(t);
      uint32_t s = align_to(discriminant_size(cases.size()), max_case_alignment(cases));
      uint32_t cs = 0;
      for (auto* c : cases)
        if (c) cs = std::max(cs, size_of(*c));
      return align_to(s + cs, alignment_of(t));
    }
    case TypeKind::Flags: return flags_size(t.labels.size());
    default: return 4;
  }
}

std::vector<ValType> flatten(const Type& type) {
  std::vector<ValType> r;
  flatten_into(type, r);
  return r;
}

std::vector<ValType> flatten(std::span<const TypePtr> ts) {
  std::vector<ValType> r;
  for (auto& t : ts) flatten_into(*t, r);
  return r;
}

FuncType flatten_function(const FunctionType& f, bool lift) {
  FuncType r;
  for (auto& p : f.params) flatten_into(*p.type, r.params);
  if (f.result) flatten_into(*f.result, r.results);
  if (r.params.size() > kMaxFlatParams) r.params = {ValType::I32};
  if (r.results.size() > kMaxFlatResults) {
    if (lift) {
      r.results = {ValType::I32};
    } else {
      r.params.push_back(ValType::I32);
      r.results.clear();
    }
  }
  return r;
}

std::string load_string_from_range(const AbiContext& cx, uint32_t ptr, uint32_t tagged) {
  uint32_t alignment = 1;
  uint64_t bytes = tagged;
  enum { Utf8, Utf16, Latin1 } enc = Utf8;
  switch (cx.encoding) {
    case StringEncoding::Utf8: break;
    case StringEncoding::Utf16: alignment = 2; bytes = 2ull * tagged; enc = Utf16; break;
    case StringEncoding::Latin1Utf16:
      alignment = 2;
      if (tagged & kUtf16Tag) { bytes = 2ull * (tagged ^ kUtf16Tag); enc = Utf16; }
      else enc = Latin1;
      break;
  }
  if (bytes > kMaxStringByteLength) trap(fmt::format("a string of {} bytes is longer than 2^28-1", bytes));
  check_aligned(ptr, alignment, "a string");
  check_range(cx, ptr, bytes, "a string");
  step(cx, bytes / 64);
  auto b = cx.memory.bytes(ptr, bytes);
  // Checked in place in guest memory; the host string is what is counted
  // (UTF-8: latin1 takes up to 2 bytes a character, UTF-16 up to 3 a unit).
  if (enc == Utf8) {
    charge_lift(cx, bytes, [&] { return fmt::format("a string of {} bytes", bytes); });
    std::string_view view(reinterpret_cast<const char*>(b.data()), b.size());
    if (!valid_utf8(view)) trap(fmt::format("the string at 0x{:x} is not valid UTF-8", ptr));
    return std::string(view);
  }
  uint64_t out_bytes = 0;
  if (enc == Latin1)
    for (uint8_t c : b) out_bytes += c < 0x80 ? 1 : 2;
  else
    for_each_utf16(b, [&](char32_t c) { out_bytes += utf8_length(c); });
  charge_lift(cx, out_bytes, [&] { return fmt::format("a string of {} bytes", out_bytes); });
  std::string out;
  out.reserve(out_bytes);
  if (enc == Latin1)
    for (uint8_t c : b) append_utf8(out, c);
  else
    for_each_utf16(b, [&](char32_t c) { append_utf8(out, c); });
  return out;
}

std::pair<uint32_t, uint32_t> store_string_into_range(const AbiContext& cx, const std::string& utf8) {
  step(cx, utf8.size() / 64);
  // Two passes over the host string (count, then write into the guest's
  // allocation): no code points or UTF-16 units are materialised.
  uint64_t units = 0;  // UTF-16 code units
  uint64_t chars = 0;
  bool latin1 = true;
  if (!for_each_utf8(utf8, [&](char32_t c) {
        units += c >= 0x10000 ? 2 : 1;
        ++chars;
        latin1 &= c < 0x100;
      }))
    trap("a host string to lower is not valid UTF-8");
  auto write_utf16 = [&] {
    if (2 * units > kMaxStringByteLength) trap("a string longer than 2^28-1 bytes cannot be lowered");
    uint32_t ptr = allocate(cx, 2, uint32_t(2 * units), "a string");
    auto b = cx.memory.bytes(ptr, 2 * units);
    size_t i = 0;
    auto put = [&](uint32_t u) { b[i++] = uint8_t(u); b[i++] = uint8_t(u >> 8); };
    for_each_utf8(utf8, [&](char32_t c) {
      if (c >= 0x10000) {
        c -= 0x10000;
        put(0xd800 + (c >> 10));
        put(0xdc00 + (c & 0x3ff));
      } else {
        put(c);
      }
    });
    return ptr;
  };
  switch (cx.encoding) {
    case StringEncoding::Utf8: {
      if (utf8.size() > kMaxStringByteLength) trap("a string longer than 2^28-1 bytes cannot be lowered");
      uint32_t ptr = allocate(cx, 1, uint32_t(utf8.size()), "a string");
      cx.memory.write(ptr, {reinterpret_cast<const uint8_t*>(utf8.data()), utf8.size()});
      return {ptr, uint32_t(utf8.size())};
    }
    case StringEncoding::Utf16:
      return {write_utf16(), uint32_t(units)};
    case StringEncoding::Latin1Utf16: {
      if (latin1) {
        if (chars > kMaxStringByteLength) trap("a string longer than 2^28-1 bytes cannot be lowered");
        uint32_t ptr = allocate(cx, 2, uint32_t(chars), "a string");
        auto b = cx.memory.bytes(ptr, chars);
        size_t i = 0;
        for_each_utf8(utf8, [&](char32_t c) { b[i++] = uint8_t(c); });
        return {ptr, uint32_t(chars)};
      }
      return {write_utf16(), uint32_t(units) | kUtf16Tag};
    }
  }
  return {0, 0};
}

Val load(const AbiContext& cx, uint32_t ptr, const Type& t) {
  step(cx);
  check_aligned(ptr, alignment_of(t), "a value");
  check_range(cx, ptr, size_of(t), "a value");
  if (is_int(t.kind)) {
    unsigned bits = int_bits(t.kind);
    uint64_t raw = load_uint(cx, ptr, bits / 8);
    return Val::integer(is_signed(t.kind) ? sign_extend(raw, bits) : int64_t(raw));
  }
  switch (t.kind) {
    case TypeKind::Bool: return Val::boolean(load_uint(cx, ptr, 1) != 0);
    case TypeKind::F32: return Val::floating(canonical_f32(std::bit_cast<float>(uint32_t(load_uint(cx, ptr, 4)))));
    case TypeKind::F64: return Val::floating(canonical_f64(std::bit_cast<double>(load_uint(cx, ptr, 8))));
    case TypeKind::Char: return Val::character(to_char(uint32_t(load_uint(cx, ptr, 4))));
    case TypeKind::String:
      return Val::string(load_string_from_range(cx, uint32_t(load_uint(cx, ptr, 4)), uint32_t(load_uint(cx, ptr + 4, 4))));
    case TypeKind::List:
      return load_list_from_range(cx, uint32_t(load_uint(cx, ptr, 4)), uint32_t(load_uint(cx, ptr + 4, 4)), *t.element);
    case TypeKind::FixedList: {
      charge_vals(cx, t.length, "fixed-length list items");
      std::vector<Val> items;
      items.reserve(t.length);
      uint32_t esize = size_of(*t.element);
      for (uint32_t i = 0; i < t.length; ++i) items.push_back(load(cx, ptr + i * esize, *t.element));
      return Val::list(std::move(items));
    }
    case TypeKind::Record: case TypeKind::Tuple: {
      auto fields = fields_of(t);
      charge_vals(cx, fields.size(), "record or tuple fields");
      std::vector<Val> items;
      items.reserve(fields.size());
      uint32_t p = ptr;
      for (auto* f : fields) {
        p = align_to(p, alignment_of(*f));
        items.push_back(load(cx, p, *f));
        p += size_of(*f);
      }
      return Val::record(std::move(items));
    }
    case TypeKind::Variant: case TypeKind::Enum: case TypeKind::Option: case TypeKind::Result: {
      auto cases = cases_of(t);
      uint32_t ds = discriminant_size(cases.size());
      uint32_t index = uint32_t(load_uint(cx, ptr, ds));
      if (index >= cases.size()) trap(fmt::format("variant discriminant {} is out of range ({} cases)", index, cases.size()));
      uint32_t p = align_to(ptr + ds, max_case_alignment(cases));
      if (!cases[index]) return Val::variant(index);
      charge_vals(cx, 1, "variant payload");
      return Val::variant(index, load(cx, p, *cases[index]));
    }
    case TypeKind::Flags: {
      uint32_t bits = uint32_t(load_uint(cx, ptr, flags_size(t.labels.size())));
      if (t.labels.size() < 32) bits &= (1u << t.labels.size()) - 1;
      return Val::flags(bits);
    }
    case TypeKind::Own: case TypeKind::Borrow:
      return Val::resource(lift_handle(cx, t, uint32_t(load_uint(cx, ptr, 4))));
    default:
      trap(fmt::format("loading {} is not supported", to_string(t.kind)));
  }
}

void store(const AbiContext& cx, const Val& v, const Type& t, uint32_t ptr) {
  step(cx);
  check_aligned(ptr, alignment_of(t), "a value");
  check_range(cx, ptr, size_of(t), "a value");
  if (is_int(t.kind)) {
    store_uint(cx, uint64_t(v.i), ptr, int_bits(t.kind) / 8);
    return;
  }
  switch (t.kind) {
    case TypeKind::Bool: store_uint(cx, v.b ? 1 : 0, ptr, 1); return;
    case TypeKind::F32: store_uint(cx, std::bit_cast<uint32_t>(float(v.f)), ptr, 4); return;
    case TypeKind::F64: store_uint(cx, std::bit_cast<uint64_t>(v.f), ptr, 8); return;
    case TypeKind::Char: store_uint(cx, to_char(uint32_t(v.c)), ptr, 4); return;
    case TypeKind::String: {
      auto [p, n] = store_string_into_range(cx, v.s);
      store_uint(cx, p, ptr, 4);
      store_uint(cx, n, ptr + 4, 4);
      return;
    }
    case TypeKind::List: {
      auto [p, n] = store_list_into_range(cx, v, *t.element);
      store_uint(cx, p, ptr, 4);
      store_uint(cx, n, ptr + 4, 4);
      return;
    }
    case TypeKind::FixedList:
      if (v.items.size() != t.length) trap("a fixed-length list value has the wrong length");
      for (uint32_t i = 0; i < t.length; ++i) store(cx, v.items[i], *t.element, ptr + i * size_of(*t.element));
      return;
    case TypeKind::Record: case TypeKind::Tuple: {
      auto fields = fields_of(t);
      if (v.items.size() != fields.size()) trap("a record value has the wrong number of fields");
      uint32_t p = ptr;
      for (size_t i = 0; i < fields.size(); ++i) {
        p = align_to(p, alignment_of(*fields[i]));
        store(cx, v.items[i], *fields[i], p);
        p += size_of(*fields[i]);
      }
      return;
    }
    case TypeKind::Variant: case TypeKind::Enum: case TypeKind::Option: case TypeKind::Result: {
      auto cases = cases_of(t);
      check_case(v, cases.size());
      uint32_t ds = discriminant_size(cases.size());
      store_uint(cx, v.index, ptr, ds);
      uint32_t p = align_to(ptr + ds, max_case_alignment(cases));
      if (cases[v.index]) {
        if (!v.payload()) trap("a variant case needs a payload");
        store(cx, *v.payload(), *cases[v.index], p);
      }
      return;
    }
    case TypeKind::Flags: store_uint(cx, v.bits, ptr, flags_size(t.labels.size())); return;
    case TypeKind::Own: case TypeKind::Borrow: store_uint(cx, lower_handle(cx, t, v), ptr, 4); return;
    default:
      trap(fmt::format("storing {} is not supported", to_string(t.kind)));
  }
}

uint64_t lifted_host_bytes_bound(std::optional<uint64_t> max_memory_bytes) {
  if (!max_memory_bytes) return kMaxLiftedHostBytes;
  uint64_t scaled = *max_memory_bytes > kMaxLiftedHostBytes ? kMaxLiftedHostBytes : *max_memory_bytes * kLiftedBytesPerMemoryByte;
  return std::clamp(scaled, kMinLiftedHostBytes, kMaxLiftedHostBytes);
}

Val lift_flat(const AbiContext& cx, std::span<const Value> values, size_t& pos, const Type& type) {
  FlatReader r(values, pos);
  return lift_flat_impl(cx, r, type);
}

void lower_flat(const AbiContext& cx, const Val& v, const Type& t, std::vector<Value>& out) {
  step(cx);
  if (is_int(t.kind)) {
    if (int_bits(t.kind) == 64) out.push_back(Value::i64(v.i));
    else out.push_back(Value::i32(int32_t(uint32_t(uint64_t(v.i)))));
    return;
  }
  switch (t.kind) {
    case TypeKind::Bool: out.push_back(Value::i32(v.b ? 1 : 0)); return;
    case TypeKind::F32: out.push_back(Value::f32(float(v.f))); return;
    case TypeKind::F64: out.push_back(Value::f64(v.f)); return;
    case TypeKind::Char: out.push_back(Value::i32(int32_t(to_char(uint32_t(v.c))))); return;
    case TypeKind::String: {
      auto [p, n] = store_string_into_range(cx, v.s);
      out.push_back(Value::i32(int32_t(p)));
      out.push_back(Value::i32(int32_t(n)));
      return;
    }
    case TypeKind::List: {
      auto [p, n] = store_list_into_range(cx, v, *t.element);
      out.push_back(Value::i32(int32_t(p)));
      out.push_back(Value::i32(int32_t(n)));
      return;
    }
    case TypeKind::FixedList:
      if (v.items.size() != t.length) trap("a fixed-length list value has the wrong length");
      for (auto& e : v.items) lower_flat(cx, e, *t.element, out);
      return;
    case TypeKind::Record: case TypeKind::Tuple: {
      auto fields = fields_of(t);
      if (v.items.size() != fields.size()) trap("a record value has the wrong number of fields");
      for (size_t i = 0; i < fields.size(); ++i) lower_flat(cx, v.items[i], *fields[i], out);
      return;
    }
    case TypeKind::Variant: case TypeKind::Enum: case TypeKind::Option: case TypeKind::Result: {
      auto cases = cases_of(t);
      check_case(v, cases.size());
      auto flat = flatten_variant(cases);
      out.push_back(Value::i32(int32_t(v.index)));
      size_t k = 1;
      if (cases[v.index]) {
        if (!v.payload()) trap("a variant case needs a payload");
        std::vector<Value> payload;
        lower_flat(cx, *v.payload(), *cases[v.index], payload);
        for (auto& pv : payload) {
          ValType want = flat[k++];
          if (pv.type() == want) out.push_back(pv);
          else if (pv.type() == ValType::F32 && want == ValType::I32) out.push_back(Value::i32(int32_t(std::bit_cast<uint32_t>(pv.as_f32()))));
          else if (pv.type() == ValType::I32 && want == ValType::I64) out.push_back(Value::i64(int64_t(pv.as_u32())));
          else if (pv.type() == ValType::F32 && want == ValType::I64) out.push_back(Value::i64(int64_t(std::bit_cast<uint32_t>(pv.as_f32()))));
          else if (pv.type() == ValType::F64 && want == ValType::I64) out.push_back(Value::i64(std::bit_cast<int64_t>(pv.as_f64())));
          else trap("bad variant payload coercion");
        }
      }
      for (; k < flat.size(); ++k) out.push_back(zero_of(flat[k]));
      return;
    }
    case TypeKind::Flags: out.push_back(Value::i32(int32_t(v.bits))); return;
    case TypeKind::Own: case TypeKind::Borrow: out.push_back(Value::i32(int32_t(lower_handle(cx, t, v)))); return;
    default:
      trap(fmt::format("lowering {} is not supported", to_string(t.kind)));
  }
}

std::vector<Val> lift_flat_values(const AbiContext& cx, size_t max_flat, std::span<const Value> values,
                                  std::span<const TypePtr> ts) {
  size_t pos = 0;
  std::vector<Val> r;
  if (flatten(ts).size() > max_flat) {
    FlatReader reader(values, pos);
    uint32_t ptr = reader.next(ValType::I32).as_u32();
    auto tuple = types::tuple(std::vector<TypePtr>(ts.begin(), ts.end()));
    check_aligned(ptr, alignment_of(*tuple), "spilled values");
    check_range(cx, ptr, size_of(*tuple), "spilled values");
    return load(cx, ptr, *tuple).items;
  }
  charge_vals(cx, ts.size(), "values");
  r.reserve(ts.size());
  for (auto& t : ts) r.push_back(lift_flat(cx, values, pos, *t));
  if (pos != values.size()) trap(fmt::format("{} core values given, {} expected", values.size(), pos));
  return r;
}

std::vector<Value> lower_flat_values(const AbiContext& cx, size_t max_flat, std::span<const Val> vs,
                                     std::span<const TypePtr> ts, std::optional<uint32_t> out_ptr) {
  std::vector<Value> out;
  if (vs.size() != ts.size()) trap("value count does not match the type list");
  if (flatten(ts).size() > max_flat) {
    auto tuple = types::tuple(std::vector<TypePtr>(ts.begin(), ts.end()));
    uint32_t ptr;
    if (out_ptr) {
      ptr = *out_ptr;
    } else {
      ptr = allocate(cx, alignment_of(*tuple), size_of(*tuple), "spilled values");
      out.push_back(Value::i32(int32_t(ptr)));
    }
    check_aligned(ptr, alignment_of(*tuple), "the result pointer");
    check_range(cx, ptr, size_of(*tuple), "the result pointer");
    store(cx, Val::tuple(std::vector<Val>(vs.begin(), vs.end())), *tuple, ptr);
    return out;
  }
  for (size_t i = 0; i < vs.size(); ++i) lower_flat(cx, vs[i], *ts[i], out);
  return out;
}

}  // namespace wasmlet::component

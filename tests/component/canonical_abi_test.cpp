// The canonical ABI per type, against a byte buffer as linear memory and a
// bump allocator as realloc.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>

#include "wasmlet/component/canonical_abi.h"

using namespace wasmlet::component;
using wasmlet::GuestMemory;
using wasmlet::Value;
using wasmlet::ValType;

namespace {

struct Guest {
  std::vector<uint8_t> buf = std::vector<uint8_t>(1 << 16);
  uint32_t next = 1024;
  std::vector<std::array<uint32_t, 4>> calls;
  ResourceTable handles;
  AbiContext cx(StringEncoding enc = StringEncoding::Utf8) {
    AbiContext c;
    c.memory = GuestMemory(buf.data(), buf.size());
    c.encoding = enc;
    c.realloc = [this](uint32_t old_ptr, uint32_t old_size, uint32_t align, uint32_t size) {
      calls.push_back({old_ptr, old_size, align, size});
      next = (next + align - 1) / align * align;
      uint32_t p = next;
      next += size;
      return p;
    };
    c.handles = &handles;
    return c;
  }
};

Val roundtrip_memory(Guest& g, const AbiContext& cx, const Val& v, const Type& t) {
  uint32_t ptr = 64;
  store(cx, v, t, ptr);
  return load(cx, ptr, t);
}

Val roundtrip_flat(const AbiContext& cx, const Val& v, const Type& t) {
  std::vector<Value> flat;
  lower_flat(cx, v, t, flat);
  EXPECT_EQ(flat.size(), flatten(t).size());
  size_t pos = 0;
  Val r = lift_flat(cx, flat, pos, t);
  EXPECT_EQ(pos, flat.size());
  return r;
}

void expect_roundtrips(const Val& v, const TypePtr& t, StringEncoding enc = StringEncoding::Utf8) {
  Guest g;
  auto cx = g.cx(enc);
  EXPECT_EQ(roundtrip_memory(g, cx, v, *t), v) << t->to_string() << " " << v.to_string();
  EXPECT_EQ(roundtrip_flat(cx, v, *t), v) << t->to_string() << " " << v.to_string();
}

TypePtr prim(TypeKind k) { return types::primitive(k); }

}  // namespace

TEST(CanonicalAbi, SizesAndAlignments) {
  EXPECT_EQ(size_of(*prim(TypeKind::Bool)), 1u);
  EXPECT_EQ(size_of(*prim(TypeKind::U16)), 2u);
  EXPECT_EQ(alignment_of(*prim(TypeKind::F64)), 8u);
  EXPECT_EQ(size_of(*types::string()), 8u);
  EXPECT_EQ(alignment_of(*types::list(types::u64())), 4u);
  auto rec = types::record({{"a", types::u8()}, {"b", types::u32()}, {"c", types::u8()}});
  EXPECT_EQ(size_of(*rec), 12u);
  EXPECT_EQ(alignment_of(*rec), 4u);
  auto var = types::variant({{"a", types::u8()}, {"b", types::u64()}, {"c", nullptr}});
  EXPECT_EQ(alignment_of(*var), 8u);
  EXPECT_EQ(size_of(*var), 16u);
  EXPECT_EQ(size_of(*types::option(types::u8())), 2u);
  EXPECT_EQ(size_of(*types::result(types::u64(), types::string())), 16u);
  EXPECT_EQ(size_of(*types::result(nullptr, nullptr)), 1u);
  std::vector<std::string> nine(9, "x"), many(300, "y");
  for (size_t i = 0; i < nine.size(); ++i) nine[i] += std::to_string(i);
  EXPECT_EQ(size_of(*types::flags(nine)), 2u);
  EXPECT_EQ(size_of(*types::enumeration(many)), 2u);
  // wasi:filesystem descriptor-stat: record of enum, u64 x2, 3 x option<datetime>
  auto datetime = types::record({{"seconds", types::u64()}, {"nanoseconds", types::u32()}});
  EXPECT_EQ(size_of(*datetime), 16u);
  auto stat = types::record({{"type", types::enumeration({"a", "b"})}, {"link-count", types::u64()}, {"size", types::u64()},
                             {"atime", types::option(datetime)}, {"mtime", types::option(datetime)},
                             {"ctime", types::option(datetime)}});
  EXPECT_EQ(size_of(*stat), 96u);
}

TEST(CanonicalAbi, FlatteningJoinsVariantPayloads) {
  auto v1 = types::variant({{"a", prim(TypeKind::F32)}, {"b", types::u32()}});
  EXPECT_EQ(flatten(*v1), (std::vector<ValType>{ValType::I32, ValType::I32}));
  auto v2 = types::variant({{"a", prim(TypeKind::F32)}, {"b", types::u64()}});
  EXPECT_EQ(flatten(*v2), (std::vector<ValType>{ValType::I32, ValType::I64}));
  auto v3 = types::variant({{"a", prim(TypeKind::F64)}, {"b", types::string()}});
  EXPECT_EQ(flatten(*v3), (std::vector<ValType>{ValType::I32, ValType::I64, ValType::I32}));

  FunctionType write;
  write.params = {{"self", types::u32()}, {"contents", types::list(types::u8())}};
  write.result = types::result(nullptr, types::variant({{"failed", types::u32()}, {"closed", nullptr}}));
  EXPECT_EQ(flatten_function(write, false).to_string(), "(i32, i32, i32, i32) -> ()");  // results via a return pointer
  EXPECT_EQ(flatten_function(write, true).to_string(), "(i32, i32, i32) -> (i32)");
  FunctionType many;
  for (int i = 0; i < 17; ++i) many.params.push_back({"p" + std::to_string(i), types::u32()});
  EXPECT_EQ(flatten_function(many, true).params.size(), 1u);
}

TEST(CanonicalAbi, ScalarsRoundTrip) {
  expect_roundtrips(Val::boolean(true), prim(TypeKind::Bool));
  expect_roundtrips(Val::integer(-5), prim(TypeKind::S8));
  expect_roundtrips(Val::integer(200), prim(TypeKind::U8));
  expect_roundtrips(Val::integer(-30000), prim(TypeKind::S16));
  expect_roundtrips(Val::integer(65535), prim(TypeKind::U16));
  expect_roundtrips(Val::integer(-2), prim(TypeKind::S32));
  expect_roundtrips(Val::integer(4000000000), prim(TypeKind::U32));
  expect_roundtrips(Val::integer(INT64_MIN), prim(TypeKind::S64));
  expect_roundtrips(Val::u64(UINT64_MAX), prim(TypeKind::U64));
  expect_roundtrips(Val::floating(1.5), prim(TypeKind::F32));
  expect_roundtrips(Val::floating(-2.25e300), prim(TypeKind::F64));
  expect_roundtrips(Val::character(U'€'), prim(TypeKind::Char));
  expect_roundtrips(Val::character(U'\U0001F600'), prim(TypeKind::Char));
}

TEST(CanonicalAbi, IntegersWrapAndSignExtendFromCoreValues) {
  Guest g;
  auto cx = g.cx();
  std::vector<Value> v = {Value::i32(0x1ff)};
  size_t pos = 0;
  EXPECT_EQ(lift_flat(cx, v, pos, *prim(TypeKind::S8)).i, -1);
  pos = 0;
  EXPECT_EQ(lift_flat(cx, v, pos, *prim(TypeKind::U8)).i, 255);
  pos = 0;
  v = {Value::i32(-1)};
  EXPECT_EQ(lift_flat(cx, v, pos, *prim(TypeKind::U32)).i, 4294967295);
  pos = 0;
  v = {Value::i32(2)};
  EXPECT_EQ(lift_flat(cx, v, pos, *prim(TypeKind::Bool)).b, true);
  pos = 0;
  v = {Value::i64(5)};
  EXPECT_THROW(lift_flat(cx, v, pos, *prim(TypeKind::U32)), AbiTrap);  // wrong core type
}

TEST(CanonicalAbi, NaNsAreCanonicalized) {
  Guest g;
  auto cx = g.cx();
  std::vector<Value> v = {Value::f32(std::bit_cast<float>(0x7fa00001u))};
  size_t pos = 0;
  Val f = lift_flat(cx, v, pos, *prim(TypeKind::F32));
  EXPECT_TRUE(std::isnan(f.f));
  std::vector<Value> out;
  lower_flat(cx, f, *prim(TypeKind::F32), out);
  EXPECT_EQ(std::bit_cast<uint32_t>(out[0].as_f32()), 0x7fc00000u);
}

TEST(CanonicalAbi, InvalidCharsTrap) {
  Guest g;
  auto cx = g.cx();
  for (uint32_t bad : {0xd800u, 0xdfffu, 0x110000u}) {
    std::vector<Value> v = {Value::i32(int32_t(bad))};
    size_t pos = 0;
    EXPECT_THROW(lift_flat(cx, v, pos, *prim(TypeKind::Char)), AbiTrap) << bad;
    std::memcpy(g.buf.data() + 8, &bad, 4);
    EXPECT_THROW(load(cx, 8, *prim(TypeKind::Char)), AbiTrap);
  }
}

TEST(CanonicalAbi, StringsInEveryEncoding) {
  for (auto enc : {StringEncoding::Utf8, StringEncoding::Utf16, StringEncoding::Latin1Utf16})
    for (const char* s : {"", "hello", "caf\xc3\xa9", "\xe2\x82\xac uro", "\xf0\x9f\x98\x80 astral"})
      expect_roundtrips(Val::string(s), types::string(), enc);
}

// A realloc that grows the guest's memory: what it returns lies past the
// view the lowering started with, and lowering goes on into the new pages.
TEST(CanonicalAbi, LoweringFollowsAMemoryTheGuestsReallocGrew) {
  Guest g;
  size_t visible = 4096;
  auto cx = g.cx();
  cx.memory = GuestMemory(g.buf.data(), visible);
  cx.current_memory = [&] { return GuestMemory(g.buf.data(), visible); };
  auto grow = cx.realloc;
  cx.realloc = [&](uint32_t old_ptr, uint32_t old_size, uint32_t align, uint32_t size) {
    const uint32_t p = grow(old_ptr, old_size, align, size);
    visible = std::max<size_t>(visible, p + size);
    return p;
  };
  const auto type = types::list(types::string());
  const Val three = Val::list({Val::string(std::string(3000, 'a')), Val::string(std::string(3000, 'b')),
                               Val::string(std::string(3000, 'c'))});
  std::vector<Value> flat;
  lower_flat(cx, three, *type, flat);
  ASSERT_EQ(flat.size(), 2u);
  EXPECT_GT(visible, 8192u) << "the strings were to land past the first view";
  size_t pos = 0;
  EXPECT_EQ(lift_flat(cx, flat, pos, *type), three);
}

TEST(CanonicalAbi, StringLayoutsMatchTheSpec) {
  {  // utf8: bytes as-is, one realloc(0, 0, 1, len)
    Guest g;
    auto cx = g.cx(StringEncoding::Utf8);
    auto [ptr, n] = store_string_into_range(cx, "h\xc3\xa9");
    EXPECT_EQ(n, 3u);
    ASSERT_EQ(g.calls.size(), 1u);
    EXPECT_EQ(g.calls[0], (std::array<uint32_t, 4>{0, 0, 1, 3}));
    EXPECT_EQ(std::string(g.buf.begin() + ptr, g.buf.begin() + ptr + 3), "h\xc3\xa9");
  }
  {  // utf16: code units, 2-aligned
    Guest g;
    auto cx = g.cx(StringEncoding::Utf16);
    auto [ptr, n] = store_string_into_range(cx, "\xf0\x9f\x98\x80");  // U+1F600: a surrogate pair
    EXPECT_EQ(n, 2u);
    EXPECT_EQ(ptr % 2, 0u);
    EXPECT_EQ(g.buf[ptr] | g.buf[ptr + 1] << 8, 0xd83d);
    EXPECT_EQ(g.buf[ptr + 2] | g.buf[ptr + 3] << 8, 0xde00);
  }
  {  // latin1+utf16: latin1 when every char fits, else tagged utf16
    Guest g;
    auto cx = g.cx(StringEncoding::Latin1Utf16);
    auto [p1, n1] = store_string_into_range(cx, "caf\xc3\xa9");
    EXPECT_EQ(n1, 4u);
    EXPECT_EQ(g.buf[p1 + 3], 0xe9);
    auto [p2, n2] = store_string_into_range(cx, "\xe2\x82\xac");
    EXPECT_EQ(n2, 1u | kUtf16Tag);
    EXPECT_EQ(load_string_from_range(cx, p2, n2), "\xe2\x82\xac");
  }
}

TEST(CanonicalAbi, BadStringsTrap) {
  Guest g;
  auto cx = g.cx();
  g.buf[100] = 0xff;  // not UTF-8
  EXPECT_THROW(load_string_from_range(cx, 100, 1), AbiTrap);
  EXPECT_THROW(load_string_from_range(cx, uint32_t(g.buf.size() - 2), 3), AbiTrap);  // out of bounds
  EXPECT_THROW(load_string_from_range(cx, 0, 1u << 28), AbiTrap);                   // too long
  auto cx16 = g.cx(StringEncoding::Utf16);
  EXPECT_THROW(load_string_from_range(cx16, 101, 1), AbiTrap);  // misaligned
  g.buf[200] = 0x00;
  g.buf[201] = 0xd8;  // lone high surrogate
  g.buf[202] = 'a';
  g.buf[203] = 0;
  EXPECT_THROW(load_string_from_range(cx16, 200, 2), AbiTrap);
  AbiContext no_realloc = cx;
  no_realloc.realloc = nullptr;
  EXPECT_THROW(store_string_into_range(no_realloc, "x"), AbiTrap);
}

TEST(CanonicalAbi, ListsRecordsTuples) {
  expect_roundtrips(Val::list({Val::integer(1), Val::integer(2), Val::integer(3)}), types::list(types::u32()));
  expect_roundtrips(Val::list({}), types::list(types::string()));
  expect_roundtrips(Val::list({Val::string("a"), Val::string("bc")}), types::list(types::string()));
  expect_roundtrips(Val::bytes("\x01\x02\xff"), types::list(types::u8()));
  auto rec = types::record({{"a", types::u8()}, {"b", types::string()}, {"c", types::u64()}});
  expect_roundtrips(Val::record({Val::integer(7), Val::string("x"), Val::u64(1ull << 40)}), rec);
  auto tup = types::tuple({types::boolean(), types::list(types::s32())});
  expect_roundtrips(Val::tuple({Val::boolean(true), Val::list({Val::integer(-1)})}), tup);

  Guest g;
  auto cx = g.cx();
  std::vector<Value> v = {Value::i32(2), Value::i32(1)};  // list<u32> at a misaligned address
  size_t pos = 0;
  EXPECT_THROW(lift_flat(cx, v, pos, *types::list(types::u32())), AbiTrap);
  v = {Value::i32(0), Value::i32(1 << 27)};  // 2^27 u32s = 2^29 bytes
  pos = 0;
  EXPECT_THROW(lift_flat(cx, v, pos, *types::list(types::u32())), AbiTrap);
}

// What one call's lift may take of the host's memory is bounded
// (kMaxLiftedHostBytes, 512 MiB; 16 MiB here to keep the test quick): a
// list of strings that all name one guest string traps instead of growing
// the host; a list<u8> costs the host its bytes, not a Val each.
TEST(CanonicalAbi, LiftingIsBoundedInHostMemory) {
  Guest g;
  g.buf.assign(2u << 20, 'a');  // 2 MiB of guest memory
  // A list<string> of 100 elements, each the same 1 MiB string: 100 MiB on
  // the host from 2 MiB of guest memory.
  const uint32_t list_at = 64, string_at = 1u << 20, string_len = 1u << 20, count = 100;
  for (uint32_t i = 0; i < count; ++i) {
    std::memcpy(&g.buf[list_at + 8 * i], &string_at, 4);
    std::memcpy(&g.buf[list_at + 8 * i + 4], &string_len, 4);
  }
  const auto bounded = [&g] {
    AbiContext cx = g.cx();
    cx.max_lifted_host_bytes = 16u << 20;
    return cx;
  };
  std::vector<Value> flat = {Value::i32(list_at), Value::i32(count)};
  size_t pos = 0;
  try {
    lift_flat(bounded(), flat, pos, *types::list(types::string()));
    FAIL() << "100 MiB of strings were lifted";
  } catch (const AbiTrap& e) {
    EXPECT_NE(std::string(e.what()).find("lifting a string of 1048576 bytes would take the call's values past 16 MiB of host memory"),
              std::string::npos) << e.what();
  }
  // 12 of them are within the bound.
  flat = {Value::i32(list_at), Value::i32(12)};
  pos = 0;
  EXPECT_EQ(lift_flat(bounded(), flat, pos, *types::list(types::string())).items.size(), 12u);
  // A list<u8> lifts to its compact form: 2 MiB of guest bytes take 2 MiB
  // of the bound (a Val per byte took about 200 MiB and trapped here).
  AbiContext cx = bounded();
  flat = {Value::i32(0), Value::i32(2u << 20)};
  pos = 0;
  Val bytes = lift_flat(cx, flat, pos, *types::list(types::u8()));
  EXPECT_EQ(bytes.kind, Val::Kind::Bytes);
  EXPECT_EQ(bytes.as_bytes(), std::string(g.buf.begin(), g.buf.begin() + (2u << 20)));
  EXPECT_EQ(cx.lifted_host_bytes, uint64_t{2} << 20);
  // Past the bound it traps like any other value.
  cx = bounded();
  cx.max_lifted_host_bytes = 1u << 20;
  pos = 0;
  try {
    lift_flat(cx, flat, pos, *types::list(types::u8()));
    FAIL() << "2 MiB of bytes were lifted past a 1 MiB bound";
  } catch (const AbiTrap& e) {
    EXPECT_NE(std::string(e.what()).find("lifting a list<u8> of 2097152 bytes"), std::string::npos) << e.what();
  }
  EXPECT_EQ(kMaxLiftedHostBytes, uint64_t{512} << 20);
}

// Every Val a lift creates counts, not only list elements: the fields of a
// tuple, a variant's payload. A list whose entries all name one list of
// wide tuples makes the host build that list again for each entry: 10
// KB of guest memory here take ~20 MiB of host memory, ~200 KiB of which
// the count saw when it counted only list elements.
TEST(CanonicalAbi, LiftingCountsEveryValItCreates) {
  Guest g;
  const uint32_t outer_at = 64, inner_at = 1024, tuples = 100, entries = 20;
  for (uint32_t i = 0; i < entries; ++i) {
    std::memcpy(&g.buf[outer_at + 8 * i], &inner_at, 4);
    std::memcpy(&g.buf[outer_at + 8 * i + 4], &tuples, 4);
  }
  auto wide = types::tuple(std::vector<TypePtr>(100, types::boolean()));
  auto type = types::list(types::list(wide));
  AbiContext cx = g.cx();
  cx.max_lifted_host_bytes = 1u << 20;
  std::vector<Value> flat = {Value::i32(outer_at), Value::i32(entries)};
  size_t pos = 0;
  try {
    lift_flat(cx, flat, pos, *type);
    FAIL() << "lifted " << cx.lifted_host_bytes << " bytes";
  } catch (const AbiTrap& e) {
    EXPECT_NE(std::string(e.what()).find("lifting 100 record or tuple fields would take the call's values past 1 MiB"),
              std::string::npos) << e.what();
  }
  // One entry is within the bound, and counted as what it takes: its list
  // element Vals and their fields.
  cx = g.cx();
  flat = {Value::i32(outer_at), Value::i32(1)};
  pos = 0;
  Val one = lift_flat(cx, flat, pos, *type);
  ASSERT_EQ(one.items.size(), 1u);
  EXPECT_EQ(one.items[0].items.size(), tuples);
  EXPECT_EQ(cx.lifted_host_bytes, (1 + tuples + tuples * 100) * sizeof(Val));
  // A variant's payload and a record's fields, lifted from memory.
  cx = g.cx();
  auto opt = types::option(types::record({{"a", types::u32()}, {"b", types::u32()}}));
  g.buf[2048] = 1;
  EXPECT_EQ(load(cx, 2048, *opt), Val::some(Val::record({Val::integer(0), Val::integer(0)})));
  EXPECT_EQ(cx.lifted_host_bytes, 3 * sizeof(Val));
}

// A string in latin1 or UTF-16 is counted as the UTF-8 the host makes of it
// (up to 2 bytes a latin1 character, 3 a UTF-16 unit), not its guest bytes.
TEST(CanonicalAbi, StringsAreCountedAsTheHostStringTheyBecome) {
  Guest g;
  std::memset(&g.buf[4096], 0xe9, 1000);  // latin1 "é" x 1000
  AbiContext cx = g.cx(StringEncoding::Latin1Utf16);
  EXPECT_EQ(load_string_from_range(cx, 4096, 1000), [] {
    std::string s;
    for (int i = 0; i < 1000; ++i) s += "\xc3\xa9";
    return s;
  }());
  EXPECT_EQ(cx.lifted_host_bytes, 2000u);
  for (uint32_t i = 0; i < 1000; ++i) { g.buf[8192 + 2 * i] = 0xac; g.buf[8192 + 2 * i + 1] = 0x20; }  // UTF-16 "€" x 1000
  cx = g.cx(StringEncoding::Utf16);
  EXPECT_EQ(load_string_from_range(cx, 8192, 1000).size(), 3000u);
  EXPECT_EQ(cx.lifted_host_bytes, 3000u);
  cx.max_lifted_host_bytes = 2500;
  cx.lifted_host_bytes = 0;
  EXPECT_THROW(load_string_from_range(cx, 8192, 1000), AbiTrap);
}

// A long lift or lower asks check_stop (the Store's interrupt flag and
// deadline, in a component) every kStopCheckSteps values; when it throws,
// the lift ends there.
TEST(CanonicalAbi, LongLiftsAndLowersCheckWhetherToStop) {
  Guest g;
  g.buf.resize(1u << 20);
  const uint32_t count = 200000;  // u32s: 800 KB of guest memory
  struct Stop {};
  int checks = 0;
  AbiContext cx = g.cx();
  cx.check_stop = [&checks] { ++checks; };
  std::vector<Value> flat = {Value::i32(0), Value::i32(count)};
  size_t pos = 0;
  Val list = lift_flat(cx, flat, pos, *types::list(types::u32()));
  EXPECT_EQ(list.items.size(), count);
  EXPECT_EQ(checks, int(count / kStopCheckSteps));
  checks = 0;
  std::vector<Value> out;
  lower_flat(cx, list, *types::list(types::u32()), out);
  EXPECT_GE(checks, int(count / kStopCheckSteps));
  // A stop ends the lift at the next check.
  cx = g.cx();
  checks = 0;
  cx.check_stop = [&checks] {
    if (++checks == 3) throw Stop{};
  };
  pos = 0;
  EXPECT_THROW(lift_flat(cx, flat, pos, *types::list(types::u32())), Stop);
  EXPECT_EQ(cx.steps, 3 * kStopCheckSteps);
  // Strings count one step per 64 bytes.
  cx = g.cx();
  checks = 0;
  cx.check_stop = [&checks] { ++checks; };
  std::memset(g.buf.data(), 'a', 1u << 20);
  EXPECT_EQ(load_string_from_range(cx, 0, 1u << 20).size(), 1u << 20);
  EXPECT_EQ(cx.steps, (1u << 20) / 64);
  EXPECT_EQ(checks, 1);
}

// Under a memory limit a call may lift a few times the limit, at least
// 16 MiB, at most 512 MiB.
TEST(CanonicalAbi, TheLiftBoundFollowsTheMemoryLimit) {
  EXPECT_EQ(lifted_host_bytes_bound(std::nullopt), kMaxLiftedHostBytes);
  EXPECT_EQ(lifted_host_bytes_bound(1u << 20), uint64_t{16} << 20);
  EXPECT_EQ(lifted_host_bytes_bound(uint64_t{64} << 20), uint64_t{256} << 20);
  EXPECT_EQ(lifted_host_bytes_bound(uint64_t{1} << 30), kMaxLiftedHostBytes);
  EXPECT_EQ(lifted_host_bytes_bound(uint64_t{1} << 62), kMaxLiftedHostBytes);
}

TEST(CanonicalAbi, VariantsEnumsOptionsResultsFlags) {
  auto var = types::variant({{"f", prim(TypeKind::F32)}, {"n", types::u64()}, {"none", nullptr}, {"s", types::string()}});
  expect_roundtrips(Val::variant(0, Val::floating(2.5)), var);
  expect_roundtrips(Val::variant(1, Val::u64(~0ull)), var);
  expect_roundtrips(Val::variant(2), var);
  expect_roundtrips(Val::variant(3, Val::string("payload")), var);
  expect_roundtrips(Val::enumeration(1), types::enumeration({"a", "b", "c"}));
  expect_roundtrips(Val::none(), types::option(types::string()));
  expect_roundtrips(Val::some(Val::string("x")), types::option(types::string()));
  auto res = types::result(types::u64(), types::enumeration({"e1", "e2"}));
  expect_roundtrips(Val::ok(Val::u64(9)), res);
  expect_roundtrips(Val::err(Val::enumeration(1)), res);
  expect_roundtrips(Val::ok(), types::result(nullptr, nullptr));
  expect_roundtrips(Val::flags(0b101), types::flags({"read", "write", "exec"}));

  Guest g;
  auto cx = g.cx();
  g.buf[300] = 3;  // discriminant out of range for option
  EXPECT_THROW(load(cx, 300, *types::option(types::u8())), AbiTrap);
  std::vector<Value> v = {Value::i32(5)};
  size_t pos = 0;
  EXPECT_THROW(lift_flat(cx, v, pos, *types::enumeration({"a", "b"})), AbiTrap);
  // Extra flag bits are ignored.
  v = {Value::i32(0xff)};
  pos = 0;
  EXPECT_EQ(lift_flat(cx, v, pos, *types::flags({"a", "b"})).bits, 3u);
}

TEST(CanonicalAbi, ResourceHandles) {
  auto stream = std::make_shared<ResourceType>(ResourceType{"output-stream"});
  auto other = std::make_shared<ResourceType>(ResourceType{"descriptor"});
  Guest g;
  auto cx = g.cx();
  std::vector<Value> flat;
  lower_flat(cx, Val::resource(42), *types::own(stream), flat);
  uint32_t h = flat[0].as_u32();
  EXPECT_EQ(h, 1u);  // index 0 is never handed out
  EXPECT_EQ(g.handles.get(h).rep, 42u);

  std::vector<uint32_t> lent;
  cx.lent = &lent;
  size_t pos = 0;
  EXPECT_EQ(lift_flat(cx, flat, pos, *types::borrow(stream)).handle, 42u);
  EXPECT_EQ(lent, std::vector<uint32_t>{h});
  EXPECT_THROW(g.handles.drop(h, stream), AbiTrap);  // lent out
  pos = 0;
  EXPECT_THROW(lift_flat(cx, flat, pos, *types::own(stream)), AbiTrap);  // cannot move while lent
  g.handles.end_lend(h);
  pos = 0;
  EXPECT_THROW(lift_flat(cx, flat, pos, *types::own(other)), AbiTrap);  // wrong resource type
  pos = 0;
  EXPECT_EQ(lift_flat(cx, flat, pos, *types::own(stream)).handle, 42u);  // moves it out
  EXPECT_THROW(g.handles.get(h), AbiTrap);
  EXPECT_EQ(g.handles.lower_own(7, stream), h);  // the slot is reused
  EXPECT_EQ(g.handles.drop(h, stream), std::optional<uint32_t>(7));
  uint32_t b = g.handles.lower_borrow(8, stream);
  EXPECT_EQ(g.handles.drop(b, stream), std::nullopt);  // dropping a borrow runs no destructor
  EXPECT_EQ(g.handles.live(), 0u);
}

TEST(CanonicalAbi, ManyValuesSpillToMemory) {
  std::vector<TypePtr> ts(17, types::u32());
  std::vector<Val> vs;
  for (int i = 0; i < 17; ++i) vs.push_back(Val::integer(i * 3));
  Guest g;
  auto cx = g.cx();
  auto flat = lower_flat_values(cx, kMaxFlatParams, vs, ts);
  ASSERT_EQ(flat.size(), 1u);  // a pointer to a tuple allocated with realloc
  EXPECT_EQ(lift_flat_values(cx, kMaxFlatParams, flat, ts), vs);

  // A result written through a caller-supplied return pointer.
  std::vector<TypePtr> rt = {types::result(types::list(types::u8()), types::u32())};
  std::vector<Val> rv = {Val::ok(Val::bytes("abc"))};
  auto none = lower_flat_values(cx, kMaxFlatResults, rv, rt, 512u);
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(g.buf[512], 0);  // ok
  std::vector<Value> ptr = {Value::i32(512)};
  EXPECT_EQ(lift_flat_values(cx, kMaxFlatResults, ptr, rt), rv);
  EXPECT_THROW(lower_flat_values(cx, kMaxFlatResults, rv, rt, 513u), AbiTrap);  // misaligned return pointer
}

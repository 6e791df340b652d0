#include "wast/values.h"

#include <cstring>

#include <fmt/format.h>

#include "wabt/ir.h"

namespace wasmlet::wast {
namespace {

constexpr uint32_t kF32Exponent = 0x7f800000, kF32Quiet = 0x00400000, kF32Sign = 0x80000000;
constexpr uint64_t kF64Exponent = 0x7ff0000000000000, kF64Quiet = 0x0008000000000000,
                   kF64Sign = 0x8000000000000000;

bool f32_matches(wabt::ExpectedNan nan, uint32_t expected, uint32_t actual) {
  switch (nan) {
    case wabt::ExpectedNan::None: return expected == actual;
    case wabt::ExpectedNan::Canonical: return (actual & ~kF32Sign) == (kF32Exponent | kF32Quiet);
    case wabt::ExpectedNan::Arithmetic: return (actual & (kF32Exponent | kF32Quiet)) == (kF32Exponent | kF32Quiet);
  }
  return false;
}

bool f64_matches(wabt::ExpectedNan nan, uint64_t expected, uint64_t actual) {
  switch (nan) {
    case wabt::ExpectedNan::None: return expected == actual;
    case wabt::ExpectedNan::Canonical: return (actual & ~kF64Sign) == (kF64Exponent | kF64Quiet);
    case wabt::ExpectedNan::Arithmetic: return (actual & (kF64Exponent | kF64Quiet)) == (kF64Exponent | kF64Quiet);
  }
  return false;
}

template <typename T>
T lane(const std::array<uint8_t, 16>& bytes, int index) {
  T x;
  std::memcpy(&x, bytes.data() + index * sizeof(T), sizeof(T));
  return x;
}

const char* nan_name(wabt::ExpectedNan nan) {
  return nan == wabt::ExpectedNan::Canonical ? "nan:canonical" : "nan:arithmetic";
}

// One lane of a v128 in the shape `lane_type`, as the script writes it.
std::string lane_text(wabt::Type lane_type, const std::array<uint8_t, 16>& bytes, int index) {
  switch (lane_type) {
    case wabt::Type::I8: return fmt::format("{}", lane<uint8_t>(bytes, index));
    case wabt::Type::I16: return fmt::format("{}", lane<uint16_t>(bytes, index));
    case wabt::Type::I32: return fmt::format("{}", lane<uint32_t>(bytes, index));
    case wabt::Type::I64: return fmt::format("{}", lane<uint64_t>(bytes, index));
    case wabt::Type::F32: return fmt::format("{}", lane<float>(bytes, index));
    case wabt::Type::F64: return fmt::format("{}", lane<double>(bytes, index));
    default: return "?";
  }
}

const char* shape_name(wabt::Type lane_type) {
  switch (lane_type) {
    case wabt::Type::I8: return "i8x16";
    case wabt::Type::I16: return "i16x8";
    case wabt::Type::I32: return "i32x4";
    case wabt::Type::I64: return "i64x2";
    case wabt::Type::F32: return "f32x4";
    case wabt::Type::F64: return "f64x2";
    default: return "v128";
  }
}

std::array<uint8_t, 16> bytes_of(const wabt::Const& c) {
  std::array<uint8_t, 16> bytes;
  const auto v = c.vec128();
  std::memcpy(bytes.data(), &v, 16);
  return bytes;
}

std::string v128_text(wabt::Type lane_type, const std::array<uint8_t, 16>& bytes) {
  std::string text = fmt::format("v128:{}", shape_name(lane_type));
  const int lanes = lane_type == wabt::Type::I8 ? 16 : lane_type == wabt::Type::I16 ? 8
                  : (lane_type == wabt::Type::I64 || lane_type == wabt::Type::F64) ? 2 : 4;
  for (int i = 0; i < lanes; ++i) text += " " + lane_text(lane_type, bytes, i);
  return text;
}

bool is_null_bits(const wabt::Const& c) { return c.ref_bits() == wabt::Const::kRefNullBits; }

}  // namespace

std::optional<Value> to_value(const wabt::Const& c) {
  switch (c.type()) {
    case wabt::Type::I32: return Value::i32(static_cast<int32_t>(c.u32()));
    case wabt::Type::I64: return Value::i64(static_cast<int64_t>(c.u64()));
    case wabt::Type::F32: {
      uint32_t bits = c.f32_bits();
      float f;
      std::memcpy(&f, &bits, 4);
      return Value::f32(f);
    }
    case wabt::Type::F64: {
      uint64_t bits = c.f64_bits();
      double d;
      std::memcpy(&d, &bits, 8);
      return Value::f64(d);
    }
    case wabt::Type::V128: return Value::v128(bytes_of(c));
    case wabt::Type::FuncRef:
      // A function reference argument can only be null in a script.
      return Value::ref(ValType::FuncRef, 0);
    case wabt::Type::ExternRef:
      // Host references are the host's own values, handed back unchanged
      // (value.h); 0 is null, so the script's `ref.extern N` is N + 1.
      if (is_null_bits(c)) return Value::ref(ValType::ExternRef, 0);
      return Value::ref(ValType::ExternRef, uintptr_t{c.ref_bits()} + 1);
    default: return std::nullopt;
  }
}

bool matches(const wabt::Const& expected, const Value& actual) {
  switch (expected.type()) {
    case wabt::Type::I32: return actual.type() == ValType::I32 && actual.as_u32() == expected.u32();
    case wabt::Type::I64: return actual.type() == ValType::I64 && actual.as_u64() == expected.u64();
    case wabt::Type::F32: {
      if (actual.type() != ValType::F32) return false;
      float f = actual.as_f32();
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      return f32_matches(expected.expected_nan(0), expected.f32_bits(), bits);
    }
    case wabt::Type::F64: {
      if (actual.type() != ValType::F64) return false;
      double d = actual.as_f64();
      uint64_t bits;
      std::memcpy(&bits, &d, 8);
      return f64_matches(expected.expected_nan(0), expected.f64_bits(), bits);
    }
    case wabt::Type::V128: {
      if (actual.type() != ValType::V128) return false;
      const auto got = actual.as_v128();
      const auto want = bytes_of(expected);
      switch (expected.lane_type()) {
        case wabt::Type::F32:
          for (int i = 0; i < 4; ++i)
            if (!f32_matches(expected.expected_nan(i), lane<uint32_t>(want, i), lane<uint32_t>(got, i))) return false;
          return true;
        case wabt::Type::F64:
          for (int i = 0; i < 2; ++i)
            if (!f64_matches(expected.expected_nan(i), lane<uint64_t>(want, i), lane<uint64_t>(got, i))) return false;
          return true;
        default: return got == want;  // integer lanes: the same bits in any shape
      }
    }
    case wabt::Type::FuncRef:
      if (actual.type() != ValType::FuncRef) return false;
      return is_null_bits(expected) ? actual.as_ref() == 0 : actual.as_ref() != 0;
    case wabt::Type::ExternRef:
      if (actual.type() != ValType::ExternRef) return false;
      return actual.as_ref() == (is_null_bits(expected) ? 0 : uintptr_t{expected.ref_bits()} + 1);
    default: return false;
  }
}

std::string describe(const wabt::Const& c) {
  switch (c.type()) {
    case wabt::Type::I32: return fmt::format("i32:{}", static_cast<int32_t>(c.u32()));
    case wabt::Type::I64: return fmt::format("i64:{}", static_cast<int64_t>(c.u64()));
    case wabt::Type::F32:
      if (c.is_expected_nan(0)) return fmt::format("f32:{}", nan_name(c.expected_nan(0)));
      return describe(*to_value(c));
    case wabt::Type::F64:
      if (c.is_expected_nan(0)) return fmt::format("f64:{}", nan_name(c.expected_nan(0)));
      return describe(*to_value(c));
    case wabt::Type::V128: {
      std::string text = v128_text(c.lane_type(), bytes_of(c));
      const int lanes = c.lane_type() == wabt::Type::F32 ? 4 : c.lane_type() == wabt::Type::F64 ? 2 : 0;
      for (int i = 0; i < lanes; ++i)
        if (c.is_expected_nan(i)) text += fmt::format(" (lane {}: {})", i, nan_name(c.expected_nan(i)));
      return text;
    }
    case wabt::Type::FuncRef: return is_null_bits(c) ? "ref.null func" : "ref.func";
    case wabt::Type::ExternRef: return is_null_bits(c) ? "ref.null extern" : fmt::format("ref.extern {}", c.ref_bits());
    default: return "?";
  }
}

std::string describe(const Value& v, const wabt::Const* shape) {
  switch (v.type()) {
    case ValType::I32: return fmt::format("i32:{}", v.as_i32());
    case ValType::I64: return fmt::format("i64:{}", v.as_i64());
    case ValType::F32: {
      float f = v.as_f32();
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      return fmt::format("f32:{} (0x{:08x})", f, bits);
    }
    case ValType::F64: {
      double d = v.as_f64();
      uint64_t bits;
      std::memcpy(&bits, &d, 8);
      return fmt::format("f64:{} (0x{:016x})", d, bits);
    }
    case ValType::V128:
      return v128_text(shape && shape->type() == wabt::Type::V128 ? shape->lane_type() : wabt::Type(wabt::Type::I32),
                       v.as_v128());
    case ValType::FuncRef: return v.as_ref() == 0 ? "ref.null func" : "ref.func";
    case ValType::ExternRef:
      return v.as_ref() == 0 ? "ref.null extern" : fmt::format("ref.extern {}", v.as_ref() - 1);
  }
  return "?";
}

std::string describe(const std::vector<Value>& values) {
  std::string text = "(";
  for (size_t i = 0; i < values.size(); ++i) text += (i ? " " : "") + describe(values[i]);
  return text + ")";
}

}  // namespace wasmlet::wast

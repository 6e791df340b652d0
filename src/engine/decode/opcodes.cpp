#include "engine/decode/opcodes.h"

namespace wasmlet::decode::detail {

constexpr std::array<Signature, 51> kSignatures = {{
#define SIGNATURE(name, n, a, b, c, out) {n, {ValType::a, ValType::b, ValType::c}, ValType::out},
#include "engine/decode/signatures.def"
#undef SIGNATURE
}};

namespace {

struct Tables {
  std::array<OpInfo, 256> plain{};
  std::array<OpInfo, 32> misc{};
  std::array<OpInfo, 256> simd{};
};

constexpr Tables build() {
  Tables t;
#define X(prefix, code, name, kind, sig, arg)                                              \
  (prefix == 0 ? t.plain[code] : prefix == kPrefixMisc ? t.misc[code] : t.simd[code]) = \
      OpInfo{name, OpKind::kind, Sig::sig, arg};
#include "engine/decode/opcode_table.def"
#undef X
  return t;
}

}  // namespace

constexpr std::array<OpInfo, 256> kPlainOps = build().plain;
constexpr std::array<OpInfo, 32> kMiscOps = build().misc;
constexpr std::array<OpInfo, 256> kSimdOps = build().simd;
constexpr OpInfo kIllegalOp{};

}  // namespace wasmlet::decode::detail

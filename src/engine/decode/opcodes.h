// The instruction set as data: each opcode's name, how its immediates are
// read, and the operand types it pops and pushes (opcode_table.def). The
// validator and a translator both look instructions up here.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "engine/decode/types.h"

namespace wasmlet::decode {

enum class OpKind : uint8_t {
  Illegal,    // not an instruction
  Simple,     // no immediates; pops and pushes its signature
  Load,       // memarg; i32 address -> value
  Store,      // memarg; i32 address, value ->
  LoadLane,   // memarg, lane index
  StoreLane,  // memarg, lane index
  Lane,       // lane index (extract_lane / replace_lane)
  Special,    // control, variables, tables, constants: validated one by one
};

// Operand signatures: popped types (first operand first) -> pushed type.
enum class Sig : uint8_t {
#define SIGNATURE(name, n, a, b, c, out) name,
#include "engine/decode/signatures.def"
#undef SIGNATURE
};

struct Signature {
  uint8_t num_params;
  ValType params[3];
  ValType result;  // ValType::Unknown: nothing pushed
};

struct OpInfo {
  const char* name = nullptr;
  OpKind kind = OpKind::Illegal;
  Sig sig = Sig::None;
  uint8_t arg = 0;  // natural alignment (log2 bytes) of a memory access, or a lane count
};

// Opcodes: one byte, or a prefix byte (0xfc, 0xfd) with a LEB128 sub-opcode.
inline constexpr uint8_t kPrefixMisc = 0xfc;
inline constexpr uint8_t kPrefixSimd = 0xfd;

namespace detail {
extern const std::array<Signature, 51> kSignatures;
extern const std::array<OpInfo, 256> kPlainOps, kSimdOps;
extern const std::array<OpInfo, 32> kMiscOps;
extern const OpInfo kIllegalOp;
}  // namespace detail

inline const Signature& signature(Sig sig) { return detail::kSignatures[static_cast<size_t>(sig)]; }

// The instruction `code` (after `prefix`, 0 if none); kind Illegal if unknown.
inline const OpInfo& op_info(uint8_t prefix, uint32_t code) {
  if (prefix == 0) return detail::kPlainOps[code & 0xff];
  if (prefix == kPrefixMisc) return code < 32 ? detail::kMiscOps[code] : detail::kIllegalOp;
  if (prefix == kPrefixSimd) return code < 256 ? detail::kSimdOps[code] : detail::kIllegalOp;
  return detail::kIllegalOp;
}

}  // namespace wasmlet::decode

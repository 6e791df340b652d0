// Validates one function body in a single pass with the operand and control
// stacks of the spec's validation algorithm (appendix "Validation
// Algorithm"), without recursion: nesting is a vector bounded by
// limits::kControlDepth.
//
// It is also the front end of a translator: next() decodes and validates one
// instruction at a time, hands back its immediates, and between calls
// operands() and labels tell the types on the stack, which is what a
// register/slot-assigning translator needs. validate() runs it to the end.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/decode/byte_reader.h"
#include "engine/decode/decoded_module.h"
#include "engine/decode/features.h"
#include "engine/decode/opcodes.h"

namespace wasmlet::decode {

struct BlockType {
  std::span<const ValType> params;
  std::span<const ValType> results;
};

struct MemArg {
  uint32_t align_log2 = 0;
  uint32_t memory = 0;
  uint32_t offset = 0;
};

// One decoded instruction. Which immediates are set depends on the opcode.
struct Instruction {
  size_t offset = 0;  // of its first byte in the module
  uint8_t prefix = 0;  // 0, kPrefixMisc or kPrefixSimd
  uint32_t code = 0;
  const OpInfo* info = nullptr;
  uint32_t index = 0;   // label depth, function, type, local, global, table, memory, segment, lane
  uint32_t index2 = 0;  // call_indirect's table, copy source, init's table or memory
  uint64_t bits = 0;    // i32/i64 constants (sign-extended) and f32/f64 bit patterns
  const uint8_t* bytes16 = nullptr;  // v128.const value, i8x16.shuffle lanes (into the module)
  MemArg memarg;
  BlockType block;      // block, loop, if
  ValType type = ValType::Unknown;  // ref.null, typed select; the operand type of untyped select/drop
};

struct ControlFrame {
  uint8_t opcode;   // 0x02 block, 0x03 loop, 0x04 if, 0x05 else, 0 the function body
  bool unreachable;
  uint32_t height;  // operand stack height at entry (after popping parameters)
  BlockType type;
  std::span<const ValType> label_types() const { return opcode == 0x03 ? type.params : type.results; }
};

class FunctionValidator {
 public:
  FunctionValidator(const Module& module, std::span<const uint8_t> wasm, const Features& features = {});

  // Validates the code of defined function `defined_index` (its index among
  // the module's bodies); throws DecodeError.
  void validate(uint32_t defined_index);

  // Step by step: begin(), then next() until it returns false (after the
  // function's final `end`).
  void begin(uint32_t defined_index);
  bool next(Instruction& out) {
    if (ctrls_.empty()) [[unlikely]] return false;
    out.offset = op_offset_ = in_.offset();
    return next_fast(out) || next_general(out);
  }

  std::span<const ValType> operands() const { return vals_; }
  std::span<const ControlFrame> controls() const { return ctrls_; }
  std::span<const ValType> locals() const { return locals_; }  // parameters first
  std::span<const uint32_t> br_table_targets() const { return br_targets_; }  // the last br_table's, default last

 private:
  // The most frequent instructions with one-byte immediates (local.get,
  // local.set, local.tee, i32.const, and plain numeric instructions whose
  // operands are already of the right types), validated inline: the call
  // into next_general costs more than they do. False, having read nothing,
  // for anything else.
  bool next_fast(Instruction& ins) {
    if (in_.remaining() < 2) return false;
    const uint8_t* p = in_.position();
    const uint8_t op = p[0];
    const OpInfo& info = op_info(0, op);
    size_t length = 2;
    if (op == 0x20 || op == 0x21 || op == 0x22) {
      if (p[1] >= 0x80 || p[1] >= locals_.size()) return false;
      const ValType t = locals_[p[1]];
      if (op != 0x20 && !(vals_.size() > ctrls_.back().height && vals_.back() == t)) return false;
      if (op == 0x21) vals_.pop_back();
      else if (op == 0x20) push(t);
      ins.index = p[1];
    } else if (op == 0x41) {
      if (p[1] >= 0x40) return false;
      push(ValType::I32);
      ins.bits = p[1];
    } else if (info.kind == OpKind::Simple && apply_exact(signature(info.sig))) {
      length = 1;
    } else {
      return false;
    }
    in_.advance(length);
    ins.prefix = 0;
    ins.code = op;
    ins.info = &info;
    op_name_ = info.name;
    return true;
  }
  // Applies `sig` if its one to three operands are on the stack with exactly
  // its types (the common case, and all the fast path takes); false, having
  // changed nothing, otherwise.
  bool apply_exact(const Signature& sig) {
    const size_t n = sig.num_params, size = vals_.size();
    if (n == 0 || size < ctrls_.back().height + n) return false;
    ValType* base = vals_.data() + size - n;
    if (base[0] != sig.params[0] || (n > 1 && base[1] != sig.params[1]) || (n > 2 && base[2] != sig.params[2]))
      return false;
    // erase, not resize: the stack only shrinks here and erase of trivial
    // values is inlined (resize was a call per instruction).
    if (sig.result != ValType::Unknown) {
      base[0] = sig.result;
      vals_.erase(vals_.end() - ptrdiff_t(n - 1), vals_.end());
    } else {
      vals_.erase(vals_.end() - ptrdiff_t(n), vals_.end());
    }
    return true;
  }
  bool next_general(Instruction& ins);
  void push(ValType t) { vals_.push_back(t); }
  void push(std::span<const ValType> types) { vals_.insert(vals_.end(), types.begin(), types.end()); }
  ValType pop_any();
  void pop(ValType expected) {
    const ControlFrame& top = ctrls_.back();
    if (vals_.size() > top.height) {
      ValType actual = vals_.back();
      vals_.pop_back();
      if (actual != expected && actual != ValType::Unknown && expected != ValType::Unknown) mismatch(expected, actual);
    } else if (!top.unreachable) {
      missing(expected);
    }
  }
  void pop(std::span<const ValType> types) {
    for (size_t i = types.size(); i-- > 0;) pop(types[i]);
  }
  void push_control(uint8_t opcode, BlockType type);
  ControlFrame pop_control();
  void set_unreachable();
  const ControlFrame& label(uint32_t depth);
  BlockType read_block_type();
  void read_memarg(Instruction& ins, uint32_t natural_align);
  uint32_t read_memory_index();
  uint32_t check_memory(uint32_t index);
  const TableType& table(uint32_t index);
  void validate_br_table(Instruction& ins);
  void validate_special(Instruction& ins);
  void validate_misc(Instruction& ins);
  void validate_simd(Instruction& ins);
  void apply(Sig sig);

  [[noreturn]] void mismatch(ValType expected, ValType actual) const;
  [[noreturn]] void missing(ValType expected) const;
  [[noreturn]] void invalid(std::string what) const;

  const Module& module_;
  std::span<const uint8_t> wasm_;
  Features features_;
  ByteReader in_;
  const FuncType* type_ = nullptr;
  size_t code_end_ = 0;
  size_t op_offset_ = 0;          // of the instruction being validated, for messages
  const char* op_name_ = "";
  std::vector<ValType> vals_;
  std::vector<ControlFrame> ctrls_;
  std::vector<ValType> locals_;
  std::vector<uint32_t> br_targets_;
  std::vector<uint32_t> br_checked_;  // per control depth: the br_table that last checked its label
  uint32_t br_generation_ = 0;
};

}  // namespace wasmlet::decode

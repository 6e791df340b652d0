#include "engine/decode/function_validator.h"

#include <algorithm>

#include <fmt/format.h>

namespace wasmlet::decode {

namespace {

// Storage for the one-type results of `block (result t)`, so a BlockType is
// always a pair of spans.
constexpr ValType kSingleTypes[] = {ValType::I32,  ValType::I64,     ValType::F32,      ValType::F64,
                                    ValType::V128, ValType::FuncRef, ValType::ExternRef};

std::span<const ValType> single(ValType t) {
  for (const ValType& s : kSingleTypes)
    if (s == t) return {&s, 1};
  return {};
}

std::string type_list(std::span<const ValType> types) {
  std::string out = "[";
  for (size_t i = 0; i < types.size(); ++i) out += fmt::format("{}{}", i ? " " : "", name_of(types[i]));
  return out + "]";
}

}  // namespace

FunctionValidator::FunctionValidator(const Module& module, std::span<const uint8_t> wasm, const Features& features)
    : module_(module), wasm_(wasm), features_(features), in_(std::span<const uint8_t>{}) {
  vals_.reserve(256);
  ctrls_.reserve(64);
}

void FunctionValidator::mismatch(ValType expected, ValType actual) const {
  throw_invalid(op_offset_, fmt::format("type mismatch in {}, expected {} but got {}", op_name_, name_of(expected),
                                        name_of(actual)));
}

void FunctionValidator::missing(ValType expected) const {
  throw_invalid(op_offset_, fmt::format("type mismatch in {}, expected {} but nothing is on the stack", op_name_,
                                        expected == ValType::Unknown ? "a value" : name_of(expected)));
}

void FunctionValidator::invalid(std::string what) const { throw_invalid(op_offset_, std::move(what)); }

ValType FunctionValidator::pop_any() {
  const ControlFrame& top = ctrls_.back();
  if (vals_.size() > top.height) {
    ValType t = vals_.back();
    vals_.pop_back();
    return t;
  }
  if (!top.unreachable) missing(ValType::Unknown);
  return ValType::Unknown;
}

void FunctionValidator::push_control(uint8_t opcode, BlockType type) {
  if (ctrls_.size() >= limits::kControlDepth)
    throw_limit(op_offset_, fmt::format("blocks nested deeper than wasmlet's limit of {} levels", limits::kControlDepth));
  ctrls_.push_back(ControlFrame{opcode, false, uint32_t(vals_.size()), type});
  push(type.params);
}

ControlFrame FunctionValidator::pop_control() {
  // The caller has checked ctrls_ is not empty.
  ControlFrame frame = ctrls_.back();
  pop(frame.type.results);
  if (vals_.size() != frame.height)
    invalid(fmt::format("type mismatch in {}: the block leaves {} more value(s) than its results {}", op_name_,
                        vals_.size() - frame.height, type_list(frame.type.results)));
  ctrls_.pop_back();
  return frame;
}

void FunctionValidator::set_unreachable() {
  ControlFrame& top = ctrls_.back();
  vals_.erase(vals_.begin() + top.height, vals_.end());
  top.unreachable = true;
}

const ControlFrame& FunctionValidator::label(uint32_t depth) {
  if (depth >= ctrls_.size())
    invalid(fmt::format("unknown label {} in {} ({} enclosing blocks)", depth, op_name_, ctrls_.size()));
  return ctrls_[ctrls_.size() - 1 - depth];
}

BlockType FunctionValidator::read_block_type() {
  uint8_t byte = in_.peek_u8();
  if (byte == 0x40) {
    in_.u8();
    return {};
  }
  if (is_value_type_code(byte)) {
    in_.u8();
    return {{}, single(ValType(byte))};
  }
  size_t at = in_.offset();
  int64_t index = in_.s33();
  if (index < 0) throw_malformed(at, fmt::format("malformed block type {}", index));
  if (uint64_t(index) >= module_.types.size())
    throw_invalid(at, fmt::format("unknown type {} in {} ({} types)", index, op_name_, module_.types.size()));
  const FuncType& t = module_.types[size_t(index)];
  return {t.params, t.results};
}

uint32_t FunctionValidator::check_memory(uint32_t index) {
  if (index >= module_.memories.size())
    invalid(fmt::format("unknown memory {} in {} ({} memories)", index, op_name_, module_.memories.size()));
  return index;
}

uint32_t FunctionValidator::read_memory_index() {
  size_t at = in_.offset();
  if (features_.multi_memory) return check_memory(in_.u32());
  if (in_.u8() != 0) throw_malformed(at, fmt::format("zero byte expected in {}", op_name_));
  return check_memory(0);
}

void FunctionValidator::read_memarg(Instruction& ins, uint32_t natural_align) {
  size_t at = in_.offset();
  uint32_t flags = in_.u32();
  uint32_t memory = 0;
  if (flags >= 0x40) {
    if (!features_.multi_memory || flags >= 0x80)
      throw_malformed(at, fmt::format("malformed memop flags {:#x} in {}", flags, op_name_));
    flags -= 0x40;
    memory = in_.u32();
  }
  ins.memarg.offset = in_.u32();
  ins.memarg.align_log2 = flags;
  ins.memarg.memory = check_memory(memory);
  if (flags > natural_align)
    throw_invalid(at, fmt::format("alignment must not be larger than natural in {} (2^{} > {} bytes)", op_name_, flags,
                                  1u << natural_align));
}

const TableType& FunctionValidator::table(uint32_t index) {
  if (index >= module_.tables.size())
    invalid(fmt::format("unknown table {} in {} ({} tables)", index, op_name_, module_.tables.size()));
  return module_.tables[index];
}

void FunctionValidator::apply(Sig sig) {
  const Signature& s = signature(sig);
  if (apply_exact(s)) return;
  for (int i = s.num_params; i-- > 0;) pop(s.params[i]);
  if (s.result != ValType::Unknown) push(s.result);
}

void FunctionValidator::begin(uint32_t defined_index) {
  const FunctionBody& body = module_.bodies[defined_index];
  type_ = &module_.types[body.type_index];
  locals_.assign(type_->params.begin(), type_->params.end());
  for (uint32_t r = 0; r < body.local_run_count; ++r) {
    const LocalRun& run = module_.local_runs[body.first_local_run + r];
    locals_.insert(locals_.end(), run.count, run.type);
  }
  in_ = ByteReader(body.code.of(wasm_), body.code.offset);
  code_end_ = body.code.offset + body.code.size;
  vals_.clear();
  ctrls_.clear();
  op_offset_ = body.code.offset;
  op_name_ = "function";
  ctrls_.push_back(ControlFrame{0, false, 0, {{}, type_->results}});
}

void FunctionValidator::validate(uint32_t defined_index) {
  begin(defined_index);
  Instruction ins;
  while (next(ins)) {
  }
}

bool FunctionValidator::next_general(Instruction& ins) {
  if (in_.at_end()) throw_malformed(op_offset_, "END opcode expected: the function's code ends without its final end");
  uint8_t op = in_.u8();
  ins.prefix = 0;
  ins.code = op;
  const OpInfo* info = &op_info(0, op);
  // The most frequent instructions, checked here without the generic dispatch.
  if (op == 0x20 || op == 0x21 || op == 0x22) {  // local.get, local.set, local.tee
    ins.info = info;
    op_name_ = info->name;
    ins.index = in_.u32();
    if (ins.index >= locals_.size())
      invalid(fmt::format("unknown local {} in {} ({} locals)", ins.index, op_name_, locals_.size()));
    ValType t = locals_[ins.index];
    if (op != 0x20) pop(t);
    if (op != 0x21) push(t);
    return true;
  }
  if (op == 0x41) {  // i32.const
    ins.info = info;
    op_name_ = info->name;
    ins.bits = uint64_t(int64_t(in_.s32()));
    push(ValType::I32);
    return true;
  }
  if (op == kPrefixMisc || op == kPrefixSimd) {
    ins.prefix = op;
    ins.code = in_.u32();
    info = &op_info(op, ins.code);
  }
  ins.info = info;
  op_name_ = info->name;
  switch (info->kind) {
    case OpKind::Simple:
      apply(info->sig);
      break;
    case OpKind::Load:
      read_memarg(ins, info->arg);
      apply(info->sig);
      break;
    case OpKind::Store:
      read_memarg(ins, info->arg);
      apply(info->sig);
      break;
    case OpKind::LoadLane:
    case OpKind::StoreLane: {
      read_memarg(ins, info->arg);
      size_t at = in_.offset();
      ins.index = in_.u8();
      if (ins.index >= (16u >> info->arg))
        throw_invalid(at, fmt::format("invalid lane index {} in {} (it has {} lanes)", ins.index, op_name_, 16u >> info->arg));
      apply(info->sig);
      break;
    }
    case OpKind::Lane: {
      size_t at = in_.offset();
      ins.index = in_.u8();
      if (ins.index >= info->arg)
        throw_invalid(at, fmt::format("invalid lane index {} in {} (it has {} lanes)", ins.index, op_name_, info->arg));
      apply(info->sig);
      break;
    }
    case OpKind::Special:
      if (ins.prefix == 0) validate_special(ins);
      else if (ins.prefix == kPrefixMisc) validate_misc(ins);
      else validate_simd(ins);
      break;
    case OpKind::Illegal:
      if (ins.prefix) throw_malformed(op_offset_, fmt::format("illegal opcode {:#04x} {:#x}", ins.prefix, ins.code));
      throw_malformed(op_offset_, fmt::format("illegal opcode {:#04x}", op));
  }
  if (ctrls_.empty() && in_.offset() != code_end_)
    throw_malformed(in_.offset(), "section size mismatch: bytes follow the function's final end");
  return true;
}

void FunctionValidator::validate_special(Instruction& ins) {
  switch (ins.code) {
    case 0x00:  // unreachable
      set_unreachable();
      break;
    case 0x01:  // nop
      break;
    case 0x02:  // block
    case 0x03:  // loop
      ins.block = read_block_type();
      pop(ins.block.params);
      push_control(uint8_t(ins.code), ins.block);
      break;
    case 0x04:  // if
      ins.block = read_block_type();
      pop(ValType::I32);
      pop(ins.block.params);
      push_control(0x04, ins.block);
      break;
    case 0x05: {  // else
      if (ctrls_.back().opcode != 0x04) throw_malformed(op_offset_, "else without a matching if");
      ControlFrame frame = pop_control();
      push_control(0x05, frame.type);
      break;
    }
    case 0x0b: {  // end
      ControlFrame frame = pop_control();
      if (frame.opcode == 0x04 && !std::equal(frame.type.params.begin(), frame.type.params.end(),
                                              frame.type.results.begin(), frame.type.results.end()))
        invalid(fmt::format("type mismatch in if without else: its parameters {} are not its results {}",
                            type_list(frame.type.params), type_list(frame.type.results)));
      push(frame.type.results);
      break;
    }
    case 0x0c: {  // br
      ins.index = in_.u32();
      pop(label(ins.index).label_types());
      set_unreachable();
      break;
    }
    case 0x0d: {  // br_if
      ins.index = in_.u32();
      pop(ValType::I32);
      auto types = label(ins.index).label_types();
      pop(types);
      push(types);
      break;
    }
    case 0x0e:  // br_table
      validate_br_table(ins);
      break;
    case 0x0f:  // return
      pop(type_->results);
      set_unreachable();
      break;
    case 0x10:    // call
    case 0x12: {  // return_call
      if (ins.code == 0x12 && !features_.tail_call) throw_malformed(op_offset_, "illegal opcode 0x12 (tail calls are off)");
      ins.index = in_.u32();
      if (ins.index >= module_.functions.size())
        invalid(fmt::format("unknown function {} in {} ({} functions)", ins.index, op_name_, module_.functions.size()));
      const FuncType& callee = module_.function_type(ins.index);
      pop(callee.params);
      if (ins.code == 0x10) {
        push(callee.results);
      } else {
        if (callee.results != type_->results)
          invalid(fmt::format("type mismatch in return_call: the callee returns {}, this function {}",
                              type_list(callee.results), type_list(type_->results)));
        set_unreachable();
      }
      break;
    }
    case 0x11:    // call_indirect
    case 0x13: {  // return_call_indirect
      if (ins.code == 0x13 && !features_.tail_call) throw_malformed(op_offset_, "illegal opcode 0x13 (tail calls are off)");
      ins.index = in_.u32();
      ins.index2 = in_.u32();
      if (ins.index >= module_.types.size())
        invalid(fmt::format("unknown type {} in {} ({} types)", ins.index, op_name_, module_.types.size()));
      if (table(ins.index2).element != ValType::FuncRef)
        invalid(fmt::format("type mismatch in {}: table {} holds {}, not funcref", op_name_, ins.index2,
                            name_of(table(ins.index2).element)));
      const FuncType& callee = module_.types[ins.index];
      pop(ValType::I32);
      pop(callee.params);
      if (ins.code == 0x11) {
        push(callee.results);
      } else {
        if (callee.results != type_->results)
          invalid(fmt::format("type mismatch in return_call_indirect: the callee returns {}, this function {}",
                              type_list(callee.results), type_list(type_->results)));
        set_unreachable();
      }
      break;
    }
    case 0x1a:  // drop
      ins.type = pop_any();
      break;
    case 0x1b: {  // select
      pop(ValType::I32);
      ValType t1 = pop_any();
      ValType t2 = pop_any();
      if (is_reference(t1) || is_reference(t2))
        invalid("type mismatch in select: select without a type operates on numbers and vectors only; use select (result t) for references");
      if (t1 != t2 && t1 != ValType::Unknown && t2 != ValType::Unknown) mismatch(t1, t2);
      ins.type = t1 == ValType::Unknown ? t2 : t1;
      push(ins.type);
      break;
    }
    case 0x1c: {  // select (result t)
      size_t at = in_.offset();
      uint32_t n = in_.u32();
      if (n != 1) throw_invalid(at, fmt::format("invalid result arity {} in select, expected 1", n));
      ins.type = read_value_type(in_);
      pop(ValType::I32);
      pop(ins.type);
      pop(ins.type);
      push(ins.type);
      break;
    }
    case 0x20:  // local.get
    case 0x21:  // local.set
    case 0x22: {  // local.tee
      ins.index = in_.u32();
      if (ins.index >= locals_.size())
        invalid(fmt::format("unknown local {} in {} ({} locals)", ins.index, op_name_, locals_.size()));
      ValType t = locals_[ins.index];
      if (ins.code != 0x20) pop(t);
      if (ins.code != 0x21) push(t);
      break;
    }
    case 0x23:  // global.get
    case 0x24: {  // global.set
      ins.index = in_.u32();
      if (ins.index >= module_.globals.size())
        invalid(fmt::format("unknown global {} in {} ({} globals)", ins.index, op_name_, module_.globals.size()));
      const GlobalType& g = module_.globals[ins.index];
      if (ins.code == 0x23) {
        push(g.type);
      } else {
        if (!g.is_mutable) invalid(fmt::format("global is immutable: global.set of global {}", ins.index));
        pop(g.type);
      }
      break;
    }
    case 0x25:  // table.get
    case 0x26: {  // table.set
      ins.index = in_.u32();
      ValType t = table(ins.index).element;
      if (ins.code == 0x25) {
        pop(ValType::I32);
        push(t);
      } else {
        pop(t);
        pop(ValType::I32);
      }
      break;
    }
    case 0x3f:  // memory.size
      ins.index = read_memory_index();
      push(ValType::I32);
      break;
    case 0x40:  // memory.grow
      ins.index = read_memory_index();
      pop(ValType::I32);
      push(ValType::I32);
      break;
    case 0x41:
      ins.bits = uint64_t(int64_t(in_.s32()));
      push(ValType::I32);
      break;
    case 0x42:
      ins.bits = uint64_t(in_.s64());
      push(ValType::I64);
      break;
    case 0x43: {
      uint32_t bits;
      std::memcpy(&bits, in_.bytes(4).data(), 4);
      ins.bits = bits;
      push(ValType::F32);
      break;
    }
    case 0x44:
      std::memcpy(&ins.bits, in_.bytes(8).data(), 8);
      push(ValType::F64);
      break;
    case 0xd0:  // ref.null
      ins.type = read_reference_type(in_);
      push(ins.type);
      break;
    case 0xd1: {  // ref.is_null
      ValType t = pop_any();
      if (t != ValType::Unknown && !is_reference(t))
        invalid(fmt::format("type mismatch in ref.is_null, expected a reference but got {}", name_of(t)));
      ins.type = t;
      push(ValType::I32);
      break;
    }
    case 0xd2: {  // ref.func
      ins.index = in_.u32();
      if (ins.index >= module_.functions.size())
        invalid(fmt::format("unknown function {} in ref.func ({} functions)", ins.index, module_.functions.size()));
      if (!module_.declared_function_refs[ins.index])
        invalid(fmt::format("undeclared function reference: function {} must appear in an export, an element "
                            "segment or a global initializer to be used by ref.func",
                            ins.index));
      push(ValType::FuncRef);
      break;
    }
  }
}

void FunctionValidator::validate_br_table(Instruction& ins) {
  size_t at = in_.offset();
  uint32_t n = in_.count(1);
  br_targets_.resize(size_t(n) + 1);
  for (uint32_t i = 0; i <= n; ++i) br_targets_[i] = in_.u32();
  (void)at;
  pop(ValType::I32);
  uint32_t default_depth = br_targets_[n];
  auto default_types = label(default_depth).label_types();
  // Each distinct target is checked once: pop its label types and push them back.
  if (br_checked_.size() < ctrls_.size()) br_checked_.resize(ctrls_.size(), 0);
  if (++br_generation_ == 0) {
    std::fill(br_checked_.begin(), br_checked_.end(), 0);
    br_generation_ = 1;
  }
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t depth = br_targets_[i];
    auto types = label(depth).label_types();
    if (types.size() != default_types.size())
      invalid(fmt::format("type mismatch in br_table: label {} takes {} value(s), the default label {} takes {}",
                          depth, types.size(), default_depth, default_types.size()));
    if (br_checked_[depth] == br_generation_) continue;
    br_checked_[depth] = br_generation_;
    size_t keep = vals_.size();
    std::vector<ValType> saved(vals_.end() - std::min(vals_.size() - ctrls_.back().height, types.size()), vals_.end());
    pop(types);
    // Put back exactly what was there (unknowns stay unknown, as the spec's algorithm does).
    vals_.resize(keep - saved.size());
    vals_.insert(vals_.end(), saved.begin(), saved.end());
  }
  pop(default_types);
  set_unreachable();
  ins.index = default_depth;
}

void FunctionValidator::validate_misc(Instruction& ins) {
  switch (ins.code) {
    case 8: {  // memory.init data memory
      size_t at = in_.offset();
      ins.index = in_.u32();
      ins.index2 = read_memory_index();
      if (!module_.data_count) throw_malformed(at, "data count section required by memory.init");
      if (ins.index >= *module_.data_count)
        throw_invalid(at, fmt::format("unknown data segment {} in memory.init ({} segments)", ins.index, *module_.data_count));
      apply(Sig::I32I32I32_V);
      break;
    }
    case 9: {  // data.drop
      size_t at = in_.offset();
      ins.index = in_.u32();
      if (!module_.data_count) throw_malformed(at, "data count section required by data.drop");
      if (ins.index >= *module_.data_count)
        throw_invalid(at, fmt::format("unknown data segment {} in data.drop ({} segments)", ins.index, *module_.data_count));
      break;
    }
    case 10:  // memory.copy dst src
      ins.index = read_memory_index();
      ins.index2 = read_memory_index();
      apply(Sig::I32I32I32_V);
      break;
    case 11:  // memory.fill
      ins.index = read_memory_index();
      apply(Sig::I32I32I32_V);
      break;
    case 12: {  // table.init elem table
      ins.index = in_.u32();
      ins.index2 = in_.u32();
      if (ins.index >= module_.elements.size())
        invalid(fmt::format("unknown elem segment {} in table.init ({} segments)", ins.index, module_.elements.size()));
      ValType have = module_.elements[ins.index].type, want = table(ins.index2).element;
      if (have != want)
        invalid(fmt::format("type mismatch in table.init: segment {} holds {}, table {} holds {}", ins.index,
                            name_of(have), ins.index2, name_of(want)));
      apply(Sig::I32I32I32_V);
      break;
    }
    case 13:  // elem.drop
      ins.index = in_.u32();
      if (ins.index >= module_.elements.size())
        invalid(fmt::format("unknown elem segment {} in elem.drop ({} segments)", ins.index, module_.elements.size()));
      break;
    case 14: {  // table.copy dst src
      ins.index = in_.u32();
      ins.index2 = in_.u32();
      ValType dst = table(ins.index).element, src = table(ins.index2).element;
      if (dst != src)
        invalid(fmt::format("type mismatch in table.copy: table {} holds {}, table {} holds {}", ins.index2,
                            name_of(src), ins.index, name_of(dst)));
      apply(Sig::I32I32I32_V);
      break;
    }
    case 15: {  // table.grow
      ins.index = in_.u32();
      ValType t = table(ins.index).element;
      pop(ValType::I32);
      pop(t);
      push(ValType::I32);
      break;
    }
    case 16:  // table.size
      ins.index = in_.u32();
      table(ins.index);
      push(ValType::I32);
      break;
    case 17: {  // table.fill
      ins.index = in_.u32();
      ValType t = table(ins.index).element;
      pop(ValType::I32);
      pop(t);
      pop(ValType::I32);
      break;
    }
  }
}

void FunctionValidator::validate_simd(Instruction& ins) {
  if (ins.code == 12) {  // v128.const
    ins.bytes16 = in_.bytes(16).data();
    push(ValType::V128);
    return;
  }
  // i8x16.shuffle
  size_t at = in_.offset();
  ins.bytes16 = in_.bytes(16).data();
  for (int i = 0; i < 16; ++i)
    if (ins.bytes16[i] >= 32)
      throw_invalid(at + i, fmt::format("invalid lane index {} in i8x16.shuffle (lanes are 0 to 31)", ins.bytes16[i]));
  apply(Sig::V128V128_V128);
}

}  // namespace wasmlet::decode

#include "engine/hot/hot_emitter.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include <fmt/format.h>

#include "engine/decode/function_validator.h"
#include "engine/decode/opcodes.h"
#include "engine/metering.h"
#include "wasmlet/outcome.h"

namespace wasmlet::detail::hot {

namespace {

using decode::Instruction;
using decode::OpKind;
using decode::ValType;

// Functions of more C++ than this are left out; of more than the large
// size, compiled in a unit of their own with less optimisation.
constexpr size_t kMaxFunctionBytes = size_t{1} << 20;
constexpr size_t kLargeFunctionBytes = size_t{256} << 10;
// At most this many locals and operand variables (8 bytes each) per function.
constexpr size_t kMaxVariables = 2048;

// A function the emitter does not handle: it stays interpreted.
struct Unsupported : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The numeric instructions as text, from the interpreter's own table.
enum class NumericKind { Bin, Un, TrappingBin, TrappingUn };
struct NumericText {
  NumericKind kind;
  const char* operand;  // u32 u64 f32 f64
  const char* result;
  const char* expr;     // of a (and b); for the trapping ones, the function
};

const std::unordered_map<uint32_t, NumericText>& numeric_ops() {
  static const auto table = [] {
    std::unordered_map<uint32_t, NumericText> t;
#define KEY(p, c) ((uint32_t(p) << 16) | uint32_t(c))
#define BIN(p, c, name, T, R, expr) t.emplace(KEY(p, c), NumericText{NumericKind::Bin, #T, #R, #expr});
#define UN(p, c, name, T, R, expr) t.emplace(KEY(p, c), NumericText{NumericKind::Un, #T, #R, #expr});
#define TBIN(p, c, name, T, fn) t.emplace(KEY(p, c), NumericText{NumericKind::TrappingBin, #T, #T, #fn});
#define TUN(p, c, name, T, R, fn) t.emplace(KEY(p, c), NumericText{NumericKind::TrappingUn, #T, #R, #fn});
#include "engine/fast/numeric.def"
#undef BIN
#undef UN
#undef TBIN
#undef TUN
#undef KEY
    return t;
  }();
  return table;
}

// Loads and stores: the type in memory and its size.
struct MemoryText {
  const char* memory;
  uint32_t bytes;
};

std::optional<MemoryText> memory_op(uint32_t code) {
  switch (code) {
    case 0x28: return MemoryText{"uint32_t", 4};
    case 0x29: return MemoryText{"uint64_t", 8};
    case 0x2a: return MemoryText{"float", 4};
    case 0x2b: return MemoryText{"double", 8};
    case 0x2c: case 0x30: return MemoryText{"int8_t", 1};
    case 0x2d: case 0x31: return MemoryText{"uint8_t", 1};
    case 0x2e: case 0x32: return MemoryText{"int16_t", 2};
    case 0x2f: case 0x33: return MemoryText{"uint16_t", 2};
    case 0x34: return MemoryText{"int32_t", 4};
    case 0x35: return MemoryText{"uint32_t", 4};
    case 0x36: return MemoryText{"uint32_t", 4};
    case 0x37: return MemoryText{"uint64_t", 8};
    case 0x38: return MemoryText{"float", 4};
    case 0x39: return MemoryText{"double", 8};
    case 0x3a: case 0x3c: return MemoryText{"uint8_t", 1};
    case 0x3b: case 0x3d: return MemoryText{"uint16_t", 2};
    case 0x3e: return MemoryText{"uint32_t", 4};
    default: return std::nullopt;
  }
}

char type_letter(ValType t) {
  switch (t) {
    case ValType::I32: return 'i';
    case ValType::I64: return 'j';
    case ValType::F32: return 'f';
    case ValType::F64: return 'd';
    default: throw Unsupported(fmt::format("{} values", decode::name_of(t)));
  }
}

const char* c_type(ValType t) {
  switch (t) {
    case ValType::I32: return "u32";
    case ValType::I64: return "u64";
    case ValType::F32: return "f32";
    case ValType::F64: return "f64";
    default: throw Unsupported(fmt::format("{} values", decode::name_of(t)));
  }
}

// A value into a frame slot and back, as the interpreter stores them (an
// i32 or f32 zero-extended).
std::string to_slot(ValType t, const std::string& v) {
  switch (t) {
    case ValType::I32: case ValType::I64: return fmt::format("uint64_t({})", v);
    case ValType::F32: return fmt::format("uint64_t(std::bit_cast<u32>({}))", v);
    default: return fmt::format("std::bit_cast<u64>({})", v);
  }
}
std::string from_slot(ValType t, const std::string& slot) {
  switch (t) {
    case ValType::I32: return fmt::format("u32({})", slot);
    case ValType::I64: return slot;
    case ValType::F32: return fmt::format("std::bit_cast<f32>(u32({}))", slot);
    default: return fmt::format("std::bit_cast<f64>({})", slot);
  }
}

constexpr uint32_t kind_code(TrapKind k) { return static_cast<uint32_t>(k); }

class FunctionEmitter {
 public:
  FunctionEmitter(const decode::Module& module, std::span<const uint8_t> bytes, uint32_t defined_index,
                  const std::vector<bool>& compiled)
      : module_(module), validator_(module, bytes), index_(defined_index),
        function_index_(module.num_imported_functions + defined_index), compiled_(compiled) {}

  // The function's definition, or throws Unsupported.
  std::string emit() {
    const decode::FunctionBody& body = module_.bodies[index_];
    type_ = &module_.types[body.type_index];
    validator_.begin(index_);
    locals_.assign(validator_.locals().begin(), validator_.locals().end());
    for (ValType t : locals_) c_type(t);  // throws for the types not handled
    for (ValType t : type_->results) c_type(t);
    call_base_ = uint32_t(std::max(type_->params.size(), type_->results.size()));
    frame_end_ = call_base_;

    controls_.push_back(Control{0, 0, next_label_++, {}, type_->results});
    scopes_.push_back(Scope{open_fuel(), 0});
    Instruction ins;
    std::vector<ValType> before;
    while (true) {
      before.assign(validator_.operands().begin(), validator_.operands().end());
      const bool dead = validator_.controls().back().unreachable;
      if (!validator_.next(ins)) break;
      const bool counted = !(ins.prefix == 0 && (ins.code == 0x0b || ins.code == 0x05));
      if (counted) ++scopes_.back().cost;
      if (ins.prefix == 0 && ins.code == 0x40) scopes_.back().cost += kMemoryGrowExtraCost;
      instruction(ins, before, dead);
      if (controls_.empty()) break;
    }

    // The host stack check at entry leaves a fixed reserve below it: a
    // frame must stay well inside it, so functions of many variables stay
    // interpreted.
    if (locals_.size() + stack_vars_.size() > kMaxVariables)
      throw Unsupported(fmt::format("{} locals and operands, more than the {} native code takes",
                                    locals_.size() + stack_vars_.size(), kMaxVariables));
    std::string out = fmt::format("extern \"C\" __attribute__((visibility(\"hidden\"))) int {}(Context* ctx, uint64_t* fp) {{\n",
                                  native_symbol(index_));
    out += fmt::format("  constexpr uint32_t F = {};\n", function_index_);
    // Addresses compared as integers: the frame's end may lie past the stack.
    out += fmt::format("  if (uintptr_t(fp + {0}) > uintptr_t(*ctx->stack_end) ||\n"
                       "      uintptr_t(__builtin_frame_address(0)) < uintptr_t(ctx->host_stack_limit)) [[unlikely]]\n"
                       "    if (!ctx->deepen(ctx, fp + {0}, F)) return 0;\n", frame_end_);
    out += "  uint8_t* const mem = ctx->mem_base;\n  uint64_t msz = *ctx->mem_bytes;\n  (void)mem; (void)msz;\n";
    for (size_t i = 0; i < locals_.size(); ++i) {
      if (i < type_->params.size())
        out += fmt::format("  {} l{} = {};\n", c_type(locals_[i]), i, from_slot(locals_[i], fmt::format("fp[{}]", i)));
      else
        out += fmt::format("  {} l{} = 0;\n", c_type(locals_[i]), i);
    }
    for (const auto& v : stack_vars_) out += fmt::format("  {} {};\n", v.second, v.first);
    out += body_;
    out += "  __builtin_unreachable();\n}\n";
    return out;
  }

 private:
  struct Control {
    uint8_t opcode;     // 0 function, 2 block, 3 loop, 4 if
    uint32_t height;    // operand stack height of its label values
    uint32_t label;
    std::vector<ValType> params, results;
    bool has_else = false;
    std::vector<ValType> label_types() const { return opcode == 3 ? params : results; }
  };
  struct Scope {
    size_t placeholder;  // of its cost, into body_
    uint64_t cost;
  };
  static constexpr const char* kCostMark = "@@@@@@@@@@@@@@@@@@@@";  // 20 characters, room for any cost

  std::string var(uint32_t depth, ValType t) {
    std::string name = fmt::format("s{}{}", depth, type_letter(t));
    stack_vars_.emplace(name, c_type(t));
    return name;
  }
  void line(const std::string& text) {
    body_ += "  ";
    body_ += text;
    body_ += '\n';
  }
  std::string trap(TrapKind kind, const std::string& detail = "0") {
    return fmt::format("return ctx->trap(ctx, {}, F, {});", kind_code(kind), detail);
  }
  // A fuel check point: its cost is patched in when its scope ends.
  size_t open_fuel() {
    body_ += "  if ((*ctx->budget -= ";
    const size_t at = body_.size();
    body_ += kCostMark;
    body_ += ") < 0 && !ctx->refuel(ctx, F)) [[unlikely]] return 0;\n";
    return at;
  }
  void close_fuel() {
    const Scope s = scopes_.back();
    scopes_.pop_back();
    std::string cost = fmt::format("{}", s.cost + 1);
    cost.resize(std::strlen(kCostMark), ' ');
    body_.replace(s.placeholder, cost.size(), cost);
  }

  // Moves the `n` values on top of a stack of height `height` to the label
  // values of `target` and jumps there.
  std::string branch(const Control& target, const std::vector<ValType>& stack) {
    const auto types = target.label_types();
    const uint32_t n = uint32_t(types.size());
    const uint32_t from = uint32_t(stack.size()) - n;
    std::string out;
    if (target.opcode == 0) {
      for (uint32_t i = 0; i < n; ++i) out += fmt::format("fp[{}] = {}; ", i, to_slot(types[i], var(from + i, types[i])));
      return out + "return 1;";
    }
    for (uint32_t i = 0; i < n; ++i)
      if (from + i != target.height + i)
        out += fmt::format("{} = {}; ", var(target.height + i, types[i]), var(from + i, types[i]));
    return out + fmt::format("goto L{};", target.label);
  }
  const Control& label(uint32_t depth) const { return controls_[controls_.size() - 1 - depth]; }

  void push_control(uint8_t opcode, const Instruction& ins) {
    const decode::ControlFrame& frame = validator_.controls().back();
    controls_.push_back(Control{opcode, frame.height, next_label_++,
                                std::vector<ValType>(ins.block.params.begin(), ins.block.params.end()),
                                std::vector<ValType>(ins.block.results.begin(), ins.block.results.end())});
    for (ValType t : controls_.back().params) c_type(t);
    for (ValType t : controls_.back().results) c_type(t);
  }

  void instruction(const Instruction& ins, const std::vector<ValType>& before, bool dead) {
    const uint32_t h = uint32_t(before.size());
    auto top = [&](uint32_t k) { return var(h - k, before[h - k]); };  // k = 1: the top
    if (ins.prefix == decode::kPrefixSimd) throw Unsupported("SIMD");
    if (ins.prefix == 0) {
      switch (ins.code) {
        case 0x02: push_control(2, ins); return;
        case 0x03:
          // Its label even in dead code: the validator takes the code
          // inside a block as reachable, and so may a branch to it.
          push_control(3, ins);
          body_ += fmt::format(" L{}:;\n", controls_.back().label);
          scopes_.push_back(Scope{open_fuel(), 0});
          return;
        case 0x04:
          if (!ins.block.params.empty()) throw Unsupported("an `if` with block parameters");
          if (!dead) line(fmt::format("if (!{}) goto E{};", top(1), next_label_));
          push_control(4, ins);
          return;
        case 0x05: {
          Control& c = controls_.back();
          if (!dead) line(branch(c, before));
          body_ += fmt::format(" E{}:;\n", c.label);
          c.has_else = true;
          return;
        }
        case 0x0b: {
          Control c = controls_.back();
          if (c.opcode == 0) {
            if (!dead) line(branch(c, before));
            close_fuel();
            controls_.pop_back();
            return;
          }
          if (c.opcode == 3) {
            close_fuel();
          } else {
            // The fallthrough: results already sit at the label's depths.
            if (c.opcode == 4 && !c.has_else) body_ += fmt::format(" E{}:;\n", c.label);
            body_ += fmt::format(" L{}:;\n", c.label);
          }
          controls_.pop_back();
          return;
        }
        default: break;
      }
    }
    if (dead) return;  // unreachable code: typed loosely, never runs
    if (ins.prefix == 0) {
      switch (ins.code) {
        case 0x00: return line(trap(TrapKind::Unreachable));
        case 0x01: return;
        case 0x0c: return line(branch(label(ins.index), before));
        case 0x0d: {
          std::vector<ValType> rest(before.begin(), before.end() - 1);
          return line(fmt::format("if ({}) {{ {} }}", top(1), branch(label(ins.index), rest)));
        }
        case 0x0e: {
          std::vector<ValType> rest(before.begin(), before.end() - 1);
          auto targets = validator_.br_table_targets();
          std::string s = fmt::format("switch ({}) {{", top(1));
          for (size_t i = 0; i + 1 < targets.size(); ++i)
            s += fmt::format(" case {}: {{ {} }}", i, branch(label(targets[i]), rest));
          s += fmt::format(" default: {{ {} }} }}", branch(label(targets.back()), rest));
          return line(s);
        }
        case 0x0f: return line(branch(controls_.front(), before));
        case 0x10: return call(ins.index, module_.function_type(ins.index), before, std::nullopt);
        case 0x11: return call(ins.index, module_.types[ins.index], before, ins.index2);
        case 0x12: case 0x13: throw Unsupported("tail calls");
        case 0x1a: return;
        case 0x1b: case 0x1c:
          return line(fmt::format("{} = {} ? {} : {};", top(3), top(1), top(3), top(2)));
        case 0x20: return line(fmt::format("{} = l{};", var(h, locals_[ins.index]), ins.index));
        case 0x21: case 0x22: return line(fmt::format("l{} = {};", ins.index, top(1)));
        case 0x23: {
          const ValType t = module_.globals[ins.index].type;
          return line(fmt::format("{} = {};", var(h, t), from_slot(t, fmt::format("*ctx->globals[{}]", ins.index))));
        }
        case 0x24: {
          const ValType t = module_.globals[ins.index].type;
          return line(fmt::format("*ctx->globals[{}] = {};", ins.index, to_slot(t, top(1))));
        }
        case 0x3f:
          if (ins.index != 0) throw Unsupported("multiple memories");
          return line(fmt::format("{} = u32(msz / 65536);", var(h, ValType::I32)));
        case 0x40:
          if (ins.index != 0) throw Unsupported("multiple memories");
          return line(fmt::format("{0} = u32(ctx->memory_grow(ctx, {0})); msz = *ctx->mem_bytes;", top(1)));
        case 0x41: return line(fmt::format("{} = {}u;", var(h, ValType::I32), uint32_t(ins.bits)));
        case 0x42: return line(fmt::format("{} = {}ull;", var(h, ValType::I64), uint64_t(ins.bits)));
        case 0x43: return line(fmt::format("{} = std::bit_cast<f32>(u32({}u));", var(h, ValType::F32), uint32_t(ins.bits)));
        case 0x44: return line(fmt::format("{} = std::bit_cast<f64>(u64({}ull));", var(h, ValType::F64), uint64_t(ins.bits)));
        default: break;
      }
      if (ins.info && (ins.info->kind == OpKind::Load || ins.info->kind == OpKind::Store))
        return memory_access(ins, before);
    }
    if (ins.prefix == decode::kPrefixMisc) {
      switch (ins.code) {
        case 10:
          if (ins.index != 0 || ins.index2 != 0) throw Unsupported("multiple memories");
          line(fmt::format("if (!ctx->memory_copy(ctx, {}, {}, {}, F)) return 0;", top(3), top(2), top(1)));
          return;
        case 11:
          if (ins.index != 0) throw Unsupported("multiple memories");
          line(fmt::format("if (!ctx->memory_fill(ctx, {}, {}, {}, F)) return 0;", top(3), top(2), top(1)));
          return;
        default: break;
      }
    }
    auto it = numeric_ops().find((uint32_t(ins.prefix) << 16) | ins.code);
    if (it == numeric_ops().end()) throw Unsupported(ins.info && ins.info->name ? ins.info->name : "an instruction");
    const NumericText& op = it->second;
    const auto after = validator_.operands();
    const std::string result = var(uint32_t(after.size()) - 1, after.back());
    switch (op.kind) {
      case NumericKind::Bin:
        return line(fmt::format("{{ {0} a = {1}; {0} b = {2}; {3} = {4}({5}); }}", op.operand, top(2), top(1), result,
                                op.result, op.expr));
      case NumericKind::Un:
        // The C++ compiler folds demote(promote(x)) to x, which keeps a
        // signalling NaN signalling; the wasm result is quiet.
        if (ins.prefix == 0 && (ins.code == 0xb6 || ins.code == 0xbb))
          return line(fmt::format("{{ {0} a = {1}; {2} = opaque({3}({4})); }}", op.operand, top(1), result, op.result,
                                  op.expr));
        return line(fmt::format("{{ {0} a = {1}; {2} = {3}({4}); }}", op.operand, top(1), result, op.result, op.expr));
      case NumericKind::TrappingBin:
        return line(fmt::format("{{ {0} r; const TrapKind k = {1}({2}, {3}, r); if (k != kNoTrap) [[unlikely]] "
                                "return ctx->trap(ctx, uint32_t(k), F, 0); {4} = r; }}",
                                op.result, op.expr, top(2), top(1), result));
      case NumericKind::TrappingUn:
        return line(fmt::format("{{ {0} r; const TrapKind k = {1}({2}, r); if (k != kNoTrap) [[unlikely]] "
                                "return ctx->trap(ctx, uint32_t(k), F, 0); {3} = r; }}",
                                op.result, op.expr, top(1), result));
    }
  }

  void memory_access(const Instruction& ins, const std::vector<ValType>& before) {
    if (ins.memarg.memory != 0) throw Unsupported("multiple memories");
    const uint32_t h = uint32_t(before.size());
    const MemoryText m = *memory_op(ins.code);
    const bool load = ins.info->kind == OpKind::Load;
    const std::string address = var(load ? h - 1 : h - 2, ValType::I32);
    std::string s = fmt::format("{{ const uint64_t ea = uint64_t({}) + {}u; if (ea + {} > msz) [[unlikely]] {} ",
                                address, ins.memarg.offset, m.bytes, trap(TrapKind::MemoryOutOfBounds, "ea"));
    if (load) {
      const ValType t = validator_.operands().back();
      s += fmt::format("{} v; std::memcpy(&v, mem + ea, {}); {} = {}(v); }}", m.memory, m.bytes, var(h - 1, t), c_type(t));
    } else {
      s += fmt::format("const {} v = {}({}); std::memcpy(mem + ea, &v, {}); }}", m.memory, m.memory,
                       var(h - 1, before.back()), m.bytes);
    }
    line(s);
  }

  void call(uint32_t index, const decode::FuncType& type, const std::vector<ValType>& before,
            std::optional<uint32_t> table) {
    for (ValType t : type.params) c_type(t);
    for (ValType t : type.results) c_type(t);
    const uint32_t h = uint32_t(before.size());
    const uint32_t args_at = h - uint32_t(type.params.size()) - (table ? 1 : 0);
    frame_end_ = std::max<uint32_t>(frame_end_, call_base_ + uint32_t(std::max(type.params.size(), type.results.size())));
    std::string s;
    for (size_t i = 0; i < type.params.size(); ++i)
      s += fmt::format("fp[{}] = {}; ", call_base_ + i, to_slot(type.params[i], var(args_at + uint32_t(i), type.params[i])));
    const std::string frame = fmt::format("fp + {}", call_base_);
    if (table) {
      s += fmt::format("if (!ctx->call_indirect(ctx, {}, {}, {}, {}, F)) return 0; ", *table, index,
                       var(h - 1, ValType::I32), frame);
    } else if (index >= module_.num_imported_functions && compiled_[index]) {
      s += fmt::format("if (!{}(ctx, {})) return 0; ", native_symbol(index - module_.num_imported_functions), frame);
    } else {
      s += fmt::format("if (!ctx->call(ctx, {}, {}, F)) return 0; ", index, frame);
    }
    s += "msz = *ctx->mem_bytes;";
    for (size_t i = 0; i < type.results.size(); ++i)
      s += fmt::format(" {} = {};", var(args_at + uint32_t(i), type.results[i]),
                       from_slot(type.results[i], fmt::format("fp[{}]", call_base_ + i)));
    line(s);
  }

  const decode::Module& module_;
  decode::FunctionValidator validator_;
  uint32_t index_, function_index_;
  const std::vector<bool>& compiled_;
  const decode::FuncType* type_ = nullptr;
  std::vector<ValType> locals_;
  std::vector<Control> controls_;
  std::vector<Scope> scopes_;
  std::set<std::pair<std::string, std::string>> stack_vars_;
  std::string body_;
  uint32_t next_label_ = 0;
  uint32_t call_base_ = 0, frame_end_ = 0;
};

}  // namespace

std::string native_symbol(uint32_t defined_index) { return fmt::format("wasmlet_hot_f{}", defined_index); }

EmittedModule emit_module(const decode::Module& module, std::span<const uint8_t> bytes,
                          std::span<const uint32_t> wanted, size_t unit_bytes) {
  EmittedModule out;
  // Two passes: the first finds which functions can be compiled (calls
  // between them are direct), the second writes them.
  std::vector<bool> compiled(module.functions.size(), false);
  std::set<uint32_t> large;
  for (uint32_t index : wanted) {
    if (index >= module.bodies.size()) throw std::out_of_range("emit_module: no such function");
    try {
      std::vector<bool> none(module.functions.size(), false);
      const size_t size = FunctionEmitter(module, bytes, index, none).emit().size();
      // The C++ compiler's time and memory grow faster than a function's
      // size: one of 2.6 MB took gcc -O2 over 5 minutes (docs/hot.md).
      if (size > kMaxFunctionBytes)
        throw Unsupported(fmt::format("{} KiB of C++, more than the {} KiB worth compiling", size / 1024,
                                      kMaxFunctionBytes / 1024));
      if (size > kLargeFunctionBytes) large.insert(index);
      compiled[module.num_imported_functions + index] = true;
      out.compiled.push_back(index);
    } catch (const Unsupported& u) {
      out.left_out.push_back(index);
      out.reasons.push_back(fmt::format("func[{}]: {}", module.num_imported_functions + index, u.what()));
    }
  }
  // Every unit declares every function: calls between units are direct too.
  std::string declarations =
      "template <typename F> static inline F opaque(F v) {\n"
      "  auto bits = std::bit_cast<bits_t<F>>(v);\n  __asm__(\"\" : \"+r\"(bits));\n  return std::bit_cast<F>(bits);\n}\n";
  for (uint32_t index : out.compiled)
    declarations += fmt::format("extern \"C\" __attribute__((visibility(\"hidden\"))) int {}(Context*, uint64_t*);\n",
                                native_symbol(index));
  // Large functions get units of their own, compiled with less optimisation.
  out.units.push_back({declarations, false});
  for (uint32_t index : out.compiled) {
    if (large.contains(index)) {
      out.units.insert(out.units.end() - 1, {declarations + FunctionEmitter(module, bytes, index, compiled).emit(), true});
      continue;
    }
    if (out.units.back().text.size() > declarations.size() + unit_bytes) out.units.push_back({declarations, false});
    out.units.back().text += FunctionEmitter(module, bytes, index, compiled).emit();
  }
  std::string indices, functions, left_out;
  for (uint32_t index : out.compiled) {
    indices += fmt::format("{}u, ", index);
    functions += native_symbol(index) + ", ";
  }
  for (uint32_t index : out.left_out) left_out += fmt::format("{}u, ", index);
  out.units.back().text += fmt::format(
      "static const uint32_t wasmlet_hot_indices[] = {{{}0}};\n"
      "static const Function wasmlet_hot_functions[] = {{{}nullptr}};\n"
      "static const uint32_t wasmlet_hot_left_out[] = {{{}0}};\n"
      "extern \"C\" __attribute__((visibility(\"default\"))) const Library wasmlet_hot_library = "
      "{{kHotAbi, {}u, wasmlet_hot_indices, wasmlet_hot_functions, {}u, wasmlet_hot_left_out}};\n",
      indices, functions, left_out, out.compiled.size(), out.left_out.size());
  return out;
}

}  // namespace wasmlet::detail::hot

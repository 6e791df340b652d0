#include "engine/decode/const_expr.h"

#include <fmt/format.h>

#include "engine/decode/opcodes.h"

namespace wasmlet::decode {

ConstExpr read_const_expr(ByteReader& in, Module& module, ValType expected, const Features& features,
                          const char* what) {
  size_t start = in.offset();
  // The stack only grows by one per instruction, each at least one byte.
  std::vector<ValType> stack;
  auto pop = [&](size_t at, ValType want, const char* op) {
    if (stack.empty())
      throw_invalid(at, fmt::format("type mismatch in {}, expected {} but nothing is on the stack", op, name_of(want)));
    if (stack.back() != want)
      throw_invalid(at, fmt::format("type mismatch in {}, expected {} but got {}", op, name_of(want), name_of(stack.back())));
    stack.pop_back();
  };
  for (;;) {
    size_t at = in.offset();
    uint8_t op = in.u8();
    switch (op) {
      case 0x0b: {  // end
        if (stack.size() != 1 || stack[0] != expected) {
          std::string got = stack.empty() ? "nothing" : stack.size() > 1 ? fmt::format("{} values", stack.size())
                                                                          : name_of(stack[0]);
          throw_invalid(at, fmt::format("type mismatch in {}: its constant expression must yield one {}, it yields {}",
                                        what, name_of(expected), got));
        }
        return ConstExpr{{start, in.offset() - start}};
      }
      case 0x41: in.s32(); stack.push_back(ValType::I32); break;
      case 0x42: in.s64(); stack.push_back(ValType::I64); break;
      case 0x43: in.skip(4); stack.push_back(ValType::F32); break;
      case 0x44: in.skip(8); stack.push_back(ValType::F64); break;
      case 0xd0: stack.push_back(read_reference_type(in)); break;
      case 0xd2: {
        uint32_t f = in.u32();
        if (f >= module.functions.size())
          throw_invalid(at, fmt::format("unknown function {} in ref.func ({} functions)", f, module.functions.size()));
        module.declared_function_refs[f] = true;
        stack.push_back(ValType::FuncRef);
        break;
      }
      case 0x23: {
        uint32_t g = in.u32();
        if (g >= module.num_imported_globals)
          throw_invalid(at, fmt::format("unknown global {}: a constant expression may only read the {} imported globals",
                                        g, module.num_imported_globals));
        if (module.globals[g].is_mutable)
          throw_invalid(at, fmt::format("constant expression required: global {} is mutable", g));
        stack.push_back(module.globals[g].type);
        break;
      }
      case 0x6a: case 0x6b: case 0x6c:
      case 0x7c: case 0x7d: case 0x7e: {
        const OpInfo& info = op_info(0, op);
        if (!features.extended_const) throw_invalid(at, fmt::format("constant expression required, got {}", info.name));
        ValType t = op <= 0x6c ? ValType::I32 : ValType::I64;
        pop(at, t, info.name);
        pop(at, t, info.name);
        stack.push_back(t);
        break;
      }
      case kPrefixSimd: {
        uint32_t sub = in.u32();
        if (sub != 12) {
          const OpInfo& info = op_info(kPrefixSimd, sub);
          if (info.kind == OpKind::Illegal) throw_malformed(at, fmt::format("illegal opcode 0xfd {:#x}", sub));
          throw_invalid(at, fmt::format("constant expression required, got {}", info.name));
        }
        in.skip(16);
        stack.push_back(ValType::V128);
        break;
      }
      default: {
        const OpInfo& info = op == kPrefixMisc ? op_info(kPrefixMisc, in.u32()) : op_info(0, op);
        if (info.kind == OpKind::Illegal) throw_malformed(at, fmt::format("illegal opcode {:#04x}", op));
        throw_invalid(at, fmt::format("constant expression required, got {}", info.name));
      }
    }
  }
}

}  // namespace wasmlet::decode

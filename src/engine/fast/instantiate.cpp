#include "engine/fast/instantiate.h"

#include <cstring>

#include <fmt/format.h>

#include "engine/decode/byte_reader.h"
#include "engine/trap_messages.h"

namespace wasmlet::detail::fast {

void evaluate_const(const Instance& instance, const decode::ConstExpr& expr, uint64_t out[2]) {
  decode::ByteReader in(expr.bytes.of(instance.code->bytes()), expr.bytes.offset);
  struct V {
    uint64_t lo = 0, hi = 0;
  };
  std::vector<V> stack;
  auto pop = [&] {
    V v = stack.empty() ? V{} : stack.back();
    if (!stack.empty()) stack.pop_back();
    return v;
  };
  while (!in.at_end()) {
    const uint8_t op = in.u8();
    switch (op) {
      case 0x0b: {
        V v = pop();
        out[0] = v.lo;
        out[1] = v.hi;
        return;
      }
      case 0x41: stack.push_back({uint32_t(in.s32()), 0}); break;
      case 0x42: stack.push_back({uint64_t(in.s64()), 0}); break;
      case 0x43: {
        uint32_t bits;
        std::memcpy(&bits, in.bytes(4).data(), 4);
        stack.push_back({bits, 0});
        break;
      }
      case 0x44: {
        uint64_t bits;
        std::memcpy(&bits, in.bytes(8).data(), 8);
        stack.push_back({bits, 0});
        break;
      }
      case 0xfd: {
        in.u32();  // v128.const
        V v;
        std::memcpy(&v.lo, in.bytes(8).data(), 8);
        std::memcpy(&v.hi, in.bytes(8).data(), 8);
        stack.push_back(v);
        break;
      }
      case 0xd0: in.u8(); stack.push_back({0, 0}); break;
      case 0xd2: stack.push_back({reinterpret_cast<uint64_t>(instance.funcs[in.u32()]), 0}); break;
      case 0x23: {
        const Global* g = instance.globals[in.u32()];
        stack.push_back({g->value[0], g->value[1]});
        break;
      }
      case 0x6a: case 0x6b: case 0x6c: {
        uint32_t b = uint32_t(pop().lo), a = uint32_t(pop().lo);
        stack.push_back({op == 0x6a ? uint32_t(a + b) : op == 0x6b ? uint32_t(a - b) : uint32_t(a * b), 0});
        break;
      }
      case 0x7c: case 0x7d: case 0x7e: {
        uint64_t b = pop().lo, a = pop().lo;
        stack.push_back({op == 0x7c ? a + b : op == 0x7d ? a - b : a * b, 0});
        break;
      }
      default: break;  // validated: nothing else occurs
    }
  }
  out[0] = out[1] = 0;
}

namespace {

Outcome trapped(TrapKind kind, std::string message) {
  Outcome o;
  o.kind = Outcome::Kind::Trapped;
  o.trap = TrapInfo{kind, std::move(message), {}};
  return o;
}

}  // namespace

Instantiated instantiate(FastStore& store, const ModuleImpl& impl, std::shared_ptr<const ModuleCode> code,
                         const std::vector<ImportItem>& imports) {
  const decode::Module& m = *impl.decoded;
  uint64_t initial_bytes = 0;
  for (size_t i = m.num_imported_memories; i < m.memories.size(); ++i)
    initial_bytes += m.memories[i].limits.min * kPageSize;
  store.check_initial_memory(impl.name, initial_bytes);

  Instance* inst = store.new_instance();
  inst->code = std::move(code);
  for (const auto& type : m.types) inst->type_ids.push_back(store.type_id(type));
  for (const ImportItem& item : imports) {
    if (item.func) inst->funcs.push_back(item.func);
    if (item.table) inst->tables.push_back(item.table);
    if (item.memory) inst->memories.push_back(item.memory);
    if (item.global) inst->globals.push_back(item.global);
  }
  for (uint32_t i = 0; i < m.bodies.size(); ++i) {
    const uint32_t index = m.num_imported_functions + i;
    Func* f = store.new_func(m.function_type(index));
    f->instance = inst;
    f->defined_index = i;
    f->name = inst->code->function_name(index);
    inst->funcs.push_back(f);
  }
  for (size_t i = m.num_imported_tables; i < m.tables.size(); ++i) {
    Table* t = store.new_table();
    t->element = m.tables[i].element;
    t->declared_max = m.tables[i].limits.max;
    t->elements.assign(m.tables[i].limits.min, 0);
    t->defined_here = true;
    store.account(inst, t);
    inst->tables.push_back(t);
  }
  for (size_t i = m.num_imported_memories; i < m.memories.size(); ++i) {
    LinearMemory* memory = store.new_memory(m.memories[i].limits.min, m.memories[i].limits.max);
    store.account(inst, memory);
    inst->memories.push_back(memory);
  }
  for (const decode::Global& g : m.global_inits) {
    Global* global = store.new_global();
    global->type = g.type.type;
    global->is_mutable = g.type.is_mutable;
    evaluate_const(*inst, g.init, global->value);
    inst->globals.push_back(global);
  }
  inst->element_values.resize(m.elements.size());
  inst->dropped_elements.assign(m.elements.size(), false);
  for (size_t s = 0; s < m.elements.size(); ++s) {
    const decode::ElementSegment& seg = m.elements[s];
    auto& values = inst->element_values[s];
    values.reserve(seg.size());
    if (seg.uses_expressions) {
      for (const auto& e : seg.expressions) {
        uint64_t v[2];
        evaluate_const(*inst, e, v);
        values.push_back(v[0]);
      }
    } else {
      for (uint32_t f : seg.functions) values.push_back(reinterpret_cast<uint64_t>(inst->funcs[f]));
    }
  }
  inst->dropped_data.assign(m.data.size(), false);
  store.note_memory();

  Instantiated out;
  out.instance = inst;
  // Active segments, in order; the first that does not fit traps (what was written stays).
  for (size_t s = 0; s < m.elements.size(); ++s) {
    const decode::ElementSegment& seg = m.elements[s];
    if (seg.mode == decode::SegmentMode::Passive) continue;
    if (seg.mode == decode::SegmentMode::Active) {
      uint64_t v[2];
      evaluate_const(*inst, seg.offset, v);
      const uint64_t offset = uint32_t(v[0]);
      Table* t = inst->tables[seg.table];
      const auto& values = inst->element_values[s];
      if (offset + values.size() > t->elements.size()) {
        out.start = trapped(TrapKind::TableOutOfBounds, "out of bounds table access");
        return out;
      }
      std::copy(values.begin(), values.end(), t->elements.begin() + offset);
    }
    inst->dropped_elements[s] = true;
  }
  for (size_t s = 0; s < m.data.size(); ++s) {
    const decode::DataSegment& seg = m.data[s];
    if (seg.mode != decode::SegmentMode::Active) continue;
    uint64_t v[2];
    evaluate_const(*inst, seg.offset, v);
    const uint64_t offset = uint32_t(v[0]);
    LinearMemory* memory = inst->memories[seg.memory];
    if (offset + seg.bytes.size > memory->bytes()) {
      out.start = trapped(TrapKind::MemoryOutOfBounds,
                          memory_out_of_bounds_message(std::max(offset, memory->bytes()), memory->bytes()));
      return out;
    }
    if (seg.bytes.size) std::memcpy(memory->base() + offset, inst->code->bytes().data() + seg.bytes.offset, seg.bytes.size);
    inst->dropped_data[s] = true;
  }
  if (m.start) store.run_start(inst->funcs[*m.start], out.start);
  return out;
}

}  // namespace wasmlet::detail::fast

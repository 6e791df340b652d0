// Cost model: a check point charges 1 + the number of instructions that
// follow it up to the end of its function or loop body, not counting the
// bodies of nested loops (they charge for themselves on every iteration).
// Branches that skip code are charged as if they ran it: the count is a
// deterministic upper bound, identical in every tier.
#include "engine/metering_rewrite.h"

#include <wabt/cast.h>
#include <wabt/ir.h>

#include <memory>
#include <optional>

#include "engine/metering.h"

namespace wasmlet::detail {

namespace {

using wabt::Expr;
using wabt::ExprList;
using wabt::ExprType;
using wabt::Index;
using wabt::Var;

// Instructions in `list`, descending into blocks, ifs and trys but not loops.
uint64_t straight_line_cost(const ExprList& list) {
  uint64_t cost = 0;
  for (const Expr& expr : list) {
    ++cost;
    switch (expr.type()) {
      case ExprType::Block: cost += straight_line_cost(wabt::cast<wabt::BlockExpr>(&expr)->block.exprs); break;
      case ExprType::If: {
        auto* if_ = wabt::cast<wabt::IfExpr>(&expr);
        cost += straight_line_cost(if_->true_.exprs) + straight_line_cost(if_->false_);
        break;
      }
      case ExprType::Try: {
        auto* try_ = wabt::cast<wabt::TryExpr>(&expr);
        cost += straight_line_cost(try_->block.exprs);
        for (const auto& c : try_->catches) cost += straight_line_cost(c.exprs);
        break;
      }
      default: break;
    }
  }
  return cost;
}

// Where a check point reads the budget from.
enum class Source { Global, Local };

// The budget lives in the global, which every check point writes, so that
// the global holds, at every instruction boundary, exactly what it would if
// each check did `global -= cost`: whatever reads it (refuel, a callee, a
// host function, the tier's settle_fuel after a trap) sees the same value.
// Each function also keeps a copy in a local, which the checks write too.
// Loop headers read the local, so that compiled code keeps the budget in a
// register instead of loading it from the instance (which the guest's
// memory stores may alias) on every iteration. Only a call can change the
// global behind the local's back (the callee charges it; a refuel elsewhere
// in the Store drains it into the pool), so the local is reloaded from the
// global after calls where a loop header may read it next.
class Rewriter {
 public:
  Rewriter(Index first_shifted_func, Index refuel_func, Index budget_global, Index grow_refused_global)
      : first_shifted_(first_shifted_func), refuel_(refuel_func), budget_(budget_global),
        grow_refused_(grow_refused_global) {}

  void rewrite_function(wabt::Func& func) {
    local_ = func.GetNumParamsAndLocals();
    func.local_types.AppendDecl(wabt::Type::I64, 1);
    rewrite_body(func.exprs, /*check=*/Source::Global, /*stale=*/false);
  }

  // Constant expressions (global initialisers, element segments) only need renumbering.
  void rewrite_const(ExprList& list) { rewrite_body(list, std::nullopt, false); }

  void shift(Var& var) {
    if (var.is_index() && var.index() >= first_shifted_) var.set_index(var.index() + 1);
  }

 private:
  // What rewrite_body found in a list.
  struct Walk {
    bool stale = false;  // on some path to its end, a call may have run since the local was written
    bool calls = false;  // it contains a call (at any depth)
  };

  // Renumbers function references and inserts check points, recursively.
  // `check`: whether `list` is a function or loop body, and where its check
  // reads the budget. `stale`: whether a call may have run since the local
  // was last written, on some path to the start of `list`.
  //
  // Inside a loop every call is followed by `local = global`, so there the
  // local is never stale and loop headers always read it. Outside loops a
  // call only marks the local stale, and `local = global` is inserted in
  // front of the next loop if needed. The cost model counts neither.
  Walk rewrite_body(ExprList& list, std::optional<Source> check, bool stale) {
    if (check) stale = false;  // the check below writes the local
    const size_t outer_reloads = reloads_;
    if (check) reloads_ = 0;
    bool calls = false;
    for (auto it = list.begin(); it != list.end(); ++it) {
      Expr& expr = *it;
      switch (expr.type()) {
        case ExprType::MemoryGrow: it = note_refused_grow(list, it); break;
        case ExprType::Call:
          shift(wabt::cast<wabt::CallExpr>(&expr)->var);
          it = after_call(list, it, stale);
          calls = true;
          break;
        case ExprType::CallIndirect: case ExprType::CallRef:
          it = after_call(list, it, stale);
          calls = true;
          break;
        // Tail calls leave the function: nothing after them reads the local.
        case ExprType::ReturnCall: shift(wabt::cast<wabt::ReturnCallExpr>(&expr)->var); break;
        case ExprType::RefFunc: shift(wabt::cast<wabt::RefFuncExpr>(&expr)->var); break;
        // A block, if or try is left by its end or by branches from anywhere
        // inside, so afterwards the local is stale if it was before or if
        // the construct can call outside a loop.
        case ExprType::Block: {
          const Walk body = rewrite_body(wabt::cast<wabt::BlockExpr>(&expr)->block.exprs, std::nullopt, stale);
          stale = body.stale || stale || may_stale(body.calls);
          calls |= body.calls;
          break;
        }
        case ExprType::If: {
          auto* if_ = wabt::cast<wabt::IfExpr>(&expr);
          const Walk then = rewrite_body(if_->true_.exprs, std::nullopt, stale);
          const Walk else_ = rewrite_body(if_->false_, std::nullopt, stale);
          stale = then.stale || else_.stale || stale || may_stale(then.calls || else_.calls);
          calls |= then.calls || else_.calls;
          break;
        }
        // A loop is entered only through its header and every call in it is
        // followed by a reload: after it the local is current.
        case ExprType::Loop: {
          if (stale) reload(list, it);
          ++loop_depth_;
          calls |= rewrite_body(wabt::cast<wabt::LoopExpr>(&expr)->block.exprs, Source::Local, false).calls;
          --loop_depth_;
          stale = false;
          break;
        }
        case ExprType::Try: {
          // A handler runs after a throw from anywhere in the body, which
          // may skip the reload after a call.
          auto* try_ = wabt::cast<wabt::TryExpr>(&expr);
          const Walk body = rewrite_body(try_->block.exprs, std::nullopt, stale);
          bool after = body.stale || stale || may_stale(body.calls);
          calls |= body.calls;
          for (auto& c : try_->catches) {
            Walk handler;
            if (body.calls && loop_depth_ > 0) {
              reload(c.exprs, c.exprs.begin());
              handler = rewrite_body(c.exprs, std::nullopt, false);
            } else {
              handler = rewrite_body(c.exprs, std::nullopt, stale || body.calls);
            }
            after |= handler.stale || may_stale(handler.calls);
            calls |= handler.calls;
          }
          stale = after;
          break;
        }
        default: break;
      }
    }
    if (check) {
      // Each reload is two instructions the cost model does not count.
      insert_check(list, 1 + straight_line_cost(list) - 2 * reloads_, *check);
      reloads_ = outer_reloads;
    }
    return {stale, calls};
  }

  // Whether calls in a construct, here, can leave the local stale after it.
  bool may_stale(bool calls) const { return loop_depth_ == 0 && calls; }

  // After the call at `call`: in a loop, reloads the local; elsewhere marks it
  // stale. Returns the last instruction of the call's sequence.
  ExprList::iterator after_call(ExprList& list, ExprList::iterator call, bool& stale) {
    if (loop_depth_ == 0) {
      stale = true;
      return call;
    }
    reload(list, std::next(call));
    return std::next(call, 2);
  }

  // `local = global` in front of `at`; returns its first instruction. Counted
  // in reloads_, for the check point whose straight-line code it is in.
  ExprList::iterator reload(ExprList& list, ExprList::iterator at) {
    auto first = list.insert(at, std::make_unique<wabt::GlobalGetExpr>(Var(budget_, {})));
    list.insert(at, std::make_unique<wabt::LocalSetExpr>(Var(local_, {})));
    ++reloads_;
    return first;
  }

  // local = (global or local) - cost; global = local;
  // if (local < 0) { local = refuel(local); global = local; }
  void insert_check(ExprList& list, uint64_t cost, Source source) {
    ExprList check;
    if (source == Source::Global)
      check.push_back(std::make_unique<wabt::GlobalGetExpr>(Var(budget_, {})));
    else
      check.push_back(std::make_unique<wabt::LocalGetExpr>(Var(local_, {})));
    check.push_back(std::make_unique<wabt::ConstExpr>(wabt::Const::I64(cost)));
    check.push_back(std::make_unique<wabt::BinaryExpr>(wabt::Opcode::I64Sub));
    check.push_back(std::make_unique<wabt::LocalTeeExpr>(Var(local_, {})));
    check.push_back(std::make_unique<wabt::GlobalSetExpr>(Var(budget_, {})));
    check.push_back(std::make_unique<wabt::LocalGetExpr>(Var(local_, {})));
    check.push_back(std::make_unique<wabt::ConstExpr>(wabt::Const::I64(0)));
    check.push_back(std::make_unique<wabt::CompareExpr>(wabt::Opcode::I64LtS));
    auto if_ = std::make_unique<wabt::IfExpr>();
    if_->true_.exprs.push_back(std::make_unique<wabt::LocalGetExpr>(Var(local_, {})));
    if_->true_.exprs.push_back(std::make_unique<wabt::CallExpr>(Var(refuel_, {})));
    if_->true_.exprs.push_back(std::make_unique<wabt::LocalTeeExpr>(Var(local_, {})));
    if_->true_.exprs.push_back(std::make_unique<wabt::GlobalSetExpr>(Var(budget_, {})));
    check.push_back(std::move(if_));
    list.splice(list.begin(), check);
  }

  // After memory.grow: refused |= (result == -1), leaving the result for the
  // guest. The host reads the sticky flag after a call to tell an
  // out-of-memory failure (the grow result is parked in a scratch global).
  ExprList::iterator note_refused_grow(ExprList& list, ExprList::iterator grow) {
    const Index scratch = grow_refused_ + 1;
    ExprList note;
    note.push_back(std::make_unique<wabt::GlobalSetExpr>(Var(scratch, {})));
    note.push_back(std::make_unique<wabt::GlobalGetExpr>(Var(scratch, {})));
    note.push_back(std::make_unique<wabt::GlobalGetExpr>(Var(scratch, {})));
    note.push_back(std::make_unique<wabt::ConstExpr>(wabt::Const::I32(uint32_t(-1))));
    note.push_back(std::make_unique<wabt::CompareExpr>(wabt::Opcode::I32Eq));
    note.push_back(std::make_unique<wabt::GlobalGetExpr>(Var(grow_refused_, {})));
    note.push_back(std::make_unique<wabt::BinaryExpr>(wabt::Opcode::I32Or));
    note.push_back(std::make_unique<wabt::GlobalSetExpr>(Var(grow_refused_, {})));
    const size_t inserted = note.size();
    list.splice(std::next(grow), note);
    for (size_t i = 0; i < inserted; ++i) ++grow;
    return grow;  // the last inserted instruction
  }

  Index first_shifted_;
  Index refuel_;
  Index budget_;
  Index grow_refused_;
  Index local_ = 0;  // the current function's copy of the budget
  int loop_depth_ = 0;
  size_t reloads_ = 0;  // reloads in the straight-line code of the check point being rewritten
};

// Index of a type (i64) -> i64, appending one at the end if there is none.
Index refuel_type_index(wabt::Module& module) {
  for (Index i = 0; i < module.types.size(); ++i) {
    auto* type = wabt::dyn_cast<wabt::FuncType>(module.types[i]);
    if (type && type->sig.param_types == wabt::TypeVector{wabt::Type::I64} &&
        type->sig.result_types == wabt::TypeVector{wabt::Type::I64})
      return i;
  }
  auto field = std::make_unique<wabt::TypeModuleField>();
  auto type = std::make_unique<wabt::FuncType>();
  type->sig.param_types = {wabt::Type::I64};
  type->sig.result_types = {wabt::Type::I64};
  field->type = std::move(type);
  module.AppendField(std::move(field));
  return module.types.size() - 1;
}

void append_global(wabt::Module& module, const char* name, const wabt::Const& initial) {
  auto field = std::make_unique<wabt::GlobalModuleField>(wabt::Location(), name);
  field->global.type = initial.type();
  field->global.mutable_ = true;
  field->global.init_expr.push_back(std::make_unique<wabt::ConstExpr>(initial));
  module.AppendField(std::move(field));
}

void append_export(wabt::Module& module, const char* name, Index global_index) {
  auto field = std::make_unique<wabt::ExportModuleField>();
  field->export_.name = name;
  field->export_.kind = wabt::ExternalKind::Global;
  field->export_.var = Var(global_index, {});
  module.AppendField(std::move(field));
}

// Length of the sequence insert_check puts in front of a body.
constexpr size_t kCheckLength = 9;

// Whether `list` starts with a check sequence on global `budget`.
bool starts_with_check(const ExprList& list, Index budget) {
  auto is_budget = [budget](const Expr& e, ExprType type) {
    if (e.type() != type) return false;
    const Var& var = type == ExprType::GlobalGet ? wabt::cast<wabt::GlobalGetExpr>(&e)->var
                                                  : wabt::cast<wabt::GlobalSetExpr>(&e)->var;
    return var.is_index() && var.index() == budget;
  };
  auto it = list.begin();
  auto next = [&]() -> const Expr* { return it == list.end() ? nullptr : &*it++; };
  const Expr* e[kCheckLength];
  for (auto& x : e)
    if (!(x = next())) return false;
  return (is_budget(*e[0], ExprType::GlobalGet) || e[0]->type() == ExprType::LocalGet) &&
         e[1]->type() == ExprType::Const && e[2]->type() == ExprType::Binary && e[3]->type() == ExprType::LocalTee &&
         is_budget(*e[4], ExprType::GlobalSet) && e[5]->type() == ExprType::LocalGet &&
         e[6]->type() == ExprType::Const && e[7]->type() == ExprType::Compare && e[8]->type() == ExprType::If;
}

size_t strip_checks(ExprList& list, Index budget, bool is_check_point) {
  size_t removed = 0;
  if (is_check_point && starts_with_check(list, budget)) {
    for (size_t i = 0; i < kCheckLength; ++i) list.erase(list.begin());
    ++removed;
  }
  // The reloads in front of loops: `global.get budget; local.set` (the guest
  // itself never reads the budget).
  for (auto it = list.begin(); it != list.end();) {
    auto next = std::next(it);
    if (next != list.end() && it->type() == ExprType::GlobalGet && next->type() == ExprType::LocalSet &&
        wabt::cast<wabt::GlobalGetExpr>(&*it)->var.is_index() &&
        wabt::cast<wabt::GlobalGetExpr>(&*it)->var.index() == budget) {
      list.erase(it);
      it = list.erase(next);
    } else {
      it = next;
    }
  }
  for (Expr& expr : list) {
    switch (expr.type()) {
      case ExprType::Block: removed += strip_checks(wabt::cast<wabt::BlockExpr>(&expr)->block.exprs, budget, false); break;
      case ExprType::Loop: removed += strip_checks(wabt::cast<wabt::LoopExpr>(&expr)->block.exprs, budget, true); break;
      case ExprType::If: {
        auto* if_ = wabt::cast<wabt::IfExpr>(&expr);
        removed += strip_checks(if_->true_.exprs, budget, false) + strip_checks(if_->false_, budget, false);
        break;
      }
      case ExprType::Try: {
        auto* try_ = wabt::cast<wabt::TryExpr>(&expr);
        removed += strip_checks(try_->block.exprs, budget, false);
        for (auto& c : try_->catches) removed += strip_checks(c.exprs, budget, false);
        break;
      }
      default: break;
    }
  }
  return removed;
}

}  // namespace

size_t strip_fuel_checks(wabt::Module& module) {
  const wabt::Export* budget = module.GetExport(kBudgetExport);
  if (!budget || budget->kind != wabt::ExternalKind::Global || !budget->var.is_index()) return 0;
  size_t removed = 0;
  for (Index i = module.num_func_imports; i < module.funcs.size(); ++i)
    removed += strip_checks(module.funcs[i]->exprs, budget->var.index(), /*is_check_point=*/true);
  return removed;
}

void add_metering(wabt::Module& module) {
  const Index type_index = refuel_type_index(module);
  const Index refuel_index = module.num_func_imports;  // the new last function import

  // Bodies first, while module.funcs still has its old numbering.
  // New globals go last so no existing global index moves:
  // budget, grow_refused, and grow_refused's scratch slot.
  const Index budget_index = module.globals.size();
  const Index grow_refused_index = budget_index + 1;
  Rewriter rewriter(refuel_index, refuel_index, budget_index, grow_refused_index);
  for (Index i = module.num_func_imports; i < module.funcs.size(); ++i)
    rewriter.rewrite_function(*module.funcs[i]);
  for (wabt::Global* global : module.globals) rewriter.rewrite_const(global->init_expr);
  for (wabt::ElemSegment* segment : module.elem_segments)
    for (ExprList& list : segment->elem_exprs) rewriter.rewrite_const(list);
  for (wabt::Export* export_ : module.exports)
    if (export_->kind == wabt::ExternalKind::Func) rewriter.shift(export_->var);
  for (Var* start : module.starts) rewriter.shift(*start);

  // The import, inserted after the existing imports in the field list.
  auto import = std::make_unique<wabt::FuncImport>("$wasmlet_refuel");
  import->module_name = kMeterModule;
  import->field_name = kRefuelName;
  import->func.decl.has_func_type = true;
  import->func.decl.type_var = Var(type_index, {});
  import->func.decl.sig.param_types = {wabt::Type::I64};
  import->func.decl.sig.result_types = {wabt::Type::I64};
  wabt::Func* import_func = &import->func;
  wabt::Import* import_ptr = import.get();
  auto import_field = std::make_unique<wabt::ImportModuleField>(std::move(import));
  auto insert_at = module.fields.begin();
  for (auto it = module.fields.begin(); it != module.fields.end(); ++it)
    if (it->type() == wabt::ModuleFieldType::Import) insert_at = std::next(it);
  module.fields.insert(insert_at, std::move(import_field));
  module.imports.push_back(import_ptr);
  module.funcs.insert(module.funcs.begin() + refuel_index, import_func);
  ++module.num_func_imports;

  // The budget starts at 0: the first check point asks for a slice.
  append_global(module, "$wasmlet_budget", wabt::Const::I64(0));
  append_global(module, "$wasmlet_grow_refused", wabt::Const::I32(0));
  append_global(module, "$wasmlet_grow_scratch", wabt::Const::I32(0));
  append_export(module, kBudgetExport, budget_index);
  append_export(module, kGrowRefusedExport, grow_refused_index);
}

}  // namespace wasmlet::detail

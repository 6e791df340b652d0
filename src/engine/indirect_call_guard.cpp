#include "engine/indirect_call_guard.h"

#include <wabt/cast.h>
#include <wabt/ir.h>

#include <memory>
#include <vector>

namespace wasmlet::detail {

namespace {

using wabt::Expr;
using wabt::ExprList;
using wabt::ExprType;
using wabt::Index;
using wabt::Var;

// Every instruction list of a body: the body and the lists nested in it,
// found without recursion (nesting depth is guest-controlled).
template <typename Visit>
void for_each_list(ExprList& body, Visit&& visit) {
  std::vector<ExprList*> pending{&body};
  while (!pending.empty()) {
    ExprList* list = pending.back();
    pending.pop_back();
    visit(*list);
    for (Expr& expr : *list) {
      switch (expr.type()) {
        case ExprType::Block: pending.push_back(&wabt::cast<wabt::BlockExpr>(&expr)->block.exprs); break;
        case ExprType::Loop: pending.push_back(&wabt::cast<wabt::LoopExpr>(&expr)->block.exprs); break;
        case ExprType::If: {
          auto* if_ = wabt::cast<wabt::IfExpr>(&expr);
          pending.push_back(&if_->true_.exprs);
          pending.push_back(&if_->false_);
          break;
        }
        case ExprType::Try: {
          auto* try_ = wabt::cast<wabt::TryExpr>(&expr);
          pending.push_back(&try_->block.exprs);
          for (auto& c : try_->catches) pending.push_back(&c.exprs);
          break;
        }
        default: break;
      }
    }
  }
}

// Index of the type () -> (), appending one if there is none.
Index empty_type_index(wabt::Module& module) {
  for (Index i = 0; i < module.types.size(); ++i) {
    auto* type = wabt::dyn_cast<wabt::FuncType>(module.types[i]);
    if (type && type->sig.param_types.empty() && type->sig.result_types.empty()) return i;
  }
  auto field = std::make_unique<wabt::TypeModuleField>();
  field->type = std::make_unique<wabt::FuncType>();
  module.AppendField(std::move(field));
  return module.types.size() - 1;
}

}  // namespace

void guard_indirect_calls(wabt::Module& module) {
  const Index guard = module.funcs.size();
  bool any = false;
  for (Index i = module.num_func_imports; i < module.funcs.size(); ++i)
    for_each_list(module.funcs[i]->exprs, [&](ExprList& list) {
      for (auto it = list.begin(); it != list.end(); ++it)
        if (it->type() == ExprType::CallIndirect) {
          list.insert(it, std::make_unique<wabt::CallExpr>(Var(guard, {})));
          any = true;
        }
    });
  if (!any) return;
  auto field = std::make_unique<wabt::FuncModuleField>(wabt::Location(), "$wasmlet_call_guard");
  field->func.decl.has_func_type = true;
  field->func.decl.type_var = Var(empty_type_index(module), {});
  module.AppendField(std::move(field));
}

}  // namespace wasmlet::detail

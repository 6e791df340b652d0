#include <fmt/format.h>

#include "engine/host_unwind.h"
#include "wasmlet/linker.h"
#include "wasmlet/store.h"

namespace wasmlet {

MemoryFault::MemoryFault(uint64_t offset, uint64_t length, uint64_t size)
    : Error(fmt::format("guest memory access out of bounds: {} bytes at offset {} (memory size {})", length, offset, size)),
      offset(offset), length(length), size(size) {}

GuestMemory Caller::memory(const Extern& memory) const { return store_.memory(memory); }

void Linker::define(std::string module, std::string name, FuncType type, HostFunction function) {
  std::pair key{std::move(module), std::move(name)};
  externs_.erase(key);
  definitions_[std::move(key)] = {std::move(type), std::move(function)};
}

void Linker::define(std::string module, std::string name, Extern item) {
  std::pair key{std::move(module), std::move(name)};
  definitions_.erase(key);
  if (item.kind() == ExternKind::Func) {
    // Tiers that link only host functions (AOT) call it through the Store;
    // the interpreter links the function itself (find_extern).
    HostFunction forward = [item](Caller& caller, std::span<const Value> args, std::span<Value> results) {
      if (&caller.store() != &item.store())
        caller.trap(fmt::format("{} belongs to another Store", item.description()));
      Outcome o = caller.store().call(item, args);
      if (o.exited()) caller.exit(o.exit_code);
      if (o.trapped()) caller.trap(o.trap.to_string());
      for (size_t i = 0; i < results.size() && i < o.results.size(); ++i) results[i] = o.results[i];
    };
    definitions_[key] = {*item.func_type(), std::move(forward)};
  }
  externs_.insert_or_assign(std::move(key), std::move(item));
}

const HostDefinition* Linker::find(const std::string& module, const std::string& name) const {
  auto it = definitions_.find({module, name});
  return it == definitions_.end() ? nullptr : &it->second;
}

const Extern* Linker::find_extern(const std::string& module, const std::string& name) const {
  auto it = externs_.find({module, name});
  return it == externs_.end() ? nullptr : &it->second;
}

void Caller::exit(int code) const { throw detail::HostExit{code}; }

void Caller::trap(const std::string& message) const {
  throw detail::HostTrap{fmt::format("{}: {}", function_, message)};
}

}  // namespace wasmlet

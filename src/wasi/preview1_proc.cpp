// proc_exit, proc_raise, sched_yield.
#include <sched.h>

#include "host_call.h"

namespace wasmlet::wasi {

namespace {

// Signals have no meaning inside one wasm instance; the guest learns that.
Errno proc_raise(Call&) { return err::nosys; }

Errno sched_yield(Call&) {
  ::sched_yield();
  return err::success;
}

}  // namespace

void register_proc(Linker& l) {
  l.define("wasi_snapshot_preview1", "proc_exit", FuncType{{ValType::I32}, {}},
           [](Caller& caller, std::span<const Value> args, std::span<Value>) { caller.exit(args[0].as_i32()); });
  define(l, "proc_raise", "i", proc_raise);
  define(l, "sched_yield", "", sched_yield);
}

}  // namespace wasmlet::wasi

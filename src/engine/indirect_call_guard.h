// wabt 1.0.32's interpreter does not stop recursion through call_indirect:
// when its call stack (about 1,600 frames) is full, Thread::DoCall records
// the "call stack exhausted" trap but returns as if the call had been made,
// and the guest runs on with a corrupted value stack (wrong results, host
// aborts, host crashes). A direct call checks the same limit correctly, so a
// call to an empty function in front of every call_indirect makes the
// interpreter trap there, with the message direct recursion gives: the
// guard's frame fits exactly when the indirect callee's frame will.
// The interpreter that replaces wabt's makes this unnecessary.
#pragma once

namespace wabt {
struct Module;
}

namespace wasmlet::detail {

// Appends the empty guard function (last, so no function index moves) and a
// call to it in front of every call_indirect. Runs after add_metering: the
// guard and its calls cost no fuel. Does nothing to a module without
// call_indirect.
void guard_indirect_calls(wabt::Module& module);

}  // namespace wasmlet::detail

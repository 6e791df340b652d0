#include "util/alt_signal_stack.h"

#include <signal.h>
#include <sys/mman.h>

#include <cstddef>

namespace wasmlet::util {

namespace {

constexpr size_t kAltStackSize = 64 * 1024;

struct AltStack {
  void* base = nullptr;
  ~AltStack() {
    if (!base) return;
    stack_t disable{};
    disable.ss_flags = SS_DISABLE;
    sigaltstack(&disable, nullptr);
    munmap(base, kAltStackSize);
  }
};
thread_local AltStack alt_stack;

}  // namespace

void ensure_alt_signal_stack() {
  stack_t current{};
  if (sigaltstack(nullptr, &current) != 0 || !(current.ss_flags & SS_DISABLE)) return;
  void* base = mmap(nullptr, kAltStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) return;
  stack_t ss{};
  ss.ss_sp = base;
  ss.ss_size = kAltStackSize;
  if (sigaltstack(&ss, nullptr) == 0) alt_stack.base = base;
  else munmap(base, kAltStackSize);
}

}  // namespace wasmlet::util

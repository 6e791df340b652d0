// A joinable thread with a stack of a chosen size. std::thread takes the
// default (RLIMIT_STACK, often 8 MiB); an instance's thread decodes, validates
// and rewrites guest-controlled structure, so it gets room for the engine's
// nesting limit (docs/runtime.md). Only touched pages cost memory.
#pragma once

#include <pthread.h>

#include <cstddef>
#include <functional>

namespace wasmlet::runtime {

// Instance threads: 64 MiB, room for module nesting far beyond what wasm
// toolchains emit (docs/runtime.md "Crash isolation").
inline constexpr size_t kInstanceStackBytes = size_t{64} << 20;

class StackThread {
 public:
  StackThread() = default;
  // Starts `body` on a new thread with `stack_bytes` of stack; throws Error when the thread cannot be created.
  StackThread(size_t stack_bytes, std::function<void()> body);
  StackThread(StackThread&& other) noexcept;
  StackThread& operator=(StackThread&& other) noexcept;
  StackThread(const StackThread&) = delete;
  StackThread& operator=(const StackThread&) = delete;
  ~StackThread();  // the thread must have been joined (as std::thread)

  bool joinable() const { return started_; }
  void join();

 private:
  pthread_t thread_{};
  bool started_ = false;
};

}  // namespace wasmlet::runtime

#include "stack_thread.h"

#include <cstring>
#include <exception>
#include <memory>
#include <utility>

#include <fmt/format.h>

#include "wasmlet/error.h"

namespace wasmlet::runtime {

namespace {

void* run_body(void* arg) {
  std::unique_ptr<std::function<void()>> body(static_cast<std::function<void()>*>(arg));
  (*body)();
  return nullptr;
}

}  // namespace

StackThread::StackThread(size_t stack_bytes, std::function<void()> body) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, stack_bytes);
  auto* arg = new std::function<void()>(std::move(body));
  int rc = pthread_create(&thread_, &attr, run_body, arg);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    delete arg;
    throw Error(fmt::format("cannot start a thread with a {} MiB stack: {}", stack_bytes >> 20, std::strerror(rc)));
  }
  started_ = true;
}

StackThread::StackThread(StackThread&& other) noexcept
    : thread_(other.thread_), started_(std::exchange(other.started_, false)) {}

StackThread& StackThread::operator=(StackThread&& other) noexcept {
  if (started_) std::terminate();  // as std::thread: never drop a running thread
  thread_ = other.thread_;
  started_ = std::exchange(other.started_, false);
  return *this;
}

StackThread::~StackThread() {
  if (started_) std::terminate();
}

void StackThread::join() {
  if (!started_) return;
  pthread_join(thread_, nullptr);
  started_ = false;
}

}  // namespace wasmlet::runtime

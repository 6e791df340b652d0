// The process's stdout turned into a pipe nobody reads, for the tests that
// a guest's write blocked on a full host stdout is still ended by its
// deadline (the write must wait where the deadline reaches it, not in the
// kernel). Should that wait not end, a watchdog drains the pipe after 5 s,
// so such a test fails on its time instead of hanging. Restores stdout when
// it goes.
#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <thread>

namespace wasmlet::testing {

class UnreadStdoutPipe {
 public:
  UnreadStdoutPipe() {
    if (pipe(fds_) != 0) throw std::runtime_error("pipe() failed");
    std::fflush(stdout);
    saved_ = dup(STDOUT_FILENO);
    dup2(fds_[1], STDOUT_FILENO);
    close(fds_[1]);
    watchdog_ = std::thread([this] {
      for (int i = 0; i < 50 && !done_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      char buf[65536];
      while (!done_ && read(fds_[0], buf, sizeof buf) > 0) {
      }
    });
  }
  UnreadStdoutPipe(const UnreadStdoutPipe&) = delete;
  UnreadStdoutPipe& operator=(const UnreadStdoutPipe&) = delete;
  ~UnreadStdoutPipe() {
    done_ = true;
    dup2(saved_, STDOUT_FILENO);  // the watchdog's read now ends: no writer is left
    close(saved_);
    watchdog_.join();
    close(fds_[0]);
  }

 private:
  int fds_[2] = {-1, -1};
  int saved_ = -1;
  std::atomic<bool> done_{false};
  std::thread watchdog_;
};

}  // namespace wasmlet::testing

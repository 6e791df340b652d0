// Per-blob progress: bars with bytes and speed on a terminal, silent otherwise.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

namespace wasmlet::registry {

class Progress {
 public:
  // Enabled when `out` is a terminal (and `out` is not null).
  explicit Progress(std::FILE* out = stderr);
  static Progress quiet() { return Progress(nullptr); }
  bool enabled() const { return out_ != nullptr; }

  void update(const std::string& digest, std::uint64_t done, std::uint64_t total);
  void finish(const std::string& digest, std::uint64_t total, const char* verb);

 private:
  std::FILE* out_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::string current_;
};

// "1.5 MiB"
std::string human_bytes(std::uint64_t bytes);

}  // namespace wasmlet::registry

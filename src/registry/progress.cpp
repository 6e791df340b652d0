// Progress lines on a terminal (carriage-return redraws), nothing otherwise.
#include "wasmlet/registry/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include "wasmlet/registry/digest.h"

namespace wasmlet::registry {

std::string human_bytes(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

Progress::Progress(std::FILE* out) : out_(out && isatty(fileno(out)) ? out : nullptr) {}

void Progress::update(const std::string& digest, std::uint64_t done, std::uint64_t total) {
  if (!out_) return;
  std::lock_guard lock(mutex_);
  auto now = std::chrono::steady_clock::now();
  if (current_ != digest) {
    current_ = digest;
    start_ = now;
  } else if (now - last_draw_ < std::chrono::milliseconds(100)) {
    return;
  }
  last_draw_ = now;
  double secs = std::chrono::duration<double>(now - start_).count();
  double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  int width = 30, filled = total ? static_cast<int>(width * static_cast<double>(done) / static_cast<double>(total)) : 0;
  std::string bar(static_cast<std::size_t>(std::min(filled, width)), '=');
  bar.resize(static_cast<std::size_t>(width), ' ');
  fmt::print(out_, "\r{:.12}: [{}] {} / {} {}/s   ", digest_hex(digest), bar, human_bytes(done), human_bytes(total),
             human_bytes(static_cast<std::uint64_t>(rate)));
  std::fflush(out_);
}

void Progress::finish(const std::string& digest, std::uint64_t total, const char* verb) {
  if (!out_) return;
  std::lock_guard lock(mutex_);
  fmt::print(out_, "\r{:.12}: {} {}{:40}\n", digest_hex(digest), verb, human_bytes(total), "");
  std::fflush(out_);
  current_.clear();
}

}  // namespace wasmlet::registry

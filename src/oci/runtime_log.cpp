#include "oci/runtime_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace wasmlet::oci {

void RuntimeLog::configure(std::string path, bool json) {
  path_ = std::move(path);
  json_ = json;
}

void RuntimeLog::error(const std::string& message) const {
  std::fprintf(stderr, "wasmlet-oci: %s\n", message.c_str());
  append("error", message);
}

void RuntimeLog::info(const std::string& message) const { append("info", message); }

void RuntimeLog::append(const char* level, const std::string& message) const {
  if (path_.empty()) return;
  auto now = std::chrono::system_clock::now();
  std::string time = fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", std::chrono::floor<std::chrono::seconds>(now));
  std::string line = json_ ? nlohmann::json{{"level", level}, {"msg", message}, {"time", time}}.dump() + "\n"
                           : fmt::format("time=\"{}\" level={} msg=\"{}\"\n", time, level, message);
  // One write() per line with O_APPEND: lines from concurrent calls do not interleave.
  int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  (void)!::write(fd, line.data(), line.size());
  ::close(fd);
}

RuntimeLog& runtime_log() {
  static RuntimeLog log;
  return log;
}

}  // namespace wasmlet::oci

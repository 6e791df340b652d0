#include "oci/runtime_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/utf8.h"

namespace wasmlet::oci {

namespace {

// The text format's msg="...": quotes, backslashes, control bytes and bytes
// that are not UTF-8 escaped (\n, \", \x1b, \xff), as logrus quotes it, so
// that one message is one line and the file stays text.
std::string quoted(const std::string& message) {
  std::string out = "\"";
  for (size_t i = 0; i < message.size();) {
    const auto c = static_cast<unsigned char>(message[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else if (c >= 0x80) {
      // A whole well-formed sequence is kept; anything else is one escaped byte.
      size_t length = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
      if (length > 1 && i + length <= message.size() && util::valid_utf8(std::string_view(message).substr(i, length))) {
        out.append(message, i, length);
        i += length;
        continue;
      }
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
    ++i;
  }
  return out + "\"";
}

}  // namespace

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
  // A message may hold bytes that are not UTF-8 (a path, an id as given):
  // they become U+FFFD rather than an exception thrown from main's catch.
  std::string line = json_ ? nlohmann::json{{"level", level}, {"msg", message}, {"time", time}}.dump(
                                 -1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"
                           : fmt::format("time=\"{}\" level={} msg={}\n", time, level, quoted(message));
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

// Where wasmlet-oci reports: errors to stderr and, with `--log FILE`, as JSON
// lines ({"level","msg","time"}) appended to FILE, as runc does. containerd's
// shim shows the `msg` of the last error line to the user.
#pragma once

#include <string>

namespace wasmlet::oci {

class RuntimeLog {
 public:
  // `path` empty: stderr only. `json` false (--log-format text): plain lines.
  void configure(std::string path, bool json);
  void error(const std::string& message) const;  // stderr and the log file
  void info(const std::string& message) const;   // the log file only

 private:
  void append(const char* level, const std::string& message) const;
  std::string path_;
  bool json_ = true;
};

// The process-wide log, configured from the global flags.
RuntimeLog& runtime_log();

}  // namespace wasmlet::oci

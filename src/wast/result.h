// What running a spec script reports: one event per command (it passed, it
// failed and why, or its module ran in the interpreter instead of the
// requested AOT tier), and the per-file totals built from those events.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace wasmlet::wast {

struct Event {
  enum class Kind {
    Start,     // a command begins (so a crash can be placed)
    Pass,
    Fail,
    Fallback,  // the command's module runs in the interpreter (AOT tier), `message` says why
  };
  Kind kind = Kind::Pass;
  int line = 0;
  std::string command;  // "assert_return", "module", ...
  std::string message;  // Fail: what went wrong; Fallback: why
};

using EventSink = std::function<void(const Event&)>;

struct Failure {
  int line = 0;
  std::string command;
  std::string message;
};

struct FileResult {
  std::string file;
  uint64_t passed = 0;
  uint64_t failed = 0;
  std::vector<Failure> failures;   // in script order
  std::vector<Failure> fallbacks;  // modules the AOT tier handed to the interpreter
  // Set when the process running the file died ("signal 11 (Segmentation
  // fault) during the command at line 12").
  std::optional<std::string> crash;
  int last_line = 0;  // of the last command started

  void add(const Event& event);
  bool ok() const { return failed == 0 && !crash; }
};

}  // namespace wasmlet::wast

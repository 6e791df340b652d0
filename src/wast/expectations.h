// The checked-in list of spec files that do not pass yet
// (tests/spec/expected_failures.txt), one line per file and tier:
//
//   FILE  TIER  PASSED  FAILED  STATUS  REASON...
//   simd_lane.wast  aot  370  4  fails  the interpreter's ...
//
// STATUS is `fails` (FAILED commands fail) or `crashes` (the process dies
// after PASSED passing and FAILED failing commands). A run is as expected
// when an unlisted file passes completely and a listed file gives exactly
// the recorded counts: a file that now passes more must have its line
// updated (or removed), so the list only shrinks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "wast/result.h"

namespace wasmlet::wast {

struct Expectation {
  uint64_t passed = 0;
  uint64_t failed = 0;
  bool crashes = false;
  std::string reason;
  int line = 0;  // in the list
};

class Expectations {
 public:
  // Throws UsageError naming the file and line of a malformed entry.
  static Expectations load(const std::filesystem::path& path);

  const Expectation* find(const std::string& file, const std::string& tier) const;
  const std::filesystem::path& path() const { return path_; }

  // Nullopt if `result` is what the list expects for (file, tier), else
  // what differs and what to do about it.
  std::optional<std::string> mismatch(const FileResult& result, const std::string& tier) const;

 private:
  std::filesystem::path path_;
  std::map<std::pair<std::string, std::string>, Expectation> entries_;
};

}  // namespace wasmlet::wast

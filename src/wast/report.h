// Printing the results of `wasmlet wast`: per-file and total counts with
// the first failures (file:line), as text or as JSON.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "wast/result.h"

namespace wasmlet::wast {

struct FileReport {
  FileResult result;
  // With an expectations list: nullopt if the file did what the list
  // expects, else what differs. Without one: unset.
  std::optional<std::optional<std::string>> verdict;
  bool as_expected() const { return verdict ? !verdict->has_value() : result.ok(); }
};

struct ReportOptions {
  std::string tier;
  size_t max_failures = 10;  // per file, in text output
};

void print_text(std::ostream& out, const std::vector<FileReport>& files, const ReportOptions& options);
void print_json(std::ostream& out, const std::vector<FileReport>& files, const ReportOptions& options);

}  // namespace wasmlet::wast

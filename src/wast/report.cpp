#include "wast/report.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace wasmlet::wast {
namespace {

struct Totals {
  uint64_t passed = 0, failed = 0, files_ok = 0, files_as_expected = 0, crashed = 0, fallbacks = 0;
};

Totals totals_of(const std::vector<FileReport>& files) {
  Totals t;
  for (const auto& f : files) {
    t.passed += f.result.passed;
    t.failed += f.result.failed;
    t.files_ok += f.result.ok();
    t.files_as_expected += f.as_expected();
    t.crashed += f.result.crash.has_value();
    t.fallbacks += f.result.fallbacks.size();
  }
  return t;
}

// A compiler's error output can run over many lines; text output shows the first.
std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

void print_text(std::ostream& out, const std::vector<FileReport>& files, const ReportOptions& options) {
  for (const auto& f : files) {
    const auto& r = f.result;
    out << fmt::format("{}: {} passed, {} failed{}{} [{}]\n", r.file, r.passed, r.failed,
                       r.fallbacks.empty() ? "" : fmt::format(", {} modules in the interpreter", r.fallbacks.size()),
                       r.crash ? ", CRASHED" : "", options.tier);
    if (r.crash) out << fmt::format("  {}: {}\n", r.file, *r.crash);
    for (size_t i = 0; i < r.failures.size() && i < options.max_failures; ++i) {
      const auto& x = r.failures[i];
      out << fmt::format("  {}:{}: {}: {}\n", r.file, x.line, x.command, first_line(x.message));
    }
    if (r.failures.size() > options.max_failures)
      out << fmt::format("  ... and {} more failures\n", r.failures.size() - options.max_failures);
    if (!r.fallbacks.empty())
      out << fmt::format("  {}:{}: note: {}\n", r.file, r.fallbacks.front().line, first_line(r.fallbacks.front().message));
    if (f.verdict && *f.verdict) out << fmt::format("  NOT AS EXPECTED: {}\n", **f.verdict);
  }
  const Totals t = totals_of(files);
  out << fmt::format("total [{}]: {} files, {} passing, {} commands passed, {} failed", options.tier, files.size(),
                     t.files_ok, t.passed, t.failed);
  if (t.crashed) out << fmt::format(", {} files crashed", t.crashed);
  if (t.fallbacks) out << fmt::format(", {} modules ran in the interpreter", t.fallbacks);
  if (files.size() && files.front().verdict)
    out << fmt::format("; {} of {} files as expected", t.files_as_expected, files.size());
  out << "\n";
}

void print_json(std::ostream& out, const std::vector<FileReport>& files, const ReportOptions& options) {
  auto failures_json = [](const std::vector<Failure>& list) {
    auto a = nlohmann::json::array();
    for (const auto& x : list) a.push_back({{"line", x.line}, {"command", x.command}, {"message", x.message}});
    return a;
  };
  nlohmann::json j = {{"tier", options.tier}, {"files", nlohmann::json::array()}};
  for (const auto& f : files) {
    const auto& r = f.result;
    nlohmann::json file = {{"file", r.file},
                           {"passed", r.passed},
                           {"failed", r.failed},
                           {"ok", r.ok()},
                           {"crash", r.crash ? nlohmann::json(*r.crash) : nlohmann::json(nullptr)},
                           {"failures", failures_json(r.failures)},
                           {"interpreter_fallbacks", failures_json(r.fallbacks)}};
    if (f.verdict) {
      file["as_expected"] = !f.verdict->has_value();
      if (*f.verdict) file["expectation_mismatch"] = **f.verdict;
    }
    j["files"].push_back(std::move(file));
  }
  const Totals t = totals_of(files);
  j["total"] = {{"files", files.size()},     {"files_passing", t.files_ok}, {"passed", t.passed},
                {"failed", t.failed},        {"crashed", t.crashed},        {"interpreter_fallbacks", t.fallbacks},
                {"files_as_expected", t.files_as_expected}};
  out << j.dump(2) << "\n";
}

}  // namespace wasmlet::wast

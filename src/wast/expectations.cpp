#include "wast/expectations.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "wasmlet/error.h"

namespace wasmlet::wast {

Expectations Expectations::load(const std::filesystem::path& path) {
  Expectations list;
  list.path_ = path;
  std::ifstream in(path);
  if (!in) throw UsageError(fmt::format("cannot open the expectations list {}", path.string()));
  std::string text;
  for (int number = 1; std::getline(in, text); ++number) {
    std::istringstream fields(text);
    std::string file, tier, status;
    if (!(fields >> file) || file[0] == '#') continue;
    Expectation e;
    e.line = number;
    if (!(fields >> tier >> e.passed >> e.failed >> status) || (status != "fails" && status != "crashes"))
      throw UsageError(fmt::format("{}:{}: expected FILE TIER PASSED FAILED fails|crashes REASON", path.string(),
                                   number));
    e.crashes = status == "crashes";
    std::getline(fields >> std::ws, e.reason);
    if (!list.entries_.emplace(std::make_pair(file, tier), e).second)
      throw UsageError(fmt::format("{}:{}: {} ({}) is listed twice", path.string(), number, file, tier));
  }
  return list;
}

const Expectation* Expectations::find(const std::string& file, const std::string& tier) const {
  auto it = entries_.find({file, tier});
  return it == entries_.end() ? nullptr : &it->second;
}

std::optional<std::string> Expectations::mismatch(const FileResult& result, const std::string& tier) const {
  const Expectation* e = find(result.file, tier);
  const bool crashed = result.crash.has_value();
  if (!e) {
    if (result.ok()) return std::nullopt;
    return fmt::format("{} ({}) is not in {} but {}", result.file, tier, path_.string(),
                       crashed ? "crashed" : fmt::format("{} commands failed", result.failed));
  }
  if (result.passed == e->passed && result.failed == e->failed && crashed == e->crashes) return std::nullopt;
  const auto now = fmt::format("{} passed, {} failed{}", result.passed, result.failed, crashed ? ", crashed" : "");
  const auto recorded = fmt::format("{} passed, {} failed{}", e->passed, e->failed, e->crashes ? ", crashed" : "");
  if (result.ok())
    return fmt::format("{} ({}) passes now ({}): remove its line {} from {}", result.file, tier, now, e->line,
                       path_.string());
  if (result.passed > e->passed || (result.passed == e->passed && result.failed < e->failed))
    return fmt::format("{} ({}) does better than recorded ({}; {}:{} says {}): update that line, the list only shrinks",
                       result.file, tier, now, path_.string(), e->line, recorded);
  return fmt::format("{} ({}) regressed: {}, {}:{} expects {}", result.file, tier, now, path_.string(), e->line,
                     recorded);
}

}  // namespace wasmlet::wast

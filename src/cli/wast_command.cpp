// `wasmlet wast FILE.wast...`: runs WebAssembly spec scripts (src/wast/,
// docs/conformance.md) and prints per-file and total counts.
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "wasmlet/error.h"
#include "wast/expectations.h"
#include "wast/report.h"
#include "wast/runner.h"

namespace wasmlet::cli {
namespace {

struct WastOptions {
  std::vector<std::string> files;
  std::string tier = "interp";
  std::string format = "text";
  std::string expectations;
  double timeout_seconds = 60;
  int aot_opt_level = 0;
  size_t max_failures = 10;
  std::string hot_code_dir;
};

int run_wast(const WastOptions& o) {
  wast::RunOptions options;
  options.tier = tier_option(o.tier);
  if (o.format != "text" && o.format != "json")
    throw UsageError(fmt::format("invalid --format '{}': expected text or json", o.format));
  if (o.timeout_seconds <= 0) throw UsageError("--timeout must be a positive number of seconds");
  options.call_timeout = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(o.timeout_seconds));
  options.aot_opt_level = o.aot_opt_level;
  options.hot_code_dir = o.hot_code_dir;
  std::optional<wast::Expectations> expectations;
  if (!o.expectations.empty()) expectations = wast::Expectations::load(o.expectations);
  const std::string tier = to_string(options.tier);

  std::vector<wast::FileReport> reports;
  for (const auto& file : o.files) {
    wast::FileReport report{wast::run_file_isolated(file, options), std::nullopt};
    if (expectations) report.verdict = expectations->mismatch(report.result, tier);
    reports.push_back(std::move(report));
  }
  wast::ReportOptions report_options{tier, o.max_failures};
  if (o.format == "json") wast::print_json(std::cout, reports, report_options);
  else wast::print_text(std::cout, reports, report_options);
  for (const auto& r : reports)
    if (!r.as_expected()) return 1;
  return 0;
}

}  // namespace

void register_wast_command(CLI::App& app) {
  auto o = std::make_shared<WastOptions>();
  auto* cmd = app.add_subcommand("wast", "Run WebAssembly spec test scripts (.wast) and count what passes");
  cmd->add_option("files", o->files, "spec script files")->required()->check(CLI::ExistingFile);
  cmd->add_option("--tier", o->tier, "interp, aot or auto (aot: modules it cannot compile run in the interpreter and are reported)")
      ->default_val("interp");
  cmd->add_option("--format", o->format, "text or json")->default_val("text");
  cmd->add_option("--expectations", o->expectations,
                  "list of files expected not to pass yet (FILE TIER PASSED FAILED fails|crashes REASON); "
                  "exit 0 only if every file does exactly what it records");
  cmd->add_option("--timeout", o->timeout_seconds, "seconds allowed for each call")->default_val(60);
  cmd->add_option("--aot-opt-level", o->aot_opt_level, "C optimisation level of AOT artifacts (0-3)")
      ->default_val(0)
      ->check(CLI::Range(0, 3));
  cmd->add_option("--hot-code-dir", o->hot_code_dir,
                  "interp tier: first compile every function to native hot code in this directory (docs/hot.md)");
  cmd->add_option("--max-failures", o->max_failures, "failures printed per file (text format)")->default_val(10);
  cmd->callback([o] { exit_status = run_wast(*o); });
}

}  // namespace wasmlet::cli

// The root app both binaries share: its name, version and the one error
// convention of every command (docs/cli.md, "Errors and exit status"):
// a usage error prints `wasmlet: error: CMD: ...` and a `See 'wasmlet CMD
// --help'.` hint and exits 2; any other failure prints `wasmlet: error: ...`
// and exits with the status of its ErrorCode (failure_status).
#include <algorithm>
#include <charconv>
#include <iostream>
#include <sstream>
#include <string_view>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/help_pages.h"
#include "wasmlet/duration.h"
#include "wasmlet/error.h"
#include "wasmlet/version.h"
#include "wasmlet/wasi_command.h"

namespace wasmlet::cli {

namespace {

constexpr const char* kVersion = "wasmlet " WASMLET_VERSION;

// "wasmlet plugin call": the words a user types to reach `app`.
std::string command_path(const CLI::App* app) {
  std::string path;
  for (; app; app = app->get_parent()) path = app->get_name() + (path.empty() ? "" : " " + path);
  return path;
}

// The deepest subcommand this command line reached (the root if none).
CLI::App* reached_command(CLI::App& app) {
  CLI::App* cur = &app;
  for (;;) {
    auto subs = cur->get_subcommands();
    if (subs.empty()) return cur;
    cur = subs.back();
  }
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// " (did you mean 'ps'?)" for the closest subcommand name, if one is close.
std::string closest_command(const CLI::App& parent, std::string_view typed) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, typed.size() / 3) + 1;
  for (const CLI::App* sub : parent.get_subcommands([](const CLI::App*) { return true; })) {
    const std::string& name = sub->get_name();
    size_t d = name.rfind(typed, 0) == 0 ? 1 : edit_distance(typed, name);
    if (d < best_distance) best_distance = d, best = name;
  }
  return best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best);
}

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// The exit status of a command that failed with an error of this code: 2
// for a bad argument, whether the CLI or the daemon found it (an invalid
// spec, a bad --since), as for a usage error; 1 for everything else (not
// found, conflict, an invalid module, an unreachable daemon or registry).
int usage_error(const CLI::App* where, const std::string& message) {
  std::string path = command_path(where);
  std::string prefix = where->get_parent() ? path.substr(path.find(' ') + 1) + ": " : "";
  std::cerr << fmt::format("wasmlet: error: {}{}\nSee '{} --help'.\n", prefix, message, path);
  return 2;
}

// Walks the command words before parsing: an unknown subcommand is named as
// such (CLI11 would call it an unexpected argument). Only the root and
// `plugin` have subcommands, and neither takes an option with a value, so
// every non-option word at those levels must be a command.
std::optional<int> check_command_words(CLI::App& app, int argc, char** argv) {
  CLI::App* cur = &app;
  for (int i = 1; i < argc; ++i) {
    std::string_view word = argv[i];
    if (word == "--") break;
    if (word.starts_with('-')) continue;
    auto subs = cur->get_subcommands([](const CLI::App*) { return true; });
    if (subs.empty()) break;
    auto it = std::find_if(subs.begin(), subs.end(), [&](const CLI::App* s) { return s->check_name(std::string(word)); });
    if (it == subs.end()) {
      // wasmtime's `wasmtime app.wasm` habit.
      std::string hint = cur == &app && (word.ends_with(".wasm") || word.ends_with(".wat"))
                             ? fmt::format(" (to run it: wasmlet run {})", word)
                             : closest_command(*cur, word);
      return usage_error(cur, fmt::format("unknown command '{}'{}", word, hint));
    }
    cur = *it;
  }
  return std::nullopt;
}

// CLI11's own exceptions, in the project's words.
int report_parse_error(CLI::App& app, const CLI::ParseError& e) {
  CLI::App* where = reached_command(app);
  const std::string what = e.what();
  if (dynamic_cast<const CLI::RequiredError*>(&e)) {
    if (what.rfind("A subcommand", 0) == 0 || what.rfind("Requires at least", 0) == 0) {
      std::vector<std::string> names;
      for (const CLI::App* s : where->get_subcommands([](const CLI::App*) { return true; })) names.push_back(s->get_name());
      return usage_error(where, fmt::format("no command given (one of: {})", fmt::join(names, ", ")));
    }
    auto end = what.rfind(" is required");
    if (end != std::string::npos) {
      std::string item = what.substr(0, end);
      return usage_error(where, item.starts_with('-') ? fmt::format("option {} is required", item)
                                                      : fmt::format("missing argument {}", upper(item)));
    }
  }
  if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
    // CLI11 lists what was left over after ": "; split it into options
    // nobody knows and extra words.
    std::vector<std::string> options, words;
    std::istringstream rest(what.substr(what.find(": ") == std::string::npos ? 0 : what.find(": ") + 2));
    for (std::string w; rest >> w;)
      if (w != "--") (w.starts_with('-') && w != "-" ? options : words).push_back(w);
    if (!options.empty())
      return usage_error(where, fmt::format("unknown option{} '{}'", options.size() > 1 ? "s" : "", fmt::join(options, "', '")));
    if (!words.empty())
      return usage_error(where, fmt::format("unexpected argument{} '{}'", words.size() > 1 ? "s" : "", fmt::join(words, "' '")));
  }
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) && what.find("missing") != std::string::npos)
    return usage_error(where, fmt::format("option {} needs a value", what.substr(0, what.find(':'))));
  std::string message = what;
  if (!message.empty()) message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
  return usage_error(where, message);
}

}  // namespace

void configure_root(CLI::App& app) {
  app.name("wasmlet");
  app.description("wasmlet: a WebAssembly runtime for workloads and plugins");
  app.require_subcommand(1);
  app.set_version_flag("--version", kVersion);
  app.add_subcommand("version", "Print wasmlet's version")->callback([] { std::cout << kVersion << "\n"; });
}

int parse_and_run(CLI::App& app, int argc, char** argv) {
  // `wasmlet help [CMD...]` is `wasmlet [CMD...] --help`; `help --man` prints the man page.
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args.front() == "help") {
    args.erase(args.begin());
    if (std::find(args.begin(), args.end(), "--man") != args.end()) {
      std::cout << man_page(app);
      return 0;
    }
    args.push_back("--help");
  }
  std::vector<char*> words{argv[0]};
  for (auto& a : args) words.push_back(a.data());
  if (auto status = check_command_words(app, static_cast<int>(words.size()), words.data())) return *status;
  try {
    std::reverse(args.begin(), args.end());  // CLI11 takes its arguments in reverse
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    return report_parse_error(app, e);
  } catch (const wasmlet::UsageError& e) {
    return usage_error(reached_command(app), e.what());
  } catch (const wasmlet::Error& e) {
    std::cerr << "wasmlet: error: " << e.what() << "\n";
    return failure_status(e.code());
  } catch (const std::exception& e) {
    std::cerr << "wasmlet: error: " << e.what() << "\n";
    return 1;
  }
  return exit_status;
}

Tier tier_option(const std::string& value) {
  auto tier = parse_tier(value);
  if (!tier) throw UsageError(fmt::format("invalid --tier '{}': expected interp, aot or auto", value));
  return *tier;
}

uint64_t fuel_option(const std::string& value, std::string_view flag) {
  uint64_t fuel = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), fuel);
  if (value.empty() || ec == std::errc::invalid_argument || end != value.data() + value.size())
    throw UsageError(fmt::format("invalid {} '{}': expected a whole number of units, 1 to 18446744073709551615 "
                                 "(leave {} out for no budget)", flag, value, flag));
  if (ec == std::errc::result_out_of_range)
    throw UsageError(fmt::format("invalid {} '{}': more than the largest budget, 18446744073709551615", flag, value));
  // A spec's max_fuel: 0 means no budget, so run and run -d could not agree on 0.
  if (fuel == 0)
    throw UsageError(fmt::format("invalid {} '0': a budget of 0 would trap before the first instruction; give at least 1 "
                                 "(leave {} out for no budget)", flag, flag));
  return fuel;
}

std::chrono::nanoseconds timeout_option(const std::string& value, std::string_view without, std::string_view flag) {
  auto timeout = parse_duration(value);
  // 0 would end the guest at once here, while the plugin API reads it as no limit: refused everywhere.
  if (timeout.count() <= 0)
    throw UsageError(fmt::format("invalid {} '{}': the limit must be more than 0 (leave {} out for {})", flag, value, flag, without));
  return timeout;
}

int failure_status(ErrorCode code) { return code == ErrorCode::InvalidArgument ? 2 : 1; }

int guest_exit_status(int64_t code, std::string_view who) {
  std::string note;
  int status = process_exit_status(code, &note);
  if (!note.empty()) std::cerr << fmt::format("wasmlet: error: {}: {}\n", who, note);
  return status;
}

}  // namespace wasmlet::cli

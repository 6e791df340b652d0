// One convention for every usage error (docs/cli.md, "Errors and exit
// status"): exit status 2, a `wasmlet: error: CMD: ...` line and a hint.
// Table-driven over every subcommand; commands added later without an
// entry are still checked with an unknown flag and no arguments.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "process.h"
#include "temp_dir.h"

using namespace wasmlet::testing;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace {

// Arguments that satisfy each command's required positionals and options.
const std::map<std::string, std::vector<std::string>> kValidArgs = {
    {"version", {}},
    {"run", {"x.wasm"}},
    {"compile", {"x.wasm"}},
    {"pull", {"localhost:1/x:1"}},
    {"push", {"x.wasm", "localhost:1/x:1"}},
    {"load", {"x.wasm", "x:1"}},
    {"images", {}},
    {"tag", {"x:1", "y:1"}},
    {"rmi", {"x:1"}},
    {"prune", {}},
    {"login", {"localhost:1", "-u", "user"}},
    {"inspect-image", {"x:1"}},
    {"serve", {}},
    {"up", {"-f", "spec.yaml"}},
    {"create", {"-f", "spec.yaml"}},
    {"start", {"a-rep-0"}},
    {"stop", {"a-rep-0"}},
    {"kill", {"a-rep-0"}},
    {"rm", {"a-rep-0"}},
    {"ps", {}},
    {"logs", {"a-rep-0"}},
    {"wait", {"a-rep-0"}},
    {"stats", {}},
    {"inspect", {"a-rep-0"}},
    {"exec", {"a-rep-0", "--", "x"}},
    {"plugin inspect", {"p.wasm"}},
    {"plugin call", {"p.wasm"}},
    {"completion", {"bash"}},
    {"logout", {"localhost:1"}},
};

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// The subcommands `wasmlet [PARENT] --help` lists.
std::vector<std::string> listed_commands(std::vector<std::string> parent) {
  parent.push_back("--help");
  auto help = run_wasmlet(parent).out;
  auto start = help.find("\nSubcommands:\n");
  if (start == std::string::npos) return {};
  std::istringstream lines(help.substr(start + 14));
  std::vector<std::string> out;
  for (std::string line; std::getline(lines, line) && line.starts_with("  ");) out.push_back(words(line).front());
  return out;
}

std::vector<std::string> all_commands() {
  std::vector<std::string> out;
  for (const auto& c : listed_commands({})) {
    auto subs = listed_commands({c});
    if (subs.empty()) out.push_back(c);
    for (const auto& s : subs) out.push_back(c + " " + s);
  }
  return out;
}

void expect_usage_error(const ProcessResult& r, const std::string& command, const std::string& what) {
  EXPECT_EQ(r.exit_code, 2) << command << ": " << r.err;
  EXPECT_THAT(r.err, StartsWith("wasmlet: error: " + command + ": ")) << what;
  EXPECT_THAT(r.err, HasSubstr("See 'wasmlet " + command + " --help'.")) << what;
  EXPECT_EQ(r.out, "") << what;
}

}  // namespace

TEST(UsageErrors, EveryCommandIsListedAndRejectsAnUnknownFlag) {
  auto commands = all_commands();
  ASSERT_GE(commands.size(), 25u) << "the CLI no longer lists its commands when none is given";
  for (const auto& command : commands) {
    std::vector<std::string> argv = words(command);
    auto valid = kValidArgs.find(command);
    if (valid != kValidArgs.end()) {
      argv.push_back("--bogus-flag");
      argv.insert(argv.end(), valid->second.begin(), valid->second.end());
      auto r = run_wasmlet(argv);
      expect_usage_error(r, command, "unknown flag");
      EXPECT_THAT(r.err, HasSubstr("unknown option '--bogus-flag'")) << command;
    } else {
      argv.push_back("--bogus-flag");  // a command this table does not know yet
      expect_usage_error(run_wasmlet(argv), command, "unknown flag, no arguments");
    }
  }
}

TEST(UsageErrors, EveryCommandWithARequiredArgumentNamesItWhenMissing) {
  for (const auto& command : all_commands()) {
    auto valid = kValidArgs.find(command);
    // Commands without a required argument would run (serve would start a
    // daemon); a command this table does not know yet is not run bare.
    if (valid == kValidArgs.end() || valid->second.empty()) continue;
    if (command == "run" || command == "stats") continue;  // checked below / lists all when none given
    auto r = run_wasmlet(words(command));
    expect_usage_error(r, command, "missing argument");
    EXPECT_THAT(r.err, testing::AnyOf(HasSubstr("missing argument"), HasSubstr("is required"))) << command << ": " << r.err;
  }
  auto run = run_wasmlet({"run"});
  expect_usage_error(run, "run", "no module");
  EXPECT_THAT(run.err, HasSubstr("no module given"));
}

TEST(UsageErrors, NoCommandAndUnknownCommandsSayWhatToDo) {
  auto none = run_wasmlet({});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_THAT(none.err, StartsWith("wasmlet: error: no command given (one of: "));
  EXPECT_THAT(none.err, HasSubstr("See 'wasmlet --help'."));
  auto typo = run_wasmlet({"pss"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_THAT(typo.err, StartsWith("wasmlet: error: unknown command 'pss' (did you mean 'ps'?)"));
  auto nested = run_wasmlet({"plugin", "cal", "x.wasm"});
  EXPECT_EQ(nested.exit_code, 2);
  EXPECT_THAT(nested.err, StartsWith("wasmlet: error: plugin: unknown command 'cal' (did you mean 'call'?)"));
}

TEST(UsageErrors, OptionValuesAreCheckedWithTheSameConvention) {
  struct Case { std::vector<std::string> argv; std::string command, message; };
  for (const auto& c : {Case{{"run", "--fuel", "abc", "x.wasm"}, "run", "invalid --fuel 'abc': expected a whole number of units, 1 to 18446744073709551615"},
                        Case{{"run", "--fuel", "-1", "x.wasm"}, "run", "invalid --fuel '-1'"},
                        Case{{"run", "--fuel", "18446744073709551616", "x.wasm"}, "run", "more than the largest budget"},
                        Case{{"run", "--dir"}, "run", "option --dir needs a value"},
                        Case{{"run", "--bogus", "x.wasm"}, "run", "unknown option '--bogus'"},
                        Case{{"plugin", "call", "--fuel", "-1", "p.wasm"}, "plugin call", "invalid --fuel '-1'"},
                        Case{{"ps", "--format", "yaml"}, "ps", "yaml"},
                        Case{{"run", "-d", "--tier", "aot", "x.wasm"}, "run", "--tier applies to a run in the foreground"}}) {
    auto r = run_wasmlet(c.argv);
    expect_usage_error(r, c.command, c.message);
    EXPECT_THAT(r.err, HasSubstr(c.message));
  }
}

TEST(UsageErrors, HelpAndVersionWorkAsCommands) {
  auto version = run_wasmlet({"version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_THAT(version.out, StartsWith("wasmlet "));
  EXPECT_EQ(run_wasmlet({"--version"}).out, version.out);
  auto help = run_wasmlet({"help", "ps"});
  EXPECT_EQ(help.exit_code, 0) << help.err;
  EXPECT_EQ(help.out, run_wasmlet({"ps", "--help"}).out);
  EXPECT_THAT(help.out, HasSubstr("--all"));
  auto nested = run_wasmlet({"help", "plugin", "call"});
  EXPECT_THAT(nested.out, HasSubstr("--allow-host"));
  auto unknown = run_wasmlet({"help", "pss"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("did you mean 'ps'?"));
}

// The man page and the completion scripts come from the parser's own option
// tables: every command and a sample of options appear in each.
TEST(GeneratedHelp, ManPageAndCompletionsCoverEveryCommand) {
  auto man = run_wasmlet({"help", "--man"});
  ASSERT_EQ(man.exit_code, 0) << man.err;
  EXPECT_THAT(man.out, StartsWith(".TH WASMLET 1"));
  auto bash = run_wasmlet({"completion", "bash"});
  ASSERT_EQ(bash.exit_code, 0) << bash.err;
  EXPECT_THAT(bash.out, HasSubstr("complete -o default -F _wasmlet wasmlet"));
  auto fish = run_wasmlet({"completion", "fish"});
  ASSERT_EQ(fish.exit_code, 0) << fish.err;
  auto zsh = run_wasmlet({"completion", "zsh"});
  ASSERT_EQ(zsh.exit_code, 0) << zsh.err;
  EXPECT_THAT(zsh.out, HasSubstr("bashcompinit"));
  for (const auto& command : all_commands()) {
    std::string roff;
    for (char ch : command) roff += ch == '-' ? std::string("\\-") : std::string(1, ch);
    EXPECT_THAT(man.out, HasSubstr(".SS \"wasmlet " + roff + "\"")) << command;
    auto last = words(command).back();
    EXPECT_THAT(bash.out, HasSubstr("|" + last + "\") cmd=")) << command;
    EXPECT_THAT(fish.out, HasSubstr(" -a " + last + " ")) << command;
  }
  EXPECT_THAT(man.out, HasSubstr("\\-\\-no\\-trunc"));
  EXPECT_THAT(bash.out, HasSubstr("--no-stdin"));
  EXPECT_THAT(fish.out, HasSubstr("-l allow-host"));
}

// The generated scripts are valid for their shells (skipped where the
// shell is not installed).
TEST(GeneratedHelp, BashCompletionCompletesCommandsAndOptions) {
  auto bash = run_process({"/bin/sh", "-c", "command -v bash"});
  if (bash.exit_code != 0) GTEST_SKIP() << "bash is not installed";
  std::string script = std::string("source <(") + WASMLET_BIN + " completion bash); "
                       "COMP_WORDS=(wasmlet ps --no-t); COMP_CWORD=2; _wasmlet; echo \"${COMPREPLY[*]}\"; "
                       "COMP_WORDS=(wasmlet plu); COMP_CWORD=1; _wasmlet; echo \"${COMPREPLY[*]}\"; "
                       "COMP_WORDS=(wasmlet plugin c); COMP_CWORD=2; _wasmlet; echo \"${COMPREPLY[*]}\"";
  auto r = run_process({"/bin/bash", "-c", script});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "--no-trunc\nplugin\ncall\n");
}

// The build writes the man page (share/man/man1/wasmlet.1) from `wasmlet
// help --man`; it is valid roff that man renders, and the install rule puts
// it where man finds it by name. Skipped where man-db/groff are missing.
TEST(GeneratedHelp, TheBuiltManPageIsValidAndInstalled) {
  auto generated = run_wasmlet({"help", "--man"});
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  std::ifstream in(WASMLET_MAN_PAGE);
  ASSERT_TRUE(in) << WASMLET_MAN_PAGE << " was not built";
  std::stringstream built;
  built << in.rdbuf();
  EXPECT_EQ(built.str(), generated.out) << "the built man page is stale";

  if (run_process({"/bin/sh", "-c", "command -v groff && command -v man"}).exit_code != 0)
    GTEST_SKIP() << "man or groff is not installed (Debian: apt-get install man-db); not checking the rendering";
  // groff with every warning on: any complaint about the roff is a failure.
  auto lint = run_process({"/usr/bin/env", "groff", "-man", "-ww", "-z", "-Tutf8", WASMLET_MAN_PAGE});
  EXPECT_EQ(lint.exit_code, 0) << lint.err;
  EXPECT_EQ(lint.err, "");
  auto shown = run_process({"/usr/bin/env", "MANPAGER=cat", "MANWIDTH=100", "man", "--warnings", "-l", WASMLET_MAN_PAGE});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(shown.err, "");
  EXPECT_THAT(shown.out, HasSubstr("SYNOPSIS"));
  EXPECT_THAT(shown.out, HasSubstr("wasmlet run"));
  EXPECT_THAT(shown.out, HasSubstr("--no-trunc"));

  char prefix_template[] = "/tmp/wasmlet-install-XXXXXX";
  ASSERT_NE(mkdtemp(prefix_template), nullptr);
  std::string prefix = prefix_template;
  auto install = run_process({CMAKE_COMMAND, "--install", WASMLET_BUILD_DIR, "--prefix", prefix}, std::chrono::seconds(120));
  EXPECT_EQ(install.exit_code, 0) << install.out << install.err;
  auto by_name = run_process({"/usr/bin/env", "MANPAGER=cat", "MANWIDTH=100", "man", "-M", prefix + "/share/man", "wasmlet"});
  EXPECT_EQ(by_name.exit_code, 0) << by_name.err;
  EXPECT_THAT(by_name.out, HasSubstr("wasmlet run"));
  auto installed = run_process({prefix + "/bin/wasmlet", "version"});
  EXPECT_EQ(installed.exit_code, 0) << installed.err;
  auto full = run_process({prefix + "/bin/wasmlet", "help", "ps"});  // the light binary execs wasmlet-full beside it
  EXPECT_THAT(full.out, HasSubstr("--no-trunc"));
  std::filesystem::remove_all(prefix);
}

// A value means the same in the foreground, with -d and for plugin calls:
// 0 as a fuel budget or a timeout would mean "at once" in one place and "no
// limit" in another, so it is refused everywhere.
TEST(UsageErrors, ZeroFuelAndTimeoutAreRefusedTheSameEverywhere) {
  const std::string module = (std::filesystem::path(WASM_DIR) / "exit_code.wasm").string();
  struct Case { std::vector<std::string> argv; std::string command, message; };
  for (const auto& c : {
           Case{{"run", "--fuel", "0", module}, "run", "invalid --fuel '0': a budget of 0 would trap before the first instruction"},
           Case{{"run", "-d", "--fuel", "0", module}, "run", "invalid --fuel '0'"},
           Case{{"run", "-W", "fuel=0", module}, "run", "invalid --fuel '0'"},
           Case{{"plugin", "call", "--fuel", "0", "p.wasm"}, "plugin call", "invalid --fuel '0'"},
           Case{{"run", "--timeout", "0s", module}, "run", "invalid --timeout '0s': the limit must be more than 0 (leave --timeout out for no limit)"},
           Case{{"run", "-d", "--timeout", "0s", module}, "run", "invalid --timeout '0s': the limit must be more than 0"},
           Case{{"run", "-W", "timeout=0", module}, "run", "invalid --timeout '0s'"},
           Case{{"plugin", "call", "--timeout", "0s", "p.wasm"}, "plugin call",
                "invalid --timeout '0s': the limit must be more than 0 (leave --timeout out for the default, 5s)"},
       }) {
    auto r = run_wasmlet(c.argv);
    expect_usage_error(r, c.command, c.message);
    EXPECT_THAT(r.err, HasSubstr(c.message));
  }
}

// Ports are decimal digits, 1 to 65535, wherever a HOST:PORT is given (99999
// used to listen on 34463, "80x" on 80, and run -d said "stoi").
TEST(UsageErrors, PortsAreDigitsFrom1To65535) {
  const std::string module = (std::filesystem::path(WASM_DIR) / "exit_code.wasm").string();
  struct Case { std::vector<std::string> argv; std::string command, message; };
  for (const auto& c : {
           Case{{"run", "--tcplisten", "127.0.0.1:99999", module}, "run",
                "invalid --tcplisten '127.0.0.1:99999': the port must be a number from 1 to 65535"},
           Case{{"run", "--tcplisten", "127.0.0.1:80x", module}, "run", "invalid --tcplisten '127.0.0.1:80x': the port must be"},
           Case{{"run", "-d", "--tcplisten", "127.0.0.1:abc", module}, "run", "invalid --tcplisten '127.0.0.1:abc': the port must be"},
           Case{{"run", "-d", "--tcplisten", "127.0.0.1:70000", module}, "run", "invalid --tcplisten '127.0.0.1:70000'"},
           Case{{"serve", "--listen", "127.0.0.1:99999"}, "serve", "invalid --listen '127.0.0.1:99999': the port must be a number from 1 to 65535"},
           Case{{"serve", "--listen", "127.0.0.1:80x"}, "serve", "invalid --listen '127.0.0.1:80x'"},
           Case{{"serve", "--listen", "127.0.0.1:+80"}, "serve", "invalid --listen '127.0.0.1:+80'"},
       }) {
    auto r = run_wasmlet(c.argv);
    expect_usage_error(r, c.command, c.message);
    EXPECT_THAT(r.err, HasSubstr(c.message));
  }
}

// A directory where a file belongs is a usage error saying so, never the
// stream library's "basic_filebuf::underflow".
TEST(UsageErrors, ADirectoryWhereAFileBelongsIsSaidToBeOne) {
  wasmlet::testing::TempDir dir;
  const std::string d = dir.path().string();
  struct Case { std::vector<std::string> argv; std::string command, message; };
  for (const auto& c : {Case{{"plugin", "inspect", d}, "plugin inspect", "cannot read plugin file '" + d + "': it is a directory"},
                        Case{{"plugin", "call", "p.wasm", "--input", "@" + d}, "plugin call",
                             "cannot read input file '" + d + "': it is a directory"},
                        Case{{"up", "-f", d}, "up", "cannot read the spec file '" + d + "': it is a directory"}}) {
    auto r = run_wasmlet(c.argv);
    expect_usage_error(r, c.command, c.message);
    EXPECT_THAT(r.err, HasSubstr(c.message));
    EXPECT_THAT(r.err, ::testing::Not(HasSubstr("underflow")));
  }
}

// `serve --token-file DIR` is refused before anything is written or chmod'ed.
TEST(UsageErrors, ServeRefusesADirectoryAsItsTokenFile) {
  wasmlet::testing::TempDir dir;
  auto tokens = dir.path() / "tokens";
  std::filesystem::create_directories(tokens);
  std::filesystem::permissions(tokens, std::filesystem::perms(0755), std::filesystem::perm_options::replace);
  auto r = run_wasmlet({"serve", "--data-dir", (dir.path() / "data").string(), "--listen", "127.0.0.1:1", "--token-file",
                        tokens.string()});
  expect_usage_error(r, "serve", "a directory as --token-file");
  EXPECT_THAT(r.err, HasSubstr("--token-file " + tokens.string() + ": is a directory; give the path of a file"));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("wrote a new bearer token")));
  EXPECT_EQ(std::filesystem::status(tokens).permissions(), std::filesystem::perms(0755));
  EXPECT_TRUE(std::filesystem::is_empty(tokens));
}

// Spec files are UTF-8: another encoding is named with its file and line.
TEST(UsageErrors, ASpecFileThatIsNotUtf8NamesTheFileAndLine) {
  wasmlet::testing::TempDir dir;
  auto spec = dir.path() / "lat.yaml";
  std::ofstream(spec, std::ios::binary) << "version: v1\n# caf\xe9\ndeployment: d\nservices:\n  s:\n    image: x.wasm\n";
  auto r = run_wasmlet({"up", "--data-dir", (dir.path() / "data").string(), "-f", spec.string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, StartsWith("wasmlet: error: " + spec.string() +
                                ":2: a spec file must be UTF-8 text, but byte 0xe9 (column 6) is not UTF-8"));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("json.exception")));
}

// ps --filter status=: the documented values work, others are refused with the list.
TEST(UsageErrors, PsRefusesAnUnknownStatusListingTheKnownOnes) {
  auto r = run_wasmlet({"ps", "--filter", "status=bogus"});
  expect_usage_error(r, "ps", "unknown status");
  EXPECT_THAT(r.err, HasSubstr("invalid --filter 'status=bogus': unknown status 'bogus' (known: created, pending, running, "
                               "restarting, stopping, exited, failed)"));
}

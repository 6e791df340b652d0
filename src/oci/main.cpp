// wasmlet-oci: an OCI runtime with runc's command line. containerd's runc
// shim, conmon (podman, CRI-O) call it instead of runc; wasm containers run
// here, every other container goes to the real runc (docs/kubernetes.md).
//
//   wasmlet-oci [--root DIR] [--log FILE] [--log-format json|text] [--systemd-cgroup] COMMAND ...
//     create --bundle DIR --pid-file F [--console-socket S] ID
//     start ID | state ID | kill [--all] ID [SIGNAL] | delete [--force] ID
//     ps [--format table|json] ID | features | --version
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "oci/commands.h"
#include "oci/delegate.h"
#include "oci/runtime_log.h"
#include "wasmlet/error.h"

using namespace wasmlet;
using namespace wasmlet::oci;

namespace {

constexpr const char* kVersion = "0.1.0";
constexpr const char* kSpecVersion = "1.0.2";

// One command's arguments once options are taken out.
struct ParsedArgs {
  std::map<std::string, std::string> values;  // "--bundle" -> "DIR" (short forms normalised)
  std::set<std::string> flags;                // "--all", "--force"
  std::vector<std::string> positional;
  std::vector<std::string>::const_iterator rest;  // after the first positional, with stop_at_positional
};

// Options of runc's commands that take a value; everything else starting
// with '-' is a flag. Short forms map to the long ones.
const std::map<std::string, std::string> kValueOptions = {
    {"--bundle", "--bundle"}, {"-b", "--bundle"}, {"--pid-file", "--pid-file"},
    {"--console-socket", "--console-socket"}, {"--preserve-fds", "--preserve-fds"},
    {"--format", "--format"}, {"-f", "--format"}, {"--root", "--root"}, {"--log", "--log"},
    {"--log-format", "--log-format"}, {"--criu", "--criu"}, {"--rootless", "--rootless"}};
const std::map<std::string, std::string> kFlagAliases = {{"-a", "--all"}, {"-f", "--force"}};

ParsedArgs parse(const std::string& command, std::vector<std::string>::const_iterator begin,
                 std::vector<std::string>::const_iterator end, bool stop_at_positional) {
  ParsedArgs out;
  for (auto it = begin; it != end; ++it) {
    std::string arg = *it;
    if (arg.size() < 2 || arg[0] != '-') {
      out.positional.push_back(arg);
      if (stop_at_positional) {
        out.rest = it + 1;
        return out;
      }
      continue;
    }
    if (arg == "--") {
      out.positional.insert(out.positional.end(), it + 1, end);
      break;
    }
    std::string value;
    bool has_value = false;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    // `-f` is ps's --format but delete's --force.
    bool takes_value = kValueOptions.count(arg) && !(arg == "-f" && command == "delete");
    if (takes_value) {
      if (!has_value) {
        if (it + 1 == end) throw Error(fmt::format("{}: option {} needs a value", command.empty() ? "wasmlet-oci" : command, arg));
        value = *++it;
      }
      out.values[kValueOptions.at(arg)] = value;
    } else {
      out.flags.insert(kFlagAliases.count(arg) ? kFlagAliases.at(arg) : arg);
    }
  }
  return out;
}

std::string default_root() {
  if (geteuid() == 0) return "/run/wasmlet-oci";
  const char* runtime_dir = std::getenv("XDG_RUNTIME_DIR");
  return fmt::format("{}/wasmlet-oci", runtime_dir && *runtime_dir ? runtime_dir : "/tmp");
}

const std::string& container_id(const ParsedArgs& args, const std::string& command) {
  if (args.positional.empty()) throw Error(fmt::format("{}: no container ID given", command));
  return args.positional.front();
}

int run(const std::vector<std::string>& argv) {
  // Global options come before the command.
  ParsedArgs global_args = parse("", argv.begin(), argv.end(), true);
  std::string command = global_args.positional.empty() ? "" : global_args.positional.front();
  auto command_it = command.empty() ? argv.end() : global_args.rest;

  GlobalOptions global;
  global.argv = argv;
  global.root = global_args.values.count("--root") ? global_args.values["--root"] : default_root();
  global.systemd_cgroup = global_args.flags.count("--systemd-cgroup") > 0;
  runtime_log().configure(global_args.values.count("--log") ? global_args.values["--log"] : "",
                          !global_args.values.count("--log-format") || global_args.values["--log-format"] == "json");

  if (global_args.flags.count("--version") || global_args.flags.count("-v") || command == "version") {
    std::cout << fmt::format("wasmlet-oci version {}\nspec: {}\n", kVersion, kSpecVersion);
    return 0;
  }
  if (command.empty() || global_args.flags.count("--help") || global_args.flags.count("-h")) {
    std::cout << "usage: wasmlet-oci [--root DIR] [--log FILE] [--log-format json|text] [--systemd-cgroup] COMMAND\n"
                 "commands: create, start, state, kill, delete, ps, features (runc's contract; docs/kubernetes.md)\n";
    return command.empty() && !global_args.flags.count("--help") && !global_args.flags.count("-h") ? 2 : 0;
  }

  ParsedArgs args = parse(command, command_it, argv.end(), false);
  StateStore store(global.root);
  if (command == "features") return print_features();
  if (command == "create") {
    CreateOptions options;
    options.id = container_id(args, command);
    if (args.values.count("--bundle")) options.bundle = args.values["--bundle"];
    if (args.values.count("--pid-file")) options.pid_file = args.values["--pid-file"];
    if (args.values.count("--console-socket")) options.console_socket = args.values["--console-socket"];
    return create_container(global, options);
  }

  // Commands about an existing container: ours, or the real runc's.
  static const std::set<std::string> implemented = {"start", "state", "kill", "delete", "ps"};
  if (!implemented.count(command)) {
    for (const auto& p : args.positional)
      if (store.owns(p)) throw Error(fmt::format("{}: '{}' is not supported for wasm containers", p, command));
    exec_delegate(argv);
  }
  const std::string& id = container_id(args, command);
  if (!store.owns(id)) exec_delegate(argv);
  if (command == "start") return start_container(store, id);
  if (command == "state") return print_state(store, id);
  if (command == "kill")
    return kill_container(store, id, parse_signal(args.positional.size() > 1 ? args.positional[1] : "SIGTERM"),
                          args.flags.count("--all") > 0);
  if (command == "delete") return delete_container(store, id, args.flags.count("--force") > 0);
  return print_processes(store, id, args.values.count("--format") && args.values["--format"] == "json");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return run(args);
  } catch (const std::exception& e) {
    runtime_log().error(e.what());
    return 1;
  }
}

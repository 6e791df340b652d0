// wasi:cli: environment, exit, stdin/stdout/stderr, terminal-*.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "component/wasi/host_state.h"
#include "wasi/guest_stdin.h"

namespace wasmlet::component::wasi {

void add_cli(HostState& s, std::map<std::string, Functions, std::less<>>& into) {
  // The stdin file is opened here, while the host is set up, so that a
  // missing file is the embedder's error (before the guest runs), never an
  // exception out of a guest's get-stdin call.
  if ((s.config.stdin_fd || s.config.stdin_file) && !s.stdin_fd) {
    ::wasmlet::wasi::GuestStdin in = ::wasmlet::wasi::open_guest_stdin(s.config, /*non_blocking=*/false);
    if (!in.error.empty()) throw Error(in.error, ErrorCode::Io);
    s.stdin_fd = std::make_shared<UniqueFd>(in.fd);
  }
  auto& env = into["wasi:cli/environment"];
  env["get-environment"] = [&s](std::span<const Val>) -> std::optional<Val> {
    std::vector<Val> pairs;
    for (auto& kv : s.config.env) {
      auto eq = kv.find('=');
      std::string k = kv.substr(0, eq), v = eq == std::string::npos ? "" : kv.substr(eq + 1);
      pairs.push_back(Val::tuple({Val::string(k), Val::string(v)}));
    }
    return Val::list(std::move(pairs));
  };
  env["get-arguments"] = [&s](std::span<const Val>) -> std::optional<Val> {
    std::vector<Val> args;
    for (auto& a : s.config.args) args.push_back(Val::string(a));
    return Val::list(std::move(args));
  };
  env["initial-cwd"] = [](std::span<const Val>) -> std::optional<Val> { return Val::none(); };

  auto& exit = into["wasi:cli/exit"];
  exit["exit"] = [](std::span<const Val> args) -> std::optional<Val> {
    int code = args[0].index == 0 ? 0 : 1;  // result<_, _>: ok -> 0, err -> 1
    throw ExitRequest{code};
    return std::nullopt;
  };
  exit["exit-with-code"] = [](std::span<const Val> args) -> std::optional<Val> {
    int code = int(uint8_t(args[0].i));
    throw ExitRequest{code};
    return std::nullopt;
  };

  into["wasi:cli/stdin"]["get-stdin"] = [&s](std::span<const Val>) -> std::optional<Val> {
    InputStream in;
    if (s.stdin_fd) {
      in.kind = InputStream::Kind::File;
      in.fd = s.stdin_fd;
    }
    return Val::resource(s.add(in));
  };
  into["wasi:cli/stdout"]["get-stdout"] = [&s](std::span<const Val>) -> std::optional<Val> {
    return Val::resource(s.add(OutputStream{OutputStream::Kind::Stdout, nullptr, 0, false}));
  };
  into["wasi:cli/stderr"]["get-stderr"] = [&s](std::span<const Val>) -> std::optional<Val> {
    return Val::resource(s.add(OutputStream{OutputStream::Kind::Stderr, nullptr, 0, false}));
  };
  // Guests never run on a terminal: stdio goes to the log pipeline.
  auto none = [](std::span<const Val>) -> std::optional<Val> { return Val::none(); };
  into["wasi:cli/terminal-stdin"]["get-terminal-stdin"] = none;
  into["wasi:cli/terminal-stdout"]["get-terminal-stdout"] = none;
  into["wasi:cli/terminal-stderr"]["get-terminal-stderr"] = none;
  into["wasi:cli/terminal-input"];   // resource only
  into["wasi:cli/terminal-output"];  // resource only
}

}  // namespace wasmlet::component::wasi

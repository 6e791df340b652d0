// wasi:cli: environment, exit, stdin/stdout/stderr, terminal-*.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "component/wasi/host_state.h"
#include "wasi/guest_stdin.h"

namespace wasmlet::component::wasi {

void add_cli(HostState& s, Interfaces& into) {
  // The stdin file is opened here, while the host is set up, so that a
  // missing file is the embedder's error (before the guest runs), never an
  // exception out of a guest's get-stdin call.
  if ((s.config.stdin_fd || s.config.stdin_file) && !s.stdin_fd) {
    ::wasmlet::wasi::GuestStdin in = ::wasmlet::wasi::open_guest_stdin(s.config, /*non_blocking=*/false);
    if (!in.error.empty()) throw Error(in.error, ErrorCode::Io);
    s.stdin_fd = std::make_shared<UniqueFd>(in.fd);
  }
  Interface env(into, "wasi:cli/environment");
  env.def("get-environment", "func() -> list<tuple<string, string>>") =
      [&s](std::span<const Val>) -> std::optional<Val> {
    std::vector<Val> pairs;
    for (auto& kv : s.config.env) {
      auto eq = kv.find('=');
      std::string k = kv.substr(0, eq), v = eq == std::string::npos ? "" : kv.substr(eq + 1);
      pairs.push_back(Val::tuple({Val::string(k), Val::string(v)}));
    }
    return Val::list(std::move(pairs));
  };
  env.def("get-arguments", "func() -> list<string>") = [&s](std::span<const Val>) -> std::optional<Val> {
    std::vector<Val> args;
    for (auto& a : s.config.args) args.push_back(Val::string(a));
    return Val::list(std::move(args));
  };
  env.def("initial-cwd", "func() -> option<string>") =
      [](std::span<const Val>) -> std::optional<Val> { return Val::none(); };

  Interface exit(into, "wasi:cli/exit");
  exit.def("exit", "func(status: result)") = [](std::span<const Val> args) -> std::optional<Val> {
    int code = args[0].index == 0 ? 0 : 1;  // result<_, _>: ok -> 0, err -> 1
    throw ExitRequest{code};
    return std::nullopt;
  };
  exit.def("exit-with-code", "func(status-code: u8)") = [](std::span<const Val> args) -> std::optional<Val> {
    int code = int(uint8_t(args[0].i));
    throw ExitRequest{code};
    return std::nullopt;
  };

  Interface stdin_iface(into, "wasi:cli/stdin", "use wasi:io/streams.{input-stream};");
  stdin_iface.def("get-stdin", "func() -> input-stream") = [&s](std::span<const Val>) -> std::optional<Val> {
    InputStream in;
    if (s.stdin_fd) {
      in.kind = InputStream::Kind::File;
      in.fd = s.stdin_fd;
    }
    return Val::resource(s.add(in));
  };
  Interface stdout_iface(into, "wasi:cli/stdout", "use wasi:io/streams.{output-stream};");
  stdout_iface.def("get-stdout", "func() -> output-stream") = [&s](std::span<const Val>) -> std::optional<Val> {
    return Val::resource(s.add(OutputStream{OutputStream::Kind::Stdout, nullptr, 0, false}));
  };
  Interface stderr_iface(into, "wasi:cli/stderr", "use wasi:io/streams.{output-stream};");
  stderr_iface.def("get-stderr", "func() -> output-stream") = [&s](std::span<const Val>) -> std::optional<Val> {
    return Val::resource(s.add(OutputStream{OutputStream::Kind::Stderr, nullptr, 0, false}));
  };
  // Guests never run on a terminal: stdio goes to the log pipeline.
  auto none = [](std::span<const Val>) -> std::optional<Val> { return Val::none(); };
  Interface(into, "wasi:cli/terminal-input", "resource terminal-input;");
  Interface(into, "wasi:cli/terminal-output", "resource terminal-output;");
  Interface(into, "wasi:cli/terminal-stdin", "use wasi:cli/terminal-input.{terminal-input};")
      .def("get-terminal-stdin", "func() -> option<terminal-input>") = none;
  for (const char* name : {"stdout", "stderr"})
    Interface(into, fmt::format("wasi:cli/terminal-{}", name), "use wasi:cli/terminal-output.{terminal-output};")
        .def(fmt::format("get-terminal-{}", name), "func() -> option<terminal-output>") = none;
}

}  // namespace wasmlet::component::wasi

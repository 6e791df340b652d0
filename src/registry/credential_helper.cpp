// docker-credential-* helpers: spawned without a shell, stdin/stdout/stderr
// on pipes, polled with a deadline so a hung helper cannot hang a pull.
#include "wasmlet/registry/credential_helper.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "wasmlet/registry/registry_error.h"
#include "json_member.h"
#include "registry/untrusted_json.h"

extern char** environ;

namespace wasmlet::registry {

namespace {

std::string host_of(std::string_view key) {
  if (auto p = key.find("://"); p != std::string_view::npos) key = key.substr(p + 3);
  if (auto p = key.find('/'); p != std::string_view::npos) key = key.substr(0, p);
  if (key == "index.docker.io" || key == "registry-1.docker.io") return "docker.io";
  return std::string(key);
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

struct HelperRun {
  int status = -1;  // exit code, or -1 when killed
  bool timed_out = false;
  std::string out, err;
};

HelperRun run_helper(const std::string& program, const std::string& input, std::chrono::milliseconds timeout, int& spawn_error) {
  // stdin is a socket so that writing to a helper that never reads it is
  // EPIPE (send with MSG_NOSIGNAL) rather than a process-wide SIGPIPE.
  int in[2], out[2], err[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
    throw RegistryError(fmt::format("cannot run {}: pipe: {}", program, std::strerror(errno)));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  const char* argv[] = {program.c_str(), "get", nullptr};
  pid_t pid = -1;
  spawn_error = posix_spawnp(&pid, program.c_str(), &fa, nullptr, const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  HelperRun r;
  if (spawn_error != 0) {
    close(in[1]);
    close(out[0]);
    close(err[0]);
    return r;
  }
  // The input is one short line: it fits the pipe, so write it before reading.
  [[maybe_unused]] ssize_t w = send(in[1], input.data(), input.size(), MSG_NOSIGNAL);
  close(in[1]);
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      r.timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    if (poll(fds, 2, static_cast<int>(left)) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) close(f.fd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) r.status = WEXITSTATUS(status);
  return r;
}

}  // namespace

std::optional<std::string> credential_helper_for(const nlohmann::json& config, std::string_view registry) {
  if (!config.is_object()) return std::nullopt;
  std::string want = host_of(docker_config_key(registry));
  if (config.contains("credHelpers") && config["credHelpers"].is_object())
    for (auto& [key, helper] : config["credHelpers"].items())
      if (host_of(key) == want && helper.is_string() && !helper.get<std::string>().empty()) return helper.get<std::string>();
  if (config.contains("credsStore") && config["credsStore"].is_string() && !config["credsStore"].get<std::string>().empty())
    return config["credsStore"].get<std::string>();
  return std::nullopt;
}

std::optional<Credentials> run_credential_helper(const std::string& helper, std::string_view server_url, std::string_view registry,
                                                 std::chrono::milliseconds timeout) {
  std::string program = "docker-credential-" + helper;
  if (helper.find('/') != std::string::npos)
    throw RegistryError(fmt::format("credential helper name \"{}\" for registry {} must not contain '/'", helper, registry));
  int spawn_error = 0;
  HelperRun r = run_helper(program, std::string(server_url), timeout, spawn_error);
  if (spawn_error == ENOENT)
    throw RegistryError(fmt::format("docker credential helper {} (configured for registry {}) is not installed or not on PATH; "
                                    "install it, or remove it from credHelpers/credsStore in the docker config.json",
                                    program, registry));
  if (spawn_error != 0)
    throw RegistryError(fmt::format("cannot run docker credential helper {} for registry {}: {}", program, registry,
                                    std::strerror(spawn_error)));
  if (r.timed_out)
    throw RegistryError(fmt::format("docker credential helper {} for registry {} did not answer within {} ms", program, registry,
                                    timeout.count()));
  std::string message = trim(r.out.empty() ? r.err : r.out);
  if (r.status != 0) {
    // The protocol's "nothing stored" answer: not an error, just no credentials.
    if (message.find("credentials not found") != std::string::npos) return std::nullopt;
    throw RegistryError(fmt::format("docker credential helper {} failed for registry {} ({}): {}", program, registry,
                                    r.status < 0 ? "killed by a signal" : fmt::format("exit status {}", r.status),
                                    message.empty() ? trim(r.err) : message));
  }
  // The reply holds the secret: an error names only where the JSON broke.
  nlohmann::json j = parse_untrusted_json(
      r.out, fmt::format("the reply of docker credential helper {} for registry {} (expected JSON credentials)", program, registry));
  if (!j.is_object() || !j.contains("Secret") || !j["Secret"].is_string() || (j.contains("Username") && !j["Username"].is_string()))
    throw RegistryError(fmt::format("docker credential helper {} for registry {} printed JSON without a string \"Secret\" "
                                    "(expected {{\"ServerURL\",\"Username\",\"Secret\"}})",
                                    program, registry));
  Credentials c;
  std::string user = string_member(j, "Username");
  if (user == "<token>") {
    c.identity_token = j["Secret"].get<std::string>();
  } else {
    c.username = user;
    c.password = j["Secret"].get<std::string>();
  }
  if (c.empty()) return std::nullopt;
  return c;
}

}  // namespace wasmlet::registry

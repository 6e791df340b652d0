#include "client.h"

#include <sys/socket.h>

#include <httplib.h>

#include <fmt/format.h>

#include "http_status.h"
#include "util/untrusted_json.h"
#include "wasmlet/runtime/types.h"

namespace wasmlet::server {

using nlohmann::json;

namespace {

// What answers on the socket is parsed with the nesting limit of all JSON
// from outside (util/untrusted_json.h): the CLI copies and prints answers,
// both of which recurse once per level, so a body nested 300,000 deep (from
// whatever listens where WASMLET_SOCKET points) would overflow its stack.
util::UntrustedJson parse_answer(std::string_view text) { return util::try_parse_untrusted_json(text); }

// Valid JSON that was refused: it nests too deep.
bool refused_for_depth(const util::UntrustedJson& parsed, std::string_view text) {
  return !parsed.problem.empty() && json::accept(text);
}

std::unique_ptr<httplib::Client> connect(const std::filesystem::path& socket) {
  auto cli = std::make_unique<httplib::Client>(socket.string());
  cli->set_address_family(AF_UNIX);
  cli->set_connection_timeout(5, 0);
  cli->set_read_timeout(24 * 3600, 0);  // wait and follow may take as long as the workload
  cli->set_write_timeout(30, 0);
  return cli;
}

[[noreturn]] void unavailable(const std::filesystem::path& socket, httplib::Error err) {
  std::error_code ec;
  if (!std::filesystem::exists(socket, ec))
    throw DaemonUnavailable(fmt::format("the wasmlet daemon is not running: no socket at '{}' (start it with `wasmlet serve`, "
                                        "or point --socket / WASMLET_SOCKET / --data-dir at a running one)", socket.string()));
  if (!std::filesystem::is_socket(socket, ec))
    throw DaemonUnavailable(fmt::format("'{}' is not a socket, so no wasmlet daemon listens there (point --socket / "
                                        "WASMLET_SOCKET / --data-dir at a running daemon's socket)", socket.string()));
  if (err == httplib::Error::Connection)
    throw DaemonUnavailable(fmt::format("the wasmlet daemon is not running: nothing accepts connections on '{}' (a stale "
                                        "socket; start the daemon with `wasmlet serve`)", socket.string()));
  throw DaemonUnavailable(fmt::format("cannot talk to the wasmlet daemon at '{}': {} (is `wasmlet serve` running?)", socket.string(),
                                      httplib::to_string(err)));
}

// The daemon's error answer as the error it was on the daemon's side: a
// RuntimeError where "kind" is one of its kinds (pull_failed, invalid_spec,
// ...), else an Error with the code "kind" names (compile, link, io, ...), or
// failing that the code the HTTP status stands for. So a caller (the CLI's
// exit status) sees the same code as if it had run the request itself.
[[noreturn]] void api_error(int status, const std::string& body) {
  util::UntrustedJson parsed = parse_answer(body);
  const json& j = parsed.value;
  if (refused_for_depth(parsed, body))
    throw Error(fmt::format("the daemon answered HTTP {} with a body that {}", status, parsed.problem), error_code_from_status(status));
  if (parsed.problem.empty() && j.is_object() && j.contains("error") && j["error"].is_string()) {
    std::string message = j["error"].get<std::string>();
    std::string kind = j.contains("kind") && j["kind"].is_string() ? j["kind"].get<std::string>() : "";
    auto runtime_kind = runtime::runtime_error_kind_from_string(kind);
    if (kind == runtime::to_string(runtime_kind)) throw runtime::RuntimeError(runtime_kind, message);
    throw Error(message, error_code_from_kind(kind).value_or(error_code_from_status(status)));
  }
  throw Error(fmt::format("the daemon answered HTTP {}: {}", status, body), error_code_from_status(status));
}

}  // namespace

std::string url_encode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else out += fmt::format("%{:02X}", c);
  }
  return out;
}

Client::Client(std::filesystem::path socket) : socket_(std::move(socket)) {}

json Client::request(const std::string& method, const std::string& path, const json& body) {
  auto cli = connect(socket_);
  std::string payload = body.is_null() ? "" : body.dump();
  httplib::Result res = method == "GET"      ? cli->Get(path.c_str())
                        : method == "DELETE" ? cli->Delete(path.c_str())
                                             : cli->Post(path.c_str(), payload, "application/json");
  if (!res && res.error() == httplib::Error::Read && path.ends_with("/wait")) {
    // A wait is answered as a stream: the daemon went away before its end
    // (it is shutting down, or it stopped).
    throw DaemonUnavailable(fmt::format("the wasmlet daemon at '{}' closed the connection during the wait: it is shutting "
                                        "down or stopped (wait again once `wasmlet serve` runs)", socket_.string()));
  }
  if (!res) unavailable(socket_, res.error());
  if (res->status < 200 || res->status >= 300) api_error(res->status, res->body);
  if (res->body.empty()) return json::object();
  util::UntrustedJson parsed = parse_answer(res->body);
  if (!parsed.problem.empty())
    throw runtime::RuntimeError(runtime::RuntimeError::Kind::Internal, fmt::format("the daemon sent a body that {}", parsed.problem));
  json j = std::move(parsed.value);
  // A streamed answer (a long wait) has sent its 200 before it knows how it ends.
  if (j.is_object() && j.contains("error") && j["error"].is_string()) api_error(res->status, res->body);
  return j;
}

void Client::stream(const std::string& method, const std::string& path, const json& body,
                    const std::function<bool(const json&)>& on_line) {
  auto cli = connect(socket_);
  httplib::Request req;
  req.method = method;
  req.path = path;
  if (!body.is_null()) {
    req.body = body.dump();
    req.set_header("Content-Type", "application/json");
  }
  std::string pending, error_body, refused;
  int status = 0;
  bool stopped = false;
  req.response_handler = [&](const httplib::Response& r) {
    status = r.status;
    return true;
  };
  req.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
    if (status < 200 || status >= 300) {
      error_body.append(data, len);
      return true;
    }
    pending.append(data, len);
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      if (line.empty()) continue;
      util::UntrustedJson parsed = parse_answer(line);
      if (refused_for_depth(parsed, line)) {  // ends the stream: thrown below, not through httplib
        refused = parsed.problem;
        return false;
      }
      if (!parsed.problem.empty()) continue;
      if (!on_line(parsed.value)) {
        stopped = true;
        return false;
      }
    }
    return true;
  };
  auto res = cli->send(req);
  if (!refused.empty())
    throw runtime::RuntimeError(runtime::RuntimeError::Kind::Internal, fmt::format("the daemon sent a line that {}", refused));
  if (stopped) return;
  if (!res) unavailable(socket_, res.error());
  if (status < 200 || status >= 300) api_error(status, error_body.empty() ? res->body : error_body);
}

}  // namespace wasmlet::server

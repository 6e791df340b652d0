// One error model (issue 16): every error class the daemon can meet is
// answered with the status of server/http_status.h's table and a "kind",
// against a real `wasmlet serve` (curl as an independent client).
#include <gtest/gtest.h>
#include <sys/un.h>

#include <cstring>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "runtime_support.h"
#include "server/client.h"
#include "server/http_status.h"
#include "wasmlet/plugin.h"
#include "wasmlet/registry/registry_error.h"
#include "wasmlet/runtime/types.h"

namespace wasmlet::testing {
namespace {

using nlohmann::json;

struct Answer {
  int status = 0;
  json body;
};

// One request with curl; the status is the last line curl writes.
Answer request(const fs::path& socket, const std::string& method, const std::string& path, const std::string& body = "") {
  std::vector<std::string> argv{"/usr/bin/curl", "-s", "-w", "\n%{http_code}", "--unix-socket", socket.string(), "-X", method};
  if (!body.empty()) argv.insert(argv.end(), {"-H", "Content-Type: application/json", "--data-binary", body});
  argv.push_back("http://localhost" + path);
  auto r = run_process(argv);
  auto nl = r.out.rfind('\n');
  Answer a;
  a.status = std::stoi(r.out.substr(nl + 1));
  a.body = json::parse(r.out.substr(0, nl), nullptr, false);
  return a;
}

TEST(DaemonErrors, EachClassOfErrorHasItsStatus) {
  if (!fs::exists("/usr/bin/curl")) GTEST_SKIP() << "curl is not installed";
  TempDir dir;
  Daemon d(dir.path() / "data");
  auto sock = dir.path() / "data/wasmlet.sock";
  std::string spec = "version: v1\\ndeployment: err\\nservices:\\n  job:\\n    image: {name: " + fixture("rt_sleep") +
                     ", pull_policy: never}\\n    command: {args: [\\\"3600\\\"]}\\n";
  std::string create = R"({"yaml": ")" + spec + R"("})";

  // Malformed bodies: 400, whether not JSON at all or a field of the wrong type.
  for (const std::string& bad : {std::string("{not json"), std::string(R"({"yaml": 42})"), std::string("[1, 2]")}) {
    auto a = request(sock, "POST", "/v1/instances", bad);
    EXPECT_EQ(a.status, 400) << bad << ": " << a.body;
    EXPECT_EQ(a.body.value("kind", ""), "invalid_argument") << a.body;
  }
  auto bad_policy = request(sock, "POST", "/v1/images/pull", R"({"reference": "x/y:1", "pull_policy": "sometimes"})");
  EXPECT_EQ(bad_policy.status, 400) << bad_policy.body;
  EXPECT_NE(bad_policy.body.value("error", "").find("sometimes"), std::string::npos) << bad_policy.body;
  // A malformed image reference (a registry error of the UsageError family): 400.
  auto bad_ref = request(sock, "DELETE", "/v1/images?reference=Bad%2F%2Fname");
  EXPECT_EQ(bad_ref.status, 400) << bad_ref.body;

  // Not found: 404, for instances and images alike.
  auto no_instance = request(sock, "GET", "/v1/instances/ghost-rep-0");
  EXPECT_EQ(no_instance.status, 404) << no_instance.body;
  EXPECT_EQ(no_instance.body.value("kind", ""), "not_found");
  auto no_image = request(sock, "DELETE", "/v1/images?reference=local%2Fnothing%3A1");
  EXPECT_EQ(no_image.status, 404) << no_image.body;
  EXPECT_NE(no_image.body.value("error", "").find("local/nothing:1"), std::string::npos) << no_image.body;

  // Conflict: 409 (the instance exists already; removing a running one without force).
  auto created = request(sock, "POST", "/v1/instances", create);
  ASSERT_EQ(created.status, 201) << created.body;
  auto again = request(sock, "POST", "/v1/instances", create);
  EXPECT_EQ(again.status, 409) << again.body;
  // A replica the service does not have, or a malformed one, and `services` that is not a list: 400, nothing created.
  for (const std::string& field : {std::string(R"("replica": 4294967295)"), std::string(R"("replica": 4294967296)"),
                                   std::string(R"("replica": 1)"), std::string(R"("replica": -3)"), std::string(R"("replica": "1")"),
                                   std::string(R"("services": "job")")}) {
    auto a = request(sock, "POST", "/v1/instances", R"({"yaml": ")" + spec + R"(", )" + field + "}");
    EXPECT_EQ(a.status, 400) << field << ": " << a.body;
  }
  EXPECT_EQ(request(sock, "GET", "/v1/instances/job-rep-1").status, 404);
  // An exec joins only a running instance (this one is created, not started).
  auto exec_created = request(sock, "POST", "/v1/instances/job-rep-0/exec", R"({"cmd": ["x"]})");
  EXPECT_EQ(exec_created.status, 409) << exec_created.body;
  EXPECT_NE(exec_created.body.value("error", "").find("job-rep-0 is not running"), std::string::npos) << exec_created.body;
  auto started = request(sock, "POST", "/v1/instances/job-rep-0/start", "{}");
  ASSERT_EQ(started.status, 200) << started.body;
  auto running = request(sock, "DELETE", "/v1/instances/job-rep-0");
  EXPECT_EQ(running.status, 409) << running.body;
  EXPECT_NE(running.body.value("error", "").find("job-rep-0"), std::string::npos) << running.body;

  // An upstream that failed (a pull of a module file that is not there): 502.
  auto pull = request(sock, "POST", "/v1/images/pull", R"({"reference": "/nonexistent/module.wasm"})");
  EXPECT_EQ(pull.status, 502) << pull.body;
  EXPECT_EQ(pull.body.value("kind", ""), "pull_failed");
  EXPECT_NE(pull.body.value("error", "").find("/nonexistent/module.wasm"), std::string::npos) << pull.body;

  // Bytes that are not UTF-8 in a request still get an answer naming them (escaped), not an empty 500.
  auto bad_name = request(sock, "GET", "/v1/instances/%FF-rep-0");
  EXPECT_EQ(bad_name.status / 100, 4) << bad_name.body;
  EXPECT_NE(bad_name.body.value("error", "").find("'\\xff-rep-0'"), std::string::npos) << bad_name.body;

  // The daemon is still serving after all of that.
  EXPECT_EQ(request(sock, "GET", "/v1/ping").status, 200);
}

// JSON nested `depth` levels: arrays, each inside the last.
std::string nested_arrays(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// One request with curl whose body is the file `body` (a body too large for
// one argument of the command line).
Answer request_with_body_file(const fs::path& socket, const std::string& method, const std::string& path, const fs::path& body) {
  auto r = run_process({"/usr/bin/curl", "-s", "-w", "\n%{http_code}", "--unix-socket", socket.string(), "-X", method, "-H",
                        "Content-Type: application/json", "--data-binary", "@" + body.string(), "http://localhost" + path});
  auto nl = r.out.rfind('\n');
  Answer a;
  a.status = std::stoi(r.out.substr(nl + 1));
  a.body = json::parse(r.out.substr(0, nl), nullptr, false);
  return a;
}

// A request body nested 300,000 deep is refused with a 400 naming the limit,
// as all JSON from outside is (util/untrusted_json.h). It used to parse
// (nlohmann's parser is iterative), and the error naming a bad 'replica'
// dumped it, recursing once per level: the daemon died of the overflowed
// stack, and every instance with it.
TEST(DaemonErrors, ADeeplyNestedBodyIsRefusedAndTheDaemonLivesOn) {
  if (!fs::exists("/usr/bin/curl")) GTEST_SKIP() << "curl is not installed";
  TempDir dir;
  Daemon d(dir.path() / "data");
  auto sock = dir.path() / "data/wasmlet.sock";
  std::string spec = "version: v1\\ndeployment: deep\\nservices:\\n  job:\\n    image: {name: " + fixture("rt_sleep") +
                     ", pull_policy: never}\\n    command: {args: [\\\"3600\\\"]}\\n";
  auto up = request(sock, "POST", "/v1/deployments", R"({"yaml": ")" + spec + R"("})");
  ASSERT_EQ(up.status, 201) << up.body;
  // A field of an answer; "" when there is no answer (a daemon that died answers nothing).
  auto text = [](const json& j, const char* key) { return j.is_object() && j[key].is_string() ? j[key].get<std::string>() : ""; };
  auto running = [&] {
    json info = request(sock, "GET", "/v1/instances/job-rep-0").body;
    return info.is_object() ? text(info["state"], "status") : "";
  };
  ASSERT_EQ(running(), "running");

  const std::string deep = nested_arrays(300'000);
  struct Case {
    std::string method, path, body;
  };
  for (const auto& c : std::vector<Case>{
           // A valid deployment that creates nothing: only the replica number is wrong, nested too deep.
           {"POST", "/v1/deployments", R"({"start": false, "yaml": ")" + spec + R"(", "replica": )" + deep + "}"},
           {"POST", "/v1/instances", deep},
           {"POST", "/v1/images/pull", R"({"reference": "x/y:1", "auth": {"username": )" + deep + "}}"},
           {"POST", "/v1/instances/job-rep-0/exec", R"({"cmd": )" + deep + "}"}}) {
    write_text(dir.path() / "body.json", c.body);
    auto a = request_with_body_file(sock, c.method, c.path, dir.path() / "body.json");
    EXPECT_EQ(a.status, 400) << c.path << ": " << a.body;
    EXPECT_EQ(text(a.body, "kind"), "invalid_argument") << c.path << ": " << a.body;
    EXPECT_NE(text(a.body, "error").find(c.method + " " + c.path + ": the request body nests JSON more than 64 levels deep"),
              std::string::npos)
        << c.path << ": " << a.body;
  }
  // A body at the limit is parsed (and refused for what it says, not for its depth).
  write_text(dir.path() / "body.json", R"({"cmd": )" + nested_arrays(63) + "}");
  auto at_limit = request_with_body_file(sock, "POST", "/v1/instances/job-rep-0/exec", dir.path() / "body.json");
  EXPECT_EQ(at_limit.status / 100, 4) << at_limit.body;
  EXPECT_EQ(text(at_limit.body, "error").find("levels deep"), std::string::npos) << at_limit.body;

  // The daemon still serves, and its instance still runs.
  EXPECT_EQ(::kill(d.pid(), 0), 0) << "the daemon died";
  EXPECT_EQ(request(sock, "GET", "/v1/ping").status, 200);
  EXPECT_EQ(running(), "running");
  EXPECT_EQ(request(sock, "POST", "/v1/instances/job-rep-0/kill", "{}").status, 200);
}

// Requests httplib would answer itself with an empty body get JSON errors
// too: a POST without Content-Length at once (not a 400 after the 30 s read
// timeout), an unknown path a 404 naming it.
TEST(DaemonErrors, MalformedRequestsGetJsonErrorsAtOnce) {
  if (!fs::exists("/usr/bin/curl")) GTEST_SKIP() << "curl is not installed";
  TempDir dir;
  Daemon d(dir.path() / "data");
  auto sock = dir.path() / "data/wasmlet.sock";
  const auto t0 = std::chrono::steady_clock::now();
  auto no_length = request(sock, "POST", "/v1/images/prune");  // curl -X POST sends no body and no Content-Length
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_EQ(no_length.status, 411) << no_length.body;
  EXPECT_EQ(no_length.body.value("kind", ""), "invalid_argument") << no_length.body;
  EXPECT_NE(no_length.body.value("error", "").find("POST /v1/images/prune: the request has no Content-Length"),
            std::string::npos) << no_length.body;
  auto unknown = request(sock, "GET", "/v1/nothing-here");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_NE(unknown.body.value("error", "").find("GET /v1/nothing-here: no such API path"), std::string::npos) << unknown.body;
  // With a Content-Length, an empty POST is fine.
  EXPECT_EQ(request(sock, "POST", "/v1/images/prune", "{}").status, 200);
}

// A tag target is a registry reference (OCI grammar), never a path: neither
// one that climbs out of the store nor one that shadows a module file.
TEST(DaemonErrors, ATagTargetMustBeARegistryReference) {
  if (!fs::exists("/usr/bin/curl")) GTEST_SKIP() << "curl is not installed";
  TempDir dir;
  Daemon d(dir.path() / "data");
  auto sock = dir.path() / "data/wasmlet.sock";
  auto pulled = request(sock, "POST", "/v1/images/pull", json{{"reference", fixture("exit_code")}}.dump());
  ASSERT_EQ(pulled.status, 200) << pulled.body;
  for (const std::string& target : {std::string("../../x"), std::string("../../x:1"), std::string("/tmp/evil.wasm"),
                                    std::string("file:///tmp/evil.wasm"), std::string("evil.wasm"), std::string("a/../../b"),
                                    std::string("Upper/case:1")}) {
    auto a = request(sock, "POST", "/v1/images/tag", json{{"source", fixture("exit_code")}, {"target", target}}.dump());
    EXPECT_EQ(a.status, 400) << target << ": " << a.body;
    EXPECT_EQ(a.body.value("kind", ""), "invalid_argument") << a.body;
    EXPECT_NE(a.body.value("error", "").find(target), std::string::npos) << a.body;
    auto cli = d.cli({"tag", fixture("exit_code"), target});
    EXPECT_EQ(cli.exit_code, 2) << target << ": " << cli.out << cli.err;
    EXPECT_NE(cli.err.find(target), std::string::npos) << cli.err;
  }
  auto index = read_text(dir.path() / "data/oci/index.json");
  for (const char* bad : {"evil", "../"}) EXPECT_EQ(index.find(bad), std::string::npos) << index;
  EXPECT_FALSE(fs::exists(dir.path() / "x"));
  auto ok = request(sock, "POST", "/v1/images/tag", json{{"source", fixture("exit_code")}, {"target", "localhost/ok:1"}}.dump());
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_NE(read_text(dir.path() / "data/oci/index.json").find("localhost/ok:1"), std::string::npos);
}

// The table itself, for the classes no daemon route produces today.
TEST(DaemonErrors, TheStatusTableCoversEveryCode) {
  using server::http_status;
  EXPECT_EQ(http_status(ErrorCode::InvalidArgument), 400);
  EXPECT_EQ(http_status(ErrorCode::PermissionDenied), 403);
  EXPECT_EQ(http_status(ErrorCode::NotFound), 404);
  EXPECT_EQ(http_status(ErrorCode::Conflict), 409);
  EXPECT_EQ(http_status(ErrorCode::LimitExceeded), 422);
  EXPECT_EQ(http_status(ErrorCode::Compile), 422);
  EXPECT_EQ(http_status(ErrorCode::Link), 422);
  EXPECT_EQ(http_status(ErrorCode::GuestFailed), 422);
  EXPECT_EQ(http_status(ErrorCode::Unsupported), 501);
  EXPECT_EQ(http_status(ErrorCode::Unavailable), 502);
  EXPECT_EQ(http_status(ErrorCode::Io), 500);
  EXPECT_EQ(http_status(ErrorCode::Internal), 500);
  // Each dialect carries its code.
  EXPECT_EQ(CompileError("x").code(), ErrorCode::Compile);
  EXPECT_EQ(LinkError("x").code(), ErrorCode::Link);
  EXPECT_EQ(UsageError("x").code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(registry::NotFoundError("x").code(), ErrorCode::NotFound);
  EXPECT_EQ(registry::ImageInUseError("x").code(), ErrorCode::Conflict);
  EXPECT_EQ(registry::AuthError("x").code(), ErrorCode::PermissionDenied);
  EXPECT_EQ(runtime::RuntimeError(runtime::RuntimeError::Kind::AlreadyExists, "x").code(), ErrorCode::Conflict);
  EXPECT_EQ(runtime::RuntimeError(runtime::RuntimeError::Kind::PullFailed, "x").code(), ErrorCode::Unavailable);
  EXPECT_EQ(PluginError(PluginError::Kind::Timeout, "p", "f", "x").code(), ErrorCode::LimitExceeded);
  EXPECT_EQ(PluginError(PluginError::Kind::Trap, "p", "f", "x").code(), ErrorCode::GuestFailed);
}

// A RuntimeError is answered by its kind: the status of its code, but 503
// for shutting_down (the daemon is what is unavailable, for now), and the
// kind as "kind". Every other error by its code.
TEST(DaemonErrors, TheStatusOfARuntimeErrorFollowsItsKind) {
  using server::error_kind;
  using server::http_status;
  using K = runtime::RuntimeError::Kind;
  for (K kind : {K::NotFound, K::InvalidSpec, K::InvalidArgument, K::AlreadyExists, K::Conflict, K::Unsupported,
                 K::PullFailed, K::Internal}) {
    EXPECT_EQ(http_status(kind), http_status(runtime::RuntimeError::error_code(kind))) << runtime::to_string(kind);
    const runtime::RuntimeError e(kind, "x");
    EXPECT_EQ(http_status(static_cast<const Error&>(e)), http_status(kind)) << runtime::to_string(kind);
    EXPECT_STREQ(error_kind(e), runtime::to_string(kind));
  }
  EXPECT_EQ(http_status(K::ShuttingDown), 503);
  const runtime::RuntimeError shutting_down(K::ShuttingDown, "the daemon is shutting down");
  EXPECT_EQ(http_status(static_cast<const Error&>(shutting_down)), 503);
  EXPECT_STREQ(error_kind(shutting_down), "shutting_down");
  // Its code is unavailable, what the client makes of a 503 without a kind it knows.
  EXPECT_EQ(shutting_down.code(), ErrorCode::Unavailable);
  EXPECT_EQ(server::error_code_from_status(503), ErrorCode::Unavailable);
  const CompileError compile("x");
  EXPECT_EQ(http_status(static_cast<const Error&>(compile)), 422);
  EXPECT_STREQ(error_kind(compile), "compile");
}

// A stand-in for the daemon on a Unix socket: answers each request with the
// status and body listed for its path, so the client meets answers no route
// of today's daemon gives (a compile error, an unknown kind, a body that is
// not JSON).
class FakeDaemon {
 public:
  FakeDaemon(const fs::path& socket, std::map<std::string, std::pair<int, std::string>> answers)
      : answers_(std::move(answers)) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket.c_str(), sizeof addr.sun_path - 1);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) || ::listen(fd_, 8))
      throw std::runtime_error("cannot listen on " + socket.string() + ": " + std::strerror(errno));
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeDaemon() {
    ::shutdown(fd_, SHUT_RDWR);  // accept() returns: the thread ends
    thread_.join();
    ::close(fd_);
  }

 private:
  void serve() {
    for (;;) {
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      std::string request;
      char buf[1024];
      ssize_t n;
      while (request.find("\r\n\r\n") == std::string::npos && (n = ::read(c, buf, sizeof buf)) > 0) request.append(buf, n);
      auto path_start = request.find(' ') + 1;
      std::string path = request.substr(path_start, request.find(' ', path_start) - path_start);
      auto it = answers_.find(path);
      auto [status, body] = it == answers_.end() ? std::pair<int, std::string>{500, "no answer for " + path} : it->second;
      std::string response = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
      (void)!::write(c, response.data(), response.size());
      ::close(c);
    }
  }
  std::map<std::string, std::pair<int, std::string>> answers_;
  int fd_ = -1;
  std::thread thread_;
};

// The client turns every error answer back into the error the daemon had:
// a RuntimeError for the runtime's kinds, else an Error with the code the
// kind or, failing that, the HTTP status names (never Internal for a code
// it knows).
TEST(DaemonErrors, TheClientKeepsTheCodeOfEveryAnswer) {
  TempDir dir;
  auto sock = dir.path() / "fake.sock";
  auto answer = [](const std::string& message, const std::string& kind) {
    return json{{"error", message}, {"kind", kind}}.dump();
  };
  FakeDaemon fake(sock, {{"/pull", {502, answer("cannot pull x/y:1: connection refused", "pull_failed")}},
                         {"/spec", {400, answer("spec.yaml: services.job.image: missing", "invalid_spec")}},
                         {"/compile", {422, answer("module m: byte 0x8: bad magic", "compile")}},
                         {"/link", {422, answer("module m: unknown import env.f", "link")}},
                         {"/denied", {403, answer("registry r: credentials rejected", "permission_denied")}},
                         {"/limit", {422, answer("plugin p: fuel exhausted", "limit_exceeded")}},
                         {"/io", {500, answer("cannot write /data/x: disk full", "io")}},
                         {"/teapot", {404, answer("no such thing", "teapot")}},
                         {"/not-json", {502, "Bad Gateway"}}});
  server::Client client(sock);
  struct Expect {
    std::string path;
    ErrorCode code;
    std::optional<runtime::RuntimeError::Kind> runtime_kind;
    std::string message;
  };
  using K = runtime::RuntimeError::Kind;
  for (const auto& e : std::vector<Expect>{{"/pull", ErrorCode::Unavailable, K::PullFailed, "cannot pull x/y:1"},
                                           {"/spec", ErrorCode::InvalidArgument, K::InvalidSpec, "services.job.image"},
                                           {"/compile", ErrorCode::Compile, std::nullopt, "bad magic"},
                                           {"/link", ErrorCode::Link, std::nullopt, "unknown import env.f"},
                                           {"/denied", ErrorCode::PermissionDenied, std::nullopt, "credentials rejected"},
                                           {"/limit", ErrorCode::LimitExceeded, std::nullopt, "fuel exhausted"},
                                           {"/io", ErrorCode::Io, std::nullopt, "disk full"},
                                           {"/teapot", ErrorCode::NotFound, std::nullopt, "no such thing"},
                                           {"/not-json", ErrorCode::Unavailable, std::nullopt, "HTTP 502: Bad Gateway"}}) {
    try {
      client.request("GET", e.path);
      ADD_FAILURE() << e.path << ": no error thrown";
    } catch (const Error& err) {
      EXPECT_EQ(err.code(), e.code) << e.path << ": " << to_string(err.code()) << ": " << err.what();
      EXPECT_NE(std::string(err.what()).find(e.message), std::string::npos) << e.path << ": " << err.what();
      auto* runtime_error = dynamic_cast<const runtime::RuntimeError*>(&err);
      EXPECT_EQ(runtime_error != nullptr, e.runtime_kind.has_value()) << e.path;
      if (runtime_error && e.runtime_kind) EXPECT_EQ(runtime_error->kind(), *e.runtime_kind) << e.path;
    }
  }
}

// The client reads what answers on the socket with the same nesting limit:
// a reply, an error reply or a streamed line nested 300,000 deep is an error
// naming the limit, not a CLI that overflows its stack printing it.
TEST(DaemonErrors, TheClientRefusesADeeplyNestedAnswer) {
  TempDir dir;
  auto sock = dir.path() / "fake.sock";
  const std::string deep = nested_arrays(300'000);
  FakeDaemon fake(sock, {{"/deep", {200, deep}},
                         {"/deep-error", {500, R"({"error": "x", "kind": )" + deep + "}"}},
                         {"/deep-line", {200, "{\"a\": 1}\n" + deep + "\n"}},
                         {"/at-limit", {200, nested_arrays(64)}}});
  server::Client client(sock);
  for (const std::string path : {"/deep", "/deep-error"}) {
    try {
      client.request("GET", path);
      ADD_FAILURE() << path << ": no error thrown";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("a body that nests JSON more than 64 levels deep"), std::string::npos)
          << path << ": " << e.what();
    }
  }
  int lines = 0;
  try {
    client.stream("GET", "/deep-line", nullptr, [&](const json&) { return ++lines > 0; });
    ADD_FAILURE() << "no error thrown";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("a line that nests JSON more than 64 levels deep"), std::string::npos) << e.what();
  }
  EXPECT_EQ(lines, 1);  // the line before it was read
  EXPECT_TRUE(client.request("GET", "/at-limit").is_array());
}

// The CLI's exit status follows the error's code (docs/cli.md, "Errors and
// exit status"): a bad argument is 2 even when the runtime found it, a
// missing instance 1.
TEST(DaemonErrors, TheCliExitStatusFollowsTheCode) {
  TempDir dir;
  Daemon d(dir.path() / "data");
  auto bad_since = d.cli({"logs", "ghost-rep-0", "--since", "yesterday-ish"});
  EXPECT_EQ(bad_since.exit_code, 2) << bad_since.err;
  EXPECT_NE(bad_since.err.find("yesterday-ish"), std::string::npos) << bad_since.err;
  EXPECT_EQ(bad_since.err.find("See 'wasmlet"), std::string::npos) << "not a usage error of the CLI: " << bad_since.err;
  auto missing = d.cli({"inspect", "ghost-rep-0"});
  EXPECT_EQ(missing.exit_code, 1) << missing.err;
  EXPECT_NE(missing.err.find("ghost-rep-0"), std::string::npos) << missing.err;
  auto usage = d.cli({"logs", "ghost-rep-0", "--tail"});
  EXPECT_EQ(usage.exit_code, 2) << usage.err;
  EXPECT_NE(usage.err.find("See 'wasmlet logs --help'"), std::string::npos) << usage.err;
}

}  // namespace
}  // namespace wasmlet::testing

// One error model (issue 16): every error class the daemon can meet is
// answered with the status of server/http_status.h's table and a "kind",
// against a real `wasmlet serve` (curl as an independent client).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "runtime_support.h"
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

  // The daemon is still serving after all of that.
  EXPECT_EQ(request(sock, "GET", "/v1/ping").status, 200);
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

}  // namespace
}  // namespace wasmlet::testing

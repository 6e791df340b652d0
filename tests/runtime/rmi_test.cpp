// `wasmlet rmi` refuses to remove an image that an instance uses: it asks a
// real `wasmlet serve` (GET /v1/images/users), and without a daemon it goes
// by the instances recorded in DATA_DIR/state.db.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "runtime_support.h"

namespace wasmlet::testing {
namespace {

using nlohmann::json;

bool stored(const Daemon& d, const std::string& reference) {
  auto r = d.cli({"images", "--format", "json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const auto& i : json::parse(r.out))
    if (i["reference"] == reference) return true;
  return false;
}

TEST(ImageRemoval, RefusedWhileAnInstanceUsesTheImageAskingTheDaemonOrTheRecordedState) {
  TempDir dir;
  Daemon d(dir.path() / "data");
  for (const char* ref : {"local/job:1", "local/free:1", "local/forced:1"})
    ASSERT_EQ(d.cli({"load", fixture("exit_code"), ref}).exit_code, 0) << ref;
  write_text(dir.path() / "spec.yaml",
             "version: v1\ndeployment: rmi\nservices:\n"
             "  job:\n    image: {name: local/job:1, pull_policy: never}\n    command: {args: [\"0\"]}\n"
             "  forced:\n    image: {name: docker.io/local/forced:1, pull_policy: never}\n    command: {args: [\"0\"]}\n");
  auto up = d.cli({"up", "-f", (dir.path() / "spec.yaml").string()});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  // A finished instance still uses its image: it can be started again.
  ASSERT_EQ(d.cli({"wait", "job-rep-0"}).exit_code, 0);

  // The daemon answers (no note), naming the instance; the reference is
  // normalized on both sides (local/job:1 = docker.io/local/job:1).
  auto refused = d.cli({"rmi", "docker.io/local/job:1"});
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  EXPECT_NE(refused.err.find("image docker.io/local/job:1 is used by instance job-rep-0; remove it first (wasmlet rm) or force the removal (-f)"),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(refused.err.find("note:"), std::string::npos) << refused.err;
  EXPECT_TRUE(stored(d, "docker.io/local/job:1"));

  // The API the CLI asked (curl: an independent client on the socket).
  auto sock = (dir.path() / "data/wasmlet.sock").string();
  auto users = run_process({"/usr/bin/curl", "-s", "--unix-socket", sock, "http://localhost/v1/images/users?reference=local%2Fjob%3A1"});
  EXPECT_EQ(json::parse(users.out), json::parse(R"({"reference":"docker.io/local/job:1","instances":["job-rep-0"]})")) << users.out;
  auto bad = run_process({"/usr/bin/curl", "-s", "-w", "\n%{http_code}", "--unix-socket", sock, "http://localhost/v1/images/users?reference=Bad%2F%2Fname"});
  EXPECT_NE(bad.out.find("\"kind\":\"invalid_argument\""), std::string::npos) << bad.out;
  EXPECT_TRUE(bad.out.ends_with("\n400")) << bad.out;

  auto unused = d.cli({"rmi", "local/free:1"});
  EXPECT_EQ(unused.exit_code, 0) << unused.err;
  EXPECT_EQ(unused.out, "Untagged docker.io/local/free:1\n");
  EXPECT_FALSE(stored(d, "docker.io/local/free:1"));

  auto forced = d.cli({"rmi", "-f", "local/forced:1"});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_FALSE(stored(d, "docker.io/local/forced:1"));

  // No daemon: the recorded instances decide, and a note says so.
  d.terminate();
  auto offline = d.cli({"rmi", "local/job:1"});
  EXPECT_EQ(offline.exit_code, 1) << offline.out;
  EXPECT_NE(offline.err.find("note: no wasmlet daemon is running at " + (dir.path() / "data/wasmlet.sock").string() +
                             "; checked the 2 instances recorded in " + (dir.path() / "data/state.db").string() + " instead"),
            std::string::npos)
      << offline.err;
  EXPECT_NE(offline.err.find("is used by instance rmi.job-rep-0"), std::string::npos) << offline.err;  // the recorded, qualified id
  EXPECT_TRUE(stored(d, "docker.io/local/job:1"));

  // Once the instance is gone the image may go.
  d.start();
  ASSERT_EQ(d.cli({"rm", "job-rep-0"}).exit_code, 0);
  auto removed = d.cli({"rmi", "local/job:1"});
  EXPECT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_FALSE(stored(d, "docker.io/local/job:1"));
}

TEST(ImageRemoval, WithoutDaemonOrRecordedInstancesTheLocalStoreDecides) {
  TempDir dir;
  auto data = (dir.path() / "data").string();
  ASSERT_EQ(wasmlet({"load", "--data-dir", data, fixture("exit_code"), "local/lonely:1"}).exit_code, 0);
  auto r = wasmlet({"rmi", "--data-dir", data, "local/lonely:1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("note: no wasmlet daemon is running at " + data + "/wasmlet.sock and no instances are recorded in " + data),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "data/state.db"));  // asking created nothing
}

// A module file an instance ran is listed by `images` under its path, and
// `rmi PATH` removes it once no instance uses it (it had removed it, then
// failed with "invalid image reference" printing what it untagged).
TEST(ImageRemoval, AModuleFileImageIsRemovedByItsPath) {
  TempDir dir;
  Daemon d(dir.path() / "data");
  const std::string module = fixture("exit_code");
  ASSERT_EQ(d.cli({"run", "-d", "--name", "once", module}).exit_code, 0);
  ASSERT_EQ(d.cli({"wait", "once-rep-0"}).exit_code, 0);
  ASSERT_TRUE(stored(d, module));
  ASSERT_EQ(d.cli({"rm", "once-rep-0"}).exit_code, 0);
  auto r = d.cli({"rmi", module});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Untagged " + module + "\n");
  EXPECT_FALSE(stored(d, module));
}

}  // namespace
}  // namespace wasmlet::testing

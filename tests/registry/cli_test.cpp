// The image verbs of the wasmlet CLI against a real registry. Skipped when
// the CLI has not been built (it needs the whole engine).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "pty_session.h"
#include "registry_fixture.h"

using namespace wasmlet::registry::testing;

namespace {

class CliImages : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(WASMLET_BIN)) GTEST_SKIP() << WASMLET_BIN << " is not built";
    write_text(dir_.path() / "app.wasm", tiny_module('c'));
  }
  int wasmlet(const std::string& args, std::string* out, const std::string& stdin_text = "") {
    std::string cmd = "WASMLET_DATA_DIR=" + (dir_.path() / "data").string() + " HOME=" + dir_.path().string() + " " +
                      WASMLET_BIN + " " + args;
    if (!stdin_text.empty()) cmd = "printf '%s\\n' '" + stdin_text + "' | " + cmd;
    return run(cmd, out);
  }
  TempDir dir_;
};

}  // namespace

TEST_F(CliImages, PushPullListTagInspectRemovePrune) {
  RegistryProcess registry;
  std::string ref = registry.host() + "/cli/app:1", out;
  ASSERT_EQ(wasmlet("push " + (dir_.path() / "app.wasm").string() + " " + ref, &out), 0) << out;
  EXPECT_NE(out.find("Pushed " + ref + " sha256:"), std::string::npos) << out;
  ASSERT_EQ(wasmlet("pull " + ref, &out), 0) << out;
  EXPECT_NE(out.find("Pulled " + ref), std::string::npos) << out;
  ASSERT_EQ(wasmlet("pull --policy IfNotPresent " + ref, &out), 0) << out;
  EXPECT_NE(out.find("Image is up to date for " + ref), std::string::npos) << out;
  ASSERT_EQ(wasmlet("tag " + ref + " local/app:dev", &out), 0) << out;
  ASSERT_EQ(wasmlet("load " + (dir_.path() / "app.wasm").string() + " loaded/app:1", &out), 0) << out;
  ASSERT_EQ(wasmlet("images --format json", &out), 0) << out;
  auto images = nlohmann::json::parse(out);
  ASSERT_EQ(images.size(), 3u) << out;
  EXPECT_EQ(images[0]["reference"], ref);
  EXPECT_EQ(images[0]["wasi_version"], "wasip1");
  EXPECT_EQ(images[1]["reference"], "docker.io/local/app:dev");
  ASSERT_EQ(wasmlet("images", &out), 0) << out;
  EXPECT_NE(out.find("REFERENCE"), std::string::npos);
  ASSERT_EQ(wasmlet("inspect-image --format json " + ref, &out), 0) << out;
  auto inspect = nlohmann::json::parse(out);
  EXPECT_EQ(inspect["config"]["os"], "wasip1");
  EXPECT_EQ(inspect["manifest"]["layers"][0]["mediaType"], "application/wasm");
  ASSERT_EQ(wasmlet("rmi " + ref, &out), 0) << out;
  ASSERT_EQ(wasmlet("rmi local/app:dev", &out), 0) << out;
  ASSERT_EQ(wasmlet("prune", &out), 0) << out;
  // The layer is shared with loaded/app:1; the pulled manifest (and config) go.
  EXPECT_NE(out.find("reclaimed"), std::string::npos) << out;
  EXPECT_EQ(wasmlet("rmi nothing/here:1", &out), 1);
  EXPECT_NE(out.find("nothing/here:1 is not in the image store"), std::string::npos) << out;
  EXPECT_EQ(wasmlet("pull --policy Never " + registry.host() + "/cli/other:1", &out), 1);
  EXPECT_NE(out.find("wasmlet: error: image " + registry.host() + "/cli/other:1 is not in the local store"), std::string::npos) << out;
  EXPECT_NE(out.find("policy is Never"), std::string::npos) << out;
  EXPECT_EQ(wasmlet("pull 'Bad/Ref'", &out), 2);
  EXPECT_NE(out.find("lowercase"), std::string::npos) << out;
}

// A digest in a reference pins exact content: loading, pushing or tagging
// other content under it is refused (a tag could otherwise make
// `registry/app@<trusted digest>` run something else with --pull never).
TEST_F(CliImages, ADigestReferenceCannotNameOtherContent) {
  RegistryProcess registry;
  const std::string zeros = "@sha256:" + std::string(64, '0');
  std::string out;
  EXPECT_EQ(wasmlet("load " + (dir_.path() / "app.wasm").string() + " local/x" + zeros, &out), 2) << out;
  EXPECT_NE(out.find("cannot load docker.io/local/x" + zeros + ": its digest"), std::string::npos) << out;
  EXPECT_EQ(wasmlet("push " + (dir_.path() / "app.wasm").string() + " " + registry.host() + "/t/x" + zeros, &out), 2) << out;
  EXPECT_NE(out.find("cannot push"), std::string::npos) << out;
  EXPECT_EQ(out.find("Pushed"), std::string::npos) << out;
  ASSERT_EQ(wasmlet("load " + (dir_.path() / "app.wasm").string() + " local/x:1", &out), 0) << out;
  EXPECT_EQ(wasmlet("tag local/x:1 other/y" + zeros, &out), 2) << out;
  EXPECT_NE(out.find("cannot tag"), std::string::npos) << out;
  ASSERT_EQ(wasmlet("images --format json", &out), 0) << out;
  EXPECT_EQ(nlohmann::json::parse(out).size(), 1u) << out;
  // The content's own digest is accepted.
  ASSERT_EQ(wasmlet("inspect-image --format json local/x:1", &out), 0) << out;
  const std::string own = "@" + nlohmann::json::parse(out)["digest"].get<std::string>();
  EXPECT_EQ(wasmlet("tag local/x:1 other/y" + own, &out), 0) << out;
}

// The compat image form (docs/kubernetes.md): what container engines unpack
// and wasmlet-oci runs; wasmlet pull takes it back as a wasm image.
TEST_F(CliImages, PushOciImageIsACompatImageThatPullAccepts) {
  RegistryProcess registry;
  std::string out;
  for (const char* gzip : {"", "--gzip "}) {
    std::string ref = registry.host() + "/cli/compat:" + (*gzip ? "gz" : "plain");
    ASSERT_EQ(wasmlet(std::string("push --oci-image ") + gzip + (dir_.path() / "app.wasm").string() + " " + ref, &out), 0) << out;
    ASSERT_EQ(wasmlet("pull " + ref, &out), 0) << out;
    EXPECT_NE(out.find("Pulled " + ref), std::string::npos) << out;
    EXPECT_NE(out.find("(wasip1, image, "), std::string::npos) << out;
    ASSERT_EQ(wasmlet("inspect-image --format json " + ref, &out), 0) << out;
    auto inspect = nlohmann::json::parse(out);
    EXPECT_EQ(inspect["config"]["os"], "wasip1");
    EXPECT_EQ(inspect["config"]["architecture"], "wasm");
    EXPECT_EQ(inspect["config"]["config"]["Entrypoint"][0], "/app.wasm");
    EXPECT_EQ(inspect["manifest"]["annotations"]["module.wasm.image/variant"], "compat");
    EXPECT_EQ(inspect["manifest"]["layers"][0]["mediaType"],
              *gzip ? "application/vnd.oci.image.layer.v1.tar+gzip" : "application/vnd.oci.image.layer.v1.tar");
  }
  EXPECT_EQ(wasmlet("push --gzip " + (dir_.path() / "app.wasm").string() + " " + registry.host() + "/cli/x:1", &out), 2);
  EXPECT_NE(out.find("--gzip applies to --oci-image"), std::string::npos) << out;
  // The same image as an OCI layout tar (ctr images import, podman load).
  std::string tar = (dir_.path() / "app.tar").string();
  ASSERT_EQ(wasmlet("image build " + (dir_.path() / "app.wasm").string() + " example.com/app:1 -o " + tar, &out), 0) << out;
  EXPECT_NE(out.find("Built example.com/app:1 sha256:"), std::string::npos) << out;
  std::string listing;
  ASSERT_EQ(run("tar -tf " + tar, &listing), 0) << listing;
  EXPECT_NE(listing.find("oci-layout"), std::string::npos) << listing;
  EXPECT_NE(listing.find("index.json"), std::string::npos) << listing;
  EXPECT_NE(listing.find("blobs/sha256/"), std::string::npos) << listing;
  write_text(dir_.path() / "not.wasm", "not a module");
  EXPECT_EQ(wasmlet("image build " + (dir_.path() / "not.wasm").string() + " example.com/app:1 -o " + tar, &out), 2);
  EXPECT_NE(out.find("not.wasm is not a WebAssembly binary"), std::string::npos) << out;
}

TEST_F(CliImages, LoginStoresCredentials0600) {
  std::string line, out;
  ASSERT_EQ(run("htpasswd -Bbn carol pw123", &line), 0);
  write_text(dir_.path() / "htpasswd", line);
  RegistryProcess registry("auth:\n  htpasswd:\n    realm: t\n    path: " + (dir_.path() / "htpasswd").string() + "\n");
  std::string ref = registry.host() + "/cli/private:1";
  EXPECT_EQ(wasmlet("push " + (dir_.path() / "app.wasm").string() + " " + ref, &out), 1);
  EXPECT_NE(out.find("wasmlet login " + registry.host()), std::string::npos) << out;
  EXPECT_EQ(wasmlet("login " + registry.host() + " -u carol --password-stdin", &out, "wrong"), 1);
  EXPECT_NE(out.find("registry " + registry.host()), std::string::npos) << out;
  ASSERT_EQ(wasmlet("login " + registry.host() + " -u carol --password-stdin", &out, "pw123"), 0) << out;
  struct stat st{};
  ASSERT_EQ(stat((dir_.path() / "data/auth.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  ASSERT_EQ(wasmlet("push " + (dir_.path() / "app.wasm").string() + " " + ref, &out), 0) << out;
  ASSERT_EQ(wasmlet("pull " + ref, &out), 0) << out;
  ASSERT_EQ(wasmlet("logout " + registry.host(), &out), 0) << out;
  EXPECT_NE(out.find("Removed login credentials for " + registry.host()), std::string::npos) << out;
  EXPECT_EQ(wasmlet("push " + (dir_.path() / "app.wasm").string() + " " + ref, &out), 1);
  EXPECT_EQ(wasmlet("logout " + registry.host(), &out), 1);
  EXPECT_NE(out.find("wasmlet: error: not logged in to " + registry.host()), std::string::npos) << out;
}

// `login` without --password-stdin at a terminal prompts for the password
// and does not echo it (checked on a real pseudo-terminal); the terminal
// echoes again afterwards. Without a terminal it reads a line of stdin.
TEST_F(CliImages, LoginPromptsOnATerminalWithoutEcho) {
  std::string line, out;
  ASSERT_EQ(run("htpasswd -Bbn dave s3cret-pw", &line), 0);
  write_text(dir_.path() / "htpasswd", line);
  RegistryProcess registry("auth:\n  htpasswd:\n    realm: t\n    path: " + (dir_.path() / "htpasswd").string() + "\n");
  const std::vector<std::string> env = {"WASMLET_DATA_DIR=" + (dir_.path() / "data").string(),
                                        "HOME=" + dir_.path().string(), "PATH=/usr/bin:/bin"};
  auto login_at_terminal = [&](const std::string& password, int expected_status) {
    wasmlet::testing::PtySession tty({WASMLET_BIN, "login", registry.host(), "-u", "dave"}, env);
    ASSERT_TRUE(tty.read_until("Password: ")) << tty.output();
    EXPECT_FALSE(tty.echoes()) << "echo is still on while the password is typed";
    tty.type(password + "\n");
    EXPECT_EQ(tty.finish(), expected_status) << tty.output();
    EXPECT_EQ(tty.output().find(password), std::string::npos) << "the password was echoed:\n" << tty.output();
    EXPECT_TRUE(tty.echoes()) << "login left the terminal without echo";
    out = tty.output();
  };
  login_at_terminal("wrong-pw", 1);
  EXPECT_NE(out.find("wasmlet: error:"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(dir_.path() / "data/auth.json"));
  // Ctrl-C at the prompt ends login (killed by SIGINT) with echo back on.
  {
    wasmlet::testing::PtySession tty({WASMLET_BIN, "login", registry.host(), "-u", "dave"}, env);
    ASSERT_TRUE(tty.read_until("Password: ")) << tty.output();
    EXPECT_FALSE(tty.echoes());
    tty.type("half-typed\x03");
    EXPECT_EQ(tty.finish(), -1) << tty.output();
    EXPECT_TRUE(tty.echoes()) << "Ctrl-C at the prompt left the terminal without echo";
    EXPECT_FALSE(fs::exists(dir_.path() / "data/auth.json"));
  }
  login_at_terminal("s3cret-pw", 0);
  EXPECT_NE(out.find("Login stored for " + registry.host()), std::string::npos) << out;
  EXPECT_NE(read_text(dir_.path() / "data/auth.json").find(registry.host()), std::string::npos);

  // No terminal: a line of stdin, with or without --password-stdin; nothing is prompted.
  ASSERT_EQ(wasmlet("logout " + registry.host(), &out), 0) << out;
  ASSERT_EQ(wasmlet("login " + registry.host() + " -u dave", &out, "s3cret-pw"), 0) << out;
  EXPECT_EQ(out.find("Password:"), std::string::npos) << out;
  ASSERT_EQ(wasmlet("login " + registry.host() + " -u dave --password-stdin", &out, "s3cret-pw"), 0) << out;
  EXPECT_EQ(wasmlet("login " + registry.host() + " -u dave --password-stdin < /dev/null", &out), 2);
  EXPECT_NE(out.find("wasmlet: error: login: no password on stdin"), std::string::npos) << out;
}

TEST_F(CliImages, ListingImagesCreatesNoDirectories) {
  std::string out;
  ASSERT_EQ(wasmlet("images", &out), 0) << out;
  EXPECT_NE(out.find("REFERENCE"), std::string::npos) << out;
  ASSERT_EQ(wasmlet("images --format json", &out), 0) << out;
  EXPECT_EQ(out, "[]\n");
  EXPECT_FALSE(fs::exists(dir_.path() / "data"));
}

// `wasmlet run REFERENCE` as `docker run IMAGE`: pulled per --pull, then run
// like a file (arguments, exit status, stdin).
TEST_F(CliImages, RunPullsAReferenceAndRunsIt) {
  RegistryProcess registry;
  std::string exit_ref = registry.host() + "/tools/exit:1", cat_ref = registry.host() + "/tools/cat:1", out;
  ASSERT_EQ(wasmlet("push " + std::string(WASM_DIR) + "/exit_code.wasm " + exit_ref, &out), 0) << out;
  ASSERT_EQ(wasmlet("push " + std::string(WASM_DIR) + "/cat_stdin.wasm " + cat_ref, &out), 0) << out;

  EXPECT_EQ(wasmlet("run --pull never " + exit_ref + " 5", &out), 1);
  EXPECT_NE(out.find("wasmlet: error: image " + exit_ref + " is not in the local store"), std::string::npos) << out;
  EXPECT_NE(out.find("--pull is never"), std::string::npos) << out;
  EXPECT_EQ(wasmlet("run " + exit_ref + " -- 5", &out), 5) << out;  // missing: pulled now
  EXPECT_EQ(wasmlet("run --pull never " + exit_ref + " 6", &out), 6) << out;
  EXPECT_EQ(wasmlet("run --pull always " + exit_ref + " 7", &out), 7) << out;
  ASSERT_EQ(wasmlet("images --format json", &out), 0);
  EXPECT_NE(out.find(exit_ref), std::string::npos) << out;

  std::string cmd = "printf 'through an image\\n' | WASMLET_DATA_DIR=" + (dir_.path() / "data").string() + " " + WASMLET_BIN +
                    " run " + cat_ref;
  ASSERT_EQ(run(cmd, &out), 0) << out;
  EXPECT_EQ(out, "through an image\n");

  EXPECT_EQ(wasmlet("run " + registry.host() + "/tools/absent:1", &out), 1);
  EXPECT_NE(out.find("wasmlet: error: '" + registry.host() + "/tools/absent:1' is not a file, and pulling image"), std::string::npos)
      << out;
}

// `wasmlet plugin call REFERENCE`: a plugin pulled from a registry per --pull, as `run` does.
TEST_F(CliImages, PluginCallPullsAReference) {
  RegistryProcess registry;
  std::string ref = registry.host() + "/plugins/json-transform:1", out;
  ASSERT_EQ(wasmlet("push " + std::string(WASM_DIR) + "/json_transform.wasm " + ref, &out), 0) << out;
  EXPECT_EQ(wasmlet("plugin call --pull never " + ref + " --input '{\"a\":\"x\"}'", &out), 1);
  EXPECT_NE(out.find("wasmlet: error: image " + ref + " is not in the local store"), std::string::npos) << out;
  ASSERT_EQ(wasmlet("plugin call " + ref + " --input '{\"a\":\"x\"}' --config case=upper", &out), 0) << out;
  EXPECT_NE(out.find("{\"transformed\":{\"a\":\"X\"},\"strings\":1}"), std::string::npos) << out;
  ASSERT_EQ(wasmlet("plugin call --pull never " + ref + " --input '{\"b\":\"y\"}'", &out), 0) << out;  // stored now
  EXPECT_NE(out.find("{\"transformed\":{\"b\":\"Y\"},\"strings\":1}"), std::string::npos) << out;
}

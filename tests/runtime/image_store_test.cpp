// One image store (issue 16): the daemon's runtime and the CLI's image
// verbs act on the same OCI store (DATA_DIR/oci), and the images wasmlet 0.1
// kept in DATA_DIR/images are still there after an upgrade.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "runtime_support.h"
#include "wasmlet/registry/digest.h"
#include "wasmlet/registry/image_store.h"
#include "wasmlet/registry/pull_policy.h"
#include "wasmlet/runtime/wasm_runtime.h"
#include "wasmlet/sha256.h"

namespace wasmlet::runtime {
namespace {

using testing::fixture;
using testing::read_text;
using testing::service;
using testing::TempDir;
using testing::write_text;
namespace fs = std::filesystem;

bool listed(const std::vector<ImageRecord>& images, const std::string& reference) {
  for (const auto& i : images)
    if (i.reference == reference) return true;
  return false;
}

// Writes an image the way wasmlet 0.1's runtime stored it.
void write_legacy_image(const fs::path& data_dir, const std::string& reference, const std::string& module) {
  std::string hex = sha256_hex(module);
  fs::create_directories(data_dir / "images" / "refs");
  write_text(data_dir / "images" / ("sha256-" + hex + ".wasm"), module);
  write_text(data_dir / "images" / "refs" / (sha256_hex(reference) + ".ref"), reference + "\nsha256:" + hex + "\n");
}

TEST(OneImageStore, TheRuntimeAndTheRegistryStoreShareImages) {
  TempDir dir;
  auto data = dir.path() / "data";
  WasmRuntime rt{WasmRuntimeConfig{data}};
  auto bytes = read_text(fixture("exit_code"));
  rt.import_image("localhost/from-runtime:1", {bytes.begin(), bytes.end()});
  auto store = registry::ImageStore::open(data);
  ASSERT_TRUE(store.find("localhost/from-runtime:1"));
  registry::load_wasm(store, bytes, "exit_code.wasm", "localhost/from-cli:1");
  EXPECT_TRUE(listed(rt.list_images(), "localhost/from-cli:1"));
  // An instance runs it, and the CLI's prune (which keeps recorded modules) leaves it.
  InstanceId id{"shared", 0};
  rt.create(id, service("localhost/from-cli:1", {"7"}));
  store.remove("localhost/from-cli:1", true);
  store.prune({rt.inspect(id).image_path});
  rt.start(id);
  EXPECT_EQ(rt.wait(id), 7);
}

TEST(OneImageStore, ImagesOfTheOldLayoutSurviveTheUpgrade) {
  TempDir dir;
  auto data = dir.path() / "data";
  std::string exit_code = read_text(fixture("exit_code")), main_only = read_text(fixture("main_only"));
  write_legacy_image(data, "localhost/legacy:1", exit_code);
  write_legacy_image(data, fixture("main_only"), main_only);  // a local module file
  write_legacy_image(data, "localhost/not-wasm:1", "garbage");  // fails when started, as before
  {
    WasmRuntime rt{WasmRuntimeConfig{data}};
    auto images = rt.list_images();
    EXPECT_TRUE(listed(images, "localhost/legacy:1"));
    EXPECT_TRUE(listed(images, fixture("main_only")));
    EXPECT_TRUE(listed(images, "localhost/not-wasm:1"));
    EXPECT_FALSE(fs::exists(data / "images" / "refs"));  // moved, once
    InstanceId legacy{"legacy", 0}, local{"local", 0};
    rt.create(legacy, service("localhost/legacy:1", {"9"}));
    rt.create(local, service(fixture("main_only")));
    rt.start(legacy);
    rt.start(local);
    EXPECT_EQ(rt.wait(legacy), 9);
    EXPECT_EQ(rt.wait(local), 5);  // main_only: main returns 5
  }
  // The CLI sees them in the same store.
  auto store = registry::ImageStore::open(data);
  auto img = store.find("localhost/legacy:1");
  ASSERT_TRUE(img);
  EXPECT_EQ(store.wasm_bytes(*img), exit_code);
  // Once no instance uses them, prune deletes the old copies and their folder.
  WasmRuntime rt{WasmRuntimeConfig{data}};
  rt.remove({"legacy", 0});
  rt.remove({"local", 0});
  rt.prune_images();
  EXPECT_FALSE(fs::exists(data / "images"));
  EXPECT_TRUE(rt.list_images().empty());
}

TEST(OneImageStore, TheCliSeesWhatTheDaemonPulledAndTheDaemonWhatTheCliLoaded) {
  TempDir dir;
  testing::Daemon d(dir.path() / "data");
  ASSERT_EQ(d.cli({"load", fixture("exit_code"), "local/cli:1"}).exit_code, 0);
  auto sock = (dir.path() / "data/wasmlet.sock").string();
  auto daemon_images = testing::run_process({"/usr/bin/curl", "-sf", "--unix-socket", sock, "http://localhost/v1/images"});
  ASSERT_EQ(daemon_images.exit_code, 0) << daemon_images.err;
  auto listed_by_daemon = nlohmann::json::parse(daemon_images.out);
  ASSERT_EQ(listed_by_daemon.size(), 1u) << daemon_images.out;
  EXPECT_EQ(listed_by_daemon[0]["reference"], "docker.io/local/cli:1");
  // The daemon copies a local module file in; the CLI lists it.
  std::string body = nlohmann::json({{"reference", fixture("main_only")}, {"pull_policy", "always"}}).dump();
  auto pulled = testing::run_process({"/usr/bin/curl", "-sf", "--unix-socket", sock, "-X", "POST", "-d", body,
                                      "http://localhost/v1/images/pull"});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.out;
  auto cli_images = d.cli({"images", "--format", "json"});
  ASSERT_EQ(cli_images.exit_code, 0) << cli_images.err;
  bool found = false;
  for (const auto& i : nlohmann::json::parse(cli_images.out)) found |= i["reference"] == fixture("main_only");
  EXPECT_TRUE(found) << cli_images.out;
  // rmi through the CLI removes it for the daemon too.
  ASSERT_EQ(d.cli({"rmi", "local/cli:1"}).exit_code, 0);
  daemon_images = testing::run_process({"/usr/bin/curl", "-sf", "--unix-socket", sock, "http://localhost/v1/images"});
  EXPECT_EQ(daemon_images.out.find("local/cli:1"), std::string::npos) << daemon_images.out;
}

}  // namespace
}  // namespace wasmlet::runtime

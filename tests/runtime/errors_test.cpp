// Error handling of the seed's tests (003): garbage, truncated and invalid
// binaries, components, missing entry points, unknown instances; every error
// names what it concerns.
#include <gtest/gtest.h>

#include "runtime_support.h"
#include "wasmlet/runtime/wasm_runtime.h"

namespace wasmlet::runtime {
namespace {

using testing::fixture;
using testing::service;
using testing::TempDir;

class Errors : public ::testing::Test {
 protected:
  TempDir dir;
  WasmRuntime rt{WasmRuntimeConfig{dir.path() / "data"}};

  // Creates and starts an instance of `bytes` stored as image `ref`; returns its failure reason.
  std::string fail_reason(const std::string& ref, const std::vector<uint8_t>& bytes) {
    rt.import_image(ref, bytes);
    InstanceId id{"bad", 1};
    rt.create(id, service(ref));  // creating only records it
    EXPECT_EQ(rt.state(id), InstanceState::pending());
    rt.start(id);
    auto o = rt.wait_outcome(id);
    EXPECT_EQ(o.reason, WaitReason::RuntimeError);
    EXPECT_NE(o.exit_code, 0);
    auto st = rt.state(id);
    EXPECT_EQ(st.kind, InstanceState::Kind::Failed) << st.to_string();
    EXPECT_NE(st.reason.find("bad-rep-1"), std::string::npos) << st.reason;
    EXPECT_NE(st.reason.find(ref), std::string::npos) << st.reason;
    rt.remove(id);
    return st.reason;
  }
};

TEST_F(Errors, GarbageBinaryFails) {  // seed: test_error_invalid_wasm_binary
  auto reason = fail_reason("localhost/test:garbage", {0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 0});
  EXPECT_NE(reason.find("not a WebAssembly module"), std::string::npos) << reason;
}

TEST_F(Errors, TruncatedBinaryFails) {  // seed: test_error_truncated_wasm_binary
  fail_reason("localhost/test:truncated", {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00});
}

TEST_F(Errors, InvalidModuleBodyFails) {
  fail_reason("localhost/test:invalid-body", {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0xff, 0xff});
}

TEST_F(Errors, ComponentIsRejectedClearly) {  // seed: test_load_component_header_fails_at_execution, test_error_component_invalid_structure
  auto reason = fail_reason("localhost/test:bad-component",
                            {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8});
  EXPECT_NE(reason.find("component"), std::string::npos) << reason;
}

TEST_F(Errors, MissingEntryPointFailsNamingIt) {  // seed: test_error_missing_start_export
  auto bytes = [] {
    std::ifstream in(fixture("no_entry"), std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }();
  auto reason = fail_reason("localhost/test:no-entry", bytes);
  EXPECT_NE(reason.find("_start"), std::string::npos) << reason;
  EXPECT_NE(reason.find("main"), std::string::npos) << reason;
}

TEST_F(Errors, UnknownImportFailsNamingIt) {
  auto bytes = [] {
    std::ifstream in(fixture("unknown_import"), std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }();
  fail_reason("localhost/test:unknown-import", bytes);
}

TEST_F(Errors, TrapIsRuntimeError) {
  InstanceId id{"trap", 0};
  rt.create(id, service(fixture("traps"), {"unreachable"}));
  rt.start(id);
  auto o = rt.wait_outcome(id);
  EXPECT_EQ(o.reason, WaitReason::RuntimeError);
  EXPECT_EQ(o.exit_code, 134);
  EXPECT_NE(rt.state(id).reason.find("trap: unreachable"), std::string::npos) << rt.state(id).reason;  // as `wasmlet run` says
  EXPECT_NE(rt.state(id).reason.find("crash_unreachable"), std::string::npos) << rt.state(id).reason;
}

TEST_F(Errors, EveryOperationOnAnUnknownInstanceFails) {  // seed: test_error_nonexistent_container, test_logs_not_found
  InstanceId ghost{"nonexistent-service", 999};
  auto expect_not_found = [&](auto&& op, const char* what) {
    try {
      op();
      ADD_FAILURE() << what << " succeeded";
    } catch (const RuntimeError& e) {
      EXPECT_EQ(e.kind(), RuntimeError::Kind::NotFound) << what;
      EXPECT_NE(std::string(e.what()).find("nonexistent-service-rep-999"), std::string::npos) << e.what();
    }
  };
  expect_not_found([&] { rt.state(ghost); }, "state");
  expect_not_found([&] { rt.start(ghost); }, "start");
  expect_not_found([&] { rt.wait(ghost); }, "wait");
  expect_not_found([&] { rt.stats(ghost); }, "stats");
  expect_not_found([&] { rt.logs(ghost); }, "logs");
  expect_not_found([&] { rt.stop(ghost, std::chrono::seconds(1)); }, "stop");
  expect_not_found([&] { rt.kill(ghost); }, "kill");
  expect_not_found([&] { rt.remove(ghost); }, "remove");
  expect_not_found([&] { rt.exec(ghost, {"x"}); }, "exec");
  expect_not_found([&] { rt.pid(ghost); }, "pid");
}

TEST_F(Errors, MissingImageFailsCreateNamingIt) {
  InstanceId id{"noimg", 0};
  try {
    rt.create(id, service("/nonexistent/module.wasm"));
    FAIL();
  } catch (const RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/module.wasm"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("noimg-rep-0"), std::string::npos) << e.what();
  }
  auto remote = service("ghcr.io/acme/app:1");
  remote.image.pull_policy = PullPolicy::IfNotPresent;
  EXPECT_THROW(rt.create(id, remote), RuntimeError);
  EXPECT_THROW(rt.state(id), RuntimeError);  // nothing recorded
}

TEST_F(Errors, DuplicateCreateIsRefused) {
  InstanceId id{"dup", 0};
  rt.create(id, service(fixture("exit_code")));
  try {
    rt.create(id, service(fixture("exit_code")));
    FAIL();
  } catch (const RuntimeError& e) {
    EXPECT_EQ(e.kind(), RuntimeError::Kind::AlreadyExists);
  }
}

TEST_F(Errors, ImagesListTagRemovePrune) {
  rt.import_image("localhost/a:1", {0, 0x61, 0x73, 0x6d, 1, 0, 0, 0});
  rt.tag_image("localhost/a:1", "localhost/a:latest");
  rt.import_image("localhost/b:1", {0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0});
  auto images = rt.list_images();
  ASSERT_EQ(images.size(), 3u);
  EXPECT_EQ(images[0].reference, "localhost/a:1");
  EXPECT_GT(images[0].size, 8u);  // manifest, config and the 8-byte module
  EXPECT_EQ(images[0].manifest.digest, images[1].manifest.digest);  // a tag names the same image
  EXPECT_NE(images[0].manifest.digest, images[2].manifest.digest);
  EXPECT_THROW(rt.tag_image("localhost/none:1", "x:1"), RuntimeError);
  EXPECT_THROW(rt.tag_image(" ", "x:1"), RuntimeError);
  InstanceId id{"user", 0};
  rt.create(id, service("localhost/a:1"));
  EXPECT_THROW(rt.remove_image("localhost/a:1"), RuntimeError);  // in use
  auto pruned = rt.prune_images();  // a:latest names the module in use: kept
  EXPECT_EQ(pruned.untagged, std::vector<std::string>{"localhost/b:1"});
  EXPECT_EQ(pruned.deleted.size(), 3u);  // b's manifest, config and module
  EXPECT_GT(pruned.space_reclaimed, 9u);
  rt.remove(id);
  rt.remove_image("localhost/a:1");
  ASSERT_EQ(rt.list_images().size(), 1u);  // the module stays for a:latest
  rt.remove_image("localhost/a:latest");
  EXPECT_TRUE(rt.list_images().empty());
  EXPECT_THROW(rt.remove_image("localhost/a:latest"), RuntimeError);
  rt.pull(fixture("exit_code"), PullPolicy::Always);
  EXPECT_EQ(rt.list_images().size(), 1u);
}

}  // namespace
}  // namespace wasmlet::runtime

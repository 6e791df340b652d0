// Requests that race the runtime's shutdown answer ShuttingDown and change
// nothing. shutdown() sets its flag, then takes the instance table's lock and
// empties the table: an operation that passed its first check just before
// must not take the emptied table for "no instance uses this" (and delete a
// volume or an image that instances need) nor report a start that did nothing
// as done. The test hook lands the shutdown exactly in that window.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "runtime/shutdown_test_hook.h"
#include "runtime_support.h"
#include "wasmlet/runtime/wasm_runtime.h"

namespace wasmlet::runtime {
namespace {

using testing::fixture;
using testing::service;
using testing::TempDir;

std::vector<uint8_t> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class ShutdownRace : public ::testing::Test {
 protected:
  TempDir dir;
  std::filesystem::path data = dir.path() / "data";
  WasmRuntime rt{WasmRuntimeConfig{data}};
  InstanceId id{"svc", 0};

  void TearDown() override { test_hooks::after_first_shutdown_check = nullptr; }

  // The next operation's shutdown check passes, then the shutdown runs.
  void shut_down_right_after_the_check() {
    test_hooks::after_first_shutdown_check = [this] { rt.shutdown(); };
  }

  bool stored(const std::string& reference) {
    for (const auto& i : rt.list_images())
      if (i.reference == reference) return true;
    return false;
  }

  std::string recorded_state() {
    for (const auto& i : recorded_instances(data))
      if (i.id == id) return i.state.to_string();
    return "(not recorded)";
  }
};

#define EXPECT_SHUTTING_DOWN(statement)                                         \
  try {                                                                         \
    statement;                                                                  \
    ADD_FAILURE() << #statement " did not throw";                               \
  } catch (const RuntimeError& e) {                                             \
    EXPECT_EQ(e.kind(), RuntimeError::Kind::ShuttingDown) << #statement ": " << e.what(); \
  }

TEST_F(ShutdownRace, RemoveVolumeKeepsAVolumeAnInstanceUses) {
  auto spec = service(fixture("exit_code"), {"0"});
  StorageSpec m;
  m.type = StorageSpec::Type::Named;
  m.name = "notes";
  m.target = "/data";
  spec.storage.push_back(m);
  rt.create(id, spec);
  std::filesystem::create_directories(data / "volumes/notes");
  testing::write_text(data / "volumes/notes/kept.txt", "kept\n");
  shut_down_right_after_the_check();
  EXPECT_SHUTTING_DOWN(rt.remove_volume("notes"));
  EXPECT_TRUE(std::filesystem::exists(data / "volumes/notes/kept.txt"));
}

class ShutdownRaceImages : public ShutdownRace {
 protected:
  void SetUp() override {
    rt.import_image("local/used:1", file_bytes(fixture("exit_code")));
    auto spec = service("local/used:1", {"0"});
    rt.create(id, spec);
  }
};

TEST_F(ShutdownRaceImages, PruneKeepsTheImagesInstancesUse) {
  shut_down_right_after_the_check();
  EXPECT_SHUTTING_DOWN(rt.prune_images());
  EXPECT_TRUE(stored("docker.io/local/used:1"));
  // The instance's module is still there for the next daemon to run.
  WasmRuntime again{WasmRuntimeConfig{data}};
  again.start(id);
  EXPECT_EQ(again.wait(id), 0);
}

TEST_F(ShutdownRaceImages, RemoveImageKeepsAnImageAnInstanceUses) {
  shut_down_right_after_the_check();
  EXPECT_SHUTTING_DOWN(rt.remove_image("local/used:1", false));
  EXPECT_TRUE(stored("docker.io/local/used:1"));
}

TEST_F(ShutdownRace, StartDoesNotSayItStarted) {
  rt.create(id, service(fixture("exit_code"), {"0"}));
  shut_down_right_after_the_check();
  EXPECT_SHUTTING_DOWN(rt.start(id));
  EXPECT_EQ(recorded_state(), "pending");
}

TEST_F(ShutdownRace, StopAndKillDoNotSayTheyStopped) {
  rt.create(id, service(fixture("loop_forever")));
  rt.start(id);
  rt.follow_logs(id, {}, [](const LogEntry& e) { return e.message != "looping"; });  // it is inside the loop now
  shut_down_right_after_the_check();
  EXPECT_SHUTTING_DOWN(rt.stop(id, std::chrono::seconds(5)));
  // Left as it was, for the next daemon to restart or fail ("agent restarted").
  EXPECT_EQ(recorded_state(), "running");
}

TEST_F(ShutdownRace, KillDoesNotSayItKilled) {
  rt.create(id, service(fixture("loop_forever")));
  rt.start(id);
  rt.follow_logs(id, {}, [](const LogEntry& e) { return e.message != "looping"; });
  shut_down_right_after_the_check();
  EXPECT_SHUTTING_DOWN(rt.kill(id, std::nullopt));
  EXPECT_EQ(recorded_state(), "running");
}

TEST_F(ShutdownRace, RemoveSaysShuttingDownNotNoInstance) {
  rt.create(id, service(fixture("exit_code"), {"0"}));
  shut_down_right_after_the_check();
  EXPECT_SHUTTING_DOWN(rt.remove(id, true));
  EXPECT_EQ(recorded_state(), "pending");
}

// Once shutdown() has begun, nothing is changed.
TEST_F(ShutdownRace, AfterTheShutdownBeganNothingIsChanged) {
  rt.import_image("local/used:1", file_bytes(fixture("exit_code")));
  rt.create(id, service("local/used:1", {"0"}));
  std::filesystem::create_directories(data / "volumes/notes");
  rt.shutdown();
  EXPECT_SHUTTING_DOWN(rt.import_image("local/other:1", file_bytes(fixture("exit_code"))));
  EXPECT_SHUTTING_DOWN(rt.remove_image("local/used:1", false));
  EXPECT_SHUTTING_DOWN(rt.prune_images());
  EXPECT_SHUTTING_DOWN(rt.remove_volume("notes"));
  EXPECT_SHUTTING_DOWN(rt.start(id));
  EXPECT_SHUTTING_DOWN(rt.stop(id, std::chrono::seconds(1)));
  EXPECT_SHUTTING_DOWN(rt.kill(id, std::nullopt));
  EXPECT_SHUTTING_DOWN(rt.remove(id, true));
  EXPECT_FALSE(stored("docker.io/local/other:1"));
  EXPECT_TRUE(stored("docker.io/local/used:1"));
  EXPECT_TRUE(std::filesystem::exists(data / "volumes/notes"));
  EXPECT_EQ(recorded_state(), "pending");
}

}  // namespace
}  // namespace wasmlet::runtime

// Many instances at once (seed: test_multiple_instances_concurrent,
// test_sequential_reuse_of_service_name) and 200 instances without leaking
// threads, file descriptors or memory.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "engine/access.h"
#include "runtime/program_cache.h"
#include "runtime_support.h"
#include "wasmlet/runtime/wasm_runtime.h"

namespace wasmlet::runtime {
namespace {

using testing::fixture;
using testing::service;
using testing::TempDir;

TEST(Concurrency, MultipleInstancesConcurrently) {
  TempDir dir;
  WasmRuntime rt{WasmRuntimeConfig{dir.path() / "data"}};
  std::vector<std::thread> threads;
  std::vector<int> codes(5, -1);
  for (int i = 0; i < 5; ++i)
    threads.emplace_back([&, i] {
      InstanceId id{"concurrent-" + std::to_string(i), 1};
      rt.create(id, service(fixture("exit_code"), {std::to_string(i)}));
      rt.start(id);
      codes[i] = rt.wait(id);
      rt.remove(id);
    });
  for (auto& t : threads) t.join();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(codes[i], i);
  EXPECT_TRUE(rt.list().empty());
}

TEST(Concurrency, SequentialReuseOfServiceName) {
  TempDir dir;
  WasmRuntime rt{WasmRuntimeConfig{dir.path() / "data"}};
  for (uint32_t i = 0; i < 3; ++i) {
    InstanceId id{"sequential", i};
    rt.create(id, service(fixture("exit_code")));
    rt.start(id);
    EXPECT_EQ(rt.wait(id), 0) << "iteration " << i;
    rt.remove(id);
  }
  InstanceId same{"sequential", 0};  // the very same id again
  rt.create(same, service(fixture("exit_code"), {"9"}));
  rt.start(same);
  EXPECT_EQ(rt.wait(same), 9);
  EXPECT_TRUE(rt.logs(same).empty() || rt.logs(same).size() < 3);
}

// remove() deletes an instance's record and log after it has let go of the
// name (stopping the guest takes a while); a create of the same name in that
// time waits for it, so the removal never deletes what the new instance wrote.
TEST(Concurrency, RemoveAndCreateOfOneNameDoNotCollide) {
  TempDir dir;
  InstanceId id{"reused", 0};
  auto create_when_free = [&](WasmRuntime& rt) {
    for (;;) {
      try {
        rt.create(id, service(fixture("hello_stdio")));
        return;
      } catch (const RuntimeError& e) {
        ASSERT_EQ(e.kind(), RuntimeError::Kind::AlreadyExists) << e.what();
      }
    }
  };
  {
    WasmRuntime rt{WasmRuntimeConfig{dir.path() / "data"}};
    for (int round = 0; round < 10; ++round) {
      rt.create(id, service(fixture("loop_forever")));
      rt.start(id);
      std::thread remover([&] { rt.remove(id, true); });
      create_when_free(rt);
      remover.join();
      rt.start(id);
      EXPECT_EQ(rt.wait(id), 0);
      std::string out;
      for (const auto& e : rt.logs(id)) out += e.message + "\n";
      EXPECT_NE(out.find("hello from wasm"), std::string::npos) << "round " << round << ": the new instance's log went: " << out;
      if (round < 9) rt.remove(id);
    }
  }
  // The last new instance's record survived its predecessor's removal.
  WasmRuntime again{WasmRuntimeConfig{dir.path() / "data"}};
  EXPECT_EQ(again.inspect(id).image, fixture("hello_stdio"));
}

// The same with a tmpfs: the removal deletes the old instance's 1,000 files
// there, which takes a while; the new instance's tmpfs (same directory)
// must not go with them.
TEST(Concurrency, ATmpfsOutlivesThePredecessorsRemoval) {
  TempDir dir;
  WasmRuntime rt{WasmRuntimeConfig{dir.path() / "data"}};
  InstanceId id{"scratch", 0};
  auto with_tmpfs = [](ServiceSpec spec) {
    StorageSpec tmp;
    tmp.type = StorageSpec::Type::Tmpfs;
    tmp.target = "/data";
    spec.storage.push_back(tmp);
    return spec;
  };
  for (int round = 0; round < 5; ++round) {
    rt.create(id, with_tmpfs(service(fixture("wasi_many_files"))));
    rt.start(id);
    ASSERT_EQ(rt.wait(id), 0);
    std::thread remover([&] { rt.remove(id); });
    for (;;) {
      try {
        rt.create(id, with_tmpfs(service(fixture("rt_write_volume"), {"write", "/data/new", "kept"})));
        break;
      } catch (const RuntimeError& e) {
        ASSERT_EQ(e.kind(), RuntimeError::Kind::AlreadyExists) << e.what();
      }
    }
    rt.start(id);
    EXPECT_EQ(rt.wait(id), 0) << "round " << round;
    remover.join();
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "data/tmpfs/scratch-rep-0/0/new"))
        << "round " << round << ": the predecessor's removal deleted the new instance's tmpfs";
    rt.remove(id);
  }
}

void run_batch(WasmRuntime& rt, int n) {
  for (int i = 0; i < n; ++i) {
    InstanceId id{"many", static_cast<uint32_t>(i)};
    rt.create(id, service(fixture("exit_code"), {std::to_string(i % 100)}));
  }
  for (int i = 0; i < n; ++i) rt.start({"many", static_cast<uint32_t>(i)});
  for (int i = 0; i < n; ++i) ASSERT_EQ(rt.wait({"many", static_cast<uint32_t>(i)}), i % 100);
  for (int i = 0; i < n; ++i) rt.remove({"many", static_cast<uint32_t>(i)});
}

// Replicas starting at once wait for one compile (and one check process)
// instead of each compiling the image again.
TEST(Concurrency, StartsAtOnceShareOneCompile) {
  Engine engine;
  ModuleCache cache(engine);
  std::vector<Program> programs(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < programs.size(); ++i)
    threads.emplace_back([&, i] { programs[i] = cache.get(fixture("exit_code"), "exit_code.wasm"); });
  for (auto& t : threads) t.join();
  for (const auto& p : programs) {
    ASSERT_NE(p.module(), nullptr);
    EXPECT_EQ(&detail::Access::impl(*p.module()), &detail::Access::impl(*programs[0].module()));
  }
  // A file that is not WebAssembly fails every waiter with the same message, and is not kept.
  TempDir dir;
  std::ofstream(dir / "junk.wasm") << "not wasm";
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      cache.get(dir / "junk.wasm", "junk:1");
      ADD_FAILURE() << "junk compiled";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("not a WebAssembly module or component"), std::string::npos) << e.what();
    }
  }
}

TEST(Concurrency, TwoHundredInstancesLeakNothing) {
  TempDir dir;
  WasmRuntime rt{WasmRuntimeConfig{dir.path() / "data"}};
  run_batch(rt, 200);  // warm-up: module cache, database, allocator arenas
  size_t tasks = testing::count_entries("/proc/self/task");
  size_t fds = testing::count_entries("/proc/self/fd");
  long rss = testing::rss_kib();
  run_batch(rt, 200);
  EXPECT_EQ(testing::count_entries("/proc/self/task"), tasks);
  EXPECT_EQ(testing::count_entries("/proc/self/fd"), fds);
#if !defined(__SANITIZE_ADDRESS__)  // ASan holds freed memory in its quarantine (256 MiB): RSS says nothing there
  EXPECT_LT(testing::rss_kib() - rss, 32 * 1024) << "RSS grew from " << rss << " KiB";
#else
  (void)rss;
#endif
  EXPECT_TRUE(rt.list().empty());
  EXPECT_TRUE(std::filesystem::is_empty(dir.path() / "data/logs"));
}

TEST(Concurrency, ManyLoopsStoppedAtOnce) {
  TempDir dir;
  WasmRuntime rt{WasmRuntimeConfig{dir.path() / "data"}};
  const int n = 20;
  for (int i = 0; i < n; ++i) {
    rt.create({"loop", static_cast<uint32_t>(i)}, service(fixture("loop_forever")));
    rt.start({"loop", static_cast<uint32_t>(i)});
  }
  std::vector<std::thread> stoppers;
  for (int i = 0; i < n; ++i) stoppers.emplace_back([&, i] { rt.stop({"loop", static_cast<uint32_t>(i)}, std::chrono::seconds(5)); });
  for (auto& t : stoppers) t.join();
  for (int i = 0; i < n; ++i) EXPECT_EQ(rt.wait({"loop", static_cast<uint32_t>(i)}), 143);
}

}  // namespace
}  // namespace wasmlet::runtime

// One compiled module, many instances on many threads at once.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "support.h"

using namespace wasmlet;
using namespace wasmlet::testing;

TEST(Concurrency, ManyInstancesOfOneModuleOnEightThreads) {
  Engine engine;
  Module module = Module::from_file(engine, fixture("compute"));
  Linker linker = compute_linker();
  std::atomic<int> correct{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        Store store(engine, StoreLimits{.fuel = 10'000'000});
        Instance inst = Instance::create(store, module, linker);
        int n = 1000 + t * 100 + i;
        std::vector<Value> args = {Value::i32(n)};
        Outcome o = inst.call("sum_to", args);
        if (o.returned() && o.results[0].as_i64() == int64_t(n) * (n - 1) / 2) ++correct;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(correct.load(), 200);
}

#include <gtest/gtest.h>

#include "wasi_test_support.h"

namespace wasmlet::testing {
namespace {

TEST(WasiArgsEnv, ArgsAndEnvironmentRoundTrip) {
  WasiConfig config;
  config.args = {"prog", "one", "two words", ""};
  config.env = {"HOME=/home/guest", "EMPTY=", "WITH_EQ=a=b"};
  GuestRun run = run_guest("wasi_args_env", config);
  ASSERT_TRUE(run.outcome.returned()) << run.outcome.trap.to_string();
  EXPECT_EQ(run.out,
            "argc=4\narg[0]=prog\narg[1]=one\narg[2]=two words\narg[3]=\n"
            "env HOME=/home/guest\nenv EMPTY=\nenv WITH_EQ=a=b\nHOME=/home/guest\n");
}

TEST(WasiArgsEnv, EmptyEnvironment) {
  WasiConfig config;
  config.args = {"p"};
  GuestRun run = run_guest("wasi_args_env", config);
  EXPECT_EQ(run.out, "argc=1\narg[0]=p\nHOME=(unset)\n");
}

}  // namespace
}  // namespace wasmlet::testing

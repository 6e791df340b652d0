// Nothing outside a preopen can be reached; nothing beneath a read-only
// preopen can be changed. Each test checks the host side afterwards.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "sandbox_cases.h"
#include "wasi_sys/path_resolver.h"
#include "wasi_test_support.h"

namespace wasmlet::testing {
namespace {

namespace fs = std::filesystem;

using namespace sandbox_cases;

TEST(WasiSandbox, EscapesFailWithNotcapableAndTouchNothing) {
  EscapeLayout layout;
  auto secret_mtime = fs::last_write_time(layout.root / "secret.txt");
  auto outdir_mtime = fs::last_write_time(layout.root / "outdir");
  GuestRun run = run_guest("wasi_sandbox", with_dir(layout.sb, "/sb", false, {"wasi_sandbox", "escape"}));
  ASSERT_TRUE(run.outcome.returned()) << run.outcome.trap.to_string();
  EXPECT_EQ(run.out, kEscapeExpected);
  layout.expect_outside_untouched();
  EXPECT_EQ(fs::last_write_time(layout.root / "secret.txt"), secret_mtime);
  EXPECT_EQ(fs::last_write_time(layout.root / "outdir"), outdir_mtime);
}

// The walker used where openat2 is missing keeps the same rules.
TEST(WasiSandbox, FallbackResolverGivesTheSameResults) {
  EscapeLayout layout;
  wasi_sys::force_fallback_resolver(true);
  GuestRun run = run_guest("wasi_sandbox", with_dir(layout.sb, "/sb", false, {"wasi_sandbox", "escape"}));
  wasi_sys::force_fallback_resolver(false);
  ASSERT_TRUE(run.outcome.returned()) << run.outcome.trap.to_string();
  EXPECT_EQ(run.out, kEscapeExpected);
  layout.expect_outside_untouched();
}

TEST(WasiSandbox, ReadOnlyPreopenRefusesEveryWriteWithRofs) {
  ReadOnlyLayout layout;
  GuestRun run = run_guest("wasi_sandbox", with_dir(layout.ro, "/ro", true, {"wasi_sandbox", "readonly"}));
  ASSERT_TRUE(run.outcome.returned()) << run.outcome.trap.to_string();
  EXPECT_EQ(run.out, kReadOnlyExpected);
  layout.expect_unchanged();
}

}  // namespace
}  // namespace wasmlet::testing

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

// T/outside/{secret.txt,dir/} outside; T/sb is the preopen "/sb". The guest
// makes the symlinks to outside itself (path_symlink allows relative targets).
struct TrailingSlashLayout {
  TempDir root;
  fs::path sb = root / "sb";
  TrailingSlashLayout() {
    fs::create_directories(root / "outside" / "dir");
    root.write("outside/secret.txt", "secret");
    fs::create_directories(sb / "sub");
    std::ofstream(sb / "ok.txt") << "ok";
  }
};

std::string trailing_slash_expected() {
  std::string out =
      "symlink to outside file errno=0\n"
      "symlink to outside nothing errno=0\n"
      "symlink to outside dir errno=0\n";
  for (const char* l : {"p1/", "p2/", "p3/"}) {
    out += std::string(l) + ":\n";
    for (const char* op : {"readlink", "link from", "link to", "unlink", "rmdir", "rename from", "rename to", "mkdir",
                           "symlink at", "set_times nofollow", "stat nofollow"})
      out += std::string(" ") + op + " errno=76\n";
  }
  return out +
         "symlink to inside dir errno=0\n"
         "symlink to inside file errno=0\n"
         "readlink in_dir/ errno=28\n"   // the directory it names is no symlink: inval
         "readlink in_file/ errno=54\n"  // notdir
         "readlink in_dir errno=0\n"
         "target=sub\n"
         "link in_dir/ errno=63\n"  // a directory cannot be hard-linked: perm
         "link ok.txt/ errno=54\n"
         "unlink ok.txt/ errno=54\n"
         "mkdir newdir/ errno=0\n"
         "rename newdir/ renamed/ errno=0\n"
         "rmdir renamed/ errno=0\n"
         "unlink in_dir errno=0\n";
}

void expect_trailing_slash_run(const TrailingSlashLayout& layout, const GuestRun& run) {
  ASSERT_TRUE(run.outcome.returned()) << run.outcome.trap.to_string();
  EXPECT_EQ(run.out, trailing_slash_expected());
  EXPECT_EQ(text_of(layout.root / "outside" / "secret.txt"), "secret");
  EXPECT_TRUE(fs::is_empty(layout.root / "outside" / "dir"));
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(layout.sb)) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"in_file", "ok.txt", "p1", "p2", "p3", "sub"}));
}

// "link/" on a symlink out of the preopen: the host's *at calls would follow
// it unchecked, and their errnos (notdir, noent, ...) would tell the guest
// what exists outside. Every operation refuses with notcapable instead.
TEST(WasiSandbox, TrailingSlashOnSymlinkOutRevealsNothing) {
  TrailingSlashLayout layout;
  GuestRun run = run_guest("wasi_sandbox", with_dir(layout.sb, "/sb", false, {"wasi_sandbox", "trailing"}));
  expect_trailing_slash_run(layout, run);
}

TEST(WasiSandbox, TrailingSlashOnSymlinkOutRevealsNothingWithFallbackResolver) {
  TrailingSlashLayout layout;
  wasi_sys::force_fallback_resolver(true);
  GuestRun run = run_guest("wasi_sandbox", with_dir(layout.sb, "/sb", false, {"wasi_sandbox", "trailing"}));
  wasi_sys::force_fallback_resolver(false);
  expect_trailing_slash_run(layout, run);
}

// A huge path is refused before the host copies it (it once made three
// copies: 1.5 GB for a 512 MiB path), by every path call. Nearly all of this
// test's time is the guest's own strlen of 64 MiB.
TEST(WasiSandbox, HugePathsAreNametoolongBeforeAnyCopy) {
  EscapeLayout layout;
  GuestRun run = run_guest("wasi_sandbox", with_dir(layout.sb, "/sb", false, {"wasi_sandbox", "long"}));
  ASSERT_TRUE(run.outcome.returned()) << run.outcome.trap.to_string() << run.err;
  EXPECT_EQ(run.out, kLongPathExpected);
  layout.expect_outside_untouched();
  EXPECT_FALSE(fs::exists(fs::symlink_status(layout.sb / "x")));
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

// Nothing outside a preopen can be reached; nothing beneath a read-only
// preopen can be changed. Each test checks the host side afterwards.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "wasi_sys/path_resolver.h"
#include "wasi_test_support.h"

namespace wasmlet::testing {
namespace {

namespace fs = std::filesystem;

// T/secret.txt, T/outdir/x.txt outside; T/sb is the preopen "/sb" with
// symlinks that point out of it.
struct EscapeLayout {
  TempDir root;
  fs::path sb = root / "sb";
  EscapeLayout() {
    write_file(root / "secret.txt", "secret");
    fs::create_directory(root / "outdir");
    write_file(root / "outdir" / "x.txt", "x");
    fs::create_directory(sb);
    fs::create_directory(sb / "sub");
    write_file(sb / "ok.txt", "ok");
    fs::create_directory_symlink(root / "outdir", sb / "out_dir");
    fs::create_symlink(root / "secret.txt", sb / "out_file");
    fs::create_symlink("../secret.txt", sb / "rel_escape");
    fs::create_symlink("..", sb / "sub" / "up");
    fs::create_symlink("../..", sb / "sub" / "up2");
    fs::create_symlink("loop2", sb / "loop1");
    fs::create_symlink("loop1", sb / "loop2");
    fs::create_symlink("self", sb / "self");
    fs::create_symlink("../created_outside", sb / "dangling");
  }
  void expect_outside_untouched() const {
    EXPECT_EQ(read_file(root / "secret.txt"), "secret");
    EXPECT_EQ(read_file(root / "outdir" / "x.txt"), "x");
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(root.path())) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"outdir", "sb", "secret.txt"}));
    EXPECT_EQ(std::distance(fs::directory_iterator(root / "outdir"), {}), 1);
    EXPECT_EQ(read_file(sb / "ok.txt"), "ok");
  }
};

constexpr const char* kEscapeExpected =
    "dotdot errno=76\n"
    "absolute errno=76\n"
    "sub dotdot dotdot errno=76\n"
    "sub dotdot inside errno=0\n"
    "symlink to parent inside errno=0\n"
    "symlink to grandparent errno=76\n"
    "symlink to outside dir errno=76\n"
    "symlink to outside file errno=76\n"
    "relative symlink escape errno=76\n"
    "symlink loop errno=32\n"
    "symlink to itself errno=32\n"
    "symlink nofollow errno=32\n"
    "stat link nofollow errno=0\n"
    "type=7\n"
    "stat link follow errno=76\n"
    "stat link/ nofollow errno=76\n"
    "stat dotdot errno=76\n"
    "stat dot errno=0\n"
    "mkdir dotdot errno=76\n"
    "mkdir through link errno=76\n"
    "create through link errno=76\n"
    "create through dangling escape errno=76\n"
    "unlink through link errno=76\n"
    "unlink dotdot errno=76\n"
    "rmdir dotdot errno=76\n"
    "rmdir link dot errno=76\n"
    "rename out errno=76\n"
    "rename through link errno=76\n"
    "rename in errno=76\n"
    "link in errno=76\n"
    "link through link errno=76\n"
    "symlink in outside dir errno=76\n"
    "set_times follow errno=76\n"
    "set_times link/ errno=76\n"
    "readlink outside target errno=0\n"
    "absolute target=1\n"
    "libc dotdot: refused errno=76\n"
    "libc symlink: refused errno=76\n";

TEST(WasiSandbox, EscapesFailWithNotcapableAndTouchNothing) {
  EscapeLayout layout;
  auto mtime_before = fs::last_write_time(layout.root / "secret.txt");
  GuestRun run = run_guest("wasi_sandbox", with_dir(layout.sb, "/sb", false, {"wasi_sandbox", "escape"}));
  ASSERT_TRUE(run.outcome.returned()) << run.outcome.trap.to_string();
  EXPECT_EQ(run.out, kEscapeExpected);
  layout.expect_outside_untouched();
  EXPECT_EQ(fs::last_write_time(layout.root / "secret.txt"), mtime_before);
  EXPECT_EQ(fs::last_write_time(layout.root / "outdir"), fs::last_write_time(layout.root / "outdir"));
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
  TempDir root;
  fs::path ro = root / "ro";
  fs::create_directories(ro / "sub");
  write_file(ro / "file.txt", "read only content");
  write_file(ro / "sub" / "inner.txt", "inner");
  struct stat before{};
  ::stat((ro / "file.txt").c_str(), &before);
  GuestRun run = run_guest("wasi_sandbox", with_dir(ro, "/ro", true, {"wasi_sandbox", "readonly"}));
  ASSERT_TRUE(run.outcome.returned()) << run.outcome.trap.to_string();
  EXPECT_EQ(run.out,
            "open for read errno=0\n"
            "read errno=0\n"
            "content=read only content\n"
            "write errno=69\n"
            "pwrite errno=69\n"
            "allocate errno=69\n"
            "set_size errno=69\n"
            "set_times errno=69\n"
            "open for write errno=69\n"
            "open create errno=69\n"
            "open trunc errno=69\n"
            "open append errno=69\n"
            "mkdir errno=69\n"
            "unlink errno=69\n"
            "rmdir errno=69\n"
            "rename errno=69\n"
            "symlink errno=69\n"
            "link errno=69\n"
            "path set_times errno=69\n"
            "open subdir errno=0\n"
            "mkdir in subdir errno=69\n"
            "unlink in subdir errno=69\n"
            "libc fopen w: refused erofs=1\n"
            "libc fopen r: opened\n");
  EXPECT_EQ(read_file(ro / "file.txt"), "read only content");
  EXPECT_EQ(read_file(ro / "sub" / "inner.txt"), "inner");
  struct stat after{};
  ::stat((ro / "file.txt").c_str(), &after);
  EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
  EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
  EXPECT_EQ(after.st_size, before.st_size);
  std::vector<std::string> names;
  for (const auto& e : fs::recursive_directory_iterator(ro)) names.push_back(fs::relative(e.path(), ro));
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"file.txt", "sub", "sub/inner.txt"}));
}

}  // namespace
}  // namespace wasmlet::testing

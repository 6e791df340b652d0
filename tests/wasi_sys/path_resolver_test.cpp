// The resolver both WASI front ends share, on its own, on openat2 and on the
// fallback walker. (tests/wasi/sandbox_test.cpp and
// tests/component/wasi_host_test.cpp run escapes through each front end.)
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>

#include "temp_dir.h"
#include "wasi_sys/path_resolver.h"

namespace wasmlet::testing {
namespace {

namespace fs = std::filesystem;
using wasi_sys::kEscapes;
using wasi_sys::ResolveStatus;
using wasi_sys::UniqueFd;

void write_file(const fs::path& p, const std::string& content) { std::ofstream(p, std::ios::binary) << content; }

class PathResolver : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    wasi_sys::force_fallback_resolver(GetParam());
    fs::create_directories(root_ / "box" / "a" / "b");
    write_file(root_ / "box" / "a" / "b" / "c.txt", "c");
    write_file(root_ / "outside.txt", "o");
    fs::create_symlink("../outside.txt", root_ / "box" / "up");
    fs::create_symlink("a/b", root_ / "box" / "ab");
    fs::create_symlink("l2", root_ / "box" / "l1");
    fs::create_symlink("l1", root_ / "box" / "l2");
    box_ = UniqueFd(::open((root_ / "box").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  }
  void TearDown() override { wasi_sys::force_fallback_resolver(false); }

  ResolveStatus open(const std::string& path, bool follow = true, int flags = O_RDONLY) {
    UniqueFd fd;
    return wasi_sys::open_beneath(box_.get(), path, flags, 0, follow, fd);
  }
  ino_t inode(const fs::path& p) {
    struct stat st;
    ::lstat(p.c_str(), &st);
    return st.st_ino;
  }

  TempDir root_;
  UniqueFd box_;
};

TEST_P(PathResolver, OpensPathsInside) {
  EXPECT_EQ(open("a/b/c.txt"), 0);
  EXPECT_EQ(open("a/../a/./b//c.txt"), 0);
  EXPECT_EQ(open("ab/c.txt"), 0);
  EXPECT_EQ(open("a/b/"), 0);
}

TEST_P(PathResolver, RefusesEscapes) {
  EXPECT_EQ(open(".."), kEscapes);
  EXPECT_EQ(open("../outside.txt"), kEscapes);
  EXPECT_EQ(open("a/../../outside.txt"), kEscapes);
  EXPECT_EQ(open("/etc/passwd"), kEscapes);
  EXPECT_EQ(open("up"), kEscapes);
}

TEST_P(PathResolver, LoopsMissingAndBadPaths) {
  EXPECT_EQ(open("l1"), ELOOP);
  EXPECT_EQ(open("missing"), ENOENT);
  EXPECT_EQ(open(""), ENOENT);
  EXPECT_EQ(open(std::string("a\0b", 3)), EINVAL);
  EXPECT_EQ(open("a/b/c.txt/x"), ENOTDIR);
}

TEST_P(PathResolver, FinalSymlinkFollowedOnlyWhenAsked) {
  EXPECT_EQ(open("ab", false), ELOOP);
  EXPECT_EQ(open("ab", false, O_RDONLY | O_DIRECTORY), ENOTDIR);  // as the kernel says
  UniqueFd fd;
  ASSERT_EQ(wasi_sys::open_beneath(box_.get(), "ab", O_PATH, 0, false, fd), 0);
  struct stat st;
  ASSERT_EQ(::fstat(fd.get(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  ASSERT_EQ(wasi_sys::open_beneath(box_.get(), "ab", O_PATH, 0, true, fd), 0);
  ASSERT_EQ(::fstat(fd.get(), &st), 0);
  EXPECT_EQ(st.st_ino, inode(root_ / "box" / "a" / "b"));
}

TEST_P(PathResolver, ParentAndFinalComponent) {
  wasi_sys::ParentDir p;
  ASSERT_EQ(wasi_sys::open_parent(box_.get(), "a/b/c.txt", p), 0);
  EXPECT_EQ(p.name, "c.txt");
  struct stat st;
  ::fstat(p.dir.get(), &st);
  EXPECT_EQ(st.st_ino, inode(root_ / "box" / "a" / "b"));

  ASSERT_EQ(wasi_sys::open_parent(box_.get(), "a/b/", p), 0);
  EXPECT_EQ(p.name, "b/");
  EXPECT_TRUE(p.trailing_slash);

  ASSERT_EQ(wasi_sys::open_parent(box_.get(), "a/..", p), 0);
  EXPECT_EQ(p.name, ".");
  ::fstat(p.dir.get(), &st);
  EXPECT_EQ(st.st_ino, inode(root_ / "box"));

  // The parent of a final symlink is opened, the link itself is left alone.
  ASSERT_EQ(wasi_sys::open_parent(box_.get(), "up", p), 0);
  EXPECT_EQ(p.name, "up");

  EXPECT_EQ(wasi_sys::open_parent(box_.get(), "..", p), kEscapes);
  EXPECT_EQ(wasi_sys::open_parent(box_.get(), "../x", p), kEscapes);
  EXPECT_EQ(wasi_sys::open_parent(box_.get(), "up/x", p), kEscapes);
  EXPECT_EQ(wasi_sys::open_parent(box_.get(), "/x", p), kEscapes);
}

// A container's rootfs (wasmlet-oci looks for its program there): "/" is the
// box, so absolute paths and links start at it and ".." stops at it. What is
// opened is always the file inside, never root_/outside.txt.
TEST_P(PathResolver, InRootPathsStayInTheRoot) {
  write_file(root_ / "box" / "outside.txt", "inside");
  fs::create_symlink("/a/b/c.txt", root_ / "box" / "abs");
  fs::create_symlink("/../../outside.txt", root_ / "box" / "abs_up");
  fs::create_symlink("/", root_ / "box" / "a" / "slash");
  auto text_of = [&](const std::string& path) -> std::string {
    UniqueFd fd;
    if (ResolveStatus s = wasi_sys::open_in_root(box_.get(), path, O_RDONLY, fd)) return "status " + std::to_string(s);
    char buf[16] = {};
    ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
    return n < 0 ? "read failed" : std::string(buf, size_t(n));
  };
  EXPECT_EQ(text_of("/a/b/c.txt"), "c");
  EXPECT_EQ(text_of("a/b/c.txt"), "c");
  EXPECT_EQ(text_of("abs"), "c");
  EXPECT_EQ(text_of("/../../../outside.txt"), "inside");
  EXPECT_EQ(text_of("up"), "inside");  // ../outside.txt from the root
  EXPECT_EQ(text_of("abs_up"), "inside");
  EXPECT_EQ(text_of("a/slash/a/slash/outside.txt"), "inside");
  EXPECT_EQ(text_of("/missing"), "status " + std::to_string(ENOENT));
  EXPECT_EQ(text_of("l1"), "status " + std::to_string(ELOOP));
}

INSTANTIATE_TEST_SUITE_P(Openat2AndWalker, PathResolver, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "walker" : "openat2"; });

}  // namespace
}  // namespace wasmlet::testing

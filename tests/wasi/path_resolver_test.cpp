// The resolver on its own, on openat2 and on the fallback walker.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "wasi/path_resolver.h"
#include "wasi_test_support.h"

namespace wasmlet::testing {
namespace {

namespace fs = std::filesystem;
using wasi::Errno;
using wasi::UniqueFd;
namespace err = wasi::err;

class PathResolver : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    wasi::force_fallback_resolver(GetParam());
    fs::create_directories(root_ / "box" / "a" / "b");
    write_file(root_ / "box" / "a" / "b" / "c.txt", "c");
    write_file(root_ / "outside.txt", "o");
    fs::create_symlink("../outside.txt", root_ / "box" / "up");
    fs::create_symlink("a/b", root_ / "box" / "ab");
    fs::create_symlink("l2", root_ / "box" / "l1");
    fs::create_symlink("l1", root_ / "box" / "l2");
    box_ = UniqueFd(::open((root_ / "box").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  }
  void TearDown() override { wasi::force_fallback_resolver(false); }

  Errno open(const std::string& path, bool follow = true, int flags = O_RDONLY) {
    UniqueFd fd;
    return wasi::open_beneath(box_.get(), path, flags, 0, follow, fd);
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
  EXPECT_EQ(open("a/b/c.txt"), err::success);
  EXPECT_EQ(open("a/../a/./b//c.txt"), err::success);
  EXPECT_EQ(open("ab/c.txt"), err::success);
  EXPECT_EQ(open("a/b/"), err::success);
}

TEST_P(PathResolver, RefusesEscapes) {
  EXPECT_EQ(open(".."), err::notcapable);
  EXPECT_EQ(open("../outside.txt"), err::notcapable);
  EXPECT_EQ(open("a/../../outside.txt"), err::notcapable);
  EXPECT_EQ(open("/etc/passwd"), err::notcapable);
  EXPECT_EQ(open("up"), err::notcapable);
}

TEST_P(PathResolver, LoopsMissingAndBadPaths) {
  EXPECT_EQ(open("l1"), err::loop);
  EXPECT_EQ(open("missing"), err::noent);
  EXPECT_EQ(open(""), err::noent);
  EXPECT_EQ(open(std::string("a\0b", 3)), err::inval);
  EXPECT_EQ(open("a/b/c.txt/x"), err::notdir);
}

TEST_P(PathResolver, FinalSymlinkFollowedOnlyWhenAsked) {
  EXPECT_EQ(open("ab", false), err::loop);
  EXPECT_EQ(open("ab", false, O_RDONLY | O_DIRECTORY), err::notdir);  // as the kernel says
  UniqueFd fd;
  ASSERT_EQ(wasi::open_beneath(box_.get(), "ab", O_PATH, 0, false, fd), err::success);
  struct stat st;
  ASSERT_EQ(::fstat(fd.get(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  ASSERT_EQ(wasi::open_beneath(box_.get(), "ab", O_PATH, 0, true, fd), err::success);
  ASSERT_EQ(::fstat(fd.get(), &st), 0);
  EXPECT_EQ(st.st_ino, inode(root_ / "box" / "a" / "b"));
}

TEST_P(PathResolver, ParentAndFinalComponent) {
  wasi::ParentDir p;
  ASSERT_EQ(wasi::open_parent(box_.get(), "a/b/c.txt", p), err::success);
  EXPECT_EQ(p.name, "c.txt");
  struct stat st;
  ::fstat(p.dir.get(), &st);
  EXPECT_EQ(st.st_ino, inode(root_ / "box" / "a" / "b"));

  ASSERT_EQ(wasi::open_parent(box_.get(), "a/b/", p), err::success);
  EXPECT_EQ(p.name, "b/");
  EXPECT_TRUE(p.trailing_slash);

  ASSERT_EQ(wasi::open_parent(box_.get(), "a/..", p), err::success);
  EXPECT_EQ(p.name, ".");
  ::fstat(p.dir.get(), &st);
  EXPECT_EQ(st.st_ino, inode(root_ / "box"));

  // The parent of a final symlink is opened, the link itself is left alone.
  ASSERT_EQ(wasi::open_parent(box_.get(), "up", p), err::success);
  EXPECT_EQ(p.name, "up");

  EXPECT_EQ(wasi::open_parent(box_.get(), "..", p), err::notcapable);
  EXPECT_EQ(wasi::open_parent(box_.get(), "../x", p), err::notcapable);
  EXPECT_EQ(wasi::open_parent(box_.get(), "up/x", p), err::notcapable);
  EXPECT_EQ(wasi::open_parent(box_.get(), "/x", p), err::notcapable);
}

INSTANTIATE_TEST_SUITE_P(Openat2AndWalker, PathResolver, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "walker" : "openat2"; });

}  // namespace
}  // namespace wasmlet::testing

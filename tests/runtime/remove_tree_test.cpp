// util::remove_tree, which deletes tmpfs mounts and named volumes: a tree
// deeper than the fd limit goes with a handful of fds, and a symlink in it
// is deleted, never followed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "temp_dir.h"
#include "util/remove_tree.h"

namespace wasmlet::util {
namespace {

using wasmlet::testing::TempDir;

// `depth` directories root/d/d/..., one level at a time (a path would pass
// PATH_MAX), with a file at the bottom.
void make_chain(const std::filesystem::path& root, int depth) {
  std::filesystem::create_directory(root);
  int dir = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(dir, 0);
  for (int i = 0; i < depth; ++i) {
    ASSERT_EQ(::mkdirat(dir, "d", 0755), 0) << "level " << i;
    int next = ::openat(dir, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ::close(dir);
    ASSERT_GE(next, 0) << "level " << i;
    dir = next;
  }
  int file = ::openat(dir, "bottom", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  EXPECT_GE(file, 0);
  ::close(file);
  ::close(dir);
}

// remove_tree(root) in a child process that may open only `spare_fds` files
// besides stdin, stdout and stderr; its exit status is the errno (0: done).
int remove_with_few_fds(const std::filesystem::path& root, int spare_fds) {
  pid_t pid = ::fork();
  if (pid == 0) {
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    for (int fd = 3; fd < static_cast<int>(std::min<rlim_t>(lim.rlim_cur, 1 << 16)); ++fd) ::close(fd);
    lim.rlim_cur = 3 + spare_fds;
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) ::_exit(120);
    ::_exit(remove_tree(root).value() & 0x7f);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(RemoveTree, ATreeDeeperThanTheFdLimitGoesWithAFewFds) {
  TempDir dir;
  auto root = dir / "deep";
  make_chain(root, 25000);
  // remove_all would hold 25,000 fds; the walk needs at most three.
  EXPECT_EQ(remove_with_few_fds(root, 4), 0);
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(root)));
  EXPECT_TRUE(std::filesystem::exists(dir.path()));
}

TEST(RemoveTree, SymlinksAreDeletedNeverFollowed) {
  TempDir dir;
  auto outside = dir / "outside";
  std::filesystem::create_directories(outside / "sub");
  dir.write("outside/keep.txt", "keep");
  dir.write("outside/sub/keep.txt", "keep");
  auto root = dir / "tree";
  make_chain(root, 50);
  std::filesystem::create_directory_symlink(outside, root / "to-outside");
  std::filesystem::create_directory_symlink(outside / "sub", root / "d/d/to-sub");
  std::filesystem::create_symlink(outside / "keep.txt", root / "d/to-file");
  std::filesystem::create_directory_symlink("../../..", root / "d/d/up");  // relative, out of the tree
  EXPECT_EQ(remove_with_few_fds(root, 4), 0);
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(root)));
  EXPECT_TRUE(std::filesystem::exists(outside / "keep.txt"));
  EXPECT_TRUE(std::filesystem::exists(outside / "sub/keep.txt"));
}

TEST(RemoveTree, ARootThatIsASymlinkIsDeletedItself) {
  TempDir dir;
  std::filesystem::create_directory(dir / "target");
  dir.write("target/keep.txt", "keep");
  std::filesystem::create_directory_symlink(dir / "target", dir / "link");
  EXPECT_FALSE(remove_tree(dir / "link"));
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(dir / "link")));
  EXPECT_TRUE(std::filesystem::exists(dir / "target/keep.txt"));
}

TEST(RemoveTree, NothingThereIsSuccessAndAFailureIsReported) {
  TempDir dir;
  EXPECT_FALSE(remove_tree(dir / "missing"));
  EXPECT_FALSE(remove_tree(dir / "missing/below"));
  if (::geteuid() == 0) GTEST_SKIP() << "root deletes from a read-only directory";
  make_chain(dir / "stuck", 3);
  std::filesystem::permissions(dir / "stuck/d/d", std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  auto ec = remove_tree(dir / "stuck");
  EXPECT_EQ(ec, std::errc::permission_denied) << ec.message();
  std::filesystem::permissions(dir / "stuck/d/d", std::filesystem::perms::owner_all);
  EXPECT_FALSE(remove_tree(dir / "stuck"));
  EXPECT_FALSE(std::filesystem::exists(dir / "stuck"));
}

}  // namespace
}  // namespace wasmlet::util

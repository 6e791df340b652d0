// What a guest may hold of the host (src/wasi_sys/dir_quota.h,
// src/wasi_sys/host_room.h): a preopen's size limit holds whatever the guest
// does with its files, and fds and directory listings are bounded, since
// every guest shares the host process (the daemon's) with the others.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "wasi_test_support.h"

namespace wasmlet::testing {
namespace {

constexpr uint64_t kLimit = 64 * 1024;

// Runs wasi_host_bounds with /q limited to kLimit (and /u, unlimited, if
// given) and expects it to end normally, printing `out`.
void expect_output(const TempDir& q, std::vector<std::string> args, const std::string& out, const TempDir* u = nullptr) {
  WasiConfig config;
  config.preopens.push_back({q.path(), "/q", false, kLimit});
  if (u) config.preopens.push_back({u->path(), "/u", false});
  args.insert(args.begin(), "wasi_host_bounds");
  config.args = std::move(args);
  GuestRun run = run_guest("wasi_host_bounds", config);
  ASSERT_TRUE(run.outcome.returned()) << run.outcome.trap.to_string() << run.out;
  EXPECT_EQ(run.out, out);
}

// A file unlinked while open keeps its blocks: writing on through its fd
// cannot free room (it was unbounded: the recount saw only linked files).
TEST(WasiHostBounds, AnUnlinkedOpenFileStillCountsAgainstTheSizeLimit) {
  TempDir q;
  expect_output(q, {"unlinked"},
                "open errno=0\n"
                "linked: 65536 bytes, errno=51\n"
                "unlink errno=0\n"
                "unlinked: 0 bytes more, errno=51\n");
}

// Its room comes back when it is closed, at once (the close lets the count
// start over without waiting for the once-a-second recount).
TEST(WasiHostBounds, ClosingAnUnlinkedFileGivesItsRoomBack) {
  TempDir q;
  expect_output(q, {"freed"},
                "a: 65536 bytes, errno=51\n"
                "unlink a errno=0\n"
                "b while a is open: 0 bytes, errno=51\n"
                "close a errno=0\n"
                "b after a is closed: 65536 bytes, errno=51\n");
}

// A rename or link between a limited and an unlimited preopen is `xdev`, as
// between two mounts (a file moved in was never counted); within one
// preopen both work.
TEST(WasiHostBounds, FilesCannotMoveAcrossASizeLimit) {
  TempDir q, u;
  expect_output(q, {"across"},
                "outside: 262144 bytes\n"
                "rename /u/outside /q/outside errno=75\n"
                "link /u/outside /q/outside errno=75\n"
                "rename /q/inside /u/inside errno=75\n"
                "link /q/inside /u/inside errno=75\n"
                "rename /q/inside /q/moved errno=0\n"
                "link /q/moved /q/again errno=0\n", &u);
  EXPECT_FALSE(std::filesystem::exists(q / "outside"));
  EXPECT_EQ(std::filesystem::file_size(u / "outside"), 262144u);
}

// A tree deeper than PATH_MAX allows as one path: its files were not
// counted (the recount stat'ed full paths), so one at the bottom grew
// without bound. The count now goes one directory fd at a time, and a tree
// deeper than it walks counts as full.
TEST(WasiHostBounds, FilesDeepDownCountAgainstTheSizeLimit) {
  TempDir q;
  expect_output(q, {"deep", "2100"},
                "depth 2100\n"
                "bottom: 65536 bytes, errno=51\n"
                "top: 0 bytes, errno=51\n");
}

// One guest cannot take every fd of the host process: past
// wasi_sys::kMaxGuestFds its opens are `mfile`.
TEST(WasiHostBounds, AGuestHoldsAtMostItsShareOfFds) {
  TempDir q;
  // stdin, stdout, stderr and /q are open already: 4,096 in all.
  expect_output(q, {"fds"}, "opened 4092, then errno=33\n");
}

// Listings on many fds at once: each fd keeps only where it stopped, so
// every fd reads its whole directory.
TEST(WasiHostBounds, ManyListingsAtOnceAllReadTheirDirectory) {
  TempDir q;
  expect_output(q, {"listings", "1000", "300"}, "listed on 300 fds, each 1002 entries\n");
}

// A listing costs the host one getdents buffer, whatever the directory's
// size (fd_readdir copied it whole: 113 MB of host memory for 300,000 long
// names): 10,000 names of 255 bytes are listed completely, on two fds
// reading in turn, 4 KiB at a time.
TEST(WasiHostBounds, AHugeDirectoryIsListedWhole) {
  TempDir q;
  int dirfd = ::open(q.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(dirfd, 0);
  for (int i = 0; i < 10000; ++i) {
    std::string name(248, 'n');
    name += std::to_string(1000000 + i);
    int fd = ::openat(dirfd, name.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    ::close(fd);
  }
  ::close(dirfd);
  WasiConfig config;
  config.preopens.push_back({q.path(), "/q", false});
  config.args = {"wasi_host_bounds", "listings", "0", "2"};
  GuestRun run = run_guest("wasi_host_bounds", config);
  ASSERT_TRUE(run.outcome.returned()) << run.outcome.trap.to_string() << run.out;
  EXPECT_EQ(run.out, "listed on 2 fds, each 10002 entries\n");
}

}  // namespace
}  // namespace wasmlet::testing

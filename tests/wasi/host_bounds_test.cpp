// What a guest may hold of the host (src/wasi_sys/dir_quota.h,
// src/wasi_sys/host_room.h): a preopen's size limit holds whatever the guest
// does with its files, and fds and directory listings are bounded, since
// every guest shares the host process (the daemon's) with the others.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <string>

#include "long_names.h"
#include "overlay_mount.h"
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
// deeper than it walks counts as full. (1,000 levels: deeper than the walk
// goes, within the entries a 64 KiB limit allows.)
TEST(WasiHostBounds, FilesDeepDownCountAgainstTheSizeLimit) {
  TempDir q;
  expect_output(q, {"deep", "1000"},
                "depth 1000\n"
                "bottom: 65536 bytes, errno=51\n"
                "top: 0 bytes, errno=51\n");
}

// Every name made beneath a sized preopen counts (DirQuota::entry_limit:
// at least 1,024, one per 4 KiB of the size): empty files, directories,
// symlinks and hard links hold no bytes, so without it a guest could make
// millions of them on the host's disk. Past the limit making one is `nospc`
// (51); an existing file still opens with O_CREAT; removing one lets one
// more be made.
TEST(WasiHostBounds, EveryEntryCountsAgainstTheSizeLimit) {
  for (const std::string kind : {"file", "dir", "symlink", "link"}) {
    SCOPED_TRACE(kind);
    TempDir q;
    // /q/src is one of the 1,024.
    expect_output(q, {"entries", kind},
                  "made 1023 " + kind + ", then errno=51\n"
                  "open existing with creat errno=0\n"
                  "open new with creat errno=51\n"
                  "remove one errno=0\n"
                  "make one again errno=0\n"
                  "and one more errno=51\n");
  }
}

// A write that crosses the limit writes what fits, as on a full disk (it
// failed whole, so the last bytes that fit were never written), and the
// next is `nospc`; fd_pwrite alike.
TEST(WasiHostBounds, AWriteAcrossTheSizeLimitIsShort) {
  TempDir q;
  expect_output(q, {"short"},
                "fd_write: 2536 of 3000 bytes, at 65536 in all\n"
                "then errno=51\n"
                "shrink to 60000 errno=0\n"
                "fd_pwrite 4000 at 59000: 4000 bytes, errno=0\n"
                "fd_pwrite 4000 at 63000: 2536 bytes, errno=0\n"
                "fd_pwrite 4000 at 65536: errno=51\n");
  EXPECT_EQ(std::filesystem::file_size(q / "a"), kLimit);
}

// On an fd that appends, Linux's pwrite writes at the end of the file
// whatever the offset, so fd_pwrite counts from there, as fd_write does:
// counted from offset 0, nothing grew, and the file did without bound. The
// append flag from path_open and from fd_fdstat_set_flags alike.
TEST(WasiHostBounds, APositionedWriteOnAnAppendingFdCountsFromTheEnd) {
  TempDir q;
  expect_output(q, {"append"},
                "f: 49152 bytes\n"
                "open g to append errno=0\n"
                "g: 8192 bytes\n"
                "g, fd_pwrite at 0: 8192 bytes, errno=51\n"
                "f set to append errno=0\n"
                "f, fd_pwrite at 0: 0 bytes, errno=51\n");
  EXPECT_EQ(std::filesystem::file_size(q / "f"), 49152u);
  EXPECT_EQ(std::filesystem::file_size(q / "g"), 16384u);
}

// So libc's stdio writes what fits, then reports ENOSPC (it wrote nothing).
TEST(WasiHostBounds, StdioWritesWhatFitsBeforeTheSizeLimit) {
  TempDir q;
  expect_output(q, {"stdio"}, "fwrite: 65536 of 100000 bytes, No space left on device\n");
  EXPECT_EQ(std::filesystem::file_size(q / "s"), kLimit);
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

// Runs wasi_host_bounds with `q` as /q, without a size limit; expects it to
// end normally and returns what it printed.
std::string run_unlimited(const std::filesystem::path& q, std::vector<std::string> args) {
  WasiConfig config;
  config.preopens.push_back({q, "/q", false});
  args.insert(args.begin(), "wasi_host_bounds");
  config.args = std::move(args);
  GuestRun run = run_guest("wasi_host_bounds", config);
  EXPECT_TRUE(run.outcome.returned()) << run.outcome.trap.to_string() << run.out;
  return run.out;
}

// A listing costs the host one getdents buffer, whatever the directory's
// size (fd_readdir copied it whole: 113 MB of host memory for 300,000 long
// names): 10,000 names of 255 bytes are listed completely, on two fds
// reading in turn, 4 KiB at a time.
TEST(WasiHostBounds, AHugeDirectoryIsListedWhole) {
  TempDir q;
  make_long_names(q.path(), 10000);
  EXPECT_EQ(run_unlimited(q.path(), {"listings", "0", "2"}), "listed on 2 fds, each 10002 entries\n");
}

// A listing read 4 KiB at a time gives every name exactly once (the
// cookie a call ends at continues the fd's open directory where it
// stopped, within one getdents buffer), not merely as many names.
TEST(WasiHostBounds, AListingGivesEveryNameOnce) {
  TempDir q;
  make_long_names(q.path(), 3000);
  std::istringstream out(run_unlimited(q.path(), {"names"}));
  std::map<std::string, int> seen;
  std::string line, last;
  while (std::getline(out, line)) {
    if (!last.empty()) ++seen[last];
    last = line;
  }
  EXPECT_EQ(last, "3002 entries");
  EXPECT_EQ(seen.size(), 3000u);
  for (const auto& entry : std::filesystem::directory_iterator(q.path())) {
    const std::string name = entry.path().filename().string();
    EXPECT_EQ(seen[name], 1) << name;
  }
}

// Removes every file of `dir` (3,000 long names) a listed batch at a time
// and expects nothing left, as `rm -r` needs.
void expect_removed_while_listed(const std::filesystem::path& dir) {
  EXPECT_EQ(run_unlimited(dir, {"rmall"}),
            "listed 3002 entries while removing them\n"
            "left: 2 entries\n");
  EXPECT_TRUE(std::filesystem::is_empty(dir));
}

TEST(WasiHostBounds, AGuestRemovesEveryFileItLists) {
  TempDir q;
  make_long_names(q.path(), 3000);
  expect_removed_while_listed(q.path());
}

// On overlayfs the first unlink in a directory only in the lower layer
// copies it up; a listing that reopened the directory each call and sought
// to the last call's position ended early there, leaving most files (2,866
// of 3,000). The listing now goes on on the fd's own open directory.
TEST(WasiHostBounds, AGuestRemovesEveryFileItListsOnOverlayfs) {
  TempDir root;
  OverlayMount overlay(root.path(), 3000);
  if (!overlay.mounted()) GTEST_SKIP() << "cannot mount an overlayfs (needs root and the overlay module): " << overlay.error();
  expect_removed_while_listed(overlay.dir());
}

}  // namespace
}  // namespace wasmlet::testing

// Files and directories in a read-write preopen, through libc and raw calls.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "wasi_test_support.h"

namespace wasmlet::testing {
namespace {

GuestRun run_raw(const TempDir& dir, const std::string& scenario) {
  return run_guest("wasi_fs_raw", with_dir(dir.path(), "/data", false, {"wasi_fs_raw", scenario}));
}

TEST(WasiFs, LibcCreateWriteReadRenameListRemove) {
  TempDir dir;
  GuestRun run = run_guest("wasi_fs_libc", with_dir(dir.path(), "/data"));
  ASSERT_TRUE(run.outcome.returned()) << run.outcome.trap.to_string() << run.err;
  EXPECT_EQ(run.out,
            "read 23 bytes: first line\nsecond line\n"
            "size=23 regular=1\nold exists=0\n"
            "entry .\nentry ..\nentry renamed.txt\nentry sub\n"
            "sub exists=0\n");
  EXPECT_EQ(read_file(dir / "renamed.txt"), "first line\nsecond line\n");
  EXPECT_FALSE(std::filesystem::exists(dir / "notes.txt"));
  EXPECT_FALSE(std::filesystem::exists(dir / "sub"));
}

TEST(WasiFs, ThousandFilesOpenAtOnce) {
  TempDir dir;
  GuestRun run = run_guest("wasi_many_files", with_dir(dir.path(), "/data"));
  ASSERT_TRUE(run.outcome.returned()) << run.outcome.trap.to_string() << run.out;
  EXPECT_EQ(run.out, "opened 1000 distinct=1 bad=0\n");
  EXPECT_EQ(read_file(dir / "f0999"), "999");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1000);
}

TEST(WasiFs, SeekTellPreadPwriteFilestatRenumber) {
  TempDir dir;
  GuestRun run = run_raw(dir, "seek");
  ASSERT_TRUE(run.outcome.returned()) << run.outcome.trap.to_string();
  EXPECT_EQ(run.out, R"(open errno=0
write errno=0
tell errno=0
written=11 pos=11
seek set errno=0
read errno=0
read=hello
seek end errno=0
pos=6
seek cur errno=0
pos=8
seek negative errno=28
seek bad whence errno=28
pread errno=0
pread=world
pwrite errno=0
tell errno=0
pos after pread/pwrite=8
pread all errno=0
content=hello WORLD
filestat errno=0
type=4 size=11 nlink=1
set_size errno=0
size=5
allocate errno=0
size=4096
allocate len 0 errno=28
size=4096
set_size errno=0
set_times errno=0
atim=1000000000000 mtim=2000000000000
set_times both errno=28
advise errno=0
advise bad errno=28
sync errno=0
datasync errno=0
fdstat errno=0
fdstat type=4 flags=0
set_flags append errno=0
seek set errno=0
write errno=0
size=6 flags=1
drop write errno=0
write without right errno=76
regain write errno=76
drop tell errno=0
tell without right errno=76
seek without right errno=76
open other errno=0
renumber errno=0
old fd errno=8
new fd errno=0
renumbered rights=2
renumber to closed errno=8
close errno=0
close again errno=8
reopen errno=0
lowest free reused=1
)");
  EXPECT_EQ(read_file(dir / "file.txt"), "hello!");
}

TEST(WasiFs, ReaddirCookiesAndTruncation) {
  TempDir dir;
  GuestRun run = run_raw(dir, "dir");
  ASSERT_TRUE(run.outcome.returned()) << run.outcome.trap.to_string();
  EXPECT_EQ(run.out, R"(mkdir errno=0
mkdir sub errno=0
open dir errno=0
readdir errno=0
entry . type=3
entry .. type=3
entry alpha type=4
entry beta type=4
entry delta type=4
entry epsilon type=4
entry gamma type=4
entry sub type=3
cookies sequential=1
total=8
readdir from cookie errno=0
after cookie 3: 5 entries
readdir small errno=0
small used=30
readdir past end errno=0
past end used=0
readdir on file errno=76
)");
}

TEST(WasiFs, SymlinkReadlinkLinkUnlinkRemoveDirectory) {
  TempDir dir;
  GuestRun run = run_raw(dir, "links");
  ASSERT_TRUE(run.outcome.returned()) << run.outcome.trap.to_string();
  EXPECT_EQ(run.out, R"(create target errno=0
symlink errno=0
symlink exists errno=20
symlink absolute errno=63
readlink errno=0
readlink=target.txt used=10
readlink short errno=0
readlink=targ used=4
readlink file errno=28
stat nofollow errno=0
type=7
stat follow errno=0
type=4 size=14
open nofollow errno=32
open follow errno=0
link errno=0
stat hard errno=0
nlink=2
link exists errno=20
link follow errno=28
set_times nofollow errno=0
mtim=3000000000000
set_times follow errno=0
mtim=4000000000000
unlink link errno=0
target still there errno=0
unlink hard errno=0
unlink missing errno=44
mkdir errno=0
mkdir exists errno=20
create in dir errno=0
rmdir not empty errno=55
unlink dir errno=31
rmdir file errno=54
unlink file/ errno=54
rename errno=0
rename missing errno=44
rmdir errno=0
rmdir missing errno=44
rmdir dot errno=28
stat moved errno=0
type=4
)");
  EXPECT_EQ(read_file(dir / "target.txt"), "target content");
  EXPECT_EQ(read_file(dir / "moved"), "");
  EXPECT_FALSE(std::filesystem::exists(dir / "abs"));
  EXPECT_FALSE(std::filesystem::exists(dir / "dir"));
}

// A prestat that would end past a 4 GiB memory is `fault`; its second
// half once wrapped around to address 0 (tests/fixtures/wat/wasi_prestat_wrap.wat).
TEST(WasiFs, PrestatAtTheTopOfA4GiBMemoryIsAFaultAndWritesNothing) {
  TempDir dir;
  GuestRun run = run_guest("wasi_prestat_wrap", with_dir(dir.path(), "/d"));
  ASSERT_TRUE(run.outcome.exited()) << run.outcome.trap.to_string();
  EXPECT_EQ(run.outcome.exit_code, 21);  // fault, and neither end of memory changed
}

// Opening a FIFO waits for its other end, as a blocking open(2) does: a
// reader is not handed end-of-file before a writer came, a writer not
// `nxio` before a reader came. Here the other end (this process) comes later.
TEST(WasiFs, OpeningAFifoWaitsForTheOtherEnd) {
  using namespace std::chrono_literals;
  TempDir dir;
  const auto fifo = dir / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // The host's ends open without blocking and give up after 5 s, so that a
  // guest which does not wait fails the test rather than hanging it.
  std::thread writer([&] {
    std::this_thread::sleep_for(200ms);
    for (int i = 0; i < 500; ++i, std::this_thread::sleep_for(10ms)) {
      int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (fd < 0) continue;  // no reader (yet)
      (void)!::write(fd, "from the host\n", 14);
      ::close(fd);
      return;
    }
  });
  GuestRun run = run_guest("wasi_fifo", with_dir(dir.path(), "/d", false, {"wasi_fifo", "read"}));
  writer.join();
  ASSERT_TRUE(run.outcome.returned()) << run.outcome.trap.to_string() << run.out;
  EXPECT_EQ(run.out, "read 14: from the host\n");

  std::string got;
  std::thread reader([&] {
    std::this_thread::sleep_for(200ms);
    int fd = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    pollfd p{fd, POLLIN, 0};
    char buf[64];
    ssize_t n;
    while (::poll(&p, 1, 5000) > 0 && (n = ::read(fd, buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
    ::close(fd);
  });
  run = run_guest("wasi_fifo", with_dir(dir.path(), "/d", false, {"wasi_fifo", "write"}));
  reader.join();
  ASSERT_TRUE(run.outcome.returned()) << run.outcome.trap.to_string() << run.out;
  EXPECT_EQ(run.out, "wrote 15\n");
  EXPECT_EQ(got, "from the guest\n");
}

// With no other end ever, the run's timeout still ends the wait.
TEST(WasiFs, TimeoutEndsAFifoOpenWaitingForTheOtherEnd) {
  using namespace std::chrono_literals;
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  for (const char* what : {"read", "write"}) {
    StoreLimits limits;
    limits.timeout = 300ms;
    const auto t0 = std::chrono::steady_clock::now();
    GuestRun run = run_guest("wasi_fifo", with_dir(dir.path(), "/d", false, {"wasi_fifo", what}), limits);
    ASSERT_TRUE(run.outcome.trapped()) << what << ": " << run.out;
    EXPECT_EQ(run.outcome.trap.kind, TrapKind::DeadlineExceeded) << what;
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s) << what;
  }
}

TEST(WasiFs, ErrnoValuesMatchTheSpec) {
  TempDir dir;
  GuestRun run = run_raw(dir, "errno");
  ASSERT_TRUE(run.outcome.returned()) << run.outcome.trap.to_string();
  EXPECT_EQ(run.out, R"(write bad fd errno=8
write from outside memory errno=21
fdstat into outside memory errno=21
clock bad id errno=28
clock realtime errno=0
realtime after 2020=1
monotonic ordered=1
clock process errno=0
clock thread errno=0
clock res errno=0
res positive=1
clock res bad errno=28
random errno=0
random differs=1
sched_yield errno=0
prestat stdin errno=8
prestat name short errno=37
open noent errno=44
open excl errno=0
open excl again errno=20
open file as dir errno=54
path_open on file fd errno=54
bad oflags errno=28
open dir for write errno=31
open directory with fd_write errno=31
seek on stdout errno=76
read on stdout errno=76
write on stdin errno=76
read empty stdin errno=0
stdin read=0
stdout type=2 seekable=0
dir type=3 can_open=1 can_read=0
create without right errno=76
open inherits errno=0
inherited write=0 read=1
write without inherited right errno=76
poll no subscriptions errno=28
sock_accept on file errno=57
sock_shutdown on file errno=57
empty path errno=44
proc_raise errno=52
)");
}

}  // namespace
}  // namespace wasmlet::testing

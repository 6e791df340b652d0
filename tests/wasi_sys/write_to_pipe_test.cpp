// wasi_sys::write_to_pipe on a pipe the kernel refuses RWF_NOWAIT for: a
// named FIFO (Linux 6.18 still takes it on anonymous pipes only), so the
// fallback runs on the real kernel, with no shim. It never blocks, says EAGAIN
// when the FIFO is full, and delivers everything in order.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string>

#include "temp_dir.h"
#include "wasi_sys/inherited_output.h"

namespace wasmlet::wasi_sys {
namespace {

TEST(WriteToPipe, ANamedFifoRefusingRwfNowaitGetsItAllWithoutBlocking) {
  wasmlet::testing::TempDir dir;
  const std::string fifo = (dir.path() / "fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  const int writer = ::open(fifo.c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(writer, 0);
  char probe = 'p';
  const iovec one{&probe, 1};
  if (::pwritev2(writer, &one, 1, -1, RWF_NOWAIT) == 1) GTEST_SKIP() << "this kernel takes RWF_NOWAIT on a named FIFO";
  ASSERT_EQ(errno, EOPNOTSUPP);

  std::string sent;
  for (int i = 0; sent.size() < (1u << 20); ++i) sent += "line " + std::to_string(i) + "\n";
  ::alarm(30);  // a write that blocks would hang this single thread: end the test instead
  std::string got;
  size_t done = 0, largest = 0;
  bool was_full = false;
  char buf[16384];
  while (done < sent.size()) {
    const iovec rest{sent.data() + done, std::min<size_t>(sent.size() - done, 65536)};
    const ssize_t n = write_to_pipe(writer, &rest, 1, /*block_sigpipe=*/true);
    if (n < 0) {
      ASSERT_TRUE(errno == EAGAIN || errno == EINTR) << strerror(errno);
      was_full = was_full || errno == EAGAIN;
      // The reader is slow: it takes a little only once the FIFO is full.
      const ssize_t r = ::read(reader, buf, sizeof buf);
      if (r > 0) got.append(buf, size_t(r));
      continue;
    }
    done += size_t(n);
    largest = std::max(largest, size_t(n));
  }
  for (ssize_t r; (r = ::read(reader, buf, sizeof buf)) > 0;) got.append(buf, size_t(r));
  ::alarm(0);
  ::close(writer);
  ::close(reader);
  EXPECT_TRUE(was_full) << "the FIFO never filled";
  EXPECT_LE(largest, size_t(PIPE_BUF)) << "a write of more than PIPE_BUF: the fallback did not run";
  EXPECT_EQ(got.size(), sent.size());
  EXPECT_TRUE(got == sent) << "the bytes arrived changed or out of order";
}

}  // namespace
}  // namespace wasmlet::wasi_sys

// The WASI 0.2 host interfaces, called directly with WIT values.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fcntl.h>
#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "component/wasi/host_state.h"
#include "component_fixtures.h"
#include "long_names.h"
#include "overlay_mount.h"
#include "wasmlet/component/wasi_host.h"
#include "wasmlet/engine.h"
#include "wasmlet/error.h"
#include "wasmlet/store.h"

#include <thread>
#include "wasi_sys/path_resolver.h"

using namespace wasmlet::component;
namespace fs = std::filesystem;

namespace {

struct Captured {
  std::string out, err;
};

struct Host {
  std::shared_ptr<Captured> cap = std::make_shared<Captured>();
  std::unique_ptr<WasiHost> host;
  explicit Host(wasmlet::WasiConfig config = {}) {
    auto c = cap;
    config.output = [c](wasmlet::OutputStream s, std::span<const uint8_t> b) {
      (s == wasmlet::OutputStream::Stdout ? c->out : c->err).append(b.begin(), b.end());
    };
    host = std::make_unique<WasiHost>(std::move(config));
  }
  Val call(const std::string& iface, const std::string& fn, std::vector<Val> args = {}) {
    auto* f = host->find(iface, fn);
    if (!f) throw std::runtime_error("no host function " + iface + " " + fn);
    auto r = host->call(*f, args);
    return r ? *r : Val();
  }
};

Val flags(uint32_t b) { return Val::flags(b); }

}  // namespace

TEST(WasiHost, EveryZeroTwoMinorVersionIsAccepted) {
  Host h;
  EXPECT_NE(h.host->find("wasi:cli/environment@0.2.0", "get-arguments"), nullptr);
  EXPECT_NE(h.host->find("wasi:cli/environment@0.2.12", "get-arguments"), nullptr);
  EXPECT_TRUE(h.host->provides("wasi:io/streams@0.2.3"));
  EXPECT_FALSE(h.host->provides("wasi:io/streams@0.3.0"));
  EXPECT_THROW(h.host->find("wasi:cli/environment@0.3.0", "get-arguments"), wasmlet::LinkError);
  EXPECT_EQ(h.host->find("wasi:cli/environment@0.2.0", "no-such-function"), nullptr);
  EXPECT_TRUE(h.host->provides("wasi:sockets/tcp@0.2.0"));
  EXPECT_TRUE(h.host->provides("wasi:sockets/udp@0.2.0"));
  EXPECT_FALSE(h.host->provides("wasi:http/types@0.2.0"));  // not part of WASI 0.2 CLI
}

// The lifted arguments reach the function as they are, padded to WASI's
// most parameters: not copied (a copy doubled what a call took of host
// memory).
TEST(WasiHost, CallPassesTheArgumentsWithoutCopyingThem) {
  wasmlet::WasiConfig config;
  WasiHost host(config);
  std::vector<Val> args = {Val::bytes(std::string(1u << 20, 'x')), Val::list({Val::string(std::string(4096, 'y'))})};
  const char* bytes = args[0].s.data();
  const Val* item = args[1].items.data();
  const char* seen_bytes = nullptr;
  const Val* seen_item = nullptr;
  size_t seen_count = 0;
  WasiHost::Function f = [&](std::span<const Val> a) -> std::optional<Val> {
    seen_bytes = a[0].s.data();
    seen_item = a[1].items.data();
    seen_count = a.size();
    return Val::boolean(a[2] == Val());
  };
  EXPECT_EQ(host.call(f, std::move(args)), Val::boolean(true));  // missing arguments read as zero values
  EXPECT_EQ(seen_count, 8u);
  EXPECT_EQ(seen_bytes, bytes) << "the list<u8> was copied";
  EXPECT_EQ(seen_item, item) << "the list was copied";
}

TEST(WasiHost, ArgumentsAndEnvironment) {
  Host h(wasmlet::WasiConfig{{"prog", "a b", "c"}, {"K=V", "EMPTY="}, {}, {}, {}, {}});
  auto args = h.call("wasi:cli/environment@0.2.0", "get-arguments");
  ASSERT_EQ(args.items.size(), 3u);
  EXPECT_EQ(args.items[1].s, "a b");
  auto env = h.call("wasi:cli/environment@0.2.0", "get-environment");
  ASSERT_EQ(env.items.size(), 2u);
  EXPECT_EQ(env.items[0].items[0].s, "K");
  EXPECT_EQ(env.items[0].items[1].s, "V");
  EXPECT_EQ(env.items[1].items[1].s, "");
  EXPECT_EQ(h.call("wasi:cli/environment@0.2.0", "initial-cwd"), Val::none());
}

TEST(WasiHost, StdoutAndStderrReachTheSinkInOrder) {
  Host h;
  Val out = h.call("wasi:cli/stdout@0.2.0", "get-stdout");
  Val err = h.call("wasi:cli/stderr@0.2.0", "get-stderr");
  EXPECT_EQ(h.call("wasi:io/streams@0.2.0", "[method]output-stream.check-write", {out}).index, 0u);
  EXPECT_EQ(h.call("wasi:io/streams@0.2.0", "[method]output-stream.blocking-write-and-flush", {out, Val::bytes("hello\n")}),
            Val::ok());
  h.call("wasi:io/streams@0.2.0", "[method]output-stream.write", {err, Val::bytes("oops\n")});
  h.call("wasi:io/streams@0.2.0", "[method]output-stream.blocking-flush", {out});
  EXPECT_EQ(h.cap->out, "hello\n");
  EXPECT_EQ(h.cap->err, "oops\n");
  size_t live = h.host->live_resources();
  h.host->drop(out.handle);
  EXPECT_EQ(h.host->live_resources(), live - 1);
}

TEST(WasiHost, StdinFromAFileOrEmpty) {
  component_test::TempDir dir;
  std::ofstream(dir.path() / "in.txt") << "line one\n";
  Host empty;
  Val in = empty.call("wasi:cli/stdin@0.2.0", "get-stdin");
  Val r = empty.call("wasi:io/streams@0.2.0", "[method]input-stream.read", {in, Val::u64(10)});
  EXPECT_EQ(r.index, 1u);                   // err
  EXPECT_EQ(r.payload()->index, 1u);        // closed
  wasmlet::WasiConfig c;
  c.stdin_file = dir.path() / "in.txt";
  Host h(c);
  in = h.call("wasi:cli/stdin@0.2.0", "get-stdin");
  r = h.call("wasi:io/streams@0.2.0", "[method]input-stream.blocking-read", {in, Val::u64(4)});
  EXPECT_EQ(r.payload()->as_bytes(), "line");
  r = h.call("wasi:io/streams@0.2.0", "[method]input-stream.read", {in, Val::u64(100)});
  EXPECT_EQ(r.payload()->as_bytes(), " one\n");
  r = h.call("wasi:io/streams@0.2.0", "[method]input-stream.read", {in, Val::u64(100)});
  EXPECT_EQ(r.index, 1u);
}

// skip answers how many bytes it passed over (counted from the compact
// list<u8> that read makes).
TEST(WasiHost, SkipCountsTheBytesPassedOver) {
  component_test::TempDir dir;
  std::ofstream(dir.path() / "in.txt") << "line one\n";
  wasmlet::WasiConfig c;
  c.stdin_file = dir.path() / "in.txt";
  Host h(c);
  Val in = h.call("wasi:cli/stdin@0.2.0", "get-stdin");
  EXPECT_EQ(h.call("wasi:io/streams@0.2.0", "[method]input-stream.skip", {in, Val::u64(5)}), Val::ok(Val::u64(5)));
  EXPECT_EQ(h.call("wasi:io/streams@0.2.0", "[method]input-stream.blocking-skip", {in, Val::u64(2)}), Val::ok(Val::u64(2)));
  EXPECT_EQ(h.call("wasi:io/streams@0.2.0", "[method]input-stream.read", {in, Val::u64(100)}).payload()->as_bytes(), "e\n");
}

TEST(WasiHost, ExitThrowsTheCode) {
  Host h;
  try {
    h.call("wasi:cli/exit@0.2.0", "exit", {Val::err()});
    FAIL();
  } catch (const wasmlet::component::wasi::ExitRequest& e) {
    EXPECT_EQ(e.code, 1);
  }
  try {
    h.call("wasi:cli/exit@0.2.0", "exit", {Val::ok()});
    FAIL();
  } catch (const wasmlet::component::wasi::ExitRequest& e) {
    EXPECT_EQ(e.code, 0);
  }
  try {
    h.call("wasi:cli/exit@0.2.0", "exit-with-code", {Val::integer(42)});
    FAIL();
  } catch (const wasmlet::component::wasi::ExitRequest& e) {
    EXPECT_EQ(e.code, 42);
  }
}

TEST(WasiHost, ClocksAndPollables) {
  Host h;
  uint64_t a = uint64_t(h.call("wasi:clocks/monotonic-clock@0.2.0", "now").i);
  uint64_t b = uint64_t(h.call("wasi:clocks/monotonic-clock@0.2.0", "now").i);
  EXPECT_LE(a, b);
  EXPECT_GT(h.call("wasi:clocks/monotonic-clock@0.2.0", "resolution").i, 0);
  Val wall = h.call("wasi:clocks/wall-clock@0.2.0", "now");
  EXPECT_GT(wall.items[0].i, 1700000000);
  EXPECT_LT(wall.items[1].i, 1000000000);
  Val p = h.call("wasi:clocks/monotonic-clock@0.2.0", "subscribe-duration", {Val::u64(20'000'000)});
  EXPECT_FALSE(h.call("wasi:io/poll@0.2.0", "[method]pollable.ready", {p}).b);
  Val ready = h.call("wasi:clocks/monotonic-clock@0.2.0", "subscribe-duration", {Val::u64(0)});
  Val which = h.call("wasi:io/poll@0.2.0", "poll", {Val::list({p, ready})});
  ASSERT_EQ(which.items.size(), 1u);
  EXPECT_EQ(which.items[0].i, 1);
  auto t0 = std::chrono::steady_clock::now();
  h.call("wasi:io/poll@0.2.0", "[method]pollable.block", {p});
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(10));
  EXPECT_TRUE(h.call("wasi:io/poll@0.2.0", "[method]pollable.ready", {p}).b);
}

TEST(WasiHost, Random) {
  Host h;
  Val a = h.call("wasi:random/random@0.2.0", "get-random-bytes", {Val::u64(32)});
  Val b = h.call("wasi:random/random@0.2.0", "get-random-bytes", {Val::u64(32)});
  EXPECT_EQ(a.as_bytes().size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_NE(h.call("wasi:random/random@0.2.0", "get-random-u64").i, h.call("wasi:random/random@0.2.0", "get-random-u64").i);
  EXPECT_EQ(h.call("wasi:random/insecure@0.2.0", "get-insecure-random-bytes", {Val::u64(5)}).as_bytes().size(), 5u);
  EXPECT_EQ(h.call("wasi:random/insecure-seed@0.2.0", "insecure-seed").items.size(), 2u);
  // One call returns at most 1 MiB.
  EXPECT_EQ(h.call("wasi:random/random@0.2.0", "get-random-bytes", {Val::u64(1 << 20)}).as_bytes().size(), size_t{1} << 20);
  for (const char* fn : {"get-random-bytes", "get-insecure-random-bytes"}) {
    const std::string iface = std::string("wasi:random/") + (fn[4] == 'r' ? "random" : "insecure") + "@0.2.0";
    try {
      h.call(iface, fn, {Val::u64(uint64_t{1} << 28)});
      ADD_FAILURE() << fn << " returned 256 MiB";
    } catch (const wasmlet::Error& e) {
      EXPECT_NE(std::string(e.what()).find("268435456 bytes asked for at once, more than the 1048576 one call may return"),
                std::string::npos) << e.what();
    }
  }
}

TEST(WasiHost, FilesInAPreopen) {
  component_test::TempDir dir;
  wasmlet::WasiConfig c;
  c.preopens.push_back({dir.path(), "/data", false});
  Host h(c);
  const std::string fs = "wasi:filesystem/types@0.2.0";
  Val dirs = h.call("wasi:filesystem/preopens@0.2.0", "get-directories");
  ASSERT_EQ(dirs.items.size(), 1u);
  EXPECT_EQ(dirs.items[0].items[1].s, "/data");
  Val root = dirs.items[0].items[0];
  // create + write through a stream
  Val opened = h.call(fs, "[method]descriptor.open-at", {root, flags(1), Val::string("out.txt"), flags(1 | 8), flags(2)});
  ASSERT_EQ(opened.index, 0u) << opened.to_string();
  Val file = *opened.payload();
  Val stream = h.call(fs, "[method]descriptor.write-via-stream", {file, Val::u64(0)});
  ASSERT_EQ(stream.index, 0u);
  h.call("wasi:io/streams@0.2.0", "[method]output-stream.blocking-write-and-flush", {*stream.payload(), Val::bytes("written\n")});
  std::ifstream in(dir.path() / "out.txt");
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "written");
  // read it back with descriptor.read
  Val r = h.call(fs, "[method]descriptor.read", {file, Val::u64(100), Val::u64(0)});
  EXPECT_EQ(r.index, 1u);  // opened write-only: EBADF -> bad-descriptor
  Val ro = *h.call(fs, "[method]descriptor.open-at", {root, flags(1), Val::string("out.txt"), flags(0), flags(1)}).payload();
  r = h.call(fs, "[method]descriptor.read", {ro, Val::u64(100), Val::u64(0)});
  ASSERT_EQ(r.index, 0u);
  EXPECT_EQ(r.payload()->items[0].as_bytes(), "written\n");
  // stat, directories
  Val st = h.call(fs, "[method]descriptor.stat", {ro});
  EXPECT_EQ(st.payload()->items[0].index, 6u);  // regular-file
  EXPECT_EQ(st.payload()->items[2].i, 8);
  EXPECT_EQ(h.call(fs, "[method]descriptor.create-directory-at", {root, Val::string("sub")}), Val::ok());
  Val entries = *h.call(fs, "[method]descriptor.read-directory", {root}).payload();
  std::vector<std::string> names;
  while (true) {
    Val e = h.call(fs, "[method]directory-entry-stream.read-directory-entry", {entries});
    if (e.payload()->index == 0) break;
    names.push_back(e.payload()->payload()->items[1].s);
  }
  std::sort(names.begin(), names.end());  // the kernel's order, as wasmtime gives it
  EXPECT_EQ(names, (std::vector<std::string>{"out.txt", "sub"}));
  EXPECT_EQ(h.call(fs, "[method]descriptor.remove-directory-at", {root, Val::string("sub")}), Val::ok());
  EXPECT_EQ(h.call(fs, "[method]descriptor.unlink-file-at", {root, Val::string("out.txt")}), Val::ok());
  Val missing = h.call(fs, "[method]descriptor.open-at", {root, flags(1), Val::string("out.txt"), flags(0), flags(1)});
  EXPECT_EQ(missing, Val::err(Val::enumeration(20)));  // no-entry
}

// Checks every way out of a preopen: "..", absolute paths, symlinks.
void expect_escapes_prevented() {
  component_test::TempDir dir;
  fs::create_directories(dir.path() / "inner");
  std::ofstream(dir.path() / "secret.txt") << "secret";
  fs::create_symlink("../secret.txt", dir.path() / "inner" / "link");
  fs::create_symlink("/etc/passwd", dir.path() / "inner" / "abs");
  wasmlet::WasiConfig c;
  c.preopens.push_back({dir.path() / "inner", "/sandbox", false});
  Host h(c);
  const std::string fs = "wasi:filesystem/types@0.2.0";
  Val root = h.call("wasi:filesystem/preopens@0.2.0", "get-directories").items[0].items[0];
  const Val not_permitted = Val::err(Val::enumeration(31));
  for (const char* path : {"../secret.txt", "/etc/passwd", "link", "abs", "a/../../secret.txt"}) {
    Val r = h.call(fs, "[method]descriptor.open-at", {root, flags(1), Val::string(path), flags(0), flags(1)});
    EXPECT_EQ(r.index, 1u) << path;
    if (std::string(path) != "a/../../secret.txt") EXPECT_EQ(r, not_permitted) << path << " " << r.to_string();
  }
  EXPECT_EQ(h.call(fs, "[method]descriptor.stat-at", {root, flags(1), Val::string("../secret.txt")}), not_permitted);
  EXPECT_EQ(h.call(fs, "[method]descriptor.unlink-file-at", {root, Val::string("../secret.txt")}), not_permitted);
  EXPECT_EQ(h.call(fs, "[method]descriptor.create-directory-at", {root, Val::string("..")}), not_permitted);
  EXPECT_EQ(h.call(fs, "[method]descriptor.create-directory-at", {root, Val::string("link/x")}), not_permitted);
  EXPECT_EQ(h.call(fs, "[method]descriptor.stat-at", {root, flags(1), Val::string("abs")}), not_permitted);
  EXPECT_TRUE(fs::exists(dir.path() / "secret.txt"));
}

TEST(WasiHost, EscapesArePrevented) { expect_escapes_prevented(); }

// The component host resolves paths with the sandbox preview1 uses too
// (src/wasi_sys/path_resolver.h), so where openat2 is missing (Linux < 5.6) its
// portable walker keeps the component inside its preopens too.
TEST(WasiHost, EscapesArePreventedWithoutOpenat2) {
  wasmlet::wasi_sys::force_fallback_resolver(true);
  struct Restore {
    ~Restore() { wasmlet::wasi_sys::force_fallback_resolver(false); }
  } restore;
  expect_escapes_prevented();
}

TEST(WasiHost, ReadOnlyPreopensRefuseEveryWrite) {
  component_test::TempDir dir;
  std::ofstream(dir.path() / "f.txt") << "data";
  wasmlet::WasiConfig c;
  c.preopens.push_back({dir.path(), "/ro", true});
  Host h(c);
  const std::string fs = "wasi:filesystem/types@0.2.0";
  Val root = h.call("wasi:filesystem/preopens@0.2.0", "get-directories").items[0].items[0];
  const Val read_only = Val::err(Val::enumeration(33));
  EXPECT_EQ(h.call(fs, "[method]descriptor.open-at", {root, flags(1), Val::string("new.txt"), flags(1), flags(2)}), read_only);
  EXPECT_EQ(h.call(fs, "[method]descriptor.open-at", {root, flags(1), Val::string("f.txt"), flags(8), flags(1)}), read_only);
  EXPECT_EQ(h.call(fs, "[method]descriptor.create-directory-at", {root, Val::string("d")}), read_only);
  EXPECT_EQ(h.call(fs, "[method]descriptor.unlink-file-at", {root, Val::string("f.txt")}), read_only);
  Val f = h.call(fs, "[method]descriptor.open-at", {root, flags(1), Val::string("f.txt"), flags(0), flags(1)});
  ASSERT_EQ(f.index, 0u);
  EXPECT_EQ(h.call(fs, "[method]descriptor.write-via-stream", {*f.payload(), Val::u64(0)}), read_only);
  EXPECT_EQ(h.call(fs, "[method]descriptor.write", {*f.payload(), Val::bytes("x"), Val::u64(0)}), read_only);
  EXPECT_EQ(h.call(fs, "[method]descriptor.set-size", {*f.payload(), Val::u64(0)}), read_only);
  EXPECT_EQ(h.call(fs, "[method]descriptor.get-flags", {root}), Val::ok(Val::flags(1)));
  Val r = h.call(fs, "[method]descriptor.read", {*f.payload(), Val::u64(10), Val::u64(0)});
  EXPECT_EQ(r.payload()->items[0].as_bytes(), "data");
  std::ifstream in(dir.path() / "f.txt");
  std::string content;
  in >> content;
  EXPECT_EQ(content, "data");
}

// A preopen's max_bytes (a spec's tmpfs size) holds for components too:
// streams, positioned writes and set-size past it are insufficient-space.
// A write across it writes what fits first, as on a full disk: check-write
// says how much room is left (so libc's write() is short), a stream write
// given more writes what fits and fails, descriptor.write returns the count.
TEST(WasiHost, APreopenSizeLimitRefusesGrowthPastIt) {
  component_test::TempDir dir;
  wasmlet::WasiConfig c;
  c.preopens.push_back({dir.path(), "/small", false, 1000});
  Host h(c);
  const std::string fs = "wasi:filesystem/types@0.2.0", io = "wasi:io/streams@0.2.0";
  Val root = h.call("wasi:filesystem/preopens@0.2.0", "get-directories").items[0].items[0];
  Val file = *h.call(fs, "[method]descriptor.open-at", {root, flags(1), Val::string("f"), flags(1 | 8), flags(1 | 2)}).payload();
  Val stream = *h.call(fs, "[method]descriptor.append-via-stream", {file}).payload();
  EXPECT_EQ(h.call(io, "[method]output-stream.check-write", {stream}), Val::ok(Val::u64(1000)));
  EXPECT_EQ(h.call(io, "[method]output-stream.blocking-write-and-flush", {stream, Val::bytes(std::string(600, 'a'))}), Val::ok());
  EXPECT_EQ(h.call(io, "[method]output-stream.check-write", {stream}), Val::ok(Val::u64(400)));
  Val full = h.call(io, "[method]output-stream.blocking-write-and-flush", {stream, Val::bytes(std::string(600, 'b'))});
  ASSERT_EQ(full.index, 1u) << full.to_string();
  Val error = *full.payload()->payload();  // last-operation-failed(error)
  const Val no_space = Val::enumeration(23);  // insufficient-space
  EXPECT_EQ(h.call(fs, "filesystem-error-code", {error}), Val::some(no_space));
  EXPECT_EQ(h.call("wasi:io/error@0.2.0", "[method]error.to-debug-string", {error}).s,
            "write to /small/f: No space left on device (its mount's size limit, 1000 bytes, is reached)");
  EXPECT_EQ(fs::file_size(dir.path() / "f"), 1000u);  // the 400 bytes that fitted
  Val refused = h.call(io, "[method]output-stream.check-write", {stream});
  ASSERT_EQ(refused.index, 1u) << refused.to_string();
  EXPECT_EQ(h.call(fs, "filesystem-error-code", {*refused.payload()->payload()}), Val::some(no_space));
  EXPECT_EQ(h.call(fs, "[method]descriptor.write", {file, Val::bytes(std::string(500, 'c')), Val::u64(1000)}), Val::err(no_space));
  EXPECT_EQ(h.call(fs, "[method]descriptor.set-size", {file, Val::u64(2000)}), Val::err(no_space));
  EXPECT_EQ(fs::file_size(dir.path() / "f"), 1000u);
  // Within the file, and after shrinking, writes go on; one across the limit is short.
  EXPECT_EQ(h.call(fs, "[method]descriptor.write", {file, Val::bytes(std::string(400, 'c')), Val::u64(600)}), Val::ok(Val::u64(400)));
  EXPECT_EQ(h.call(fs, "[method]descriptor.set-size", {file, Val::u64(100)}), Val::ok());
  EXPECT_EQ(h.call(fs, "[method]descriptor.write", {file, Val::bytes(std::string(1500, 'd')), Val::u64(100)}), Val::ok(Val::u64(900)));
  EXPECT_EQ(fs::file_size(dir.path() / "f"), 1000u);
}

// An append stream writes at the end of the file (it wrote at the
// descriptor's own position: over the start of a file it did not write,
// and, after set-size shrank the file, past its end, growing it beyond the
// size limit while the limit counted the write at the end).
TEST(WasiHost, AnAppendStreamWritesAtTheEndWithinTheSizeLimit) {
  component_test::TempDir dir;
  wasmlet::WasiConfig c;
  c.preopens.push_back({dir.path(), "/small", false, 1000});
  Host h(c);
  const std::string fs = "wasi:filesystem/types@0.2.0", io = "wasi:io/streams@0.2.0";
  Val root = h.call("wasi:filesystem/preopens@0.2.0", "get-directories").items[0].items[0];
  Val file = *h.call(fs, "[method]descriptor.open-at", {root, flags(1), Val::string("f"), flags(1 | 8), flags(1 | 2)}).payload();
  EXPECT_EQ(h.call(fs, "[method]descriptor.write", {file, Val::bytes("start"), Val::u64(0)}), Val::ok(Val::u64(5)));
  Val stream = *h.call(fs, "[method]descriptor.append-via-stream", {file}).payload();
  EXPECT_EQ(h.call(io, "[method]output-stream.blocking-write-and-flush", {stream, Val::bytes(std::string(895, 'a'))}), Val::ok());
  ASSERT_EQ(fs::file_size(dir.path() / "f"), 900u);
  Val head = h.call(fs, "[method]descriptor.read", {file, Val::u64(5), Val::u64(0)});
  EXPECT_EQ(head.payload()->items[0].as_bytes(), "start");
  EXPECT_EQ(h.call(fs, "[method]descriptor.set-size", {file, Val::u64(0)}), Val::ok());
  EXPECT_EQ(h.call(io, "[method]output-stream.blocking-write-and-flush", {stream, Val::bytes(std::string(900, 'b'))}), Val::ok());
  EXPECT_EQ(fs::file_size(dir.path() / "f"), 900u);
  Val full = h.call(io, "[method]output-stream.blocking-write-and-flush", {stream, Val::bytes(std::string(900, 'c'))});
  EXPECT_EQ(full.index, 1u) << full.to_string();
  EXPECT_EQ(fs::file_size(dir.path() / "f"), 1000u);
}

// Every name made beneath a sized preopen counts (at least 1,024 entries,
// wasi_sys::DirQuota::entry_limit), so a component cannot fill the host
// with empty files or directories: past it create-directory-at, open-at
// creating, symlink-at and link-at are insufficient-space; an existing file
// still opens with `create`, and removing an entry makes room for one.
TEST(WasiHost, EveryEntryCountsAgainstASizeLimit) {
  component_test::TempDir dir;
  wasmlet::WasiConfig c;
  c.preopens.push_back({dir.path(), "/small", false, 1000});
  Host h(c);
  const std::string fs = "wasi:filesystem/types@0.2.0";
  Val root = h.call("wasi:filesystem/preopens@0.2.0", "get-directories").items[0].items[0];
  ASSERT_EQ(h.call(fs, "[method]descriptor.open-at", {root, flags(1), Val::string("f"), flags(1), flags(1)}).index, 0u);
  for (int i = 0; i < 1023; ++i)
    ASSERT_EQ(h.call(fs, "[method]descriptor.create-directory-at", {root, Val::string("d" + std::to_string(i))}), Val::ok()) << i;
  const Val no_space = Val::err(Val::enumeration(23));
  EXPECT_EQ(h.call(fs, "[method]descriptor.create-directory-at", {root, Val::string("one-more")}), no_space);
  EXPECT_EQ(h.call(fs, "[method]descriptor.open-at", {root, flags(1), Val::string("g"), flags(1), flags(1)}), no_space);
  EXPECT_EQ(h.call(fs, "[method]descriptor.symlink-at", {root, Val::string("f"), Val::string("s")}), no_space);
  EXPECT_EQ(h.call(fs, "[method]descriptor.link-at", {root, flags(0), Val::string("f"), root, Val::string("l")}), no_space);
  EXPECT_EQ(h.call(fs, "[method]descriptor.open-at", {root, flags(1), Val::string("f"), flags(1), flags(1)}).index, 0u);
  EXPECT_FALSE(fs::exists(dir.path() / "one-more"));
  EXPECT_FALSE(fs::exists(dir.path() / "g"));
  EXPECT_EQ(h.call(fs, "[method]descriptor.remove-directory-at", {root, Val::string("d0")}), Val::ok());
  EXPECT_EQ(h.call(fs, "[method]descriptor.symlink-at", {root, Val::string("f"), Val::string("s")}), Val::ok());
  EXPECT_EQ(h.call(fs, "[method]descriptor.create-directory-at", {root, Val::string("one-more")}), no_space);
}

// A rename or link between preopens with different size limits is
// cross-device, as between two mounts: a file moved in would not be counted
// where it lands. Within one preopen both work.
TEST(WasiHost, FilesCannotMoveAcrossASizeLimit) {
  component_test::TempDir small, free;
  std::ofstream(free.path() / "big") << std::string(5000, 'b');
  std::ofstream(small.path() / "inside") << "in";
  wasmlet::WasiConfig c;
  c.preopens.push_back({small.path(), "/small", false, 1000});
  c.preopens.push_back({free.path(), "/free", false});
  Host h(c);
  const std::string fs = "wasi:filesystem/types@0.2.0";
  Val dirs = h.call("wasi:filesystem/preopens@0.2.0", "get-directories");
  Val limited = dirs.items[0].items[0], unlimited = dirs.items[1].items[0];
  const Val cross_device = Val::err(Val::enumeration(36));
  EXPECT_EQ(h.call(fs, "[method]descriptor.rename-at", {unlimited, Val::string("big"), limited, Val::string("big")}), cross_device);
  EXPECT_EQ(h.call(fs, "[method]descriptor.link-at", {unlimited, flags(0), Val::string("big"), limited, Val::string("big")}),
            cross_device);
  EXPECT_EQ(h.call(fs, "[method]descriptor.rename-at", {limited, Val::string("inside"), unlimited, Val::string("out")}),
            cross_device);
  EXPECT_FALSE(fs::exists(small.path() / "big"));
  EXPECT_EQ(h.call(fs, "[method]descriptor.rename-at", {limited, Val::string("inside"), limited, Val::string("moved")}), Val::ok());
  EXPECT_EQ(h.call(fs, "[method]descriptor.link-at", {limited, flags(0), Val::string("moved"), limited, Val::string("again")}),
            Val::ok());
}

// A listing is read a batch at a time, never whole: a directory far larger
// than any batch (10,000 names of 255 bytes: 2.5 MB) is listed completely,
// each entry once, with "." and ".." left out.
TEST(WasiHost, AHugeDirectoryIsListedWhole) {
  component_test::TempDir dir;
  wasmlet::testing::make_long_names(dir.path(), 10000);
  fs::create_directory(dir.path() / "sub");
  wasmlet::WasiConfig c;
  c.preopens.push_back({dir.path(), "/d", false});
  Host h(c);
  const std::string fs = "wasi:filesystem/types@0.2.0";
  Val root = h.call("wasi:filesystem/preopens@0.2.0", "get-directories").items[0].items[0];
  Val stream = h.call(fs, "[method]descriptor.read-directory", {root});
  ASSERT_EQ(stream.index, 0u) << stream.to_string();
  std::set<std::string> names;
  size_t listed = 0, directories = 0;
  for (;;) {
    Val e = h.call(fs, "[method]directory-entry-stream.read-directory-entry", {*stream.payload()});
    ASSERT_EQ(e.index, 0u) << e.to_string();
    if (e.payload()->index == 0) break;
    ++listed;
    if (e.payload()->payload()->items[0].index == 3) ++directories;  // directory
    names.insert(e.payload()->payload()->items[1].s);
  }
  EXPECT_EQ(listed, 10001u);
  EXPECT_EQ(names.size(), 10001u);
  EXPECT_EQ(directories, 1u);
  EXPECT_TRUE(names.count("sub"));
  EXPECT_FALSE(names.count("."));
  // At the end it stays at the end.
  EXPECT_EQ(h.call(fs, "[method]directory-entry-stream.read-directory-entry", {*stream.payload()}),
            Val::ok(Val::none()));
}

// A guest that removes each entry as it reads it, as `rm -r` does, leaves
// nothing: the stream reads its own open directory on, batch after batch.
// It reopened the directory for each batch and sought to where the last one
// ended, a position only good for the open directory that gave it: on
// overlayfs, where the first unlink copies a lower-only directory up, the
// listing ended early and most files were left.
TEST(WasiHost, AComponentRemovesEveryFileItListsOnOverlayfs) {
  component_test::TempDir root;
  wasmlet::testing::OverlayMount overlay(root.path(), 3000);
  if (!overlay.mounted()) GTEST_SKIP() << "cannot mount an overlayfs (needs root and the overlay module): " << overlay.error();
  wasmlet::WasiConfig c;
  c.preopens.push_back({overlay.dir(), "/d", false});
  Host h(c);
  const std::string fs = "wasi:filesystem/types@0.2.0";
  Val dir = h.call("wasi:filesystem/preopens@0.2.0", "get-directories").items[0].items[0];
  Val stream = h.call(fs, "[method]descriptor.read-directory", {dir});
  ASSERT_EQ(stream.index, 0u) << stream.to_string();
  std::set<std::string> removed;
  for (;;) {
    Val e = h.call(fs, "[method]directory-entry-stream.read-directory-entry", {*stream.payload()});
    ASSERT_EQ(e.index, 0u) << e.to_string();
    if (e.payload()->index == 0) break;
    const std::string name = e.payload()->payload()->items[1].s;
    EXPECT_EQ(h.call(fs, "[method]descriptor.unlink-file-at", {dir, Val::string(name)}), Val::ok()) << name;
    EXPECT_TRUE(removed.insert(name).second) << name << " listed twice";
  }
  EXPECT_EQ(removed.size(), 3000u);
  EXPECT_TRUE(fs::is_empty(overlay.dir()));
}

// What undropped directory-entry-streams hold at once is bounded
// (wasi_sys::kMaxListingBytes, which the guest's memory limit does not
// see): each holds one batch (16 KiB at most), and past the bound
// read-directory is insufficient-memory, until one is dropped.
TEST(WasiHost, ListingsHeldAtOnceAreBounded) {
  component_test::TempDir dir;
  wasmlet::testing::make_long_names(dir.path(), 1000);
  wasmlet::WasiConfig c;
  c.preopens.push_back({dir.path(), "/d", false});
  Host h(c);
  const std::string fs = "wasi:filesystem/types@0.2.0";
  Val root = h.call("wasi:filesystem/preopens@0.2.0", "get-directories").items[0].items[0];
  std::vector<uint32_t> streams;
  Val refused;
  for (int i = 0; i < 6000; ++i) {
    Val r = h.call(fs, "[method]descriptor.read-directory", {root});
    if (r.index != 0) {
      refused = r;
      break;
    }
    streams.push_back(r.payload()->handle);
  }
  // 1,000 names of 255 bytes are about 300 KiB of listing, of which a
  // stream holds 16 KiB: about 4,100 streams fit in 64 MiB (220 did when
  // each held its whole listing).
  EXPECT_GT(streams.size(), 4000u);
  EXPECT_LT(streams.size(), 4200u);
  EXPECT_EQ(refused, Val::err(Val::enumeration(22)));  // insufficient-memory
  h.host->drop(streams.back());
  streams.pop_back();
  Val again = h.call(fs, "[method]descriptor.read-directory", {root});
  ASSERT_EQ(again.index, 0u);
  // A stream reads on past its first batch within the room it had.
  size_t listed = 0;
  for (Val e; (e = h.call(fs, "[method]directory-entry-stream.read-directory-entry", {*again.payload()})).index == 0 &&
              e.payload()->index == 1;)
    ++listed;
  EXPECT_EQ(listed, 1000u);
}

// A component's host raises the soft fd limit to the hard one, as
// preview1's contexts do (a process running only components kept a soft
// limit of 1024, and each guest got about 512 fds of kMaxFds).
TEST(WasiHost, MakingAHostRaisesTheSoftFdLimit) {
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_max <= 1024) GTEST_SKIP() << "the hard RLIMIT_NOFILE is " << limit.rlim_max;
  // A fresh process (re-executed, not forked): the limit is raised on the
  // first context of a process, and this one has made hosts already.
  const std::string style = GTEST_FLAG_GET(death_test_style);
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        rlimit low = limit;
        low.rlim_cur = 1024;
        ::setrlimit(RLIMIT_NOFILE, &low);
        WasiHost host(wasmlet::WasiConfig{});
        rlimit now{};
        ::getrlimit(RLIMIT_NOFILE, &now);
        ::_exit(now.rlim_cur == limit.rlim_max ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
  GTEST_FLAG_SET(death_test_style, style);
}

// A guest holds at most HostState::kMaxFds host fds at once (preview1's
// wasi_sys::kMaxGuestFds), far fewer than its resources: past it open-at
// is insufficient-memory and a new socket new-socket-limit, while the host
// keeps its own fds; streams share their file's fd, so they still work.
TEST(WasiHost, HostFdsHeldAtOnceAreBounded) {
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  if (limit.rlim_cur < wasi::HostState::kMaxFds + 1024) GTEST_SKIP() << "RLIMIT_NOFILE is " << limit.rlim_cur;
  component_test::TempDir dir;
  std::ofstream(dir.path() / "f") << "data";
  wasmlet::WasiConfig c;
  c.preopens.push_back({dir.path(), "/d", false});
  WasiHostOptions options;
  options.allow_sockets = true;
  WasiHost host(c, options);
  auto call = [&](const std::string& iface, const std::string& fn, std::vector<Val> args = {}) {
    auto r = host.call(*host.find(iface, fn), args);
    return r ? *r : Val();
  };
  const std::string fs = "wasi:filesystem/types@0.2.0";
  Val root = call("wasi:filesystem/preopens@0.2.0", "get-directories").items[0].items[0];
  std::vector<Val> files;
  Val refused;
  for (int i = 0; i < 6000; ++i) {
    Val r = call(fs, "[method]descriptor.open-at", {root, flags(0), Val::string("f"), flags(0), flags(1)});
    if (r.index != 0) {
      refused = r;
      break;
    }
    files.push_back(*r.payload());
  }
  EXPECT_EQ(files.size(), wasi::HostState::kMaxFds - 1);  // the preopen holds one
  EXPECT_EQ(refused, Val::err(Val::enumeration(22)));    // insufficient-memory
  EXPECT_EQ(call("wasi:sockets/tcp-create-socket@0.2.0", "create-tcp-socket", {Val::enumeration(0)}),
            Val::err(Val::enumeration(10)));  // new-socket-limit
  // The host still opens files; the guest's streams share its fds.
  int own = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  EXPECT_GE(own, 0);
  ::close(own);
  EXPECT_EQ(call(fs, "[method]descriptor.read-via-stream", {files[0], Val::u64(0)}).index, 0u);
  EXPECT_EQ(call("wasi:filesystem/preopens@0.2.0", "get-directories").items.size(), 1u);
  // Dropping one gives its fd back.
  host.drop(files.back().handle);
  files.pop_back();
  EXPECT_EQ(call(fs, "[method]descriptor.open-at", {root, flags(0), Val::string("f"), flags(0), flags(1)}).index, 0u);
}

// A guest holds at most HostState::kMaxResources at once: one more traps
// (as a full resource table does in wasmtime) instead of growing the host.
TEST(WasiHost, ResourcesHeldAtOnceAreBounded) {
  Host h;
  size_t made = 0;
  try {
    for (; made < 20000; ++made) h.call("wasi:sockets/instance-network@0.2.0", "instance-network");
    FAIL() << "20,000 resources were handed out";
  } catch (const wasmlet::Error& e) {
    EXPECT_EQ(made, 16384u);
    EXPECT_NE(std::string(e.what()).find("the most one instance may"), std::string::npos) << e.what();
  }
}

TEST(WasiHost, BadRepsAreReportedNotCrashes) {
  Host h;
  EXPECT_THROW(h.call("wasi:io/streams@0.2.0", "[method]output-stream.write", {Val::resource(999), Val::bytes("x")}),
               wasmlet::Error);
  EXPECT_THROW(h.call("wasi:io/streams@0.2.0", "[method]output-stream.write", {}), wasmlet::Error);  // rep 0
}

namespace {
Val ipv4(uint16_t port) {
  return Val::variant(0, Val::record({Val::integer(port), Val::tuple({Val::integer(127), Val::integer(0), Val::integer(0), Val::integer(1)})}));
}
}  // namespace

TEST(WasiHost, SocketsNeedTheCapability) {
  Host h;  // allow_sockets defaults to false
  Val net = h.call("wasi:sockets/instance-network@0.2.0", "instance-network");
  EXPECT_EQ(h.call("wasi:sockets/tcp-create-socket@0.2.0", "create-tcp-socket", {Val::enumeration(0)}),
            Val::err(Val::enumeration(1)));  // access-denied
  EXPECT_EQ(h.call("wasi:sockets/ip-name-lookup@0.2.0", "resolve-addresses", {net, Val::string("localhost")}),
            Val::err(Val::enumeration(1)));
}

TEST(WasiHost, TcpEcho) {
  auto cap = std::make_shared<Captured>();
  wasmlet::WasiConfig config;
  config.output = [](wasmlet::OutputStream, std::span<const uint8_t>) {};
  WasiHost host(config, WasiHostOptions{true});
  auto call = [&](const std::string& iface, const std::string& fn, std::vector<Val> args = {}) {
    auto r = host.call(*host.find(iface, fn), args);
    return r ? *r : Val();
  };
  const std::string tcp = "wasi:sockets/tcp@0.2.0", streams = "wasi:io/streams@0.2.0";
  Val net = call("wasi:sockets/instance-network@0.2.0", "instance-network");
  Val server = *call("wasi:sockets/tcp-create-socket@0.2.0", "create-tcp-socket", {Val::enumeration(0)}).payload();
  ASSERT_EQ(call(tcp, "[method]tcp-socket.start-bind", {server, net, ipv4(0)}), Val::ok());
  ASSERT_EQ(call(tcp, "[method]tcp-socket.finish-bind", {server}), Val::ok());
  ASSERT_EQ(call(tcp, "[method]tcp-socket.start-listen", {server}), Val::ok());
  ASSERT_EQ(call(tcp, "[method]tcp-socket.finish-listen", {server}), Val::ok());
  EXPECT_TRUE(call(tcp, "[method]tcp-socket.is-listening", {server}).b);
  Val local = *call(tcp, "[method]tcp-socket.local-address", {server}).payload();
  uint16_t port = uint16_t(local.payload()->items[0].i);
  ASSERT_NE(port, 0);
  EXPECT_EQ(call(tcp, "[method]tcp-socket.accept", {server}), Val::err(Val::enumeration(8)));  // would-block

  Val client = *call("wasi:sockets/tcp-create-socket@0.2.0", "create-tcp-socket", {Val::enumeration(0)}).payload();
  ASSERT_EQ(call(tcp, "[method]tcp-socket.start-connect", {client, net, ipv4(port)}), Val::ok());
  Val ready = call(tcp, "[method]tcp-socket.subscribe", {client});
  call("wasi:io/poll@0.2.0", "[method]pollable.block", {ready});
  Val cstreams = call(tcp, "[method]tcp-socket.finish-connect", {client});
  ASSERT_EQ(cstreams.index, 0u) << cstreams.to_string();
  Val acceptable = call(tcp, "[method]tcp-socket.subscribe", {server});
  EXPECT_EQ(call("wasi:io/poll@0.2.0", "poll", {Val::list({acceptable})}).items.size(), 1u);
  Val accepted = call(tcp, "[method]tcp-socket.accept", {server});
  ASSERT_EQ(accepted.index, 0u) << accepted.to_string();
  Val sin = accepted.payload()->items[1], sout = accepted.payload()->items[2];
  Val cin = cstreams.payload()->items[0], cout = cstreams.payload()->items[1];

  EXPECT_EQ(call(streams, "[method]input-stream.read", {sin, Val::u64(10)}), Val::ok(Val::bytes("")));  // nothing yet
  ASSERT_EQ(call(streams, "[method]output-stream.blocking-write-and-flush", {cout, Val::bytes("ping\n")}), Val::ok());
  Val got = call(streams, "[method]input-stream.blocking-read", {sin, Val::u64(100)});
  ASSERT_EQ(got.index, 0u);
  EXPECT_EQ(got.payload()->as_bytes(), "ping\n");
  call(streams, "[method]output-stream.blocking-write-and-flush", {sout, *got.payload()});
  EXPECT_EQ(call(streams, "[method]input-stream.blocking-read", {cin, Val::u64(100)}).payload()->as_bytes(), "ping\n");
  Val remote = *call(tcp, "[method]tcp-socket.remote-address", {client}).payload();
  EXPECT_EQ(remote.payload()->items[0].i, port);
  ASSERT_EQ(call(tcp, "[method]tcp-socket.shutdown", {client, Val::enumeration(2)}), Val::ok());
  Val eof = call(streams, "[method]input-stream.blocking-read", {sin, Val::u64(100)});
  EXPECT_EQ(eof, Val::err(Val::variant(1)));  // closed
}

TEST(WasiHost, BlockingWaitsEndWhenTheStoreIsInterrupted) {
  wasmlet::Engine engine;
  wasmlet::Store store(engine);
  Host h;
  h.host->attach_store(store);
  Val p = h.call("wasi:clocks/monotonic-clock@0.2.0", "subscribe-duration", {Val::u64(10'000'000'000ull)});
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    store.interrupt();
  });
  auto t0 = std::chrono::steady_clock::now();
  bool thrown = false;
  try {
    h.call("wasi:io/poll@0.2.0", "[method]pollable.block", {p});
  } catch (...) {
    thrown = true;
  }
  stopper.join();
  EXPECT_TRUE(thrown);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST(WasiHost, UdpDatagrams) {
  wasmlet::WasiConfig config;
  WasiHost host(config, WasiHostOptions{true});
  auto call = [&](const std::string& iface, const std::string& fn, std::vector<Val> args = {}) {
    auto r = host.call(*host.find(iface, fn), args);
    return r ? *r : Val();
  };
  const std::string udp = "wasi:sockets/udp@0.2.0";
  Val net = call("wasi:sockets/instance-network@0.2.0", "instance-network");
  auto bound = [&] {
    Val s = *call("wasi:sockets/udp-create-socket@0.2.0", "create-udp-socket", {Val::enumeration(0)}).payload();
    EXPECT_EQ(call(udp, "[method]udp-socket.start-bind", {s, net, ipv4(0)}), Val::ok());
    EXPECT_EQ(call(udp, "[method]udp-socket.finish-bind", {s}), Val::ok());
    return s;
  };
  Val a = bound(), b = bound();
  Val b_addr = *call(udp, "[method]udp-socket.local-address", {b}).payload();
  Val a_streams = *call(udp, "[method]udp-socket.stream", {a, Val::none()}).payload();
  Val b_streams = *call(udp, "[method]udp-socket.stream", {b, Val::none()}).payload();
  Val dg = Val::record({Val::bytes("datagram"), Val::some(b_addr)});
  EXPECT_EQ(call(udp, "[method]outgoing-datagram-stream.send", {a_streams.items[1], Val::list({dg, dg})}), Val::ok(Val::u64(2)));
  Val readable = call(udp, "[method]incoming-datagram-stream.subscribe", {b_streams.items[0]});
  Val timer = call("wasi:clocks/monotonic-clock@0.2.0", "subscribe-duration", {Val::u64(5'000'000'000ull)});
  Val which = call("wasi:io/poll@0.2.0", "poll", {Val::list({readable, timer})});
  ASSERT_EQ(which.items.at(0).i, 0) << "no datagram arrived within 5 s";
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  Val got = call(udp, "[method]incoming-datagram-stream.receive", {b_streams.items[0], Val::u64(10)});
  ASSERT_EQ(got.index, 0u) << got.to_string();
  ASSERT_EQ(got.payload()->items.size(), 2u);
  EXPECT_EQ(got.payload()->items[0].items[0].as_bytes(), "datagram");
  Val a_addr = *call(udp, "[method]udp-socket.local-address", {a}).payload();
  EXPECT_EQ(got.payload()->items[0].items[1], a_addr);
  EXPECT_EQ(call(udp, "[method]incoming-datagram-stream.receive", {b_streams.items[0], Val::u64(10)}), Val::ok(Val::list({})));
}

TEST(WasiHost, SocketKindsAndAllowedHostsAreEnforced) {
  auto make = [](WasiHostOptions options) { return std::make_unique<WasiHost>(wasmlet::WasiConfig{}, std::move(options)); };
  auto call = [](WasiHost& host, const std::string& iface, const std::string& fn, std::vector<Val> args = {}) {
    auto r = host.call(*host.find(iface, fn), args);
    return r ? *r : Val();
  };
  const Val denied = Val::err(Val::enumeration(1));  // access-denied
  const std::string tcp_create = "wasi:sockets/tcp-create-socket@0.2.0", udp_create = "wasi:sockets/udp-create-socket@0.2.0";

  // allow_tcp / allow_udp choose which sockets can be created.
  auto udp_only = make({.allow_sockets = true, .allow_tcp = false, .allow_udp = true});
  EXPECT_EQ(call(*udp_only, tcp_create, "create-tcp-socket", {Val::enumeration(0)}), denied);
  EXPECT_EQ(call(*udp_only, udp_create, "create-udp-socket", {Val::enumeration(0)}).index, 0u);
  auto tcp_only = make({.allow_sockets = true, .allow_tcp = true, .allow_udp = false});
  EXPECT_EQ(call(*tcp_only, udp_create, "create-udp-socket", {Val::enumeration(0)}), denied);

  // A real listener on 127.0.0.1 to connect to.
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  uint16_t port = ntohs(addr.sin_port);
  auto connect = [&](WasiHost& host, Val address) {
    Val net = call(host, "wasi:sockets/instance-network@0.2.0", "instance-network");
    Val sock = *call(host, tcp_create, "create-tcp-socket", {Val::enumeration(0)}).payload();
    return call(host, "wasi:sockets/tcp@0.2.0", "[method]tcp-socket.start-connect", {sock, net, address});
  };
  auto resolve = [&](WasiHost& host, const std::string& name) {
    Val net = call(host, "wasi:sockets/instance-network@0.2.0", "instance-network");
    return call(host, "wasi:sockets/ip-name-lookup@0.2.0", "resolve-addresses", {net, Val::string(name)});
  };

  // allowed_hosts: only listed names resolve; only their addresses are reached.
  auto by_name = make({.allow_sockets = true, .allowed_hosts = {"localhost"}});
  EXPECT_EQ(resolve(*by_name, "example.invalid"), denied);
  EXPECT_EQ(connect(*by_name, ipv4(port)), denied) << "127.0.0.1 before a lookup of localhost returned it";
  EXPECT_EQ(resolve(*by_name, "LOCALHOST").index, 0u);
  EXPECT_EQ(connect(*by_name, ipv4(port)), Val::ok());
  // An IP address on the list is reachable as it is; others are not.
  auto by_address = make({.allow_sockets = true, .allowed_hosts = {"127.0.0.1"}});
  EXPECT_EQ(connect(*by_address, ipv4(port)), Val::ok());
  auto elsewhere = make({.allow_sockets = true, .allowed_hosts = {"192.0.2.1"}});
  EXPECT_EQ(connect(*elsewhere, ipv4(port)), denied);
  ::close(listener);
}

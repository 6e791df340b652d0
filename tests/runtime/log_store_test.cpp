// The per-instance JSON-lines log: order, partial lines, rotation, tail, since, follow.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "runtime/log_store.h"
#include "runtime_support.h"

namespace wasmlet::runtime {
namespace {

using testing::TempDir;

std::span<const uint8_t> bytes(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

TEST(LogStore, KeepsLinesInWriteOrderWithStreamsAndPartialLines) {
  TempDir dir;
  InstanceLog log(dir.path() / "a.log", 1 << 20, 2);
  log.reopen();
  log.write(LogStream::Stdout, bytes("out 1\nout "));
  log.write(LogStream::Stderr, bytes("err 1\n"));
  log.write(LogStream::Stdout, bytes("2\nlast"));
  log.flush_partial();
  auto all = log.read({});
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].message, "out 1");
  EXPECT_EQ(all[1].message, "err 1");
  EXPECT_EQ(all[1].stream, LogStream::Stderr);
  EXPECT_EQ(all[2].message, "out 2");
  EXPECT_EQ(all[3].message, "last");
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LE(all[i - 1].timestamp, all[i].timestamp);
  // Each line is one JSON object in the file, there as soon as it was complete.
  std::string file = testing::read_text(dir.path() / "a.log");
  EXPECT_NE(file.find(R"("m":"err 1","s":"stderr")"), std::string::npos) << file;
}

TEST(LogStore, AnUnfinishedLineSurvivesACrash) {
  TempDir dir;
  {
    InstanceLog log(dir.path() / "p.log", 1 << 20, 1);
    log.reopen();
    log.write(LogStream::Stdout, bytes("done\nhalf "));
    log.write(LogStream::Stderr, bytes("err\xff "));
    log.write(LogStream::Stdout, bytes("a "));
    log.write(LogStream::Stdout, bytes("li"));
    EXPECT_EQ(testing::read_text(dir.path() / "p.stdout.partial"), "half a li");  // appended write by write
    EXPECT_EQ(testing::read_text(dir.path() / "p.stderr.partial"), "err\xff ");
  }  // the daemon dies here: no flush_partial
  InstanceLog after(dir.path() / "p.log", 1 << 20, 1);
  auto all = after.read({});
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1].message, "half a li");
  EXPECT_EQ(all[2].message, "err\xef\xbf\xbd ");  // recorded, the bad byte shown as U+FFFD
  EXPECT_EQ(all[2].stream, LogStream::Stderr);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "p.stdout.partial"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "p.stderr.partial"));
  after.reopen();
  after.write(LogStream::Stderr, bytes("x"));
  EXPECT_EQ(testing::read_text(dir.path() / "p.stderr.partial"), "x");
  after.write(LogStream::Stderr, bytes("y\nz"));
  EXPECT_EQ(testing::read_text(dir.path() / "p.stderr.partial"), "z");  // only what follows the line
  after.write(LogStream::Stderr, bytes("\n"));
  EXPECT_EQ(testing::read_text(dir.path() / "p.stderr.partial"), "");
  after.close();
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "p.stderr.partial"));  // gone once the run has ended
}

// A daemon killed in the middle of appending an entry leaves the file
// ending in part of a line. The next daemon's first entry must not be glued
// onto it: it would be lost with the torn line, which does not decode.
TEST(LogStore, AnEntryAfterALineTornByACrashIsKept) {
  TempDir dir;
  const auto file = dir.path() / "t.log";
  const std::string whole = InstanceLog::encode(LogEntry{Clock::now(), LogStream::Stdout, "before"});
  const std::string torn = InstanceLog::encode(LogEntry{Clock::now(), LogStream::Stdout, "cut short"}).substr(0, 20);
  testing::write_text(file, whole + torn);
  testing::write_text(dir.path() / "t.stdout.partial", "unfinished");
  // As the next daemon recovers it: the unfinished line is the first entry it appends.
  InstanceLog log(file, 1 << 20, 1);
  auto all = log.read({});
  ASSERT_EQ(all.size(), 2u) << testing::read_text(file);
  EXPECT_EQ(all[0].message, "before");
  EXPECT_EQ(all[1].message, "unfinished");
  log.reopen();
  log.write(LogStream::Stdout, bytes("next\n"));
  all = log.read({});
  ASSERT_EQ(all.size(), 3u) << testing::read_text(file);
  EXPECT_EQ(all[2].message, "next");
  // The torn fragment is a line of its own, skipped, and --tail does not count it.
  EXPECT_EQ(testing::read_text(file).find(torn + "\n"), whole.size());
  LogQuery last_two;
  last_two.tail = 2;
  all = log.read(last_two);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].message, "unfinished");
  // A file that ends with its newline gets no other.
  log.close();
  const auto size = std::filesystem::file_size(file);
  log.note("a note");
  EXPECT_EQ(std::filesystem::file_size(file), size + InstanceLog::encode(log.read({}).back()).size());
}

TEST(LogStore, APartialFileOfAnEarlierDaemonIsRecorded) {
  TempDir dir;
  testing::write_text(dir.path() / "old.partial", R"({"stdout":"out half","stderr":""})");
  InstanceLog log(dir.path() / "old.log", 1 << 20, 1);
  auto all = log.read({});
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].message, "out half");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "old.partial"));
}

TEST(LogStore, RotatesBySizeAndReadsAcrossFiles) {
  TempDir dir;
  InstanceLog log(dir.path() / "r.log", 300, 2);
  for (int i = 0; i < 12; ++i) log.write(LogStream::Stdout, bytes("line " + std::to_string(i) + "\n"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "r.log.1"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "r.log.2"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "r.log.3"));
  auto all = log.read({});
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.back().message, "line 11");
  for (size_t i = 1; i < all.size(); ++i)
    EXPECT_EQ(std::stoi(all[i].message.substr(5)), std::stoi(all[i - 1].message.substr(5)) + 1);
}

TEST(LogStore, TailAndSince) {
  TempDir dir;
  InstanceLog log(dir.path() / "t.log", 1 << 20, 1);
  log.write(LogStream::Stdout, bytes("a\nb\nc\n"));
  auto tail = log.read({2, std::nullopt});
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(tail[0].message, "b");
  EXPECT_TRUE(log.read({0, std::nullopt}).empty());  // as docker: --tail 0 shows none
  auto mid = Clock::now();
  log.write(LogStream::Stdout, bytes("d\n"));
  auto since = log.read({std::nullopt, mid});
  ASSERT_EQ(since.size(), 1u);
  EXPECT_EQ(since[0].message, "d");
}

// `logs --tail N` and `logs -f --tail N` start at the same entry: both count
// the lines that decode (a torn line at the end of a file, left by a daemon
// killed mid-write, and any other line that does not decode count for
// neither; -f counted raw lines), with `since` the last N of those since
// then. Both read the files a chunk at a time, lines longer than one too.
TEST(LogStore, TailCountsTheSameEntriesWithAndWithoutFollow) {
  TempDir dir;
  const TimePoint base = std::chrono::floor<std::chrono::seconds>(Clock::now()) - std::chrono::hours(1);
  std::vector<LogEntry> entries;
  auto add = [&](std::string& file, int i) {
    LogEntry e{base + std::chrono::seconds(i), i % 2 ? LogStream::Stderr : LogStream::Stdout,
               std::to_string(i) + ":" + std::string(i == 2 || i == 7 ? 200000 : 10, char('a' + i))};
    file += InstanceLog::encode(e);
    entries.push_back(e);
  };
  std::string f2, f1, f0;
  for (int i = 0; i < 5; ++i) add(f2, i);
  f2 += R"({"t":"2026-12-07T10:00:00Z","s":"stdout","m":"tor)";  // torn: no newline
  f1 = "not json\n";
  for (int i = 5; i < 10; ++i) add(f1, i);
  f1 += "\n";
  for (int i = 10; i < 15; ++i) add(f0, i);
  f0 += R"({"t":"20)";
  for (auto [name, text] : {std::pair{"t.log.2", &f2}, {"t.log.1", &f1}, {"t.log", &f0}}) {
    std::ofstream out(dir.path() / name, std::ios::binary);
    out << *text;
  }
  InstanceLog log(dir.path() / "t.log", 1 << 30, 2);
  for (std::optional<TimePoint> since : {std::optional<TimePoint>(), std::optional<TimePoint>(base + std::chrono::seconds(7)),
                                         std::optional<TimePoint>(base + std::chrono::hours(2))}) {
    std::vector<std::string> selected;
    for (const auto& e : entries)
      if (!since || e.timestamp >= *since) selected.push_back(e.message);
    for (std::optional<size_t> tail : {std::optional<size_t>(), std::optional<size_t>(0), std::optional<size_t>(1),
                                       std::optional<size_t>(3), std::optional<size_t>(5), std::optional<size_t>(6),
                                       std::optional<size_t>(8), std::optional<size_t>(14), std::optional<size_t>(15),
                                       std::optional<size_t>(40)}) {
      const size_t n = tail ? std::min(*tail, selected.size()) : selected.size();
      const std::vector<std::string> want(selected.end() - long(n), selected.end());
      const LogQuery q{tail, since};
      std::vector<std::string> read, followed;
      for (const auto& e : log.read(q)) read.push_back(e.message);
      log.follow(q, [&](const LogEntry& e) {  // the log is closed: it ends after the files
        followed.push_back(e.message);
        return true;
      });
      const std::string what = fmt::format("tail {} since {}", tail ? std::to_string(*tail) : "all", since ? "set" : "none");
      EXPECT_EQ(read, want) << what;
      EXPECT_EQ(followed, want) << what;
    }
  }
}

TEST(LogStore, FollowSeesNewLinesUntilClosed) {
  TempDir dir;
  InstanceLog log(dir.path() / "f.log", 1 << 20, 1);
  log.reopen();
  log.write(LogStream::Stdout, bytes("before\n"));
  std::vector<std::string> seen;
  std::thread follower([&] { log.follow({}, [&](const LogEntry& e) { seen.push_back(e.message); return true; }); });
  log.write(LogStream::Stderr, bytes("during\n"));
  log.write(LogStream::Stdout, bytes("end"));
  log.flush_partial();
  log.close();
  follower.join();
  ASSERT_GE(seen.size(), 3u);
  EXPECT_EQ(seen.front(), "before");
  EXPECT_EQ(seen.back(), "end");
}

TEST(LogStore, AFollowerThatFallsBehindReadsTheRestFromTheFiles) {
  TempDir dir;
  InstanceLog log(dir.path() / "slow.log", 1 << 30, 1);
  log.reopen();
  log.write(LogStream::Stdout, bytes("first\n"));
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::vector<std::string> seen;
  std::thread follower([&] {
    log.follow({}, [&](const LogEntry& e) {
      seen.push_back(e.message);
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return release; });  // stuck on the first line while the writer runs ahead
      return true;
    });
  });
  constexpr int kLines = 20000;  // far more than the entries memory keeps
  for (int i = 0; i < kLines; ++i) log.write(LogStream::Stdout, bytes("line " + std::to_string(i) + "\n"));
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  log.close();
  follower.join();
  ASSERT_EQ(seen.size(), size_t(kLines) + 1);
  EXPECT_EQ(seen[0], "first");
  for (int i = 0; i < kLines; ++i) ASSERT_EQ(seen[size_t(i) + 1], "line " + std::to_string(i));
}

// What a follower reads from the files (all of them as it attaches, the
// rest when it fell behind) is read a chunk at a time: entries come whole and
// in order across rotated files, lines longer than a chunk (64 KiB) too, and
// a follow with `tail` starts at the right one.
TEST(LogStore, AFollowerReadsTheFilesInChunksAcrossRotations) {
  TempDir dir;
  InstanceLog log(dir.path() / "rot.log", 1 << 20, 3);  // 1 MiB files, 3 rotated: nothing lost here
  log.reopen();
  log.write(LogStream::Stdout, bytes("first\n"));
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::vector<std::string> seen;
  std::thread follower([&] {
    log.follow({}, [&](const LogEntry& e) {
      seen.push_back(e.message);
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return release; });  // stuck on the first line while the writer runs ahead
      return true;
    });
  });
  std::vector<std::string> lines{"first"};
  for (int i = 0; i < 60; ++i) {  // about 1.9 MiB: the log rotates
    lines.push_back(std::to_string(i) + ":" + std::string(size_t(i) * 7919 % 65000, char('a' + i % 26)) + "\t\x01");
    log.write(i % 2 ? LogStream::Stderr : LogStream::Stdout, bytes(lines.back() + "\n"));
  }
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  log.close();
  follower.join();
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "rot.log.1"));
  EXPECT_EQ(seen, lines);
  for (size_t tail : {size_t(0), size_t(1), size_t(7), size_t(60), size_t(100)}) {
    LogQuery q;
    q.tail = tail;
    std::vector<std::string> got;
    log.follow(q, [&](const LogEntry& e) {
      got.push_back(e.message);
      return true;
    });
    EXPECT_EQ(got, std::vector<std::string>(lines.end() - long(std::min(tail, lines.size())), lines.end())) << tail;
  }
}

// A guest printing 64 KiB lines without newlines: a follower stuck on the
// first one holds the log's memory to kRecentBytes (4096 such entries took
// 256 MiB before), yet gets every line, those beyond memory from the files.
TEST(LogStore, EntriesKeptForAFollowerStayUnderTheByteBound) {
  TempDir dir;
  InstanceLog log(dir.path() / "long.log", 1 << 30, 1);
  log.reopen();
  log.write(LogStream::Stdout, bytes("first\n"));
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  bool attached = false;
  std::vector<std::string> seen;
  std::thread follower([&] {
    log.follow({}, [&](const LogEntry& e) {
      seen.push_back(e.message);
      std::unique_lock lock(mu);
      attached = true;
      cv.notify_all();
      cv.wait(lock, [&] { return release; });
      return true;
    });
  });
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return attached; });
  }
  constexpr int kChunks = 200;  // 12.5 MiB
  size_t most = 0;
  for (int i = 0; i < kChunks; ++i) {
    std::string chunk(64 * 1024, char('a' + i % 26));
    log.write(LogStream::Stdout, bytes(chunk));
    most = std::max(most, log.recent_bytes());
  }
  EXPECT_GT(most, 0u) << "entries are kept while a follower is attached";
  EXPECT_LE(most, InstanceLog::kRecentBytes);
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  log.close();
  follower.join();
  ASSERT_EQ(seen.size(), size_t(kChunks) + 1);
  EXPECT_EQ(seen[0], "first");
  for (int i = 0; i < kChunks; ++i) ASSERT_EQ(seen[size_t(i) + 1], std::string(64 * 1024, char('a' + i % 26))) << i;
  EXPECT_EQ(log.recent_bytes(), 0u) << "the last follower to leave frees them";
}

// Nobody follows: nothing is kept in memory, and reads get it all from disk.
TEST(LogStore, WithoutAFollowerNothingIsKeptInMemory) {
  TempDir dir;
  InstanceLog log(dir.path() / "none.log", 1 << 30, 1);
  log.reopen();
  constexpr int kChunks = 100;
  for (int i = 0; i < kChunks; ++i) {
    log.write(LogStream::Stdout, bytes(std::string(64 * 1024, char('a' + i % 26))));
    ASSERT_EQ(log.recent_bytes(), 0u);
  }
  log.write(LogStream::Stdout, bytes("last\n"));
  log.close();
  const auto all = log.read({});
  ASSERT_EQ(all.size(), size_t(kChunks) + 1);
  for (int i = 0; i < kChunks; ++i) ASSERT_EQ(all[size_t(i)].message, std::string(64 * 1024, char('a' + i % 26))) << i;
  EXPECT_EQ(all.back().message, "last");
  LogQuery tail;
  tail.tail = 2;
  const auto two = log.read(tail);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].message, std::string(64 * 1024, char('a' + (kChunks - 1) % 26)));
  // A follower after the end gets everything on disk too.
  std::vector<std::string> followed;
  log.follow({}, [&](const LogEntry& e) {
    followed.push_back(e.message);
    return true;
  });
  EXPECT_EQ(followed.size(), all.size());
  EXPECT_EQ(log.recent_bytes(), 0u);
}

// Reading a large log (JSON to decode, megabytes of it) must not hold up the
// guest's writes: `wasmlet logs` on a busy instance would otherwise stall it.
TEST(LogStore, ReadingALargeLogDoesNotHoldUpWrites) {
  TempDir dir;
  {
    // Written directly: 50,000 writes through the log would take seconds.
    const std::string line = InstanceLog::encode(LogEntry{Clock::now(), LogStream::Stdout, std::string(100, 'x')});
    std::string text;
    for (int i = 0; i < 50000; ++i) text += line;
    std::ofstream(dir.path() / "big.log", std::ios::binary) << text;
  }
  InstanceLog log(dir.path() / "big.log", 1 << 30, 1);
  log.reopen();
  using namespace std::chrono;
  std::atomic<bool> reading{true};
  steady_clock::duration read_took{};
  std::thread reader([&] {
    const auto start = steady_clock::now();
    EXPECT_GE(log.read({}).size(), 50000u);
    read_took = steady_clock::now() - start;
    reading = false;
  });
  steady_clock::duration longest_write{};
  int writes = 0;
  while (reading) {
    const auto start = steady_clock::now();
    log.write(LogStream::Stderr, bytes("during the read\n"));
    longest_write = std::max(longest_write, steady_clock::now() - start);
    ++writes;
  }
  reader.join();
  log.close();
  ASSERT_GE(read_took, milliseconds(50)) << "the log is too small to show a stalled writer";
  // Held up, a write waits for most of the read.
  EXPECT_LT(longest_write, read_took / 4) << writes << " writes, the longest "
                                          << duration_cast<milliseconds>(longest_write).count() << " ms, the read "
                                          << duration_cast<milliseconds>(read_took).count() << " ms";
}

// Reads while the writer rotates the files under them: each read is the
// newest lines in order, without gaps or repeats.
TEST(LogStore, ReadsDuringRotationSeeAnUnbrokenRunOfLines) {
  TempDir dir;
  InstanceLog log(dir.path() / "rot.log", 4096, 2);
  log.reopen();
  std::atomic<int> written{0};
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      log.write(LogStream::Stdout, bytes("line " + std::to_string(i) + "\n"));
      written = i + 1;
    }
  });
  for (int r = 0; r < 300; ++r) {
    while (written < 20 * r) std::this_thread::yield();  // rotations between reads
    const int before = written;
    const auto lines = log.read({});
    if (lines.empty()) continue;
    int first = -1;
    ASSERT_EQ(std::sscanf(lines[0].message.c_str(), "line %d", &first), 1) << lines[0].message;
    for (size_t k = 0; k < lines.size(); ++k)
      ASSERT_EQ(lines[k].message, "line " + std::to_string(first + int(k))) << "read " << r << ", entry " << k;
    EXPECT_GE(first + int(lines.size()), before) << "a read missed lines written before it began";
  }
  stop = true;
  writer.join();
  log.close();
}

}  // namespace
}  // namespace wasmlet::runtime

#include "log_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace wasmlet::runtime {

namespace {
constexpr size_t kRecent = 4096;          // entries kept in memory for followers (and kRecentBytes)
constexpr size_t kMaxLine = 64 * 1024;    // longer lines are split
// A line of a log file holds one entry, its message at most kMaxLine bytes,
// which JSON encodes in at most 6 bytes each ("\u0001"): a longer line is
// no entry of ours, and a follower reading the files skips it rather than
// keep it in memory.
constexpr size_t kMaxFileLine = 8 * kMaxLine;
// What a follower that fell behind reads of the files at a time.
constexpr size_t kFileChunk = 64 * 1024;

// The memory an entry kept for followers takes.
size_t entry_bytes(const LogEntry& e) { return sizeof(std::pair<uint64_t, LogEntry>) + e.message.capacity(); }
}  // namespace

InstanceLog::InstanceLog(std::filesystem::path file, uint64_t max_bytes, uint32_t max_files)
    : file_(std::move(file)), max_bytes_(max_bytes), max_files_(max_files) {
  std::error_code ec;
  std::filesystem::create_directories(file_.parent_path(), ec);
  if (ec)
    throw RuntimeError(RuntimeError::Kind::Internal, fmt::format("cannot create the log directory '{}': {}",
                                                                 file_.parent_path().string(), ec.message()));
  size_ = std::filesystem::file_size(file_, ec);
  if (ec) size_ = 0;
  for (int i = 0; i < 2; ++i) {
    partial_file_[i] = file_;
    partial_file_[i].replace_extension(i == 0 ? ".stdout.partial" : ".stderr.partial");
  }
  recover_partial();
}

namespace {
std::string read_whole(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // disk full: the line is still recorded when it completes
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}
}  // namespace

// Unfinished lines left by a daemon that died: record them now.
void InstanceLog::recover_partial() {
  std::lock_guard lock(mu_);
  std::error_code ec;
  // A daemon before 2026-12-07 kept both in one JSON object, NAME.partial.
  auto legacy = file_;
  legacy.replace_extension(".partial");
  if (std::filesystem::exists(legacy, ec)) {
    auto j = nlohmann::json::parse(read_whole(legacy), nullptr, false);
    for (const char* key : {"stdout", "stderr"})
      if (j.is_object() && j.contains(key) && j[key].is_string() && !j[key].get<std::string>().empty())
        append_locked(LogEntry{Clock::now(), std::string(key) == "stdout" ? LogStream::Stdout : LogStream::Stderr, j[key].get<std::string>()});
    std::filesystem::remove(legacy, ec);
  }
  for (int i = 0; i < 2; ++i) {
    std::string text = read_whole(partial_file_[i]);
    if (!text.empty()) append_locked(LogEntry{Clock::now(), i == 0 ? LogStream::Stdout : LogStream::Stderr, std::move(text)});
    std::filesystem::remove(partial_file_[i], ec);
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

// Keeps stream i's unfinished line on disk, only while there is one. A write
// that adds to the line appends just what it added: rewriting the whole line
// at every write made output without newlines quadratic.
void InstanceLog::save_partial_locked(int i, std::string_view appended, bool line_ended) {
  int& fd = partial_fd_[i];
  if (line_ended) {
    if (fd >= 0 && ::ftruncate(fd, 0) != 0) {
      ::close(fd);
      fd = -1;
    }
    appended = partial_[i];  // what follows the last line ended
  }
  if (appended.empty()) return;
  if (fd < 0) fd = ::open(partial_file_[i].c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return;
  write_all(fd, appended);
}

// At the end of a run (after flush_partial): no descriptors held while idle.
void InstanceLog::close_partials_locked() {
  std::error_code ec;
  for (int i = 0; i < 2; ++i) {
    if (partial_fd_[i] < 0) continue;
    ::close(partial_fd_[i]);
    partial_fd_[i] = -1;
    if (partial_[i].empty()) std::filesystem::remove(partial_file_[i], ec);
  }
}

// The file is open only while the instance runs: thousands of idle
// instances must not hold thousands of descriptors.
bool InstanceLog::open_locked() {
  if (fd_ >= 0) return true;
  // Read-write: end_torn_line_locked reads the last byte (writes still append).
  fd_ = ::open(file_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) return false;
  end_torn_line_locked();
  return true;
}

// A daemon killed in the middle of writing an entry leaves the file ending
// in part of a line. The next entry appended there would be glued onto it and
// lost with it (readers skip lines that do not decode): the fragment is ended
// with a newline first, so it is a line of its own that readers skip.
void InstanceLog::end_torn_line_locked() {
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || st.st_size == 0) return;
  char last = 0;
  if (::pread(fd_, &last, 1, st.st_size - 1) != 1 || last == '\n') return;
  write_all(fd_, "\n");
  size_ = uint64_t(st.st_size) + 1;
}

InstanceLog::~InstanceLog() {
  if (fd_ >= 0) ::close(fd_);
  for (int fd : partial_fd_)
    if (fd >= 0) ::close(fd);
}

std::string InstanceLog::encode(const LogEntry& e) {
  nlohmann::json j = {{"t", format_time(e.timestamp)}, {"s", to_string(e.stream)}, {"m", e.message}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

bool InstanceLog::decode(std::string_view line, LogEntry& e) {
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("t") || !j.contains("m")) return false;
  try {
    e.timestamp = parse_time(j["t"].get<std::string>());
    e.stream = j.value("s", "stdout") == "stderr" ? LogStream::Stderr : LogStream::Stdout;
    e.message = j["m"].get<std::string>();
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

void InstanceLog::rotate_locked() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  std::error_code ec;
  if (max_files_ > 0) {
    std::filesystem::remove(fmt::format("{}.{}", file_.string(), max_files_), ec);
    for (uint32_t i = max_files_; i > 1; --i)
      std::filesystem::rename(fmt::format("{}.{}", file_.string(), i - 1), fmt::format("{}.{}", file_.string(), i), ec);
    std::filesystem::rename(file_, file_.string() + ".1", ec);
  } else {
    std::filesystem::remove(file_, ec);
  }
  fd_ = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC, 0600);
  size_ = 0;
}

void InstanceLog::append_locked(LogEntry entry) {
  std::string line = encode(entry);
  if (size_ > 0 && size_ + line.size() > max_bytes_) rotate_locked();
  if (open_locked()) {
    const char* p = line.data();
    size_t left = line.size();
    while (left > 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        file_gap_ = true;
        break;  // disk full: the entry stays visible to followers at least
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
    size_ += line.size();
    if (closed_) {  // a note outside a run
      ::close(fd_);
      fd_ = -1;
    }
  }
  // Only a follower reads recent_, and only entries after the one it
  // started at: with none attached, nothing needs keeping.
  if (followers_ > 0) {
    // A line built byte by byte can have twice its length allocated.
    std::string& m = entry.message;
    if (m.capacity() > m.size() + m.size() / 8 + 64) m.shrink_to_fit();
    recent_bytes_ += entry_bytes(entry);
    recent_.emplace_back(next_seq_, std::move(entry));
    // The newest that fit; a follower behind them reads the files.
    while (recent_.size() > 1 && (recent_.size() > kRecent || recent_bytes_ > kRecentBytes)) {
      recent_bytes_ -= entry_bytes(recent_.front().second);
      recent_.pop_front();
    }
  }
  ++next_seq_;
  cv_.notify_all();
}

void InstanceLog::release_recent_locked() {
  std::deque<std::pair<uint64_t, LogEntry>>().swap(recent_);
  recent_bytes_ = 0;
}

size_t InstanceLog::recent_bytes() {
  std::lock_guard lock(mu_);
  return recent_bytes_;
}

void InstanceLog::write(LogStream stream, std::span<const uint8_t> bytes) {
  std::lock_guard lock(mu_);
  const int i = stream == LogStream::Stdout ? 0 : 1;
  std::string& buf = partial_[i];
  auto now = Clock::now();
  bool line_ended = false;
  for (uint8_t b : bytes) {
    if (b == '\n') {
      if (!buf.empty() && buf.back() == '\r') buf.pop_back();
      append_locked(LogEntry{now, stream, std::move(buf)});
      buf.clear();
      line_ended = true;
    } else {
      buf.push_back(static_cast<char>(b));
      if (buf.size() >= kMaxLine) {
        append_locked(LogEntry{now, stream, std::move(buf)});
        buf.clear();
        line_ended = true;
      }
    }
  }
  save_partial_locked(i, {reinterpret_cast<const char*>(bytes.data()), bytes.size()}, line_ended);
}

void InstanceLog::flush_partial() {
  std::lock_guard lock(mu_);
  auto now = Clock::now();
  for (int i = 0; i < 2; ++i) {
    if (partial_[i].empty()) continue;
    append_locked(LogEntry{now, i == 0 ? LogStream::Stdout : LogStream::Stderr, std::move(partial_[i])});
    partial_[i].clear();
    save_partial_locked(i, {}, true);
  }
}

void InstanceLog::note(const std::string& message) {
  std::lock_guard lock(mu_);
  append_locked(LogEntry{Clock::now(), LogStream::Stderr, "[wasmlet] " + message});
}

std::vector<InstanceLog::FileSnapshot> InstanceLog::snapshot_files_locked() {
  std::vector<FileSnapshot> files;
  auto open_one = [&](const std::string& path) {
    wasi_sys::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    if (fd && ::fstat(fd.get(), &st) == 0) files.push_back({std::move(fd), uint64_t(st.st_size)});
  };
  for (uint32_t i = max_files_; i >= 1; --i) open_one(fmt::format("{}.{}", file_.string(), i));
  open_one(file_.string());
  return files;
}

namespace {
// Up to `n` bytes at `offset`, fewer only at the end of the file or on an error.
size_t pread_upto(int fd, char* buf, size_t n, uint64_t offset) {
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::pread(fd, buf + got, n - got, off_t(offset + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += size_t(r);
  }
  return got;
}
}  // namespace

InstanceLog::SnapshotPosition InstanceLog::start_of_last_entries(const std::vector<FileSnapshot>& files, uint64_t count,
                                                                const std::optional<TimePoint>& since) {
  // The rule stream_snapshot reads by: a line ends at a newline or at its
  // file's end, and counts only if it decodes (a torn line does not) and is
  // no longer than kMaxFileLine. Read backwards from the end a chunk at a
  // time; `line` holds the line under way (its bytes from later chunks).
  SnapshotPosition earliest{files.size(), 0};  // the earliest line read whole
  if (count == 0) return earliest;
  uint64_t found = 0;
  std::vector<char> buf(kFileChunk);
  std::string line;
  bool overlong = false;
  auto add = [&](std::string_view piece) {
    if (overlong) return;
    if (line.size() + piece.size() > kMaxFileLine) {
      overlong = true;
      std::string().swap(line);
    } else {
      line.insert(0, piece);
    }
  };
  // The line beginning at `start` of file i is complete: true if it is the count-th.
  auto finish = [&](size_t i, uint64_t start) {
    LogEntry e;
    const bool counts = !overlong && decode(line, e) && (!since || e.timestamp >= *since);
    line.clear();
    overlong = false;
    earliest = {i, start};
    return counts && ++found == count;
  };
  for (size_t i = files.size(); i-- > 0;) {
    for (uint64_t end = files[i].size; end > 0;) {
      const size_t n = size_t(std::min<uint64_t>(end, kFileChunk));
      const uint64_t begin = end - n;
      // Unreadable (truncated under us): what was read whole, never more.
      if (pread_upto(files[i].fd.get(), buf.data(), n, begin) != n) return earliest;
      size_t stop = n;  // buf[k + 1, stop) belongs to the line under way
      for (size_t k = n; k-- > 0;) {
        if (buf[k] != '\n') continue;
        add(std::string_view(buf.data() + k + 1, stop - k - 1));
        if (finish(i, begin + k + 1)) return earliest;
        stop = k;
      }
      add(std::string_view(buf.data(), stop));
      end = begin;
    }
    if (files[i].size > 0 && finish(i, 0)) return earliest;
  }
  return {0, 0};  // fewer than `count`: all of them
}

bool InstanceLog::stream_snapshot(const std::vector<FileSnapshot>& files, SnapshotPosition from,
                                  const std::function<bool(const LogEntry&)>& on_entry) {
  std::vector<char> buf(kFileChunk);
  std::string line;  // a line begun in an earlier chunk
  auto emit = [&](std::string_view text) {
    LogEntry e;
    return !decode(text, e) || on_entry(e);
  };
  for (size_t i = from.file; i < files.size(); ++i) {
    line.clear();
    bool overlong = false;  // the line under way is past kMaxFileLine: skipped to its end
    for (uint64_t pos = i == from.file ? from.offset : 0; pos < files[i].size;) {
      const size_t got = pread_upto(files[i].fd.get(), buf.data(), size_t(std::min<uint64_t>(kFileChunk, files[i].size - pos)), pos);
      if (got == 0) break;
      pos += got;
      std::string_view rest(buf.data(), got);
      while (!rest.empty()) {
        const size_t nl = rest.find('\n');
        const std::string_view piece = rest.substr(0, nl);
        if (!overlong && line.size() + piece.size() > kMaxFileLine) {
          overlong = true;
          std::string().swap(line);
        }
        if (nl == std::string_view::npos) {
          if (!overlong) line.append(piece);
          break;
        }
        rest.remove_prefix(nl + 1);
        if (!overlong) {
          if (line.empty() ? !emit(piece) : !emit(line.append(piece))) return false;
        }
        line.clear();
        overlong = false;
      }
    }
    if (!overlong && !line.empty() && !emit(line)) return false;  // a last line without its newline
  }
  return true;
}

bool InstanceLog::stream_query(const std::vector<FileSnapshot>& files, const LogQuery& query,
                               const std::function<bool(const LogEntry&)>& on_entry) {
  const SnapshotPosition from = query.tail ? start_of_last_entries(files, *query.tail, query.since) : SnapshotPosition{};
  if (!query.since) return stream_snapshot(files, from, on_entry);
  return stream_snapshot(files, from, [&](const LogEntry& e) { return e.timestamp < *query.since || on_entry(e); });
}

bool InstanceLog::read(const LogQuery& query, const std::function<bool(const LogEntry&)>& on_entry) {
  std::unique_lock lock(mu_);
  const auto files = snapshot_files_locked();
  lock.unlock();
  return stream_query(files, query, on_entry);
}

std::vector<LogEntry> InstanceLog::read(const LogQuery& query) {
  std::vector<LogEntry> out;
  read(query, [&](const LogEntry& e) {
    out.push_back(e);
    return true;
  });
  return out;
}

void InstanceLog::follow(const LogQuery& query, const std::function<bool(const LogEntry&)>& on_entry,
                         const std::function<bool()>& still_wanted) {
  std::unique_lock lock(mu_);
  // Entries are kept in memory while this follower is attached; the last
  // one to leave frees them.
  ++followers_;
  struct Detach {
    InstanceLog& log;
    std::unique_lock<std::mutex>& lock;
    ~Detach() {
      if (!lock.owns_lock()) lock.lock();
      if (--log.followers_ == 0) log.release_recent_locked();
    }
  } detach{*this, lock};
  auto files = snapshot_files_locked();
  uint64_t seen = next_seq_;
  lock.unlock();
  // What the files hold, a chunk at a time, as `logs` without -f reads
  // them: each follower reading the whole log at once (40 MiB at the
  // defaults) held another copy of it.
  if (!stream_query(files, query, on_entry)) return;
  lock.lock();
  for (;;) {
    auto more = [&] { return next_seq_ > seen || closed_; };
    if (!still_wanted) {
      cv_.wait(lock, more);
    } else {
      while (!cv_.wait_for(lock, std::chrono::seconds(1), more)) {
        lock.unlock();
        if (!still_wanted()) return;
        lock.lock();
      }
    }
    std::vector<LogEntry> fresh;
    const uint64_t oldest_kept = recent_.empty() ? next_seq_ : recent_.front().first;
    const bool from_files = seen < oldest_kept && !file_gap_;
    const uint64_t missed = next_seq_ - seen;
    if (from_files) {
      // Fell behind what memory keeps (a fast writer, a slow reader): the
      // files hold every entry in the same order, the newest last, one a
      // line. The missed ones are the last `missed` lines, read from there a
      // chunk at a time: reading all the files (40 MiB at the defaults) at
      // each fall cost a copy of the whole log per slow follower.
      files = snapshot_files_locked();
    } else {
      for (const auto& [seq, e] : recent_)
        if (seq >= seen) fresh.push_back(e);
    }
    seen = next_seq_;
    const bool done = closed_ && missed == 0;
    lock.unlock();
    // A file that cannot be read back that far (truncated) gives fewer, never
    // the entries already sent again.
    if (from_files && !stream_snapshot(files, start_of_last_entries(files, missed, std::nullopt), on_entry)) return;
    for (const auto& e : fresh)
      if (!on_entry(e)) return;
    if (done) return;
    lock.lock();
    if (closed_ && next_seq_ == seen) return;
  }
}

void InstanceLog::close() {
  std::lock_guard lock(mu_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  close_partials_locked();
  closed_ = true;
  cv_.notify_all();
}

void InstanceLog::reopen() {
  std::lock_guard lock(mu_);
  closed_ = false;
}

void InstanceLog::remove_files() {
  std::lock_guard lock(mu_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  std::error_code ec;
  std::filesystem::remove(file_, ec);
  for (int i = 0; i < 2; ++i) {
    if (partial_fd_[i] >= 0) ::close(partial_fd_[i]);
    partial_fd_[i] = -1;
    partial_[i].clear();
    partial_[i].shrink_to_fit();
    std::filesystem::remove(partial_file_[i], ec);
  }
  release_recent_locked();
  for (uint32_t i = 1; i <= max_files_; ++i) std::filesystem::remove(fmt::format("{}.{}", file_.string(), i), ec);
  closed_ = true;
  cv_.notify_all();
}

}  // namespace wasmlet::runtime

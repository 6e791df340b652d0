// An instance's log: every stdout/stderr line with its own timestamp and
// stream, in the order written, appended to a JSON-lines file (one object
// per line: {"t":"<RFC 3339>","s":"stdout","m":"<text>"}) with size-based
// rotation (NAME.log, NAME.log.1, ...). Lines are written to the file as
// soon as they are complete, and an unfinished line is kept, as raw bytes
// appended write by write, in NAME.stdout.partial / NAME.stderr.partial until
// it is, so a crash of the daemon loses nothing that was printed (the next
// daemon records what they hold). Followers wait on a condition variable for
// new lines; one that falls behind the entries kept in memory reads the
// rest from the files. Entries are kept in memory only while a follower is
// attached, and then at most kRecentBytes of them (the newest): a guest
// printing long lines must not grow the daemon by more than that, and an
// instance nobody follows (a finished one) holds none. Readers hold the lock only to open the files, never
// while reading them: a `logs` of a large log must not stall the guest's writes.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "wasi_sys/unique_fd.h"
#include "wasmlet/runtime/types.h"

namespace wasmlet::runtime {

class InstanceLog {
 public:
  InstanceLog(std::filesystem::path file, uint64_t max_bytes, uint32_t max_files);
  ~InstanceLog();
  InstanceLog(const InstanceLog&) = delete;
  InstanceLog& operator=(const InstanceLog&) = delete;

  // Guest output as it is written (the WASI OutputSink): split into lines per
  // stream; a line is recorded when its newline arrives.
  void write(LogStream stream, std::span<const uint8_t> bytes);
  // Records the partial lines still buffered (at the end of a run).
  void flush_partial();
  // A line the runtime itself adds (restarts, failures), on stderr.
  void note(const std::string& message);

  // The entries `query` selects, handed to on_entry in order as they are
  // read from the files a chunk at a time (never the whole log at once);
  // false if on_entry said stop. `tail` counts entries (lines that decode),
  // the last N of those since `since`, as a follow starts with.
  bool read(const LogQuery& query, const std::function<bool(const LogEntry&)>& on_entry);
  // The same, collected (small logs, tests).
  std::vector<LogEntry> read(const LogQuery& query);
  // Entries matching `query`, then every new one until close() or on_entry
  // returns false. `still_wanted`, when given, is asked after each second
  // without an entry: false ends the follow too.
  void follow(const LogQuery& query, const std::function<bool(const LogEntry&)>& on_entry,
              const std::function<bool()>& still_wanted = {});
  // No more output for now (the instance finished); wakes followers. reopen()
  // undoes it when the instance is started again.
  void close();
  void reopen();
  // Deletes the files (instance removed).
  void remove_files();

  // The most memory the entries kept for followers take (the newest that fit).
  static constexpr size_t kRecentBytes = 1 << 20;
  // What the entries kept for followers take now, in bytes (for tests).
  size_t recent_bytes();

  static std::string encode(const LogEntry& entry);
  static bool decode(std::string_view line, LogEntry& entry);

 private:
  bool open_locked();
  void end_torn_line_locked();
  // Brings stream i's partial file in line with partial_[i]: `appended` is
  // what this write added, and `line_ended` whether a line was completed.
  void save_partial_locked(int i, std::string_view appended, bool line_ended);
  void close_partials_locked();
  void recover_partial();
  void append_locked(LogEntry entry);
  void release_recent_locked();
  void rotate_locked();
  // The files as they are now, oldest first, each opened with its size: a
  // rotation (a rename) or an append after this does not change what the
  // descriptor holds up to that size, so they are read without the lock.
  struct FileSnapshot {
    wasi_sys::UniqueFd fd;
    uint64_t size = 0;
  };
  std::vector<FileSnapshot> snapshot_files_locked();
  // A place in a snapshot: files[file], `offset` bytes in.
  struct SnapshotPosition {
    size_t file = 0;
    uint64_t offset = 0;
  };
  // Where the last `count` entries of the snapshot (those since `since`, if
  // given) begin, its start if it has fewer, found reading backwards from its
  // end in bounded chunks. An entry is a line that decodes, as
  // stream_snapshot reads them. A file that cannot be read back that far
  // (truncated under us) ends the search at the earliest line read whole.
  static SnapshotPosition start_of_last_entries(const std::vector<FileSnapshot>& files, uint64_t count,
                                                const std::optional<TimePoint>& since);
  // Hands on_entry each entry of the snapshot from `from` on, read in
  // bounded chunks, never the whole log at once; false if on_entry said stop.
  static bool stream_snapshot(const std::vector<FileSnapshot>& files, SnapshotPosition from,
                              const std::function<bool(const LogEntry&)>& on_entry);
  // What `query` selects from the snapshot, streamed (read and the start of follow).
  static bool stream_query(const std::vector<FileSnapshot>& files, const LogQuery& query,
                           const std::function<bool(const LogEntry&)>& on_entry);

  std::filesystem::path file_;
  std::filesystem::path partial_file_[2];  // stdout, stderr
  int partial_fd_[2] = {-1, -1};
  uint64_t max_bytes_;
  uint32_t max_files_;
  std::mutex mu_;
  std::condition_variable cv_;
  int fd_ = -1;
  uint64_t size_ = 0;
  std::string partial_[2];
  // Recent entries for followers, with their sequence numbers: only while
  // followers_ > 0, at most kRecentBytes (recent_bytes_) of them.
  std::deque<std::pair<uint64_t, LogEntry>> recent_;
  size_t recent_bytes_ = 0;
  int followers_ = 0;
  uint64_t next_seq_ = 0;
  // An entry could not be written to the file (disk full): the files no
  // longer hold every entry, so a follower that fell behind cannot catch up there.
  bool file_gap_ = false;
  bool closed_ = true;
};

}  // namespace wasmlet::runtime

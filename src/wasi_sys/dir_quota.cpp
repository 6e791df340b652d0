#include "dir_quota.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace wasmlet::wasi_sys {

namespace fs = std::filesystem;

namespace {

// How deep the count walks (one open directory per level). A guest can make
// a deeper tree; the count then fails and the quota assumes no room, which
// only stops that directory's writes at its limit.
constexpr int kMaxCountDepth = 256;

struct Count {
  uint64_t bytes = 0;
  uint64_t entries = 0;
  std::set<std::pair<dev_t, ino_t>> seen;  // a hard-linked file's bytes count once

  void add(const struct stat& st) {
    if (st.st_nlink > 1 && !seen.insert({st.st_dev, st.st_ino}).second) return;
    bytes += static_cast<uint64_t>(st.st_size);
  }
};

// Adds the names and the regular files' bytes beneath the open directory `dir_fd` (closed here),
// each looked at relative to its directory's fd, so no path grows with the
// depth and no symbolic link is followed. False if something could not be
// seen (a file removed meanwhile is simply gone).
bool count_beneath(int dir_fd, int depth, Count& count) {
  DIR* dir = ::fdopendir(dir_fd);
  if (!dir) {
    ::close(dir_fd);
    return false;
  }
  bool complete = true;
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(dir);
    if (!entry) {
      complete = errno == 0;
      break;
    }
    const char* name = entry->d_name;
    if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0) continue;
    struct stat st;
    if (::fstatat(::dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      complete = false;
      break;
    }
    ++count.entries;
    if (S_ISREG(st.st_mode)) {
      count.add(st);
    } else if (S_ISDIR(st.st_mode)) {
      const int sub = depth < kMaxCountDepth ? ::openat(::dirfd(dir), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
      if (sub < 0 && depth < kMaxCountDepth && errno == ENOENT) continue;
      if (sub < 0 || !count_beneath(sub, depth + 1, count)) {
        complete = false;
        break;
      }
    }
  }
  ::closedir(dir);
  return complete;
}

// Adds the files this process holds open that were unlinked from beneath
// `dir`: they keep their blocks until closed, so a guest cannot free room by
// unlinking a file it goes on writing. The kernel names each fd's file in
// /proc/self/fd, with " (deleted)" once it is unlinked.
bool count_unlinked_open_files(const fs::path& dir, Count& count) {
  DIR* fds = ::opendir("/proc/self/fd");
  if (!fds) return false;
  const std::string prefix = dir.string() + "/";
  constexpr std::string_view kDeleted = " (deleted)";
  while (const dirent* entry = ::readdir(fds)) {
    if (entry->d_name[0] == '.') continue;
    const std::string link = std::string("/proc/self/fd/") + entry->d_name;
    char target[PATH_MAX + kDeleted.size() + 1];
    const ssize_t n = ::readlink(link.c_str(), target, sizeof target);
    if (n <= 0) continue;
    const std::string_view named(target, static_cast<size_t>(n));
    if (!named.starts_with(prefix) || !named.ends_with(kDeleted)) continue;
    struct stat st;
    if (::stat(link.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 0) count.add(st);
  }
  ::closedir(fds);
  return true;
}

}  // namespace

std::optional<DirectoryUsage> directory_usage(const fs::path& dir) {
  Count count;
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || !count_beneath(fd, 0, count) || !count_unlinked_open_files(dir, count)) return std::nullopt;
  return DirectoryUsage{count.bytes, count.entries};
}

std::shared_ptr<DirQuota> DirQuota::of(const fs::path& dir, uint64_t limit) {
  static std::mutex mu;
  static std::map<std::string, std::weak_ptr<DirQuota>> quotas;
  std::error_code ec;
  fs::path key = fs::weakly_canonical(dir, ec);
  if (ec) key = dir;
  std::lock_guard lock(mu);
  std::erase_if(quotas, [](const auto& entry) { return entry.second.expired(); });
  auto& slot = quotas[key.string()];
  auto quota = slot.lock();
  if (!quota) {
    quota = std::make_shared<DirQuota>(key);
    slot = quota;
  }
  // Contexts that disagree on the limit (two specs, one volume) share the
  // count; the smallest limit holds for all.
  if (limit < quota->limit_) quota->limit_ = limit;  // under `mu`: no other of() races it
  return quota;
}

DirQuota::DirQuota(fs::path dir) : dir_(std::move(dir)) {
  std::lock_guard lock(mu_);
  recount_if_due();  // due: last_count_ is the clock's epoch (boot)
}

uint64_t DirQuota::entry_limit() const { return std::max(kMinEntries, limit_ / kBytesPerEntry); }

bool DirQuota::recount_if_due() {
  const auto now = std::chrono::steady_clock::now();
  if (!shrink_noted_.exchange(false, std::memory_order_relaxed) && now - last_count_ < std::chrono::seconds(1))
    return false;
  last_count_ = now;
  const auto usage = directory_usage(dir_);
  used_ = usage ? usage->bytes : UINT64_MAX;  // not all seen: full
  entries_ = usage ? usage->entries : UINT64_MAX;
  return true;
}

uint64_t DirQuota::room_locked(uint64_t growth) {
  const uint64_t limit = limit_;
  const auto room = [&] { return used_ < limit ? limit - used_ : 0; };
  // Count again what the disk holds, if anything may have been freed since.
  if (growth > room()) recount_if_due();
  return std::min(growth, room());
}

bool DirQuota::grow_to(int fd, uint64_t end) {
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return true;  // the write itself reports a bad fd
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (end <= size) return true;
  const uint64_t growth = end - size;
  std::lock_guard lock(mu_);
  if (room_locked(growth) < growth) return false;
  used_ += growth;
  return true;
}

uint64_t DirQuota::fit(int fd, uint64_t start, uint64_t len, bool count) {
  struct stat st;
  if (len == 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return len;  // the write itself reports a bad fd
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  // On an fd opened (or set) to append, Linux writes at the end of the file
  // whatever the offset (pwrite(2), BUGS): count it there, or a positioned
  // write at 0 would grow the file uncounted.
  const int fl = ::fcntl(fd, F_GETFL);
  if (fl >= 0 && (fl & O_APPEND)) start = size;
  const uint64_t end = start > UINT64_MAX - len ? UINT64_MAX : start + len;
  if (end <= size) return len;
  std::lock_guard lock(mu_);
  // The file may grow to size + room; the write gets what lies past `start`
  // (nothing when even the hole before it does not fit).
  const uint64_t new_end = size + room_locked(end - size);
  if (new_end <= start) return 0;
  if (count) used_ += new_end - size;
  return new_end - start;
}

bool DirQuota::take_entry() {
  std::lock_guard lock(mu_);
  if (entries_ >= entry_limit() && (!recount_if_due() || entries_ >= entry_limit())) return false;
  ++entries_;
  return true;
}

void DirQuota::give_back_entry() {
  // A recount between take and give back may already have missed the
  // entry, so this can undercount by one per call in flight; the next
  // recount corrects it.
  std::lock_guard lock(mu_);
  if (entries_ > 0 && entries_ != UINT64_MAX) --entries_;
}

}  // namespace wasmlet::wasi_sys

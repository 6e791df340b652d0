#include "dir_quota.h"

#include <sys/stat.h>

#include <map>
#include <set>
#include <string>
#include <utility>

namespace wasmlet::wasi_sys {

namespace fs = std::filesystem;

uint64_t directory_bytes(const fs::path& dir) {
  uint64_t total = 0;
  std::set<std::pair<dev_t, ino_t>> seen;  // a hard-linked file counts once
  std::error_code ec;
  // Symbolic links are not followed: what they point at is not the directory's.
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (st.st_nlink > 1 && !seen.insert({st.st_dev, st.st_ino}).second) continue;
    total += static_cast<uint64_t>(st.st_size);
  }
  return total;
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

DirQuota::DirQuota(fs::path dir) : dir_(std::move(dir)), used_(directory_bytes(dir_)) {}

bool DirQuota::grow_to(int fd, uint64_t end) {
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return true;  // the write itself reports a bad fd
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (end <= size) return true;
  const uint64_t growth = end - size;
  std::lock_guard lock(mu_);
  const uint64_t limit = limit_;
  if (growth <= limit && used_ <= limit - growth) {
    used_ += growth;
    return true;
  }
  used_ = directory_bytes(dir_);  // what was freed since is counted again
  if (growth > limit || used_ > limit - growth) return false;
  used_ += growth;
  return true;
}

}  // namespace wasmlet::wasi_sys

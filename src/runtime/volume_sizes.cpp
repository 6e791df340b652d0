#include "volume_sizes.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "util/file_bytes.h"
#include "wasmlet/runtime/types.h"

namespace wasmlet::runtime {

namespace fs = std::filesystem;

namespace {

fs::path size_file(const fs::path& data_dir, const std::string& name) { return data_dir / "volume-sizes" / name; }

// Where a record is written before it is renamed in. Not in volume-sizes/:
// a volume may have any name but . and .., so any file there could be a
// volume's record (NAME.new was volume NAME.new's, and recording NAME
// truncated it, then renamed it away).
fs::path writing_dir(const fs::path& data_dir) { return data_dir / "volume-sizes.writing"; }

// Writes `text` to a file of its own in `dir` (mkstemp: two starts
// recording at once never share one), synced; returns its path, or sets `ec`.
fs::path write_aside(const fs::path& dir, const std::string& text, std::error_code& ec) {
  std::string tmpl = (dir / "size-XXXXXX").string();
  const int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) {
    ec = std::error_code(errno, std::generic_category());
    return {};
  }
  const bool ok = util::write_all_and_sync(fd, text);
  if (!ok) ec = std::error_code(errno, std::generic_category());
  if (::close(fd) != 0 && ok) ec = std::error_code(errno, std::generic_category());
  return tmpl;
}

}  // namespace

void record_volume_size(const fs::path& data_dir, const std::string& name, uint64_t bytes) {
  const auto file = size_file(data_dir, name);
  try {
    if (recorded_volume_size(data_dir, name) == bytes) return;  // the usual case: nothing changes
  } catch (const RuntimeError&) {
    // A damaged record: the size given now replaces it.
  }
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  if (!ec) fs::create_directories(writing_dir(data_dir), ec);
  // Written aside and renamed in, so a reader never sees half a number.
  fs::path tmp;
  if (!ec) tmp = write_aside(writing_dir(data_dir), fmt::format("{}\n", bytes), ec);
  if (!ec) fs::rename(tmp, file, ec);
  if (ec) {
    std::error_code ignored;
    if (!tmp.empty()) fs::remove(tmp, ignored);
    throw RuntimeError(RuntimeError::Kind::Internal,
                       fmt::format("cannot record the size of volume '{}' in {}: {}", name, file.string(), ec.message()));
  }
  // The rename itself, kept across a crash (best effort: the record is in place).
  if (const int dir = ::open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

std::optional<uint64_t> recorded_volume_size(const fs::path& data_dir, const std::string& name) {
  const auto file = size_file(data_dir, name);
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::nullopt;
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  const std::string s = text.str();
  uint64_t bytes = 0;
  const auto [end, err] = std::from_chars(s.data(), s.data() + s.size(), bytes);
  if (!in || err != std::errc{} || end == s.data() || (end != s.data() + s.size() && *end != '\n'))
    throw RuntimeError(RuntimeError::Kind::Internal,
                       fmt::format("volume '{}': its size record {} is unreadable; remove the file to mount the volume "
                                   "unbounded, or start an instance that gives the volume a size", name, file.string()));
  return bytes;
}

void forget_volume_size(const fs::path& data_dir, const std::string& name) {
  std::error_code ec;
  fs::remove(size_file(data_dir, name), ec);
}

}  // namespace wasmlet::runtime

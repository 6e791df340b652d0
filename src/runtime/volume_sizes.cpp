#include "volume_sizes.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "wasmlet/runtime/types.h"

namespace wasmlet::runtime {

namespace fs = std::filesystem;

namespace {

fs::path size_file(const fs::path& data_dir, const std::string& name) { return data_dir / "volume-sizes" / name; }

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
  // Written aside and renamed in, so a reader never sees half a number.
  const auto tmp = fs::path(file.string() + ".new");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << bytes << "\n";
    out.close();
    if (!out) ec = std::make_error_code(std::errc::io_error);
  }
  if (!ec) fs::rename(tmp, file, ec);
  if (ec)
    throw RuntimeError(RuntimeError::Kind::Internal,
                       fmt::format("cannot record the size of volume '{}' in {}: {}", name, file.string(), ec.message()));
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

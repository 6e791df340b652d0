#include "mounts.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "util/remove_tree.h"
#include "volume_sizes.h"
#include "wasmlet/byte_size.h"

namespace wasmlet::runtime {

namespace {

std::filesystem::path named_volume_dir(const std::filesystem::path& data_dir, const std::string& name) {
  return data_dir / "volumes" / name;
}

std::filesystem::path tmpfs_root(const std::filesystem::path& data_dir, const std::string& instance) {
  return data_dir / "tmpfs" / instance;
}

void check_target(const std::vector<Preopen>& existing, const std::string& target, const std::string& instance, int line) {
  for (const auto& p : existing)
    if (p.guest_path == target)
      throw RuntimeError(RuntimeError::Kind::InvalidSpec,
                         fmt::format("instance {}: storage (line {}): two mounts share the target '{}'", instance, line, target));
}

// A mount's `size`: the WASI layer refuses writes past it (nospc), as a
// size-limited tmpfs or volume would, since the directory is on the host's disk.
std::optional<uint64_t> size_limit(const StorageSpec& m) {
  if (!m.size) return std::nullopt;
  return parse_byte_size(*m.size);  // the spec checked it
}

}  // namespace

MountPlan plan_mounts(const ServiceSpec& spec, const std::string& instance, const std::filesystem::path& data_dir) {
  MountPlan plan;
  plan.data_dir = data_dir;
  int tmpfs_index = 0;
  for (const auto& m : spec.storage) {
    auto where = fmt::format("instance {}: storage '{}' mount at {}{}", instance, to_string(m.type), m.target,
                             m.line.value > 0 ? fmt::format(" (spec line {})", m.line.value) : "");
    check_target(plan.preopens, m.target, instance, m.line.value);
    switch (m.type) {
      case StorageSpec::Type::Bind: {
        std::filesystem::path src(m.source);
        std::error_code ec;
        if (!src.is_absolute())
          throw RuntimeError(RuntimeError::Kind::InvalidSpec, fmt::format("{}: the source '{}' must be an absolute host path", where, m.source));
        if (!std::filesystem::is_directory(src, ec))
          throw RuntimeError(RuntimeError::Kind::InvalidSpec,
                             fmt::format("{}: the source '{}' is not an existing directory on the host", where, m.source));
        plan.preopens.push_back(Preopen{src, m.target, m.readonly});
        plan.descriptions.push_back(fmt::format("bind {} -> {}{}", m.source, m.target, m.readonly ? " (ro)" : ""));
        break;
      }
      case StorageSpec::Type::Named: {
        // A volume has one size (src/runtime/volume_sizes.h): two in one spec contradict each other.
        for (const auto& other : spec.storage) {
          if (&other == &m) break;
          if (other.type == StorageSpec::Type::Named && other.name == m.name && other.size && m.size &&
              parse_byte_size(*other.size) != parse_byte_size(*m.size))
            throw RuntimeError(RuntimeError::Kind::InvalidSpec,
                               fmt::format("{}: volume '{}' is mounted at {} with size {} and at {} with size {}; a volume "
                                           "has one size: give it on one of its mounts, or the same on each",
                                           where, m.name, other.target, *other.size, m.target, *m.size));
        }
        auto dir = named_volume_dir(data_dir, m.name);
        plan.volumes.push_back({plan.preopens.size(), m.name});
        plan.preopens.push_back(Preopen{dir, m.target, m.readonly, size_limit(m)});
        plan.made_dirs.push_back(dir);
        plan.descriptions.push_back(fmt::format("volume {} ({}) -> {}{}{}", m.name, dir.string(), m.target, m.readonly ? " (ro)" : "",
                                                m.size ? fmt::format(" (at most {})", *m.size) : ""));
        break;
      }
      case StorageSpec::Type::Tmpfs: {
        auto dir = tmpfs_root(data_dir, instance) / std::to_string(tmpfs_index++);
        plan.preopens.push_back(Preopen{dir, m.target, false, size_limit(m)});
        plan.owned_dirs.push_back(dir);
        plan.made_dirs.push_back(dir);
        plan.descriptions.push_back(fmt::format("tmpfs {} -> {}{} (removed with the instance)", dir.string(), m.target,
                                                m.size ? fmt::format(" (at most {})", *m.size) : ""));
        break;
      }
      case StorageSpec::Type::Anonymous:
        throw RuntimeError(RuntimeError::Kind::InvalidSpec,
                           fmt::format("{}: anonymous volumes are not supported for WebAssembly workloads; use a named volume "
                                       "(type: named) to keep data, or tmpfs for scratch space", where));
      case StorageSpec::Type::S3:
        throw RuntimeError(RuntimeError::Kind::InvalidSpec,
                           fmt::format("{}: S3 mounts (bucket '{}') are not supported for WebAssembly workloads: WASI has no "
                                       "FUSE; sync the bucket to a named volume instead", where, m.bucket));
    }
  }
  if (spec.wasm) {
    for (const auto& p : spec.wasm->preopens) {
      std::filesystem::path src(p.source);
      std::error_code ec;
      auto where = fmt::format("instance {}: wasm.preopens {} -> {}", instance, p.source, p.target);
      check_target(plan.preopens, p.target, instance, 0);
      if (!src.is_absolute() || !std::filesystem::is_directory(src, ec))
        throw RuntimeError(RuntimeError::Kind::InvalidSpec, fmt::format("{}: the source must be an existing absolute host directory", where));
      plan.preopens.push_back(Preopen{src, p.target, p.readonly});
      plan.descriptions.push_back(fmt::format("preopen {} -> {}{}", p.source, p.target, p.readonly ? " (ro)" : ""));
    }
  }
  return plan;
}

std::vector<Preopen> prepare_mounts(const MountPlan& plan, const std::string& instance) {
  std::vector<Preopen> preopens = plan.preopens;
  // Every size the spec gives first (one a volume: plan_mounts saw to it),
  // then the mounts without one: a volume's mount without a size, listed
  // before one with, is bounded by it too, on the first start as on later ones.
  std::map<std::string, uint64_t> given;
  for (const auto& v : plan.volumes)
    if (const auto& limit = preopens[v.preopen].max_bytes) given.emplace(v.name, *limit);
  for (const auto& [name, bytes] : given) record_volume_size(plan.data_dir, name, bytes);
  for (const auto& v : plan.volumes) {
    auto& limit = preopens[v.preopen].max_bytes;
    if (limit) continue;
    const auto in_spec = given.find(v.name);
    limit = in_spec != given.end() ? std::optional(in_spec->second) : recorded_volume_size(plan.data_dir, v.name);
  }
  for (const auto& p : plan.preopens) {
    std::error_code ec;
    if (std::filesystem::is_directory(p.host_path, ec)) continue;
    bool ours = std::find(plan.made_dirs.begin(), plan.made_dirs.end(), p.host_path) != plan.made_dirs.end();
    if (!ours)  // a bind source is the user's: creating an empty one would hide that their data is gone
      throw RuntimeError(RuntimeError::Kind::InvalidSpec,
                         fmt::format("instance {}: the host directory '{}' mounted at {} no longer exists; create it again, "
                                     "or change the spec's storage and recreate the instance (wasmlet up -f SPEC)",
                                     instance, p.host_path.string(), p.guest_path));
    std::filesystem::create_directories(p.host_path, ec);
    if (ec)
      throw RuntimeError(RuntimeError::Kind::Internal,
                         fmt::format("instance {}: cannot create '{}' for the mount at {}: {}", instance, p.host_path.string(),
                                     p.guest_path, ec.message()));
    std::filesystem::permissions(p.host_path, std::filesystem::perms::owner_all, ec);
  }
  return preopens;
}

void release_mounts(const std::string& instance, const std::filesystem::path& data_dir) {
  // The guest filled these directories: util::remove_tree copes with any depth.
  auto root = tmpfs_root(data_dir, instance);
  if (auto ec = util::remove_tree(root))
    throw RuntimeError(RuntimeError::Kind::Internal,
                       fmt::format("instance {}: cannot delete its tmpfs directory '{}' ({}); it is left on the host: "
                                   "delete it by hand", instance, root.string(), ec.message()));
}

void remove_named_volume(const std::string& name, const std::filesystem::path& data_dir) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
    throw RuntimeError(RuntimeError::Kind::InvalidArgument, fmt::format("invalid volume name '{}'", name));
  if (auto ec = util::remove_tree(named_volume_dir(data_dir, name)))
    throw RuntimeError(RuntimeError::Kind::Internal,
                       fmt::format("cannot remove volume '{}' ({}): {}", name, named_volume_dir(data_dir, name).string(), ec.message()));
  forget_volume_size(data_dir, name);  // a volume made again under the name starts unbounded
}

}  // namespace wasmlet::runtime

// ImageStore::open: the store of a data dir, and the move of wasmlet 0.1's
// runtime image copies into it. wasmlet 0.1 kept the images the daemon
// imported or copied from local files outside the OCI store, in
// DATA_DIR/images: refs/<sha256 of the reference>.ref (two lines: the
// reference and the module's digest) and sha256-<hex>.wasm. Each reference
// is loaded into the store under its name (unless the store already has
// it), then its .ref file is deleted. The module files stay where they are,
// because instances recorded in state.db name them; prune() deletes those no
// instance uses.
#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "util/file_lock.h"
#include "wasmlet/registry/digest.h"
#include "wasmlet/registry/image_store.h"
#include "wasmlet/registry/pull_policy.h"
#include "wasmlet/registry/registry_error.h"

namespace wasmlet::registry {
namespace fs = std::filesystem;

namespace {

struct LegacyRef {
  std::string reference, digest;
};

std::optional<LegacyRef> read_legacy_ref(const fs::path& file) {
  std::ifstream in(file);
  LegacyRef r;
  if (!std::getline(in, r.reference) || !std::getline(in, r.digest)) return std::nullopt;
  try {
    validate_digest(r.digest);
  } catch (const Error&) {
    return std::nullopt;
  }
  return r;
}

std::optional<std::string> read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void migrate_legacy_images(ImageStore& store, const fs::path& legacy_dir) {
  std::error_code ec;
  if (!fs::is_directory(legacy_dir / "refs", ec)) return;
  auto migrating = util::FileLock::acquire(store.root() / "migrate.lock");
  if (!fs::is_directory(legacy_dir / "refs", ec)) return;  // another process did it
  bool all_moved = true;
  for (const auto& f : fs::directory_iterator(legacy_dir / "refs", ec)) {
    auto ref = f.path().extension() == ".ref" ? read_legacy_ref(f.path()) : std::nullopt;
    auto bytes = ref ? read_bytes(legacy_dir / ("sha256-" + std::string(digest_hex(ref->digest)) + ".wasm")) : std::nullopt;
    try {
      if (ref && bytes) {
        if (!store.find(ref->reference))
          load_wasm(store, *bytes, fmt::format("image '{}' of {}", ref->reference, legacy_dir.string()), ref->reference,
                    WasmCheck::Lenient);
        fs::remove(f.path(), ec);
        continue;
      }
    } catch (const Error&) {
      // A reference the store cannot name: its .ref file stays, nothing is lost.
    }
    all_moved = false;
  }
  if (all_moved) fs::remove_all(legacy_dir / "refs", ec);
}

}  // namespace

ImageStore ImageStore::open(const fs::path& data_dir) {
  ImageStore store(default_root(data_dir));
  store.legacy_dir_ = data_dir / "images";
  migrate_legacy_images(store, store.legacy_dir_);
  return store;
}

}  // namespace wasmlet::registry

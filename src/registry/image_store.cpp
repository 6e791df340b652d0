// OCI image layout store with atomic writes and per-blob file locks.
#include "wasmlet/registry/image_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "wasmlet/registry/digest.h"
#include "wasmlet/registry/distribution_client.h"
#include "wasmlet/registry/registry_error.h"
#include "util/file_lock.h"
#include "json_member.h"
#include "registry/untrusted_json.h"

namespace wasmlet::registry {
namespace fs = std::filesystem;

namespace {

void write_file_atomic(const fs::path& file, std::string_view bytes, const fs::path& tmp) {
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw RegistryError(fmt::format("cannot write {}: {}", tmp.string(), std::strerror(errno)));
    }
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw RegistryError(fmt::format("cannot move {} into place: {}", file.string(), ec.message()));
  }
}

// Drops the index entries whose ref.name annotation is `reference`.
void erase_reference(nlohmann::json& index, const std::string& reference) {
  auto& ms = index["manifests"];
  for (auto it = ms.begin(); it != ms.end();) {
    bool match = it->contains("annotations") && string_member((*it)["annotations"], kRefNameAnnotation) == reference;
    it = match ? ms.erase(it) : it + 1;
  }
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw NotFoundError(fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

ImageStore::ImageStore(fs::path root) : root_(std::move(root)) {
  std::error_code ec;
  fs::create_directories(root_ / "blobs" / "sha256", ec);
  if (ec) throw RegistryError(fmt::format("cannot create the image store {}: {}", root_.string(), ec.message()));
  if (!fs::exists(root_ / "oci-layout"))
    write_file_atomic(root_ / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})", temp_path("oci-layout"));
  if (!fs::exists(root_ / "index.json")) {
    auto lock = util::FileLock::acquire(root_ / "index.json.lock");
    if (!fs::exists(root_ / "index.json"))
      write_file_atomic(root_ / "index.json",
                        nlohmann::json({{"schemaVersion", 2}, {"mediaType", kOciIndex}, {"manifests", nlohmann::json::array()}}).dump(2),
                        temp_path("index"));
  }
}

fs::path ImageStore::default_root(const fs::path& data_dir) { return data_dir / "oci"; }

std::optional<fs::path> ImageStore::local_file(const std::string& reference) {
  if (reference.starts_with("file://")) return fs::path(reference.substr(7));
  if (!reference.empty() && (reference[0] == '/' || reference.starts_with("./") || reference.starts_with("../")))
    return fs::path(reference);
  if (reference.ends_with(".wasm") && reference.find(':') == std::string::npos) return fs::path(reference);
  return std::nullopt;
}

std::string ImageStore::stored_name(const std::string& reference) {
  if (local_file(reference)) return reference;
  return Reference::parse(reference).str();
}

fs::path ImageStore::blob_path(const std::string& digest) const {
  validate_digest(digest);
  return root_ / "blobs" / "sha256" / std::string(digest_hex(digest));
}

fs::path ImageStore::temp_path(const std::string& hint) const {
  static std::atomic<unsigned> counter{0};
  fs::create_directories(root_ / "tmp");
  return root_ / "tmp" / fmt::format("{}.{}.{}", hint.substr(0, 24), getpid(), counter++);
}

util::FileLock ImageStore::writer_lock() const { return util::FileLock::acquire_shared(root_ / "writers.lock"); }

util::FileLock ImageStore::lock_blob(const std::string& digest) const {
  fs::create_directories(root_ / "locks");
  return util::FileLock::acquire(root_ / "locks" / std::string(digest_hex(digest)));
}

bool ImageStore::has_blob(const std::string& digest) const { return fs::exists(blob_path(digest)); }

bool ImageStore::has_valid_blob(const std::string& digest) const {
  auto p = blob_path(digest);
  if (!fs::exists(p)) return false;
  return sha256_file_digest(p) == digest;
}

void ImageStore::write_blob(const std::string& digest, std::string_view bytes) const {
  std::string got = sha256_digest(bytes);
  if (got != digest) throw DigestMismatchError(fmt::format("content for blob {} hashes to {}", digest, got));
  write_file_atomic(blob_path(digest), bytes, temp_path(std::string(digest_hex(digest))));
}

void ImageStore::adopt_blob(const std::string& digest, const fs::path& verified_file) const {
  std::error_code ec;
  fs::rename(verified_file, blob_path(digest), ec);
  if (ec) throw RegistryError(fmt::format("cannot move blob {} into {}: {}", digest, root_.string(), ec.message()));
}

std::string ImageStore::read_blob(const std::string& digest, std::uint64_t max_bytes, const std::string& what) const {
  auto p = blob_path(digest);
  if (!fs::exists(p))
    throw NotFoundError(fmt::format("blob {}{} is missing from the image store {}; pull the image again", digest,
                                    what.empty() ? "" : " of " + what, root_.string()));
  if (auto size = fs::file_size(p); size > max_bytes)
    throw RegistryError(fmt::format("blob {}{} is {} bytes, more than the {} wasmlet reads of it", digest,
                                    what.empty() ? "" : " of " + what, size, max_bytes),
                        ErrorCode::LimitExceeded);
  std::string bytes = read_file(p);
  std::string got = sha256_digest(bytes);
  if (got != digest)
    throw DigestMismatchError(fmt::format("blob {}{} in {} is corrupt (its content hashes to {}); pull the image again",
                                          digest, what.empty() ? "" : " of " + what, p.string(), got));
  return bytes;
}

nlohmann::json ImageStore::read_index() const {
  return parse_untrusted_json(read_file(root_ / "index.json"), (root_ / "index.json").string());
}

void ImageStore::write_index(const nlohmann::json& index) const {
  write_file_atomic(root_ / "index.json", index.dump(2), temp_path("index.json"));
}

template <class F>
auto ImageStore::with_index(F&& f) -> decltype(f(std::declval<nlohmann::json&>())) {
  auto lock = util::FileLock::acquire(root_ / "index.json.lock");
  nlohmann::json index = read_index();
  if constexpr (std::is_void_v<decltype(f(index))>) {
    f(index);
    write_index(index);
  } else {
    auto r = f(index);
    write_index(index);
    return r;
  }
}

void ImageStore::set_reference(const std::string& reference, const Descriptor& manifest) {
  with_index([&](nlohmann::json& index) {
    erase_reference(index, reference);
    Descriptor d = manifest;
    d.annotations[kRefNameAnnotation] = reference;
    index["manifests"].push_back(d.to_json());
  });
}

std::optional<ImageRecord> ImageStore::record_of(const nlohmann::json& entry) const {
  Descriptor d;
  try {
    d = Descriptor::from_json(entry, (root_ / "index.json").string());
  } catch (const RegistryError&) {
    return std::nullopt;
  }
  ImageRecord r;
  r.reference = d.annotations.count(kRefNameAnnotation) ? d.annotations[kRefNameAnnotation] : "";
  r.wasi_version = d.annotations.count(kWasiAnnotation) ? d.annotations[kWasiAnnotation] : "";
  r.kind = d.annotations.count(kKindAnnotation) ? d.annotations[kKindAnnotation] : "";
  r.size = d.annotations.count(kSizeAnnotation) ? std::stoull(d.annotations[kSizeAnnotation]) : d.size;
  r.manifest = std::move(d);
  return r;
}

std::optional<ImageRecord> ImageStore::find(const std::string& reference) const {
  if (!local_file(reference)) return find(Reference::parse(reference));
  for (auto& r : list())
    if (r.reference == reference) return r;
  return std::nullopt;
}

std::optional<ImageRecord> ImageStore::find(const Reference& ref) const {
  std::string want = ref.str();
  auto index = read_index();
  for (auto& e : index["manifests"]) {
    auto r = record_of(e);
    if (!r) continue;
    if (r->reference == want) return r;
    // name@digest matches any tag of that name holding the digest.
    if (!ref.digest.empty() && ref.tag.empty() && r->manifest.digest == ref.digest) {
      try {
        if (Reference::parse(r->reference).name() == ref.name()) return r;
      } catch (const ReferenceError&) {
      }
    }
  }
  return std::nullopt;
}

std::vector<ImageRecord> ImageStore::list() const {
  std::vector<ImageRecord> out;
  auto index = read_index();
  for (auto& e : index["manifests"])
    if (auto r = record_of(e)) out.push_back(std::move(*r));
  return out;
}

nlohmann::json ImageStore::read_manifest(const ImageRecord& image) const {
  return parse_untrusted_json(read_blob(image.manifest.digest, kMaxManifestBytes, image.reference),
                              fmt::format("manifest {} of image {}", image.manifest.digest, image.reference));
}

std::vector<Descriptor> ImageStore::blobs_of(const ImageRecord& image) const {
  std::vector<Descriptor> out{image.manifest};
  auto m = read_manifest(image);
  if (m.contains("config")) out.push_back(Descriptor::from_json(m["config"], image.reference + " (config)"));
  if (m.contains("layers"))
    for (auto& l : m["layers"]) out.push_back(Descriptor::from_json(l, image.reference + " (layer)"));
  return out;
}

std::vector<std::string> ImageStore::damaged_blobs(const ImageRecord& image) const {
  std::vector<std::string> out;
  if (!has_valid_blob(image.manifest.digest)) return {image.manifest.digest};
  for (auto& d : blobs_of(image))
    if (!has_valid_blob(d.digest)) out.push_back(d.digest);
  return out;
}

std::string ImageStore::wasm_bytes(const ImageRecord& image) const {
  auto m = read_manifest(image);
  std::string config;
  if (m.contains("config")) config = read_blob(string_member(m["config"], "digest"), kMaxConfigBytes, image.reference + " (config)");
  auto loc = locate_wasm(m, config, image.reference);
  return wasm_from_layer(read_blob(loc.layer.digest, kMaxLayerBytes, image.reference), loc, image.reference);
}

fs::path ImageStore::module_file(const ImageRecord& image) const {
  auto m = read_manifest(image);
  std::string config;
  if (m.contains("config")) config = read_blob(string_member(m["config"], "digest"), kMaxConfigBytes, image.reference + " (config)");
  auto loc = locate_wasm(m, config, image.reference);
  if (!loc.in_tar) {
    read_blob(loc.layer.digest, kMaxLayerBytes, image.reference);  // verifies it
    return blob_path(loc.layer.digest);
  }
  fs::create_directories(root_ / "modules");
  auto file = root_ / "modules" / (std::string(digest_hex(image.manifest.digest)) + ".wasm");
  if (!fs::exists(file)) {
    std::string wasm = wasm_from_layer(read_blob(loc.layer.digest, kMaxLayerBytes, image.reference), loc, image.reference);
    write_file_atomic(file, wasm, temp_path("module"));
  }
  return file;
}

void ImageStore::tag(const std::string& source, const std::string& target) {
  // A target named like a module file would shadow that file for every
  // `run FILE` that finds it in the store: only registry references.
  if (local_file(target))
    throw ReferenceError(fmt::format("invalid tag target \"{}\": a tag must be a registry reference "
                                     "([registry[:port]/]name[:tag]), not a module file path", target));
  auto name = Reference::parse(target).str();
  auto src = find(source);
  if (!src) throw NotFoundError(fmt::format("image {} is not in the image store {}; pull or load it first", source, root_.string()));
  check_reference_digest(name, src->manifest.digest, "tag");
  set_reference(name, src->manifest);
}

void ImageStore::remove(const std::string& reference, bool force,
                        const std::function<std::vector<std::string>(const std::string&)>& in_use) {
  auto image = find(reference);
  if (!image) throw NotFoundError(fmt::format("image {} is not in the image store {}", stored_name(reference), root_.string()));
  if (in_use && !force) {
    if (auto users = in_use(image->reference); !users.empty())
      throw ImageInUseError(fmt::format("image {} is used by instance{} {}; remove {} first (wasmlet rm) or force the removal (-f)",
                                        image->reference, users.size() == 1 ? "" : "s", fmt::join(users, ", "),
                                        users.size() == 1 ? "it" : "them"));
  }
  with_index([&](nlohmann::json& index) { erase_reference(index, image->reference); });
}

PruneResult ImageStore::prune(const std::set<fs::path>& keep_files) {
  PruneResult result;
  auto no_writers = util::FileLock::acquire(root_ / "writers.lock");
  auto lock = util::FileLock::acquire(root_ / "index.json.lock");
  std::set<std::string> keep;
  auto index = read_index();
  for (auto& e : index["manifests"]) {
    auto r = record_of(e);
    if (!r) continue;
    keep.insert(r->manifest.digest);
    try {
      for (auto& d : blobs_of(*r)) keep.insert(d.digest);
    } catch (const RegistryError&) {
      // A damaged manifest keeps only itself; its blobs are refetched on the next pull.
    }
  }
  auto remove_file = [&](const fs::path& file, const std::string& what) {
    std::error_code ec;
    auto size = fs::file_size(file, ec);
    if (fs::remove(file, ec)) {
      result.deleted.push_back(what);
      result.space_reclaimed += size == static_cast<std::uintmax_t>(-1) ? 0 : size;
    }
  };
  fs::create_directories(root_ / "locks");
  for (auto& f : fs::directory_iterator(root_ / "blobs" / "sha256")) {
    std::string digest = "sha256:" + f.path().filename().string();
    if (keep.count(digest) || keep_files.count(f.path())) continue;
    // Skip blobs a pull is writing right now (it holds their lock).
    auto blob_lock = util::FileLock::try_acquire(root_ / "locks" / f.path().filename());
    if (!blob_lock) continue;
    remove_file(f.path(), digest);
    std::error_code ec;
    fs::remove(root_ / "locks" / f.path().filename(), ec);
  }
  std::error_code ec;
  if (fs::exists(root_ / "modules", ec))
    for (auto& f : fs::directory_iterator(root_ / "modules")) {
      if (keep.count("sha256:" + f.path().stem().string()) || keep_files.count(f.path())) continue;
      remove_file(f.path(), "sha256:" + f.path().stem().string() + " (extracted module)");
    }
  // wasmlet 0.1's module copies that no instance uses any more.
  if (!legacy_dir_.empty() && fs::exists(legacy_dir_, ec)) {
    for (auto& f : fs::directory_iterator(legacy_dir_, ec))
      if (f.path().extension() == ".wasm" && !keep_files.count(f.path())) remove_file(f.path(), f.path().string());
    fs::remove(legacy_dir_, ec);  // only once empty
  }
  if (fs::exists(root_ / "tmp"))
    for (auto& f : fs::directory_iterator(root_ / "tmp")) {
      auto age = fs::file_time_type::clock::now() - fs::last_write_time(f.path(), ec);
      if (!ec && age > std::chrono::hours(1)) {
        result.space_reclaimed += fs::file_size(f.path(), ec);
        fs::remove(f.path(), ec);
      }
    }
  return result;
}

void check_reference_digest(const std::string& reference, const std::string& actual, std::string_view action) {
  const auto at = reference.rfind('@');
  if (at == std::string::npos || reference.compare(at + 1, std::string::npos, actual) == 0) return;
  throw ReferenceError(fmt::format(
      "cannot {} {}: its digest {} is not the content's, whose manifest digest is {}; name it by a tag, or by {}",
      action, reference, reference.substr(at + 1), actual, actual));
}

}  // namespace wasmlet::registry

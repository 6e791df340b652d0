#include "image_store.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "wasmlet/registry/digest.h"
#include "wasmlet/registry/pull_policy.h"
#include "wasmlet/registry/registry_error.h"

namespace wasmlet::runtime {

namespace {

std::string read_all(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes `bytes` to `dest` through a temp file and a rename (readers see all or nothing).
void write_atomically(const std::filesystem::path& dest, std::string_view bytes, const std::string& what) {
  auto tmp = dest;
  tmp += fmt::format(".tmp{}", ::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw RuntimeError(RuntimeError::Kind::Internal, fmt::format("{}: cannot write '{}'", what, tmp.string()));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, dest, ec);
  if (ec) throw RuntimeError(RuntimeError::Kind::Internal, fmt::format("{}: cannot write '{}': {}", what, dest.string(), ec.message()));
}

}  // namespace

ImageStore::ImageStore(std::filesystem::path dir, std::filesystem::path data_dir)
    : dir_(std::move(dir)), data_dir_(std::move(data_dir)) {
  std::filesystem::create_directories(dir_ / "refs");
}

std::optional<std::filesystem::path> ImageStore::local_file(const std::string& reference) {
  if (reference.starts_with("file://")) return std::filesystem::path(reference.substr(7));
  if (!reference.empty() && (reference[0] == '/' || reference.starts_with("./") || reference.starts_with("../")))
    return std::filesystem::path(reference);
  if (reference.ends_with(".wasm") && reference.find(':') == std::string::npos) return std::filesystem::path(reference);
  return std::nullopt;
}

std::filesystem::path ImageStore::ref_file(const std::string& reference) const {
  return dir_ / "refs" / (std::string(registry::digest_hex(registry::sha256_digest(reference))) + ".ref");
}

std::filesystem::path ImageStore::module_file(const std::string& digest) const {
  return dir_ / ("sha256-" + std::string(registry::digest_hex(digest)) + ".wasm");
}

std::optional<ImageStore::Entry> ImageStore::read_entry(const std::filesystem::path& file) const {
  std::ifstream in(file);
  Entry e;
  if (!std::getline(in, e.reference) || !std::getline(in, e.digest)) return std::nullopt;
  try {
    registry::validate_digest(e.digest);
  } catch (const Error&) {
    return std::nullopt;  // not one of ours
  }
  return e;
}

std::vector<ImageStore::Entry> ImageStore::entries() const {
  std::vector<Entry> out;
  std::error_code ec;
  for (const auto& f : std::filesystem::directory_iterator(dir_ / "refs", ec))
    if (f.path().extension() == ".ref")
      if (auto e = read_entry(f.path())) out.push_back(std::move(*e));
  return out;
}

std::optional<std::filesystem::path> ImageStore::stored(const std::string& reference) const {
  auto e = read_entry(ref_file(reference));
  if (!e || e->reference != reference) return std::nullopt;
  auto p = module_file(e->digest);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(p, ec)) return std::nullopt;
  return p;
}

std::optional<std::filesystem::path> ImageStore::find(const std::string& reference) {
  std::lock_guard lock(mu_);
  return stored(reference);
}

void ImageStore::write_entry(const std::string& reference, const std::string& digest) {
  write_atomically(ref_file(reference), reference + "\n" + digest + "\n", fmt::format("image '{}'", reference));
}

std::filesystem::path ImageStore::store_file(const std::string& reference, const std::filesystem::path& from) {
  std::string bytes = read_all(from);
  std::error_code ec;
  if (bytes.empty() && !std::filesystem::is_regular_file(from, ec))
    throw RuntimeError(RuntimeError::Kind::PullFailed,
                       fmt::format("image '{}': cannot read '{}' into the image store", reference, from.string()));
  return write_module(reference, registry::sha256_digest(bytes), bytes);
}

std::filesystem::path ImageStore::write_module(const std::string& reference, const std::string& digest, std::string_view bytes) {
  auto dest = module_file(digest);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(dest, ec)) write_atomically(dest, bytes, fmt::format("image '{}'", reference));
  write_entry(reference, digest);
  return dest;
}

std::filesystem::path ImageStore::import(const std::string& reference, const std::vector<uint8_t>& bytes) {
  std::lock_guard lock(mu_);
  std::string_view view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return write_module(reference, registry::sha256_digest(view), view);
}

std::filesystem::path ImageStore::pull_remote(const std::string& reference, PullPolicy policy, const std::optional<RegistryAuth>& auth) {
  registry::Reference ref;
  try {
    ref = registry::Reference::parse(reference);
  } catch (const Error& e) {
    throw RuntimeError(RuntimeError::Kind::InvalidArgument, fmt::format("image '{}': {}", reference, e.what()));
  }
  try {
    registry::ImageStore oci(registry::ImageStore::default_root(data_dir_));
    registry::CredentialStore logins(data_dir_ / "auth.json", registry::CredentialStore::default_docker_config());
    registry::ClientOptions options;
    options.credential_store = &logins;
    if (auth) options.credentials = registry::Credentials{auth->username, auth->token.empty() ? auth->password : auth->token, {}};
    registry::DistributionClient client(options);
    auto policy_of = [](PullPolicy p) {
      return p == PullPolicy::Always ? registry::PullPolicy::Always
             : p == PullPolicy::Never ? registry::PullPolicy::Never
                                      : registry::PullPolicy::IfNotPresent;
    };
    auto result = registry::pull_image_with_policy(oci, client, ref, policy_of(policy));
    if (!result.image)
      throw RuntimeError(RuntimeError::Kind::NotFound,
                         fmt::format("image '{}' is not in the local image store and the pull policy is never", reference));
    std::string wasm = oci.wasm_bytes(*result.image);
    std::lock_guard lock(mu_);
    return write_module(reference, result.image->manifest.digest, wasm);
  } catch (const registry::RegistryError& e) {
    throw RuntimeError(RuntimeError::Kind::PullFailed, fmt::format("image '{}': {}", reference, e.what()));
  }
}

std::filesystem::path ImageStore::pull(const std::string& reference, PullPolicy policy, const std::optional<RegistryAuth>& auth) {
  if (reference.empty()) throw RuntimeError(RuntimeError::Kind::InvalidArgument, "the image reference must not be empty");
  std::unique_lock lock(mu_);
  auto cached_file = stored(reference);
  bool present = cached_file.has_value();
  std::filesystem::path cached = cached_file.value_or(std::filesystem::path());
  std::error_code ec;
  if (auto file = local_file(reference)) {
    bool source_exists = std::filesystem::is_regular_file(*file, ec);
    if (policy == PullPolicy::Never) {
      if (present) return cached;
      if (source_exists) return *file;  // a local file needs no pull
      throw RuntimeError(RuntimeError::Kind::NotFound,
                         fmt::format("image '{}': the module file '{}' does not exist (pull policy never)", reference, file->string()));
    }
    if (present && policy == PullPolicy::IfNotPresent) return cached;
    if (!file->is_absolute())
      throw RuntimeError(RuntimeError::Kind::PullFailed,
                         fmt::format("image '{}': a module file must be given by an absolute path", reference));
    if (!source_exists)
      throw RuntimeError(RuntimeError::Kind::PullFailed, fmt::format("image '{}': the module file '{}' does not exist", reference, file->string()));
    return store_file(reference, *file);
  }
  if (present && policy != PullPolicy::Always) return cached;
  lock.unlock();  // a registry pull may take long; the OCI store locks its own blobs
  return pull_remote(reference, policy, auth);
}

std::vector<ImageInfo> ImageStore::list() {
  std::lock_guard lock(mu_);
  std::vector<ImageInfo> out;
  for (const auto& e : entries()) {
    std::error_code ec;
    auto size = std::filesystem::file_size(module_file(e.digest), ec);
    if (ec) continue;  // its module is gone: nothing to run
    out.push_back(ImageInfo{e.reference, e.digest, size});
  }
  std::sort(out.begin(), out.end(), [](const ImageInfo& a, const ImageInfo& b) { return a.reference < b.reference; });
  return out;
}

bool ImageStore::remove_locked(const std::string& reference, uint64_t* freed) {
  auto e = read_entry(ref_file(reference));
  if (!e || e->reference != reference) return false;
  std::error_code ec;
  std::filesystem::remove(ref_file(reference), ec);
  for (const auto& other : entries())
    if (other.digest == e->digest) return true;  // another reference still names the module
  auto module = module_file(e->digest);
  uint64_t size = std::filesystem::file_size(module, ec);
  if (std::filesystem::remove(module, ec) && freed) *freed += size;
  return true;
}

void ImageStore::remove(const std::string& reference) {
  std::lock_guard lock(mu_);
  if (!remove_locked(reference))
    throw RuntimeError(RuntimeError::Kind::NotFound, fmt::format("image '{}' is not in the local image store", reference));
}

PruneResult ImageStore::prune(const std::set<std::filesystem::path>& in_use) {
  std::lock_guard lock(mu_);
  PruneResult result;
  for (const auto& e : entries()) {
    if (in_use.count(module_file(e.digest))) continue;
    if (remove_locked(e.reference, &result.space_reclaimed)) result.deleted.push_back(e.reference);
  }
  return result;
}

void ImageStore::tag(const std::string& source, const std::string& target) {
  auto trim_empty = [](const std::string& s) { return s.find_first_not_of(" \t") == std::string::npos; };
  if (trim_empty(source) || trim_empty(target))
    throw RuntimeError(RuntimeError::Kind::InvalidArgument, "source and target must be non-empty image references");
  if (source == target) return;
  std::lock_guard lock(mu_);
  auto e = read_entry(ref_file(source));
  if (!e || e->reference != source || !stored(source))
    throw RuntimeError(RuntimeError::Kind::NotFound, fmt::format("image '{}' is not in the local image store", source));
  write_entry(target, e->digest);
}

}  // namespace wasmlet::runtime

#include "image_store.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "wasmlet/registry/pull_policy.h"
#include "wasmlet/registry/registry_error.h"

namespace wasmlet::runtime {

ImageStore::ImageStore(std::filesystem::path dir, std::filesystem::path data_dir)
    : dir_(std::move(dir)), data_dir_(std::move(data_dir)) {
  std::filesystem::create_directories(dir_);
}

std::string ImageStore::cache_key(const std::string& reference) {
  std::string key = reference;
  for (char& c : key)
    if (c == '/' || c == ':' || c == '@') c = '_';
  return key;
}

std::optional<std::filesystem::path> ImageStore::local_file(const std::string& reference) {
  if (reference.starts_with("file://")) return std::filesystem::path(reference.substr(7));
  if (!reference.empty() && (reference[0] == '/' || reference.starts_with("./") || reference.starts_with("../")))
    return std::filesystem::path(reference);
  if (reference.ends_with(".wasm") && reference.find(':') == std::string::npos) return std::filesystem::path(reference);
  return std::nullopt;
}

std::filesystem::path ImageStore::path_for(const std::string& reference) const {
  std::string key = cache_key(reference);
  if (key.empty() || key[0] == '.') key = "_" + key;
  return dir_ / (key + ".wasm");
}

std::optional<std::filesystem::path> ImageStore::find(const std::string& reference) {
  std::lock_guard lock(mu_);
  auto p = path_for(reference);
  std::error_code ec;
  if (std::filesystem::is_regular_file(p, ec)) return p;
  return std::nullopt;
}

std::filesystem::path ImageStore::store_file(const std::string& reference, const std::filesystem::path& from) {
  auto dest = path_for(reference);
  auto tmp = dest;
  tmp += fmt::format(".tmp{}", ::getpid());
  std::error_code ec;
  std::filesystem::copy_file(from, tmp, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec)
    throw RuntimeError(RuntimeError::Kind::PullFailed,
                       fmt::format("image '{}': cannot copy '{}' into the image store: {}", reference, from.string(), ec.message()));
  std::filesystem::rename(tmp, dest, ec);
  std::ofstream(dest.string().substr(0, dest.string().size() - 5) + ".ref") << reference;
  return dest;
}

std::filesystem::path ImageStore::write_module(const std::string& reference, std::string_view bytes) {
  auto dest = path_for(reference);
  auto tmp = dest;
  tmp += fmt::format(".tmp{}", ::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw RuntimeError(RuntimeError::Kind::Internal, fmt::format("image '{}': cannot write '{}'", reference, tmp.string()));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, dest, ec);
  if (ec) throw RuntimeError(RuntimeError::Kind::Internal, fmt::format("image '{}': cannot write '{}': {}", reference, dest.string(), ec.message()));
  std::ofstream(dest.string().substr(0, dest.string().size() - 5) + ".ref") << reference;
  return dest;
}

std::filesystem::path ImageStore::import(const std::string& reference, const std::vector<uint8_t>& bytes) {
  std::lock_guard lock(mu_);
  return write_module(reference, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
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
    return write_module(reference, wasm);
  } catch (const registry::RegistryError& e) {
    throw RuntimeError(RuntimeError::Kind::PullFailed, fmt::format("image '{}': {}", reference, e.what()));
  }
}

std::filesystem::path ImageStore::pull(const std::string& reference, PullPolicy policy, const std::optional<RegistryAuth>& auth) {
  if (reference.empty()) throw RuntimeError(RuntimeError::Kind::InvalidArgument, "the image reference must not be empty");
  std::unique_lock lock(mu_);
  auto cached = path_for(reference);
  std::error_code ec;
  bool present = std::filesystem::is_regular_file(cached, ec);
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
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    if (entry.path().extension() != ".wasm") continue;
    ImageInfo info;
    auto ref_file = entry.path();
    ref_file.replace_extension(".ref");
    std::ifstream in(ref_file);
    std::stringstream ss;
    ss << in.rdbuf();
    info.reference = in ? ss.str() : entry.path().stem().string();
    info.size_bytes = entry.file_size(ec);
    out.push_back(info);
  }
  std::sort(out.begin(), out.end(), [](const ImageInfo& a, const ImageInfo& b) { return a.reference < b.reference; });
  return out;
}

void ImageStore::remove(const std::string& reference) {
  std::lock_guard lock(mu_);
  auto p = path_for(reference);
  std::error_code ec;
  if (!std::filesystem::remove(p, ec))
    throw RuntimeError(RuntimeError::Kind::NotFound, fmt::format("image '{}' is not in the local image store", reference));
  p.replace_extension(".ref");
  std::filesystem::remove(p, ec);
}

PruneResult ImageStore::prune(const std::set<std::filesystem::path>& in_use) {
  PruneResult result;
  for (const auto& info : list()) {
    auto p = path_for(info.reference);
    if (in_use.count(p)) continue;
    std::lock_guard lock(mu_);
    std::error_code ec;
    if (std::filesystem::remove(p, ec)) {
      result.deleted.push_back(info.reference);
      result.space_reclaimed += info.size_bytes.value_or(0);
      p.replace_extension(".ref");
      std::filesystem::remove(p, ec);
    }
  }
  return result;
}

void ImageStore::tag(const std::string& source, const std::string& target) {
  auto trim_empty = [](const std::string& s) { return s.find_first_not_of(" \t") == std::string::npos; };
  if (trim_empty(source) || trim_empty(target))
    throw RuntimeError(RuntimeError::Kind::InvalidArgument, "source and target must be non-empty image references");
  if (source == target) return;
  auto src = find(source);
  if (!src) throw RuntimeError(RuntimeError::Kind::NotFound, fmt::format("image '{}' is not in the local image store", source));
  std::lock_guard lock(mu_);
  store_file(target, *src);
}

}  // namespace wasmlet::runtime

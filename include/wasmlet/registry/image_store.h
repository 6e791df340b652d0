// The local image store, the one store of wasmlet: an OCI image layout
// (oci-layout, index.json with org.opencontainers.image.ref.name annotations,
// blobs/sha256/<hex>) under DATA_DIR/oci, shared by the CLI (pull, load,
// images, rmi, prune, run REFERENCE), the daemon (/v1/images, instances) and
// the plugin host. Images are keyed by manifest digest. Writes are atomic
// (temp + rename); a file lock per blob lets concurrent pulls (threads or
// processes) fetch each blob once. Besides registry references, a reference
// may name a local module file ("/abs/x.wasm", "file:///abs/x.wasm"), which
// the runtime copies in under that name.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "wasmlet/registry/artifact.h"
#include "wasmlet/registry/blob_limits.h"
#include "wasmlet/registry/descriptor.h"
#include "wasmlet/registry/reference.h"

namespace wasmlet::util {
class FileLock;  // util/file_lock.h (internal)
}

namespace wasmlet::registry {

inline constexpr const char* kRefNameAnnotation = "org.opencontainers.image.ref.name";
inline constexpr const char* kWasiAnnotation = "io.wasmlet.wasi.version";
inline constexpr const char* kKindAnnotation = "io.wasmlet.artifact.kind";
inline constexpr const char* kSizeAnnotation = "io.wasmlet.image.size";

struct ImageRecord {
  std::string reference;     // full reference, e.g. "127.0.0.1:5000/app:v1"
  Descriptor manifest;       // the image manifest (annotations carry wasmlet's metadata)
  std::string wasi_version;  // wasip1/wasip2
  std::string kind;          // artifact kind
  std::uint64_t size = 0;    // manifest + config + layers
};

// What a prune removed. The CLI's prune deletes blobs no reference needs;
// the daemon's also untags the images no instance uses first.
struct PruneResult {
  std::vector<std::string> untagged;  // references removed
  std::vector<std::string> deleted;   // digests of removed blobs (and extracted modules)
  std::uint64_t space_reclaimed = 0;
};

class ImageStore {
 public:
  // Creates the layout if missing.
  explicit ImageStore(std::filesystem::path root);
  // The store of a data dir (DATA_DIR/oci). Images that wasmlet 0.1 kept
  // in DATA_DIR/images (refs/*.ref, sha256-*.wasm: local files and imports)
  // are moved into it the first time (legacy_images.cpp).
  static ImageStore open(const std::filesystem::path& data_dir);
  // DATA_DIR/oci for a data dir.
  static std::filesystem::path default_root(const std::filesystem::path& data_dir);
  // "file:///x.wasm", "/x.wasm", "./x.wasm" or "x.wasm" -> the path;
  // nullopt for registry references.
  static std::optional<std::filesystem::path> local_file(const std::string& reference);
  // The name a reference is stored under: a local file reference as given,
  // a registry reference normalized (app -> docker.io/library/app:latest).
  // Throws ReferenceError for a malformed registry reference.
  static std::string stored_name(const std::string& reference);

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path blob_path(const std::string& digest) const;

  // Held (shared) by pulls and loads from their first blob until the
  // reference is set; prune takes it exclusively, so it never deletes a blob
  // whose reference is about to be written.
  util::FileLock writer_lock() const;
  // Lock held while checking for and fetching one blob.
  util::FileLock lock_blob(const std::string& digest) const;
  bool has_blob(const std::string& digest) const;
  // True if present and its content hashes to `digest`.
  bool has_valid_blob(const std::string& digest) const;
  // Verifies and writes atomically. Throws DigestMismatchError.
  void write_blob(const std::string& digest, std::string_view bytes) const;
  // Moves a downloaded, already verified file into place.
  void adopt_blob(const std::string& digest, const std::filesystem::path& verified_file) const;
  // Reads and verifies; throws DigestMismatchError naming the blob (and
  // `what`), RegistryError if it is larger than `max_bytes` (blob_limits.h).
  std::string read_blob(const std::string& digest, std::uint64_t max_bytes, const std::string& what = {}) const;
  // A temp file name inside the store (same file system as the blobs).
  std::filesystem::path temp_path(const std::string& hint) const;

  // Points a reference at a manifest (replaces an existing entry).
  void set_reference(const std::string& reference, const Descriptor& manifest);
  std::optional<ImageRecord> find(const Reference& ref) const;
  std::optional<ImageRecord> find(const std::string& reference) const;
  std::vector<ImageRecord> list() const;

  // The image's manifest, verified and parsed (RegistryError if it is not
  // JSON or nests too deep).
  nlohmann::json read_manifest(const ImageRecord& image) const;
  // Digests (manifest first, then config and layers) the image needs; throws
  // if its manifest blob is missing or corrupt.
  std::vector<Descriptor> blobs_of(const ImageRecord& image) const;
  // Blobs of the image that are missing or corrupt.
  std::vector<std::string> damaged_blobs(const ImageRecord& image) const;
  // The wasm bytes of a stored image (extracted from a tar layer if needed).
  std::string wasm_bytes(const ImageRecord& image) const;
  // A file holding the image's module, verified: its layer blob when the
  // layer is the bare module, else a copy extracted from the tar layer
  // (modules/<manifest hex>.wasm). Content-addressed, so the file never
  // changes under an instance when a tag moves; prune() keeps it while
  // given in `keep`.
  std::filesystem::path module_file(const ImageRecord& image) const;

  // Gives the image `source` names the reference `target`, which must be a
  // registry reference (throws ReferenceError naming it otherwise: a module
  // file path would shadow that file).
  void tag(const std::string& source, const std::string& target);
  // Removes the reference. `in_use` (if given) gets the stored reference and
  // returns the instances using it (e.g. "web-rep-0"); when there are any the
  // removal is refused with ImageInUseError naming them, unless `force`.
  void remove(const std::string& reference, bool force,
              const std::function<std::vector<std::string>(const std::string&)>& in_use = {});
  // Deletes blobs and extracted modules no reference needs, except the
  // files in `keep` (modules of instances), and stale temp files.
  PruneResult prune(const std::set<std::filesystem::path>& keep = {});

 private:
  template <class F>
  auto with_index(F&& f) -> decltype(f(std::declval<nlohmann::json&>()));
  nlohmann::json read_index() const;
  void write_index(const nlohmann::json& index) const;
  std::optional<ImageRecord> record_of(const nlohmann::json& entry) const;

  std::filesystem::path root_;
  std::filesystem::path legacy_dir_;  // DATA_DIR/images of wasmlet 0.1 (open() only)
};

// A reference with a digest ("name@sha256:...") pins exactly that content:
// throws ReferenceError when the content's manifest digest (`actual`) is
// another, before anything is stored or pushed under it. `action` says what
// was refused ("load", "tag", "push").
void check_reference_digest(const std::string& reference, const std::string& actual, std::string_view action);

}  // namespace wasmlet::registry

// `wasmlet pull/push/load/images/tag/rmi/prune/login/inspect-image`: the OCI
// registry client and the local image store (src/registry, docs/registry.md).
#include <fmt/format.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include "cli/commands.h"
#include "cli/run_options.h"
#include "registry/json_member.h"
#include "registry/untrusted_json.h"
#include "server/image_users.h"
#include "server/paths.h"
#include "wasmlet/data_dir.h"
#include "wasmlet/error.h"
#include "wasmlet/registry/compat_image.h"
#include "wasmlet/registry/image_store.h"
#include "wasmlet/registry/pull_policy.h"
#include "wasmlet/registry/registry_error.h"
#include "wasmlet/runtime/wasm_runtime.h"

namespace wasmlet::cli {
namespace {

namespace fs = std::filesystem;
using namespace wasmlet::registry;

// --data-dir, else the same defaults as the daemon's (docs/registry.md).
fs::path data_dir(const std::string& flag) { return resolve_data_dir(flag); }

// The modules that instances recorded in DATA_DIR/state.db run (the
// daemon records each instance there), which prune must keep.
std::set<fs::path> recorded_modules(const fs::path& dir) {
  std::set<fs::path> keep;
  for (const auto& info : runtime::recorded_instances(dir)) keep.insert(info.image_path);
  return keep;
}

struct Context {
  explicit Context(const std::string& data_dir_flag) : dir(data_dir(data_dir_flag)) {}
  std::vector<std::string> insecure;
  fs::path dir;
  CredentialStore credentials{dir / "auth.json", CredentialStore::default_docker_config()};
  Progress progress{stderr};
  ImageStore store{ImageStore::open(dir)};

  DistributionClient client() {
    ClientOptions o;
    o.insecure_registries = insecure;
    o.credential_store = &credentials;
    o.progress = &progress;
    return DistributionClient(o);
  }
};

// The module's name inside a compat image: the file's own name.
std::string image_file_name(const std::string& file) {
  std::string name = std::filesystem::path(file).filename().string();
  return name.empty() ? "module.wasm" : name;
}

std::string read_wasm_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw UsageError(fmt::format("cannot read {}: {}", file, std::strerror(errno)));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::json image_json(const ImageRecord& i) {
  return {{"reference", i.reference}, {"digest", i.manifest.digest}, {"media_type", i.manifest.media_type},
          {"size", i.size}, {"wasi_version", i.wasi_version}, {"kind", i.kind}};
}

std::string short_digest(const std::string& d) { return d.substr(7, 12); }

std::shared_ptr<std::string> add_data_dir(CLI::App* sub) {
  auto flag = std::make_shared<std::string>();
  sub->add_option("--data-dir", *flag, "data dir holding the image store oci/ (default $WASMLET_DATA_DIR, $XDG_DATA_HOME/wasmlet, ~/.local/share/wasmlet)");
  return flag;
}

void add_insecure(CLI::App* sub, std::vector<std::string>& insecure) {
  sub->add_option("--insecure-registry", insecure, "registry (host[:port]) reached over plain HTTP; loopback always is");
}

// Terminal echo off for as long as this lives. A signal that ends wasmlet
// meanwhile (Ctrl-C at the prompt) turns echo back on before wasmlet dies,
// so the user's shell is not left typing blind.
class EchoOff {
 public:
  EchoOff() {
    ::tcgetattr(STDIN_FILENO, &saved_);
    struct sigaction restore {};
    restore.sa_handler = restore_and_die;
    sigemptyset(&restore.sa_mask);
    for (size_t i = 0; i < kSignals.size(); ++i) ::sigaction(kSignals[i], &restore, &previous_[i]);
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  ~EchoOff() {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
    for (size_t i = 0; i < kSignals.size(); ++i) ::sigaction(kSignals[i], &previous_[i], nullptr);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  static constexpr std::array<int, 4> kSignals = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
  // Only async-signal-safe calls: restore the terminal, then die of the signal as before.
  static void restore_and_die(int signal) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
    (void)!::write(STDERR_FILENO, "\n", 1);
    ::signal(signal, SIG_DFL);
    ::raise(signal);
  }
  static inline termios saved_{};
  std::array<struct sigaction, kSignals.size()> previous_{};
};

// The password for `login`: a line on stdin with --password-stdin or when
// stdin is not a terminal, else asked for on the terminal without echo.
std::string read_password(bool from_stdin) {
  bool prompt = !from_stdin && ::isatty(STDIN_FILENO);
  std::string password;
  {
    // Echo goes off before the prompt appears, so nothing typed after it is
    // echoed, and without flushing: what was typed ahead is the password.
    std::optional<EchoOff> echo_off;
    if (prompt) {
      echo_off.emplace();
      std::cerr << "Password: " << std::flush;
    }
    std::getline(std::cin, password);
  }
  if (prompt) std::cerr << "\n";
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty())
    throw UsageError(prompt ? "no password given"
                            : "no password on stdin (pipe it in, or log in at a terminal to be asked for it)");
  return password;
}

// `wasmlet run REFERENCE`: the image's wasm bytes, pulled per --pull into
// the default data dir's store.
std::vector<uint8_t> pull_for_run(const RunOptions& run) {
  const std::string& reference = run.module;
  auto policy = parse_pull_policy(run.pull);
  Reference ref;
  try {
    ref = Reference::parse(reference);
  } catch (const std::exception& e) {
    throw UsageError(fmt::format("'{}' is neither a file nor an image reference ({})", reference, e.what()));
  }
  Context c(run.data_dir);
  auto client = c.client();
  PullResult result;
  try {
    result = pull_image_with_policy(c.store, client, ref, policy);
  } catch (const std::exception& e) {
    throw Error(fmt::format("'{}' is not a file, and pulling image {} failed: {}", reference, ref.str(), e.what()));
  }
  if (!result.image)
    throw NotFoundError(fmt::format("image {} is not in the local store {} and --pull is never", ref.str(), c.store.root().string()));
  std::string bytes = c.store.wasm_bytes(*result.image);
  return {bytes.begin(), bytes.end()};
}

}  // namespace

void register_image_commands(CLI::App& app) {
  pull_image_hook = pull_for_run;
  // pull
  {
    auto* sub = app.add_subcommand("pull", "Pull a WebAssembly image from an OCI registry into the local store");
    auto dd = add_data_dir(sub);
    auto ref = std::make_shared<std::string>();
    auto policy = std::make_shared<std::string>("Always");
    auto insecure = std::make_shared<std::vector<std::string>>();
    sub->add_option("REF", *ref, "image reference, e.g. ghcr.io/org/app:1.0")->required();
    sub->add_option("--policy", *policy, "Always, IfNotPresent or Never")->capture_default_str();
    add_insecure(sub, *insecure);
    sub->callback([=] {
      Context c(*dd);
      c.insecure = *insecure;
      auto r = Reference::parse(*ref);
      auto p = parse_pull_policy(*policy);
      auto client = c.client();
      auto result = pull_image_with_policy(c.store, client, r, p);
      if (!result.image)
        throw NotFoundError(fmt::format("image {} is not in the local store {} and the pull policy is Never",
                                        r.str(), c.store.root().string()));
      // As docker: a pull that fetched nothing says the image is up to date.
      bool fetched = result.pulled && !result.fetched_blobs.empty();
      std::cout << fmt::format("{} {} {} ({}, {}, {})\n", fetched ? "Pulled" : "Image is up to date for", r.str(),
                               result.image->manifest.digest, result.image->wasi_version, result.image->kind,
                               human_bytes(result.image->size));
    });
  }
  // push
  {
    auto* sub = app.add_subcommand("push", "Upload FILE.wasm to a registry: a CNCF wasm artifact, or with --oci-image "
                                   "an image containerd, CRI-O and podman can run (docs/kubernetes.md)");
    auto dd = add_data_dir(sub);
    auto file = std::make_shared<std::string>();
    auto ref = std::make_shared<std::string>();
    auto insecure = std::make_shared<std::vector<std::string>>();
    auto oci_image = std::make_shared<bool>(false);
    auto gzip = std::make_shared<bool>(false);
    sub->add_option("FILE", *file, "a .wasm module or component")->required();
    sub->add_option("REF", *ref, "destination reference")->required();
    sub->add_flag("--oci-image", *oci_image, "push the compat image form (a layer holding the .wasm, Entrypoint set to it, "
                  "annotation module.wasm.image/variant=compat) that container engines unpack and wasmlet-oci runs");
    sub->add_flag("--gzip", *gzip, "with --oci-image: gzip the layer");
    add_insecure(sub, *insecure);
    sub->callback([=] {
      Context c(*dd);
      c.insecure = *insecure;
      auto r = Reference::parse(*ref);
      auto client = c.client();
      if (*gzip && !*oci_image) throw UsageError("push: --gzip applies to --oci-image (a CNCF artifact's layer is the bare .wasm)");
      std::string wasm = read_wasm_file(*file);
      std::string digest = *oci_image ? push_compat_image(client, wasm, *file, image_file_name(*file), *gzip, r)
                                      : push_wasm(client, wasm, *file, r);
      std::cout << fmt::format("Pushed {} {}\n", r.str(), digest);
    });
  }
  // image build
  {
    auto* image = app.add_subcommand("image", "Build images for other container engines");
    image->require_subcommand(1);
    auto* sub = image->add_subcommand("build", "Write FILE.wasm as a compat OCI image in an OCI layout tar "
                                      "(for ctr images import, podman load -i, skopeo copy oci-archive:)");
    auto file = std::make_shared<std::string>();
    auto ref = std::make_shared<std::string>();
    auto output = std::make_shared<std::string>();
    auto gzip = std::make_shared<bool>(false);
    sub->add_option("FILE", *file, "a .wasm module or component")->required();
    sub->add_option("REF", *ref, "the image's name, e.g. example.com/hello:1")->required();
    sub->add_option("-o,--output", *output, "the tar file to write")->required();
    sub->add_flag("--gzip", *gzip, "gzip the layer");
    sub->callback([=] {
      std::string name = Reference::parse(*ref).str();
      CompatImage built = build_compat_image(read_wasm_file(*file), *file, image_file_name(*file), *gzip);
      std::string tar = oci_layout_tar(built, name);
      std::ofstream out(*output, std::ios::binary | std::ios::trunc);
      out.write(tar.data(), static_cast<std::streamsize>(tar.size()));
      out.close();
      if (!out) throw UsageError(fmt::format("image build: cannot write {}: {}", *output, std::strerror(errno)));
      std::cout << fmt::format("Built {} {} -> {} (entrypoint {})\n", name, built.manifest_descriptor.digest, *output,
                               built.entrypoint);
    });
  }
  // load
  {
    auto* sub = app.add_subcommand("load", "Import FILE.wasm into the local store as REF (no registry)");
    auto dd = add_data_dir(sub);
    auto file = std::make_shared<std::string>();
    auto ref = std::make_shared<std::string>();
    sub->add_option("FILE", *file, "a .wasm module or component")->required();
    sub->add_option("REF", *ref, "reference to store it under")->required();
    sub->callback([=] {
      Context c(*dd);
      auto img = load_wasm(c.store, read_wasm_file(*file), *file, Reference::parse(*ref));
      std::cout << fmt::format("Loaded {} {} ({})\n", img.reference, img.manifest.digest, img.wasi_version);
    });
  }
  // images
  {
    auto* sub = app.add_subcommand("images", "List the images in the local store");
    auto dd = add_data_dir(sub);
    auto format = std::make_shared<std::string>("table");
    sub->add_option("--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
    sub->callback([=] {
      // Listing never creates the store: without one there are no images.
      std::vector<ImageRecord> images;
      fs::path dir = data_dir(*dd);
      if (fs::exists(ImageStore::default_root(dir) / "index.json") || fs::exists(dir / "images" / "refs"))
        images = Context(*dd).store.list();
      if (*format == "json") {
        nlohmann::json out = nlohmann::json::array();
        for (auto& i : images) out.push_back(image_json(i));
        std::cout << out.dump(2) << "\n";
        return;
      }
      std::cout << fmt::format("{:<60} {:<14} {:<8} {:>10}\n", "REFERENCE", "DIGEST", "WASI", "SIZE");
      for (auto& i : images)
        std::cout << fmt::format("{:<60} {:<14} {:<8} {:>10}\n", i.reference, short_digest(i.manifest.digest),
                                 i.wasi_version.empty() ? "-" : i.wasi_version, human_bytes(i.size));
    });
  }
  // tag
  {
    auto* sub = app.add_subcommand("tag", "Give a stored image another reference");
    auto dd = add_data_dir(sub);
    auto src = std::make_shared<std::string>();
    auto dst = std::make_shared<std::string>();
    sub->add_option("SRC", *src)->required();
    sub->add_option("DST", *dst)->required();
    sub->callback([=] {
      Context c(*dd);
      c.store.tag(*src, *dst);
    });
  }
  // rmi
  {
    auto* sub = app.add_subcommand("rmi", "Remove a reference from the local store (blobs go with prune); refused while an instance uses it");
    auto dd = add_data_dir(sub);
    auto ref = std::make_shared<std::string>();
    auto force = std::make_shared<bool>(false);
    auto socket = std::make_shared<std::string>();
    sub->add_option("REF", *ref)->required();
    sub->add_flag("-f,--force", *force, "remove even if an instance uses it");
    sub->add_option("--socket", *socket, "daemon socket asked which instances use the image (default $WASMLET_SOCKET, DATA_DIR/wasmlet.sock)");
    sub->callback([=] {
      Context c(*dd);
      // The daemon knows the instances; without one, its recorded instances count.
      auto in_use = [&](const std::string& stored) {
        auto users = server::image_users(c.dir, server::resolve_socket(*socket, c.dir), stored);
        if (!users.note.empty()) std::cerr << "wasmlet: note: " << users.note << "\n";
        return users.instances;
      };
      c.store.remove(*ref, *force, in_use);
      std::cout << fmt::format("Untagged {}\n", ImageStore::stored_name(*ref));  // a module file too
    });
  }
  // prune
  {
    auto* sub = app.add_subcommand("prune", "Delete blobs no stored reference needs");
    auto dd = add_data_dir(sub);
    sub->callback([=] {
      Context c(*dd);
      auto r = c.store.prune(recorded_modules(c.dir));
      std::cout << fmt::format("Deleted {} blob{}, reclaimed {} ({} bytes)\n", r.deleted.size(),
                               r.deleted.size() == 1 ? "" : "s", human_bytes(r.space_reclaimed), r.space_reclaimed);
    });
  }
  // login
  {
    auto* sub = app.add_subcommand("login", "Store credentials for a registry (DATA_DIR/auth.json, mode 0600)");
    auto dd = add_data_dir(sub);
    auto registry = std::make_shared<std::string>();
    auto user = std::make_shared<std::string>();
    auto stdin_pw = std::make_shared<bool>(false);
    auto insecure = std::make_shared<std::vector<std::string>>();
    sub->add_option("REGISTRY", *registry, "host[:port]")->required();
    sub->add_option("-u,--username", *user)->required();
    sub->add_flag("--password-stdin", *stdin_pw, "read the password from stdin (default: prompt on a terminal)");
    add_insecure(sub, *insecure);
    sub->callback([=] {
      std::string password = read_password(*stdin_pw);
      Context c(*dd);
      c.insecure = *insecure;
      auto ref = Reference::parse(*registry + "/wasmlet-login-check:latest");
      // Check the credentials against the registry's /v2/ before storing them.
      ClientOptions o;
      o.insecure_registries = *insecure;
      o.credentials = Credentials{*user, password, ""};
      DistributionClient client(o);
      try {
        client.get_manifest(ref);
      } catch (const NotFoundError&) {
        // Authenticated (or anonymous) and the probe repository doesn't exist: fine.
      } catch (const AuthError& e) {
        if (std::string(e.what()).find("token server") != std::string::npos ||
            std::string(e.what()).find("HTTP 401") != std::string::npos)
          throw;
      }
      c.credentials.save(ref.registry, *o.credentials);
      std::cout << fmt::format("Login stored for {} in {}\n", ref.registry, c.credentials.logins_file().string());
    });
  }
  // logout
  {
    auto* sub = app.add_subcommand("logout", "Remove the stored credentials for a registry");
    auto dd = add_data_dir(sub);
    auto registry = std::make_shared<std::string>();
    sub->add_option("REGISTRY", *registry, "host[:port]")->required();
    sub->callback([=] {
      auto host = Reference::parse(*registry + "/wasmlet-login-check:latest").registry;
      CredentialStore credentials{data_dir(*dd) / "auth.json", std::nullopt};
      if (!credentials.erase(host))
        throw NotFoundError(fmt::format("not logged in to {} (no login stored in {})", host, credentials.logins_file().string()));
      std::cout << fmt::format("Removed login credentials for {}\n", host);
    });
  }
  // inspect-image
  {
    auto* sub = app.add_subcommand("inspect-image", "Show a stored image: manifest, config, WASI version");
    auto dd = add_data_dir(sub);
    auto ref = std::make_shared<std::string>();
    auto format = std::make_shared<std::string>("json");
    sub->add_option("REF", *ref)->required();
    sub->add_option("--format", *format, "json or table")->check(CLI::IsMember({"table", "json"}));
    sub->callback([=] {
      Context c(*dd);
      auto img = c.store.find(*ref);
      if (!img) throw NotFoundError(fmt::format("image {} is not in the local store {}", Reference::parse(*ref).str(), c.store.root().string()));
      auto manifest = c.store.read_manifest(*img);
      nlohmann::json out = image_json(*img);
      out["manifest"] = manifest;
      if (manifest.contains("config")) {
        // A config that is not JSON (or nests too deep) is left out: the rest still describes the image.
        std::string digest = string_member(manifest["config"], "digest");
        if (!digest.empty()) {
          UntrustedJson config = try_parse_untrusted_json(c.store.read_blob(digest, kMaxConfigBytes, img->reference + " (config)"));
          if (config.problem.empty()) out["config"] = std::move(config.value);
        }
      }
      out["damaged_blobs"] = c.store.damaged_blobs(*img);
      if (*format == "json") {
        std::cout << out.dump(2) << "\n";
      } else {
        std::cout << fmt::format("Reference: {}\nDigest:    {}\nKind:      {}\nWASI:      {}\nSize:      {}\n", img->reference,
                                 img->manifest.digest, img->kind, img->wasi_version, human_bytes(img->size));
      }
    });
  }
}

}  // namespace wasmlet::cli

// Recognising the WebAssembly artifact layouts and building the CNCF one.
#include "wasmlet/registry/artifact.h"

#include <fmt/format.h>
#include <zlib.h>

#include <charconv>
#include <chrono>
#include <ctime>

#include "wasmlet/error.h"
#include "wasmlet/registry/blob_limits.h"
#include "wasmlet/registry/digest.h"
#include "wasmlet/registry/distribution_client.h"
#include "wasmlet/registry/registry_error.h"
#include "json_member.h"
#include "registry/untrusted_json.h"
#include "util/printable.h"

namespace wasmlet::registry {

const char* to_string(ArtifactKind kind) {
  switch (kind) {
    case ArtifactKind::CncfV0: return "cncf-wasm-v0";
    case ArtifactKind::ComponentLayerV0: return "bytecodealliance-component-v0";
    case ArtifactKind::WasmToOciV1: return "wasm-to-oci-v1";
    case ArtifactKind::Spin: return "spin";
    case ArtifactKind::SoloModule: return "solo-wasm-module";
    case ArtifactKind::SoloCompat: return "solo-wasm-compat";
    case ArtifactKind::PlainImage: return "image";
  }
  return "unknown";
}

std::string wasi_version_of_binary(std::string_view wasm) {
  if (wasm.size() < 8 || wasm.substr(0, 4) != std::string_view("\0asm", 4)) return "";
  // bytes 4-5 version, 6-7 layer: 01 00 00 00 = core module; 0d 00 01 00 = component.
  if (wasm[6] == 0 && wasm[7] == 0) return "wasip1";
  if (wasm[6] == 1 && wasm[7] == 0) return "wasip2";
  return "";
}

namespace {

bool is_wasi_os(const std::string& os) { return os == "wasi" || os == "wasip1" || os == "wasip2"; }

// Stops past kMaxLayerBytes: a few MB of gzip can inflate to many GB.
std::string gunzip(std::string_view data, const std::string& what) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw RegistryError("zlib: inflateInit2 failed");
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  char buf[1 << 16];
  int rc = Z_OK;
  while (true) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (out.size() + (sizeof buf - zs.avail_out) > kMaxLayerBytes) {
      inflateEnd(&zs);
      throw RegistryError(fmt::format("{}: the layer inflates to more than {} bytes, the most wasmlet unpacks; refused", what,
                                      kMaxLayerBytes),
                          ErrorCode::LimitExceeded);
    }
    out.append(buf, sizeof buf - zs.avail_out);
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      inflateReset(&zs);  // concatenated gzip members
      continue;
    }
    if (rc != Z_OK) break;
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END)
    throw RegistryError(fmt::format("{}: layer is not valid gzip data ({})", what, zs.msg ? zs.msg : "truncated"));
  return out;
}

std::uint64_t octal(std::string_view field) {
  std::uint64_t v = 0;
  for (char c : field) {
    if (c == 0 || c == ' ') {
      if (v) break;
      continue;
    }
    if (c < '0' || c > '7') break;
    v = v * 8 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

std::string clean_path(std::string p) {
  while (p.starts_with("./")) p.erase(0, 2);
  while (p.starts_with("/")) p.erase(0, 1);
  return p;
}

}  // namespace

std::string extract_wasm_from_tar(std::string_view layer, const std::string& path_in_tar, const std::string& what) {
  std::string inflated;
  if (layer.size() >= 2 && static_cast<unsigned char>(layer[0]) == 0x1f && static_cast<unsigned char>(layer[1]) == 0x8b) {
    inflated = gunzip(layer, what);
    layer = inflated;
  }
  std::string want = clean_path(path_in_tar);
  std::vector<std::pair<std::string, std::string_view>> wasm_files;
  std::string long_name;
  std::size_t pos = 0;
  while (pos + 512 <= layer.size()) {
    std::string_view h = layer.substr(pos, 512);
    if (h.find_first_not_of('\0') == std::string_view::npos) break;  // end-of-archive block
    std::string name(h.substr(0, 100).data(), strnlen(h.data(), 100));
    std::string_view magic = h.substr(257, 5);
    if (magic == "ustar") {
      std::string prefix(h.substr(345, 155).data(), strnlen(h.data() + 345, 155));
      if (!prefix.empty()) name = prefix + "/" + name;
    }
    std::uint64_t size = octal(h.substr(124, 12));
    char type = h[156];
    pos += 512;
    if (pos + size > layer.size())
      throw RegistryError(fmt::format("{}: tar layer is truncated inside entry \"{}\"", what, name));
    std::string_view body = layer.substr(pos, size);
    pos += (size + 511) / 512 * 512;
    if (type == 'L') {  // GNU long name for the next entry
      long_name.assign(body.data(), strnlen(body.data(), body.size()));
      continue;
    }
    if (type == 'x') {  // pax header: records "<length> <key>=<value>\n", the length counting the whole record
      std::string_view rec = body;
      while (!rec.empty()) {
        auto sp = rec.find(' ');
        if (sp == std::string_view::npos) break;
        std::size_t len = 0;
        auto [end, error] = std::from_chars(rec.data(), rec.data() + sp, len);
        if (error != std::errc() || end != rec.data() + sp || len < sp + 2 || len > rec.size())
          throw RegistryError(fmt::format("{}: tar layer has a malformed pax header in entry \"{}\" (record length \"{}\")", what,
                                          util::printable(name, 100), util::printable(rec.substr(0, sp), 20)));
        std::string_view kv = rec.substr(sp + 1, len - sp - 2);
        if (kv.starts_with("path=")) long_name = std::string(kv.substr(5));
        rec.remove_prefix(len);
      }
      continue;
    }
    if (type == 'g') continue;
    if (!long_name.empty()) {
      name = long_name;
      long_name.clear();
    }
    if (type != '0' && type != '\0' && type != '7') continue;  // regular files only
    std::string p = clean_path(name);
    if (!want.empty() && p == want) return std::string(body);
    if (p.size() > 5 && p.ends_with(".wasm")) wasm_files.emplace_back(p, body);
  }
  if (!want.empty())
    throw RegistryError(fmt::format("{}: the layer has no file \"{}\" (the image's entrypoint)", what, path_in_tar));
  if (wasm_files.size() == 1) return std::string(wasm_files.front().second);
  if (wasm_files.empty()) throw RegistryError(fmt::format("{}: the layer holds no .wasm file", what));
  std::string names;
  for (auto& [n, _] : wasm_files) names += (names.empty() ? "" : ", ") + n;
  throw RegistryError(fmt::format("{}: the layer holds several .wasm files ({}) and the image names no entrypoint", what, names));
}

std::string wasm_from_layer(std::string_view layer, const WasmLocation& loc, const std::string& what) {
  if (loc.in_tar) return extract_wasm_from_tar(layer, loc.path_in_tar, what);
  return std::string(layer);
}

WasmLocation locate_wasm(const nlohmann::json& manifest, const std::string& config_bytes, const std::string& what) {
  if (!manifest.contains("layers") || !manifest["layers"].is_array())
    throw RegistryError(fmt::format("{}: the manifest has no layers", what));
  std::vector<Descriptor> layers;
  for (auto& l : manifest["layers"]) layers.push_back(Descriptor::from_json(l, what + " (layer)"));
  std::string config_type = manifest.contains("config") ? string_member(manifest["config"], "mediaType") : "";
  nlohmann::json config = nlohmann::json::object();
  if (!config_bytes.empty()) {
    // Unparsable (or nested too deep) reads as none, like the empty configs of some tools.
    if (UntrustedJson parsed = try_parse_untrusted_json(config_bytes); parsed.problem.empty()) config = std::move(parsed.value);
  }
  auto count = [&](const char* type) {
    return std::count_if(layers.begin(), layers.end(), [&](const Descriptor& d) { return d.media_type == type; });
  };
  auto first = [&](const char* type) {
    return *std::find_if(layers.begin(), layers.end(), [&](const Descriptor& d) { return d.media_type == type; });
  };

  WasmLocation loc{};
  if (config_type == media_type::kWasmConfigV0 || count(media_type::kWasmLayer) > 0) {
    if (count(media_type::kWasmLayer) != 1)
      throw RegistryError(fmt::format("{}: a CNCF wasm artifact must have exactly one {} layer, found {}", what,
                                      media_type::kWasmLayer, count(media_type::kWasmLayer)));
    loc.kind = ArtifactKind::CncfV0;
    loc.layer = first(media_type::kWasmLayer);
    if (config.is_object()) {
      std::string os = string_member(config, "os");
      if (!os.empty() && os != "wasip1" && os != "wasip2")
        throw RegistryError(fmt::format("{}: CNCF wasm config has os \"{}\" (expected wasip1 or wasip2)", what, os));
      if (os == "wasip2" && !config.contains("component"))
        throw RegistryError(fmt::format("{}: CNCF wasm config says os wasip2 but has no \"component\" field", what));
      loc.wasi_version = os;
    }
    return loc;
  }
  if (count(media_type::kComponentLayerV0) > 0) {
    loc.kind = ArtifactKind::ComponentLayerV0;
    loc.layer = first(media_type::kComponentLayerV0);
    loc.wasi_version = "wasip2";
    return loc;
  }
  if (count(media_type::kWasmContentLayerV1) > 0) {
    loc.kind = config_type == media_type::kSpinConfig ? ArtifactKind::Spin : ArtifactKind::WasmToOciV1;
    loc.layer = first(media_type::kWasmContentLayerV1);
    return loc;
  }
  if (count(media_type::kSoloModuleLayer) > 0) {
    loc.kind = ArtifactKind::SoloModule;
    loc.layer = first(media_type::kSoloModuleLayer);
    return loc;
  }
  // Images: config os wasi*/architecture wasm, or the solo "compat" layout
  // (one tar+gzip layer holding plugin.wasm).
  bool tar_layers = !layers.empty() && std::all_of(layers.begin(), layers.end(), [](const Descriptor& d) {
    return d.media_type.find("tar") != std::string::npos || d.media_type.find("rootfs") != std::string::npos;
  });
  if (tar_layers) {
    std::string os = string_member(config, "os");
    std::string arch = string_member(config, "architecture");
    loc.in_tar = true;
    loc.layer = layers.back();
    if (is_wasi_os(os) || arch == "wasm") {
      loc.kind = ArtifactKind::PlainImage;
      if (os == "wasip1" || os == "wasip2") loc.wasi_version = os;
      auto& cfg = config.contains("config") ? config["config"] : config;
      for (const char* key : {"Entrypoint", "Cmd"}) {
        if (cfg.is_object() && cfg.contains(key) && cfg[key].is_array() && !cfg[key].empty() && cfg[key][0].is_string()) {
          std::string e = cfg[key][0];
          if (e.ends_with(".wasm")) {
            loc.path_in_tar = e;
            break;
          }
        }
      }
      return loc;
    }
    if (layers.size() == 1) {
      loc.kind = ArtifactKind::SoloCompat;
      loc.path_in_tar = "plugin.wasm";
      return loc;
    }
    throw RegistryError(fmt::format("{}: an ordinary container image (os \"{}\", architecture \"{}\"), not a WebAssembly "
                                    "artifact; wasm images are built with --platform wasi/wasm",
                                    what, os, arch));
  }
  std::string types;
  for (auto& l : layers) types += (types.empty() ? "" : ", ") + l.media_type;
  throw RegistryError(fmt::format("{}: not a WebAssembly artifact (config {}, layers {})", what,
                                  config_type.empty() ? "none" : config_type, types.empty() ? "none" : types));
}

Descriptor select_wasm_platform(const nlohmann::json& index, const std::string& what) {
  if (!index.contains("manifests") || !index["manifests"].is_array())
    throw RegistryError(fmt::format("{}: the index has no manifests", what));
  std::optional<Descriptor> best;
  int best_rank = 0;
  std::string seen;
  for (auto& m : index["manifests"]) {
    Descriptor d = Descriptor::from_json(m, what + " (index entry)");
    std::string os = string_member(d.platform, "os");
    std::string arch = string_member(d.platform, "architecture");
    seen += fmt::format("{}{}/{}", seen.empty() ? "" : ", ", os.empty() ? "?" : os, arch.empty() ? "?" : arch);
    int rank = (os == "wasip2" || os == "wasip1") ? 3 : os == "wasi" ? 2 : arch == "wasm" ? 1 : 0;
    if (rank > best_rank) {
      best_rank = rank;
      best = d;
    }
  }
  if (!best)
    throw RegistryError(fmt::format("{}: the index has no WebAssembly platform (wasip1, wasip2, wasi or architecture "
                                    "wasm); it offers {}",
                                    what, seen.empty() ? "nothing" : seen));
  return *best;
}

BuiltArtifact build_cncf_artifact(std::string_view wasm, const std::string& source, WasmCheck check) {
  BuiltArtifact a;
  a.wasi_version = wasi_version_of_binary(wasm);
  if (a.wasi_version.empty() && check == WasmCheck::Strict)
    throw UsageError(fmt::format("{} is not a WebAssembly binary (no \\0asm header with a module or component version)", source));
  a.layer_descriptor = {media_type::kWasmLayer, sha256_digest(wasm), wasm.size(), {}, nullptr};
  std::time_t now = std::time(nullptr);
  char created[32];
  std::strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  nlohmann::json config = {{"created", created},
                           {"architecture", "wasm"},
                           // Lenient: not a wasm binary; whoever runs it reports that.
                           {"os", a.wasi_version.empty() ? "wasip1" : a.wasi_version},
                           {"layerDigests", {a.layer_descriptor.digest}}};
  if (a.wasi_version == "wasip2") config["component"] = {{"exports", nlohmann::json::array()}, {"imports", nlohmann::json::array()}};
  a.config = config.dump();
  a.config_descriptor = {media_type::kWasmConfigV0, sha256_digest(a.config), a.config.size(), {}, nullptr};
  nlohmann::json manifest = {{"schemaVersion", 2},
                             {"mediaType", kOciManifest},
                             {"config", a.config_descriptor.to_json()},
                             {"layers", {a.layer_descriptor.to_json()}},
                             {"annotations", {{"org.opencontainers.image.created", created}}}};
  a.manifest = manifest.dump();
  a.manifest_descriptor = {kOciManifest, sha256_digest(a.manifest), a.manifest.size(), {}, nullptr};
  return a;
}

}  // namespace wasmlet::registry

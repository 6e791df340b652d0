// WasmRuntime: instances by id, images, persistence and restore.
#include "wasmlet/runtime/wasm_runtime.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <set>
#include <shared_mutex>
#include <utility>

#include <fmt/format.h>

#include "crash_blame.h"
#include "image_pull.h"
#include "workload.h"
#include "recorded_instances.h"
#include "restart_policy.h"
#include "shutdown_test_hook.h"
#include "wasmlet/registry/digest.h"
#include "wasmlet/registry/pull_policy.h"
#include "wasmlet/wasi.h"

namespace wasmlet::runtime {

std::function<void()> test_hooks::after_first_shutdown_check;

namespace {
// The engine every instance shares: the runtime's tier and AOT cache.
EngineConfig engine_config(const WasmRuntimeConfig& runtime) {
  EngineConfig config;
  config.tier = runtime.tier;
  config.cache_dir = runtime.cache_dir;
  return config;
}
}  // namespace

struct WasmRuntime::Impl {
  WasmRuntimeConfig config;
  RuntimeShared shared;
  std::unique_ptr<StateDb> db;
  registry::ImageStore images;
  std::shared_mutex mu;
  std::map<std::string, std::shared_ptr<Workload>> instances;
  // Names whose remove() is still deleting their record, log and files
  // (outside `mu`, since stopping the guest takes time). A create() of such
  // a name waits on `removed` until that is done, so the removal never
  // deletes what the new instance has just written.
  std::set<std::string> removing;
  std::condition_variable_any removed;

  explicit Impl(WasmRuntimeConfig c)
      : config(std::move(c)), shared(engine_config(config)), images((std::filesystem::create_directories(config.data_dir), registry::ImageStore::open(config.data_dir))) {
    shared.data_dir = config.data_dir;
    add_wasi_preview1(shared.linker);
    db = std::make_unique<StateDb>(config.data_dir / "state.db");
    shared.db = db.get();
    crash_blame::install(config.data_dir);
  }

  std::set<std::filesystem::path> modules_in_use();

  // Once shutdown() has begun the runtime takes no more requests: its
  // instances are gone from `instances` (being shut down), so a create of an
  // existing name would pass the "already exists" check, delete that
  // instance's logs and overwrite its record.
  //
  // shutdown() sets the flag before it takes `mu` to empty `instances`: an
  // operation that checked before taking `mu` may still find the table
  // emptied, so whatever decides by the table ("no instance uses this")
  // checks again under `mu` (throw_if_shutting_down).
  void refuse_if_shutting_down() const {
    throw_if_shutting_down();
    run_test_hook();
  }
  static void run_test_hook() {
    if (auto hook = std::exchange(test_hooks::after_first_shutdown_check, nullptr)) hook();
  }
  // The check alone, for use with `mu` held (no test hook: shutdown() takes `mu`).
  void throw_if_shutting_down() const {
    if (shared.shutting_down)
      throw RuntimeError(RuntimeError::Kind::ShuttingDown, "the runtime is shutting down; it takes no more requests");
  }

  // A pull the shutdown cancels (a registry that never answers would hold
  // the daemon's exit for minutes) fails saying so.
  std::filesystem::path pull(const std::string& reference, PullPolicy policy, const std::optional<RegistryAuth>& auth) {
    try {
      return pull_module(images, config.data_dir, reference, policy, auth, &shared.shutting_down);
    } catch (const RuntimeError& e) {
      if (!shared.shutting_down || e.kind() != RuntimeError::Kind::PullFailed) throw;
      throw RuntimeError(RuntimeError::Kind::ShuttingDown, fmt::format("{} (the runtime is shutting down)", e.what()));
    }
  }

  std::unique_ptr<InstanceLog> make_log(const InstanceId& id) {
    return std::make_unique<InstanceLog>(instance_log_file(config.data_dir, id), config.log_max_bytes, config.log_max_files);
  }

  // The instance `id` names: exactly, or (an id without a deployment) the
  // one instance of that service and replica in any deployment.
  // (Its test hook runs once the instance is found: a shutdown there finds
  // the instance's own check, Workload::refuse_if_shutting_down_locked.)
  std::shared_ptr<Workload> get(const InstanceId& id) {
    throw_if_shutting_down();
    std::shared_ptr<Workload> inst;
    {
      std::shared_lock lock(mu);
      throw_if_shutting_down();  // else the emptied table answers "no instance"
      auto it = instances.find(id.str());
      if (it != instances.end()) {
        inst = it->second;
      } else {
        std::vector<InstanceId> ids;
        for (const auto& [_, i] : instances) ids.push_back(i->id());
        auto found = resolve_instance_id(id, ids, fmt::format("no instance '{}' (see `wasmlet ps -a`)", id.str()));
        inst = instances.at(found.str());
      }
    }
    run_test_hook();
    return inst;
  }

  void restore() {
    auto crashed = crash_blame::take(config.data_dir);  // instances a previous daemon died of
    for (auto& rec : db->load_all()) {
      std::optional<std::string> spec_error;
      ServiceSpec spec;
      try {
        spec = parse_service(rec.spec_yaml, rec.id.service, fmt::format("recorded spec of {}", rec.id.str()));
      } catch (const Error& e) {
        spec_error = e.what();
      }
      bool was_running = rec.state.active() || rec.restart_pending;
      auto inst = std::make_shared<Workload>(shared, rec, std::move(spec), make_log(rec.id), spec_error);
      instances[rec.id.str()] = inst;
      if (was_running) {
        auto blamed = crashed.find(rec.id.str());
        inst->recover_after_agent_restart(blamed == crashed.end() ? std::nullopt : std::optional<std::string>(blamed->second));
      } else if (starts_again_with_the_daemon(inst->spec().restart_policy, rec.stopped_by_user, rec.outcome, rec.restart_count)) {
        inst->start_with_the_daemon();
      }
    }
  }
};

WasmRuntime::WasmRuntime(WasmRuntimeConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {
  if (impl_->config.restore) impl_->restore();
}

WasmRuntime::~WasmRuntime() { shutdown(); }

void WasmRuntime::import_image(const std::string& reference, const std::vector<uint8_t>& bytes) {
  impl_->refuse_if_shutting_down();
  with_image_errors(reference, [&] {
    std::string_view view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    registry::load_wasm(impl_->images, view, fmt::format("image '{}'", reference), registry::Reference::parse(reference),
                        registry::WasmCheck::Lenient);
  });
}

void WasmRuntime::shutdown() {
  impl_->shared.shutting_down = true;
  std::map<std::string, std::shared_ptr<Workload>> all;
  {
    std::unique_lock lock(impl_->mu);
    all.swap(impl_->instances);
  }
  for (auto& [_, inst] : all) inst->shutdown();
  // Join here: a waiter elsewhere may hold the last reference, and nothing
  // may run on after the runtime is gone.
  for (auto& [_, inst] : all) inst->join_thread();
  all.clear();
}

const WasmRuntimeConfig& WasmRuntime::config() const { return impl_->config; }

void WasmRuntime::pull(const std::string& image, PullPolicy policy, const std::optional<RegistryAuth>& auth) {
  impl_->refuse_if_shutting_down();
  impl_->pull(image, policy, auth);
}

std::vector<ImageRecord> WasmRuntime::list_images() {
  auto images = with_image_errors("", [&] { return impl_->images.list(); });
  std::sort(images.begin(), images.end(), [](const ImageRecord& a, const ImageRecord& b) { return a.reference < b.reference; });
  return images;
}

// The module files instances run: prune keeps them, rmi refuses to untag them.
std::set<std::filesystem::path> WasmRuntime::Impl::modules_in_use() {
  std::set<std::filesystem::path> in_use;
  std::shared_lock lock(mu);
  throw_if_shutting_down();  // an emptied table would say that nothing is in use
  for (const auto& [_, inst] : instances) in_use.insert(inst->image_path());
  return in_use;
}

void WasmRuntime::remove_image(const std::string& image, bool force) {
  impl_->refuse_if_shutting_down();
  with_image_errors(image, [&] {
    auto found = impl_->images.find(image);
    if (!found) throw RuntimeError(RuntimeError::Kind::NotFound, fmt::format("image '{}' is not in the local image store", image));
    std::filesystem::path module;
    try {
      module = impl_->images.module_file(*found);
    } catch (const std::exception&) {
      // A damaged image: nothing can run it, and it must stay removable.
    }
    auto users = [&](const std::string&) {
      std::vector<std::string> names;
      std::shared_lock lock(impl_->mu);
      impl_->throw_if_shutting_down();  // an emptied table would say that nothing uses it
      for (const auto& [name, inst] : impl_->instances)
        if (inst->image_path() == module) names.push_back(name);
      return names;
    };
    impl_->images.remove(image, force, users);
  });
}

// As docker's `image prune -a`: untags every image no instance runs, then
// deletes the blobs no reference (and no instance) needs.
PruneResult WasmRuntime::prune_images() {
  impl_->refuse_if_shutting_down();
  return with_image_errors("", [&] {
    auto in_use = impl_->modules_in_use();
    std::vector<std::string> untagged;
    for (const auto& image : impl_->images.list()) {
      std::filesystem::path module;
      try {
        module = impl_->images.module_file(image);
      } catch (const std::exception&) {
        // A damaged image: nothing can run it. One must not keep the others from being pruned.
      }
      if (in_use.count(module)) continue;
      impl_->images.remove(image.reference, true);
      untagged.push_back(image.reference);
    }
    auto result = impl_->images.prune(in_use);
    result.untagged = std::move(untagged);
    return result;
  });
}

void WasmRuntime::tag_image(const std::string& source, const std::string& target) {
  auto blank = [](const std::string& s) { return s.find_first_not_of(" \t") == std::string::npos; };
  if (blank(source) || blank(target))
    throw RuntimeError(RuntimeError::Kind::InvalidArgument, "source and target must be non-empty image references");
  impl_->refuse_if_shutting_down();
  with_image_errors(source, [&] { impl_->images.tag(source, target); });
}

void WasmRuntime::create(const InstanceId& id, const ServiceSpec& spec) {
  auto bad_name = [](const std::string& n) {
    return n.find('/') != std::string::npos || n.find('.') != std::string::npos;
  };
  if (id.service.empty() || bad_name(id.service))
    throw RuntimeError(RuntimeError::Kind::InvalidArgument, fmt::format("invalid service name '{}'", id.service));
  if (bad_name(id.deployment))
    throw RuntimeError(RuntimeError::Kind::InvalidArgument, fmt::format("invalid deployment name '{}'", id.deployment));
  std::string name = id.str();
  impl_->refuse_if_shutting_down();
  {
    std::shared_lock lock(impl_->mu);
    if (impl_->instances.count(name))
      throw RuntimeError(RuntimeError::Kind::AlreadyExists, fmt::format("instance {} already exists; remove it first", name));
  }
  // Refuse what cannot run before recording anything.
  auto caps = effective_capabilities(spec);
  check_capabilities(spec, caps, name);
  plan_mounts(spec, name, impl_->config.data_dir);
  std::filesystem::path path;
  try {
    path = impl_->pull(spec.image.name, spec.image.pull_policy, std::nullopt);
  } catch (const RuntimeError& e) {
    throw RuntimeError(e.kind(), fmt::format("instance {}: {}", name, e.what()));
  }
  InstanceRecord rec;
  rec.id = id;
  rec.image = spec.image.name;
  rec.image_path = path.string();
  rec.module_digest = registry::sha256_file_digest(path);  // inspect shows it, never the copy's path
  rec.spec_yaml = to_yaml(spec);
  rec.state = InstanceState::pending();
  rec.created_at = Clock::now();
  std::unique_lock lock(impl_->mu);
  impl_->removed.wait(lock, [&] { return !impl_->removing.count(name); });
  // shutdown() sets the flag before it takes `mu` to empty `instances`: an
  // instance recorded before that is shut down with the others.
  impl_->throw_if_shutting_down();
  if (impl_->instances.count(name))
    throw RuntimeError(RuntimeError::Kind::AlreadyExists, fmt::format("instance {} already exists; remove it first", name));
  auto log = impl_->make_log(id);
  log->remove_files();  // a fresh instance starts with an empty log
  log = impl_->make_log(id);
  impl_->db->put(rec);
  impl_->instances[name] = std::make_shared<Workload>(impl_->shared, rec, spec, std::move(log), std::nullopt);
}

void WasmRuntime::start(const InstanceId& id) { impl_->get(id)->start(); }

void WasmRuntime::stop(const InstanceId& id, std::chrono::nanoseconds timeout) { impl_->get(id)->stop(timeout); }

void WasmRuntime::kill(const InstanceId& id, std::optional<std::string_view> signal) {
  std::string canonical = validate_signal(signal.value_or("SIGKILL"));
  impl_->get(id)->kill(canonical);
}

void WasmRuntime::remove(const InstanceId& given, bool force) {
  auto inst = impl_->get(given);
  const InstanceId id = inst->id();
  auto st = inst->state();
  if (!force && (st.active() || !inst->finished_for_good()) && st.kind != InstanceState::Kind::Pending)
    throw RuntimeError(RuntimeError::Kind::Conflict,
                       fmt::format("instance {} is {}; stop it first or remove it with force (rm -f)", id.str(),
                                   st.active() ? st.name() : fmt::format("waiting to restart (its last run {})", st.name())));
  {
    std::unique_lock lock(impl_->mu);
    impl_->throw_if_shutting_down();  // the shutdown has it (and emptied the table): not "no instance"
    auto it = impl_->instances.find(id.str());
    if (it == impl_->instances.end() || it->second != inst)
      throw RuntimeError(RuntimeError::Kind::NotFound, fmt::format("no instance '{}'", id.str()));
    impl_->instances.erase(it);
    impl_->removing.insert(id.str());
  }
  // However the clean-up ends, a create() waiting for the name goes on.
  struct Done {
    Impl& impl;
    std::string name;
    ~Done() {
      {
        std::unique_lock lock(impl.mu);
        impl.removing.erase(name);
      }
      impl.removed.notify_all();
    }
  } done{*impl_, id.str()};
  inst->terminate_for_remove();
  impl_->db->erase(id);
  inst->log().remove_files();
  remove_instance_files(impl_->config.data_dir, id);
}

void WasmRuntime::remove_volume(const std::string& name) {
  impl_->refuse_if_shutting_down();
  {
    std::shared_lock lock(impl_->mu);
    impl_->throw_if_shutting_down();  // an emptied table would say that no instance uses it
    for (const auto& [key, inst] : impl_->instances)
      for (const auto& m : inst->spec().storage)
        if (m.type == StorageSpec::Type::Named && m.name == name)
          throw RuntimeError(RuntimeError::Kind::Conflict, fmt::format("volume '{}' is used by instance {}", name, key));
  }
  remove_named_volume(name, impl_->config.data_dir);
}

InstanceState WasmRuntime::state(const InstanceId& id) { return impl_->get(id)->state(); }

StartCheck WasmRuntime::wait_started(const InstanceId& id) { return impl_->get(id)->wait_started(); }

std::vector<InstanceInfo> WasmRuntime::list() {
  std::vector<std::shared_ptr<Workload>> all;
  {
    std::shared_lock lock(impl_->mu);
    for (const auto& [_, inst] : impl_->instances) all.push_back(inst);
  }
  std::vector<InstanceInfo> out;
  for (auto& inst : all) out.push_back(inst->info());
  return out;
}

InstanceInfo WasmRuntime::inspect(const InstanceId& id) { return impl_->get(id)->info(); }

std::vector<LogEntry> WasmRuntime::logs(const InstanceId& id, const LogQuery& query) { return impl_->get(id)->log().read(query); }

void WasmRuntime::read_logs(const InstanceId& id, const LogQuery& query, const LogCallback& on_entry) {
  auto inst = impl_->get(id);
  inst->log().read(query, on_entry);
}

void WasmRuntime::follow_logs(const InstanceId& id, const LogQuery& query, const LogCallback& on_entry) {
  auto inst = impl_->get(id);
  inst->log().follow(query, on_entry);
}

void WasmRuntime::follow_logs(const InstanceId& id, const LogQuery& query, const LogCallback& on_entry,
                              const std::function<bool()>& still_wanted) {
  auto inst = impl_->get(id);
  inst->log().follow(query, on_entry, still_wanted);
}

ExecResult WasmRuntime::exec(const InstanceId& id, const std::vector<std::string>& cmd) {
  ExecResult r;
  exec_stream(id, cmd, [&](const ExecEvent& e) {
    if (e.kind == ExecEvent::Kind::Stdout) r.out += e.data;
    else if (e.kind == ExecEvent::Kind::Stderr) r.err += e.data;
    else r.exit_code = e.exit_code;
  });
  return r;
}

void WasmRuntime::exec_stream(const InstanceId& id, const std::vector<std::string>& cmd, const ExecCallback& on_event,
                              ExecCancel* cancel) {
  impl_->get(id)->exec_stream(cmd, on_event, cancel);
}

InstanceStats WasmRuntime::stats(const InstanceId& id) { return impl_->get(id)->stats(); }

int WasmRuntime::wait(const InstanceId& id) { return wait_outcome(id).exit_code; }

WaitOutcome WasmRuntime::wait_outcome(const InstanceId& id) { return impl_->get(id)->wait(); }

std::optional<WaitOutcome> WasmRuntime::wait_outcome(const InstanceId& id, const std::function<bool()>& still_wanted) {
  return impl_->get(id)->wait(still_wanted);
}

std::optional<WaitOutcome> WasmRuntime::wait_outcome_for(const InstanceId& id, std::chrono::nanoseconds timeout) {
  return impl_->get(id)->wait_for(timeout);
}

std::optional<int> WasmRuntime::pid(const InstanceId& id) {
  impl_->get(id);
  return std::nullopt;
}

std::optional<std::string> WasmRuntime::ip(const InstanceId& id) {
  impl_->get(id);
  return std::string("127.0.0.1");
}

}  // namespace wasmlet::runtime

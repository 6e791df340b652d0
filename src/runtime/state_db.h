// Instance records in SQLite (DATA_DIR/state.db, WAL): spec, image, state,
// outcome, times, restart count. Written at every state change so that a
// restarted daemon finds every instance again.
#pragma once

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "wasmlet/runtime/types.h"

struct sqlite3;

namespace wasmlet::runtime {

struct InstanceRecord {
  InstanceId id;
  std::string image;
  std::string image_path;     // wasmlet's own copy of the module (never shown to users)
  std::string module_digest;  // "sha256:..." of that module; empty for instances an older wasmlet recorded
  std::string spec_yaml;
  InstanceState state;
  std::optional<WaitOutcome> outcome;
  TimePoint created_at;
  std::optional<TimePoint> started_at;
  uint32_t restart_count = 0;
  bool stopped_by_user = false;
  // Set while the instance's module is being loaded and instantiated, until
  // its entry point is called: a daemon that finds it set at start-up died
  // while starting this instance (docs/runtime.md "Crash isolation").
  bool starting = false;
  // Set while the restart policy waits out its back-off (`state` is then how
  // the last run ended): a daemon that finds it set at start-up restarts the
  // instance, as it does one that was running.
  bool restart_pending = false;

  // What inspect shows of it (the runtime adds health, mounts and warnings).
  InstanceInfo info() const;
};

class StateDb {
 public:
  explicit StateDb(const std::filesystem::path& file);
  ~StateDb();
  StateDb(const StateDb&) = delete;
  StateDb& operator=(const StateDb&) = delete;

  void put(const InstanceRecord& record);
  void erase(const InstanceId& id);
  std::vector<InstanceRecord> load_all();

 private:
  void exec(const char* sql);
  bool has_column(const char* table, const char* column);
  std::filesystem::path file_;
  sqlite3* db_ = nullptr;
  std::mutex mu_;
};

}  // namespace wasmlet::runtime

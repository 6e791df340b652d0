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
  std::string image_path;
  std::string spec_yaml;
  InstanceState state;
  std::optional<WaitOutcome> outcome;
  TimePoint created_at;
  std::optional<TimePoint> started_at;
  uint32_t restart_count = 0;
  bool stopped_by_user = false;
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
  std::filesystem::path file_;
  sqlite3* db_ = nullptr;
  std::mutex mu_;
};

}  // namespace wasmlet::runtime

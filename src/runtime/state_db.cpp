#include "state_db.h"

#include <sqlite3.h>

#include <fmt/format.h>

namespace wasmlet::runtime {

namespace {

int64_t to_ns(TimePoint t) { return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count(); }
TimePoint from_ns(int64_t ns) { return TimePoint(std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(ns))); }

struct Stmt {
  sqlite3_stmt* s = nullptr;
  Stmt(sqlite3* db, const char* sql, const std::filesystem::path& file) {
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK)
      throw RuntimeError(RuntimeError::Kind::Internal, fmt::format("state database '{}': {}", file.string(), sqlite3_errmsg(db)));
  }
  ~Stmt() { sqlite3_finalize(s); }
};

std::string text(sqlite3_stmt* s, int col) {
  auto p = sqlite3_column_text(s, col);
  return p ? reinterpret_cast<const char*>(p) : "";
}

}  // namespace

InstanceInfo InstanceRecord::info() const {
  InstanceInfo i;
  i.id = id;
  i.image = image;
  i.image_path = image_path;
  if (!module_digest.empty()) i.module_digest = module_digest;
  i.state = state;
  i.outcome = outcome;
  i.created_at = created_at;
  i.started_at = started_at;
  i.restart_count = restart_count;
  i.spec_yaml = spec_yaml;
  return i;
}

StateDb::StateDb(const std::filesystem::path& file) : file_(file) {
  if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw RuntimeError(RuntimeError::Kind::Internal, fmt::format("cannot open the state database '{}': {}", file.string(), msg));
  }
  sqlite3_busy_timeout(db_, 5000);
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=NORMAL");
  exec(
      "CREATE TABLE IF NOT EXISTS instances ("
      " id TEXT PRIMARY KEY, service TEXT NOT NULL, replica INTEGER NOT NULL,"
      " image TEXT NOT NULL, image_path TEXT NOT NULL, spec_yaml TEXT NOT NULL,"
      " state TEXT NOT NULL, exit_code INTEGER NOT NULL DEFAULT 0, reason TEXT NOT NULL DEFAULT '',"
      " has_outcome INTEGER NOT NULL DEFAULT 0, outcome_code INTEGER NOT NULL DEFAULT 0,"
      " outcome_reason TEXT NOT NULL DEFAULT '', outcome_signal TEXT, finished_at INTEGER,"
      " created_at INTEGER NOT NULL, started_at INTEGER, restart_count INTEGER NOT NULL DEFAULT 0,"
      " stopped_by_user INTEGER NOT NULL DEFAULT 0, starting INTEGER NOT NULL DEFAULT 0,"
      " deployment TEXT NOT NULL DEFAULT '', module_digest TEXT NOT NULL DEFAULT '',"
      " restart_pending INTEGER NOT NULL DEFAULT 0)");
  // Databases written before a column existed get it with its default.
  if (!has_column("instances", "starting")) exec("ALTER TABLE instances ADD COLUMN starting INTEGER NOT NULL DEFAULT 0");
  // Instances recorded before deployments scoped them keep their seed-style ids.
  if (!has_column("instances", "deployment")) exec("ALTER TABLE instances ADD COLUMN deployment TEXT NOT NULL DEFAULT ''");
  if (!has_column("instances", "module_digest"))
    exec("ALTER TABLE instances ADD COLUMN module_digest TEXT NOT NULL DEFAULT ''");
  if (!has_column("instances", "restart_pending"))
    exec("ALTER TABLE instances ADD COLUMN restart_pending INTEGER NOT NULL DEFAULT 0");
}

bool StateDb::has_column(const char* table, const char* column) {
  Stmt st(db_, fmt::format("SELECT 1 FROM pragma_table_info('{}') WHERE name = '{}'", table, column).c_str(), file_);
  return sqlite3_step(st.s) == SQLITE_ROW;
}

StateDb::~StateDb() {
  if (db_) sqlite3_close(db_);
}

void StateDb::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw RuntimeError(RuntimeError::Kind::Internal, fmt::format("state database '{}': {}", file_.string(), msg));
  }
}

void StateDb::put(const InstanceRecord& r) {
  std::lock_guard lock(mu_);
  Stmt st(db_,
          "INSERT OR REPLACE INTO instances (id, service, replica, image, image_path, spec_yaml, state, exit_code, reason,"
          " has_outcome, outcome_code, outcome_reason, outcome_signal, finished_at, created_at, started_at, restart_count,"
           " stopped_by_user, starting, deployment, module_digest, restart_pending)"
          " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
          file_);
  auto s = st.s;
  std::string id = r.id.str();
  sqlite3_bind_text(s, 1, id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 2, r.id.service.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(s, 3, r.id.replica);
  sqlite3_bind_text(s, 4, r.image.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 5, r.image_path.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 6, r.spec_yaml.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 7, r.state.name(), -1, SQLITE_STATIC);
  sqlite3_bind_int(s, 8, r.state.code);
  sqlite3_bind_text(s, 9, r.state.reason.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int(s, 10, r.outcome ? 1 : 0);
  sqlite3_bind_int(s, 11, r.outcome ? r.outcome->exit_code : 0);
  sqlite3_bind_text(s, 12, r.outcome ? to_string(r.outcome->reason) : "", -1, SQLITE_STATIC);
  if (r.outcome && r.outcome->signal)
    sqlite3_bind_text(s, 13, r.outcome->signal->c_str(), -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(s, 13);
  if (r.outcome && r.outcome->finished_at)
    sqlite3_bind_int64(s, 14, to_ns(*r.outcome->finished_at));
  else
    sqlite3_bind_null(s, 14);
  sqlite3_bind_int64(s, 15, to_ns(r.created_at));
  if (r.started_at)
    sqlite3_bind_int64(s, 16, to_ns(*r.started_at));
  else
    sqlite3_bind_null(s, 16);
  sqlite3_bind_int64(s, 17, r.restart_count);
  sqlite3_bind_int(s, 18, r.stopped_by_user ? 1 : 0);
  sqlite3_bind_int(s, 19, r.starting ? 1 : 0);
  sqlite3_bind_text(s, 20, r.id.deployment.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 21, r.module_digest.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int(s, 22, r.restart_pending ? 1 : 0);
  if (sqlite3_step(s) != SQLITE_DONE)
    throw RuntimeError(RuntimeError::Kind::Internal,
                       fmt::format("state database '{}': cannot record instance {}: {}", file_.string(), id, sqlite3_errmsg(db_)));
}

void StateDb::erase(const InstanceId& id) {
  std::lock_guard lock(mu_);
  Stmt st(db_, "DELETE FROM instances WHERE id = ?", file_);
  std::string key = id.str();
  sqlite3_bind_text(st.s, 1, key.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st.s) != SQLITE_DONE)
    throw RuntimeError(RuntimeError::Kind::Internal,
                       fmt::format("state database '{}': cannot delete instance {}: {}", file_.string(), key, sqlite3_errmsg(db_)));
}

std::vector<InstanceRecord> StateDb::load_all() {
  std::lock_guard lock(mu_);
  Stmt st(db_,
          "SELECT service, replica, image, image_path, spec_yaml, state, exit_code, reason, has_outcome, outcome_code,"
          " outcome_reason, outcome_signal, finished_at, created_at, started_at, restart_count, stopped_by_user, starting,"
          " deployment, module_digest, restart_pending"
          " FROM instances ORDER BY created_at",
          file_);
  std::vector<InstanceRecord> out;
  auto s = st.s;
  while (sqlite3_step(s) == SQLITE_ROW) {
    InstanceRecord r;
    r.id.service = text(s, 0);
    r.id.replica = static_cast<uint32_t>(sqlite3_column_int64(s, 1));
    r.image = text(s, 2);
    r.image_path = text(s, 3);
    r.spec_yaml = text(s, 4);
    std::string state = text(s, 5);
    if (state == "running") r.state = InstanceState::running();
    else if (state == "stopping") r.state = InstanceState::stopping();
    else if (state == "exited") r.state = InstanceState::exited(sqlite3_column_int(s, 6));
    else if (state == "failed") r.state = InstanceState::failed(text(s, 7));
    else r.state = InstanceState::pending();
    if (sqlite3_column_int(s, 8)) {
      WaitOutcome o;
      o.exit_code = sqlite3_column_int(s, 9);
      try {
        o.reason = wait_reason_from_string(text(s, 10));
      } catch (const RuntimeError&) {
        o.reason = WaitReason::RuntimeError;
      }
      if (sqlite3_column_type(s, 11) != SQLITE_NULL) o.signal = text(s, 11);
      if (sqlite3_column_type(s, 12) != SQLITE_NULL) o.finished_at = from_ns(sqlite3_column_int64(s, 12));
      r.outcome = o;
    }
    r.created_at = from_ns(sqlite3_column_int64(s, 13));
    if (sqlite3_column_type(s, 14) != SQLITE_NULL) r.started_at = from_ns(sqlite3_column_int64(s, 14));
    r.restart_count = static_cast<uint32_t>(sqlite3_column_int64(s, 15));
    r.stopped_by_user = sqlite3_column_int(s, 16) != 0;
    r.starting = sqlite3_column_int(s, 17) != 0;
    r.id.deployment = text(s, 18);
    r.module_digest = text(s, 19);
    r.restart_pending = sqlite3_column_int(s, 20) != 0;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace wasmlet::runtime

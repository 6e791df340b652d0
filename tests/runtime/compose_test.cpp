// Compose semantics against a real `wasmlet serve`: instances belong to their
// deployment, `up` recreates what changed and leaves the rest, `down` removes
// one deployment, `restart`; and the stored spec survives a daemon restart.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <set>
#include <thread>

#include "runtime_support.h"
#include "wasmlet/runtime/wasm_runtime.h"

namespace wasmlet::testing {
namespace {

using nlohmann::json;

class ComposeTest : public ::testing::Test {
 protected:
  TempDir dir;
  fs::path data = dir.path() / "data";
  std::unique_ptr<Daemon> d = std::make_unique<Daemon>(data);

  fs::path write_spec(const std::string& name, const std::string& text) {
    write_text(dir.path() / name, text);
    return dir.path() / name;
  }
  json ps() {
    auto r = d->cli({"ps", "-a", "--format", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }
  json inspect(const std::string& id) {
    auto r = d->cli({"inspect", id});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out)[0] : json();
  }
  // Waits until the instance's log has `line` (a cold native compile can take a while).
  void wait_for_line(const std::string& id, const std::string& line) {
    for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(90); std::chrono::steady_clock::now() < until;
         std::this_thread::sleep_for(std::chrono::milliseconds(50)))
      if (d->cli({"logs", id}).out.find(line) != std::string::npos) return;
    ADD_FAILURE() << id << " never logged '" << line << "'";
  }
};

std::string loop_service(const std::string& name, const std::string& extra = "") {
  return "  " + name + ":\n    image: " + fixture("loop_forever") + "\n" + extra;
}

TEST_F(ComposeTest, TwoDeploymentsMayShareAServiceName) {
  auto alpha = write_spec("alpha.yaml", "version: v1\ndeployment: alpha\nservices:\n" + loop_service("api"));
  auto beta = write_spec("beta.yaml", "version: v1\ndeployment: beta\nservices:\n  api:\n    image: " + fixture("exit_code") +
                                          "\n    command: {args: [\"7\"]}\n");
  auto up_alpha = d->cli({"up", "-f", alpha.string()});
  ASSERT_EQ(up_alpha.exit_code, 0) << up_alpha.err;
  EXPECT_EQ(up_alpha.out, "api-rep-0 created\n");  // unambiguous: the seed's form
  auto up_beta = d->cli({"up", "-f", beta.string()});
  ASSERT_EQ(up_beta.exit_code, 0) << up_beta.err;
  EXPECT_EQ(up_beta.out, "beta.api-rep-0 created\n");  // two deployments have api-rep-0 now

  // beta ran its own program (exit 7), alpha's still loops.
  auto w = d->cli({"wait", "beta.api-rep-0"});
  EXPECT_EQ(w.exit_code, 7) << w.err;
  auto list = ps();
  ASSERT_EQ(list.size(), 2u) << list.dump(2);
  for (const auto& i : list) {
    EXPECT_EQ(i["id"], i["deployment"].get<std::string>() + ".api-rep-0");
    EXPECT_EQ(i["qualified_id"], i["id"]);
    EXPECT_EQ(i["state"]["status"], i["deployment"] == "alpha" ? "running" : "exited");
  }
  EXPECT_EQ(inspect("alpha.api-rep-0")["deployment"], "alpha");

  // The short form is refused while it is ambiguous, naming both.
  auto ambiguous = d->cli({"logs", "api-rep-0"});
  EXPECT_NE(ambiguous.exit_code, 0);
  EXPECT_NE(ambiguous.err.find("alpha.api-rep-0"), std::string::npos) << ambiguous.err;
  EXPECT_NE(ambiguous.err.find("beta.api-rep-0"), std::string::npos) << ambiguous.err;

  // The table shows the deployment.
  auto table = d->cli({"ps", "-a"});
  EXPECT_NE(table.out.find("DEPLOYMENT"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("beta.api-rep-0"), std::string::npos) << table.out;

  // ps --filter deployment=NAME keeps one deployment's instances; values of
  // one key are alternatives, keys combine (docker's filters).
  auto only = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"ps", "-q"});
    auto r = d->cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  };
  EXPECT_EQ(only({"-a", "--filter", "deployment=alpha"}), "alpha.api-rep-0\n");
  EXPECT_EQ(only({"-a", "--filter", "deployment=beta"}), "beta.api-rep-0\n");
  EXPECT_EQ(only({"--filter", "deployment=beta"}), "");  // without -a: running ones only, and beta's exited
  EXPECT_EQ(only({"-a", "--filter", "deployment=alpha", "--filter", "deployment=beta"}), "alpha.api-rep-0\nbeta.api-rep-0\n");
  EXPECT_EQ(only({"--filter", "deployment=beta", "--filter", "status=exited"}), "beta.api-rep-0\n");
  EXPECT_EQ(only({"--filter", "deployment=alpha", "--filter", "status=exited"}), "");
  EXPECT_EQ(only({"-a", "--filter", "deployment=gamma"}), "");
  auto table_beta = d->cli({"ps", "-a", "--filter", "deployment=beta"});
  EXPECT_EQ(table_beta.out.find("alpha"), std::string::npos) << table_beta.out;
  EXPECT_NE(table_beta.out.find("beta.api-rep-0"), std::string::npos) << table_beta.out;

  // Once beta is gone, api-rep-0 is alpha's again.
  ASSERT_EQ(d->cli({"rm", "beta.api-rep-0"}).exit_code, 0);
  EXPECT_EQ(inspect("api-rep-0")["deployment"], "alpha");
  EXPECT_EQ(ps()[0]["id"], "api-rep-0");
}

TEST_F(ComposeTest, UpRecreatesWhatChangedAndLeavesTheRest) {
  auto text = [&](const std::string& value) {
    return "version: v1\ndeployment: shop\nservices:\n" + loop_service("keep") +
           loop_service("change", "    env: {VERSION: \"" + value + "\"}\n"
                                  "    storage: [{type: named, name: shop-data, target: /data}]\n");
  };
  auto spec = write_spec("shop.yaml", text("1"));
  auto first = d->cli({"up", "-f", spec.string()});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, "keep-rep-0 created\nchange-rep-0 created\n");
  wait_for_line("change-rep-0", "looping");
  auto keep_before = inspect("keep-rep-0"), change_before = inspect("change-rep-0");
  // Something in the named volume, which a recreate must keep.
  ASSERT_TRUE(fs::is_directory(data / "volumes" / "shop-data"));
  write_text(data / "volumes" / "shop-data" / "kept.txt", "still here");

  auto again = d->cli({"up", "-f", spec.string()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, "keep-rep-0 unchanged\nchange-rep-0 unchanged\n");

  write_text(spec, text("2"));
  auto changed = d->cli({"up", "-f", spec.string()});
  ASSERT_EQ(changed.exit_code, 0) << changed.err;
  EXPECT_EQ(changed.out, "keep-rep-0 unchanged\nchange-rep-0 recreated\n");
  auto keep_after = inspect("keep-rep-0"), change_after = inspect("change-rep-0");
  EXPECT_EQ(keep_after["started_at"], keep_before["started_at"]);  // left running, never restarted
  EXPECT_EQ(keep_after["state"]["status"], "running");
  EXPECT_NE(change_after["created_at"], change_before["created_at"]);
  EXPECT_EQ(change_after["state"]["status"], "running");
  EXPECT_NE(change_after["spec"].get<std::string>().find("VERSION: \"2\""), std::string::npos) << change_after["spec"];
  EXPECT_EQ(read_text(data / "volumes" / "shop-data" / "kept.txt"), "still here");

  // A stopped instance with an unchanged spec is started again.
  ASSERT_EQ(d->cli({"stop", "-t", "5", "keep-rep-0"}).exit_code, 0);
  auto restarted = d->cli({"up", "-f", spec.string(), "--service", "keep"});
  ASSERT_EQ(restarted.exit_code, 0) << restarted.err;
  EXPECT_EQ(restarted.out, "keep-rep-0 started\n");

  // An instance that cannot start fails `up`, naming it and why; the others are still reported.
  write_text(dir.path() / "broken.wasm", "this is not WebAssembly");
  write_text(spec, text("2") + "  broken:\n    image: " + (dir.path() / "broken.wasm").string() + "\n");
  auto broken = d->cli({"up", "-f", spec.string()});
  EXPECT_EQ(broken.exit_code, 1) << broken.out << broken.err;
  EXPECT_EQ(broken.out, "keep-rep-0 unchanged\nchange-rep-0 unchanged\n");
  EXPECT_NE(broken.err.find("wasmlet: error: broken-rep-0 did not start: "), std::string::npos) << broken.err;
  EXPECT_NE(broken.err.find("not a WebAssembly module"), std::string::npos) << broken.err;

  // Scaling down removes the replicas past the new count.
  write_text(spec, text("2") + "  many:\n    image: " + fixture("loop_forever") + "\n    scale: {mode: fixed, replicas: 2}\n");
  ASSERT_EQ(d->cli({"up", "-f", spec.string(), "--service", "many"}).exit_code, 0);
  write_text(spec, text("2") + "  many:\n    image: " + fixture("loop_forever") + "\n    scale: {mode: fixed, replicas: 1}\n");
  auto down_scaled = d->cli({"up", "-f", spec.string(), "--service", "many"});
  EXPECT_EQ(down_scaled.out, "many-rep-0 unchanged\nmany-rep-1 removed\n") << down_scaled.err;
}

// A changed spec that cannot be created (a bind source that does not exist,
// an image that cannot be had) fails `up` before the running instance is
// stopped or removed: it keeps running with its previous spec.
TEST_F(ComposeTest, UpKeepsTheRunningInstanceWhenTheChangedSpecCannotBeCreated) {
  auto spec = write_spec("web.yaml", "version: v1\ndeployment: web\nservices:\n" + loop_service("web"));
  ASSERT_EQ(d->cli({"up", "-f", spec.string()}).exit_code, 0);
  wait_for_line("web-rep-0", "looping");
  auto before = inspect("web-rep-0");

  write_text(spec, "version: v1\ndeployment: web\nservices:\n" +
                       loop_service("web", "    storage: [{type: bind, source: ./does-not-exist, target: /data}]\n"));
  auto missing_dir = d->cli({"up", "-f", spec.string()});
  EXPECT_EQ(missing_dir.exit_code, 1) << missing_dir.out << missing_dir.err;
  EXPECT_NE(missing_dir.err.find("wasmlet: error: web-rep-0 did not start: instance web.web-rep-0: storage 'bind' mount at /data"),
            std::string::npos) << missing_dir.err;
  EXPECT_NE(missing_dir.err.find((dir.path() / "does-not-exist").string() + "' is not an existing directory"), std::string::npos)
      << missing_dir.err;
  EXPECT_NE(missing_dir.err.find("web.web-rep-0 was not recreated and keeps its previous spec (running)"), std::string::npos)
      << missing_dir.err;

  write_text(spec, "version: v1\ndeployment: web\nservices:\n  web:\n    image: ./missing.wasm\n");
  auto missing_image = d->cli({"up", "-f", spec.string()});
  EXPECT_EQ(missing_image.exit_code, 1) << missing_image.out << missing_image.err;
  EXPECT_NE(missing_image.err.find("missing.wasm"), std::string::npos) << missing_image.err;
  EXPECT_NE(missing_image.err.find("was not recreated"), std::string::npos) << missing_image.err;

  // The same instance, never stopped.
  auto after = inspect("web-rep-0");
  EXPECT_EQ(after["state"]["status"], "running") << after.dump(2);
  EXPECT_EQ(after["created_at"], before["created_at"]);
  EXPECT_EQ(after["started_at"], before["started_at"]);
  EXPECT_EQ(after["spec"], before["spec"]);
}

// Replicas of a service with an endpoint port would all listen on it: `up`
// refuses the spec before creating anything (it used to fail rep-1 and up).
TEST_F(ComposeTest, UpRefusesReplicasThatWouldShareAnEndpointPort) {
  auto spec = write_spec("ports.yaml", "version: v1\ndeployment: ports\nservices:\n" +
                                           loop_service("web", "    endpoints: [{name: http, port: " +
                                                                   std::to_string(free_port()) +
                                                                   "}]\n    scale: {mode: fixed, replicas: 2}\n"));
  auto r = d->cli({"up", "-f", spec.string()});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("ports.yaml:7: services.web.scale: 2 replicas cannot share endpoint 'http'"), std::string::npos) << r.err;
  EXPECT_EQ(ps().size(), 0u);
}

TEST_F(ComposeTest, DownRemovesExactlyOneDeployment) {
  auto spec_of = [&](const std::string& name) {
    return "version: v1\ndeployment: " + name + "\nservices:\n" +
           loop_service("api", "    storage: [{type: named, name: " + name + "-vol, target: /data}]\n") + loop_service("worker");
  };
  auto alpha = write_spec("alpha.yaml", spec_of("alpha"));
  auto beta = write_spec("beta.yaml", spec_of("beta"));
  ASSERT_EQ(d->cli({"up", "-f", alpha.string()}).exit_code, 0);
  ASSERT_EQ(d->cli({"up", "-f", beta.string()}).exit_code, 0);
  ASSERT_EQ(ps().size(), 4u);

  auto down = d->cli({"down", "alpha"});
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_EQ(down.out, "alpha.api-rep-0 removed\nalpha.worker-rep-0 removed\n");
  auto left = ps();
  ASSERT_EQ(left.size(), 2u) << left.dump(2);
  for (const auto& i : left) {
    EXPECT_EQ(i["deployment"], "beta");
    EXPECT_EQ(i["state"]["status"], "running");
  }
  EXPECT_TRUE(fs::exists(data / "volumes" / "alpha-vol"));  // without --volumes, volumes stay

  auto again = d->cli({"down", "alpha"});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("deployment 'alpha' has no instances"), std::string::npos) << again.err;

  auto down_beta = d->cli({"down", "-f", beta.string(), "--volumes"});
  ASSERT_EQ(down_beta.exit_code, 0) << down_beta.err;
  EXPECT_NE(down_beta.out.find("volume beta-vol removed"), std::string::npos) << down_beta.out;
  EXPECT_FALSE(fs::exists(data / "volumes" / "beta-vol"));
  EXPECT_TRUE(fs::exists(data / "volumes" / "alpha-vol"));
  EXPECT_TRUE(ps().empty());
  EXPECT_EQ(d->cli({"down"}).exit_code, 2);  // neither a name nor -f
}

TEST_F(ComposeTest, RestartStopsAndStartsAgain) {
  auto spec = write_spec("r.yaml", "version: v1\ndeployment: r\nservices:\n" + loop_service("svc"));
  ASSERT_EQ(d->cli({"up", "-f", spec.string()}).exit_code, 0);
  wait_for_line("svc-rep-0", "looping");
  auto before = inspect("svc-rep-0");
  auto r = d->cli({"restart", "-t", "5", "svc-rep-0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "svc-rep-0\n");
  auto after = inspect("r.svc-rep-0");
  EXPECT_EQ(after["state"]["status"], "running");
  EXPECT_NE(after["started_at"], before["started_at"]);
  EXPECT_EQ(after["outcome"], nullptr);
}

// Every spec field the runtime can create an instance from.
std::string every_field_spec(const fs::path& dir) {
  fs::create_directories(dir / "srv");
  return "version: v1\ndeployment: every\nservices:\n  all:\n"
         "    image: {name: " + fixture("loop_forever") + ", pull_policy: if_not_present}\n"
         "    env: {A: \"1\", EMPTY: \"\"}\n"
         "    command: {entrypoint: [run], args: [a, \"b c\"], workdir: /w}\n"
         "    storage:\n"
         "      - {type: bind, source: " + (dir / "srv").string() + ", target: /srv, readonly: true}\n"
         "      - {type: named, name: vol, target: /vol, readonly: true, size: 1Gi}\n"
         "      - {type: tmpfs, target: /tmp, size: 8Mi}\n"
         "    wasm:\n"
         "      max_memory: 32Mi\n      max_fuel: 123\n      epoch_interval: 7ms\n      request_timeout: 1500ms\n"
         "      capabilities: {config: false, keyvalue: false, logging: false, secrets: true, metrics: false,\n"
         "                     http_client: true, cli: true, filesystem: true, sockets: true}\n"
         "      preopens: [{source: " + (dir / "srv").string() + ", target: /q, readonly: true}]\n"
         "      min_instances: 2\n      max_instances: 5\n      allow_tcp: true\n      allow_udp: true\n"
         "      allowed_hosts: [example.com, 127.0.0.1]\n      allow_http_outgoing: true\n      precompile: false\n"
         "    service_type: wasm_router\n"
         "    scale: {mode: fixed, replicas: 1}\n"
         "    restart_policy: {kind: on_failure, max_attempts: 6, delay: 3s}\n"
         "    endpoints: [{name: web, protocol: http, port: 8081}]\n"
         "    health: {start_grace: 1s, interval: 2s, timeout: 3s, retries: 9,\n"
         "             check: {type: http, url: \"http://127.0.0.1:8081/h\", expect_status: 204}}\n";
}

TEST_F(ComposeTest, ASpecWithEveryFieldSurvivesADaemonRestart) {
  auto spec = write_spec("every.yaml", every_field_spec(dir.path()));
  runtime::ServiceSpec given = runtime::load_deployment(spec.string()).services.at(0);
  auto created = d->cli({"create", "-f", spec.string()});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  auto stored = [&] { return runtime::parse_service(inspect("every.all-rep-0")["spec"].get<std::string>(), "all"); };
  EXPECT_EQ(stored(), given);
  d->kill9();
  d->start();
  runtime::ServiceSpec after = stored();
  EXPECT_EQ(after, given) << runtime::to_yaml(after) << "\n--- given ---\n" << runtime::to_yaml(given);
  ASSERT_TRUE(after.wasm);
  EXPECT_TRUE(after.wasm->allow_udp);  // one of the fields that used to reset
  EXPECT_EQ(after.wasm->allowed_hosts, (std::vector<std::string>{"example.com", "127.0.0.1"}));
}

TEST(StateDbMigration, ADatabaseFromBeforeDeploymentsIsUpgraded) {
  TempDir dir;
  fs::create_directories(dir.path());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() / "state.db").c_str(), &db), SQLITE_OK);
  // The schema as it was, with one finished instance.
  std::string spec = runtime::to_yaml(service(fixture("exit_code")));
  std::string sql =
      "CREATE TABLE instances (id TEXT PRIMARY KEY, service TEXT NOT NULL, replica INTEGER NOT NULL,"
      " image TEXT NOT NULL, image_path TEXT NOT NULL, spec_yaml TEXT NOT NULL,"
      " state TEXT NOT NULL, exit_code INTEGER NOT NULL DEFAULT 0, reason TEXT NOT NULL DEFAULT '',"
      " has_outcome INTEGER NOT NULL DEFAULT 0, outcome_code INTEGER NOT NULL DEFAULT 0,"
      " outcome_reason TEXT NOT NULL DEFAULT '', outcome_signal TEXT, finished_at INTEGER,"
      " created_at INTEGER NOT NULL, started_at INTEGER, restart_count INTEGER NOT NULL DEFAULT 0,"
      " stopped_by_user INTEGER NOT NULL DEFAULT 0);"
      "INSERT INTO instances (id, service, replica, image, image_path, spec_yaml, state, exit_code, created_at)"
      " VALUES ('old-rep-0', 'old', 0, 'x.wasm', '" + fixture("exit_code") + "', '" + spec + "', 'exited', 3, 1);";
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);

  runtime::WasmRuntime rt(runtime::WasmRuntimeConfig{dir.path()});
  auto list = rt.list();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].id.str(), "old-rep-0");
  EXPECT_EQ(list[0].id.deployment, "");
  EXPECT_EQ(list[0].state.to_string(), "exited(3)");
  // New instances are recorded with their deployment next to it.
  rt.create(runtime::InstanceId{"new", 0, "dep"}, service(fixture("exit_code")));
  rt.shutdown();
  runtime::WasmRuntime again(runtime::WasmRuntimeConfig{dir.path()});
  auto ids = again.list();
  ASSERT_EQ(ids.size(), 2u);
  std::set<std::string> names;
  for (const auto& i : ids) names.insert(i.id.str());
  EXPECT_EQ(names, (std::set<std::string>{"old-rep-0", "dep.new-rep-0"}));
}

}  // namespace
}  // namespace wasmlet::testing

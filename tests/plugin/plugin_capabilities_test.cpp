// Capabilities: files only under granted paths, network only when granted
// (and only to allowed hosts), config values, env.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "plugin_support.h"

using namespace wasmlet;
using namespace wasmlet::testing;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {
fs::path make_dir(const std::string& tag) {
  fs::path d = fs::temp_directory_path() / ("wasmlet-plugin-" + tag + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  std::ofstream(d / "notes.txt") << "line one\n\"quoted\"\n";
  return d;
}

// A one-shot HTTP server on 127.0.0.1 answering "hello" to one request.
struct TinyServer {
  int fd = -1;
  int port = 0;
  std::thread thread;
  TinyServer() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    ::listen(fd, 4);
    thread = std::thread([this] {
      int c = ::accept(fd, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      (void)::read(c, buf, sizeof buf);
      const char reply[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
      (void)::write(c, reply, sizeof reply - 1);
      ::close(c);
    });
  }
  ~TinyServer() {
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
    thread.join();
  }
};
}  // namespace

// read_file with `dir` granted read-only as /data.
std::shared_ptr<const Plugin> load_read_file(PluginHost& host, const fs::path& dir) {
  PluginOptions o;
  o.capabilities.paths.push_back({dir, "/data", true});
  return host.load_file(plugin_wasm("read_file"), o);
}

TEST(PluginCapabilities, ReadsAFileUnderAnAllowedPath) {
  fs::path dir = make_dir("read");
  PluginHost host;
  auto p = load_read_file(host, dir);
  json out = p->call("execute", json{{"path", "/data/notes.txt"}});
  EXPECT_EQ(out["content"], "line one\n\"quoted\"\n");
  EXPECT_EQ(out["size"], 18);
  fs::remove_all(dir);
}

TEST(PluginCapabilities, FileOutsideTheAllowedPathsIsDenied) {
  fs::path dir = make_dir("deny");
  PluginHost host;
  auto p = load_read_file(host, dir);
  for (const char* path : {"/etc/passwd", "/data/../../etc/passwd", "../etc/passwd"}) {
    auto e = expect_plugin_error([&] { p->call("execute", json{{"path", path}}); });
    EXPECT_EQ(e.kind(), PluginError::Kind::Failed) << e.what();
    EXPECT_NE(std::string(e.what()).find(std::string("cannot open ") + path), std::string::npos) << e.what();
  }
  // Without any path grant, nothing is visible.
  PluginOptions none;
  none.name = "no_paths";
  auto q = host.load_file(plugin_wasm("read_file"), none);
  EXPECT_THROW(q->call("execute", json{{"path", "/data/notes.txt"}}), PluginError);
  fs::remove_all(dir);
}

TEST(PluginCapabilities, NetworkWithoutPermissionIsDenied) {
  PluginHost host;
  CollectedLog log;
  PluginOptions o;
  o.log = log.sink();
  auto p = host.load_file(plugin_wasm("plugin_hostile"), o);
  auto e = expect_plugin_error([&] { p->call("http", json{{"url", "http://127.0.0.1:9/"}}); });
  EXPECT_EQ(e.kind(), PluginError::Kind::Denied) << e.what();
  EXPECT_NE(std::string(e.what()).find("plugin 'hostile' export 'http': http_request GET http://127.0.0.1:9/ denied: the plugin has no network capability"),
            std::string::npos) << e.what();
  ASSERT_FALSE(log.lines->empty());
  EXPECT_NE(log.lines->front().find("denied"), std::string::npos);
}

TEST(PluginCapabilities, NetworkToAHostNotAllowedIsDenied) {
  PluginHost host;
  PluginOptions o;
  o.capabilities.network = true;
  o.capabilities.allowed_hosts = {"api.example.com"};
  auto p = host.load_file(plugin_wasm("plugin_hostile"), o);
  auto e = expect_plugin_error([&] { p->call("http", json{{"url", "http://127.0.0.1:9/"}}); });
  EXPECT_EQ(e.kind(), PluginError::Kind::Denied) << e.what();
  EXPECT_NE(std::string(e.what()).find("host '127.0.0.1' is not in the plugin's allowed hosts"), std::string::npos) << e.what();
}

TEST(PluginCapabilities, NetworkWithPermissionReachesTheServer) {
  TinyServer server;
  PluginHost host;
  PluginOptions o;
  o.capabilities.network = true;
  auto p = host.load_file(plugin_wasm("plugin_hostile"), o);
  std::string url = "http://127.0.0.1:" + std::to_string(server.port) + "/x";
  json resp = p->call("http", json{{"url", url}});
  EXPECT_EQ(resp["status"], 200);
  EXPECT_EQ(resp["body"], "hello");
  EXPECT_EQ(resp["headers"]["content-type"], "text/plain");
}

TEST(PluginCapabilities, ConfigValuesAreVisibleOnlyWhenGranted) {
  PluginHost host;
  PluginOptions o;
  o.capabilities.config["greeting"] = "hi there";
  EXPECT_EQ(host.load_file(plugin_wasm("plugin_hostile"), o)->call("config_echo", json(nullptr)), "hi there");
  PluginOptions none;
  none.name = "unconfigured";
  EXPECT_EQ(host.load_file(plugin_wasm("plugin_hostile"), none)->call("config_echo", json(nullptr)), nullptr);
}

TEST(PluginCapabilities, PathGrantSyntax) {
  PathGrant g = parse_path_grant("/srv/data::/data:ro");
  EXPECT_EQ(g.host_path, "/srv/data");
  EXPECT_EQ(g.guest_path, "/data");
  EXPECT_TRUE(g.read_only);
  g = parse_path_grant("/tmp/x");
  EXPECT_EQ(g.guest_path, "/tmp/x");
  EXPECT_FALSE(g.read_only);
  g = parse_path_grant("/tmp/x:rw");
  EXPECT_EQ(g.host_path, "/tmp/x");
  EXPECT_FALSE(g.read_only);
  EXPECT_THROW(parse_path_grant("::/data"), UsageError);
}

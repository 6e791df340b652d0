// Health checks from the spec: a TCP connect or an HTTP GET against
// 127.0.0.1, run on the instance's own monitor thread at the spec's interval
// (after start_grace). `retries` failures in a row make it unhealthy.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "wasmlet/runtime/spec.h"

namespace wasmlet::runtime {

struct ProbeResult {
  bool ok = false;
  std::string output;  // what went wrong, or the HTTP status line
};

ProbeResult probe_tcp(const std::string& host, uint16_t port, std::chrono::nanoseconds timeout);
// url: http://HOST:PORT/PATH; ok when the status is `expect_status`.
ProbeResult probe_http(const std::string& url, uint16_t expect_status, std::chrono::nanoseconds timeout);

class HealthMonitor {
 public:
  // Probes per `spec` (tcp port 0 means `default_port`) and reports each
  // result's effect through `update`.
  HealthMonitor(HealthSpec spec, uint16_t default_port, std::function<void(const HealthDetail&)> update);
  ~HealthMonitor();  // stops and joins
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

 private:
  void run();
  HealthSpec spec_;
  uint16_t default_port_;
  std::function<void(const HealthDetail&)> update_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace wasmlet::runtime

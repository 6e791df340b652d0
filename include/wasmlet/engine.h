// The Engine holds configuration shared by every module and instance:
// which execution tier to use. It is cheap to create and thread-safe.
#pragma once

#include <string>

namespace wasmlet {

enum class Tier {
  Interpreter,  // instant start, no compiler needed
};

const char* to_string(Tier tier);

struct EngineConfig {
  Tier tier = Tier::Interpreter;
};

class Engine {
 public:
  explicit Engine(EngineConfig config = {}) : config_(config) {}
  const EngineConfig& config() const { return config_; }

 private:
  EngineConfig config_;
};

}  // namespace wasmlet

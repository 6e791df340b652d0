#include "restart_policy.h"

#include <algorithm>

namespace wasmlet::runtime {

bool should_restart(const RestartPolicy& policy, const WaitOutcome& outcome, uint32_t restarts_done, bool stopped_by_user) {
  if (stopped_by_user) return false;
  switch (policy.kind) {
    case RestartPolicy::Kind::No: return false;
    case RestartPolicy::Kind::Always:
    case RestartPolicy::Kind::UnlessStopped: return true;
    case RestartPolicy::Kind::OnFailure:
      if (outcome.exit_code == 0 && outcome.reason == WaitReason::Exited) return false;
      return !policy.max_attempts || restarts_done < *policy.max_attempts;
  }
  return false;
}

std::chrono::nanoseconds restart_backoff(const RestartPolicy& policy, uint32_t restarts_done) {
  using namespace std::chrono;
  nanoseconds d = policy.delay;
  for (uint32_t i = 0; i < restarts_done && d < seconds(30); ++i) d *= 2;
  return std::min<nanoseconds>(d, seconds(30));
}

}  // namespace wasmlet::runtime

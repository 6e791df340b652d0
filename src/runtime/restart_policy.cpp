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
  // A floor as docker's first back-off: a delay of 0 would double to 0 and
  // restart a failing guest as fast as it can fail, forever.
  nanoseconds d = std::max<nanoseconds>(policy.delay, kMinRestartBackoff);
  for (uint32_t i = 0; i < restarts_done && d < kMaxRestartBackoff; ++i) d *= 2;
  return std::min<nanoseconds>(d, kMaxRestartBackoff);
}

}  // namespace wasmlet::runtime

#include "wast/result.h"

namespace wasmlet::wast {

void FileResult::add(const Event& event) {
  switch (event.kind) {
    case Event::Kind::Start: last_line = event.line; break;
    case Event::Kind::Pass: ++passed; break;
    case Event::Kind::Fail:
      ++failed;
      failures.push_back({event.line, event.command, event.message});
      break;
    case Event::Kind::Fallback: fallbacks.push_back({event.line, event.command, event.message}); break;
  }
}

}  // namespace wasmlet::wast

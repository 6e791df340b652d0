// Signal names for kill and for exit codes 128+N (the seed's rules).
#include <csignal>

#include <fmt/format.h>

#include "wasmlet/runtime/runtime.h"

namespace wasmlet::runtime {

std::string validate_signal(std::string_view signal) {
  auto begin = signal.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos)
    throw RuntimeError(RuntimeError::Kind::InvalidSpec, "signal must not be empty");
  auto end = signal.find_last_not_of(" \t\r\n");
  std::string upper;
  for (char c : signal.substr(begin, end - begin + 1)) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string canonical = upper.starts_with("SIG") ? upper : "SIG" + upper;
  for (const char* ok : {"SIGKILL", "SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1", "SIGUSR2"})
    if (canonical == ok) return canonical;
  throw RuntimeError(RuntimeError::Kind::InvalidSpec,
                     fmt::format("unsupported signal '{}'; allowed: SIGKILL, SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2", canonical));
}

int signal_number(std::string_view s) {
  if (s == "SIGKILL") return SIGKILL;
  if (s == "SIGTERM") return SIGTERM;
  if (s == "SIGINT") return SIGINT;
  if (s == "SIGHUP") return SIGHUP;
  if (s == "SIGUSR1") return SIGUSR1;
  if (s == "SIGUSR2") return SIGUSR2;
  throw RuntimeError(RuntimeError::Kind::InvalidSpec, fmt::format("unsupported signal '{}'", s));
}

std::optional<std::string> signal_name_from_exit_code(int exit_code) {
  if (exit_code <= 128) return std::nullopt;
  int n = exit_code - 128;
  switch (n) {
    case 1: return "SIGHUP";
    case 2: return "SIGINT";
    case 3: return "SIGQUIT";
    case 4: return "SIGILL";
    case 6: return "SIGABRT";
    case 7: return "SIGBUS";
    case 8: return "SIGFPE";
    case 9: return "SIGKILL";
    case 10: return "SIGUSR1";
    case 11: return "SIGSEGV";
    case 12: return "SIGUSR2";
    case 13: return "SIGPIPE";
    case 14: return "SIGALRM";
    case 15: return "SIGTERM";
    case 17: return "SIGSTOP";
    case 18: return "SIGCONT";
    default: return fmt::format("signal_{}", n);
  }
}

}  // namespace wasmlet::runtime

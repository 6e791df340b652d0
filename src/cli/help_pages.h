// Help that is generated from the same option tables the parser uses: the
// man page (`wasmlet help --man`, docs/wasmlet.1) and shell completion
// scripts (`wasmlet completion bash|zsh|fish`).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace wasmlet::cli {

// The whole command tree as a roff man page (section 1).
std::string man_page(const CLI::App& app);
// A completion script for "bash", "zsh" or "fish"; UsageError for another shell.
std::string completion_script(const CLI::App& app, const std::string& shell);

}  // namespace wasmlet::cli

# Opt-in instrumented builds (docs/fuzzing.md), each in its own build directory:
#   -DWASMLET_SANITIZE=ON  ASan + UBSan for everything built here
#                          (build-asan, scripts/sanitize.sh runs the whole test suite)
#   -DWASMLET_TSAN=ON      ThreadSanitizer (build-tsan, scripts/tsan.sh runs the
#                          tests where threads share a Store, an Engine, a cache
#                          or the runtime)
#   -DWASMLET_FUZZ=ON      clang only: ASan + UBSan + libFuzzer coverage, and the
#                          fuzz/ harnesses (build-fuzz, scripts/fuzz.sh)
# Code the AOT tier compiles at run time (cc on generated C) is never instrumented.
option(WASMLET_SANITIZE "Build everything with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(WASMLET_TSAN "Build everything with ThreadSanitizer" OFF)
option(WASMLET_FUZZ "Build the libFuzzer harnesses in fuzz/ (needs clang)" OFF)

if(WASMLET_SANITIZE OR WASMLET_FUZZ)
  # A UBSan finding stops the process, so a test or fuzzer fails on it instead of printing and going on.
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

if(WASMLET_TSAN)
  if(WASMLET_SANITIZE OR WASMLET_FUZZ)
    message(FATAL_ERROR "WASMLET_TSAN cannot be combined with WASMLET_SANITIZE or WASMLET_FUZZ (ThreadSanitizer "
                        "and AddressSanitizer cannot share a process): use its own build directory")
  endif()
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()

if(WASMLET_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "WASMLET_FUZZ needs clang (libFuzzer): configure with "
                        "-DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 (scripts/fuzz.sh does)")
  endif()
  # Coverage instrumentation for every object; only the harnesses link libFuzzer's main.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

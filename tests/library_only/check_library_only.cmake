# cmake -P script of the test Build.LibraryOnly (CMakeLists.txt).
function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${what} failed (${status}):\n${out}\n${err}")
  endif()
endfunction()

file(REMOVE ${WORK_DIR}/CMakeCache.txt)
# What only the tests, benchmarks, examples and the layers above the program
# runner need. Hiding the directories the tools live in makes
# find_program(clang-19 / wat2wasm REQUIRED) fail (the compiler, ar and
# ranlib are given by path); disabling the packages makes
# find_package(... REQUIRED) fail.
set(hidden_program_dirs /usr/bin /bin /usr/local/bin /usr/sbin /sbin)
set(disabled_packages GTest benchmark CLI11 CURL SQLite3 yaml-cpp ZLIB nlohmann_json)
set(disable_args)
foreach(package ${disabled_packages})
  list(APPEND disable_args -DCMAKE_DISABLE_FIND_PACKAGE_${package}=ON)
endforeach()
string(REPLACE ";" "\\;" ignore_path "${hidden_program_dirs}")
run("configuring the library alone in ${WORK_DIR}"
    ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR} -G ${GENERATOR} -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}
    -DCMAKE_C_COMPILER=${C_COMPILER} -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_AR=${AR} -DCMAKE_RANLIB=${RANLIB}
    -DCMAKE_BUILD_TYPE=${BUILD_TYPE}
    -DWASMLET_SANITIZE=${SANITIZE} -DWASMLET_WERROR=${WERROR}
    -DWASMLET_BUILD_TESTS=OFF -DWASMLET_BUILD_BENCH=OFF -DWASMLET_BUILD_TOOLS=OFF -DWASMLET_BUILD_RUNTIME=OFF
    "-DCMAKE_IGNORE_PATH=${ignore_path}" ${disable_args})

# Nothing else asked for them either (an optional look-up leaves its cache entry).
file(STRINGS ${WORK_DIR}/CMakeCache.txt cache)
foreach(entry ${cache})
  if(entry MATCHES "^(WASI_CLANG|WAT2WASM|GTest_DIR|benchmark_DIR|CLI11_DIR|CURL_[A-Z_]*|SQLite3_[A-Z_]*|yaml-cpp_DIR)[:=]")
    message(FATAL_ERROR "the library-only configure looked for ${CMAKE_MATCH_1}: ${entry}")
  endif()
endforeach()

run("building the library alone in ${WORK_DIR}" ${CMAKE_COMMAND} --build ${WORK_DIR} --target wasmlet_util
    wasmlet_engine wasmlet_wasi_sys wasmlet_wasi wasmlet_component wasmlet_program)
foreach(layer util engine wasi_sys wasi component program)
  if(NOT EXISTS ${WORK_DIR}/src/${layer}/libwasmlet_${layer}.a)
    message(FATAL_ERROR "the library-only build made no ${WORK_DIR}/src/${layer}/libwasmlet_${layer}.a")
  endif()
endforeach()
message("the library (util, engine, wasi_sys, wasi, component, program) builds without clang-19, wat2wasm, GoogleTest, "
        "Google Benchmark, CLI11, libcurl, SQLite, yaml-cpp or zlib")

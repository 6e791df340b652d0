# Helpers that turn checked-in sources into WebAssembly at build time:
#   add_wasi_program(NAME SOURCES... [FLAGS ...])  C -> wasm32-wasi with clang-19
#   add_wat_module(NAME FILE)                      WAT -> wasm with wat2wasm
# Outputs land in ${WASM_OUTPUT_DIR}/NAME.wasm; each helper adds a target NAME_wasm.

find_program(WASI_CLANG NAMES clang-19 REQUIRED
  DOC "clang able to target wasm32-wasi (Debian: clang-19, lld-19, wasi-libc, libclang-rt-19-dev-wasm32)")
find_program(WAT2WASM NAMES wat2wasm REQUIRED DOC "wat2wasm from Debian's wabt package")
set(WASI_SYSROOT /usr CACHE PATH "sysroot holding wasi-libc")
set(WASM_OUTPUT_DIR ${CMAKE_BINARY_DIR}/wasm)
file(MAKE_DIRECTORY ${WASM_OUTPUT_DIR})

function(add_wasi_program name)
  cmake_parse_arguments(ARG "" "" "SOURCES;FLAGS" ${ARGN})
  set(out ${WASM_OUTPUT_DIR}/${name}.wasm)
  set(srcs)
  foreach(s ${ARG_SOURCES})
    list(APPEND srcs ${CMAKE_CURRENT_SOURCE_DIR}/${s})
  endforeach()
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${WASI_CLANG} --target=wasm32-wasi --sysroot=${WASI_SYSROOT} -O2
            -Wall -Werror -Wl,--strip-debug ${ARG_FLAGS} -o ${out} ${srcs}
    # The calling CMakeLists.txt too: it holds the FLAGS.
    DEPENDS ${srcs} ${CMAKE_CURRENT_LIST_FILE}
    COMMENT "clang-19 -> wasm32-wasi: ${name}.wasm"
    VERBATIM)
  add_custom_target(${name}_wasm ALL DEPENDS ${out})
endfunction()

function(add_wat_module name file)
  set(out ${WASM_OUTPUT_DIR}/${name}.wasm)
  set(src ${CMAKE_CURRENT_SOURCE_DIR}/${file})
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${WAT2WASM} --debug-names -o ${out} ${src}
    DEPENDS ${src}
    COMMENT "wat2wasm: ${name}.wasm"
    VERBATIM)
  add_custom_target(${name}_wasm ALL DEPENDS ${out})
endfunction()

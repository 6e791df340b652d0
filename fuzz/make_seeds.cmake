# Fills OUT/NAME (one directory per harness) with seed inputs: built fixture
# modules, components, WAT sources and the small text seeds in fuzz/seeds.
# Run by the fuzz_seeds target: cmake -DWASM_DIR=... -DSOURCE_DIR=... -DCOMPONENTS=... -DOUT=... -P make_seeds.cmake
file(REMOVE_RECURSE ${OUT})
file(GLOB modules ${WASM_DIR}/*.wasm)
foreach(harness module aot_codegen)
  file(COPY ${modules} DESTINATION ${OUT}/${harness})
endforeach()
file(MAKE_DIRECTORY ${OUT}/component ${OUT}/canonical_abi ${OUT}/wast ${OUT}/fusion)
# The WAT fixtures are scripts of one module each: seeds for the .wast reader.
file(GLOB wat_fixtures ${SOURCE_DIR}/tests/fixtures/wat/*.wat)
file(COPY ${wat_fixtures} DESTINATION ${OUT}/wast)
if(COMPONENTS)
  file(COPY ${COMPONENTS} DESTINATION ${OUT}/component)
endif()
file(GLOB text_seed_dirs LIST_DIRECTORIES true ${SOURCE_DIR}/fuzz/seeds/*)
foreach(dir ${text_seed_dirs})
  get_filename_component(harness ${dir} NAME)
  file(GLOB seeds ${dir}/*)
  file(COPY ${seeds} DESTINATION ${OUT}/${harness})
endforeach()

# `cmake --install` for embedders (docs/embedding.md... see docs/api.md):
# wasmlet, the aggregate of the layer libraries (wasmlet_util,
# wasmlet_engine, ...: src/CMakeLists.txt), the public headers, and a
# package configuration so that
#   find_package(wasmlet REQUIRED)
#   target_link_libraries(app PRIVATE wasmlet::wasmlet)
# works from the install prefix. The libraries are static, so the
# configuration finds the same Debian packages wasmlet was built against.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(WASMLET_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/wasmlet)
install(TARGETS wasmlet ${WASMLET_LAYERS} EXPORT wasmletTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/wasmlet ${PROJECT_BINARY_DIR}/generated/wasmlet
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT wasmletTargets NAMESPACE wasmlet:: DESTINATION ${WASMLET_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/wasmletConfig.cmake.in
  ${PROJECT_BINARY_DIR}/wasmletConfig.cmake INSTALL_DESTINATION ${WASMLET_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/wasmletConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/wasmletConfig.cmake ${PROJECT_BINARY_DIR}/wasmletConfigVersion.cmake
        DESTINATION ${WASMLET_CMAKE_DIR})

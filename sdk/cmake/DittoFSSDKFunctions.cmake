# Functions for building DittoFS plugins, in tree and out of tree.
#
#   dittofs_add_plugin(<target> SOURCES <files...> [LIBRARIES <libs...>] [OUTPUT_DIR <dir>])
#     A loadable module with hidden visibility; only dfs_plugin_entry_v1 is exported.
#
#   dittofs_add_store_kit_test(<test-name> PLUGIN <target-or-path> [VOLATILE]
#                              [CONFIG key=value ...])
#     Runs the store conformance kit on a store plugin. In CONFIG values, {dir} becomes a
#     fresh directory per test. VOLATILE skips the close/reopen persistence tests.
include_guard(GLOBAL)

function(dittofs_add_plugin target)
  cmake_parse_arguments(ARG "" "OUTPUT_DIR" "SOURCES;LIBRARIES" ${ARGN})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE DittoFS::SDK ${ARG_LIBRARIES})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    CXX_STANDARD 20
    CXX_STANDARD_REQUIRED ON)
  if(NOT DITTOFS_SANITIZE)
    # Every symbol a plugin uses must come from its own libraries, never from the kernel.
    target_link_options(${target} PRIVATE "LINKER:-z,defs")
  endif()
  if(ARG_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIR})
  elseif(DEFINED DITTOFS_PLUGIN_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${DITTOFS_PLUGIN_OUTPUT_DIR})
  endif()
endfunction()

function(_dittofs_kit_executable)
  if(TARGET dittofs_store_kit)
    return()
  endif()
  find_package(GTest REQUIRED)
  find_package(Threads REQUIRED)
  file(GLOB _kit_sources ${DITTOFS_KIT_DIR}/*.cpp)
  add_executable(dittofs_store_kit ${_kit_sources})
  target_include_directories(dittofs_store_kit PRIVATE ${DITTOFS_KIT_DIR})
  target_link_libraries(dittofs_store_kit PRIVATE DittoFS::SDK GTest::gtest Threads::Threads ${CMAKE_DL_LIBS})
  set_target_properties(dittofs_store_kit PROPERTIES CXX_STANDARD 20 CXX_STANDARD_REQUIRED ON)
endfunction()

function(dittofs_add_store_kit_test name)
  cmake_parse_arguments(ARG "VOLATILE" "PLUGIN" "CONFIG;LABELS" ${ARGN})
  _dittofs_kit_executable()
  if(TARGET ${ARG_PLUGIN})
    set(_plugin $<TARGET_FILE:${ARG_PLUGIN}>)
  else()
    set(_plugin ${ARG_PLUGIN})
  endif()
  set(_args --plugin ${_plugin})
  if(ARG_VOLATILE)
    list(APPEND _args --volatile)
  endif()
  foreach(kv IN LISTS ARG_CONFIG)
    list(APPEND _args --config ${kv})
  endforeach()
  add_test(NAME ${name} COMMAND dittofs_store_kit ${_args})
  if(ARG_LABELS)
    set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}")
  endif()
endfunction()

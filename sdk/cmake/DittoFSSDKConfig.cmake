# find_package(DittoFSSDK): the DittoFS plugin SDK, installed.
# Gives the target DittoFS::SDK (headers), dittofs_add_plugin() and
# dittofs_add_store_kit_test().
get_filename_component(_dfs_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET DittoFS::SDK)
  add_library(DittoFS::SDK INTERFACE IMPORTED)
  set_target_properties(DittoFS::SDK PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${_dfs_prefix}/include"
    INTERFACE_COMPILE_FEATURES cxx_std_20)
endif()
set(DITTOFS_KIT_DIR "${_dfs_prefix}/share/dittofs/kit")
include("${CMAKE_CURRENT_LIST_DIR}/DittoFSSDKFunctions.cmake")
set(DittoFSSDK_FOUND TRUE)

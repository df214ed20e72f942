// Reads a plugin's DFS_PLUGIN_INFO record from its ELF section ".dittofs_plugin"
// without loading the library: no code of the plugin runs before its ABI is checked.
// A bounds-checked ELF64 little-endian section-header walk; fuzzed (tests/fuzz).
#pragma once

#include <dittofs/abi/plugin.h>

#include <cstdint>
#include <span>
#include <string>

namespace dfs::kernel {

struct ElfInfoResult {
    bool ok = false;
    std::string error;        // why not, when !ok
    dfs_plugin_info_t info{};  // zero-filled beyond what the plugin's record holds
};

// From the bytes of a whole file.
ElfInfoResult parsePluginInfo(std::span<const uint8_t> file);
// From a path; files over 512 MiB are refused.
ElfInfoResult readPluginInfo(const std::string& path);

}  // namespace dfs::kernel

// Test helper: a configuration of one share "/s" (named "s") over metadata store "m" and
// mem block store "b".
#pragma once

#include "src/config.hpp"

#include <map>
#include <string>
#include <vector>

namespace dfs::kernel {

inline Config oneShareConfig(const std::string& metadataPlugin, std::map<std::string, std::string> metadataParams,
                             std::vector<std::string> clients = {}) {
    Config c;
    c.metadata["m"] = StoreConfig{"m", DFS_PLUGIN_METADATA_STORE, metadataPlugin, std::move(metadataParams)};
    c.blocks["b"] = StoreConfig{"b", DFS_PLUGIN_BLOCK_STORE, "mem", {}};
    ShareConfig s;
    s.name = "s";
    s.path = "/s";
    s.metadata = "m";
    s.blocks = "b";
    s.clients = std::move(clients);
    c.shares = {s};
    return c;
}

}  // namespace dfs::kernel

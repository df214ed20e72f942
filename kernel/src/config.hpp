// The server's configuration: a TOML file (docs/CONFIGURATION.md), or the embedded
// default when none is given (one share, SQLite metadata, local-file blocks, under the
// data directory). Parsed and validated as a whole; a reload applies only a config that
// passed validation, so a bad edit never takes down a running server.
#pragma once

#include <dittofs/abi/plugin.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dfs::kernel {

// One configured store instance: `[metadata.<name>]` or `[blocks.<name>]`.
struct StoreConfig {
    std::string name;
    dfs_plugin_kind_t kind = DFS_PLUGIN_METADATA_STORE;
    std::string plugin;                         // plugin name, e.g. "sqlite"
    std::map<std::string, std::string> params;  // everything else, passed to create()
    bool operator==(const StoreConfig&) const = default;
};

enum class Squash { none, root, all };

// `[[share]]`.
struct ShareConfig {
    std::string name;
    std::string path;      // in the namespace, e.g. "/export"
    std::string metadata;  // name of a [metadata.*] instance
    std::string blocks;    // name of a [blocks.*] instance
    bool readOnly = false;
    Squash squash = Squash::root;
    uint32_t anonUid = 65534;
    uint32_t anonGid = 65534;
    std::vector<std::string> clients;    // CIDR networks allowed; empty = everyone
    std::vector<std::string> protocols;  // empty = every enabled protocol
    bool operator==(const ShareConfig&) const = default;
};

// `[protocol.<name>]` and `[auth.<name>]`: a plugin instance the server runs.
struct ServiceConfig {
    std::string name;
    dfs_plugin_kind_t kind = DFS_PLUGIN_PROTOCOL;
    std::string plugin;
    bool enabled = true;
    std::map<std::string, std::string> params;
    bool operator==(const ServiceConfig&) const = default;
};

struct ServerSection {
    std::string dataDir = "./data";
    std::vector<std::string> pluginDirs;
    std::string logLevel = "info";
    std::string logFile;
    uint32_t workers = 16;
    uint32_t ioThreads = 2;
    uint32_t queueLimit = 4096;
    bool operator==(const ServerSection&) const = default;
};

// `[rpc]`: the kernel's ONC RPC service (ports of programs come from their plugins).
struct RpcSection {
    std::string bind = "0.0.0.0";
    int64_t portmapPort = 111;  // 0: ephemeral, -1: no portmapper
    std::string portmapper = "auto";  // builtin | system | auto (rpc_server.hpp)
    std::string rpcbindSocket = "/run/rpcbind.sock";
    uint32_t maxRecord = 4u << 20;
    uint32_t maxInFlight = 64;  // per connection
    uint32_t drcEntries = 4096;
    uint32_t drcMegabytes = 64;
    uint32_t clientPortmapPort = 111;  // where clients' portmappers listen (for callbacks)
    bool operator==(const RpcSection&) const = default;
};

// `[locks]`: the unified lock manager.
struct LocksSection {
    uint32_t graceSeconds = 90;
    uint32_t leaseBreakSeconds = 35;
    uint32_t maxWaitersPerClient = 64;
    bool operator==(const LocksSection&) const = default;
};

struct Config {
    ServerSection server;
    RpcSection rpc;
    LocksSection locks;
    std::map<std::string, StoreConfig> metadata;
    std::map<std::string, StoreConfig> blocks;
    std::vector<ShareConfig> shares;
    std::map<std::string, ServiceConfig> services;  // key: "protocol.<name>" / "auth.<name>"
    std::string source = "embedded default";
};

struct ConfigError {
    std::string message;
};

// Parses TOML text; `origin` names it in messages. Validates cross references.
std::optional<Config> parseConfig(const std::string& text, const std::string& origin, ConfigError& err);
std::optional<Config> loadConfigFile(const std::string& path, ConfigError& err);
Config defaultConfig();
// Semantic checks (references, unique names and paths, networks); empty when valid.
std::string validateConfig(const Config& c);

}  // namespace dfs::kernel

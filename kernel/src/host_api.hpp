// The dfs_host_api_t the kernel hands to each plugin library and instance.
//
// HostServices is the set of kernel services behind the table (any may be absent, e.g.
// when `dittofsd plugins` only inspects libraries); HostContext is one table with its
// own `ctx`, so log lines and metrics are attributed to the plugin that wrote them.
#pragma once

#include <dittofs/abi/host.h>
#include <dittofs/abi/plugin.h>
#include <dittofs/abi/locks.h>
#include <dittofs/abi/rpc.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace dfs::kernel {

class Runtime;
class Vfs;
namespace rpc {
class RpcServer;
class RpcClient;
}
namespace locks {
class LockManager;
}

class Metrics {
public:
    void add(const std::string& name, int64_t delta);
    std::map<std::string, int64_t> snapshot() const;

private:
    mutable std::mutex mutex_;
    std::map<std::string, int64_t> counters_;
};

class HostServices {
public:
    Runtime* runtime = nullptr;
    Vfs* vfs = nullptr;
    rpc::RpcServer* rpc = nullptr;
    rpc::RpcClient* rpcClient = nullptr;
    locks::LockManager* locks = nullptr;
    Metrics metrics;
};

class HostContext {
public:
    HostContext(std::string who, dfs_plugin_kind_t kind, HostServices* services);
    HostContext(const HostContext&) = delete;
    HostContext& operator=(const HostContext&) = delete;

    const dfs_host_api_t* api() const { return &api_; }
    const std::string& who() const { return who_; }
    HostServices* services() const { return services_; }

    static HostContext* from(void* ctx) { return static_cast<HostContext*>(ctx); }

private:
    std::string who_;
    HostServices* services_;
    dfs_host_api_t api_{};
};

// A plugin instance's configuration as the ABI passes it: views into `params`, which
// must outlive this object.
class ConfigTable {
public:
    explicit ConfigTable(const std::map<std::string, std::string>& params);
    const dfs_config_t* get() const { return &cfg_; }

private:
    std::vector<dfs_kv_t> kvs_;
    dfs_config_t cfg_{};
};

// The VFS and identity tables (vfs_table.cpp); their ctx is a HostContext.
const dfs_host_vfs_t* vfsTable();
const dfs_host_identity_t* identityTable();
// The RPC table (rpc/rpc_table.cpp).
const dfs_host_rpc_t* rpcTable();
// The lock table (locks/locks_table.cpp).
const dfs_host_locks_t* locksTable();

}  // namespace dfs::kernel

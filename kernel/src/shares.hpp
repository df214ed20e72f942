// Shares and the store instances behind them.
//
// A share is a path in the namespace bound to one metadata store instance and one block
// store instance, plus its access options. The table is immutable once built: apply()
// builds a new one from a validated config — reusing every store instance whose config
// did not change — and swaps it in atomically. Requests in flight keep the old table
// (shared_ptr), so a reload never pulls a store from under a running call.
#pragma once

#include "config.hpp"
#include "meta_cache.hpp"
#include "netaddr.hpp"
#include "plugin_loader.hpp"

#include <dittofs/cpp/store_client.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace dfs::kernel {

class StateDb;
class HostServices;
class HostContext;

class StoreInstance {
public:
    ~StoreInstance();
    const StoreConfig& config() const { return cfg_; }
    const CachedMetadata& meta() const { return meta_; }
    const BlockStoreClient& blocks() const { return blocks_; }
    const LoadedLibraryPtr& library() const { return lib_; }

private:
    friend class ShareRegistry;
    StoreConfig cfg_;
    LoadedLibraryPtr lib_;
    std::unique_ptr<HostContext> host_;
    void* inst_ = nullptr;
    CachedMetadata meta_;
    BlockStoreClient blocks_;
};
using StoreInstancePtr = std::shared_ptr<StoreInstance>;

struct Share {
    ShareConfig cfg;
    uint32_t id = 0;
    StoreInstancePtr meta;
    StoreInstancePtr blocks;
    uint64_t rootIno = 0;
    std::vector<Network> clients;

    // True if a client at `addr` (numeric, may be empty for a local caller) may use it.
    bool allows(std::string_view addr) const;
    // True if the protocol service named `protocol` (its config table name) exports it.
    bool exportedOver(std::string_view protocol) const;
};
using SharePtr = std::shared_ptr<const Share>;

struct ShareTable {
    std::map<uint32_t, SharePtr> byId;
    std::map<std::string, SharePtr, std::less<>> byName;
    std::map<std::string, SharePtr, std::less<>> byPath;
    std::map<std::string, StoreInstancePtr> metadataStores;
    std::map<std::string, StoreInstancePtr> blockStores;
};

class ShareRegistry {
public:
    ShareRegistry(PluginRegistry& plugins, StateDb* state, HostServices* services, std::string dataDir);

    // Builds and swaps in the table for `cfg`. On failure nothing changes.
    bool apply(const Config& cfg, std::string& error);
    // Drops every share and store instance (shutdown).
    void clear();

    std::shared_ptr<const ShareTable> snapshot() const;
    SharePtr byId(uint32_t id) const;
    // "/export" or "export".
    SharePtr find(std::string_view pathOrName) const;

private:
    StoreInstancePtr openStore(const StoreConfig& sc, std::string& error);

    PluginRegistry& plugins_;
    StateDb* state_;
    HostServices* services_;
    std::string dataDir_;
    std::mutex mutex_;  // serialises apply()
    std::shared_ptr<const ShareTable> table_;
};

}  // namespace dfs::kernel

#include "shares.hpp"

#include "host_api.hpp"
#include "log.hpp"
#include "state_db.hpp"

#include <cstring>
#include <filesystem>
#include <functional>

namespace dfs::kernel {

StoreInstance::~StoreInstance() {
    if (inst_ != nullptr && lib_) {
        if (cfg_.kind == DFS_PLUGIN_METADATA_STORE) {
            // Size/mtime updates of UNSTABLE WRITEs still in the cache (meta_cache.hpp).
            if (Status s = meta_.flushPending(); !s.ok()) {
                log::warn("shares", "pending_attributes_lost", {{"store", cfg_.name}, {"status", statusName(s.code())}});
            }
        }
        lib_->desc().destroy(inst_);
        log::info("shares", "store_closed", {{"kind", kindName(cfg_.kind)}, {"store", cfg_.name}, {"plugin", cfg_.plugin}});
    }
}

bool Share::allows(std::string_view addr) const {
    if (clients.empty()) {
        return true;
    }
    if (addr.empty()) {
        return false;
    }
    std::array<uint8_t, 16> a{};
    if (!parseAddress(addr, a)) {
        return false;
    }
    for (const auto& n : clients) {
        if (networkContains(n, a)) {
            return true;
        }
    }
    return false;
}

bool Share::exportedOver(std::string_view protocol) const {
    if (cfg.protocols.empty() || protocol.empty()) {
        return true;
    }
    for (const auto& p : cfg.protocols) {
        if (p == protocol) {
            return true;
        }
    }
    return false;
}

ShareRegistry::ShareRegistry(PluginRegistry& plugins, StateDb* state, HostServices* services, std::string dataDir)
    : plugins_(plugins),
      state_(state),
      services_(services),
      dataDir_(std::move(dataDir)),
      table_(std::make_shared<ShareTable>()) {}

StoreInstancePtr ShareRegistry::openStore(const StoreConfig& sc, std::string& error) {
    auto lib = plugins_.get(sc.kind, sc.plugin, error);
    if (!lib) {
        error = std::string(sc.kind == DFS_PLUGIN_METADATA_STORE ? "metadata." : "blocks.") + sc.name + ": " + error;
        return nullptr;
    }
    auto si = std::make_shared<StoreInstance>();
    si->cfg_ = sc;
    si->lib_ = lib;
    si->host_ = std::make_unique<HostContext>(
        std::string(sc.kind == DFS_PLUGIN_METADATA_STORE ? "metadata." : "blocks.") + sc.name, sc.kind, services_);
    // Every store gets the data directory, so relative paths in its config resolve there.
    std::map<std::string, std::string> params = sc.params;
    params["data_dir"] = dataDir_;
    ConfigTable cfg(params);
    void* inst = nullptr;
    dfs_err_t e = lib->desc().create(si->host_->api(), cfg.get(), &inst);
    if (e.code != DFS_OK || inst == nullptr) {
        error = std::string(sc.kind == DFS_PLUGIN_METADATA_STORE ? "metadata." : "blocks.") + sc.name +
                ": plugin '" + sc.plugin + "' could not open it: " + statusName(e.code) +
                (e.sys_errno != 0 ? " (" + std::string(std::strerror(e.sys_errno)) + ")" : "");
        return nullptr;
    }
    si->inst_ = inst;
    if (sc.kind == DFS_PLUGIN_METADATA_STORE) {
        si->meta_.attach(MetadataStoreClient(static_cast<const dfs_metadata_store_ops_t*>(lib->ops()), inst));
        if (!si->meta_.hasRequiredSlots()) {
            error = "metadata." + sc.name + ": plugin '" + sc.plugin + "' lacks a required slot";
            return nullptr;
        }
    } else {
        si->blocks_ = BlockStoreClient(static_cast<const dfs_block_store_ops_t*>(lib->ops()), inst);
        if (!si->blocks_.hasRequiredSlots()) {
            error = "blocks." + sc.name + ": plugin '" + sc.plugin + "' lacks a required slot";
            return nullptr;
        }
    }
    log::info("shares", "store_opened",
              {{"kind", kindName(sc.kind)}, {"store", sc.name}, {"plugin", sc.plugin}, {"path", lib->path()}});
    return si;
}

bool ShareRegistry::apply(const Config& cfg, std::string& error) {
    std::lock_guard<std::mutex> g(mutex_);
    auto old = std::atomic_load(&table_);
    auto next = std::make_shared<ShareTable>();
    // Reuse unchanged store instances; open the others.
    auto reuseOrOpen = [&](const std::map<std::string, StoreConfig>& wanted,
                           const std::map<std::string, StoreInstancePtr>& have,
                           std::map<std::string, StoreInstancePtr>& out) {
        for (const auto& [name, sc] : wanted) {
            auto it = have.find(name);
            if (it != have.end() && it->second->config() == sc) {
                out[name] = it->second;
                continue;
            }
            auto si = openStore(sc, error);
            if (!si) {
                return false;
            }
            out[name] = si;
        }
        return true;
    };
    // Only the stores a share uses are opened.
    std::map<std::string, StoreConfig> usedMeta;
    std::map<std::string, StoreConfig> usedBlocks;
    for (const auto& s : cfg.shares) {
        usedMeta[s.metadata] = cfg.metadata.at(s.metadata);
        usedBlocks[s.blocks] = cfg.blocks.at(s.blocks);
    }
    if (!reuseOrOpen(usedMeta, old->metadataStores, next->metadataStores) ||
        !reuseOrOpen(usedBlocks, old->blockStores, next->blockStores)) {
        return false;  // new instances are released with `next`
    }
    for (const auto& sc : cfg.shares) {
        auto share = std::make_shared<Share>();
        share->cfg = sc;
        share->meta = next->metadataStores.at(sc.metadata);
        share->blocks = next->blockStores.at(sc.blocks);
        if (state_ != nullptr && state_->isOpen()) {
            auto id = state_->shareId(sc.name);
            if (!id) {
                error = "share '" + sc.name + "': cannot record its id in the state database";
                return false;
            }
            share->id = *id;
        } else {
            share->id = static_cast<uint32_t>(std::hash<std::string>{}(sc.name) | 1u);
        }
        auto root = share->meta->meta().root();
        if (!root.ok()) {
            error = "share '" + sc.name + "': metadata store has no root: " + statusName(root.code());
            return false;
        }
        share->rootIno = *root;
        for (const auto& c : sc.clients) {
            Network n;
            parseNetwork(c, n);
            share->clients.push_back(n);
        }
        next->byId[share->id] = share;
        next->byName[sc.name] = share;
        next->byPath[sc.path] = share;
    }
    // Report what changed.
    for (const auto& [name, s] : next->byName) {
        auto it = old->byName.find(name);
        if (it == old->byName.end()) {
            log::info("shares", "share_added",
                      {{"share", name}, {"path", s->cfg.path}, {"id", std::to_string(s->id)},
                       {"metadata", s->cfg.metadata}, {"blocks", s->cfg.blocks}, {"read_only", s->cfg.readOnly ? "true" : "false"}});
        } else if (!(it->second->cfg == s->cfg) || it->second->meta != s->meta || it->second->blocks != s->blocks) {
            log::info("shares", "share_changed", {{"share", name}, {"path", s->cfg.path}});
        }
    }
    for (const auto& [name, s] : old->byName) {
        if (next->byName.count(name) == 0) {
            log::info("shares", "share_removed", {{"share", name}, {"path", s->cfg.path}});
        }
    }
    std::atomic_store(&table_, std::shared_ptr<const ShareTable>(next));
    return true;
}

void ShareRegistry::clear() {
    std::lock_guard<std::mutex> g(mutex_);
    std::atomic_store(&table_, std::shared_ptr<const ShareTable>(std::make_shared<ShareTable>()));
}

std::shared_ptr<const ShareTable> ShareRegistry::snapshot() const {
    // Readers never wait for a reload that is opening stores.
    return std::atomic_load(&table_);
}

SharePtr ShareRegistry::byId(uint32_t id) const {
    auto t = snapshot();
    auto it = t->byId.find(id);
    return it == t->byId.end() ? nullptr : it->second;
}

SharePtr ShareRegistry::find(std::string_view pathOrName) const {
    auto t = snapshot();
    if (auto it = t->byPath.find(pathOrName); it != t->byPath.end()) {
        return it->second;
    }
    if (auto it = t->byName.find(pathOrName); it != t->byName.end()) {
        return it->second;
    }
    return nullptr;
}

}  // namespace dfs::kernel

#include "server.hpp"

#include "host_api.hpp"
#include "locks/lock_manager.hpp"
#include "log.hpp"
#include "plugin_loader.hpp"
#include "rpc/rpc_client.hpp"
#include "rpc/rpc_server.hpp"
#include "runtime.hpp"
#include "shares.hpp"
#include "state_db.hpp"
#include "vfs.hpp"

#include <dittofs/cpp/views.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

namespace dfs::kernel {

// A running protocol or auth plugin instance.
struct ServiceInstance {
    ServiceConfig cfg;
    LoadedLibraryPtr lib;
    std::unique_ptr<HostContext> host;
    void* inst = nullptr;
    bool started = false;

    ~ServiceInstance() {
        if (inst == nullptr) {
            return;
        }
        // No new calls reach the instance, and the running ones finish, before it stops.
        if (host->services() != nullptr && host->services()->rpc != nullptr) {
            host->services()->rpc->detachOwner(host.get());
        }
        if (started && cfg.kind == DFS_PLUGIN_PROTOCOL) {
            auto ops = copyStruct(static_cast<const dfs_protocol_ops_t*>(lib->ops()));
            if (ops.dfs_on_stop != nullptr) {
                ops.dfs_on_stop(inst);
            }
            log::info("server", "protocol_stopped", {{"protocol", cfg.name}, {"plugin", cfg.plugin}});
        }
        lib->desc().destroy(inst);
    }
};

namespace {

std::shared_ptr<ServiceInstance> createService(PluginRegistry& plugins, HostServices* services,
                                               const ServiceConfig& sc, const std::string& dataDir,
                                               std::string& error) {
    auto lib = plugins.get(sc.kind, sc.plugin, error);
    if (!lib) {
        error = sc.name + ": " + error;
        return nullptr;
    }
    auto si = std::make_shared<ServiceInstance>();
    si->cfg = sc;
    si->lib = lib;
    si->host = std::make_unique<HostContext>(sc.name, sc.kind, services);
    // Like stores, services get the data directory for what they keep (NSM's host list),
    // unless their table names one.
    std::map<std::string, std::string> params = sc.params;
    params.emplace("data_dir", dataDir);
    ConfigTable cfg(params);
    dfs_err_t e = lib->desc().create(si->host->api(), cfg.get(), &si->inst);
    if (e.code != DFS_OK) {
        si->inst = nullptr;
        error = sc.name + ": plugin '" + sc.plugin + "' refused its config: " + statusName(e.code);
        return nullptr;
    }
    return si;
}

bool startService(ServiceInstance& si, std::string& error) {
    if (si.cfg.kind == DFS_PLUGIN_AUTH) {
        auto ops = copyStruct(static_cast<const dfs_auth_ops_t*>(si.lib->ops()));
        if (ops.flavors == nullptr || ops.verify == nullptr) {
            error = si.cfg.name + ": auth plugin lacks flavors or verify";
            return false;
        }
        if (si.host->services() != nullptr && si.host->services()->rpc != nullptr) {
            si.host->services()->rpc->registerAuth(si.host.get(), ops, si.inst);
        }
        si.started = true;
        log::info("server", "auth_started", {{"auth", si.cfg.name}, {"plugin", si.cfg.plugin}});
        return true;
    }
    auto ops = copyStruct(static_cast<const dfs_protocol_ops_t*>(si.lib->ops()));
    if (ops.dfs_on_start == nullptr) {
        error = si.cfg.name + ": protocol plugin has no start hook";
        return false;
    }
    dfs_err_t e = ops.dfs_on_start(si.inst);
    if (e.code != DFS_OK) {
        error = si.cfg.name + ": failed to start: " + statusName(e.code);
        return false;
    }
    si.started = true;
    log::info("server", "protocol_started", {{"protocol", si.cfg.name}, {"plugin", si.cfg.plugin}});
    return true;
}

std::string absolutePath(const std::string& p) {
    std::error_code ec;
    auto a = std::filesystem::absolute(p, ec);
    return ec ? p : a.lexically_normal().string();
}

}  // namespace

std::vector<std::string> defaultPluginDirs() {
    std::vector<std::string> out;
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        auto bin = exe.parent_path();
        out.push_back((bin / ".." / "plugins").lexically_normal().string());
        out.push_back((bin / ".." / "lib" / "dittofs" / "plugins").lexically_normal().string());
    }
    return out;
}

Server::Server(ServerOptions opts) : opts_(std::move(opts)) {}

Server::~Server() { stop(); }

std::vector<std::string> Server::pluginDirs() const {
    std::vector<std::string> dirs = opts_.pluginDirs;
    for (const auto& d : config_.server.pluginDirs) {
        dirs.push_back(d);
    }
    for (const auto& d : defaultPluginDirs()) {
        dirs.push_back(d);
    }
    return dirs;
}

bool Server::loadConfig(Config& out, std::string& error) const {
    if (opts_.configPath.empty()) {
        out = defaultConfig();
    } else {
        ConfigError ce;
        auto c = loadConfigFile(opts_.configPath, ce);
        if (!c) {
            error = ce.message;
            return false;
        }
        out = *c;
    }
    if (!opts_.dataDir.empty()) {
        out.server.dataDir = opts_.dataDir;
    }
    if (!opts_.logLevel.empty()) {
        out.server.logLevel = opts_.logLevel;
    }
    if (!opts_.logFile.empty()) {
        out.server.logFile = opts_.logFile;
    }
    log::Level lvl;
    if (!log::parseLevel(out.server.logLevel, lvl)) {
        error = "log level '" + out.server.logLevel + "' is not one of trace, debug, info, warn, error, critical";
        return false;
    }
    return true;
}

bool Server::start(std::string& error) {
    Config cfg;
    if (!loadConfig(cfg, error)) {
        return false;
    }
    log::Level lvl = log::Level::info;
    log::parseLevel(cfg.server.logLevel, lvl);
    log::init(lvl, cfg.server.logFile);
    dataDir_ = absolutePath(cfg.server.dataDir);
    std::error_code ec;
    std::filesystem::create_directories(dataDir_, ec);
    if (ec) {
        error = "cannot create data directory " + dataDir_ + ": " + ec.message();
        return false;
    }
    // One server per data directory.
    std::string lockPath = dataDir_ + "/dittofsd.lock";
    lockFd_ = ::open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lockFd_ < 0 || ::flock(lockFd_, LOCK_EX | LOCK_NB) != 0) {
        error = "data directory " + dataDir_ + " is in use by another dittofsd (" + lockPath + ")";
        return false;
    }
    log::info("server", "starting",
              {{"config", cfg.source}, {"data_dir", dataDir_}, {"pid", std::to_string(::getpid())},
               {"abi", std::to_string(DFS_ABI_MAJOR) + "." + std::to_string(DFS_ABI_MINOR)}});
    services_ = std::make_unique<HostServices>();
    runtime_ = std::make_unique<Runtime>(cfg.server.ioThreads, cfg.server.workers, cfg.server.queueLimit);
    services_->runtime = runtime_.get();
    state_ = std::make_unique<StateDb>();
    if (!state_->open(dataDir_ + "/state.db", error)) {
        error = "state database: " + error;
        return false;
    }
    lockStore_ = std::make_unique<locks::LockStore>(*state_);  // LockManager::start() creates its tables
    lockScheduler_ = locks::makeRuntimeScheduler(*runtime_);
    locks::LockManagerConfig lc;
    lc.graceMs = uint64_t{cfg.locks.graceSeconds} * 1000;
    lc.leaseBreakTimeoutMs = uint64_t{cfg.locks.leaseBreakSeconds} * 1000;
    lc.maxWaitersPerClient = cfg.locks.maxWaitersPerClient;
    locks_ = std::make_unique<locks::LockManager>(lc, *lockScheduler_, lockStore_.get());
    if (Status s = locks_->start(); !s.ok()) {
        error = std::string("lock manager: ") + statusName(s.code());
        return false;
    }
    services_->locks = locks_.get();  // LockManager::start() logs a grace period it begins
    plugins_ = std::make_unique<PluginRegistry>(services_.get());
    shares_ = std::make_unique<ShareRegistry>(*plugins_, state_.get(), services_.get(), dataDir_);
    vfs_ = std::make_unique<Vfs>(*shares_);
    services_->vfs = vfs_.get();
    auto boot = state_->bumpBootCount();
    vfs_->setWriteVerifier(boot.value_or(0));
    runtime_->start();
    rpc::RpcConfig rc;
    rc.bind = cfg.rpc.bind;
    rc.portmapPort = cfg.rpc.portmapPort;
    rc.portmapper = cfg.rpc.portmapper;
    rc.rpcbindSocket = cfg.rpc.rpcbindSocket;
    rc.maxRecord = cfg.rpc.maxRecord;
    rc.maxInFlightPerConnection = cfg.rpc.maxInFlight;
    rc.drcEntries = cfg.rpc.drcEntries;
    rc.drcBytes = size_t{cfg.rpc.drcMegabytes} << 20;
    rpc_ = std::make_unique<rpc::RpcServer>(*runtime_, rc);
    if (!rpc_->start(error)) {
        return false;
    }
    services_->rpc = rpc_.get();
    rpcClient_ = std::make_unique<rpc::RpcClient>(*runtime_, cfg.rpc.clientPortmapPort);
    services_->rpcClient = rpcClient_.get();
    config_ = cfg;
    if (!apply(cfg, error)) {
        return false;
    }
    started_ = true;
    log::info("server", "ready",
              {{"shares", std::to_string(shares_->snapshot()->byName.size())},
               {"protocols", std::to_string(serviceInstances_.size())},
               {"boot", std::to_string(boot.value_or(0))}});
    return true;
}

bool Server::apply(const Config& cfg, std::string& error) {
    config_.server.pluginDirs = cfg.server.pluginDirs;
    plugins_->setDirs(pluginDirs());
    for (const auto& d : plugins_->dirs()) {
        log::debug("server", "plugin_dir", {{"path", d}});
    }
    // Prepare services that are new or changed, without starting them.
    std::map<std::string, std::shared_ptr<ServiceInstance>> next;
    std::vector<std::shared_ptr<ServiceInstance>> fresh;
    for (const auto& [key, sc] : cfg.services) {
        if (!sc.enabled) {
            continue;
        }
        auto it = serviceInstances_.find(key);
        if (it != serviceInstances_.end() && it->second->cfg == sc) {
            next[key] = it->second;
            continue;
        }
        auto si = createService(*plugins_, services_.get(), sc, dataDir_, error);
        if (!si) {
            return false;
        }
        next[key] = si;
        fresh.push_back(si);
    }
    if (!shares_->apply(cfg, error)) {
        return false;
    }
    // Stop what went away or changed (destructors stop and destroy), then start the new.
    for (auto it = serviceInstances_.begin(); it != serviceInstances_.end();) {
        auto n = next.find(it->first);
        if (n == next.end() || n->second != it->second) {
            it = serviceInstances_.erase(it);
        } else {
            ++it;
        }
    }
    for (auto& si : fresh) {
        if (!startService(*si, error)) {
            next.erase("protocol." + si->cfg.name);
            next.erase("auth." + si->cfg.name);
            log::error("server", "service_start_failed", {{"error", error}});
        }
    }
    serviceInstances_ = std::move(next);
    std::string lvlName = cfg.server.logLevel;
    log::Level lvl;
    if (log::parseLevel(lvlName, lvl)) {
        log::setLevel(lvl);
    }
    return true;
}

bool Server::reload(std::string& error) {
    Config cfg;
    if (!loadConfig(cfg, error)) {
        log::error("server", "reload_rejected", {{"error", error}, {"keeping", config_.source}});
        return false;
    }
    if (!(cfg.locks == config_.locks)) {
        log::warn("server", "reload_locks_ignored", {{"why", "[locks] changes need a restart"}});
    }
    if (!(cfg.rpc == config_.rpc)) {
        log::warn("server", "reload_rpc_ignored", {{"why", "[rpc] changes need a restart"}});
    }
    // What runs is what is kept: the next reload compares against these, not the ignored ones.
    cfg.locks = config_.locks;
    cfg.rpc = config_.rpc;
    if (absolutePath(cfg.server.dataDir) != dataDir_) {
        log::warn("server", "reload_data_dir_ignored",
                  {{"wanted", absolutePath(cfg.server.dataDir)}, {"using", dataDir_}, {"why", "needs a restart"}});
    }
    if (!apply(cfg, error)) {
        log::error("server", "reload_failed", {{"error", error}, {"keeping", config_.source}});
        return false;
    }
    config_ = cfg;
    log::info("server", "reloaded",
              {{"config", cfg.source}, {"shares", std::to_string(shares_->snapshot()->byName.size())}});
    return true;
}

void Server::stop() {
    if (stopped_ || !runtime_) {
        return;
    }
    stopped_ = true;
    log::info("server", "stopping");
    serviceInstances_.clear();
    if (rpc_) {
        rpc_->stop();
    }
    if (runtime_) {
        runtime_->stop();  // finishes queued work
    }
    // No worker or timer can reach the lock manager any more.
    if (services_) {
        services_->locks = nullptr;
    }
    locks_.reset();
    lockStore_.reset();  // commits what is queued, marks the stop clean; before the database closes
    lockScheduler_.reset();
    if (shares_) {
        shares_->clear();  // closes store instances (stores flush on destroy)
    }
    if (state_) {
        state_->close();
    }
    if (lockFd_ >= 0) {
        ::close(lockFd_);
        lockFd_ = -1;
    }
    log::info("server", "stopped");
    log::flush();
    started_ = false;
}

void Server::requestStop() {
    {
        std::lock_guard<std::mutex> g(eventMutex_);
        stopRequested_ = true;
    }
    eventCv_.notify_all();
}

void Server::requestReload() {
    {
        std::lock_guard<std::mutex> g(eventMutex_);
        reloadRequested_ = true;
    }
    eventCv_.notify_all();
}

int Server::run() {
    std::string error;
    if (!start(error)) {
        log::error("server", "start_failed", {{"error", error}});
        log::flush();
        stop();
        return 1;
    }
    boost::asio::signal_set signals(runtime_->io(), SIGTERM, SIGINT, SIGHUP);
    std::function<void(const boost::system::error_code&, int)> onSignal;
    onSignal = [&](const boost::system::error_code& ec, int sig) {
        if (ec) {
            return;
        }
        if (sig == SIGHUP) {
            log::info("server", "signal", {{"signal", "SIGHUP"}});
            requestReload();
        } else {
            log::info("server", "signal", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
            requestStop();
        }
        signals.async_wait(onSignal);
    };
    signals.async_wait(onSignal);
    for (;;) {
        std::unique_lock<std::mutex> lk(eventMutex_);
        eventCv_.wait(lk, [this] { return stopRequested_ || reloadRequested_; });
        if (stopRequested_) {
            break;
        }
        reloadRequested_ = false;
        lk.unlock();
        std::string err;
        reload(err);
    }
    boost::system::error_code ec;
    signals.cancel(ec);
    stop();
    return 0;
}

Vfs& Server::vfs() { return *vfs_; }
ShareRegistry& Server::shares() { return *shares_; }

}  // namespace dfs::kernel

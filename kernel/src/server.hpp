// The server: owns the kernel services (runtime, state database, plugin registry, shares,
// VFS) and the protocol/auth plugin instances the config enables; applies a config at
// start and on every reload (SIGHUP), keeping the running one when a new one is invalid.
#pragma once

#include "config.hpp"

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace dfs::kernel {

class Runtime;
class StateDb;
class PluginRegistry;
class ShareRegistry;
class Vfs;
class HostServices;
struct ServiceInstance;
namespace rpc {
class RpcServer;
class RpcClient;
}
namespace locks {
class LockManager;
class LockScheduler;
class LockStore;
}

struct ServerOptions {
    std::string configPath;               // empty: the embedded default
    std::string dataDir;                  // overrides server.data_dir when set
    std::vector<std::string> pluginDirs;  // searched before the config's
    std::string logLevel;                 // overrides server.log_level when set
    std::string logFile;                  // overrides server.log_file when set
};

class Server {
public:
    explicit Server(ServerOptions opts);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Loads the config, opens the data directory and applies everything.
    bool start(std::string& error);
    // Re-reads the config file; on any error the running config stays in force.
    bool reload(std::string& error);
    // Stops services, closes shares and stores, flushes logs.
    void stop();
    // start(), then serves until SIGTERM/SIGINT; SIGHUP reloads. Returns the exit code.
    int run();

    // Asks run() to return (any thread, signal-safe via the runtime).
    void requestStop();
    void requestReload();

    Vfs& vfs();
    ShareRegistry& shares();
    const Config& config() const { return config_; }
    std::vector<std::string> pluginDirs() const;

private:
    bool loadConfig(Config& out, std::string& error) const;
    bool apply(const Config& cfg, std::string& error);

    ServerOptions opts_;
    Config config_;
    std::string dataDir_;
    int lockFd_ = -1;
    std::unique_ptr<HostServices> services_;
    // Destroyed after the runtime (declared before it): the runtime's timers and workers
    // may still reach the lock manager until the runtime has stopped.
    std::unique_ptr<locks::LockStore> lockStore_;
    std::unique_ptr<locks::LockScheduler> lockScheduler_;
    std::unique_ptr<locks::LockManager> locks_;
    std::unique_ptr<Runtime> runtime_;
    std::unique_ptr<rpc::RpcServer> rpc_;
    std::unique_ptr<rpc::RpcClient> rpcClient_;
    std::unique_ptr<StateDb> state_;
    std::unique_ptr<PluginRegistry> plugins_;
    std::unique_ptr<ShareRegistry> shares_;
    std::unique_ptr<Vfs> vfs_;
    std::map<std::string, std::shared_ptr<ServiceInstance>> serviceInstances_;

    std::mutex eventMutex_;
    std::condition_variable eventCv_;
    bool stopRequested_ = false;
    bool reloadRequested_ = false;
    bool started_ = false;
    bool stopped_ = false;
};

// Default plugin directories next to the executable: <bin>/../plugins and
// <bin>/../lib/dittofs/plugins.
std::vector<std::string> defaultPluginDirs();

}  // namespace dfs::kernel

// One running NFSv3 protocol instance: its settings, the kernel tables it calls (VFS and
// ONC RPC), and the MOUNT protocol's list of mounted clients. Created by plugin.cpp from
// the `[protocol.nfs3]` table; the dispatchers of nfs3_dispatch.cpp hand each call to
// the handlers in ops/ and mount/ together with this instance.
#pragma once

#include "mount/mount_list.hpp"

#include <dittofs/abi/dittofs.h>
#include <dittofs/cpp/plugin.hpp>
#include <dittofs/cpp/result.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace dfs::nfs3 {

inline constexpr uint32_t kMiB = 1024 * 1024;

struct Settings {
    uint32_t nfsPort = 2049;     // `port`
    uint32_t mountPort = 20048;  // `mount_port`
    bool udp = true;             // also listen on UDP
    uint32_t rtmax = kMiB;       // READ payload limit; FSINFO rtmax/rtpref
    uint32_t wtmax = kMiB;       // WRITE payload limit; FSINFO wtmax/wtpref
};

// Reads the instance's config. Unknown keys are refused (a typo must not pass silently);
// `data_dir`, which the kernel may add, is accepted and ignored.
Result<Settings> parseSettings(const Config& cfg, std::string& why);

class Instance {
public:
    Instance(const dfs_host_api_t* host, Settings settings);
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;

    const Host& host() const { return host_; }
    void* ctx() const { return host_.raw().ctx; }
    const dfs_host_vfs_t& vfs() const { return vfs_; }
    const dfs_host_rpc_t& rpc() const { return rpc_; }
    const Settings& settings() const { return settings_; }
    MountList& mounts() { return mounts_; }

    // Registers NFS and MOUNT with the kernel's RPC server (their ports in the log).
    dfs_err_t start();
    void stop();

    uint32_t nfsTcpPort() const { return nfsTcp_; }
    uint32_t mountTcpPort() const { return mountTcp_; }

private:
    Host host_;
    dfs_host_vfs_t vfs_{};
    dfs_host_rpc_t rpc_{};
    Settings settings_;
    MountList mounts_;
    bool nfsRegistered_ = false;
    bool mountRegistered_ = false;
    uint32_t nfsTcp_ = 0;
    uint32_t mountTcp_ = 0;
};

using InstancePtr = std::unique_ptr<Instance>;

// The dispatch hooks registered with the kernel (nfs3_dispatch.cpp); `inst` is an Instance.
dfs_err_t dispatchNfs(void* inst, const dfs_rpc_call_t* call);
dfs_err_t dispatchMount(void* inst, const dfs_rpc_call_t* call);
// Procedures whose replies the kernel's duplicate request cache keeps (bit = proc).
uint64_t nfsDrcProcs();
uint64_t mountDrcProcs();

}  // namespace dfs::nfs3

// One running NLM protocol instance: its settings (`[protocol.nlm]`), the kernel tables it
// calls (ONC RPC, the lock manager) and the blocked locks waiting for a GRANTED callback.
// Created by plugin.cpp; the dispatcher of nlm_dispatch.cpp hands each call to the
// handlers in ops/ together with this instance.
#pragma once

#include "nlm_waiters.hpp"
#include "nsm/monitor.hpp"

#include <dittofs/abi/dittofs.h>
#include <dittofs/cpp/plugin.hpp>
#include <dittofs/cpp/result.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace dfs::nlm {

struct Settings {
    uint32_t port = 4045;    // `port`: NLM (IANA lockd)
    uint32_t nsmPort = 0;    // `nsm_port`: NSM (0: any free port, announced by the portmapper)
    bool udp = true;         // `udp`: also listen on UDP
    std::string dataDir;     // `data_dir`: NSM keeps `<data_dir>/nsm/state` there
    std::string nsmName;     // `nsm_name`: the name announced in SM_NOTIFY (default: host name)
    // `granted_attempts`, `granted_timeout_ms`, `granted_retry_ms`: bound the GRANTED
    // callbacks and the SM_NOTIFY calls at start alike.
    WaiterSettings granted;
};

// Reads the instance's config; unknown keys are refused.
Result<Settings> parseSettings(const Config& cfg, std::string& why);

class Instance {
public:
    Instance(const dfs_host_api_t* host, Settings settings);
    ~Instance();
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;

    const Host& host() const { return host_; }
    void* ctx() const { return host_.raw().ctx; }
    const dfs_host_rpc_t& rpc() const { return rpc_; }
    const dfs_host_locks_t& locks() const { return locks_; }
    const Settings& settings() const { return settings_; }
    Waiters& waiters() { return *waiters_; }
    nsm::Monitor& monitor() { return *monitor_; }

    // Loads the NSM state, registers NLM versions 1-4 and NSM version 1 with the kernel's
    // RPC server (their ports in the log) and notifies the hosts of the previous run.
    dfs_err_t start();
    void stop();

private:
    Host host_;
    dfs_host_rpc_t rpc_{};
    dfs_host_locks_t locks_{};
    Settings settings_;
    WaitersPtr waiters_;
    nsm::MonitorPtr monitor_;
    bool registered_ = false;
    bool nsmRegistered_ = false;
};

// The dispatch hook registered with the kernel (nlm_dispatch.cpp); `inst` is an Instance.
dfs_err_t dispatchNlm(void* inst, const dfs_rpc_call_t* call);
dfs_err_t dispatchNsm(void* inst, const dfs_rpc_call_t* call);

}  // namespace dfs::nlm

// The status monitor's memory (XNFS chapter 11): this server's NSM state number and the
// client hosts it monitors, persisted in `<data_dir>/nsm/state` so that after a restart
// every host that held NLM locks hears SM_NOTIFY and reclaims during the lock manager's
// grace period.
//
// The state number follows the XNFS rule: odd while the server is up, even while down;
// each start moves it to the next odd number (a missing file counts as 0). NLM adds a
// host when it grants or queues a lock for it (as Linux lockd calls SM_MON on its local
// statd); SM_MON adds one explicitly. A host is forgotten on SM_UNMON, on its own reboot
// notice, and once it has been told of ours.
//
// At start notifyAll() sends SM_NOTIFY (UDP, through the client's portmapper) to every
// host of the previous run, all at once, each retried a bounded number of times.
#pragma once

#include <dittofs/abi/dittofs.h>
#include <dittofs/cpp/plugin.hpp>
#include <dittofs/cpp/result.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace dfs::nsm {

struct NotifySettings {
    uint32_t attempts = 5;
    uint32_t timeoutMs = 5000;
    uint32_t retryDelayMs = 1000;
};

// An SM_MON registration: who to tell (SM_MON's caller, at its address) when the host
// reboots, with which procedure, and the 16 private bytes to hand back (sm_status).
struct Registration {
    std::string callerAddress;
    std::string myName;
    uint32_t prog = 0;
    uint32_t vers = 0;
    uint32_t proc = 0;
    std::string priv;
};

struct MonitoredHost {
    std::string name;     // mon_name / NLM caller_name
    std::string address;  // where its NSM is (numeric), empty if unknown
    bool byNlm = true;    // added by NLM rather than by SM_MON
    std::vector<Registration> registrations;
};

// What a reboot notice concerns: the NLM client names to release and the SM_MON
// registrations to call back.
struct Rebooted {
    std::vector<std::string> names;
    std::vector<Registration> registrations;
};

class Monitor : public std::enable_shared_from_this<Monitor> {
public:
    // `dir`: where the state file lives (empty: nothing persists). `myName`: the name this
    // server announces in SM_NOTIFY.
    Monitor(const Host& host, const dfs_host_rpc_t& rpc, std::string dir, std::string myName, NotifySettings settings);

    // Reads the previous run's state and hosts, moves the state to the next odd number
    // and saves. False (with the reason) when the file cannot be read or written.
    bool load(std::string& why);
    int32_t state();
    const std::string& myName() const { return myName_; }

    void monitor(std::string_view name, std::string_view address, bool byNlm, const Registration* reg = nullptr);
    // FREE_ALL: forgets the host and every registration for it.
    bool unmonitor(std::string_view name);
    // SM_UNMON: drops `caller`'s registration (address, prog, vers, proc) for `name`; the
    // host stays while NLM holds state for it or other callers are registered.
    void unregister(std::string_view name, const Registration& caller);
    // SM_UNMON_ALL: drops `caller`'s registrations for every host, likewise.
    void unregisterAll(const Registration& caller);
    // The host `name`, whose notice came from `address`, rebooted: forgets it and returns
    // every name under which it may hold locks (`name`, and `address` if a host locked
    // under that name).
    Rebooted rebooted(std::string_view name, std::string_view address);
    // Calls each registration's procedure with sm_status {mon_name, state, priv}
    // (XNFS 11.2), once (UDP retransmits within the call's time).
    void callBack(const std::vector<Registration>& regs, std::string_view monName, int32_t state);
    // SM_SIMU_CRASH: the state moves on by two (still odd) and every host is returned to
    // be released and notified.
    std::vector<MonitoredHost> simulateCrash();
    std::vector<MonitoredHost> hosts();

    // Sends SM_NOTIFY to each host in parallel; a host that answers is forgotten.
    void notifyAll(const std::vector<MonitoredHost>& hosts);
    void stop();

private:
    struct Ref;
    static void onNotifyDone(void* arg, dfs_err_t status, dfs_rpc_accept_stat_t accept, dfs_bytes_t results);
    static void onRetry(void* arg);
    void sendNotify(const std::string& name, const std::string& address, uint32_t attempt);
    bool saveLocked(std::string& why);
    void saveOrWarnLocked();
    // Drops `caller`'s registrations of the host at `it` (and the host when nothing keeps
    // it) and moves `it` past it; true when anything changed.
    bool dropCallerLocked(std::map<std::string, MonitoredHost>::iterator& it, const Registration& caller);

    Host host_;
    dfs_host_rpc_t rpc_;
    std::string dir_;
    std::string myName_;
    NotifySettings settings_;
    std::mutex mu_;
    bool stopped_ = false;
    int32_t state_ = 1;
    std::map<std::string, MonitoredHost> hosts_;
};

using MonitorPtr = std::shared_ptr<Monitor>;

}  // namespace dfs::nsm

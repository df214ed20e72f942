// Blocked NLM locks, from the NLM4_BLOCKED answer to the GRANTED callback (XNFS 14.3.2,
// 14.3.6). A blocking LOCK that conflicts is queued in the kernel's lock manager with a
// completion; when the manager grants it, the completion calls the client back with
// NLM4_GRANTED (or GRANTED_MSG for a LOCK_MSG) through the kernel's RPC client, to the
// caller's address and the port its portmapper gives for NLM, retrying a bounded number
// of times. A client that refuses the callback, or never answers, gets the lock released
// again: it will ask anew (Linux clients re-send a blocked LOCK every 30 s).
//
// Shared by the LOCK, CANCEL and FREE_ALL handlers of one instance. Completions, callback
// results and retry timers hold weak references, so they find nothing to do once the
// instance has stopped.
#pragma once

#include "nlm_xdr.hpp"

#include <dittofs/abi/dittofs.h>
#include <dittofs/cpp/plugin.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace dfs::nlm {

struct WaiterSettings {
    uint32_t attempts = 5;       // GRANTED calls before giving up
    uint32_t timeoutMs = 5000;   // one GRANTED call, retransmissions included
    uint32_t retryDelayMs = 1000;
};

// What a blocked request needs to be granted, cancelled or called back, copied out of
// the call that made it.
struct BlockedRequest {
    uint32_t vers = 4;
    dfs_rpc_transport_t transport = DFS_RPC_UDP;
    bool viaMsg = false;  // came as LOCK_MSG: call back with GRANTED_MSG
    dfs_cred_t cred{};
    std::string clientAddr;
    std::string cookie;
    std::string callerName;
    std::string fh;
    std::string oh;
    uint32_t svid = 0;
    uint64_t offset = 0;
    uint64_t length = 0;
    bool exclusive = false;
    bool reclaim = false;
};

class Waiters : public std::enable_shared_from_this<Waiters> {
public:
    Waiters(const Host& host, const dfs_host_locks_t& locks, const dfs_host_rpc_t& rpc, WaiterSettings settings);

    // Asks the lock manager for the lock, queuing it if it conflicts. DFS_PENDING: queued
    // (or already queued: a re-sent request is not queued twice). Else the manager's answer.
    dfs_err_t lockBlocking(BlockedRequest req);
    // CANCEL: drops the oldest matching blocked request (a granted one whose callback is
    // still unanswered is unlocked). True if one was found.
    bool cancel(const BlockedRequest& desc);
    // True while any blocked request or callback is outstanding (a cheap test before
    // building a request to cancel).
    bool any() {
        std::lock_guard<std::mutex> g(mu_);
        return !entries_.empty();
    }
    // FREE_ALL / reboot: forgets the client's callbacks (the manager already released
    // its locks and waiters).
    void forgetClient(std::string_view callerName);
    // Stops: cancels every queued request; later completions and timers do nothing.
    void stop();

private:
    struct Entry;
    struct Ref;
    using EntryPtr = std::shared_ptr<Entry>;

    static void onLockDone(void* arg, uint64_t ticket, dfs_err_t status);
    static void onCallDone(void* arg, dfs_err_t status, dfs_rpc_accept_stat_t accept, dfs_bytes_t results);
    static void onRetry(void* arg);

    void granted(uint64_t id, dfs_err_t status);
    void sendGranted(uint64_t id);
    void callDone(uint64_t id, dfs_err_t status, dfs_rpc_accept_stat_t accept, dfs_bytes_t results);
    void retryOrRelease(uint64_t id);
    void release(const EntryPtr& e);
    dfs_lock_args_t argsOf(const Entry& e, dfs_fh_t& fh) const;
    Ref* ref(uint64_t id);

    Host host_;
    dfs_host_locks_t locks_;
    dfs_host_rpc_t rpc_;
    WaiterSettings settings_;
    std::mutex mu_;
    bool stopped_ = false;
    uint64_t nextId_ = 1;
    std::map<uint64_t, EntryPtr> entries_;
};

using WaitersPtr = std::shared_ptr<Waiters>;

}  // namespace dfs::nlm

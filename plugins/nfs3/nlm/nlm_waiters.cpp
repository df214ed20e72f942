// Blocked NLM locks and the GRANTED callback (nlm_waiters.hpp; XNFS 14.3.2, 14.3.6).
#include "nlm_waiters.hpp"

#include <dittofs/cpp/views.hpp>

#include <cstring>
#include <vector>

namespace dfs::nlm {

struct Waiters::Entry {
    enum class State { queuing, queued, granting, cancelled };
    BlockedRequest req;
    State state = State::queuing;
    uint64_t ticket = 0;
    Ref* doneRef = nullptr;  // the completion's argument while queued
    uint32_t attempts = 0;
};

// The argument of a completion, callback or timer: which entry of which instance.
struct Waiters::Ref {
    std::weak_ptr<Waiters> owner;
    uint64_t id;
};

namespace {

bool sameLock(const BlockedRequest& a, const BlockedRequest& b) {
    return a.callerName == b.callerName && a.oh == b.oh && a.svid == b.svid && a.fh == b.fh && a.offset == b.offset &&
           a.length == b.length && a.exclusive == b.exclusive;
}

}  // namespace

Waiters::Waiters(const Host& host, const dfs_host_locks_t& locks, const dfs_host_rpc_t& rpc, WaiterSettings settings)
    : host_(host), locks_(locks), rpc_(rpc), settings_(settings) {}

Waiters::Ref* Waiters::ref(uint64_t id) { return new Ref{weak_from_this(), id}; }

dfs_lock_args_t Waiters::argsOf(const Entry& e, dfs_fh_t& fh) const {
    std::memset(&fh, 0, sizeof fh);
    fh.len = static_cast<uint32_t>(e.req.fh.size());
    std::memcpy(fh.data, e.req.fh.data(), e.req.fh.size());
    auto a = makeStruct<dfs_lock_args_t>();
    a.flags = static_cast<uint32_t>(DFS_LOCK_BLOCK) | (e.req.reclaim ? static_cast<uint32_t>(DFS_LOCK_RECLAIM) : 0u);
    a.fh = &fh;
    a.owner = makeStruct<dfs_lock_owner_t>();
    a.owner.protocol = DFS_LOCK_NLM;
    a.owner.client = toC(e.req.callerName);
    a.owner.owner = toBytes(e.req.oh);
    a.owner.pid = e.req.svid;
    a.offset = e.req.offset;
    a.length = e.req.length;
    a.type = e.req.exclusive ? DFS_LOCK_WRITE : DFS_LOCK_READ;
    return a;
}

dfs_err_t Waiters::lockBlocking(BlockedRequest req) {
    if (req.fh.size() > DFS_FH_MAX) {
        return dfs_err_t{DFS_ERR_BADHANDLE, 0};
    }
    auto e = std::make_shared<Entry>();
    e->req = std::move(req);
    e->req.cred.client_addr = toC(e->req.clientAddr);
    e->req.cred.principal = dfs_str_t{nullptr, 0};
    uint64_t id = 0;
    Ref* r = nullptr;
    {
        std::lock_guard<std::mutex> g(mu_);
        if (stopped_) {
            return dfs_err_t{DFS_ERR_SHUTDOWN, 0};
        }
        for (const auto& [k, other] : entries_) {
            bool waiting = other->state == Entry::State::queuing || other->state == Entry::State::queued;
            if (waiting && sameLock(other->req, e->req)) {
                return dfs_err_t{DFS_PENDING, 0};  // a re-sent request: still queued
            }
        }
        id = nextId_++;
        r = ref(id);
        e->doneRef = r;
        entries_[id] = e;
    }
    dfs_fh_t fh;
    dfs_lock_args_t a = argsOf(*e, fh);
    uint64_t ticket = 0;
    dfs_err_t st = locks_.lock(host_.raw().ctx, &e->req.cred, &a, &Waiters::onLockDone, r, &ticket);
    std::lock_guard<std::mutex> g(mu_);
    if (st.code != DFS_PENDING) {
        // Answered at once: the completion will not run.
        entries_.erase(id);
        delete r;
        return st;
    }
    if (e->state == Entry::State::queuing) {
        e->state = Entry::State::queued;
        e->ticket = ticket;
    } else if (e->state == Entry::State::cancelled && entries_.count(id) != 0 &&
               locks_.cancel(host_.raw().ctx, ticket).code == DFS_OK) {
        entries_.erase(id);  // a CANCEL overtook the LOCK it names
        delete r;
    }
    return st;
}

void Waiters::onLockDone(void* arg, uint64_t /*ticket*/, dfs_err_t status) {
    auto* r = static_cast<Ref*>(arg);
    if (auto self = r->owner.lock()) {
        self->granted(r->id, status);
    }
    delete r;
}

void Waiters::granted(uint64_t id, dfs_err_t status) {
    {
        std::lock_guard<std::mutex> g(mu_);
        auto it = entries_.find(id);
        if (it == entries_.end()) {
            return;
        }
        it->second->doneRef = nullptr;
        if (it->second->state == Entry::State::cancelled) {
            EntryPtr e = it->second;
            entries_.erase(it);
            if (status.code == DFS_OK) {
                release(e);  // granted after the client cancelled: give it back
            }
            return;
        }
        if (status.code != DFS_OK || stopped_) {
            // Cancelled or released (FREE_ALL, a reboot): no callback (LOCKING.md).
            entries_.erase(it);
            return;
        }
        it->second->state = Entry::State::granting;
    }
    sendGranted(id);
}

void Waiters::sendGranted(uint64_t id) {
    EntryPtr e;
    std::string args;
    {
        std::lock_guard<std::mutex> g(mu_);
        auto it = entries_.find(id);
        if (it == entries_.end() || stopped_) {
            return;
        }
        e = it->second;
        const BlockedRequest& q = e->req;
        Lock l{q.callerName, q.fh, q.oh, q.svid, q.offset, q.length};
        args = encodeGrantedArgs(q.vers, q.cookie, q.exclusive, l);
        e->attempts++;
    }
    // Outside our mutex: the kernel may run the completion on any thread. `e` keeps the
    // address alive during the call, which copies what it keeps.
    auto t = makeStruct<dfs_rpc_target_t>();
    t.transport = e->req.transport;
    t.address = toC(e->req.clientAddr);
    t.port = 0;  // the client's portmapper says where its NLM listens
    t.prog = kNlmProgram;
    t.vers = e->req.vers;
    t.proc = e->req.viaMsg ? kProcGrantedMsg : kProcGranted;
    t.timeout_ms = settings_.timeoutMs;
    Ref* r = ref(id);
    if (rpc_.call(host_.raw().ctx, &t, toBytes(args), &Waiters::onCallDone, r).code == DFS_OK) {
        return;
    }
    delete r;
    retryOrRelease(id);
}

void Waiters::onCallDone(void* arg, dfs_err_t status, dfs_rpc_accept_stat_t accept, dfs_bytes_t results) {
    auto* r = static_cast<Ref*>(arg);
    if (auto self = r->owner.lock()) {
        self->callDone(r->id, status, accept, results);
    }
    delete r;
}

void Waiters::callDone(uint64_t id, dfs_err_t status, dfs_rpc_accept_stat_t accept, dfs_bytes_t results) {
    EntryPtr e;
    {
        std::lock_guard<std::mutex> g(mu_);
        auto it = entries_.find(id);
        if (it == entries_.end()) {
            return;  // cancelled or released meanwhile
        }
        e = it->second;
        if (status.code == DFS_OK && accept == DFS_RPC_SUCCESS) {
            entries_.erase(it);
        }
    }
    if (status.code != DFS_OK || accept != DFS_RPC_SUCCESS) {
        host_.debug("event=nlm_granted_unanswered client=" + e->req.clientAddr + " caller=" + e->req.callerName +
                    " status=" + statusName(status.code) + " accept=" + std::to_string(accept));
        retryOrRelease(id);
        return;
    }
    if (e->req.viaMsg) {
        return;  // GRANTED_MSG has no results; the client answers with GRANTED_RES
    }
    // nlm4_res: a client that no longer wants the lock says so (XNFS 14.3.6).
    ResArgs res;
    if (decodeResArgs(results, res) && res.stat != NLM4_GRANTED) {
        host_.debug("event=nlm_granted_refused caller=" + e->req.callerName + " stat=" + std::to_string(res.stat));
        release(e);
    }
}

void Waiters::onRetry(void* arg) {
    auto* r = static_cast<Ref*>(arg);
    if (auto self = r->owner.lock()) {
        self->sendGranted(r->id);
    }
    delete r;
}

void Waiters::retryOrRelease(uint64_t id) {
    EntryPtr e;
    {
        std::lock_guard<std::mutex> g(mu_);
        auto it = entries_.find(id);
        if (it == entries_.end() || stopped_) {
            return;
        }
        if (it->second->attempts < settings_.attempts && host_.raw().timer_start != nullptr) {
            host_.raw().timer_start(host_.raw().ctx, settings_.retryDelayMs, &Waiters::onRetry, ref(id));
            return;
        }
        e = it->second;
        entries_.erase(it);
    }
    host_.warn("event=nlm_granted_failed client=" + e->req.clientAddr + " caller=" + e->req.callerName +
               " attempts=" + std::to_string(e->attempts) + " action=released");
    release(e);
}

void Waiters::release(const EntryPtr& e) {
    dfs_fh_t fh;
    dfs_lock_args_t a = argsOf(*e, fh);
    a.flags = 0;
    (void)locks_.unlock(host_.raw().ctx, &e->req.cred, &a);
}

bool Waiters::cancel(const BlockedRequest& desc) {
    EntryPtr granting;
    {
        std::lock_guard<std::mutex> g(mu_);
        for (auto it = entries_.begin(); it != entries_.end(); ++it) {
            EntryPtr e = it->second;
            if (e->state == Entry::State::cancelled || !sameLock(e->req, desc)) {
                continue;
            }
            if (e->state == Entry::State::granting) {
                granting = e;
                entries_.erase(it);
                break;
            }
            if (e->state == Entry::State::queued && locks_.cancel(host_.raw().ctx, e->ticket).code == DFS_OK) {
                delete e->doneRef;  // its completion will not run
                entries_.erase(it);
                return true;
            }
            // Still being queued, or the grant is on its way: the completion gives it back.
            e->state = Entry::State::cancelled;
            return true;
        }
    }
    if (granting) {
        // Granted but the client has not acknowledged: it no longer wants the lock.
        release(granting);
        return true;
    }
    return false;
}

void Waiters::forgetClient(std::string_view callerName) {
    std::lock_guard<std::mutex> g(mu_);
    for (auto it = entries_.begin(); it != entries_.end();) {
        if (it->second->req.callerName == callerName && it->second->state == Entry::State::granting) {
            it = entries_.erase(it);
        } else {
            ++it;
        }
    }
}

void Waiters::stop() {
    std::lock_guard<std::mutex> g(mu_);
    stopped_ = true;
    for (auto& [id, e] : entries_) {
        if (e->state == Entry::State::queued && locks_.cancel != nullptr &&
            locks_.cancel(host_.raw().ctx, e->ticket).code == DFS_OK) {
            delete e->doneRef;
        }
    }
    entries_.clear();
}

}  // namespace dfs::nlm

// Share reservations and leases (SMB leases and oplocks, NFSv4 delegations): granting
// them, breaking them when another client's access conflicts, acknowledgement and
// revocation after the break timeout, and the requests parked while a break is on.
#include "lock_manager.hpp"

#include "../log.hpp"

namespace dfs::kernel::locks {

Result<OpenGranted> LockManager::openShare(const ShareRequest& req, OpenCompletion done) {
    if ((req.access & ~kShareAll) != 0 || (req.deny & ~kShareAll) != 0) {
        return makeError(DFS_ERR_INVAL);
    }
    Deferred d;
    Result<OpenGranted> r = OpenGranted{};
    {
        std::lock_guard<std::mutex> g(mutex_);
        Status a = admitLocked(req.owner, req.reclaim);
        if (!a) {
            return a.error();
        }
        r = openLocked(req, std::move(done), 0, d);
    }
    flush(d);
    return r;
}

Result<OpenGranted> LockManager::openLocked(const ShareRequest& req, OpenCompletion done, uint64_t ticket,
                                            Deferred& d) {
    AccessKind kind = (req.access & kShareWrite) != 0 ? AccessKind::openWrite : AccessKind::openRead;
    if (breakLeases(req.file, req.owner, kind, d)) {
        if (!req.block) {
            return makeError(DFS_ERR_DELAY, EAGAIN);  // the breaks are under way: ask again
        }
        ticket = ticket != 0 ? ticket : nextTicket();
        BreakWaiter bw;
        bw.kind = BreakWaiter::Kind::open;
        bw.ticket = ticket;
        bw.requester = req.owner;
        bw.shareReq = req;
        bw.openDone = std::move(done);
        files_[req.file].breakWaiters.push_back(std::move(bw));
        ticketFile_[ticket] = req.file;
        return OpenGranted{true, ticket, 0};
    }
    FileState& fs = files_[req.file];
    for (const auto& [id, s] : fs.shares) {
        if (sharesConflict(req.access, req.deny, s.access, s.deny)) {
            dropIdle(req.file);
            return lockError(LockFault::shareDenied);
        }
    }
    ShareRecord rec{nextShare_++, req.file, req.owner, req.access, req.deny};
    fs.shares[rec.id] = rec;
    shareFile_[rec.id] = req.file;
    noteClient(clientOf(req.owner));
    if (store_ != nullptr) {
        store_->putShare(rec);
    }
    if (req.reclaim) {
        noteReclaimed(ReclaimKey{req.file, req.owner, req.access, req.deny, 0, true});
    }
    return OpenGranted{false, ticket, rec.id};
}

Status LockManager::changeShare(uint64_t shareId, uint32_t access, uint32_t deny) {
    if ((access & ~kShareAll) != 0 || (deny & ~kShareAll) != 0) {
        return makeError(DFS_ERR_INVAL);
    }
    std::lock_guard<std::mutex> g(mutex_);
    auto f = shareFile_.find(shareId);
    if (f == shareFile_.end()) {
        return lockError(LockFault::notLocked);
    }
    FileState& fs = files_[f->second];
    for (const auto& [id, s] : fs.shares) {
        if (id != shareId && sharesConflict(access, deny, s.access, s.deny)) {
            return lockError(LockFault::shareDenied);
        }
    }
    ShareRecord& rec = fs.shares[shareId];
    rec.access = access;
    rec.deny = deny;
    if (store_ != nullptr) {
        store_->putShare(rec);
    }
    return okStatus();
}

Status LockManager::closeShareMatching(const FileKey& file, const LockOwner& owner, uint32_t access, uint32_t deny) {
    std::lock_guard<std::mutex> g(mutex_);
    auto fit = files_.find(file);
    if (fit != files_.end()) {
        // Ids grow with time, so the first match in the map is the oldest.
        for (const auto& [id, s] : fit->second.shares) {
            if (s.owner == owner && s.access == access && s.deny == deny) {
                return closeShareLocked(id);
            }
        }
    }
    return lockError(LockFault::notLocked);
}

Status LockManager::closeShare(uint64_t shareId) {
    std::lock_guard<std::mutex> g(mutex_);
    return closeShareLocked(shareId);
}

Status LockManager::closeShareLocked(uint64_t shareId) {
    auto f = shareFile_.find(shareId);
    if (f == shareFile_.end()) {
        return lockError(LockFault::notLocked);
    }
    FileKey file = f->second;
    shareFile_.erase(f);
    files_[file].shares.erase(shareId);
    if (store_ != nullptr) {
        store_->removeShare(shareId);
    }
    dropIdle(file);
    return okStatus();
}

Result<LeaseInfo> LockManager::grantLease(const LeaseRequest& req) {
    if (req.level == kLeaseNone || !validLeaseLevel(req.level)) {
        return makeError(DFS_ERR_INVAL);
    }
    // Like flush(): a new client's record is committed after the mutex is let go.
    struct Settle {
        LockManager& m;
        ~Settle() { m.settleClients(); }
    } settle{*this};
    std::lock_guard<std::mutex> g(mutex_);
    if (grace_) {
        return lockError(LockFault::grace);
    }
    FileState& fs = files_[req.file];
    uint32_t level = req.level;
    Lease* mine = nullptr;
    for (auto& [id, l] : fs.leases) {
        if (l.info.owner.sameClient(req.owner)) {
            if (l.info.key == req.key) {
                mine = &l;
            }
            continue;
        }
        if (l.info.breaking || (l.info.level & kLeaseWrite) != 0) {
            level = kLeaseNone;  // that lease must be broken first, by an open of this client
        }
        level &= ~kLeaseWrite;
    }
    for (const auto& [id, s] : fs.shares) {
        if (s.owner.sameClient(req.owner)) {
            continue;
        }
        level &= ~kLeaseWrite;
        if ((s.access & kShareWrite) != 0) {
            level = kLeaseNone;  // another client writes: nothing may be cached
        }
    }
    for (const auto& l : fs.ranges.locks()) {
        if (l.owner.sameClient(req.owner)) {
            continue;
        }
        level &= ~kLeaseWrite;
        if (l.type == LockType::write) {
            level = kLeaseNone;
        }
    }
    if ((level & kLeaseRead) == 0) {
        level = kLeaseNone;
    }
    if (mine != nullptr) {
        if (mine->info.breaking) {
            return lockError(LockFault::conflict);
        }
        mine->info.level |= level;  // a lease is only upgraded by asking again
        return mine->info;
    }
    if (level == kLeaseNone) {
        dropIdle(req.file);
        return lockError(LockFault::conflict);
    }
    Lease l;
    l.info = LeaseInfo{nextLease_++, req.file, req.owner, req.key, level, false, 0};
    l.hook = req.onBreak;
    leaseFile_[l.info.id] = req.file;
    noteClient(clientOf(req.owner));
    LeaseInfo info = l.info;
    fs.leases[info.id] = std::move(l);
    return info;
}

bool LockManager::breakLeases(const FileKey& file, const LockOwner& requester, AccessKind kind, Deferred& d) {
    auto fit = files_.find(file);
    if (fit == files_.end()) {
        return false;
    }
    bool pending = false;
    for (auto& [id, l] : fit->second.leases) {
        if (l.info.owner.sameClient(requester)) {
            continue;
        }
        uint32_t target = leaseBreakTarget(l.info.level, l.info.owner.protocol, kind);
        if (target == l.info.level) {
            continue;
        }
        pending = true;
        if (l.info.breaking) {
            continue;  // wait for the break under way; a further one follows its ack if needed
        }
        l.info.breaking = true;
        l.info.breakTo = target;
        uint64_t gen = ++l.generation;
        uint64_t leaseId = id;
        l.timer = sched_.startTimer(cfg_.leaseBreakTimeoutMs, [this, leaseId, gen] { onBreakTimeout(leaseId, gen); });
        LeaseBreak ev{leaseId, file, l.info.key, l.info.level, target, false};
        if (l.hook) {
            d.push_back([hook = l.hook, ev] { hook(ev); });
        }
    }
    return pending;
}

void LockManager::retryBreakWaiters(const FileKey& file, Deferred& d) {
    auto fit = files_.find(file);
    if (fit == files_.end() || fit->second.breakWaiters.empty()) {
        return;
    }
    std::vector<BreakWaiter> waiting = std::move(fit->second.breakWaiters);
    fit->second.breakWaiters.clear();
    // Queues a completion to run after the mutex is dropped (null completions are fine).
    auto complete = [&d](auto done, uint64_t t, auto value) {
        d.push_back([done = std::move(done), t, value = std::move(value)] {
            if (done) {
                done(t, value);
            }
        });
    };
    for (auto& bw : waiting) {
        uint64_t t = bw.ticket;
        ticketFile_.erase(t);
        switch (bw.kind) {
        case BreakWaiter::Kind::lock: {
            LockCompletion done = bw.lockDone;
            auto r = lockLocked(bw.lockReq, std::move(bw.lockDone), t, d);
            if (!r.ok() || !r->pending) {
                complete(std::move(done), t, r.ok() ? okStatus() : Status(r.error()));
            }
            break;
        }
        case BreakWaiter::Kind::open: {
            OpenCompletion done = bw.openDone;
            auto r = openLocked(bw.shareReq, std::move(bw.openDone), t, d);
            if (!r.ok() || !r->pending) {
                complete(std::move(done), t, r.ok() ? Result<uint64_t>(r->shareId) : Result<uint64_t>(r.error()));
            }
            break;
        }
        case BreakWaiter::Kind::access:
            if (breakLeases(file, bw.requester, bw.access, d)) {
                files_[file].breakWaiters.push_back(std::move(bw));
                ticketFile_[t] = file;
            } else {
                complete(std::move(bw.lockDone), t, okStatus());
            }
            break;
        }
    }
    dropIdle(file);
}

Result<Initiated> LockManager::checkAccess(const FileKey& file, const LockOwner& requester, AccessKind kind,
                                           LockCompletion done) {
    Deferred d;
    Initiated out;
    {
        std::lock_guard<std::mutex> g(mutex_);
        if (breakLeases(file, requester, kind, d)) {
            BreakWaiter bw;
            bw.kind = BreakWaiter::Kind::access;
            bw.ticket = nextTicket();
            bw.requester = requester;
            bw.access = kind;
            bw.lockDone = std::move(done);
            out = Initiated{true, bw.ticket};
            ticketFile_[bw.ticket] = file;
            files_[file].breakWaiters.push_back(std::move(bw));
        }
    }
    flush(d);
    return out;
}

void LockManager::removeLeaseLocked(FileState& fs, std::map<uint64_t, Lease>::iterator it) {
    if (it->second.timer != 0) {
        sched_.cancelTimer(it->second.timer);
    }
    leaseFile_.erase(it->first);
    fs.leases.erase(it);
}

Status LockManager::ackBreak(uint64_t leaseId, uint32_t level) {
    Deferred d;
    {
        std::lock_guard<std::mutex> g(mutex_);
        auto f = leaseFile_.find(leaseId);
        if (f == leaseFile_.end()) {
            return lockError(LockFault::notLocked);
        }
        FileKey file = f->second;
        FileState& fs = files_[file];
        auto it = fs.leases.find(leaseId);
        Lease& l = it->second;
        if (!l.info.breaking || !validLeaseLevel(level) || (level & ~l.info.breakTo) != 0) {
            return makeError(DFS_ERR_INVAL);
        }
        if (l.timer != 0) {
            sched_.cancelTimer(l.timer);
            l.timer = 0;
        }
        l.info.breaking = false;
        l.info.level = level;
        l.info.breakTo = 0;
        if (level == kLeaseNone) {
            removeLeaseLocked(fs, it);
        }
        retryBreakWaiters(file, d);
        dropIdle(file);
    }
    flush(d);
    return okStatus();
}

Status LockManager::releaseLease(uint64_t leaseId) {
    Deferred d;
    {
        std::lock_guard<std::mutex> g(mutex_);
        auto f = leaseFile_.find(leaseId);
        if (f == leaseFile_.end()) {
            return lockError(LockFault::notLocked);
        }
        FileKey file = f->second;
        FileState& fs = files_[file];
        removeLeaseLocked(fs, fs.leases.find(leaseId));
        retryBreakWaiters(file, d);
        dropIdle(file);
    }
    flush(d);
    return okStatus();
}

void LockManager::onBreakTimeout(uint64_t leaseId, uint64_t generation) {
    Deferred d;
    {
        std::lock_guard<std::mutex> g(mutex_);
        auto f = leaseFile_.find(leaseId);
        if (f == leaseFile_.end()) {
            return;
        }
        FileKey file = f->second;
        FileState& fs = files_[file];
        auto it = fs.leases.find(leaseId);
        Lease& l = it->second;
        if (!l.info.breaking || l.generation != generation) {
            return;  // acknowledged meanwhile, or a later break owns the timer
        }
        log::warn("locks", "lease_revoked",
                  {{"client", l.info.owner.clientId}, {"protocol", protocolName(l.info.owner.protocol)},
                   {"from", std::to_string(l.info.level)}, {"to", std::to_string(l.info.breakTo)}});
        LeaseBreak ev{leaseId, file, l.info.key, l.info.level, l.info.breakTo, true};
        if (l.hook) {
            d.push_back([hook = l.hook, ev] { hook(ev); });
        }
        l.timer = 0;
        l.info.breaking = false;
        l.info.level = l.info.breakTo;
        l.info.breakTo = 0;
        if (l.info.level == kLeaseNone) {
            removeLeaseLocked(fs, it);
        }
        retryBreakWaiters(file, d);
        dropIdle(file);
    }
    flush(d);
}

}  // namespace dfs::kernel::locks

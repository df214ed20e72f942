// Byte-range locks, their waiters and the wait-for graph, bulk release and queries.
// Share reservations and leases are in lock_manager_open.cpp, start-up, grace and
// write-through in lock_manager_grace.cpp.
#include "lock_manager.hpp"

#include <algorithm>

namespace dfs::kernel::locks {
namespace {

RangeLock asHeld(const LockRequest& r) { return RangeLock{r.file, r.owner, r.range, r.type}; }

// True if some granted lock of `owner` blocks `w`: such a waiter cannot be granted before
// the owner lets go, so it must not hold the owner's own requests back (an upgrade or
// downgrade behind a waiter it blocks would otherwise deadlock).
bool blockedBy(const RangeLockList& ranges, const LockOwner& owner, const LockRequest& w) {
    for (const auto& l : ranges.locks()) {
        if (l.owner == owner && rangeConflicts(l, w.owner, w.range, w.type)) {
            return true;
        }
    }
    return false;
}

}  // namespace

void LockManager::flush(Deferred& d) {
    settleClients();
    for (auto& fn : d) {
        sched_.post(std::move(fn));
    }
    d.clear();
}

Status LockManager::admitLocked(const LockOwner& owner, bool reclaim) const {
    (void)owner;
    if (grace_ && !reclaim) {
        return lockError(LockFault::grace);
    }
    if (!grace_ && reclaim) {
        return lockError(LockFault::noGrace);
    }
    return okStatus();
}

bool LockManager::waiterConflict(const FileState& fs, const LockRequest& req, size_t before) const {
    for (size_t i = 0; i < before && i < fs.waiters.size(); ++i) {
        const auto& w = fs.waiters[i].req;
        if (rangeConflicts(asHeld(w), req.owner, req.range, req.type) && !blockedBy(fs.ranges, req.owner, w)) {
            return true;
        }
    }
    return false;
}

std::set<LockOwner> LockManager::blockersOf(const FileState& fs, const LockRequest& req, size_t before) const {
    std::set<LockOwner> out;
    for (const auto& l : fs.ranges.locks()) {
        if (!(l.owner == req.owner) && rangeConflicts(l, req.owner, req.range, req.type)) {
            out.insert(l.owner);
        }
    }
    for (size_t i = 0; i < before && i < fs.waiters.size(); ++i) {
        const auto& w = fs.waiters[i].req;
        if (!(w.owner == req.owner) && rangeConflicts(asHeld(w), req.owner, req.range, req.type) &&
            !blockedBy(fs.ranges, req.owner, w)) {
            out.insert(w.owner);
        }
    }
    return out;
}

bool LockManager::wouldDeadlock(const LockOwner& requester, const std::set<LockOwner>& blockers) const {
    // The wait-for graph is rebuilt per blocking request: waiters are few, and a graph
    // kept up to date would have to follow every grant and release on every file.
    std::map<LockOwner, std::set<LockOwner>> edges;
    for (const auto& [key, fs] : files_) {
        for (size_t i = 0; i < fs.waiters.size(); ++i) {
            auto b = blockersOf(fs, fs.waiters[i].req, i);
            edges[fs.waiters[i].req.owner].insert(b.begin(), b.end());
        }
    }
    std::set<LockOwner> seen;
    std::vector<LockOwner> stack(blockers.begin(), blockers.end());
    while (!stack.empty()) {
        LockOwner o = std::move(stack.back());
        stack.pop_back();
        if (o == requester) {
            return true;
        }
        if (!seen.insert(o).second) {
            continue;
        }
        auto it = edges.find(o);
        if (it != edges.end()) {
            stack.insert(stack.end(), it->second.begin(), it->second.end());
        }
    }
    return false;
}

Result<Initiated> LockManager::lock(const LockRequest& req, LockCompletion done) {
    Deferred d;
    Result<Initiated> r = Initiated{};
    {
        std::lock_guard<std::mutex> g(mutex_);
        Status a = admitLocked(req.owner, req.reclaim);
        if (!a) {
            return a.error();
        }
        r = lockLocked(req, std::move(done), 0, d);
    }
    flush(d);
    return r;
}

Result<Initiated> LockManager::lockLocked(const LockRequest& req, LockCompletion done, uint64_t ticket, Deferred& d) {
    AccessKind kind = req.type == LockType::write ? AccessKind::writeLock : AccessKind::readLock;
    if (breakLeases(req.file, req.owner, kind, d)) {
        ticket = ticket != 0 ? ticket : nextTicket();
        BreakWaiter bw;
        bw.kind = BreakWaiter::Kind::lock;
        bw.ticket = ticket;
        bw.requester = req.owner;
        bw.lockReq = req;
        bw.lockDone = std::move(done);
        files_[req.file].breakWaiters.push_back(std::move(bw));
        ticketFile_[ticket] = req.file;
        return Initiated{true, ticket};
    }
    FileState& fs = files_[req.file];
    bool held = fs.ranges.findConflict(req.owner, req.range, req.type).has_value();
    if (!held && !waiterConflict(fs, req, fs.waiters.size())) {
        fs.ranges.grant(req.file, req.owner, req.range, req.type);
        noteClient(clientOf(req.owner));
        persistOwner(req.file, req.owner);
        if (req.reclaim) {
            noteReclaimed(ReclaimKey{req.file, req.owner, req.range.first, req.range.last,
                                     static_cast<uint64_t>(req.type), false});
        }
        // A POSIX grant replaces the owner's locks under it: a downgrade frees bytes a
        // waiter may be waiting for.
        wakeWaiters(req.file, d);
        return Initiated{false, ticket};
    }
    Status refusal = okStatus();
    auto& queued = waitersPerClient_[clientOf(req.owner)];
    if (!req.block) {
        refusal = lockError(LockFault::conflict);
    } else if (queued >= cfg_.maxWaitersPerClient) {
        refusal = lockError(LockFault::tooManyWaiters);
    } else if (wouldDeadlock(req.owner, blockersOf(fs, req, fs.waiters.size()))) {
        refusal = lockError(LockFault::deadlock);
    }
    if (!refusal) {
        if (queued == 0) {
            waitersPerClient_.erase(clientOf(req.owner));
        }
        dropIdle(req.file);
        return refusal.error();
    }
    ++queued;
    ticket = ticket != 0 ? ticket : nextTicket();
    fs.waiters.push_back(Waiter{ticket, req, std::move(done)});
    ticketFile_[ticket] = req.file;
    return Initiated{true, ticket};
}

void LockManager::wakeWaiters(const FileKey& file, Deferred& d) {
    auto fit = files_.find(file);
    if (fit == files_.end()) {
        return;
    }
    FileState& fs = fit->second;
    // A grant can change the owner's other locks (POSIX replace), so scan again from the
    // head until a pass grants nothing; FIFO order is kept because each pass goes head
    // to tail and a waiter is only granted when no earlier waiter stands in its way.
    for (bool progress = true; progress;) {
        progress = false;
        for (size_t i = 0; i < fs.waiters.size(); ++i) {
            const LockRequest& req = fs.waiters[i].req;
            if (fs.ranges.findConflict(req.owner, req.range, req.type) || waiterConflict(fs, req, i)) {
                continue;
            }
            fs.ranges.grant(req.file, req.owner, req.range, req.type);
            noteClient(clientOf(req.owner));
            persistOwner(req.file, req.owner);
            auto c = waitersPerClient_.find(clientOf(req.owner));
            if (c != waitersPerClient_.end() && --c->second == 0) {
                waitersPerClient_.erase(c);
            }
            uint64_t t = fs.waiters[i].ticket;
            ticketFile_.erase(t);
            d.push_back([done = std::move(fs.waiters[i].done), t] {
                if (done) {
                    done(t, okStatus());
                }
            });
            fs.waiters.erase(fs.waiters.begin() + static_cast<std::ptrdiff_t>(i));
            progress = true;
            break;
        }
    }
}

Result<std::optional<RangeLock>> LockManager::test(const FileKey& file, const LockOwner& owner,
                                                   const ByteRange& range, LockType type) {
    std::lock_guard<std::mutex> g(mutex_);
    if (grace_) {
        return lockError(LockFault::grace);
    }
    auto it = files_.find(file);
    if (it == files_.end()) {
        return std::optional<RangeLock>{};
    }
    return it->second.ranges.findConflict(owner, range, type);
}

Status LockManager::unlock(const FileKey& file, const LockOwner& owner, const ByteRange& range) {
    Deferred d;
    Status s;
    {
        std::lock_guard<std::mutex> g(mutex_);
        auto it = files_.find(file);
        if (it == files_.end()) {
            return styleOf(owner.protocol) == LockStyle::windows ? lockError(LockFault::notLocked) : okStatus();
        }
        auto changed = it->second.ranges.unlock(owner, range);
        s = changed.ok() ? okStatus() : Status(changed.error());
        if (changed.ok() && *changed) {  // releasing nothing (a whole-file UNLOCK at close) writes nothing
            persistOwner(file, owner);
            wakeWaiters(file, d);
        }
        dropIdle(file);
    }
    flush(d);
    return s;
}

Status LockManager::cancel(uint64_t ticket) {
    Deferred d;
    {
        std::lock_guard<std::mutex> g(mutex_);
        auto t = ticketFile_.find(ticket);
        if (t == ticketFile_.end()) {
            return lockError(LockFault::notLocked);
        }
        FileKey file = t->second;
        ticketFile_.erase(t);
        FileState& fs = files_[file];
        for (auto it = fs.waiters.begin(); it != fs.waiters.end(); ++it) {
            if (it->ticket == ticket) {
                auto c = waitersPerClient_.find(clientOf(it->req.owner));
                if (c != waitersPerClient_.end() && --c->second == 0) {
                    waitersPerClient_.erase(c);
                }
                fs.waiters.erase(it);
                break;
            }
        }
        auto& bws = fs.breakWaiters;
        bws.erase(std::remove_if(bws.begin(), bws.end(), [&](const BreakWaiter& b) { return b.ticket == ticket; }),
                  bws.end());
        // A later waiter may have been held back only by the cancelled one.
        wakeWaiters(file, d);
        dropIdle(file);
    }
    flush(d);
    return okStatus();
}

Status LockManager::cancelMatching(const FileKey& file, const LockOwner& owner, const ByteRange& range,
                                   LockType type) {
    uint64_t ticket = 0;
    {
        std::lock_guard<std::mutex> g(mutex_);
        auto it = files_.find(file);
        if (it == files_.end()) {
            return lockError(LockFault::notLocked);
        }
        for (const auto& w : it->second.waiters) {
            if (w.req.owner == owner && w.req.range == range && w.req.type == type) {
                ticket = w.ticket;
                break;
            }
        }
        for (const auto& b : it->second.breakWaiters) {
            if (ticket == 0 && b.kind == BreakWaiter::Kind::lock && b.lockReq.owner == owner &&
                b.lockReq.range == range && b.lockReq.type == type) {
                ticket = b.ticket;
            }
        }
    }
    if (ticket == 0) {
        return lockError(LockFault::notLocked);
    }
    return cancel(ticket);
}

Status LockManager::checkIo(const FileKey& file, const LockOwner& owner, const ByteRange& range, bool write) const {
    std::lock_guard<std::mutex> g(mutex_);
    auto it = files_.find(file);
    if (it == files_.end()) {
        return okStatus();
    }
    bool mandatoryCaller = styleOf(owner.protocol) == LockStyle::windows;
    for (const auto& l : it->second.ranges.locks()) {
        if (l.owner == owner || !l.range.overlaps(range)) {
            continue;
        }
        if (!mandatoryCaller && l.style() != LockStyle::windows) {
            continue;  // POSIX locks are advisory to NFS I/O
        }
        if (write || l.type == LockType::write) {
            return lockError(LockFault::conflict);
        }
    }
    return okStatus();
}

size_t LockManager::releaseMatching(const std::function<bool(const LockOwner&)>& match, Deferred& d) {
    size_t n = 0;
    std::vector<FileKey> touched;
    for (auto& [file, fs] : files_) {
        size_t before = n;
        std::set<LockOwner> owners;
        for (const auto& l : fs.ranges.locks()) {
            if (match(l.owner)) {
                owners.insert(l.owner);
            }
        }
        n += fs.ranges.removeIf([&](const RangeLock& l) { return match(l.owner); });
        for (const auto& o : owners) {
            persistOwner(file, o);
        }
        for (auto it = fs.waiters.begin(); it != fs.waiters.end();) {
            if (!match(it->req.owner)) {
                ++it;
                continue;
            }
            auto c = waitersPerClient_.find(clientOf(it->req.owner));
            if (c != waitersPerClient_.end() && --c->second == 0) {
                waitersPerClient_.erase(c);
            }
            ticketFile_.erase(it->ticket);
            d.push_back([done = std::move(it->done), t = it->ticket] {
                if (done) {
                    done(t, lockError(LockFault::cancelled));
                }
            });
            it = fs.waiters.erase(it);
            ++n;
        }
        for (auto it = fs.breakWaiters.begin(); it != fs.breakWaiters.end();) {
            if (!match(it->requester)) {
                ++it;
                continue;
            }
            ticketFile_.erase(it->ticket);
            uint64_t t = it->ticket;
            if (it->kind == BreakWaiter::Kind::open) {
                d.push_back([done = std::move(it->openDone), t] {
                    if (done) {
                        done(t, lockError(LockFault::cancelled));
                    }
                });
            } else {
                d.push_back([done = std::move(it->lockDone), t] {
                    if (done) {
                        done(t, lockError(LockFault::cancelled));
                    }
                });
            }
            it = fs.breakWaiters.erase(it);
            ++n;
        }
        for (auto it = fs.shares.begin(); it != fs.shares.end();) {
            if (!match(it->second.owner)) {
                ++it;
                continue;
            }
            if (store_ != nullptr) {
                store_->removeShare(it->first);
            }
            shareFile_.erase(it->first);
            it = fs.shares.erase(it);
            ++n;
        }
        if (n != before) {
            touched.push_back(file);
        }
    }
    for (const auto& f : touched) {
        wakeWaiters(f, d);
        retryBreakWaiters(f, d);
        dropIdle(f);
    }
    return n;
}

size_t LockManager::releaseClient(const ClientKey& client) {
    Deferred d;
    size_t n = 0;
    {
        std::lock_guard<std::mutex> g(mutex_);
        auto match = [&](const LockOwner& o) { return clientOf(o) == client; };
        std::vector<FileKey> leaseFiles;
        for (auto& [file, fs] : files_) {
            for (auto it = fs.leases.begin(); it != fs.leases.end();) {
                if (match(it->second.info.owner)) {
                    auto next = std::next(it);
                    removeLeaseLocked(fs, it);
                    it = next;
                    ++n;
                    leaseFiles.push_back(file);
                } else {
                    ++it;
                }
            }
        }
        n += releaseMatching(match, d);
        for (const auto& f : leaseFiles) {
            retryBreakWaiters(f, d);
            dropIdle(f);
        }
        if (store_ != nullptr && persistedClients_.erase(client) != 0) {
            store_->removeClient(client);
        }
        // A client that rebooted or expired has nothing left to reclaim.
        auto o = outstanding_.find(client);
        if (o != outstanding_.end()) {
            o->second.clear();
            maybeEndGrace();
        }
    }
    flush(d);
    return n;
}

size_t LockManager::releaseOwner(const LockOwner& owner) {
    Deferred d;
    size_t n = 0;
    {
        std::lock_guard<std::mutex> g(mutex_);
        n = releaseMatching([&](const LockOwner& o) { return o == owner; }, d);
    }
    flush(d);
    return n;
}

void LockManager::dropIdle(const FileKey& file) {
    auto it = files_.find(file);
    if (it != files_.end() && it->second.idle()) {
        files_.erase(it);
    }
}

LockSnapshot LockManager::query(const LockQuery& q) const {
    std::lock_guard<std::mutex> g(mutex_);
    LockSnapshot out;
    auto wantOwner = [&](const LockOwner& o) { return !q.client || clientOf(o) == *q.client; };
    for (const auto& [file, fs] : files_) {
        if ((q.shareId && file.shareId != *q.shareId) || (q.file && !(file == *q.file))) {
            continue;
        }
        for (const auto& l : fs.ranges.locks()) {
            if (wantOwner(l.owner)) {
                out.ranges.push_back(l);
            }
        }
        for (const auto& [id, s] : fs.shares) {
            if (wantOwner(s.owner)) {
                out.shares.push_back(s);
            }
        }
        for (const auto& [id, l] : fs.leases) {
            if (wantOwner(l.info.owner)) {
                out.leases.push_back(l.info);
            }
        }
        for (const auto& w : fs.waiters) {
            if (wantOwner(w.req.owner)) {
                out.waiters.push_back(WaiterInfo{w.ticket, file, w.req.owner, w.req.range, w.req.type});
            }
        }
    }
    return out;
}

}  // namespace dfs::kernel::locks

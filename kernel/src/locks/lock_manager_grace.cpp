// Start-up, the grace period and write-through of the lock manager's records.
#include "lock_manager.hpp"

#include "../log.hpp"

namespace dfs::kernel::locks {

LockManager::LockManager(LockManagerConfig cfg, LockScheduler& sched, LockStore* store)
    : cfg_(cfg), sched_(sched), store_(store) {}

LockManager::~LockManager() {
    std::vector<uint64_t> timers;
    {
        std::lock_guard<std::mutex> g(mutex_);
        for (const auto& [file, fs] : files_) {
            for (const auto& [id, l] : fs.leases) {
                if (l.timer != 0) {
                    timers.push_back(l.timer);
                }
            }
        }
        if (graceTimer_ != 0) {
            timers.push_back(graceTimer_);
        }
    }
    for (uint64_t t : timers) {
        sched_.cancelTimer(t);
    }
}

Status LockManager::start() {
    if (store_ == nullptr) {
        return okStatus();
    }
    Status s = store_->init();
    if (!s) {
        return s;
    }
    auto prev = store_->load();
    if (!prev) {
        return prev.error();
    }
    s = store_->clearLocks();
    if (!s) {
        return s;
    }
    std::lock_guard<std::mutex> g(mutex_);
    for (const auto& c : prev->clients) {
        persistedClients_.insert(c);
    }
    for (const auto& r : prev->ranges) {
        outstanding_[clientOf(r.owner)].insert(
            ReclaimKey{r.file, r.owner, r.range.first, r.range.last, static_cast<uint64_t>(r.type), false});
    }
    for (const auto& sh : prev->shares) {
        outstanding_[clientOf(sh.owner)].insert(ReclaimKey{sh.file, sh.owner, sh.access, sh.deny, 0, true});
    }
    // After a crash the stored locks may be short of what was held (the last batch of
    // changes), so every client on record gets the whole grace period.
    fullGrace_ = !prev->cleanStop && !prev->clients.empty();
    if (!outstanding_.empty() || fullGrace_) {
        grace_ = true;
        graceTimer_ = sched_.startTimer(cfg_.graceMs, [this] {
            std::lock_guard<std::mutex> g2(mutex_);
            graceTimer_ = 0;
            if (grace_) {
                endGraceLocked();
            }
        });
        log::info("locks", "grace_started",
                  {{"clients", std::to_string(fullGrace_ ? prev->clients.size() : outstanding_.size())},
                   {"ms", std::to_string(cfg_.graceMs)},
                   {"after", prev->cleanStop ? "clean_stop" : "crash"}});
    } else {
        endGraceLocked();  // forgets client records that hold nothing
    }
    return okStatus();
}

bool LockManager::inGrace() const {
    std::lock_guard<std::mutex> g(mutex_);
    return grace_;
}

void LockManager::reclaimComplete(const ClientKey& client) {
    std::lock_guard<std::mutex> g(mutex_);
    auto it = outstanding_.find(client);
    if (it != outstanding_.end()) {
        it->second.clear();
    }
    maybeEndGrace();
}

void LockManager::noteReclaimed(const ReclaimKey& k) {
    auto it = outstanding_.find(clientOf(k.owner));
    if (it != outstanding_.end()) {
        it->second.erase(k);
        maybeEndGrace();
    }
}

void LockManager::maybeEndGrace() {
    if (!grace_ || fullGrace_) {
        return;
    }
    for (const auto& [c, left] : outstanding_) {
        if (!left.empty()) {
            return;
        }
    }
    endGraceLocked();
}

void LockManager::endGraceLocked() {
    if (grace_) {
        log::info("locks", "grace_ended");
    }
    grace_ = false;
    if (graceTimer_ != 0) {
        sched_.cancelTimer(graceTimer_);
        graceTimer_ = 0;
    }
    outstanding_.clear();
    // Clients from before the restart that reclaimed nothing are forgotten.
    std::set<ClientKey> holding;
    for (const auto& [file, fs] : files_) {
        for (const auto& l : fs.ranges.locks()) {
            holding.insert(clientOf(l.owner));
        }
        for (const auto& [id, s] : fs.shares) {
            holding.insert(clientOf(s.owner));
        }
        for (const auto& [id, l] : fs.leases) {
            holding.insert(clientOf(l.info.owner));
        }
    }
    for (auto it = persistedClients_.begin(); it != persistedClients_.end();) {
        if (holding.count(*it) != 0) {
            ++it;
            continue;
        }
        if (store_ != nullptr) {
            store_->removeClient(*it);
        }
        it = persistedClients_.erase(it);
    }
}

void LockManager::noteClient(const ClientKey& c) {
    if (store_ == nullptr || !persistedClients_.insert(c).second) {
        return;
    }
    // Only queued here, under the manager's mutex: settleClients() waits for the commit
    // once the mutex is dropped, before the grant is answered.
    uint64_t seq = store_->putClient(c);
    uint64_t prev = clientSeq_.load();
    while (prev < seq && !clientSeq_.compare_exchange_weak(prev, seq)) {
    }
}

void LockManager::settleClients() {
    uint64_t want = clientSeq_.load();
    if (store_ == nullptr || want <= clientSeqSettled_.load()) {
        return;
    }
    if (!store_->waitFor(want)) {
        log::warn("locks", "persist_failed", {{"what", "client"}});
    }
    uint64_t prev = clientSeqSettled_.load();
    while (prev < want && !clientSeqSettled_.compare_exchange_weak(prev, want)) {
    }
}

void LockManager::persistOwner(const FileKey& file, const LockOwner& owner) {
    if (store_ == nullptr) {
        return;
    }
    std::vector<RangeLock> locks;
    auto it = files_.find(file);
    if (it != files_.end()) {
        locks = it->second.ranges.locksOf(owner);
    }
    // Queued under the manager's mutex, so the newest state of the owner's locks is the
    // one the writer commits.
    store_->replaceOwnerLocks(file, owner, locks);
}

}  // namespace dfs::kernel::locks

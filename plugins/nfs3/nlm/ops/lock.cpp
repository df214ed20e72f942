// NLM4_LOCK (and LOCK_MSG): XNFS 14.3.3 (10.3.3). A non-blocking request is granted or
// refused at once. A blocking one that conflicts is queued in the lock manager and
// answered NLM4_BLOCKED; the client hears NLM4_GRANTED when it is granted
// (nlm_waiters.hpp). `reclaim` marks a lock held before the server restarted, the only
// kind granted during the grace period.
#include "../nlm_ops.hpp"

namespace dfs::nlm {

// Shared with NM_LOCK, which is LOCK for a client that is not monitored.
Outcome lockCommon(Call& c, const LockArgs& a) {
    dfs_fh_t fh;
    dfs_lock_args_t la;
    uint32_t flags = a.reclaim ? static_cast<uint32_t>(DFS_LOCK_RECLAIM) : 0u;
    if (!c.lockArgs(a.lock, a.exclusive, flags, fh, la)) {
        encodeRes(c.out(), a.cookie, c.wireStat(NLM4_STALE_FH));
        return Outcome::kReplied;
    }
    dfs_err_t e{};
    if (a.block) {
        BlockedRequest b = c.blocked(a.cookie, a.exclusive, a.lock);
        b.reclaim = a.reclaim;
        e = c.inst().waiters().lockBlocking(std::move(b));
    } else {
        uint64_t ticket = 0;
        e = c.locks().lock(c.ctx(), c.cred(), &la, nullptr, nullptr, &ticket);
        if (e.code == DFS_PENDING) {
            // Only a lease break of another protocol makes a non-blocking request wait;
            // the client asked not to: refuse now, it may try again.
            (void)c.locks().cancel(c.ctx(), ticket);
            e = dfs_err_t{DFS_ERR_LOCKED, EAGAIN};
        }
    }
    if (e.code == DFS_OK || e.code == DFS_PENDING) {
        // A host holding or awaiting a lock must hear of our restart (NSM).
        c.inst().monitor().monitor(a.lock.callerName, c.clientAddr(), true);
    }
    encodeRes(c.out(), a.cookie, c.wireStat(toNlm4Stat(e)));
    return Outcome::kReplied;
}

Outcome nlmLock(Call& c) {
    LockArgs a;
    if (!decodeLockArgs(c.args(), c.vers(), a)) {
        return Outcome::kGarbage;
    }
    return lockCommon(c, a);
}

}  // namespace dfs::nlm

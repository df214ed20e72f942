// NLM4_CANCEL (and CANCEL_MSG): XNFS 14.3.4 (10.3.4). Drops a blocked LOCK the request
// describes (same owner, file, range and mode). NLM4_GRANTED when one was dropped, or
// when it had just been granted (the lock is then given back: the client no longer
// wants it); NLM4_DENIED when nothing matched.
#include "../nlm_ops.hpp"

namespace dfs::nlm {

Outcome nlmCancel(Call& c) {
    CancelArgs a;
    if (!decodeCancelArgs(c.args(), c.vers(), a)) {
        return Outcome::kGarbage;
    }
    if (a.lock.fh.size() > DFS_FH_MAX) {
        encodeRes(c.out(), a.cookie, c.wireStat(NLM4_STALE_FH));
        return Outcome::kReplied;
    }
    bool found = c.inst().waiters().cancel(c.blocked(a.cookie, a.exclusive, a.lock));
    if (!found && c.locks().cancel_matching != nullptr) {
        // A request queued by another path (e.g. before a hot upgrade) is still the
        // manager's to drop.
        dfs_fh_t fh;
        dfs_lock_args_t la;
        if (c.lockArgs(a.lock, a.exclusive, DFS_LOCK_BLOCK, fh, la)) {
            found = c.locks().cancel_matching(c.ctx(), c.cred(), &la).code == DFS_OK;
        }
    }
    encodeRes(c.out(), a.cookie, c.wireStat(found ? NLM4_GRANTED : NLM4_DENIED));
    return Outcome::kReplied;
}

}  // namespace dfs::nlm

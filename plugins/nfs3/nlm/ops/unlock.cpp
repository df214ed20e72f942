// NLM4_UNLOCK (and UNLOCK_MSG): XNFS 14.3.5 (10.3.5). Releases the range (any sub-range
// of the owner's locks; releasing nothing is not an error). Allowed during grace. A
// blocked LOCK of the same owner for exactly this range, in either mode, is dropped
// first, as Linux's lockd does: a client whose process gave up waiting may send only the
// UNLOCK, and must not be called back with a lock it no longer wants.
#include "../nlm_ops.hpp"

namespace dfs::nlm {

Outcome nlmUnlock(Call& c) {
    UnlockArgs a;
    if (!decodeUnlockArgs(c.args(), c.vers(), a)) {
        return Outcome::kGarbage;
    }
    dfs_fh_t fh;
    dfs_lock_args_t la;
    if (!c.lockArgs(a.lock, false, 0, fh, la)) {
        encodeRes(c.out(), a.cookie, c.wireStat(NLM4_STALE_FH));
        return Outcome::kReplied;
    }
    if (c.inst().waiters().any()) {
        for (bool exclusive : {false, true}) {
            (void)c.inst().waiters().cancel(c.blocked(a.cookie, exclusive, a.lock));
        }
    }
    dfs_err_t e = c.locks().unlock(c.ctx(), c.cred(), &la);
    encodeRes(c.out(), a.cookie, c.wireStat(toNlm4Stat(e)));
    return Outcome::kReplied;
}

}  // namespace dfs::nlm

// NLM4_TEST (and TEST_MSG): XNFS 14.3.2 (10.3.2). Whether the lock could be granted now,
// and if not, the first conflicting lock (nlm4_holder). Never takes a lock; refused
// during the grace period like any non-reclaim request.
#include "../nlm_ops.hpp"

namespace dfs::nlm {

Outcome nlmTest(Call& c) {
    TestArgs a;
    if (!decodeTestArgs(c.args(), c.vers(), a)) {
        return Outcome::kGarbage;
    }
    dfs_fh_t fh;
    dfs_lock_args_t la;
    Holder h;
    if (!c.lockArgs(a.lock, a.exclusive, 0, fh, la)) {
        encodeTestRes(c.out(), c.vers(), a.cookie, c.wireStat(NLM4_STALE_FH), h);
        return Outcome::kReplied;
    }
    auto conflict = makeStruct<dfs_lock_conflict_t>();
    dfs_err_t e = c.locks().test(c.ctx(), c.cred(), &la, &conflict);
    uint32_t st = toNlm4Stat(e);
    if (st == NLM4_DENIED && e.code == DFS_ERR_LOCKED) {
        // The holder's views are valid during this call: encode them now.
        h.exclusive = conflict.type == DFS_LOCK_WRITE;
        h.svid = conflict.owner.pid;
        h.oh = toStringView(conflict.owner.owner);
        h.offset = conflict.offset;
        h.length = conflict.length;
    }
    encodeTestRes(c.out(), c.vers(), a.cookie, c.wireStat(st), h);
    return Outcome::kReplied;
}

}  // namespace dfs::nlm

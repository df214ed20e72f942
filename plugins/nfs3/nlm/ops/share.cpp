// NLM4_SHARE: XNFS 14.3.17 (10.3.11 for version 3). A DOS-style share reservation on the
// whole file: the caller will read and/or write it (fsh_access) and denies others reading
// and/or writing (fsh_mode). Refused with NLM4_DENIED when it conflicts with a
// reservation held by anyone, over any protocol (an NFSv4 OPEN's share_deny, an SMB
// share mode); during the grace period only reclaims are granted. SHARE never blocks:
// when another client's lease must be broken first, the break starts and the caller is
// told NLM4_DENIED, and asks again.
#include "../nlm_ops.hpp"

namespace dfs::nlm {

Outcome nlmShare(Call& c) {
    ShareArgs a;
    if (!decodeShareArgs(c.args(), a)) {
        return Outcome::kGarbage;
    }
    dfs_fh_t fh;
    dfs_share_args_t sa;
    if (!c.shareArgs(a.share, a.reclaim ? DFS_LOCK_RECLAIM : 0, fh, sa)) {
        encodeShareRes(c.out(), a.cookie, c.wireStat(NLM4_STALE_FH));
        return Outcome::kReplied;
    }
    uint64_t id = 0;
    dfs_err_t e = c.locks().share_open(c.ctx(), c.cred(), &sa, nullptr, nullptr, nullptr, &id);
    encodeShareRes(c.out(), a.cookie, c.wireStat(toNlm4Stat(e)));
    return Outcome::kReplied;
}

}  // namespace dfs::nlm

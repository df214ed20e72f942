// NLM4_UNSHARE: XNFS 14.3.18 (10.3.12 for version 3). Ends the caller's share reservation
// named by file, caller_name, oh, mode and access. Ending one that is not held is not an
// error (NLM4_GRANTED), like unlocking nothing; allowed during the grace period.
#include "../nlm_ops.hpp"

namespace dfs::nlm {

Outcome nlmUnshare(Call& c) {
    ShareArgs a;
    if (!decodeShareArgs(c.args(), a)) {
        return Outcome::kGarbage;
    }
    dfs_fh_t fh;
    dfs_share_args_t sa;
    if (!c.shareArgs(a.share, 0, fh, sa)) {
        encodeShareRes(c.out(), a.cookie, c.wireStat(NLM4_STALE_FH));
        return Outcome::kReplied;
    }
    dfs_err_t e = c.locks().share_close_matching(c.ctx(), c.cred(), &sa);
    encodeShareRes(c.out(), a.cookie, c.wireStat(toNlm4Stat(e)));
    return Outcome::kReplied;
}

}  // namespace dfs::nlm

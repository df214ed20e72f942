// NFSPROC3_COMMIT: RFC 1813 section 3.3.21. Answers the same write verifier as WRITE, so
// a client that sees it unchanged knows its UNSTABLE writes survived.
#include "../nfs3_ops.hpp"

namespace dfs::nfs3 {

Outcome nfsCommit(Call& c) {
    CommitArgs a;
    if (!decodeCommitArgs(c.args(), a)) {
        return Outcome::kGarbage;
    }
    c.setPrimary(&a.fh);
    dfs_wcc_t wcc = noWcc();
    dfs_err_t e = c.vfs().commit(c.ctx(), c.cred(), &a.fh, a.offset, a.count, &wcc);
    c.putStatus(toNfsStat3(e.code));
    c.putWcc(wcc);
    if (e.code == DFS_OK) {
        uint8_t verf[kWriteVerfSize] = {};
        c.vfs().write_verifier(c.ctx(), verf);
        c.out().fixed(verf, kWriteVerfSize);
    }
    return Outcome::kReplied;
}

}  // namespace dfs::nfs3

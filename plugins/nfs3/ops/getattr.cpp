// NFSPROC3_GETATTR: RFC 1813 section 3.3.1.
#include "../nfs3_ops.hpp"

namespace dfs::nfs3 {

Outcome nfsGetattr(Call& c) {
    FhArgs a;
    if (!decodeFhArgs(c.args(), a)) {
        return Outcome::kGarbage;
    }
    c.setPrimary(&a.fh);
    dfs_attr_t attr = noAttr();
    dfs_err_t e = c.vfs().getattr(c.ctx(), c.cred(), &a.fh, &attr);
    c.putStatus(toNfsStat3(e.code));
    if (e.code == DFS_OK) {
        encodeFattr(c.out(), attr, c.fsid());
    }
    return Outcome::kReplied;
}

}  // namespace dfs::nfs3

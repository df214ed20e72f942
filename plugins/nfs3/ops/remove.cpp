// NFSPROC3_REMOVE: RFC 1813 section 3.3.12. Not for directories (NFS3ERR_ISDIR; RMDIR is).
// The object's data is freed by the VFS with its last link; handles to it go stale.
#include "../nfs3_ops.hpp"

namespace dfs::nfs3 {

Outcome nfsRemove(Call& c) {
    DirOp a;
    if (!decodeDirOpArgs(c.args(), a)) {
        return Outcome::kGarbage;
    }
    c.setPrimary(&a.dir);
    dfs_wcc_t wcc = noWcc();
    dfs_err_t e = c.vfs().remove(c.ctx(), c.cred(), &a.dir, toC(a.name), DFS_REMOVE_NONDIR, &wcc);
    c.putStatus(toNfsStat3ForLookup(e.code));
    c.putWcc(wcc);
    return Outcome::kReplied;
}

}  // namespace dfs::nfs3

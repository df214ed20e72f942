// NFSPROC3_RMDIR: RFC 1813 section 3.3.13. NFS3ERR_NOTEMPTY for a directory with entries,
// NFS3ERR_NOTDIR for anything else, NFS3ERR_INVAL for ".".
#include "../nfs3_ops.hpp"

namespace dfs::nfs3 {

Outcome nfsRmdir(Call& c) {
    DirOp a;
    if (!decodeDirOpArgs(c.args(), a)) {
        return Outcome::kGarbage;
    }
    c.setPrimary(&a.dir);
    dfs_wcc_t wcc = noWcc();
    dfs_err_t e = c.vfs().remove(c.ctx(), c.cred(), &a.dir, toC(a.name), DFS_REMOVE_DIR, &wcc);
    c.putStatus(toNfsStat3ForLookup(e.code));
    c.putWcc(wcc);
    return Outcome::kReplied;
}

}  // namespace dfs::nfs3

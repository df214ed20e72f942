// NFSPROC3_LOOKUP: RFC 1813 section 3.3.3. "." and ".." are resolved by the VFS (".." of a
// share's root is the root: a client never walks out of its export).
#include "../nfs3_ops.hpp"

namespace dfs::nfs3 {

Outcome nfsLookup(Call& c) {
    DirOp a;
    if (!decodeDirOpArgs(c.args(), a)) {
        return Outcome::kGarbage;
    }
    c.setPrimary(&a.dir);
    dfs_fh_t fh{};
    dfs_attr_t attr = noAttr();
    dfs_attr_t dirAttr = noAttr();
    dfs_err_t e = c.vfs().lookup(c.ctx(), c.cred(), &a.dir, toC(a.name), &fh, &attr, &dirAttr);
    c.putStatus(toNfsStat3ForLookup(e.code));
    if (e.code == DFS_OK) {
        encodeFh(c.out(), fh);
        c.putAttr(attr);
    }
    c.putAttr(dirAttr);
    return Outcome::kReplied;
}

}  // namespace dfs::nfs3

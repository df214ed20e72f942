// NFSPROC3_RENAME: RFC 1813 section 3.3.14. Atomic in the metadata store; replaces an
// existing target of a compatible type (NFS3ERR_EXIST / NOTEMPTY / ISDIR / NOTDIR
// otherwise); NFS3ERR_XDEV across shares. wcc_data for both directories, always.
#include "../nfs3_ops.hpp"

namespace dfs::nfs3 {

Outcome nfsRename(Call& c) {
    RenameArgs a;
    if (!decodeRenameArgs(c.args(), a)) {
        return Outcome::kGarbage;
    }
    c.setPrimary(&a.from.dir);
    dfs_wcc_t from = noWcc();
    dfs_wcc_t to = noWcc();
    dfs_err_t e = c.vfs().rename(c.ctx(), c.cred(), &a.from.dir, toC(a.from.name), &a.to.dir, toC(a.to.name), &from, &to);
    c.putStatus(toNfsStat3(e.code));
    c.putWcc(from);
    c.putWcc(to);
    return Outcome::kReplied;
}

}  // namespace dfs::nfs3

// NFSPROC3_SETATTR: RFC 1813 section 3.3.2. The guard (sattrguard3) goes to the VFS as the
// ctime the object must still have (NFS3ERR_NOT_SYNC otherwise); wcc_data is answered on
// success and on every error.
#include "../nfs3_ops.hpp"

namespace dfs::nfs3 {

Outcome nfsSetattr(Call& c) {
    SetattrArgs a;
    if (!decodeSetattrArgs(c.args(), a)) {
        return Outcome::kGarbage;
    }
    c.setPrimary(&a.fh);
    dfs_wcc_t wcc = noWcc();
    if (!a.attr.valid) {
        // A client time with nanoseconds past a second: the object stays as it is.
        dfs_attr_t now = noAttr();
        if (c.vfs().getattr(c.ctx(), c.cred(), &a.fh, &now).code == DFS_OK) {
            wcc.have_after = 1;
            wcc.after = now;
        }
        c.putStatus(NFS3ERR_INVAL);
        c.putWcc(wcc);
        return Outcome::kReplied;
    }
    dfs_err_t e = c.vfs().setattr(c.ctx(), c.cred(), &a.fh, &a.attr.sa, a.guard ? &a.guardCtime : nullptr, &wcc);
    if (e.code != DFS_OK && wcc.have_after == 0) {
        // The VFS answers a failed guard or a read-only share before it reads the object
        // again; the client still gets its current attributes.
        dfs_wcc_t now = wccUnchanged(c, a.fh);
        wcc.have_after = now.have_after;
        wcc.after = now.after;
    }
    c.putStatus(toNfsStat3(e.code));
    c.putWcc(wcc);
    return Outcome::kReplied;
}

}  // namespace dfs::nfs3

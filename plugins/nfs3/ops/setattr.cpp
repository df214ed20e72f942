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
    if (!a.attr.valid) {
        // A client time with nanoseconds past a second: the object stays as it is.
        c.putStatus(NFS3ERR_INVAL);
        c.putWcc(wccUnchanged(c, a.fh));
        return Outcome::kReplied;
    }
    // The VFS fills wcc.after on every refusal it can (ROFS, NOT_SYNC, a store error);
    // only an unresolvable handle leaves it empty, and then there is nothing to read.
    dfs_wcc_t wcc = noWcc();
    dfs_err_t e = c.vfs().setattr(c.ctx(), c.cred(), &a.fh, &a.attr.sa, a.guard ? &a.guardCtime : nullptr, &wcc);
    c.putStatus(toNfsStat3(e.code));
    c.putWcc(wcc);
    return Outcome::kReplied;
}

}  // namespace dfs::nfs3

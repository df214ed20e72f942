// NFSPROC3_LINK: RFC 1813 section 3.3.15. A hard link within one share (NFS3ERR_XDEV
// otherwise); directories cannot be linked.
#include "../nfs3_ops.hpp"

namespace dfs::nfs3 {

Outcome nfsLink(Call& c) {
    LinkArgs a;
    if (!decodeLinkArgs(c.args(), a)) {
        return Outcome::kGarbage;
    }
    c.setPrimary(&a.fh);
    dfs_attr_t attr = noAttr();
    dfs_wcc_t wcc = noWcc();
    dfs_err_t e = c.vfs().link(c.ctx(), c.cred(), &a.fh, &a.link.dir, toC(a.link.name), &attr, &wcc);
    c.putStatus(toNfsStat3ForName(e.code, a.link.name));
    c.putAttr(attr);
    c.putWcc(wcc);
    return Outcome::kReplied;
}

}  // namespace dfs::nfs3

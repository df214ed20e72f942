// NFSPROC3_ACCESS: RFC 1813 section 3.3.4. The VFS answers which of the asked-for bits
// the caller would be granted by mode bits and the share's read-only flag.
#include "../nfs3_ops.hpp"

namespace dfs::nfs3 {

Outcome nfsAccess(Call& c) {
    AccessArgs a;
    if (!decodeAccessArgs(c.args(), a)) {
        return Outcome::kGarbage;
    }
    c.setPrimary(&a.fh);
    dfs_attr_t attr = noAttr();
    uint32_t granted = 0;
    // Bits the RFC does not define are never granted.
    uint32_t want = a.access & (DFS_ACCESS_READ | DFS_ACCESS_LOOKUP | DFS_ACCESS_MODIFY | DFS_ACCESS_EXTEND |
                                DFS_ACCESS_DELETE | DFS_ACCESS_EXECUTE);
    dfs_err_t e = c.vfs().access(c.ctx(), c.cred(), &a.fh, want, &granted, &attr);
    c.putStatus(toNfsStat3(e.code));
    c.putAttr(attr);
    if (e.code == DFS_OK) {
        c.out().u32(granted & want);
    }
    return Outcome::kReplied;
}

}  // namespace dfs::nfs3

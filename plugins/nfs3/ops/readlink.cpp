// NFSPROC3_READLINK: RFC 1813 section 3.3.5. NFS3ERR_INVAL for an object that is not a
// symbolic link.
#include "../nfs3_ops.hpp"

#include <string>

namespace dfs::nfs3 {

Outcome nfsReadlink(Call& c) {
    FhArgs a;
    if (!decodeFhArgs(c.args(), a)) {
        return Outcome::kGarbage;
    }
    c.setPrimary(&a.fh);
    dfs_attr_t attr = noAttr();
    std::string target;
    dfs_err_t e = c.vfs().readlink(c.ctx(), c.cred(), &a.fh, appendSink, &target, &attr);
    if (e.code == DFS_OK && target.size() > kPathDecodeMax) {
        e.code = DFS_ERR_NAMETOOLONG;  // a store broke DFS_PATH_MAX; do not overflow the reply
    }
    c.putStatus(toNfsStat3(e.code));
    c.putAttr(attr);
    if (e.code == DFS_OK) {
        c.out().var(target);
    }
    return Outcome::kReplied;
}

}  // namespace dfs::nfs3

// NFSPROC3_SYMLINK: RFC 1813 section 3.3.10. The target is stored as given (the server
// never follows it); a symlink's mode is always 0777, so a mode in sattr3 is ignored.
#include "../nfs3_ops.hpp"

namespace dfs::nfs3 {

Outcome nfsSymlink(Call& c) {
    SymlinkArgs a;
    if (!decodeSymlinkArgs(c.args(), a)) {
        return Outcome::kGarbage;
    }
    dfs_create_args_t args = createArgs(DFS_TYPE_LNK, a.attr, 0777);
    args.symlink_target = toC(a.target);
    if (a.target.empty()) {
        c.setPrimary(&a.where.dir);
        c.putStatus(NFS3ERR_INVAL);  // POSIX symlink(): an empty target is refused
        c.putWcc(wccUnchanged(c, a.where.dir));
        return Outcome::kReplied;
    }
    return createObject(c, a.where, args, a.attr);
}

}  // namespace dfs::nfs3

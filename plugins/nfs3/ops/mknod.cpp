// NFSPROC3_MKNOD: RFC 1813 section 3.3.11. Character and block devices (with their
// specdata3 major/minor; the VFS requires root), sockets and FIFOs. Regular files,
// directories and symlinks have their own procedures: NFS3ERR_BADTYPE, as for any other
// type.
#include "../nfs3_ops.hpp"

namespace dfs::nfs3 {

Outcome nfsMknod(Call& c) {
    MknodArgs a;
    if (!decodeMknodArgs(c.args(), a)) {
        return Outcome::kGarbage;
    }
    switch (a.type) {
    case DFS_TYPE_CHR:
    case DFS_TYPE_BLK:
    case DFS_TYPE_SOCK:
    case DFS_TYPE_FIFO:
        break;
    default:
        c.setPrimary(&a.where.dir);
        c.putStatus(NFS3ERR_BADTYPE);
        c.putWcc(wccUnchanged(c, a.where.dir));
        return Outcome::kReplied;
    }
    dfs_create_args_t args = createArgs(static_cast<dfs_ftype_t>(a.type), a.attr, 0644);
    args.rdev_major = a.major;
    args.rdev_minor = a.minor;
    return createObject(c, a.where, args, a.attr);
}

}  // namespace dfs::nfs3

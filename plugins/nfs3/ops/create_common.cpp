// What CREATE, MKDIR, SYMLINK and MKNOD share (RFC 1813 sections 3.3.8 to 3.3.11): the
// VFS call and the diropres3 reply (post_op_fh3, post_op_attr, the directory's wcc_data,
// which is sent on errors too).
#include "../nfs3_ops.hpp"

namespace dfs::nfs3 {

dfs_wcc_t wccUnchanged(Call& c, const dfs_fh_t& fh) {
    dfs_wcc_t wcc = noWcc();
    dfs_attr_t now = noAttr();
    if (c.vfs().getattr(c.ctx(), c.cred(), &fh, &now).code == DFS_OK) {
        wcc.have_after = 1;
        wcc.after = now;
    }
    return wcc;
}

Outcome createObject(Call& c, const DirOp& where, const dfs_create_args_t& args, const SAttr& attr) {
    c.setPrimary(&where.dir);
    if (!attr.valid) {
        c.putStatus(NFS3ERR_INVAL);
        c.putWcc(wccUnchanged(c, where.dir));
        return Outcome::kReplied;
    }
    // The mode travels in args; the rest of sattr3 is applied to the new object.
    dfs_setattr_t rest = attr.sa;
    rest.mask &= ~DFS_SET_MODE;
    dfs_fh_t fh{};
    dfs_attr_t obj = noAttr();
    dfs_wcc_t wcc = noWcc();
    dfs_err_t e = c.vfs().create(c.ctx(), c.cred(), &where.dir, toC(where.name), &args, rest.mask != 0 ? &rest : nullptr,
                                 &fh, &obj, &wcc);
    c.putStatus(toNfsStat3ForName(e.code, where.name));
    if (e.code == DFS_OK) {
        encodePostOpFh(c.out(), &fh);
        c.putAttr(obj);
    }
    c.putWcc(wcc);
    return Outcome::kReplied;
}

dfs_create_args_t createArgs(dfs_ftype_t type, const SAttr& attr, uint32_t defaultMode) {
    auto args = makeStruct<dfs_create_args_t>();
    args.type = type;
    args.how = DFS_CREATE_GUARDED;
    args.mode = (attr.sa.mask & DFS_SET_MODE) != 0 ? attr.sa.mode & 07777 : defaultMode;
    return args;
}

}  // namespace dfs::nfs3

// NFSPROC3_CREATE: RFC 1813 section 3.3.8. UNCHECKED returns an existing regular file (and
// applies a size in sattr3, i.e. truncates it), GUARDED answers NFS3ERR_EXIST, and
// EXCLUSIVE gives the VFS the client's createverf3, so a retransmitted create finds the
// file it made and succeeds while anybody else's file with that name is NFS3ERR_EXIST.
#include "../nfs3_ops.hpp"

#include <cstring>

namespace dfs::nfs3 {

Outcome nfsCreate(Call& c) {
    CreateArgs a;
    if (!decodeCreateArgs(c.args(), a)) {
        return Outcome::kGarbage;
    }
    // A mode the client did not send: readable by all, writable by the owner, until the
    // SETATTR that follows an exclusive create sets the real one.
    dfs_create_args_t args = createArgs(DFS_TYPE_REG, a.attr, 0644);
    switch (a.mode) {
    case UNCHECKED:
        args.how = DFS_CREATE_UNCHECKED;
        break;
    case GUARDED:
        args.how = DFS_CREATE_GUARDED;
        break;
    default:
        args.how = DFS_CREATE_EXCLUSIVE;
        std::memcpy(args.verifier, a.verf, sizeof args.verifier);
        break;
    }
    return createObject(c, a.where, args, a.attr);
}

}  // namespace dfs::nfs3

// The handlers: one per NFSv3 procedure (ops/<proc>.cpp, RFC 1813 section 3.3) and one per
// MOUNT v3 procedure (mount/<proc>.cpp, appendix I). nfs3_dispatch.cpp lists them with
// their names, whether they modify state, and the size of their reply.
#pragma once

#include "nfs3_call.hpp"

namespace dfs::nfs3 {

using Handler = Outcome (*)(Call&);

Outcome nfsNull(Call& c);
Outcome nfsGetattr(Call& c);
Outcome nfsSetattr(Call& c);
Outcome nfsLookup(Call& c);
Outcome nfsAccess(Call& c);
Outcome nfsReadlink(Call& c);
Outcome nfsRead(Call& c);
Outcome nfsWrite(Call& c);
Outcome nfsCreate(Call& c);
Outcome nfsMkdir(Call& c);
Outcome nfsSymlink(Call& c);
Outcome nfsMknod(Call& c);
Outcome nfsRemove(Call& c);
Outcome nfsRmdir(Call& c);
Outcome nfsRename(Call& c);
Outcome nfsLink(Call& c);
Outcome nfsReaddir(Call& c);
Outcome nfsReaddirplus(Call& c);
Outcome nfsFsstat(Call& c);
Outcome nfsFsinfo(Call& c);
Outcome nfsPathconf(Call& c);
Outcome nfsCommit(Call& c);

Outcome mountNull(Call& c);
Outcome mountMnt(Call& c);
Outcome mountDump(Call& c);
Outcome mountUmnt(Call& c);
Outcome mountUmntall(Call& c);
Outcome mountExport(Call& c);

// Shared by CREATE, MKDIR, SYMLINK and MKNOD (ops/create_common.cpp): makes `name` in
// `dir` and encodes the diropres3 of section 3.3.8.
Outcome createObject(Call& c, const DirOp& where, const dfs_create_args_t& args, const SAttr& attr);
// Create arguments for `type` with the mode of sattr3, or `defaultMode` when the client
// sent none (an EXCLUSIVE create, which the client follows with a SETATTR).
dfs_create_args_t createArgs(dfs_ftype_t type, const SAttr& attr, uint32_t defaultMode);
// wcc_data for an object a call did not change (an error found before the VFS was asked).
dfs_wcc_t wccUnchanged(Call& c, const dfs_fh_t& fh);

// READDIR and READDIRPLUS (ops/readdir_common.cpp).
Outcome listDirectory(Call& c, const ReaddirArgs& a, bool plus);

}  // namespace dfs::nfs3

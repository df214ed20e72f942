// The one place where the VFS's dfs_status_t becomes an NFSv3 nfsstat3 or a MOUNT v3
// mountstat3 (RFC 1813 section 2.6 and appendix I). Handlers never pick wire codes for
// VFS errors themselves.
#pragma once

#include <dittofs/abi/common.h>

#include <cstdint>
#include <string_view>

namespace dfs::nfs3 {

uint32_t toNfsStat3(dfs_status_t code);
// For procedures that create `name` (CREATE, MKDIR, SYMLINK, MKNOD, LINK, RENAME target):
// "." and ".." already exist in every directory, so, as Linux answers, NFS3ERR_EXIST.
uint32_t toNfsStat3ForName(dfs_status_t code, std::string_view name);
// LOOKUP: a name that can never be an entry (empty, with a '/') is simply not there.
uint32_t toNfsStat3ForLookup(dfs_status_t code);
uint32_t toMountStat3(dfs_status_t code);

}  // namespace dfs::nfs3

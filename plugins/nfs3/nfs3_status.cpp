// dfs_status_t -> nfsstat3 / mountstat3 (RFC 1813 section 2.6, appendix I).
//
// Codes with no NFSv3 counterpart map the way the Linux NFS server maps the matching
// errno: out of memory, a lock in the way and a stopping server are "try again later"
// (NFS3ERR_JUKEBOX, the client retries), a symlink loop and a malformed name are
// NFS3ERR_INVAL, and anything unknown is NFS3ERR_SERVERFAULT.
#include "nfs3_status.hpp"

#include "nfs3_xdr.hpp"

namespace dfs::nfs3 {

uint32_t toNfsStat3(dfs_status_t code) {
    switch (code) {
    case DFS_OK: return NFS3_OK;
    case DFS_ERR_PERM: return NFS3ERR_PERM;
    case DFS_ERR_NOENT: return NFS3ERR_NOENT;
    case DFS_ERR_IO: return NFS3ERR_IO;
    case DFS_ERR_NXIO: return NFS3ERR_NXIO;
    case DFS_ERR_ACCES: return NFS3ERR_ACCES;
    case DFS_ERR_EXIST: return NFS3ERR_EXIST;
    case DFS_ERR_XDEV: return NFS3ERR_XDEV;
    case DFS_ERR_NODEV: return NFS3ERR_NODEV;
    case DFS_ERR_NOTDIR: return NFS3ERR_NOTDIR;
    case DFS_ERR_ISDIR: return NFS3ERR_ISDIR;
    case DFS_ERR_INVAL: return NFS3ERR_INVAL;
    case DFS_ERR_FBIG: return NFS3ERR_FBIG;
    case DFS_ERR_NOSPC: return NFS3ERR_NOSPC;
    case DFS_ERR_ROFS: return NFS3ERR_ROFS;
    case DFS_ERR_MLINK: return NFS3ERR_MLINK;
    case DFS_ERR_NAMETOOLONG: return NFS3ERR_NAMETOOLONG;
    case DFS_ERR_NOTEMPTY: return NFS3ERR_NOTEMPTY;
    case DFS_ERR_DQUOT: return NFS3ERR_DQUOT;
    case DFS_ERR_STALE: return NFS3ERR_STALE;
    case DFS_ERR_BADHANDLE: return NFS3ERR_BADHANDLE;
    case DFS_ERR_NOTSUPP: return NFS3ERR_NOTSUPP;
    case DFS_ERR_TOOSMALL: return NFS3ERR_TOOSMALL;
    case DFS_ERR_SERVERFAULT: return NFS3ERR_SERVERFAULT;
    case DFS_ERR_BADTYPE: return NFS3ERR_BADTYPE;
    case DFS_ERR_DELAY: return NFS3ERR_JUKEBOX;
    case DFS_ERR_BADCOOKIE: return NFS3ERR_BAD_COOKIE;
    case DFS_ERR_NOT_SYNC: return NFS3ERR_NOT_SYNC;
    case DFS_ERR_NOMEM: return NFS3ERR_JUKEBOX;
    case DFS_ERR_LOCKED: return NFS3ERR_JUKEBOX;
    case DFS_ERR_SHUTDOWN: return NFS3ERR_JUKEBOX;
    case DFS_ERR_LOOP: return NFS3ERR_INVAL;
    case DFS_ERR_BADNAME: return NFS3ERR_INVAL;
    case DFS_ERR_NOXATTR: return NFS3ERR_SERVERFAULT;  // NFSv3 has no xattrs to miss
    default: return NFS3ERR_SERVERFAULT;
    }
}

uint32_t toNfsStat3ForName(dfs_status_t code, std::string_view name) {
    if (code == DFS_ERR_BADNAME && (name == "." || name == "..")) {
        return NFS3ERR_EXIST;
    }
    if (code == DFS_ERR_BADNAME && name.empty()) {
        return NFS3ERR_ACCES;  // Linux nfsd: an empty name is refused, not looked up
    }
    return toNfsStat3(code);
}

uint32_t toNfsStat3ForLookup(dfs_status_t code) {
    return code == DFS_ERR_BADNAME ? static_cast<uint32_t>(NFS3ERR_NOENT) : toNfsStat3(code);
}

uint32_t toMountStat3(dfs_status_t code) {
    switch (code) {
    case DFS_OK: return MNT3_OK;
    case DFS_ERR_PERM: return MNT3ERR_PERM;
    case DFS_ERR_NOENT: return MNT3ERR_NOENT;
    case DFS_ERR_STALE: return MNT3ERR_NOENT;  // the share went away while we looked
    case DFS_ERR_IO: return MNT3ERR_IO;
    case DFS_ERR_ACCES: return MNT3ERR_ACCES;
    case DFS_ERR_NOTDIR: return MNT3ERR_NOTDIR;
    case DFS_ERR_INVAL: return MNT3ERR_INVAL;
    case DFS_ERR_BADNAME: return MNT3ERR_INVAL;
    case DFS_ERR_NAMETOOLONG: return MNT3ERR_NAMETOOLONG;
    case DFS_ERR_NOTSUPP: return MNT3ERR_NOTSUPP;
    default: return MNT3ERR_SERVERFAULT;
    }
}

}  // namespace dfs::nfs3

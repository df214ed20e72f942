// DittoFS SDK C++ layer: attribute rules every metadata store applies the same way.
//
// applySetattr() is the store side of the setattr slot (store.h): it validates the
// request against the object and, only if it is valid, applies it, stamps ctime and
// bumps `change`. Stores call it on their in-memory copy of the inode, then persist.
#pragma once

#include <dittofs/abi/fs.h>
#include <dittofs/cpp/result.hpp>
#include <dittofs/cpp/views.hpp>

#include <algorithm>
#include <string_view>

namespace dfs {

inline Status applySetattr(dfs_attr_t& a, const dfs_setattr_t& sa, dfs_time_t now) {
    const uint32_t m = sa.mask;
    // The kernel resolves the *_NOW forms; one reaching a store is a kernel bug.
    if ((m & (DFS_SET_ATIME_NOW | DFS_SET_MTIME_NOW)) != 0) {
        return makeError(DFS_ERR_INVAL);
    }
    uint64_t size = a.size;
    if ((m & (DFS_SET_SIZE | DFS_SET_SIZE_GROW)) != 0) {
        if (a.type != DFS_TYPE_REG) {
            return makeError(DFS_ERR_INVAL);
        }
        if (sa.size > DFS_MAX_FILE_SIZE) {
            return makeError(DFS_ERR_FBIG);
        }
        size = (m & DFS_SET_SIZE) != 0 ? sa.size : size;
        size = (m & DFS_SET_SIZE_GROW) != 0 ? std::max(size, sa.size) : size;
    }
    if ((m & DFS_SET_MODE) != 0) {
        a.mode = sa.mode & 07777;
    }
    if ((m & DFS_SET_UID) != 0) {
        a.uid = sa.uid;
    }
    if ((m & DFS_SET_GID) != 0) {
        a.gid = sa.gid;
    }
    if (size != a.size) {
        a.size = a.used = size;
        a.mtime = now;  // POSIX truncate(): a size change is a modification
    }
    if ((m & DFS_SET_ATIME) != 0) {
        a.atime = sa.atime;
    }
    if ((m & DFS_SET_MTIME) != 0) {
        a.mtime = sa.mtime;
    }
    if ((m & DFS_SET_BTIME) != 0) {
        a.btime = sa.btime;
    }
    a.ctime = (m & DFS_SET_CTIME) != 0 ? sa.ctime : now;
    a.change++;
    return okStatus();
}

// The object types a store can create (fs.h).
inline bool validType(dfs_ftype_t t) {
    switch (t) {
    case DFS_TYPE_REG:
    case DFS_TYPE_DIR:
    case DFS_TYPE_BLK:
    case DFS_TYPE_CHR:
    case DFS_TYPE_LNK:
    case DFS_TYPE_SOCK:
    case DFS_TYPE_FIFO:
        return true;
    default:
        return false;
    }
}

// A name a create, link, remove or rename may use; "." and ".." are never entries.
inline Status checkNewName(std::string_view name) {
    dfs_status_t c = checkName(name);
    return c == DFS_OK ? okStatus() : Status(makeError(c));
}

// An extended attribute name a store accepts (store.h, xattrs).
inline Status checkXattrName(std::string_view name) {
    if (name.empty() || name.find('\0') != std::string_view::npos) {
        return makeError(DFS_ERR_INVAL);
    }
    if (name.size() > DFS_XATTR_NAME_MAX) {
        return makeError(DFS_ERR_NAMETOOLONG);
    }
    return okStatus();
}

// The arguments of a setxattr, checked the same way by the VFS and every store.
inline Status checkSetxattr(std::string_view name, std::string_view value, uint32_t flags) {
    if (Status s = checkXattrName(name); !s.ok()) {
        return s;
    }
    if (value.size() > DFS_XATTR_VALUE_MAX) {
        return makeError(DFS_ERR_FBIG);
    }
    if ((flags & DFS_XATTR_CREATE) != 0 && (flags & DFS_XATTR_REPLACE) != 0) {
        return makeError(DFS_ERR_INVAL);
    }
    return okStatus();
}

}  // namespace dfs

// Permission checks from mode bits (POSIX.1-2017, 4.5 "File Access Permissions"), the
// rules the Linux NFS server applies for AUTH_SYS callers.
#include "identity.hpp"
#include "vfs.hpp"

namespace dfs::kernel {

bool mayAccess(const dfs_attr_t& a, const dfs_cred_t& c, uint32_t mask) {
    if (c.uid == 0) {
        // Root reads and writes anything; executes only what somebody may execute.
        if ((mask & kMayExec) != 0 && a.type != DFS_TYPE_DIR && (a.mode & 0111) == 0) {
            return false;
        }
        return true;
    }
    uint32_t bits;
    if (c.uid == a.uid) {
        bits = (a.mode >> 6) & 7;
    } else if (credInGroup(c, a.gid)) {
        bits = (a.mode >> 3) & 7;
    } else {
        bits = a.mode & 7;
    }
    return (bits & mask) == mask;
}

bool mayAccessData(const dfs_attr_t& a, const dfs_cred_t& c, uint32_t mask) {
    return c.uid == a.uid || mayAccess(a, c, mask);
}

bool mayDeleteFrom(const dfs_attr_t& dir, const dfs_attr_t& victim, const dfs_cred_t& c) {
    if ((dir.mode & 01000) == 0 || c.uid == 0) {
        return true;
    }
    return c.uid == dir.uid || c.uid == victim.uid;
}

uint32_t accessBits(const dfs_attr_t& a, const dfs_cred_t& c, bool readOnlyShare, uint32_t want) {
    uint32_t g = 0;
    bool isDir = a.type == DFS_TYPE_DIR;
    if (mayAccess(a, c, kMayRead)) {
        g |= DFS_ACCESS_READ;
    }
    if (!readOnlyShare && mayAccess(a, c, kMayWrite)) {
        g |= DFS_ACCESS_MODIFY | DFS_ACCESS_EXTEND;
        if (isDir) {
            g |= DFS_ACCESS_DELETE;
        }
    }
    if (mayAccess(a, c, kMayExec)) {
        g |= isDir ? DFS_ACCESS_LOOKUP : DFS_ACCESS_EXECUTE;
    }
    return g & want;
}

}  // namespace dfs::kernel

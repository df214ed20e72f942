#include "identity.hpp"

#include <dittofs/cpp/views.hpp>

namespace dfs::kernel {

dfs_cred_t effectiveCred(const ShareConfig& share, const dfs_cred_t& in) {
    dfs_cred_t out = copyStruct(&in);
    if (out.ngroups > DFS_CRED_MAX_GROUPS) {
        out.ngroups = DFS_CRED_MAX_GROUPS;
    }
    // AUTH_NONE callers are anonymous whatever they claim.
    bool anonymous = share.squash == Squash::all || in.flavor == DFS_FLAVOR_NONE;
    if (anonymous) {
        out.uid = share.anonUid;
        out.gid = share.anonGid;
        out.ngroups = 0;
        return out;
    }
    if (share.squash == Squash::root) {
        if (out.uid == 0) {
            out.uid = share.anonUid;
        }
        if (out.gid == 0) {
            out.gid = share.anonGid;
        }
        for (uint32_t i = 0; i < out.ngroups; ++i) {
            if (out.groups[i] == 0) {
                out.groups[i] = share.anonGid;
            }
        }
    }
    return out;
}

bool credInGroup(const dfs_cred_t& c, uint32_t gid) {
    if (c.gid == gid) {
        return true;
    }
    for (uint32_t i = 0; i < c.ngroups && i < DFS_CRED_MAX_GROUPS; ++i) {
        if (c.groups[i] == gid) {
            return true;
        }
    }
    return false;
}

}  // namespace dfs::kernel

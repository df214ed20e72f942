// Identity v1: AUTH_SYS-style credentials and the per-share squash rules (root_squash,
// all_squash, anonuid/anongid), as the Linux NFS server applies them: a squashed root
// loses uid 0, gid 0 and group 0 alike.
#pragma once

#include "config.hpp"

#include <dittofs/abi/host.h>

namespace dfs::kernel {

dfs_cred_t effectiveCred(const ShareConfig& share, const dfs_cred_t& in);
bool credInGroup(const dfs_cred_t& c, uint32_t gid);

}  // namespace dfs::kernel

// File handles: what a protocol plugin gives its clients to name an object. Opaque to
// them; here it is share id + inode number + generation, versioned, so it survives
// restarts and turns stale once the object is gone (BASE-04).
//
//   byte 0   'D'      magic
//   byte 1   1        layout version
//   byte 2-3 0        reserved
//   byte 4-7          share id (big-endian)
//   byte 8-15         inode number (big-endian)
//   byte 16-23        generation (big-endian)
#pragma once

#include <dittofs/abi/common.h>
#include <dittofs/abi/host.h>

#include <cstdint>

namespace dfs::kernel {

struct HandleParts {
    uint32_t shareId = 0;
    uint64_t ino = 0;
    uint64_t generation = 0;
};

inline constexpr uint32_t kHandleSize = 24;

dfs_fh_t encodeHandle(const HandleParts& p);
// DFS_OK or DFS_ERR_BADHANDLE.
dfs_status_t decodeHandle(const dfs_fh_t* fh, HandleParts& out);

}  // namespace dfs::kernel

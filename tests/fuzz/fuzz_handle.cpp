// Fuzz target: the file handle decoder (kernel/src/handle.cpp): handles come from clients.
#include "src/handle.hpp"

#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    dfs_fh_t fh;
    std::memset(&fh, 0, sizeof fh);
    fh.len = static_cast<uint32_t>(size);  // may exceed DFS_FH_MAX: the decoder must refuse it
    std::memcpy(fh.data, data, size < DFS_FH_MAX ? size : DFS_FH_MAX);
    dfs::kernel::HandleParts p;
    if (dfs::kernel::decodeHandle(&fh, p) == DFS_OK) {
        dfs_fh_t again = dfs::kernel::encodeHandle(p);
        if (again.len != fh.len || std::memcmp(again.data, fh.data, again.len) != 0) {
            __builtin_trap();  // decode and encode must agree
        }
    }
    return 0;
}

// NFSPROC3_READDIRPLUS: RFC 1813 section 3.3.17: READDIR with each entry's attributes and
// handle, which the VFS reads in the same pass (readdir_common.cpp).
#include "../nfs3_ops.hpp"

namespace dfs::nfs3 {

Outcome nfsReaddirplus(Call& c) {
    ReaddirArgs a;
    if (!decodeReaddirplusArgs(c.args(), a)) {
        return Outcome::kGarbage;
    }
    return listDirectory(c, a, true);
}

}  // namespace dfs::nfs3

// NFSPROC3_READDIR: RFC 1813 section 3.3.16 (the listing itself: readdir_common.cpp).
#include "../nfs3_ops.hpp"

namespace dfs::nfs3 {

Outcome nfsReaddir(Call& c) {
    ReaddirArgs a;
    if (!decodeReaddirArgs(c.args(), a)) {
        return Outcome::kGarbage;
    }
    return listDirectory(c, a, false);
}

}  // namespace dfs::nfs3

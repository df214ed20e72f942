// NFSPROC3_MKDIR: RFC 1813 section 3.3.9.
#include "../nfs3_ops.hpp"

namespace dfs::nfs3 {

Outcome nfsMkdir(Call& c) {
    MkdirArgs a;
    if (!decodeMkdirArgs(c.args(), a)) {
        return Outcome::kGarbage;
    }
    return createObject(c, a.where, createArgs(DFS_TYPE_DIR, a.attr, 0755), a.attr);
}

}  // namespace dfs::nfs3

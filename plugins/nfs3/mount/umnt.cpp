// MOUNTPROC3_UMNT: RFC 1813 appendix I. Removes (client, path) from the mount list; the
// client's handles stay valid (NFSv3 has no mount state on the server).
#include "../nfs3_ops.hpp"

namespace dfs::nfs3 {

Outcome mountUmnt(Call& c) {
    std::string_view path;
    if (!decodeDirpath(c.args(), path)) {
        return Outcome::kGarbage;
    }
    c.inst().mounts().remove(c.clientAddr(), path);
    return Outcome::kReplied;
}

}  // namespace dfs::nfs3

// MOUNTPROC3_UMNTALL: RFC 1813 appendix I. Forgets every mount of the calling client.
#include "../nfs3_ops.hpp"

namespace dfs::nfs3 {

Outcome mountUmntall(Call& c) {
    c.inst().mounts().removeAll(c.clientAddr());
    return Outcome::kReplied;
}

}  // namespace dfs::nfs3

// NFSPROC3_NULL: RFC 1813 section 3.3.0. No work; clients use it to ping the server.
#include "../nfs3_ops.hpp"

namespace dfs::nfs3 {

Outcome nfsNull(Call& c) {
    (void)c;
    return Outcome::kReplied;
}

}  // namespace dfs::nfs3

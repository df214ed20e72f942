// NFSPROC3_PATHCONF: RFC 1813 section 3.3.20. Names up to DFS_NAME_MAX bytes, longer ones
// refused (never truncated); only root may give a file away (chown_restricted); names
// are case-sensitive and kept as given.
#include "../nfs3_ops.hpp"

namespace dfs::nfs3 {
namespace {
// nlink is 32-bit in every store; the metadata stores set no lower limit.
constexpr uint32_t kLinkMax = UINT32_MAX;
}  // namespace

Outcome nfsPathconf(Call& c) {
    FhArgs a;
    if (!decodeFhArgs(c.args(), a)) {
        return Outcome::kGarbage;
    }
    if (c.putObjectStatus(a.fh)) {
        xdr::Writer& w = c.out();
        w.u32(kLinkMax);
        w.u32(DFS_NAME_MAX);
        w.boolean(true);   // no_trunc
        w.boolean(true);   // chown_restricted
        w.boolean(false);  // case_insensitive
        w.boolean(true);   // case_preserving
    }
    return Outcome::kReplied;
}

}  // namespace dfs::nfs3

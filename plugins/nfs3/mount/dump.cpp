// MOUNTPROC3_DUMP: RFC 1813 appendix I. The mount list as MNT and UMNT left it; advisory,
// like every server's.
#include "../nfs3_ops.hpp"

#include <algorithm>

namespace dfs::nfs3 {

Outcome mountDump(Call& c) {
    std::vector<MountEntry> list = c.inst().mounts().snapshot();
    size_t size = 4;
    for (auto& m : list) {
        if (m.client.size() > kMntNameLen) {
            m.client.resize(kMntNameLen);
        }
        size += 4 + 4 + xdr::padded(m.client.size()) + 4 + xdr::padded(m.path.size());
    }
    if (!c.begin(size)) {
        return Outcome::kSystemErr;
    }
    for (const auto& m : list) {
        c.out().boolean(true);
        c.out().var(m.client);
        c.out().var(m.path);
    }
    c.out().boolean(false);
    return Outcome::kReplied;
}

}  // namespace dfs::nfs3

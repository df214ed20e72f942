// NFSPROC3_WRITE: RFC 1813 section 3.3.7. The payload is handed to the VFS as a view of
// the call's arguments (no copy). At most wtmax bytes are written; the reply says how
// many, how stable they are (never less than asked), and the server's write verifier,
// which changes at every start so clients know to resend UNSTABLE data.
#include "../nfs3_ops.hpp"

#include <algorithm>

namespace dfs::nfs3 {

Outcome nfsWrite(Call& c) {
    WriteArgs a;
    if (!decodeWriteArgs(c.args(), a)) {
        return Outcome::kGarbage;
    }
    c.setPrimary(&a.fh);
    uint32_t count = std::min(a.count, c.settings().wtmax);
    dfs_wcc_t wcc = noWcc();
    dfs_stable_t committed = DFS_FILE_SYNC;
    dfs_bytes_t data{reinterpret_cast<const uint8_t*>(a.data.data()), count};
    dfs_err_t e = c.vfs().write(c.ctx(), c.cred(), &a.fh, a.offset, data, static_cast<dfs_stable_t>(a.stable),
                                &committed, &wcc);
    c.putStatus(toNfsStat3(e.code));
    c.putWcc(wcc);
    if (e.code == DFS_OK) {
        uint8_t verf[kWriteVerfSize] = {};
        c.vfs().write_verifier(c.ctx(), verf);
        c.out().u32(count);
        c.out().u32(static_cast<uint32_t>(std::max<dfs_stable_t>(committed, static_cast<dfs_stable_t>(a.stable))));
        c.out().fixed(verf, kWriteVerfSize);
    }
    return Outcome::kReplied;
}

}  // namespace dfs::nfs3

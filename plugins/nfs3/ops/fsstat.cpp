// NFSPROC3_FSSTAT: RFC 1813 section 3.3.18, from the share's stores (VFS statfs). invarsec
// is 0: the values change at any time.
#include "../nfs3_ops.hpp"

namespace dfs::nfs3 {

Outcome nfsFsstat(Call& c) {
    FhArgs a;
    if (!decodeFhArgs(c.args(), a)) {
        return Outcome::kGarbage;
    }
    c.setPrimary(&a.fh);
    dfs_attr_t attr = noAttr();
    auto st = makeStruct<dfs_statfs_t>();
    dfs_err_t e = c.vfs().getattr(c.ctx(), c.cred(), &a.fh, &attr);
    if (e.code == DFS_OK) {
        e = c.vfs().statfs(c.ctx(), c.cred(), &a.fh, &st);
    }
    c.putStatus(toNfsStat3(e.code));
    c.putAttr(attr);
    if (e.code == DFS_OK) {
        xdr::Writer& w = c.out();
        w.u64(st.total_bytes);
        w.u64(st.free_bytes);
        w.u64(st.avail_bytes);
        w.u64(st.total_files);
        w.u64(st.free_files);
        w.u64(st.avail_files);
        w.u32(0);  // invarsec
    }
    return Outcome::kReplied;
}

}  // namespace dfs::nfs3

// MOUNTPROC3_MNT: RFC 1813 appendix I. Maps an export path (or a share name) to the
// share's root handle with the caller's credential, so the kernel checks the client's
// address against the share (MNT3ERR_ACCES) and applies its squash rules. The client is
// told it may use AUTH_SYS or AUTH_NONE.
#include "../nfs3_ops.hpp"

namespace dfs::nfs3 {
namespace {
constexpr uint32_t kAuthNone = 0;
constexpr uint32_t kAuthSys = 1;
}  // namespace

Outcome mountMnt(Call& c) {
    std::string_view path;
    if (!decodeDirpath(c.args(), path)) {
        return Outcome::kGarbage;
    }
    dfs_fh_t root{};
    dfs_attr_t attr = noAttr();
    dfs_err_t e = c.vfs().share_root(c.ctx(), c.cred(), toC(path), &root, &attr);
    if (e.code == DFS_OK && attr.type != DFS_TYPE_DIR && present(attr)) {
        e.code = DFS_ERR_NOTDIR;
    }
    c.putStatus(toMountStat3(e.code));
    if (e.code == DFS_OK) {
        encodeFh(c.out(), root);
        c.out().u32(2);
        c.out().u32(kAuthSys);
        c.out().u32(kAuthNone);
        c.inst().mounts().add(c.clientAddr(), path);
    }
    return Outcome::kReplied;
}

}  // namespace dfs::nfs3

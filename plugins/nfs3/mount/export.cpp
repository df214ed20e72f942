// MOUNTPROC3_EXPORT: RFC 1813 appendix I. Every share's path. The group list is empty,
// which clients read as "exported to everyone": a share's `clients` networks are not
// visible through the VFS table, and they are enforced on every call anyway.
#include "../nfs3_ops.hpp"

#include <string>
#include <vector>

namespace dfs::nfs3 {
namespace {

void collect(void* ctx, const dfs_share_info_t* share) {
    if (share != nullptr) {
        static_cast<std::vector<std::string>*>(ctx)->emplace_back(toView(share->path));
    }
}

}  // namespace

Outcome mountExport(Call& c) {
    std::vector<std::string> paths;
    if (c.vfs().share_list != nullptr) {
        c.vfs().share_list(c.ctx(), collect, &paths);
    }
    size_t size = 4;
    for (auto& p : paths) {
        if (p.size() > kMntPathLen) {
            p.resize(kMntPathLen);
        }
        size += 4 + 4 + ((p.size() + 3) & ~size_t{3}) + 4;
    }
    if (!c.begin(size)) {
        return Outcome::kSystemErr;
    }
    for (const auto& p : paths) {
        c.out().boolean(true);
        c.out().var(p);
        c.out().boolean(false);  // no groups
    }
    c.out().boolean(false);
    return Outcome::kReplied;
}

}  // namespace dfs::nfs3

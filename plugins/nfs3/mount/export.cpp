// MOUNTPROC3_EXPORT: RFC 1813 appendix I. Every share this protocol exports, with its
// allowed client networks as the group list (`showmount -e`); an empty list reads as
// "everyone". The networks are enforced on every call anyway, not by this list.
#include "../nfs3_ops.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace dfs::nfs3 {
namespace {

struct Export {
    std::string path;
    std::vector<std::string> groups;
};

void collect(void* ctx, const dfs_share_info_t* share) {
    if (share == nullptr) {
        return;
    }
    Export e{std::string(toView(share->path)), {}};
    // `clients` arrived in ABI 1.2: an older kernel's struct is shorter.
    if (share->struct_size >= offsetof(dfs_share_info_t, clients) + sizeof share->clients && share->clients != nullptr) {
        for (uint32_t i = 0; i < share->nclients; ++i) {
            e.groups.emplace_back(toView(share->clients[i]));
        }
    }
    static_cast<std::vector<Export>*>(ctx)->push_back(std::move(e));
}

}  // namespace

Outcome mountExport(Call& c) {
    std::vector<Export> exports;
    if (c.vfs().share_list != nullptr) {
        c.vfs().share_list(c.ctx(), collect, &exports);
    }
    size_t size = 4;
    for (auto& e : exports) {
        if (e.path.size() > kMntPathLen) {
            e.path.resize(kMntPathLen);
        }
        size += 4 + 4 + xdr::padded(e.path.size()) + 4;
        for (auto& g : e.groups) {
            if (g.size() > kMntNameLen) {
                g.resize(kMntNameLen);
            }
            size += 4 + 4 + xdr::padded(g.size());
        }
    }
    if (!c.begin(size)) {
        return Outcome::kSystemErr;
    }
    for (const auto& e : exports) {
        c.out().boolean(true);
        c.out().var(e.path);
        for (const auto& g : e.groups) {
            c.out().boolean(true);
            c.out().var(g);
        }
        c.out().boolean(false);
    }
    c.out().boolean(false);
    return Outcome::kReplied;
}

}  // namespace dfs::nfs3

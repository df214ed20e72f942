// The MOUNT protocol's record of who mounted what (RFC 1813 appendix I, DUMP). Advisory
// only, as in every NFSv3 server: a client that never says UMNT stays listed, and the
// list does not survive a restart. Bounded, so clients cannot grow it without limit.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace dfs::nfs3 {

struct MountEntry {
    std::string client;  // numeric address of the client
    std::string path;    // the dirpath it mounted
};

class MountList {
public:
    static constexpr size_t kMaxEntries = 4096;

    // Adds (client, path) once; when full, the oldest entry makes room.
    void add(std::string_view client, std::string_view path);
    void remove(std::string_view client, std::string_view path);
    void removeAll(std::string_view client);
    std::vector<MountEntry> snapshot() const;

private:
    mutable std::mutex mutex_;
    std::vector<MountEntry> entries_;
};

}  // namespace dfs::nfs3

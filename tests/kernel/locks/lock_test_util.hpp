// Helpers shared by the lock manager tests: owners, ranges and a completion recorder.
#pragma once

#include "src/locks/lock_manager.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <vector>

namespace dfs::kernel::locks::testing {

inline LockOwner nlmOwner(const std::string& client, uint32_t svid = 1) {
    return LockOwner{LockProtocol::nlm, client, "oh-" + client, svid};
}
inline LockOwner nfs4Owner(const std::string& client, const std::string& owner = "lo") {
    return LockOwner{LockProtocol::nfs4, client, owner, 0};
}
inline LockOwner smbOwner(const std::string& client, const std::string& fid = "fid1") {
    return LockOwner{LockProtocol::smb, client, fid, 0};
}

inline ByteRange rng(uint64_t offset, uint64_t length) {
    auto r = makeRange(offset, length);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : ByteRange{};
}

inline const FileKey kFile{1, 42};

// Records completions in the order they arrive.
struct Completions {
    std::mutex mutex;
    std::vector<std::pair<uint64_t, dfs_status_t>> got;
    std::vector<int> errnos;

    LockCompletion callback() {
        return [this](uint64_t t, Status s) {
            std::lock_guard<std::mutex> g(mutex);
            got.emplace_back(t, s.code());
            errnos.push_back(s.error().sysErrno);
        };
    }
    size_t size() {
        std::lock_guard<std::mutex> g(mutex);
        return got.size();
    }
};

inline LockRequest req(const LockOwner& o, ByteRange r, LockType t, bool block = false, FileKey f = kFile) {
    LockRequest q;
    q.file = f;
    q.owner = o;
    q.range = r;
    q.type = t;
    q.block = block;
    return q;
}

}  // namespace dfs::kernel::locks::testing

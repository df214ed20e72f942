// localfs: the default block store. Each object is one file under a root directory.
//
// Layout (a stable on-disk format: changing it needs a migration):
//     <root>/<ab>/<cd>/<id as 16 lower-case hex digits>
// where ab and cd are the lowest and second-lowest byte of the id in hex, so consecutive
// inode numbers spread over 65536 directories and no directory grows without bound.
//
// Config:
//   root           directory of the objects; relative paths are taken from data_dir
//                  (default: "blocks")
//   data_dir       the kernel's data directory (always passed by the kernel)
//   fd_cache_size  how many object files to keep open (default 256)
//
// Holes, preallocation, SEEK_DATA/SEEK_HOLE and reflinks are those of the file system
// under root (fallocate, lseek, FICLONERANGE), with portable fallbacks where it lacks
// them. Durability follows store.h: every call is durable against a crash of the
// process once it returns (it is in the kernel's page cache); stable writes and flush
// are also durable against a power loss (fdatasync/fsync, plus the directory entry of
// a new object file).
#pragma once

#include "fd_cache.hpp"

#include <dittofs/cpp/store.hpp>

#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>

namespace dfs::localfs {

class LocalFsBlockStore : public BlockStore {
public:
    static Result<std::unique_ptr<LocalFsBlockStore>> open(const Host& host, const Config& cfg);

    LocalFsBlockStore(Host host, std::string root, size_t fdCacheSize);

    Result<uint64_t> read(uint64_t obj, uint64_t offset, dfs_buf_t buf) override;
    Status write(uint64_t obj, uint64_t offset, dfs_bytes_t data, dfs_stable_t stable) override;
    Status truncate(uint64_t obj, uint64_t size) override;
    Result<uint64_t> size(uint64_t obj) override;
    Status flush(uint64_t obj) override;
    Status remove(uint64_t obj) override;
    Status punchHole(uint64_t obj, uint64_t offset, uint64_t len) override;
    Status allocate(uint64_t obj, uint64_t offset, uint64_t len) override;
    Result<uint64_t> seek(uint64_t obj, uint64_t offset, dfs_seek_what_t what) override;
    Status clone(uint64_t src, uint64_t srcOff, uint64_t dst, uint64_t dstOff, uint64_t len) override;
    Status statfs(dfs_statfs_t& out) override;

private:
    std::string dirOf(uint64_t obj) const;
    std::string pathOf(uint64_t obj) const;

    // The object's open file, from the cache or opened now. With create, a missing
    // object file (and its fan-out directories) is created; without, a missing object
    // gives a null pointer.
    Result<OpenFilePtr> openObject(uint64_t obj, bool create);
    Result<int> createObjectFile(uint64_t obj);

    // Makes the directory entry of a newly created object file durable, once.
    Status syncNewEntry(uint64_t obj);
    Status syncData(int fd, dfs_stable_t stable);

    // Serialises opening, removing and syncing the directory entry of the same object,
    // so a remove cannot race with an open that would cache a descriptor of the
    // unlinked file. Lock order: a stripe, then newMu_.
    std::mutex& stripe(uint64_t obj) { return stripes_[obj % stripes_.size()]; }

    const Host host_;
    const std::string root_;
    FdCache cache_;
    std::array<std::mutex, 64> stripes_;
    std::mutex newMu_;
    std::unordered_set<uint64_t> unsyncedNew_;  // created, directory entry not yet fsync'ed
};

}  // namespace dfs::localfs

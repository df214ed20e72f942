// localfs: a bounded, thread-safe LRU cache of open object files.
//
// Opening a file costs a path walk and, for new objects, directory updates; NFS clients
// write a file in many small pieces, so the store keeps recently used files open. A
// cached file is handed out as a shared pointer: evicting or forgetting it only drops
// the cache's reference, and the descriptor closes when the last call using it
// returns, so no call ever sees its descriptor closed (or reused) under it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace dfs::localfs {

// One open object file; closes the descriptor when the last user lets go.
class OpenFile {
public:
    explicit OpenFile(int fd) : fd_(fd) {}
    ~OpenFile();
    OpenFile(const OpenFile&) = delete;
    OpenFile& operator=(const OpenFile&) = delete;

    int fd() const { return fd_; }

private:
    const int fd_;
};
using OpenFilePtr = std::shared_ptr<OpenFile>;

class FdCache {
public:
    explicit FdCache(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

    // The cached file of `obj`, marked most recently used; null if not cached.
    OpenFilePtr find(uint64_t obj);

    // Caches `file` for `obj` (replacing any previous one), evicting the least
    // recently used entries beyond the capacity.
    void insert(uint64_t obj, OpenFilePtr file);

    // Drops `obj` from the cache (after its file was unlinked).
    void erase(uint64_t obj);

private:
    using Entry = std::pair<uint64_t, OpenFilePtr>;

    const size_t capacity_;
    std::mutex mu_;
    std::list<Entry> lru_;  // front: most recently used
    std::unordered_map<uint64_t, std::list<Entry>::iterator> index_;
};

}  // namespace dfs::localfs

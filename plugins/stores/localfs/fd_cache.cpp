// localfs: the open-file cache (see fd_cache.hpp).
#include "fd_cache.hpp"

#include <unistd.h>

namespace dfs::localfs {

OpenFile::~OpenFile() {
    // Errors of close() on a file we only wrote with pwrite carry no information that
    // fsync has not already reported (or will report on the next flush).
    ::close(fd_);
}

OpenFilePtr FdCache::find(uint64_t obj) {
    std::lock_guard lock(mu_);
    auto it = index_.find(obj);
    if (it == index_.end()) {
        return nullptr;
    }
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->second;
}

void FdCache::insert(uint64_t obj, OpenFilePtr file) {
    // Files dropped here are released after the lock, so a close() never runs under it.
    std::list<Entry> dropped;
    {
        std::lock_guard lock(mu_);
        auto it = index_.find(obj);
        if (it != index_.end()) {
            dropped.splice(dropped.end(), lru_, it->second);
            index_.erase(it);
        }
        lru_.emplace_front(obj, std::move(file));
        index_[obj] = lru_.begin();
        while (lru_.size() > capacity_) {
            auto last = std::prev(lru_.end());
            index_.erase(last->first);
            dropped.splice(dropped.end(), lru_, last);
        }
    }
}

void FdCache::erase(uint64_t obj) {
    std::list<Entry> dropped;
    {
        std::lock_guard lock(mu_);
        auto it = index_.find(obj);
        if (it == index_.end()) {
            return;
        }
        dropped.splice(dropped.end(), lru_, it->second);
        index_.erase(it);
    }
}

}  // namespace dfs::localfs

// localfs: what the store keeps of its object files between calls, in bounded,
// thread-safe LRU caches: open descriptors, and read-only mappings for lending.
//
// Opening a file costs a path walk and, for new objects, directory updates; NFS clients
// write a file in many small pieces, so the store keeps recently used files open. A
// cached file is handed out as a shared pointer: evicting or forgetting it only drops
// the cache's reference, and the descriptor closes when the last call using it
// returns, so no call ever sees its descriptor closed (or reused) under it. Mappings
// (lend) are held the same way, by the lent ranges that point into them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <list>
#include <map>
#include <memory>
#include <mutex>
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

// A read-only shared mapping of [offset, offset+len) of an object file (which may end
// before it: pages past the end fault). Unmapped when the last user lets go.
class Window {
public:
    Window(OpenFilePtr file, const uint8_t* base, size_t len) : file_(std::move(file)), base_(base), len_(len) {}
    ~Window();
    Window(const Window&) = delete;
    Window& operator=(const Window&) = delete;

    const OpenFilePtr& file() const { return file_; }
    const uint8_t* base() const { return base_; }
    size_t length() const { return len_; }

private:
    const OpenFilePtr file_;  // its size tells what of the mapping may be lent
    const uint8_t* const base_;
    const size_t len_;
};
using WindowPtr = std::shared_ptr<const Window>;

// Keeps the `capacity` most recently used values. Values dropped (evicted, replaced,
// erased) are destroyed after the lock is let go, so a close() or munmap() never runs
// under it.
template <typename Key, typename Value>
class LruCache {
public:
    explicit LruCache(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

    // The value of `key`, marked most recently used; empty if not cached.
    Value find(const Key& key) {
        std::lock_guard lock(mu_);
        auto it = index_.find(key);
        if (it == index_.end()) {
            return Value{};
        }
        lru_.splice(lru_.begin(), lru_, it->second);
        return it->second->second;
    }

    // Caches `value` for `key`, replacing any previous one, evicting the least recently
    // used entries beyond the capacity.
    void insert(const Key& key, Value value) {
        std::list<Entry> dropped;
        std::lock_guard lock(mu_);
        auto it = index_.find(key);
        if (it != index_.end()) {
            dropped.splice(dropped.end(), lru_, it->second);
            index_.erase(it);
        }
        lru_.emplace_front(key, std::move(value));
        index_[key] = lru_.begin();
        while (lru_.size() > capacity_) {
            auto last = std::prev(lru_.end());
            index_.erase(last->first);
            dropped.splice(dropped.end(), lru_, last);
        }
        // (`dropped` is destroyed after `lock`: declared before it.)
    }

    // Drops every key in [from, to].
    void eraseRange(const Key& from, const Key& to) {
        std::list<Entry> dropped;
        std::lock_guard lock(mu_);
        for (auto it = index_.lower_bound(from); it != index_.end() && !(to < it->first);) {
            dropped.splice(dropped.end(), lru_, it->second);
            it = index_.erase(it);
        }
    }
    void erase(const Key& key) { eraseRange(key, key); }

private:
    using Entry = std::pair<Key, Value>;

    const size_t capacity_;
    std::mutex mu_;
    std::list<Entry> lru_;  // front: most recently used
    std::map<Key, typename std::list<Entry>::iterator> index_;
};

// Open object files, by object id.
using FdCache = LruCache<uint64_t, OpenFilePtr>;
// Mappings, by (object id, window number).
using MapCache = LruCache<std::pair<uint64_t, uint64_t>, WindowPtr>;

}  // namespace dfs::localfs

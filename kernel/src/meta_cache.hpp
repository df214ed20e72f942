// The kernel's view of one metadata store instance: its client plus a cache of object
// attributes, so that resolving a handle (every call of every protocol) and GETATTR do not
// each cost a store call.
//
// Every call of the VFS reaches the store through this class, so the cache sees every
// change, and each change marks stale exactly the objects it changes (store.h says which):
// setattr (and a WRITE's size/mtime update) refreshes the object from the attributes the
// store returns; create marks the directory stale and caches the new object; link marks
// the directory stale and refreshes the object; remove marks the directory stale and
// refreshes the removed object (or drops it when it is gone); the xattr changes mark their
// object stale (its ctime moved). rename empties the whole cache: besides both
// directories and the replaced object, it stamps the moved object, which the store does
// not name.
//
// UNSTABLE WRITEs (noteWrite) change only the cached entry: the new size and mtime are
// kept as pending and written to the store in one setattr per object at COMMIT (sync),
// before a setattr of that object, or at the store instance's end. Whatever the store
// returns meanwhile (lookups, listings, a hard link, an UNCHECKED create of an existing
// file) has the pending size and mtime merged in, so no client sees the store's older
// ones. NFSv3 allows it: until COMMIT returns, UNSTABLE data may be lost with the server,
// and the write verifier tells the client to send it again; the data and its size are
// then written again together. The pending set is bounded: past kMaxPending objects a
// WRITE updates the store itself.
//
// Races: attributes read from the store before a change must not be cached after it.
// Marking an object stale records the cache's generation at that moment, and an answer
// whose store call began before that generation is not cached (emptying the whole cache
// raises a floor, the generation every entry made afresh is stale since). Among fresh
// answers, an entry is replaced only by attributes whose `change` is not older (store.h:
// it grows with every change of an object). The definitions are in meta_cache.cpp.
#pragma once

#include <dittofs/cpp/store_client.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dfs::kernel {

class CachedMetadata {
public:
    CachedMetadata() = default;
    CachedMetadata(const CachedMetadata&) = delete;
    CachedMetadata& operator=(const CachedMetadata&) = delete;
    // Before the instance is shared: the store this caches.
    void attach(MetadataStoreClient client) { client_ = std::move(client); }

    const MetadataStoreClient& client() const { return client_; }
    bool hasRequiredSlots() const { return client_.hasRequiredSlots(); }

    Result<uint64_t> root() const { return client_.root(); }
    Result<dfs_attr_t> getattr(uint64_t ino) const;
    // A pending size/mtime of the object goes to the store first (or the setattr fails).
    Result<dfs_attr_t> setattr(uint64_t ino, const dfs_setattr_t& sa, dfs_time_t now) const;
    Result<dfs_attr_t> lookup(uint64_t dir, std::string_view name) const;

    // An UNSTABLE WRITE of a regular file ending at `end`, at time `t`: recorded in the
    // cached entry only (pending for the store), whose attributes `after` receives. False
    // when the object has no cached entry or too many are pending: the caller updates the
    // store itself.
    bool noteWrite(uint64_t ino, uint64_t end, dfs_time_t t, dfs_attr_t* after) const;
    // Writes the pending size/mtime updates to the store: all of them, or only `ino`'s.
    Status flushPending(uint64_t ino = 0) const;

    // Namespace and xattr changes: each marks stale what it changed (see the head of the
    // file) once the store has answered.
    Result<MetadataStoreClient::Created> create(uint64_t dir, std::string_view name, const dfs_create_args_t& args,
                                                dfs_time_t now) const;
    Result<dfs_attr_t> link(uint64_t ino, uint64_t dir, std::string_view name, dfs_time_t now) const;
    Result<dfs_attr_t> remove(uint64_t dir, std::string_view name, uint32_t flags, dfs_time_t now) const;
    Result<dfs_attr_t> rename(uint64_t sd, std::string_view sn, uint64_t dd, std::string_view dn,
                              dfs_time_t now) const;
    Status setxattr(uint64_t ino, std::string_view name, std::string_view value, uint32_t flags,
                    dfs_time_t now) const;
    Status removexattr(uint64_t ino, std::string_view name, dfs_time_t now) const;

    // Reads that return no object attributes: straight to the store.
    Result<std::string> readlink(uint64_t ino) const { return client_.readlink(ino); }
    Result<bool> readdir(uint64_t dir, uint64_t cookie, const std::function<bool(const dfs_dirent_t&)>& sink) const {
        return client_.readdir(dir, cookie, sink);
    }
    // A listing with attributes: from the cache for the objects it holds, else from the
    // store (cached while the cache is less than half full, so that a big directory does
    // not push out everything else), with the pending sizes merged in.
    Result<bool> readdirPlus(uint64_t dir, uint64_t cookie, const MetadataStoreClient::DirentPlusSink& sink) const;
    Result<std::string> getxattr(uint64_t ino, std::string_view name) const { return client_.getxattr(ino, name); }
    Result<std::vector<std::string>> listxattr(uint64_t ino) const { return client_.listxattr(ino); }
    dfs_statfs_t statfs() const { return client_.statfs(); }
    Status sync() const;

private:
    struct Entry {
        dfs_attr_t attr;
        // 0: valid. Otherwise the generation at which the object changed in the store (or
        // the floor, for an entry made afresh); only answers from store calls begun since
        // then may replace it.
        uint64_t staleSince;
    };
    struct Pending {
        uint64_t size = 0;
        dfs_time_t mtime{};
        void add(uint64_t end, dfs_time_t t);
    };

    uint64_t generation() const;
    // Caches `a`, read (getattr, lookup) by a store call begun at generation `gen`, and
    // returns it with the pending size/mtime of its object merged in. A read that may be
    // older than a change marked since is dropped, and so is a new entry once the cache
    // holds `room` entries.
    dfs_attr_t offer(dfs_attr_t a, uint64_t gen, size_t room = SIZE_MAX) const;
    Result<dfs_attr_t> offered(Result<dfs_attr_t> a, uint64_t gen) const;
    // After a change of `a.ino` the store answered with `a` (a store call begun at
    // generation `gen`): `a` replaces the entry, and is returned with the pending
    // size/mtime merged in. If it cannot be trusted to be the newest (the object was
    // marked stale, or the cache emptied, since the call began), the entry is marked stale
    // now instead, so that no read begun before this change can be cached after it.
    // Concurrent changes that answered too are ordered by `change`.
    dfs_attr_t refresh(dfs_attr_t a, uint64_t gen) const;
    dfs_attr_t refreshLocked(dfs_attr_t a, uint64_t gen) const;
    void markStale(uint64_t ino) const;
    // The object is gone: its entry and any pending update with it.
    void forget(uint64_t ino) const;
    void clear() const;
    // Under mu_: the entry of `ino`, made stale since the floor when missing; null when
    // missing and the cache holds `room` entries, or is full (it is emptied now).
    Entry* entryLocked(uint64_t ino, size_t room = SIZE_MAX) const;
    // Under mu_: the entry of `ino` if it is cached and valid.
    Entry* validLocked(uint64_t ino) const;
    void clearLocked() const;
    // Under mu_: the attributes as the pending update of their object will make them.
    void mergePending(dfs_attr_t& a) const;

    MetadataStoreClient client_;
    mutable std::mutex mu_;
    mutable uint64_t gen_ = 1;
    mutable uint64_t floor_ = 1;
    mutable std::unordered_map<uint64_t, Entry> attrs_;
    // Size/mtime updates of UNSTABLE WRITEs not yet in the store (under mu_); flushMu_
    // makes a reader that flushes wait for a flush already under way.
    mutable std::unordered_map<uint64_t, Pending> pending_;
    // The updates a flush is writing (under mu_), until the store has answered for each.
    mutable std::unordered_map<uint64_t, Pending> flushed_;
    mutable std::atomic<bool> havePending_{false};
    mutable std::mutex flushMu_;
};

}  // namespace dfs::kernel

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
// Marking an object stale records the cache's generation at that moment, and an insertion
// whose store call began before that generation is dropped (emptying the whole cache
// raises a floor under which every insertion is dropped). Among fresh answers, an entry
// is replaced only by attributes whose `change` is not older (store.h: it grows with
// every change of an object).
#pragma once

#include <dittofs/cpp/store_client.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
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

    Result<dfs_attr_t> getattr(uint64_t ino) const {
        uint64_t gen = 0;
        {
            std::lock_guard<std::mutex> g(mu_);
            if (auto it = attrs_.find(ino); it != attrs_.end() && it->second.staleSince == 0) {
                return it->second.attr;
            }
            gen = gen_;
        }
        return offered(client_.getattr(ino), gen);
    }
    Result<dfs_attr_t> setattr(uint64_t ino, const dfs_setattr_t& sa, dfs_time_t now) const {
        // A pending size/mtime of this object goes first, or it would land after (and
        // undo) this change; if it cannot be written, neither is this change.
        if (Status s = flushPending(ino); !s.ok()) {
            return s.error();
        }
        uint64_t gen = generation();
        auto a = client_.setattr(ino, sa, now);
        if (a.ok()) {
            *a = refresh(*a, gen);
        } else {
            markStale(ino);
        }
        return a;
    }
    Result<dfs_attr_t> lookup(uint64_t dir, std::string_view name) const {
        return offered(client_.lookup(dir, name), generation());
    }

    // An UNSTABLE WRITE of a regular file ending at `end`, at time `t`: recorded in the
    // cached entry only (pending for the store), whose attributes `after` receives. False
    // when the object has no cached entry or too many are pending: the caller updates the
    // store itself.
    bool noteWrite(uint64_t ino, uint64_t end, dfs_time_t t, dfs_attr_t* after) const {
        std::lock_guard<std::mutex> g(mu_);
        auto it = attrs_.find(ino);
        if (it == attrs_.end() || it->second.staleSince != 0 || it->second.attr.type != DFS_TYPE_REG) {
            return false;
        }
        auto p = pending_.find(ino);
        if (p == pending_.end()) {
            if (pending_.size() >= kMaxPending) {
                return false;
            }
            p = pending_.emplace(ino, Pending{}).first;
        }
        p->second.size = std::max(p->second.size, end);
        p->second.mtime = later(p->second.mtime, t);
        havePending_.store(true);
        mergePending(it->second.attr);
        if (after != nullptr) {
            *after = it->second.attr;
        }
        return true;
    }

    // Writes the pending size/mtime updates to the store: all of them, or only `ino`'s.
    Status flushPending(uint64_t ino = 0) const {
        // Either flag is set from a note until its update is in the store (flushing_ is
        // raised before the pending set is taken), so seeing both clear means nothing of
        // what was noted before this call is missing from the store.
        if (!havePending_.load() && !flushing_.load()) {
            return okStatus();
        }
        std::lock_guard<std::mutex> f(flushMu_);
        flushing_.store(true);
        std::unordered_map<uint64_t, Pending> work;
        {
            // What is being written stays visible to readers (mergePending) in flushed_
            // until the store's answer is cached.
            std::lock_guard<std::mutex> g(mu_);
            if (ino == 0) {
                work.swap(pending_);
            } else if (auto it = pending_.find(ino); it != pending_.end()) {
                work.emplace(it->first, it->second);
                pending_.erase(it);
            }
            flushed_ = work;
            havePending_.store(!pending_.empty() || !flushed_.empty());
        }
        struct Lower {
            const CachedMetadata& self;
            ~Lower() {
                std::lock_guard<std::mutex> g(self.mu_);
                self.flushed_.clear();
                self.havePending_.store(!self.pending_.empty());
                self.flushing_.store(false);
            }
        } lower{*this};
        Status result = okStatus();
        for (const auto& [obj, p] : work) {
            auto sa = makeStruct<dfs_setattr_t>();
            sa.mask = DFS_SET_SIZE_GROW | DFS_SET_MTIME;
            sa.size = p.size;
            sa.mtime = p.mtime;
            uint64_t gen = generation();
            auto a = client_.setattr(obj, sa, p.mtime);
            std::lock_guard<std::mutex> g(mu_);
            if (a.ok()) {
                flushed_.erase(obj);
                refreshLocked(*a, gen);
            } else if (a.code() != DFS_ERR_STALE) {  // (a removed object has nothing left to update)
                result = a.error();
                // Not written: it stays pending, so the next COMMIT tries again and reports
                // the failure rather than finding nothing to do.
                Pending& q = pending_[obj];
                q.size = std::max(q.size, p.size);
                q.mtime = later(q.mtime, p.mtime);
                flushed_.erase(obj);
                havePending_.store(true);
            } else {
                flushed_.erase(obj);
            }
        }
        return result;
    }

    // Namespace and xattr changes: each marks stale what it changed (see the head of the
    // file) once the store has answered.
    Result<MetadataStoreClient::Created> create(uint64_t dir, std::string_view name, const dfs_create_args_t& args,
                                                dfs_time_t now) const {
        uint64_t gen = generation();
        auto c = client_.create(dir, name, args, now);
        if (c.ok()) {
            if (c->haveDir) {
                refresh(c->dir, gen);
            } else if (!c->existed) {
                markStale(dir);
            }
            c->attr = refresh(c->attr, gen);
        }
        return c;
    }
    Result<dfs_attr_t> link(uint64_t ino, uint64_t dir, std::string_view name, dfs_time_t now) const {
        uint64_t gen = generation();
        auto a = client_.link(ino, dir, name, now);
        if (a.ok()) {
            markStale(dir);
            *a = refresh(*a, gen);
        }
        return a;
    }
    Result<dfs_attr_t> remove(uint64_t dir, std::string_view name, uint32_t flags, dfs_time_t now) const {
        uint64_t gen = generation();
        auto a = client_.remove(dir, name, flags, now);
        if (a.ok()) {
            markStale(dir);
            if (a->nlink == 0) {
                forget(a->ino);
            } else {
                *a = refresh(*a, gen);
            }
        }
        return a;
    }
    Result<dfs_attr_t> rename(uint64_t sd, std::string_view sn, uint64_t dd, std::string_view dn,
                              dfs_time_t now) const {
        auto a = client_.rename(sd, sn, dd, dn, now);
        if (a.ok()) {
            clear();
            if (a->ino != 0 && a->nlink == 0) {
                forget(a->ino);
            }
        }
        return a;
    }
    Status setxattr(uint64_t ino, std::string_view name, std::string_view value, uint32_t flags,
                    dfs_time_t now) const {
        Status s = client_.setxattr(ino, name, value, flags, now);
        if (s.ok()) {
            markStale(ino);
        }
        return s;
    }
    Status removexattr(uint64_t ino, std::string_view name, dfs_time_t now) const {
        Status s = client_.removexattr(ino, name, now);
        if (s.ok()) {
            markStale(ino);
        }
        return s;
    }

    // Reads that return no object attributes: straight to the store.
    Result<std::string> readlink(uint64_t ino) const { return client_.readlink(ino); }
    Result<bool> readdir(uint64_t dir, uint64_t cookie, const std::function<bool(const dfs_dirent_t&)>& sink) const {
        return client_.readdir(dir, cookie, sink);
    }
    // A listing's attributes are not cached (a big directory would push out everything
    // else), but they carry the pending sizes.
    Result<bool> readdirPlus(uint64_t dir, uint64_t cookie, const MetadataStoreClient::DirentPlusSink& sink) const {
        if (!havePending_.load()) {
            return client_.readdirPlus(dir, cookie, sink);
        }
        return client_.readdirPlus(dir, cookie, [&](const dfs_dirent_t& e, const dfs_attr_t* a) {
            if (a == nullptr) {
                return sink(e, a);
            }
            dfs_attr_t merged = *a;
            {
                std::lock_guard<std::mutex> g(mu_);
                mergePending(merged);
            }
            return sink(e, &merged);
        });
    }
    Result<std::string> getxattr(uint64_t ino, std::string_view name) const { return client_.getxattr(ino, name); }
    Result<std::vector<std::string>> listxattr(uint64_t ino) const { return client_.listxattr(ino); }
    dfs_statfs_t statfs() const { return client_.statfs(); }
    Status sync() const {
        if (Status s = flushPending(); !s.ok()) {
            return s;
        }
        return client_.sync();
    }

private:
    // Bounds the cache; past it, it starts over empty.
    static constexpr size_t kMaxEntries = 65536;
    // Bounds the objects with a pending size/mtime.
    static constexpr size_t kMaxPending = 4096;

    struct Entry {
        dfs_attr_t attr;
        // 0: valid. Otherwise the generation at which the object changed in the store;
        // only answers from store calls begun since then may replace it.
        uint64_t staleSince;
    };
    struct Pending {
        uint64_t size = 0;
        dfs_time_t mtime{};
    };

    uint64_t generation() const {
        std::lock_guard<std::mutex> g(mu_);
        return gen_;
    }
    // Caches `a`, read (getattr, lookup) by a store call begun at generation `gen`, and
    // returns it with the pending size/mtime of its object merged in. A read that may be
    // older than a change marked since is dropped.
    dfs_attr_t offer(dfs_attr_t a, uint64_t gen) const {
        std::lock_guard<std::mutex> g(mu_);
        mergePending(a);
        if (gen < floor_) {
            return a;  // the cache was emptied since the store was asked
        }
        auto it = attrs_.find(a.ino);
        if (it != attrs_.end()) {
            Entry& e = it->second;
            if (e.staleSince != 0 ? gen >= e.staleSince : a.change >= e.attr.change) {
                e.attr = a;
                e.staleSince = 0;
            }
            return a;
        }
        if (attrs_.size() >= kMaxEntries) {
            clearLocked();
            return a;
        }
        attrs_.emplace(a.ino, Entry{a, 0});
        return a;
    }
    Result<dfs_attr_t> offered(Result<dfs_attr_t> a, uint64_t gen) const {
        if (a.ok()) {
            *a = offer(*a, gen);
        }
        return a;
    }
    // After a change of `a.ino` the store answered with `a` (a store call begun at
    // generation `gen`): `a` replaces the entry, and is returned with the pending
    // size/mtime merged in. If it cannot be trusted to be the newest (the object was
    // marked stale, or the cache emptied, since the call began), the entry is marked stale
    // now instead, so that no read begun before this change can be cached after it.
    // Concurrent changes that answered too are ordered by `change`.
    dfs_attr_t refresh(dfs_attr_t a, uint64_t gen) const {
        std::lock_guard<std::mutex> g(mu_);
        return refreshLocked(a, gen);
    }
    dfs_attr_t refreshLocked(dfs_attr_t a, uint64_t gen) const {
        mergePending(a);
        auto it = attrs_.find(a.ino);
        if (it == attrs_.end()) {
            if (attrs_.size() >= kMaxEntries) {
                clearLocked();
            } else {
                attrs_.emplace(a.ino, gen >= floor_ ? Entry{a, 0} : Entry{a, ++gen_});
            }
            return a;
        }
        Entry& e = it->second;
        if (gen < floor_ || e.staleSince > gen) {
            e.staleSince = ++gen_;
        } else if (e.staleSince != 0 || a.change >= e.attr.change) {
            e.attr = a;
            e.staleSince = 0;
        }
        return a;
    }
    void markStale(uint64_t ino) const {
        std::lock_guard<std::mutex> g(mu_);
        ++gen_;
        if (auto it = attrs_.find(ino); it != attrs_.end()) {
            it->second.staleSince = gen_;
        } else if (attrs_.size() < kMaxEntries) {
            attrs_.emplace(ino, Entry{makeStruct<dfs_attr_t>(), gen_});
        } else {
            clearLocked();
        }
    }
    // The object is gone: its entry and any pending update with it.
    void forget(uint64_t ino) const {
        markStale(ino);
        std::lock_guard<std::mutex> g(mu_);
        pending_.erase(ino);
    }
    void clear() const {
        std::lock_guard<std::mutex> g(mu_);
        clearLocked();
    }
    void clearLocked() const {
        attrs_.clear();
        floor_ = ++gen_;
    }
    static dfs_time_t later(dfs_time_t a, dfs_time_t b) {
        return (a.sec > b.sec || (a.sec == b.sec && a.nsec >= b.nsec)) ? a : b;
    }
    // Under mu_: the attributes as the pending update of their object will make them.
    void mergePending(dfs_attr_t& a) const {
        for (const auto* m : {&pending_, &flushed_}) {
            if (m->empty()) {
                continue;
            }
            auto it = m->find(a.ino);
            if (it == m->end()) {
                continue;
            }
            a.size = std::max(a.size, it->second.size);
            a.used = std::max(a.used, it->second.size);
            a.mtime = later(a.mtime, it->second.mtime);
            a.ctime = later(a.ctime, it->second.mtime);
        }
    }

    MetadataStoreClient client_;
    mutable std::mutex mu_;
    mutable uint64_t gen_ = 1;
    mutable uint64_t floor_ = 0;
    mutable std::unordered_map<uint64_t, Entry> attrs_;
    // Size/mtime updates of UNSTABLE WRITEs not yet in the store (under mu_); flushMu_
    // makes a reader that flushes wait for a flush already under way.
    mutable std::unordered_map<uint64_t, Pending> pending_;
    // The updates a flush is writing (under mu_), until the store has answered for each.
    mutable std::unordered_map<uint64_t, Pending> flushed_;
    mutable std::atomic<bool> havePending_{false};
    mutable std::atomic<bool> flushing_{false};
    mutable std::mutex flushMu_;
};

}  // namespace dfs::kernel

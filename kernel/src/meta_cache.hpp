// The kernel's view of one metadata store instance: its client plus a cache of object
// attributes, so that resolving a handle (every call of every protocol) and GETATTR do not
// each cost a store call.
//
// Every call of the VFS reaches the store through this class, so the cache sees every
// change: setattr (and a WRITE's size/mtime update) refresh the object's entry from the
// attributes the store returns; create, link, remove, rename and the xattr changes, which
// change attributes of objects the VFS is not told about (a parent's times, a hard link's
// nlink, a moved directory's ctime), empty the whole cache once the store has answered.
//
// UNSTABLE WRITEs (noteWrite) change only the cached entry: the new size and mtime are
// kept as pending and written to the store in one setattr per object before anything
// else reads or changes it there: COMMIT (sync), setattr, a listing, a lookup, every
// namespace change, or the store instance's end. NFSv3 allows it: until COMMIT returns,
// UNSTABLE data may be lost with the server, and the write verifier tells the client to
// send it again; the data and its size are then written again together.
//
// Races: a getattr that read older attributes must not overwrite newer ones. Each
// entry is replaced only by attributes whose `change` is not older (store.h: it grows with
// every change of an object), and an insertion is dropped when the cache was emptied since
// the store call began (the generation moved), so nothing read before a namespace change
// survives it.
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
            if (auto it = attrs_.find(ino); it != attrs_.end()) {
                return it->second;
            }
            gen = gen_;
        }
        auto a = client_.getattr(ino);
        if (a.ok()) {
            offer(*a, gen);
            std::lock_guard<std::mutex> g(mu_);
            mergePending(*a);
        }
        return a;
    }
    Result<dfs_attr_t> setattr(uint64_t ino, const dfs_setattr_t& sa, dfs_time_t now) const {
        flushPending();
        uint64_t gen = generation();
        auto a = client_.setattr(ino, sa, now);
        if (a.ok()) {
            offer(*a, gen);
        } else {
            forget(ino);
        }
        return a;
    }
    Result<dfs_attr_t> lookup(uint64_t dir, std::string_view name) const {
        flushPending();
        return client_.lookup(dir, name);
    }

    // An UNSTABLE WRITE of a regular file ending at `end`, at time `t`: recorded in the
    // cached entry only (pending for the store), whose attributes `after` receives. False
    // when the object has no cached entry: the caller updates the store itself.
    bool noteWrite(uint64_t ino, uint64_t end, dfs_time_t t, dfs_attr_t* after) const {
        std::lock_guard<std::mutex> g(mu_);
        auto it = attrs_.find(ino);
        if (it == attrs_.end() || it->second.type != DFS_TYPE_REG) {
            return false;
        }
        Pending& p = pending_[ino];
        p.size = std::max(p.size, end);
        p.mtime = later(p.mtime, t);
        havePending_.store(true);
        mergePending(it->second);
        if (after != nullptr) {
            *after = it->second;
        }
        return true;
    }

    // Writes the pending size/mtime updates to the store.
    Status flushPending() const {
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
            std::lock_guard<std::mutex> g(mu_);
            work.swap(pending_);
            havePending_.store(false);
        }
        struct Lower {
            std::atomic<bool>& flag;
            ~Lower() { flag.store(false); }
        } lower{flushing_};
        Status result = okStatus();
        for (const auto& [ino, p] : work) {
            auto sa = makeStruct<dfs_setattr_t>();
            sa.mask = DFS_SET_SIZE_GROW | DFS_SET_MTIME;
            sa.size = p.size;
            sa.mtime = p.mtime;
            uint64_t gen = generation();
            auto a = client_.setattr(ino, sa, p.mtime);
            if (a.ok()) {
                offer(*a, gen);
            } else if (a.code() != DFS_ERR_STALE) {  // (a removed object has nothing left to update)
                result = a.error();
                // Not written: it stays pending, so the next COMMIT tries again and reports
                // the failure rather than finding nothing to do.
                std::lock_guard<std::mutex> g(mu_);
                Pending& q = pending_[ino];
                q.size = std::max(q.size, p.size);
                q.mtime = later(q.mtime, p.mtime);
                havePending_.store(true);
            }
        }
        return result;
    }

    // The calls below change attributes beyond the object they return: the cache is
    // emptied after each one that succeeded.
    Result<MetadataStoreClient::Created> create(uint64_t dir, std::string_view name, const dfs_create_args_t& args,
                                                dfs_time_t now) const {
        flushPending();
        return changed(client_.create(dir, name, args, now));
    }
    Result<dfs_attr_t> link(uint64_t ino, uint64_t dir, std::string_view name, dfs_time_t now) const {
        flushPending();
        return changed(client_.link(ino, dir, name, now));
    }
    Result<dfs_attr_t> remove(uint64_t dir, std::string_view name, uint32_t flags, dfs_time_t now) const {
        flushPending();
        return changed(client_.remove(dir, name, flags, now));
    }
    Result<dfs_attr_t> rename(uint64_t sd, std::string_view sn, uint64_t dd, std::string_view dn,
                              dfs_time_t now) const {
        flushPending();
        return changed(client_.rename(sd, sn, dd, dn, now));
    }
    Status setxattr(uint64_t ino, std::string_view name, std::string_view value, uint32_t flags,
                    dfs_time_t now) const {
        flushPending();
        return changed(client_.setxattr(ino, name, value, flags, now));
    }
    Status removexattr(uint64_t ino, std::string_view name, dfs_time_t now) const {
        flushPending();
        return changed(client_.removexattr(ino, name, now));
    }

    // Reads that return no object attributes: straight to the store.
    Result<std::string> readlink(uint64_t ino) const { return client_.readlink(ino); }
    Result<bool> readdir(uint64_t dir, uint64_t cookie, const std::function<bool(const dfs_dirent_t&)>& sink) const {
        return client_.readdir(dir, cookie, sink);
    }
    Result<bool> readdirPlus(uint64_t dir, uint64_t cookie, const MetadataStoreClient::DirentPlusSink& sink) const {
        flushPending();
        return client_.readdirPlus(dir, cookie, sink);
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

    uint64_t generation() const {
        std::lock_guard<std::mutex> g(mu_);
        return gen_;
    }
    void offer(const dfs_attr_t& a, uint64_t gen) const {
        std::lock_guard<std::mutex> g(mu_);
        if (gen != gen_) {
            return;  // emptied since the store was asked: these may be from before
        }
        auto it = attrs_.find(a.ino);
        if (it != attrs_.end()) {
            if (a.change >= it->second.change) {
                it->second = a;
                mergePending(it->second);
            }
            return;
        }
        if (attrs_.size() >= kMaxEntries) {
            attrs_.clear();
            ++gen_;
            return;
        }
        mergePending(attrs_.emplace(a.ino, a).first->second);
    }
    struct Pending {
        uint64_t size = 0;
        dfs_time_t mtime{};
    };
    static dfs_time_t later(dfs_time_t a, dfs_time_t b) {
        return (a.sec > b.sec || (a.sec == b.sec && a.nsec >= b.nsec)) ? a : b;
    }
    // Under mu_: the attributes as the pending update of their object will make them.
    void mergePending(dfs_attr_t& a) const {
        auto it = pending_.find(a.ino);
        if (it == pending_.end()) {
            return;
        }
        a.size = std::max(a.size, it->second.size);
        a.used = std::max(a.used, it->second.size);
        a.mtime = later(a.mtime, it->second.mtime);
        a.ctime = later(a.ctime, it->second.mtime);
    }
    void forget(uint64_t ino) const {
        std::lock_guard<std::mutex> g(mu_);
        attrs_.erase(ino);
        ++gen_;
    }
    template <typename R>
    R changed(R r) const {
        if (r.ok()) {
            std::lock_guard<std::mutex> g(mu_);
            attrs_.clear();
            ++gen_;
        }
        return r;
    }

    MetadataStoreClient client_;
    mutable std::mutex mu_;
    mutable uint64_t gen_ = 0;
    mutable std::unordered_map<uint64_t, dfs_attr_t> attrs_;
    // Size/mtime updates of UNSTABLE WRITEs not yet in the store (under mu_); flushMu_
    // makes a reader that flushes wait for a flush already under way.
    mutable std::unordered_map<uint64_t, Pending> pending_;
    mutable std::atomic<bool> havePending_{false};
    mutable std::atomic<bool> flushing_{false};
    mutable std::mutex flushMu_;
};

}  // namespace dfs::kernel

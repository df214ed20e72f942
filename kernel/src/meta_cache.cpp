// The VFS's attribute cache per metadata store instance (see meta_cache.hpp).
#include "meta_cache.hpp"

#include <algorithm>

namespace dfs::kernel {
namespace {

// Bounds the cache; past it, it starts over empty.
constexpr size_t kMaxEntries = 65536;
// Bounds the objects with a pending size/mtime.
constexpr size_t kMaxPending = 4096;

dfs_time_t later(dfs_time_t a, dfs_time_t b) {
    return (a.sec > b.sec || (a.sec == b.sec && a.nsec >= b.nsec)) ? a : b;
}

}  // namespace

void CachedMetadata::Pending::add(uint64_t end, dfs_time_t t) {
    size = std::max(size, end);
    mtime = later(mtime, t);
}

Result<dfs_attr_t> CachedMetadata::getattr(uint64_t ino) const {
    uint64_t gen = 0;
    {
        std::lock_guard<std::mutex> g(mu_);
        if (const Entry* e = validLocked(ino)) {
            return e->attr;
        }
        gen = gen_;
    }
    return offered(client_.getattr(ino), gen);
}

Result<dfs_attr_t> CachedMetadata::setattr(uint64_t ino, const dfs_setattr_t& sa, dfs_time_t now) const {
    // A pending size/mtime of this object goes first, or it would land after (and undo)
    // this change; if it cannot be written, neither is this change.
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

Result<dfs_attr_t> CachedMetadata::lookup(uint64_t dir, std::string_view name) const {
    const uint64_t gen = generation();  // before the store is read (see getattr)
    return offered(client_.lookup(dir, name), gen);
}

bool CachedMetadata::noteWrite(uint64_t ino, uint64_t end, dfs_time_t t, dfs_attr_t* after) const {
    std::lock_guard<std::mutex> g(mu_);
    Entry* cached = validLocked(ino);
    if (cached == nullptr || cached->attr.type != DFS_TYPE_REG) {
        return false;
    }
    auto p = pending_.find(ino);
    if (p == pending_.end()) {
        if (pending_.size() >= kMaxPending) {
            return false;
        }
        p = pending_.emplace(ino, Pending{}).first;
    }
    p->second.add(end, t);
    havePending_.store(true);
    mergePending(cached->attr);
    if (after != nullptr) {
        *after = cached->attr;
    }
    return true;
}

Status CachedMetadata::flushPending(uint64_t ino) const {
    // havePending_ is set from a note until its update is in the store (pending_, then
    // flushed_ while it is written), so seeing it clear means nothing of what was noted
    // before this call is missing from the store. One object's flush waits only when that
    // object has something pending or being written, not behind everyone's.
    if (!havePending_.load()) {
        return okStatus();
    }
    if (ino != 0) {
        std::lock_guard<std::mutex> g(mu_);
        if (pending_.count(ino) == 0 && flushed_.count(ino) == 0) {
            return okStatus();
        }
    }
    std::lock_guard<std::mutex> f(flushMu_);
    std::unordered_map<uint64_t, Pending> work;
    {
        // What is being written stays visible to readers (mergePending) in flushed_ until
        // the store's answer is cached.
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
        flushed_.erase(obj);
        if (a.ok()) {
            refreshLocked(*a, gen);
        } else if (a.code() != DFS_ERR_STALE) {  // (a removed object has nothing left to update)
            result = a.error();
            // Not written: it stays pending, so the next COMMIT tries again and reports the
            // failure rather than finding nothing to do.
            pending_[obj].add(p.size, p.mtime);
            havePending_.store(true);
        }
    }
    return result;
}

Result<MetadataStoreClient::Created> CachedMetadata::create(uint64_t dir, std::string_view name,
                                                            const dfs_create_args_t& args, dfs_time_t now) const {
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

Result<dfs_attr_t> CachedMetadata::link(uint64_t ino, uint64_t dir, std::string_view name, dfs_time_t now) const {
    uint64_t gen = generation();
    auto a = client_.link(ino, dir, name, now);
    if (a.ok()) {
        markStale(dir);
        *a = refresh(*a, gen);
    }
    return a;
}

Result<dfs_attr_t> CachedMetadata::remove(uint64_t dir, std::string_view name, uint32_t flags, dfs_time_t now) const {
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

Result<dfs_attr_t> CachedMetadata::rename(uint64_t sd, std::string_view sn, uint64_t dd, std::string_view dn,
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

Status CachedMetadata::setxattr(uint64_t ino, std::string_view name, std::string_view value, uint32_t flags,
                                dfs_time_t now) const {
    Status s = client_.setxattr(ino, name, value, flags, now);
    if (s.ok()) {
        markStale(ino);
    }
    return s;
}

Status CachedMetadata::removexattr(uint64_t ino, std::string_view name, dfs_time_t now) const {
    Status s = client_.removexattr(ino, name, now);
    if (s.ok()) {
        markStale(ino);
    }
    return s;
}

Result<bool> CachedMetadata::readdirPlus(uint64_t dir, uint64_t cookie,
                                         const MetadataStoreClient::DirentPlusSink& sink) const {
    // While the cache holds every entry's object, the names come from the store's plain
    // listing (a few columns a row instead of a row and its object's attributes) and the
    // attributes from the cache, which has the pending sizes merged in already.
    uint64_t resume = cookie;
    bool missed = false;
    auto names = client_.readdir(dir, cookie, [&](const dfs_dirent_t& e) {
        dfs_attr_t a;
        {
            std::lock_guard<std::mutex> g(mu_);
            const Entry* cached = validLocked(e.ino);
            if (cached == nullptr) {
                missed = true;
                return false;
            }
            a = cached->attr;
        }
        if (!sink(e, &a)) {
            return false;
        }
        resume = e.cookie;
        return true;
    });
    if (!names.ok() || !missed) {
        return names;
    }
    // From the first entry the cache lacks, the rest with their attributes from the
    // store, which are cached while the cache is less than half full (a big directory
    // must not push out everything else).
    const uint64_t gen = generation();
    return client_.readdirPlus(dir, resume, [&](const dfs_dirent_t& e, const dfs_attr_t* a) {
        if (a == nullptr) {
            return sink(e, a);
        }
        const dfs_attr_t offered = offer(*a, gen, kMaxEntries / 2);
        return sink(e, &offered);
    });
}

Status CachedMetadata::sync() const {
    if (Status s = flushPending(); !s.ok()) {
        return s;
    }
    return client_.sync();
}

uint64_t CachedMetadata::generation() const {
    std::lock_guard<std::mutex> g(mu_);
    return gen_;
}

dfs_attr_t CachedMetadata::offer(dfs_attr_t a, uint64_t gen, size_t room) const {
    std::lock_guard<std::mutex> g(mu_);
    mergePending(a);
    if (gen < floor_) {
        return a;  // the cache was emptied since the store was asked
    }
    if (Entry* e = entryLocked(a.ino, room); e != nullptr &&
                                       (e->staleSince != 0 ? gen >= e->staleSince : a.change >= e->attr.change)) {
        e->attr = a;
        e->staleSince = 0;
    }
    return a;
}

Result<dfs_attr_t> CachedMetadata::offered(Result<dfs_attr_t> a, uint64_t gen) const {
    if (a.ok()) {
        *a = offer(*a, gen);
    }
    return a;
}

dfs_attr_t CachedMetadata::refresh(dfs_attr_t a, uint64_t gen) const {
    std::lock_guard<std::mutex> g(mu_);
    return refreshLocked(a, gen);
}

dfs_attr_t CachedMetadata::refreshLocked(dfs_attr_t a, uint64_t gen) const {
    mergePending(a);
    Entry* e = entryLocked(a.ino);
    if (e == nullptr) {
        return a;
    }
    if (gen < floor_ || e->staleSince > gen) {
        e->staleSince = ++gen_;
    } else if (e->staleSince != 0 || a.change >= e->attr.change) {
        e->attr = a;
        e->staleSince = 0;
    }
    return a;
}

void CachedMetadata::markStale(uint64_t ino) const {
    std::lock_guard<std::mutex> g(mu_);
    ++gen_;
    if (Entry* e = entryLocked(ino); e != nullptr) {
        e->staleSince = gen_;
    }
}

void CachedMetadata::forget(uint64_t ino) const {
    markStale(ino);
    std::lock_guard<std::mutex> g(mu_);
    pending_.erase(ino);
}

void CachedMetadata::clear() const {
    std::lock_guard<std::mutex> g(mu_);
    clearLocked();
}

CachedMetadata::Entry* CachedMetadata::validLocked(uint64_t ino) const {
    auto it = attrs_.find(ino);
    return it != attrs_.end() && it->second.staleSince == 0 ? &it->second : nullptr;
}

CachedMetadata::Entry* CachedMetadata::entryLocked(uint64_t ino, size_t room) const {
    if (auto it = attrs_.find(ino); it != attrs_.end()) {
        return &it->second;
    }
    if (attrs_.size() >= std::min(room, kMaxEntries)) {
        if (room >= kMaxEntries) {
            clearLocked();  // full: start afresh
        }
        return nullptr;
    }
    return &attrs_.emplace(ino, Entry{makeStruct<dfs_attr_t>(), floor_}).first->second;
}

void CachedMetadata::clearLocked() const {
    attrs_.clear();
    floor_ = ++gen_;
}

void CachedMetadata::mergePending(dfs_attr_t& a) const {
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

}  // namespace dfs::kernel

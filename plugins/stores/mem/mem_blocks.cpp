// The reference in-memory block store ("mem").
//
// Every test that needs a block store without a disk uses this one, and it is the model
// the conformance kit's expectations are checked against first, so it implements every
// optional slot exactly rather than leaving them to the SDK defaults.
//
// An object is a sparse map of fixed-size chunks: a write at 5 GiB costs one chunk, a
// chunk that is absent is a hole (reads as zeros, reported by SEEK_HOLE), punch_hole
// frees whole chunks. Invariant: every byte of a chunk at or past the object's size is
// zero, so extending the size (truncate, allocate, a write past the end) never has to
// clear anything.
//
// Config:
//   capacity  bytes the store may hold (chunks * chunk size); 0 or absent: unlimited.
//             Writes that would exceed it fail with DFS_ERR_NOSPC.
//
// Locking: a store mutex guards the id -> object map only; each object has its own
// shared_mutex (readers share, writers exclusive), so separate objects never contend.
// Nothing survives destroy(): the kit runs it with --volatile.
#include <dittofs/cpp/store.hpp>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include <unistd.h>

namespace {

constexpr uint64_t kChunkSize = 64 * 1024;

using ChunkPtr = std::unique_ptr<uint8_t[]>;
using ChunkMap = std::map<uint64_t, ChunkPtr>;  // chunk index -> kChunkSize bytes

ChunkPtr newChunk() {
    return ChunkPtr(new uint8_t[kChunkSize]());  // value-initialised: zeros
}

bool allZero(const uint8_t* p, uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) {
        if (p[i] != 0) {
            return false;
        }
    }
    return true;
}

struct Object {
    std::shared_mutex mu;
    bool dead = false;  // removed from the map; updates must find the new object
    uint64_t size = 0;
    ChunkMap chunks;
};
using ObjectPtr = std::shared_ptr<Object>;

// [offset, offset + len) must stay addressable: the end is at most DFS_MAX_FILE_SIZE.
bool rangeFits(uint64_t offset, uint64_t len) {
    return offset <= DFS_MAX_FILE_SIZE && len <= DFS_MAX_FILE_SIZE - offset;
}

class MemBlockStore : public dfs::BlockStore {
public:
    explicit MemBlockStore(uint64_t capacity) : capacity_(capacity) {}

    static dfs::Result<std::unique_ptr<MemBlockStore>> open(const dfs::Host& host, const dfs::Config& cfg) {
        uint64_t capacity = 0;
        if (cfg.has("capacity")) {
            auto c = cfg.getUint("capacity");
            if (!c) {
                host.error("mem blocks: capacity must be a byte count");
                return dfs::makeError(DFS_ERR_INVAL);
            }
            capacity = *c;
        }
        return std::make_unique<MemBlockStore>(capacity);
    }

    dfs::Result<uint64_t> read(uint64_t obj, uint64_t offset, dfs_buf_t buf) override {
        ObjectPtr o = find(obj);
        if (!o) {
            return uint64_t{0};
        }
        std::shared_lock lock(o->mu);
        if (offset >= o->size || buf.len == 0) {
            return uint64_t{0};
        }
        uint64_t n = std::min(buf.len, o->size - offset);
        for (uint64_t done = 0; done < n;) {
            uint64_t pos = offset + done;
            uint64_t within = pos % kChunkSize;
            uint64_t piece = std::min(kChunkSize - within, n - done);
            auto it = o->chunks.find(pos / kChunkSize);
            if (it == o->chunks.end()) {
                std::memset(buf.ptr + done, 0, piece);
            } else {
                std::memcpy(buf.ptr + done, it->second.get() + within, piece);
            }
            done += piece;
        }
        return n;
    }

    dfs::Status write(uint64_t obj, uint64_t offset, dfs_bytes_t data, dfs_stable_t) override {
        if (!rangeFits(offset, data.len)) {
            return dfs::makeError(DFS_ERR_FBIG, EFBIG);
        }
        if (data.len == 0) {
            return dfs::okStatus();  // like pwrite(2): nothing written, nothing extended
        }
        auto [o, lock] = lockForUpdate(obj);
        uint64_t first = offset / kChunkSize;
        uint64_t last = (offset + data.len - 1) / kChunkSize;
        // Allocate every missing chunk before touching the object, so a failed
        // allocation (or a full store) leaves it unchanged; merge() then only splices.
        ChunkMap fresh;
        for (uint64_t i = first; i <= last; ++i) {
            if (o->chunks.find(i) == o->chunks.end()) {
                fresh.emplace(i, newChunk());
            }
        }
        if (auto s = charge(fresh.size()); !s.ok()) {
            return s;
        }
        o->chunks.merge(fresh);
        for (uint64_t done = 0; done < data.len;) {
            uint64_t pos = offset + done;
            uint64_t within = pos % kChunkSize;
            uint64_t piece = std::min(kChunkSize - within, data.len - done);
            std::memcpy(o->chunks[pos / kChunkSize].get() + within, data.ptr + done, piece);
            done += piece;
        }
        o->size = std::max(o->size, offset + data.len);
        return dfs::okStatus();
    }

    dfs::Status truncate(uint64_t obj, uint64_t size) override {
        if (size > DFS_MAX_FILE_SIZE) {
            return dfs::makeError(DFS_ERR_FBIG, EFBIG);
        }
        auto [o, lock] = lockForUpdate(obj);
        if (size < o->size) {
            // Restore the invariant: nothing but zeros at or past the new size.
            zeroRange(*o, size, o->size);
        }
        o->size = size;
        return dfs::okStatus();
    }

    dfs::Result<uint64_t> size(uint64_t obj) override {
        ObjectPtr o = find(obj);
        if (!o) {
            return uint64_t{0};
        }
        std::shared_lock lock(o->mu);
        return o->size;
    }

    // Nothing is durable in memory; answering OK (not NOTSUPP) says so explicitly.
    dfs::Status flush(uint64_t) override { return dfs::okStatus(); }

    dfs::Status remove(uint64_t obj) override {
        ObjectPtr gone;
        {
            std::lock_guard lock(mu_);
            auto it = objects_.find(obj);
            if (it == objects_.end()) {
                return dfs::okStatus();
            }
            gone = std::move(it->second);
            objects_.erase(it);
        }
        // Wait for calls still running on the object, then give its memory back.
        std::unique_lock lock(gone->mu);
        gone->dead = true;
        release(gone->chunks.size());
        gone->chunks.clear();
        return dfs::okStatus();
    }

    dfs::Status punchHole(uint64_t obj, uint64_t offset, uint64_t len) override {
        ObjectPtr o = find(obj);
        if (!o) {
            return dfs::okStatus();
        }
        std::unique_lock lock(o->mu);
        if (offset >= o->size) {
            return dfs::okStatus();
        }
        uint64_t end = len > o->size - offset ? o->size : offset + len;
        zeroRange(*o, offset, end);
        return dfs::okStatus();
    }

    // Memory is not reserved ahead (it would defeat sparseness for tests that allocate
    // large ranges); allocating extends the length, which reads as zeros.
    dfs::Status allocate(uint64_t obj, uint64_t offset, uint64_t len) override {
        if (!rangeFits(offset, len)) {
            return dfs::makeError(DFS_ERR_FBIG, EFBIG);
        }
        auto [o, lock] = lockForUpdate(obj);
        o->size = std::max(o->size, offset + len);
        return dfs::okStatus();
    }

    dfs::Result<uint64_t> seek(uint64_t obj, uint64_t offset, dfs_seek_what_t what) override {
        if (what != DFS_SEEK_DATA && what != DFS_SEEK_HOLE) {
            return dfs::makeError(DFS_ERR_INVAL, EINVAL);
        }
        ObjectPtr o = find(obj);
        if (!o) {
            return dfs::makeError(DFS_ERR_NXIO, ENXIO);
        }
        std::shared_lock lock(o->mu);
        if (offset >= o->size) {
            return dfs::makeError(DFS_ERR_NXIO, ENXIO);
        }
        uint64_t idx = offset / kChunkSize;
        if (what == DFS_SEEK_DATA) {
            auto it = o->chunks.lower_bound(idx);
            if (it == o->chunks.end() || it->first * kChunkSize >= o->size) {
                return dfs::makeError(DFS_ERR_NXIO, ENXIO);
            }
            return std::max(offset, it->first * kChunkSize);
        }
        // SEEK_HOLE: walk the run of present chunks that starts at idx.
        for (auto it = o->chunks.find(idx); it != o->chunks.end() && it->first == idx; ++it) {
            ++idx;
        }
        return std::max(offset, std::min(idx * kChunkSize, o->size));
    }

    dfs::Status clone(uint64_t src, uint64_t srcOff, uint64_t dst, uint64_t dstOff, uint64_t len) override {
        if (!rangeFits(dstOff, len) || !rangeFits(srcOff, len)) {
            return dfs::makeError(DFS_ERR_FBIG, EFBIG);
        }
        if (len == 0) {
            return dfs::okStatus();
        }
        ObjectPtr s;
        ObjectPtr d;
        // One lock when cloning within an object; else both, in a fixed order.
        std::unique_lock<std::shared_mutex> l1;
        std::shared_lock<std::shared_mutex> l2;
        do {
            if (l1.owns_lock()) {
                l1.unlock();
            }
            if (l2.owns_lock()) {
                l2.unlock();
            }
            s = findOrCreate(src);
            d = findOrCreate(dst);
            if (s == d) {
                l1 = std::unique_lock(d->mu);
            } else if (s.get() < d.get()) {
                l2 = std::shared_lock(s->mu);
                l1 = std::unique_lock(d->mu);
            } else {
                l1 = std::unique_lock(d->mu);
                l2 = std::shared_lock(s->mu);
            }
        } while (s->dead || d->dead);
        // Build the destination's new chunks on the side from the unchanged source (this
        // also makes overlapping ranges within one object come out right), then swap them
        // in with operations that cannot fail.
        uint64_t first = dstOff / kChunkSize;
        uint64_t last = (dstOff + len - 1) / kChunkSize;
        ChunkMap staged;
        uint64_t added = 0;
        for (uint64_t i = first; i <= last; ++i) {
            uint64_t chunkStart = i * kChunkSize;
            uint64_t from = std::max(chunkStart, dstOff);
            uint64_t to = std::min(chunkStart + kChunkSize, dstOff + len);
            auto old = d->chunks.find(i);
            bool srcHasData = hasData(*s, srcOff + (from - dstOff), to - from);
            if (old == d->chunks.end() && !srcHasData) {
                continue;  // a hole stays a hole
            }
            ChunkPtr c = newChunk();
            if (old != d->chunks.end()) {
                std::memcpy(c.get(), old->second.get(), kChunkSize);
            } else {
                ++added;
            }
            copyOut(*s, srcOff + (from - dstOff), c.get() + (from - chunkStart), to - from);
            staged.emplace(i, std::move(c));
        }
        if (auto st = charge(added); !st.ok()) {
            return st;
        }
        uint64_t freed = 0;
        for (uint64_t i = first; i <= last; ++i) {
            auto st = staged.find(i);
            auto old = d->chunks.find(i);
            if (st == staged.end()) {
                continue;
            }
            if (allZero(st->second.get(), kChunkSize)) {
                // Either the old chunk goes or the charged new one is never inserted.
                if (old != d->chunks.end()) {
                    d->chunks.erase(old);
                }
                ++freed;
            } else if (old != d->chunks.end()) {
                old->second.swap(st->second);
            } else {
                d->chunks.insert(staged.extract(st));
            }
        }
        release(freed);
        d->size = std::max(d->size, dstOff + len);
        return dfs::okStatus();
    }

    dfs::Status statfs(dfs_statfs_t& out) override {
        uint64_t used = usedChunks_.load() * kChunkSize;
        uint64_t total = capacity_;
        if (total == 0) {
            long pages = sysconf(_SC_PHYS_PAGES);
            long pageSize = sysconf(_SC_PAGESIZE);
            total = pages > 0 && pageSize > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(pageSize) : 0;
        }
        out.total_bytes = total;
        out.free_bytes = total > used ? total - used : 0;
        out.avail_bytes = out.free_bytes;
        return dfs::okStatus();
    }

private:
    ObjectPtr find(uint64_t obj) {
        std::lock_guard lock(mu_);
        auto it = objects_.find(obj);
        return it == objects_.end() ? nullptr : it->second;
    }

    // The object locked exclusively, created if absent. Retries when a concurrent
    // remove() took the object out of the map between the lookup and the lock.
    std::pair<ObjectPtr, std::unique_lock<std::shared_mutex>> lockForUpdate(uint64_t obj) {
        for (;;) {
            ObjectPtr o = findOrCreate(obj);
            std::unique_lock lock(o->mu);
            if (!o->dead) {
                return {std::move(o), std::move(lock)};
            }
        }
    }

    ObjectPtr findOrCreate(uint64_t obj) {
        std::lock_guard lock(mu_);
        auto& slot = objects_[obj];
        if (!slot) {
            slot = std::make_shared<Object>();
        }
        return slot;
    }

    // Accounts for `n` new chunks against the capacity.
    dfs::Status charge(uint64_t n) {
        uint64_t now = usedChunks_.fetch_add(n) + n;
        if (capacity_ != 0 && now * kChunkSize > capacity_) {
            usedChunks_.fetch_sub(n);
            return dfs::makeError(DFS_ERR_NOSPC, ENOSPC);
        }
        return dfs::okStatus();
    }
    void release(uint64_t n) { usedChunks_.fetch_sub(n); }

    // Zeros [from, to) of an object whose lock is held exclusively; chunks that end up
    // entirely zero are freed, so they become holes.
    void zeroRange(Object& o, uint64_t from, uint64_t to) {
        if (from >= to) {
            return;
        }
        uint64_t firstFull = (from + kChunkSize - 1) / kChunkSize;
        uint64_t endFull = to / kChunkSize;  // exclusive
        if (firstFull < endFull) {
            auto b = o.chunks.lower_bound(firstFull);
            auto e = o.chunks.lower_bound(endFull);
            release(static_cast<uint64_t>(std::distance(b, e)));
            o.chunks.erase(b, e);
        }
        // The partial chunks at either edge (possibly the same chunk).
        for (uint64_t idx : {from / kChunkSize, (to - 1) / kChunkSize}) {
            auto it = o.chunks.find(idx);
            if (it == o.chunks.end()) {
                continue;
            }
            uint64_t chunkStart = idx * kChunkSize;
            uint64_t a = std::max(from, chunkStart) - chunkStart;
            uint64_t b = std::min(to, chunkStart + kChunkSize) - chunkStart;
            std::memset(it->second.get() + a, 0, b - a);
            if (allZero(it->second.get(), kChunkSize)) {
                o.chunks.erase(it);
                release(1);
            }
        }
    }

    // Whether any chunk of `o` overlaps [off, off + n) below its size.
    static bool hasData(const Object& o, uint64_t off, uint64_t n) {
        if (off >= o.size) {
            return false;
        }
        uint64_t end = std::min(o.size, off + n);
        auto it = o.chunks.lower_bound(off / kChunkSize);
        return it != o.chunks.end() && it->first * kChunkSize < end;
    }

    // Copies [off, off + n) of `o` into `out`, zeros for holes and past the end.
    static void copyOut(const Object& o, uint64_t off, uint8_t* out, uint64_t n) {
        for (uint64_t done = 0; done < n;) {
            uint64_t pos = off + done;
            uint64_t within = pos % kChunkSize;
            uint64_t piece = std::min(kChunkSize - within, n - done);
            auto it = o.chunks.find(pos / kChunkSize);
            if (it == o.chunks.end() || pos >= o.size) {
                std::memset(out + done, 0, piece);
            } else {
                // Bytes past the size inside a chunk are zero by the invariant.
                std::memcpy(out + done, it->second.get() + within, piece);
            }
            done += piece;
        }
    }

    const uint64_t capacity_;
    std::atomic<uint64_t> usedChunks_{0};
    std::mutex mu_;  // guards objects_ (the map, not the objects)
    std::unordered_map<uint64_t, ObjectPtr> objects_;
};

}  // namespace

DFS_EXPORT_BLOCK_STORE(MemBlockStore, "mem", "1.0.0",
                       "In-memory sparse block store (reference implementation; nothing persists)");

// localfs: write gathering. The two halves of an aligned 2 MiB block, written by calls
// that are in progress at the same time, become one write of the whole block.
//
// Why: a client streaming a file sends it in calls of 1 MiB (the wtmax the NFS plugin
// offers), many in flight. Linux gives each write(2) page-cache folios as large as the
// write and its alignment allow (ext4 since 6.16, xfs since 5.18), and only a folio of
// 2 MiB (the PMD size on x86-64) is mapped whole by one page-table entry. A file written
// 1 MiB at a time is cached in 1 MiB folios, mapped by 256 entries each, so sending it
// back from a mapping (lend(): the NFS READ path) builds and walks 512 entries per 2 MiB
// instead of one. On loopback, a file written in 1 MiB pwrites was sent from new
// mappings at 82 % of the rate of one written in 2 MiB pwrites (docs/BENCHMARKS.md, item
// 16). Where the kernel has no large folios the gathered write is just one pwritev
// instead of two pwrites. Writes that go uncached (uncached_write_min, localfs_store.hpp)
// are not gathered: their folios leave the cache once written back, and waiting for a
// partner only delayed them (docs/BENCHMARKS.md, item 19).
//
// How (knfsd's NFSv2 write gathering is the precedent, for syncs): whichever half comes
// first waits, up to `wait`, for the other, and only while a half-block write to a block
// next to it in the same object is in progress: a client with one call in flight, or one
// writing 1 MiB calls at random places, never waits; nor does a half whose other half
// was written alone already. The other half finds it waiting and writes both with one
// pwritev. Both calls return the
// status of that write, which is as stable as the stronger of the two asked for. (Calls
// taken from one queue by several workers reach the store in either order, so both
// halves must be able to wait.)
#pragma once

#include <dittofs/abi/fs.h>
#include <dittofs/cpp/result.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>
#include <utility>

#include <sys/uio.h>

namespace dfs::localfs {

class WriteGather {
public:
    static constexpr uint64_t kBlock = uint64_t{2} << 20;
    static constexpr uint64_t kHalf = kBlock / 2;
    // Halves waiting at once, at most, store-wide.
    static constexpr size_t kMaxWaiting = 4;

    // wait: how long a half waits for the other; zero turns gathering off.
    explicit WriteGather(std::chrono::microseconds wait) : wait_(wait) {}

    // A write gathering applies to: exactly one half of an aligned block.
    static bool isHalf(uint64_t offset, uint64_t len) { return len == kHalf && offset % kHalf == 0; }

    // Writes `len` bytes at `offset` of object `obj`: calls write(offset, iov, count,
    // stable) once, here or in the call that writes the partner too, and returns its
    // status. `write` must write the pieces one after the other from `offset`.
    template <typename WriteFn>
    Status run(uint64_t obj, uint64_t offset, const uint8_t* data, uint64_t len, dfs_stable_t stable,
               WriteFn&& write) {
        iovec own{const_cast<uint8_t*>(data), static_cast<size_t>(len)};
        if (wait_.count() == 0 || !isHalf(offset, len)) {
            return write(offset, &own, 1, stable);
        }
        const std::pair<uint64_t, uint64_t> block{obj, offset / kBlock};
        std::unique_lock lock(mu_);
        Active active(*this, obj, block.second, lock);
        if (auto it = waiting_.find(block); it != waiting_.end() && it->second->offset != offset) {
            // The partner waits: write both, in the order of their offsets.
            Waiting* other = it->second;
            waiting_.erase(it);
            other->taken = true;
            lock.unlock();
            const bool ownFirst = offset < other->offset;
            const iovec both[2] = {ownFirst ? own : other->piece, ownFirst ? other->piece : own};
            Status s = write(std::min(offset, other->offset), both, 2, std::max(other->stable, stable));
            lock.lock();
            other->result = s;
            other->done = true;
            ++gathered_;
            other->cv.notify_one();
            return s;
        }
        // Waits only while the object is being streamed: a half-block write to a block
        // next to this one is in progress (a client writing 1 MiB calls at random never
        // waits); and not when the other half was written alone already (the first calls
        // of a stream), nor when a call for the same half waits (a retransmission), nor
        // when kMaxWaiting halves wait already (each holds one of the server's workers).
        auto& state = objects_[obj];
        const bool stream = state.active.count(block.second - 1) != 0 || state.active.count(block.second + 1) != 0;
        const bool otherAlone = state.alone.erase(block.second) != 0;
        if (!stream || otherAlone || waiting_.count(block) != 0 || waiting_.size() >= kMaxWaiting) {
            if (!otherAlone) {
                markAlone(state, block.second);
            }
            lock.unlock();
            return write(offset, &own, 1, stable);
        }
        Waiting me(own, offset, stable);
        waiting_.emplace(block, &me);
        if (!me.cv.wait_for(lock, wait_, [&] { return me.taken; })) {
            waiting_.erase(block);
            ++alone_;
            markAlone(state, block.second);
            lock.unlock();
            return write(offset, &own, 1, stable);
        }
        me.cv.wait(lock, [&] { return me.done; });
        return me.result;
    }

    // Blocks written whole from two calls, and halves that waited in vain.
    uint64_t gathered() const {
        std::lock_guard lock(mu_);
        return gathered_;
    }
    uint64_t waitedInVain() const {
        std::lock_guard lock(mu_);
        return alone_;
    }
    // Halves waiting now.
    size_t waiting() const {
        std::lock_guard lock(mu_);
        return waiting_.size();
    }

private:
    struct Waiting {
        Waiting(iovec p, uint64_t o, dfs_stable_t s) : piece(p), offset(o), stable(s) {}
        iovec piece;
        uint64_t offset;
        dfs_stable_t stable;
        bool taken = false;  // the other half is writing it
        bool done = false;
        Status result = okStatus();
        std::condition_variable cv;
    };

    // An object's half-block writes in progress (block -> how many), and blocks one
    // half of which was written alone lately, whose other half need not wait (at most
    // kAloneKept, the highest; forgotten when no write to the object is in progress).
    struct ObjectWrites {
        std::map<uint64_t, int> active;
        std::set<uint64_t> alone;
    };
    static constexpr size_t kAloneKept = 64;

    static void markAlone(ObjectWrites& state, uint64_t block) {
        state.alone.insert(block);
        if (state.alone.size() > kAloneKept) {
            state.alone.erase(state.alone.begin());
        }
    }

    // Counts a half-block write to block `block` of `obj` in progress while it lives,
    // under `lock` (held when it is made; taken again at its end if the write let it go).
    class Active {
    public:
        Active(WriteGather& g, uint64_t obj, uint64_t block, std::unique_lock<std::mutex>& lock)
            : g_(g), obj_(obj), block_(block), lock_(lock) {
            ++g_.objects_[obj_].active[block_];
        }
        ~Active() {
            if (!lock_.owns_lock()) {
                lock_.lock();
            }
            auto it = g_.objects_.find(obj_);
            if (--it->second.active[block_] == 0) {
                it->second.active.erase(block_);
                if (it->second.active.empty()) {
                    g_.objects_.erase(it);
                }
            }
        }
        Active(const Active&) = delete;
        Active& operator=(const Active&) = delete;

    private:
        WriteGather& g_;
        uint64_t obj_;
        uint64_t block_;
        std::unique_lock<std::mutex>& lock_;
    };

    const std::chrono::microseconds wait_;
    mutable std::mutex mu_;
    std::unordered_map<uint64_t, ObjectWrites> objects_;  // those with half-block writes in progress
    std::map<std::pair<uint64_t, uint64_t>, Waiting*> waiting_;       // (object, block) -> the half waiting
    uint64_t gathered_ = 0;
    uint64_t alone_ = 0;
};

}  // namespace dfs::localfs

// localfs: group commit for one sync call (the fsync of a directory, the fdatasync of a
// pack segment). A caller whose change must be covered needs a sync that *starts* after
// the change was made; callers arriving together wait for the same one instead of each
// running its own.
#pragma once

#include <dittofs/cpp/result.hpp>

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace dfs::localfs {

class SharedSync {
public:
    // Returns once a `sync()` that started after this call began has succeeded, running
    // it here when no other caller is. Once a sync has failed, every caller gets its
    // error, those waiting and all later ones: Linux reports a writeback error to one
    // fsync only, so a later sync that succeeds says nothing of the pages that failed.
    template <typename SyncFn>
    Status run(SyncFn&& sync) {
        std::unique_lock lock(mu_);
        // A running sync may have started before the caller's change: only one that
        // starts from now on is sure to cover it.
        const uint64_t need = started_ + 1;
        while (finished_ < need) {
            if (!failed_.ok()) {
                return failed_;
            }
            if (running_) {
                done_.wait(lock);
                continue;
            }
            running_ = true;
            const uint64_t mine = ++started_;
            lock.unlock();
            Status s = sync();
            lock.lock();
            running_ = false;
            if (s.ok()) {
                finished_ = mine;
            } else {
                failed_ = s;
            }
            done_.notify_all();
            if (!s.ok()) {
                return s;
            }
        }
        return okStatus();
    }

private:
    std::mutex mu_;
    std::condition_variable done_;
    uint64_t started_ = 0;   // syncs begun
    uint64_t finished_ = 0;  // the last one that succeeded
    bool running_ = false;
    Status failed_ = okStatus();  // the first failure, for good
};

}  // namespace dfs::localfs

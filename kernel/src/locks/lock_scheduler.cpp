#include "lock_scheduler.hpp"

#include "../runtime.hpp"

namespace dfs::kernel::locks {
namespace {

class RuntimeScheduler : public LockScheduler {
public:
    explicit RuntimeScheduler(Runtime& rt) : rt_(rt) {}
    void post(std::function<void()> fn) override {
        // A full or stopped pool must not lose a completion: the caller's request would
        // hang forever. Running it here is safe, the manager posts with no mutex held.
        if (rt_.workers().post(fn) != WorkerPool::PostResult::ok) {
            fn();
        }
    }
    uint64_t startTimer(uint64_t delayMs, std::function<void()> fn) override {
        return rt_.timerStart(delayMs, std::move(fn));
    }
    bool cancelTimer(uint64_t id) override { return rt_.timerCancel(id); }

private:
    Runtime& rt_;
};

}  // namespace

LockSchedulerPtr makeRuntimeScheduler(Runtime& rt) { return std::make_unique<RuntimeScheduler>(rt); }

uint64_t ManualScheduler::startTimer(uint64_t delayMs, std::function<void()> fn) {
    std::lock_guard<std::mutex> g(mutex_);
    uint64_t id = next_++;
    timers_[id] = Timer{now_ + delayMs, std::move(fn)};
    return id;
}

bool ManualScheduler::cancelTimer(uint64_t id) {
    std::lock_guard<std::mutex> g(mutex_);
    return timers_.erase(id) != 0;
}

void ManualScheduler::advance(uint64_t ms) {
    uint64_t target;
    {
        std::lock_guard<std::mutex> g(mutex_);
        target = now_ + ms;
    }
    for (;;) {
        std::function<void()> fn;
        {
            std::lock_guard<std::mutex> g(mutex_);
            auto best = timers_.end();
            for (auto it = timers_.begin(); it != timers_.end(); ++it) {
                if (it->second.due <= target && (best == timers_.end() || it->second.due < best->second.due)) {
                    best = it;
                }
            }
            if (best == timers_.end()) {
                now_ = target;
                return;
            }
            now_ = best->second.due;
            fn = std::move(best->second.fn);
            timers_.erase(best);
        }
        fn();  // outside our mutex: the timer calls back into the manager
    }
}

uint64_t ManualScheduler::nowMs() const {
    std::lock_guard<std::mutex> g(mutex_);
    return now_;
}

size_t ManualScheduler::pendingTimers() const {
    std::lock_guard<std::mutex> g(mutex_);
    return timers_.size();
}

}  // namespace dfs::kernel::locks

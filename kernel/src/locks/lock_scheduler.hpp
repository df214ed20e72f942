// Where the lock manager runs what it must not run under its mutex, and how it keeps time:
// completions of pending requests, break hooks and break timeouts. In the server these are
// the worker pool and the runtime's timers; tests use the inline and manual ones so they
// decide when a break times out instead of sleeping.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

namespace dfs::kernel {
class Runtime;
}

namespace dfs::kernel::locks {

class LockScheduler {
public:
    virtual ~LockScheduler() = default;
    // Runs fn soon, on another thread or after the caller's current call returns; never
    // inside the caller's stack frame that holds a lock manager mutex.
    virtual void post(std::function<void()> fn) = 0;
    // Runs fn once after delayMs; returns an id (never 0) for cancelTimer.
    virtual uint64_t startTimer(uint64_t delayMs, std::function<void()> fn) = 0;
    // True if the timer had not fired yet and now never will.
    virtual bool cancelTimer(uint64_t id) = 0;
};
using LockSchedulerPtr = std::unique_ptr<LockScheduler>;

// The server's: the worker pool for posts, the runtime's timers. The runtime must be
// stopped before the lock manager using it is destroyed.
LockSchedulerPtr makeRuntimeScheduler(Runtime& rt);

// Tests: post runs fn at once (the manager posts only after dropping its mutex); timers
// fire when advance() moves the manual clock past them, on the caller's thread.
class ManualScheduler : public LockScheduler {
public:
    void post(std::function<void()> fn) override { fn(); }
    uint64_t startTimer(uint64_t delayMs, std::function<void()> fn) override;
    bool cancelTimer(uint64_t id) override;
    // Moves the clock by ms, firing every timer that falls due, in due order.
    void advance(uint64_t ms);
    uint64_t nowMs() const;
    size_t pendingTimers() const;

private:
    struct Timer {
        uint64_t due;
        std::function<void()> fn;
    };
    mutable std::mutex mutex_;
    uint64_t now_ = 0;
    uint64_t next_ = 1;
    std::map<uint64_t, Timer> timers_;
};

}  // namespace dfs::kernel::locks

// The kernel's threads: Asio I/O threads (sockets, signals, timers) and a bounded worker
// pool where request handlers run and may block on a store. Nothing here knows about
// protocols; plugins reach it through the host API's post/timer slots.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace dfs::kernel {

// A fixed set of threads draining a bounded FIFO queue.
class WorkerPool {
public:
    WorkerPool(uint32_t threads, uint32_t queueLimit);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    enum class PostResult { ok, full, stopped };
    PostResult post(std::function<void()> task);
    // Finishes queued tasks, then joins the threads. Later posts return `stopped`.
    void stop();
    size_t queued() const;

private:
    void run();
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> queue_;
    std::vector<std::thread> threads_;
    uint32_t limit_;
    bool stopping_ = false;
};

class Runtime {
public:
    Runtime(uint32_t ioThreads, uint32_t workers, uint32_t queueLimit);
    ~Runtime();
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    boost::asio::io_context& io();
    WorkerPool& workers() { return *workers_; }

    // Starts the I/O threads (the caller's thread is not used).
    void start();
    // Stops timers and I/O threads, then drains the worker pool.
    void stop();

    // Runs fn on the worker pool after delayMs; returns its id (never 0).
    uint64_t timerStart(uint64_t delayMs, std::function<void()> fn);
    // True if the timer was cancelled before it ran.
    bool timerCancel(uint64_t id);

private:
    struct Timers;
    std::unique_ptr<boost::asio::io_context> io_;
    std::unique_ptr<WorkerPool> workers_;
    std::unique_ptr<Timers> timers_;
    std::vector<std::thread> ioThreads_;
    uint32_t ioThreadCount_;
    bool started_ = false;
};

}  // namespace dfs::kernel

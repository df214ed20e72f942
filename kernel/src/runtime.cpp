#include "runtime.hpp"

#include "log.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace dfs::kernel {

WorkerPool::WorkerPool(uint32_t threads, uint32_t queueLimit) : limit_(queueLimit) {
    threads_.reserve(threads);
    for (uint32_t i = 0; i < threads; ++i) {
        threads_.emplace_back([this] { run(); });
    }
}

WorkerPool::~WorkerPool() { stop(); }

WorkerPool::PostResult WorkerPool::post(std::function<void()> task) {
    {
        std::lock_guard<std::mutex> g(mutex_);
        if (stopping_) {
            return PostResult::stopped;
        }
        if (queue_.size() >= limit_) {
            return PostResult::full;
        }
        queue_.push_back(std::move(task));
    }
    cv_.notify_one();
    return PostResult::ok;
}

void WorkerPool::stop() {
    {
        std::lock_guard<std::mutex> g(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) {
        if (t.joinable()) {
            t.join();
        }
    }
    threads_.clear();
}

size_t WorkerPool::queued() const {
    std::lock_guard<std::mutex> g(mutex_);
    return queue_.size();
}

void WorkerPool::run() {
    for (;;) {
        std::function<void()> task;
        {
            std::unique_lock<std::mutex> lk(mutex_);
            cv_.wait(lk, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) {
                return;  // stopping and drained
            }
            task = std::move(queue_.front());
            queue_.pop_front();
        }
        try {
            task();
        } catch (const std::exception& e) {
            log::error("worker", "task_exception", {{"what", e.what()}});
        } catch (...) {
            log::error("worker", "task_exception", {{"what", "unknown"}});
        }
    }
}

struct Runtime::Timers {
    std::mutex mutex;
    uint64_t next = 1;
    std::map<uint64_t, std::shared_ptr<boost::asio::steady_timer>> live;
};

Runtime::Runtime(uint32_t ioThreads, uint32_t workers, uint32_t queueLimit)
    : io_(std::make_unique<boost::asio::io_context>()),
      workers_(std::make_unique<WorkerPool>(workers, queueLimit)),
      timers_(std::make_unique<Timers>()),
      ioThreadCount_(ioThreads) {}

Runtime::~Runtime() { stop(); }

boost::asio::io_context& Runtime::io() { return *io_; }

void Runtime::start() {
    if (started_) {
        return;
    }
    started_ = true;
    for (uint32_t i = 0; i < ioThreadCount_; ++i) {
        ioThreads_.emplace_back([this] {
            auto guard = boost::asio::make_work_guard(*io_);
            io_->run();
        });
    }
}

void Runtime::stop() {
    {
        std::lock_guard<std::mutex> g(timers_->mutex);
        for (auto& [id, t] : timers_->live) {
            t->cancel();
        }
        timers_->live.clear();
    }
    io_->stop();
    for (auto& t : ioThreads_) {
        if (t.joinable()) {
            t.join();
        }
    }
    ioThreads_.clear();
    workers_->stop();
}

uint64_t Runtime::timerStart(uint64_t delayMs, std::function<void()> fn) {
    auto timer = std::make_shared<boost::asio::steady_timer>(*io_, std::chrono::milliseconds(delayMs));
    uint64_t id;
    {
        std::lock_guard<std::mutex> g(timers_->mutex);
        id = timers_->next++;
        timers_->live[id] = timer;
    }
    timer->async_wait([this, id, fn = std::move(fn)](const boost::system::error_code& ec) mutable {
        {
            std::lock_guard<std::mutex> g(timers_->mutex);
            if (timers_->live.erase(id) == 0 || ec) {
                return;  // cancelled
            }
        }
        if (workers_->post(std::move(fn)) != WorkerPool::PostResult::ok) {
            log::warn("runtime", "timer_dropped", {{"id", std::to_string(id)}});
        }
    });
    return id;
}

bool Runtime::timerCancel(uint64_t id) {
    std::lock_guard<std::mutex> g(timers_->mutex);
    auto it = timers_->live.find(id);
    if (it == timers_->live.end()) {
        return false;
    }
    it->second->cancel();
    timers_->live.erase(it);
    return true;
}

}  // namespace dfs::kernel

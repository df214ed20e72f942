// DittoFS SDK C++ layer: a fake kernel for unit tests of plugins.
//
// FakeHost builds a dfs_host_api_t that logs to stderr (WARN and above, or everything
// with DFS_TEST_VERBOSE=1 in the environment), reads the real clock and runs posted work
// inline. The store conformance kit creates store instances with it; vendors can use it
// in their own tests. Not for production: timers are not supported.
#pragma once

#include <dittofs/abi/host.h>
#include <dittofs/cpp/views.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

namespace dfs {

class FakeHost {
public:
    explicit FakeHost(std::string name = "test") : name_(std::move(name)) {
        const char* v = std::getenv("DFS_TEST_VERBOSE");
        verbose_ = v != nullptr && v[0] == '1';
        api_ = makeStruct<dfs_host_api_t>();
        api_.abi_major = DFS_ABI_MAJOR;
        api_.abi_minor = DFS_ABI_MINOR;
        api_.ctx = this;
        api_.log = [](void* ctx, dfs_log_level_t level, dfs_str_t msg) {
            auto* self = static_cast<FakeHost*>(ctx);
            self->lines_.fetch_add(1);
            if (level >= DFS_LOG_WARN || self->verbose_) {
                std::fprintf(stderr, "[%s] level=%d %.*s\n", self->name_.c_str(), level,
                             static_cast<int>(msg.len), msg.ptr);
            }
        };
        api_.log_enabled = [](void* ctx, dfs_log_level_t level) -> int32_t {
            return (level >= DFS_LOG_WARN || static_cast<FakeHost*>(ctx)->verbose_) ? 1 : 0;
        };
        api_.now = [](void*) {
            timespec ts{};
            clock_gettime(CLOCK_REALTIME, &ts);
            return dfs_time_t{static_cast<int64_t>(ts.tv_sec), static_cast<uint32_t>(ts.tv_nsec), 0};
        };
        api_.post = [](void*, dfs_task_fn fn, void* arg) {
            fn(arg);
            return dfs_err_t{DFS_OK, 0};
        };
        api_.timer_start = [](void*, uint64_t, dfs_task_fn, void*) -> uint64_t { return 0; };
        api_.timer_cancel = [](void*, uint64_t) -> int32_t { return 0; };
        api_.metric_add = [](void*, dfs_str_t, int64_t) {};
    }
    FakeHost(const FakeHost&) = delete;
    FakeHost& operator=(const FakeHost&) = delete;

    const dfs_host_api_t* api() const { return &api_; }
    uint64_t logLines() const { return lines_.load(); }

private:
    std::string name_;
    bool verbose_ = false;
    std::atomic<uint64_t> lines_{0};
    dfs_host_api_t api_{};
};

}  // namespace dfs

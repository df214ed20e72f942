#include "host_api.hpp"

#include "log.hpp"
#include "runtime.hpp"

#include <dittofs/cpp/views.hpp>

#include <ctime>

namespace dfs::kernel {
namespace {

log::Level toLevel(dfs_log_level_t l) {
    if (l <= DFS_LOG_TRACE) {
        return log::Level::trace;
    }
    if (l >= DFS_LOG_CRITICAL) {
        return log::Level::critical;
    }
    return static_cast<log::Level>(l);
}

void hostLog(void* ctx, dfs_log_level_t level, dfs_str_t msg) {
    auto* h = HostContext::from(ctx);
    log::write(toLevel(level), h->who(), "plugin_log", {{"msg", std::string(toView(msg))}});
}

int32_t hostLogEnabled(void*, dfs_log_level_t level) { return log::enabled(toLevel(level)) ? 1 : 0; }

dfs_time_t hostNow(void*) {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return dfs_time_t{static_cast<int64_t>(ts.tv_sec), static_cast<uint32_t>(ts.tv_nsec), 0};
}

dfs_err_t hostPost(void* ctx, dfs_task_fn fn, void* arg) {
    auto* h = HostContext::from(ctx);
    if (fn == nullptr) {
        return dfs_err_t{DFS_ERR_INVAL, 0};
    }
    if (h->services() == nullptr || h->services()->runtime == nullptr) {
        fn(arg);
        return dfs_err_t{DFS_OK, 0};
    }
    switch (h->services()->runtime->workers().post([fn, arg] { fn(arg); })) {
    case WorkerPool::PostResult::ok: return dfs_err_t{DFS_OK, 0};
    case WorkerPool::PostResult::full: return dfs_err_t{DFS_ERR_DELAY, 0};
    case WorkerPool::PostResult::stopped: return dfs_err_t{DFS_ERR_SHUTDOWN, 0};
    }
    return dfs_err_t{DFS_ERR_SERVERFAULT, 0};
}

uint64_t hostTimerStart(void* ctx, uint64_t delayMs, dfs_task_fn fn, void* arg) {
    auto* h = HostContext::from(ctx);
    if (fn == nullptr || h->services() == nullptr || h->services()->runtime == nullptr) {
        return 0;
    }
    return h->services()->runtime->timerStart(delayMs, [fn, arg] { fn(arg); });
}

int32_t hostTimerCancel(void* ctx, uint64_t id) {
    auto* h = HostContext::from(ctx);
    if (h->services() == nullptr || h->services()->runtime == nullptr) {
        return 0;
    }
    return h->services()->runtime->timerCancel(id) ? 1 : 0;
}

void hostMetricAdd(void* ctx, dfs_str_t name, int64_t delta) {
    auto* h = HostContext::from(ctx);
    if (h->services() != nullptr) {
        h->services()->metrics.add("dittofs_plugin_" + h->who() + "_" + std::string(toView(name)), delta);
    }
}

}  // namespace

void Metrics::add(const std::string& name, int64_t delta) {
    std::lock_guard<std::mutex> g(mutex_);
    counters_[name] += delta;
}

std::map<std::string, int64_t> Metrics::snapshot() const {
    std::lock_guard<std::mutex> g(mutex_);
    return counters_;
}

ConfigTable::ConfigTable(const std::map<std::string, std::string>& params) {
    kvs_.reserve(params.size());
    for (const auto& [k, v] : params) {
        kvs_.push_back(dfs_kv_t{toC(k), toC(v)});
    }
    cfg_ = makeStruct<dfs_config_t>();
    cfg_.count = static_cast<uint32_t>(kvs_.size());
    cfg_.items = kvs_.data();
}

HostContext::HostContext(std::string who, dfs_plugin_kind_t kind, HostServices* services)
    : who_(std::move(who)), services_(services) {
    api_ = makeStruct<dfs_host_api_t>();
    api_.abi_major = DFS_ABI_MAJOR;
    api_.abi_minor = DFS_ABI_MINOR;
    api_.ctx = this;
    api_.log = &hostLog;
    api_.log_enabled = &hostLogEnabled;
    api_.now = &hostNow;
    api_.post = &hostPost;
    api_.timer_start = &hostTimerStart;
    api_.timer_cancel = &hostTimerCancel;
    api_.metric_add = &hostMetricAdd;
    // Stores never reach files through the VFS: that would bypass the share's checks.
    bool needsVfs = kind == DFS_PLUGIN_PROTOCOL;
    api_.vfs = needsVfs ? vfsTable() : nullptr;
    api_.identity = (kind == DFS_PLUGIN_PROTOCOL || kind == DFS_PLUGIN_AUTH) ? identityTable() : nullptr;
    api_.rpc = needsVfs ? rpcTable() : nullptr;
    api_.locks = needsVfs ? locksTable() : nullptr;
}

}  // namespace dfs::kernel

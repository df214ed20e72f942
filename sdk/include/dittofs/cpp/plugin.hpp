// DittoFS SDK C++ layer: host access, configuration and the exception barrier.
//
// Plugins are written in C++ but export only the C ABI. Host wraps the kernel's
// dfs_host_api_t, Config reads the key/value configuration an instance is created
// with, and guard() is the barrier that keeps exceptions from crossing the boundary:
// every adapter in store.hpp runs plugin code inside it.
#pragma once

#include <dittofs/abi/dittofs.h>
#include <dittofs/cpp/result.hpp>
#include <dittofs/cpp/views.hpp>

#include <charconv>
#include <cstdio>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace dfs {

class Host {
public:
    Host() = default;
    explicit Host(const dfs_host_api_t* api) {
        if (api != nullptr) {
            api_ = copyStruct(api);
        }
    }

    bool valid() const { return api_.struct_size != 0; }
    const dfs_host_api_t& raw() const { return api_; }

    bool logEnabled(dfs_log_level_t level) const {
        if (api_.log_enabled == nullptr) {
            return api_.log != nullptr;
        }
        return api_.log_enabled(api_.ctx, level) != 0;
    }
    void log(dfs_log_level_t level, std::string_view message) const {
        if (api_.log != nullptr) {
            api_.log(api_.ctx, level, toC(message));
        } else if (level >= DFS_LOG_WARN) {
            std::fprintf(stderr, "%.*s\n", static_cast<int>(message.size()), message.data());
        }
    }
    void debug(std::string_view m) const { log(DFS_LOG_DEBUG, m); }
    void info(std::string_view m) const { log(DFS_LOG_INFO, m); }
    void warn(std::string_view m) const { log(DFS_LOG_WARN, m); }
    void error(std::string_view m) const { log(DFS_LOG_ERROR, m); }

    dfs_time_t now() const;

private:
    dfs_host_api_t api_{};
};

// A config number: decimal, or octal with a leading 0 (modes are written that way).
inline std::optional<uint32_t> parseNumber(std::string_view digits) {
    int base = 10;
    if (digits.size() > 1 && digits[0] == '0') {
        base = 8;
        digits.remove_prefix(1);
    }
    uint32_t v = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
    if (digits.empty() || ec != std::errc{} || p != digits.data() + digits.size()) {
        return std::nullopt;
    }
    return v;
}

// The key/value table of an instance, copied out of the dfs_config_t at create().
class Config {
public:
    Config() = default;
    explicit Config(const dfs_config_t* c) {
        if (c == nullptr || c->items == nullptr) {
            return;
        }
        for (uint32_t i = 0; i < c->count; ++i) {
            values_[std::string(toView(c->items[i].key))] = std::string(toView(c->items[i].value));
        }
    }
    void set(std::string key, std::string value) { values_[std::move(key)] = std::move(value); }
    bool has(std::string_view key) const { return values_.find(std::string(key)) != values_.end(); }
    std::string get(std::string_view key, std::string_view def = {}) const {
        auto it = values_.find(std::string(key));
        return it == values_.end() ? std::string(def) : it->second;
    }
    std::optional<uint64_t> getUint(std::string_view key) const {
        auto it = values_.find(std::string(key));
        if (it == values_.end()) {
            return std::nullopt;
        }
        uint64_t v = 0;
        const auto& s = it->second;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc{} || p != s.data() + s.size()) {
            return std::nullopt;
        }
        return v;
    }
    bool getBool(std::string_view key, bool def) const {
        auto it = values_.find(std::string(key));
        if (it == values_.end()) {
            return def;
        }
        return it->second == "true" || it->second == "1" || it->second == "yes";
    }
    const std::map<std::string, std::string>& all() const { return values_; }

private:
    std::map<std::string, std::string> values_;
};

// Runs fn() and converts an escaping exception into DFS_ERR_SERVERFAULT (or NOMEM) with
// a log line. fn returns Status, Result<T> or dfs_err_t.
template <typename F>
dfs_err_t guard(const Host& host, const char* what, F&& fn) noexcept {
    try {
        auto r = fn();
        if constexpr (std::is_same_v<decltype(r), dfs_err_t>) {
            return r;
        } else {
            return r.toC();
        }
    } catch (const std::bad_alloc&) {
        host.error(std::string(what) + ": out of memory");
        return dfs_err_t{DFS_ERR_NOMEM, ENOMEM};
    } catch (const std::exception& e) {
        try {
            host.error(std::string(what) + ": unexpected exception: " + e.what());
        } catch (...) {
        }
        return dfs_err_t{DFS_ERR_SERVERFAULT, 0};
    } catch (...) {
        host.error(std::string(what) + ": unexpected exception");
        return dfs_err_t{DFS_ERR_SERVERFAULT, 0};
    }
}

}  // namespace dfs

#include <time.h>

namespace dfs {
inline dfs_time_t Host::now() const {
    if (api_.now != nullptr) {
        return api_.now(api_.ctx);
    }
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return dfs_time_t{static_cast<int64_t>(ts.tv_sec), static_cast<uint32_t>(ts.tv_nsec), 0};
}
}  // namespace dfs

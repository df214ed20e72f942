#include "log.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <mutex>

namespace dfs::kernel::log {
namespace {

std::mutex gInitMutex;
std::shared_ptr<spdlog::logger> gLogger;
std::atomic<int> gLevel{static_cast<int>(Level::info)};

spdlog::level::level_enum toSpd(Level l) {
    switch (l) {
    case Level::trace: return spdlog::level::trace;
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warn: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
    case Level::critical: return spdlog::level::critical;
    }
    return spdlog::level::info;
}

const char* levelName(Level l) {
    switch (l) {
    case Level::trace: return "trace";
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
    case Level::critical: return "critical";
    }
    return "info";
}

std::shared_ptr<spdlog::logger> logger() {
    auto l = std::atomic_load(&gLogger);
    if (!l) {
        init(static_cast<Level>(gLevel.load()));
        l = std::atomic_load(&gLogger);
    }
    return l;
}

}  // namespace

std::string quote(std::string_view v) {
    bool needs = v.empty();
    for (char c : v) {
        if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
            needs = true;
            break;
        }
    }
    if (!needs) {
        return std::string(v);
    }
    std::string out = "\"";
    for (char c : v) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
            out += buf;
        } else {
            out.push_back(c);
        }
    }
    out.push_back('"');
    return out;
}

void init(Level level, const std::string& file) {
    std::lock_guard<std::mutex> g(gInitMutex);
    std::shared_ptr<spdlog::logger> l;
    if (file.empty()) {
        l = std::make_shared<spdlog::logger>("dittofs", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    } else {
        l = std::make_shared<spdlog::logger>("dittofs",
                                             std::make_shared<spdlog::sinks::basic_file_sink_mt>(file, false));
    }
    l->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %v", spdlog::pattern_time_type::utc);
    l->set_level(spdlog::level::trace);
    l->flush_on(spdlog::level::info);
    gLevel.store(static_cast<int>(level));
    std::atomic_store(&gLogger, l);
}

bool parseLevel(std::string_view s, Level& out) {
    static const std::pair<std::string_view, Level> names[] = {
        {"trace", Level::trace}, {"debug", Level::debug}, {"info", Level::info},
        {"warn", Level::warn},   {"error", Level::error}, {"critical", Level::critical}};
    for (const auto& [n, l] : names) {
        if (s == n) {
            out = l;
            return true;
        }
    }
    return false;
}

void setLevel(Level level) { gLevel.store(static_cast<int>(level)); }

bool enabled(Level level) { return static_cast<int>(level) >= gLevel.load(); }

void writeRaw(Level level, std::string_view component, std::string_view event, std::string_view rest) {
    if (!enabled(level)) {
        return;
    }
    std::string line;
    line.reserve(64 + rest.size());
    line += "level=";
    line += levelName(level);
    line += " comp=";
    line += quote(component);
    line += " event=";
    line += quote(event);
    if (!rest.empty()) {
        line += ' ';
        line += rest;
    }
    logger()->log(toSpd(level), "{}", line);
}

void write(Level level, std::string_view component, std::string_view event, std::initializer_list<Field> fields) {
    if (!enabled(level)) {
        return;
    }
    std::string rest;
    for (const auto& [k, v] : fields) {
        if (!rest.empty()) {
            rest += ' ';
        }
        rest += k;
        rest += '=';
        rest += quote(v);
    }
    writeRaw(level, component, event, rest);
}

void flush() {
    auto l = std::atomic_load(&gLogger);
    if (l) {
        l->flush();
    }
}

}  // namespace dfs::kernel::log

// Structured logging for the kernel: one line per event, `key=value` fields.
//
//   2026-11-21T10:00:00.123456Z level=info comp=kernel event=share_added share=export path=/export
//
// Callers pass the event name and fields; values with spaces or quotes are quoted.
// The spdlog sink lives in log.cpp so this header stays light.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace dfs::kernel::log {

enum class Level { trace = 0, debug = 1, info = 2, warn = 3, error = 4, critical = 5 };

using Field = std::pair<std::string_view, std::string>;

// `file` empty: stderr. Safe to call again (reconfigures).
void init(Level level, const std::string& file = {});
bool parseLevel(std::string_view s, Level& out);
void setLevel(Level level);
bool enabled(Level level);
void write(Level level, std::string_view component, std::string_view event, std::initializer_list<Field> fields = {});
// The same, for a pre-built list (plugins' lines).
void writeRaw(Level level, std::string_view component, std::string_view event, std::string_view rest);
void flush();

inline void info(std::string_view comp, std::string_view event, std::initializer_list<Field> f = {}) {
    write(Level::info, comp, event, f);
}
inline void warn(std::string_view comp, std::string_view event, std::initializer_list<Field> f = {}) {
    write(Level::warn, comp, event, f);
}
inline void error(std::string_view comp, std::string_view event, std::initializer_list<Field> f = {}) {
    write(Level::error, comp, event, f);
}
inline void debug(std::string_view comp, std::string_view event, std::initializer_list<Field> f = {}) {
    if (enabled(Level::debug)) {
        write(Level::debug, comp, event, f);
    }
}

// Formats one value the way write() does (quoted when needed).
std::string quote(std::string_view v);

}  // namespace dfs::kernel::log

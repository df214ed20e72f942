// DittoFS SDK C++ layer: conversions between ABI views and C++ views.
#pragma once

#include <dittofs/abi/common.h>
#include <dittofs/abi/fs.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace dfs {

inline dfs_str_t toC(std::string_view s) { return dfs_str_t{s.data(), s.size()}; }
inline std::string_view toView(dfs_str_t s) {
    return s.ptr == nullptr ? std::string_view{} : std::string_view{s.ptr, static_cast<size_t>(s.len)};
}
inline dfs_bytes_t toBytes(std::span<const uint8_t> b) { return dfs_bytes_t{b.data(), b.size()}; }
inline dfs_bytes_t toBytes(std::string_view s) {
    return dfs_bytes_t{reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::span<const uint8_t> toSpan(dfs_bytes_t b) {
    return b.ptr == nullptr ? std::span<const uint8_t>{} : std::span<const uint8_t>{b.ptr, static_cast<size_t>(b.len)};
}
inline std::string_view toStringView(dfs_bytes_t b) {
    return b.ptr == nullptr ? std::string_view{}
                            : std::string_view{reinterpret_cast<const char*>(b.ptr), static_cast<size_t>(b.len)};
}

// A zeroed struct with struct_size set: the way every ABI struct is handed over.
template <typename T>
T makeStruct() {
    T t;
    std::memset(&t, 0, sizeof t);
    t.struct_size = static_cast<uint32_t>(sizeof t);
    return t;
}

// Copies what a peer gave into a zeroed struct of our size (the append-only rule).
template <typename T>
T copyStruct(const T* given) {
    T t = makeStruct<T>();
    if (given == nullptr) {
        return t;
    }
    size_t n = given->struct_size < sizeof t ? given->struct_size : sizeof t;
    std::memcpy(&t, given, n);
    t.struct_size = static_cast<uint32_t>(sizeof t);
    return t;
}

// Sink adapters: collect a variable-length result into a std::string.
inline void appendSink(void* ctx, dfs_bytes_t data) {
    static_cast<std::string*>(ctx)->append(toStringView(data));
}

inline bool operator==(const dfs_time_t& a, const dfs_time_t& b) { return a.sec == b.sec && a.nsec == b.nsec; }

// Name checks every store and the VFS apply (store.h, "Names").
inline dfs_status_t checkName(std::string_view name) {
    if (name.size() > DFS_NAME_MAX) {
        return DFS_ERR_NAMETOOLONG;
    }
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos ||
        name.find('\0') != std::string_view::npos) {
        return DFS_ERR_BADNAME;
    }
    return DFS_OK;
}

}  // namespace dfs

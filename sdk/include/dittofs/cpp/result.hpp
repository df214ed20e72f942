// DittoFS SDK C++ layer: Result<T> and status helpers.
//
// The C ABI returns dfs_err_t {code, errno}. Plugin and kernel code written in C++ use
// Result<T> instead of exceptions on the request path; the adapters in plugin.hpp turn a
// Result back into dfs_err_t at the boundary. Header-only, compiled into each plugin.
#pragma once

#include <dittofs/abi/common.h>

#include <cerrno>
#include <utility>
#include <variant>

namespace dfs {

struct Error {
    dfs_status_t code = DFS_ERR_SERVERFAULT;
    int sysErrno = 0;

    dfs_err_t toC() const { return dfs_err_t{code, sysErrno}; }
    bool operator==(const Error& o) const { return code == o.code; }
};

inline constexpr dfs_err_t kOk{DFS_OK, 0};

inline Error makeError(dfs_status_t code, int sysErrno = 0) { return Error{code, sysErrno}; }
inline bool isOk(dfs_err_t e) { return e.code == DFS_OK; }

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
    Result(Error e) : v_(e) {}                 // NOLINT(google-explicit-constructor)

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    Error error() const { return ok() ? Error{DFS_OK, 0} : std::get<1>(v_); }
    dfs_status_t code() const { return ok() ? DFS_OK : std::get<1>(v_).code; }
    dfs_err_t toC() const { return ok() ? kOk : std::get<1>(v_).toC(); }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error e) : err_(e) {}  // NOLINT(google-explicit-constructor)
    Result(dfs_err_t e) : err_{e.code, e.sys_errno} {}  // NOLINT(google-explicit-constructor)

    bool ok() const { return err_.code == DFS_OK; }
    explicit operator bool() const { return ok(); }
    Error error() const { return err_; }
    dfs_status_t code() const { return err_.code; }
    dfs_err_t toC() const { return err_.toC(); }

private:
    Error err_{DFS_OK, 0};
};

using Status = Result<void>;

inline Status okStatus() { return Status{}; }

// Name of a status code, for logs and test messages.
inline const char* statusName(dfs_status_t code) {
    switch (code) {
    case DFS_OK: return "OK";
    case DFS_PENDING: return "PENDING";
    case DFS_ERR_PERM: return "PERM";
    case DFS_ERR_NOENT: return "NOENT";
    case DFS_ERR_IO: return "IO";
    case DFS_ERR_NXIO: return "NXIO";
    case DFS_ERR_ACCES: return "ACCES";
    case DFS_ERR_EXIST: return "EXIST";
    case DFS_ERR_XDEV: return "XDEV";
    case DFS_ERR_NODEV: return "NODEV";
    case DFS_ERR_NOTDIR: return "NOTDIR";
    case DFS_ERR_ISDIR: return "ISDIR";
    case DFS_ERR_INVAL: return "INVAL";
    case DFS_ERR_FBIG: return "FBIG";
    case DFS_ERR_NOSPC: return "NOSPC";
    case DFS_ERR_ROFS: return "ROFS";
    case DFS_ERR_MLINK: return "MLINK";
    case DFS_ERR_NAMETOOLONG: return "NAMETOOLONG";
    case DFS_ERR_NOTEMPTY: return "NOTEMPTY";
    case DFS_ERR_DQUOT: return "DQUOT";
    case DFS_ERR_STALE: return "STALE";
    case DFS_ERR_BADHANDLE: return "BADHANDLE";
    case DFS_ERR_NOTSUPP: return "NOTSUPP";
    case DFS_ERR_TOOSMALL: return "TOOSMALL";
    case DFS_ERR_SERVERFAULT: return "SERVERFAULT";
    case DFS_ERR_BADTYPE: return "BADTYPE";
    case DFS_ERR_DELAY: return "DELAY";
    case DFS_ERR_BADCOOKIE: return "BADCOOKIE";
    case DFS_ERR_NOT_SYNC: return "NOT_SYNC";
    case DFS_ERR_NOXATTR: return "NOXATTR";
    case DFS_ERR_NOMEM: return "NOMEM";
    case DFS_ERR_LOOP: return "LOOP";
    case DFS_ERR_SHUTDOWN: return "SHUTDOWN";
    case DFS_ERR_LOCKED: return "LOCKED";
    case DFS_ERR_BADNAME: return "BADNAME";
    default: return "UNKNOWN";
    }
}

// Maps an errno from a system call to a status, keeping the errno.
inline Error errnoError(int e) {
    dfs_status_t c = DFS_ERR_IO;
    switch (e) {
    case EPERM: c = DFS_ERR_PERM; break;
    case ENOENT: c = DFS_ERR_NOENT; break;
    case ENXIO: c = DFS_ERR_NXIO; break;
    case EACCES: c = DFS_ERR_ACCES; break;
    case EEXIST: c = DFS_ERR_EXIST; break;
    case EXDEV: c = DFS_ERR_XDEV; break;
    case ENOTDIR: c = DFS_ERR_NOTDIR; break;
    case EISDIR: c = DFS_ERR_ISDIR; break;
    case EINVAL: c = DFS_ERR_INVAL; break;
    case EFBIG: c = DFS_ERR_FBIG; break;
    case ENOSPC: c = DFS_ERR_NOSPC; break;
    case EROFS: c = DFS_ERR_ROFS; break;
    case EMLINK: c = DFS_ERR_MLINK; break;
    case ENAMETOOLONG: c = DFS_ERR_NAMETOOLONG; break;
    case ENOTEMPTY: c = DFS_ERR_NOTEMPTY; break;
    case EDQUOT: c = DFS_ERR_DQUOT; break;
    case ENOMEM: c = DFS_ERR_NOMEM; break;
    case ELOOP: c = DFS_ERR_LOOP; break;
    case EOPNOTSUPP: c = DFS_ERR_NOTSUPP; break;
    case ENODATA: c = DFS_ERR_NOXATTR; break;
    default: break;
    }
    return Error{c, e};
}
}  // namespace dfs

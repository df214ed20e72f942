/*
 * DittoFS plugin ABI: common types.
 *
 * Everything that crosses the boundary between the DittoFS kernel (dittofsd) and a
 * plugin library is declared in sdk/include/dittofs/abi/. Only C crosses it:
 * fixed-width integers, int32_t enums, {ptr,len} views, opaque handles and tables of
 * function pointers. A vendor needs a C compiler and these headers, nothing else.
 *
 * Rules (docs/abi.md has the full text and the changelog):
 *  - Headers are append-only. A change bumps DFS_ABI_MINOR; a hard break renames the
 *    entry point (dfs_plugin_entry_v2) and bumps DFS_ABI_MAJOR.
 *  - Every struct that may grow starts with `uint32_t struct_size`. The side that
 *    receives a struct copies min(struct_size, sizeof its own) bytes into a zeroed
 *    struct, so a slot an older peer does not know reads as 0 / NULL and gets the
 *    documented default.
 *  - Memory is never freed on the other side. Variable-length results are delivered
 *    through sink callbacks that are valid only during the call.
 *  - No exception, longjmp or C++ type crosses the boundary.
 */
#ifndef DITTOFS_ABI_COMMON_H
#define DITTOFS_ABI_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define DFS_ABI_MAJOR 1
#define DFS_ABI_MINOR 7

#ifdef __cplusplus
#define DFS_BEGIN_DECLS extern "C" {
#define DFS_END_DECLS }
#else
#define DFS_BEGIN_DECLS
#define DFS_END_DECLS
#endif

#if defined(__GNUC__)
#define DFS_API_EXPORT __attribute__((visibility("default")))
#else
#define DFS_API_EXPORT
#endif

DFS_BEGIN_DECLS

/* ---- Status codes -------------------------------------------------------------
 * One code space for every table. Each protocol plugin maps them to its own wire
 * codes in exactly one file (nfsstat3, nfsstat4, NTSTATUS). Values are stable. */
typedef int32_t dfs_status_t;
enum {
    DFS_OK = 0,
    DFS_PENDING = 1,           /* accepted; completion is reported later */
    DFS_ERR_PERM = 2,          /* not owner / operation not permitted */
    DFS_ERR_NOENT = 3,
    DFS_ERR_IO = 4,
    DFS_ERR_NXIO = 5,          /* no such device or address; SEEK past last data */
    DFS_ERR_ACCES = 6,         /* permission denied */
    DFS_ERR_EXIST = 7,
    DFS_ERR_XDEV = 8,          /* cross-share link or rename */
    DFS_ERR_NODEV = 9,
    DFS_ERR_NOTDIR = 10,
    DFS_ERR_ISDIR = 11,
    DFS_ERR_INVAL = 12,
    DFS_ERR_FBIG = 13,
    DFS_ERR_NOSPC = 14,
    DFS_ERR_ROFS = 15,
    DFS_ERR_MLINK = 16,
    DFS_ERR_NAMETOOLONG = 17,
    DFS_ERR_NOTEMPTY = 18,
    DFS_ERR_DQUOT = 19,
    DFS_ERR_STALE = 20,        /* object no longer exists (handle outlived it) */
    DFS_ERR_BADHANDLE = 21,    /* handle is malformed */
    DFS_ERR_NOTSUPP = 22,      /* operation not implemented by this plugin */
    DFS_ERR_TOOSMALL = 23,     /* caller's buffer cannot hold one result */
    DFS_ERR_SERVERFAULT = 24,  /* internal error; the plugin logged why */
    DFS_ERR_BADTYPE = 25,      /* object type not supported */
    DFS_ERR_DELAY = 26,        /* try again later (NFS3ERR_JUKEBOX, NFS4ERR_DELAY) */
    DFS_ERR_BADCOOKIE = 27,
    DFS_ERR_NOT_SYNC = 28,     /* guarded setattr: ctime guard did not match */
    DFS_ERR_NOXATTR = 29,      /* no such extended attribute */
    DFS_ERR_NOMEM = 30,
    DFS_ERR_LOOP = 31,
    DFS_ERR_SHUTDOWN = 32,     /* instance is stopping */
    DFS_ERR_LOCKED = 33,
    DFS_ERR_BADNAME = 34       /* name is not a valid path component */
};

/* {code, errno}: the status plus, when the cause is a system call, its errno (else 0).
 * Returned by value from every fallible slot. */
typedef struct dfs_err {
    dfs_status_t code;
    int32_t sys_errno;
} dfs_err_t;

/* ---- Views ---------------------------------------------------------------------
 * Not NUL-terminated. Ownership is stated at each use; unless said otherwise a view
 * passed into a call is valid only during that call. */
typedef struct dfs_str {
    const char* ptr;
    uint64_t len;
} dfs_str_t;

typedef struct dfs_bytes {
    const uint8_t* ptr;
    uint64_t len;
} dfs_bytes_t;

/* A writable buffer owned by the caller. */
typedef struct dfs_buf {
    uint8_t* ptr;
    uint64_t len;
} dfs_buf_t;

/* (1.7) Bytes lent by their owner so that they can be sent without a copy (a READ
 * reply's data straight from a mapping of the file). Valid until release(release_arg)
 * is called, which the borrower does exactly once, from any thread, when it is done.
 * The bytes are what a read at the time of lending returned, but they are the owner's
 * live memory: a later write may change them, and where they map a file that is later
 * cut short, touching them faults. So a borrower never reads them itself: it only hands
 * them to the operating system (a socket send), which reports EFAULT for such bytes. */
typedef struct dfs_lent {
    const uint8_t* ptr;
    uint64_t len;
    void (*release)(void* release_arg);
    void* release_arg;
} dfs_lent_t;

/* Called during a call to hand over one variable-length result. The view is valid
 * only inside the sink. */
typedef void (*dfs_bytes_sink_fn)(void* sink_ctx, dfs_bytes_t data);

/* ---- Configuration ---------------------------------------------------------------
 * A plugin instance is created with a flat list of key/value strings taken from its
 * table in the config file (e.g. `path = "/var/lib/dittofs/meta.db"`). Keys and values
 * are valid during create() only; copy what you keep. */
typedef struct dfs_kv {
    dfs_str_t key;
    dfs_str_t value;
} dfs_kv_t;

typedef struct dfs_config {
    uint32_t struct_size;
    uint32_t count;
    const dfs_kv_t* items;
} dfs_config_t;

/* ---- Time ------------------------------------------------------------------------ */
typedef struct dfs_time {
    int64_t sec;   /* seconds since the Unix epoch */
    uint32_t nsec; /* 0..999999999 */
    uint32_t reserved;
} dfs_time_t;

/* ---- Log levels ------------------------------------------------------------------ */
typedef int32_t dfs_log_level_t;
enum {
    DFS_LOG_TRACE = 0,
    DFS_LOG_DEBUG = 1,
    DFS_LOG_INFO = 2,
    DFS_LOG_WARN = 3,
    DFS_LOG_ERROR = 4,
    DFS_LOG_CRITICAL = 5
};

DFS_END_DECLS

#endif /* DITTOFS_ABI_COMMON_H */

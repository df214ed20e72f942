/*
 * DittoFS plugin ABI: what the kernel offers to plugins (dfs_host_*).
 *
 * Every plugin gets a dfs_host_api_t at load time and again for each instance; `ctx`
 * identifies the caller to the kernel (for log lines and ownership), so always pass
 * the `ctx` of the table you were given. Sub-tables may be NULL when a kind of plugin
 * has no use for them (store plugins get no VFS). Slots added in later minors are
 * NULL when the kernel is older: check struct_size or NULL before use.
 *
 * The VFS table is the only way a protocol plugin reaches files. Each call carries
 * the caller's credential; the kernel applies the share's squash rules, checks
 * permissions from mode bits, stamps times and keeps the metadata and block stores
 * consistent, then answers in dfs_status_t.
 */
#ifndef DITTOFS_ABI_HOST_H
#define DITTOFS_ABI_HOST_H

#include "common.h"
#include "fs.h"

DFS_BEGIN_DECLS

/* ---- Identity -------------------------------------------------------------------- */
#define DFS_CRED_MAX_GROUPS 32u

typedef int32_t dfs_flavor_t;
enum {
    DFS_FLAVOR_NONE = 0, /* AUTH_NONE (RFC 5531) */
    DFS_FLAVOR_SYS = 1,  /* AUTH_SYS */
    DFS_FLAVOR_KRB5 = 390003,
    DFS_FLAVOR_KRB5I = 390004,
    DFS_FLAVOR_KRB5P = 390005
};

/* Who is calling. Built by the auth plugin or protocol plugin from the wire; the
 * kernel squashes it per share before any check. */
typedef struct dfs_cred {
    uint32_t struct_size;
    dfs_flavor_t flavor;
    uint32_t uid;
    uint32_t gid;
    uint32_t ngroups;
    uint32_t groups[DFS_CRED_MAX_GROUPS];
    uint32_t reserved;
    dfs_str_t principal;   /* Kerberos principal or empty; valid during the call */
    dfs_str_t client_addr; /* numeric IPv4/IPv6 address of the peer, or empty */
} dfs_cred_t;

/* ---- File handles -----------------------------------------------------------------
 * Opaque to protocol plugins. Encodes the share, the object and its generation, so it
 * stays valid across restarts and becomes DFS_ERR_STALE once the object is removed.
 * A malformed handle gives DFS_ERR_BADHANDLE. */
#define DFS_FH_MAX 64u
typedef struct dfs_fh {
    uint32_t len;
    uint8_t data[DFS_FH_MAX];
} dfs_fh_t;

/* ---- Shares -------------------------------------------------------------------------- */
enum {
    DFS_SHARE_READ_ONLY = 1u << 0
};

typedef struct dfs_share_info {
    uint32_t struct_size;
    uint32_t share_id;  /* stable across restarts */
    uint32_t flags;     /* DFS_SHARE_* */
    uint32_t reserved;
    dfs_str_t name;     /* valid during the sink call */
    dfs_str_t path;     /* the share's path in the namespace, e.g. "/export" */

    /* ABI 1.2 */
    uint32_t nclients;        /* the networks allowed to use it; 0: everyone */
    uint32_t reserved2;
    const dfs_str_t* clients; /* "10.0.0.0/8", "::1"...; valid during the sink call */
} dfs_share_info_t;

typedef void (*dfs_share_sink_fn)(void* sink_ctx, const dfs_share_info_t* share);

/* Weak cache consistency: a directory's (or file's) attributes before and after a
 * change (RFC 1813 section 2.6). */
typedef struct dfs_wcc {
    uint32_t struct_size;
    int32_t have_before;
    int32_t have_after;
    uint32_t reserved;
    dfs_attr_t before;
    dfs_attr_t after;
} dfs_wcc_t;

/* ACCESS bits (values of NFSv3 ACCESS3_*, RFC 1813 section 3.3.4). */
enum {
    DFS_ACCESS_READ = 0x0001,
    DFS_ACCESS_LOOKUP = 0x0002,
    DFS_ACCESS_MODIFY = 0x0004,
    DFS_ACCESS_EXTEND = 0x0008,
    DFS_ACCESS_DELETE = 0x0010,
    DFS_ACCESS_EXECUTE = 0x0020
};

/* An entry of a VFS listing; with DFS_READDIR_PLUS the handle and attributes of the
 * entry are filled (attr/fh are NULL otherwise, or when they could not be read). */
typedef struct dfs_vfs_dirent {
    uint32_t struct_size;
    uint32_t reserved;
    dfs_dirent_t entry;
    const dfs_attr_t* attr;
    const dfs_fh_t* fh;
} dfs_vfs_dirent_t;

typedef int32_t (*dfs_vfs_dirent_sink_fn)(void* sink_ctx, const dfs_vfs_dirent_t* entry);

enum {
    DFS_READDIR_PLUS = 1u << 0
};

/* Every slot: `ctx` from dfs_host_api_t; `cred` is the caller; out-pointers may be NULL
 * when the caller does not need them. */
typedef struct dfs_host_vfs {
    uint32_t struct_size;
    uint32_t reserved;

    /* Shares: by path in the namespace ("/export") or name. The caller's client_addr is
     * checked against the share's allowed networks (DFS_ERR_ACCES). */
    dfs_err_t (*share_root)(void* ctx, const dfs_cred_t* cred, dfs_str_t path_or_name,
                            dfs_fh_t* root, dfs_attr_t* attr);
    dfs_err_t (*share_list)(void* ctx, dfs_share_sink_fn sink, void* sink_ctx);
    /* The share a handle belongs to. */
    dfs_err_t (*share_of)(void* ctx, const dfs_fh_t* fh, dfs_share_sink_fn sink, void* sink_ctx);

    dfs_err_t (*getattr)(void* ctx, const dfs_cred_t* cred, const dfs_fh_t* fh, dfs_attr_t* out);

    /* `guard_ctime` (may be NULL): DFS_ERR_NOT_SYNC unless the object's ctime equals it
     * (guarded SETATTR, RFC 1813 section 3.3.2). */
    dfs_err_t (*setattr)(void* ctx, const dfs_cred_t* cred, const dfs_fh_t* fh,
                         const dfs_setattr_t* sa, const dfs_time_t* guard_ctime, dfs_wcc_t* wcc);

    dfs_err_t (*lookup)(void* ctx, const dfs_cred_t* cred, const dfs_fh_t* dir, dfs_str_t name,
                        dfs_fh_t* out, dfs_attr_t* attr, dfs_attr_t* dir_attr);

    /* Which of `want` (DFS_ACCESS_*) the caller would be granted. */
    dfs_err_t (*access)(void* ctx, const dfs_cred_t* cred, const dfs_fh_t* fh, uint32_t want,
                        uint32_t* granted, dfs_attr_t* attr);

    /* Creates any type (args->type). Owner and group come from the credential (args->uid
     * and args->gid are ignored); `sa` (may be NULL) is applied to a newly created
     * object (NFSv3 sattr3: e.g. size 0, times). */
    dfs_err_t (*create)(void* ctx, const dfs_cred_t* cred, const dfs_fh_t* dir, dfs_str_t name,
                        const dfs_create_args_t* args, const dfs_setattr_t* sa, dfs_fh_t* out,
                        dfs_attr_t* attr, dfs_wcc_t* dir_wcc);

    dfs_err_t (*link)(void* ctx, const dfs_cred_t* cred, const dfs_fh_t* fh, const dfs_fh_t* dir,
                      dfs_str_t name, dfs_attr_t* attr, dfs_wcc_t* dir_wcc);

    /* flags: DFS_REMOVE_NONDIR (REMOVE) or DFS_REMOVE_DIR (RMDIR). */
    dfs_err_t (*remove)(void* ctx, const dfs_cred_t* cred, const dfs_fh_t* dir, dfs_str_t name,
                        uint32_t flags, dfs_wcc_t* dir_wcc);

    dfs_err_t (*rename)(void* ctx, const dfs_cred_t* cred, const dfs_fh_t* src_dir,
                        dfs_str_t src_name, const dfs_fh_t* dst_dir, dfs_str_t dst_name,
                        dfs_wcc_t* src_wcc, dfs_wcc_t* dst_wcc);

    dfs_err_t (*readlink)(void* ctx, const dfs_cred_t* cred, const dfs_fh_t* fh,
                          dfs_bytes_sink_fn sink, void* sink_ctx, dfs_attr_t* attr);

    /* Entries after `cookie`. `verifier_in` (8 bytes, may be NULL) is the verifier the
     * client got with that cookie: DFS_ERR_BADCOOKIE if it no longer matches.
     * `verifier_out` (may be NULL) receives the directory's current verifier. */
    dfs_err_t (*readdir)(void* ctx, const dfs_cred_t* cred, const dfs_fh_t* dir, uint64_t cookie,
                         const uint8_t* verifier_in, uint8_t* verifier_out, uint32_t flags,
                         dfs_vfs_dirent_sink_fn sink, void* sink_ctx, int32_t* eof,
                         dfs_attr_t* dir_attr);

    /* Reads into the caller's buffer (the reply being built). Bytes between the end of
     * the stored data and the file size read as zeros. *eof = 1 when the read reached
     * the end of the file. */
    dfs_err_t (*read)(void* ctx, const dfs_cred_t* cred, const dfs_fh_t* fh, uint64_t offset,
                      dfs_buf_t buf, uint64_t* nread, int32_t* eof, dfs_attr_t* attr);

    /* *committed receives how stable the data actually is (>= `stable`). */
    dfs_err_t (*write)(void* ctx, const dfs_cred_t* cred, const dfs_fh_t* fh, uint64_t offset,
                       dfs_bytes_t data, dfs_stable_t stable, dfs_stable_t* committed,
                       dfs_wcc_t* wcc);

    /* Makes earlier writes to the object durable (count 0: to the end). */
    dfs_err_t (*commit)(void* ctx, const dfs_cred_t* cred, const dfs_fh_t* fh, uint64_t offset,
                        uint64_t count, dfs_wcc_t* wcc);

    dfs_err_t (*statfs)(void* ctx, const dfs_cred_t* cred, const dfs_fh_t* fh, dfs_statfs_t* out);

    /* The write verifier: 8 bytes that change every time the server starts, so clients
     * know to resend unstable writes (RFC 1813 section 3.3.7). */
    void (*write_verifier)(void* ctx, uint8_t verifier[8]);

    dfs_err_t (*getxattr)(void* ctx, const dfs_cred_t* cred, const dfs_fh_t* fh, dfs_str_t name,
                          dfs_bytes_sink_fn sink, void* sink_ctx);
    dfs_err_t (*setxattr)(void* ctx, const dfs_cred_t* cred, const dfs_fh_t* fh, dfs_str_t name,
                          dfs_bytes_t value, uint32_t flags);
    dfs_err_t (*listxattr)(void* ctx, const dfs_cred_t* cred, const dfs_fh_t* fh,
                           dfs_bytes_sink_fn sink, void* sink_ctx);
    dfs_err_t (*removexattr)(void* ctx, const dfs_cred_t* cred, const dfs_fh_t* fh,
                             dfs_str_t name);

    /* ---- ABI 1.7 ---- */
    /* read() that lends the bytes instead of copying them where the share's block store
     * can (dfs_lent_t, common.h): the same checks, *eof and *attr as read(). Either the
     * bytes are lent (lent->len = *nread, the count read; `buf` untouched), or they are
     * read into `buf` as read() does (lent->len = 0), when the store does not lend this
     * range or part of it is a hole, or the read is too short for lending to pay (the
     * kernel copies reads under 32 KiB). The caller hands lent bytes to rpc
     * reply_send_lent or releases them. */
    dfs_err_t (*read_lend)(void* ctx, const dfs_cred_t* cred, const dfs_fh_t* fh, uint64_t offset,
                           dfs_buf_t buf, uint64_t* nread, dfs_lent_t* lent, int32_t* eof,
                           dfs_attr_t* attr);
} dfs_host_vfs_t;

/* ---- Identity table ------------------------------------------------------------------ */
typedef struct dfs_host_identity {
    uint32_t struct_size;
    uint32_t reserved;
    /* The credential the share's squash rules turn `in` into (root_squash, all_squash,
     * anonuid/anongid). `out` may equal `in`. */
    dfs_err_t (*effective)(void* ctx, uint32_t share_id, const dfs_cred_t* in, dfs_cred_t* out);
} dfs_host_identity_t;

/* ---- The host table -------------------------------------------------------------------- */
typedef void (*dfs_task_fn)(void* arg);

typedef struct dfs_host_api {
    uint32_t struct_size;
    uint16_t abi_major;
    uint16_t abi_minor;
    void* ctx;

    /* One structured log line, attributed to the plugin. Secrets must never be passed. */
    void (*log)(void* ctx, dfs_log_level_t level, dfs_str_t message);
    /* Non-zero if a line at `level` would be written (skip formatting otherwise). */
    int32_t (*log_enabled)(void* ctx, dfs_log_level_t level);

    /* The server's clock (CLOCK_REALTIME). */
    dfs_time_t (*now)(void* ctx);

    /* Runs fn(arg) on the kernel's worker pool. DFS_ERR_DELAY if the queue is full,
     * DFS_ERR_SHUTDOWN when stopping. */
    dfs_err_t (*post)(void* ctx, dfs_task_fn fn, void* arg);

    /* Runs fn(arg) once after delay_ms on the worker pool; returns a non-zero id. */
    uint64_t (*timer_start)(void* ctx, uint64_t delay_ms, dfs_task_fn fn, void* arg);
    /* Non-zero if the timer was cancelled before it ran. */
    int32_t (*timer_cancel)(void* ctx, uint64_t timer_id);

    /* Adds to a counter exported on /metrics as dittofs_plugin_<name>. */
    void (*metric_add)(void* ctx, dfs_str_t name, int64_t delta);

    const dfs_host_vfs_t* vfs;           /* protocol plugins only, else NULL */
    const dfs_host_identity_t* identity; /* protocol and auth plugins, else NULL */

    /* ABI 1.1 */
    const struct dfs_host_rpc* rpc; /* ONC RPC (rpc.h); protocol plugins only, else NULL */

    /* ABI 1.4 */
    const struct dfs_host_locks* locks; /* the lock manager (locks.h); protocol plugins only */
} dfs_host_api_t;

DFS_END_DECLS

#endif /* DITTOFS_ABI_HOST_H */
